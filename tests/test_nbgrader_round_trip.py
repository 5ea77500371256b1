"""The whole round trip with real nbgrader and a real Jupyter kernel: three students submit
with `grade submit`, `nbgrader collect` picks them up, both `nbgrader autograde` and
`grade autograde --course` grade them, and `nbgrader export` lists the same scores either way.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_submission

from grader.authoring.release import config_lines
from grader.course.catalogue import get_lesson
from grader.course.paths import assignment_dir

pytest.importorskip("nbgrader", reason="needs nbgrader: pip install -e '.[instructor]'")
BIN = Path(sys.executable).parent
LESSON = get_lesson("tensors")


def run(*command: str, cwd: Path, tmpdir: Path | None = None) -> str:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # nbgrader runs `alembic` from PATH
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    done = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def exported_scores(course: Path, name: str) -> dict[str, float]:
    run("nbgrader", "export", "--to", name, cwd=course)
    with open(course / name) as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle) if row["assignment"] == LESSON.id}


def notebook_submission(folder: Path) -> Path:
    """A folder holding only the student's notebook ``LESSON.ipynb`` (the name ``grade start
    --notebook`` gives it, which is also nbgrader's notebook's): the reference in one cell,
    a cell that prints."""
    import nbformat.v4 as nbf
    from nbformat import writes

    from grader.course.references import reference_file

    folder.mkdir()
    cells = [nbf.new_code_cell(reference_file(LESSON.id, LESSON.module).read_text()), nbf.new_code_cell("print('done')")]
    (folder / f"{LESSON.id}.ipynb").write_text(writes(nbf.new_notebook(cells=cells)))
    return folder


@pytest.fixture
def course(tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        'c.CourseDirectory.course_id = "nn101"\n'
        f'c.CourseDirectory.root = "{course}"\n'
        f'c.Exchange.root = "{exchange}"\n'
        "c.Execute.timeout = 300\n" + config_lines([LESSON])
    )
    return course


def test_round_trip_scores_agree_between_nbgrader_and_grade(course, tmp_path):
    run("grade", "release", "--nbgrader", str(course), cwd=course)
    run("nbgrader", "generate_assignment", LESSON.id, "--force", cwd=course)
    run("nbgrader", "release_assignment", LESSON.id, "--force", cwd=course)

    half = lambda source: source.replace("return c * a", "return c + a").replace("return [(w1, b1), (w2, -1.5)]", "return [(w1, b1), (w2, -0.5)]")  # noqa: E731
    work = {
        "alice": make_submission(tmp_path, LESSON.id, name="alice"),
        "bob": Path(shutil.copytree(assignment_dir(LESSON.id), tmp_path / "bob")),
        "carol": make_submission(tmp_path, LESSON.id, half, name="carol"),
        "dave": notebook_submission(tmp_path / "dave"),
    }
    for student, folder in work.items():
        out = run("grade", "submit", LESSON.id, str(folder), "--student", student, "--course-dir", str(course), cwd=course)
        assert "receipt:" in out
    run("nbgrader", "collect", LESSON.id, cwd=course)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "bob", "carol", "dave"]
    dave = course / "submitted" / "dave" / LESSON.id
    assert (dave / f"{LESSON.id}.student.ipynb").is_file() and (dave / LESSON.filename).is_file(), "dave's notebook kept beside the module made from it"

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    run("nbgrader", "autograde", LESSON.id, "--force", cwd=course, tmpdir=scratch)
    assert not list(scratch.glob("grader-s*")), "every grade cell's kernel removed its children's folders"
    run("nbgrader", "generate_feedback", LESSON.id, "--force", cwd=course)
    by_nbgrader = exported_scores(course, "nbgrader.csv")

    out = run("grade", "autograde", LESSON.id, "--course", str(course), "--feedback", str(tmp_path / "feedback"), "--csv", str(tmp_path / "grade.csv"), cwd=course)
    by_grade = exported_scores(course, "grade.csv")

    full = LESSON.max_score
    assert by_nbgrader["alice"] == by_grade["alice"] == full
    assert by_nbgrader["dave"] == by_grade["dave"] == full, "a notebook graded as its code, by both"
    assert by_nbgrader["bob"] == by_grade["bob"] == 0
    assert 0 < by_grade["carol"] < full
    assert by_nbgrader == pytest.approx(by_grade, abs=1e-6)
    assert (tmp_path / "feedback" / "carol" / LESSON.id / "feedback.html").read_text().count("scalar_multiply") > 1
    assert "carol" in out

    run("grade", "autograde", LESSON.id, "--course", str(course), "--all-submissions", "--json", str(tmp_path / "all.json"), cwd=course)
    assert exported_scores(course, "again.csv") == by_grade
    everyone = json.loads((tmp_path / "all.json").read_text())
    assert sorted(r["student"] for r in everyone) == ["alice", "bob", "carol", "dave"]

    # carol fixes her work after the collect: until it is collected, every path keeps the
    # collected submission's score; once collected, grade's --course counts it and says that
    # nbgrader's autograded/ copy (what generate_feedback shows) is of the older one
    fixed = make_submission(tmp_path, LESSON.id, name="carol-fixed")
    run("grade", "submit", LESSON.id, str(fixed), "--student", "carol", "--course-dir", str(course), cwd=course)
    run("grade", "autograde", LESSON.id, "--course", str(course), "--all-submissions", "--json", str(tmp_path / "all2.json"), cwd=course)
    assert exported_scores(course, "before-collect.csv") == by_grade
    assert sorted(r["score"] for r in json.loads((tmp_path / "all2.json").read_text()) if r["student"] == "carol") == [by_grade["carol"], full]
    run("nbgrader", "collect", LESSON.id, "--update", cwd=course)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(BIN / "grade"), "autograde", LESSON.id, "--course", str(course)], cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert exported_scores(course, "after-collect.csv") == {**by_grade, "carol": full}
    said = " ".join(done.stderr.split())
    assert f"autograded/carol/{LESSON.id}/ holds an older submission" in said and f"nbgrader autograde {LESSON.id} --force" in said, done.stderr
