"""Stubs from solution markers, assignments in sync, and a student distribution without answers
(the engine as it is and the released assignments), guarded against any leak of ``reference/``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from fnmatch import fnmatch
from pathlib import PurePosixPath

import pytest
from conftest import REPO

from grader import __version__
from grader.authoring.distribution import build_student_distribution
from grader.authoring.release import BEGIN, END, ReleaseError, lesson_files, out_of_date, solution_lines, strip_solutions, write_sources
from grader.cli import INSTRUCTOR_COMMANDS
from grader.course.catalogue import LESSONS, get_lesson
from grader.course.paths import MANIFEST, assignment_dir, assignments_root, reference_dir

SOURCE = '''import numpy as np

### BEGIN SOLUTION
def _helper(x):
    return x * 2
### END SOLUTION


def double(x):
    """Twice x: f(x) = 2x."""
    ### BEGIN SOLUTION
    return _helper(x)
    ### END SOLUTION
'''


def test_strip_solutions_replaces_blocks_and_drops_module_level_helpers():
    stub = strip_solutions(SOURCE)
    assert "_helper" not in stub
    assert '    raise NotImplementedError("double: your code here")' in stub
    assert '"""Twice x: f(x) = 2x."""' in stub
    assert "import numpy as np" in stub
    compile(stub, "stub.py", "exec")


@pytest.mark.parametrize(
    "broken, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
    ],
)
def test_unbalanced_markers_are_refused(broken, problem):
    with pytest.raises(ReleaseError, match=problem):
        strip_solutions(broken)


def test_assignments_are_in_sync_with_reference():
    assert out_of_date() == []


MARKED = [lesson for lesson in LESSONS.values() if not lesson.is_model]  # model lessons' stubs are baselines (test_models.py)


@pytest.mark.parametrize("lesson", MARKED, ids=[lesson.id for lesson in MARKED])
def test_no_solution_line_leaks_into_the_stub(lesson):
    solution = solution_lines((reference_dir(lesson.id) / lesson.filename).read_text())
    assert len(solution) > len(lesson.tasks)
    released = {line.strip() for path in assignment_dir(lesson.id).iterdir() if path.suffix == ".py" for line in path.read_text().splitlines()}
    assert released.isdisjoint(solution), sorted(released & set(solution))


@pytest.fixture(scope="module")
def distribution(tmp_path_factory):
    """The student distribution, built once: ``(zip archive, unpacked project folder)``."""
    dest = tmp_path_factory.mktemp("dist")
    archive = build_student_distribution(dest)
    return archive, dest / "nn-grader-student"


def _engine_files() -> set[str]:
    """The files of the ``grader`` package as it is in this checkout (paths under ``grader/``)."""
    package = REPO / "grader"
    return {
        path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.relative_to(package).parts[0] != "_course"
    }


def test_the_student_distribution_is_the_engine_as_it_is_and_the_released_assignments(distribution):
    archive, project = distribution
    assert archive.name == f"nn-grader-student-{__version__}.zip"
    prefix = "nn-grader-student/"
    names = {name.removeprefix(prefix) for name in zipfile.ZipFile(archive).namelist() if not name.endswith("/")}
    assert all(name.startswith(prefix) for name in zipfile.ZipFile(archive).namelist())
    engine = {name.removeprefix("grader/") for name in names if name.startswith("grader/") and not name.startswith("grader/_course/")}
    assert engine == _engine_files()
    for name in engine:
        assert (project / "grader" / name).read_bytes() == (REPO / "grader" / name).read_bytes(), name
    assert zipfile.ZipFile(archive).read(prefix + "pyproject.toml") == (REPO / "pyproject.toml").read_bytes()
    course = {name.removeprefix("grader/_course/") for name in names if name.startswith("grader/_course/")}
    released = {f"assignments/{lesson.id}/{name}": content for lesson in LESSONS.values() for name, content in lesson_files(lesson).items()}
    manifests = {f"datasets/{path.name}" for path in (REPO / "datasets").glob("*.json")}
    assert manifests and course == set(released) | manifests
    for name, content in released.items():
        assert zipfile.ZipFile(archive).read(f"{prefix}grader/_course/{name}").decode() == content, name
    assert names - {f"grader/{name}" for name in engine} - {f"grader/_course/{name}" for name in course} == {"pyproject.toml", "README.md"}


def test_student_distribution_runs_check_but_not_autograde(distribution, tmp_path):
    _, project = distribution
    env = {**os.environ, "PYTHONPATH": str(project), "COLUMNS": "200"}  # wide enough that no message wraps
    env.pop("GRADER_COURSE_ROOT", None)

    def grade(*args):
        return subprocess.run([sys.executable, "-m", "grader", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    assert grade("start", "tensors", "mine").returncode == 0
    check = grade("check", "tensors", "mine")
    assert check.returncode == 1 and "not implemented yet" in check.stdout
    refused = grade("autograde", "tensors", "mine")
    assert refused.returncode == 2 and "student distribution has no hidden checks" in refused.stderr


def test_the_student_distribution_builds_a_wheel_with_the_engine_and_the_course(distribution, tmp_path):
    pytest.importorskip("setuptools")
    _, project = distribution
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(project)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"grader/{name}" for name in _engine_files() if name.endswith(".py")} | {"grader/core/suite.ini"} <= names
    for lesson in LESSONS.values():
        assert {f"grader/_course/assignments/{lesson.id}/{name}" for name in lesson_files(lesson)} <= names, lesson.id
    assert "grader/_course/datasets/imdb.json" in names and "grader/_course/datasets/fashion_mnist.json" in names
    metadata = next(zipfile.ZipFile(wheel).read(name).decode() for name in names if name.endswith(".dist-info/METADATA"))
    assert "Requires-Dist: pytest<10,>=8" in metadata or "Requires-Dist: pytest>=8,<10" in metadata


# -- the guard: nothing students get holds a file of reference/ or a line of a solution ---------
#: Solution lines this short (``return x``, ``x = 1``...) are too generic to be a leak.
SHORTEST_SECRET = 25
#: The engine's scaffolding of a new lesson (``grade new``): named like a lesson folder on purpose
#: (``hidden/``, ``mutants.toml``, ``baseline.py``), so the guard's rules on names skip it; its
#: contents are checked like every other file's.
ENGINE_TEMPLATES = "grader/authoring/templates/"


def _outside_solutions(source: str) -> set[str]:
    """The stripped lines of ``source`` outside its solution blocks."""
    outside, inside = set(), False
    for line in source.splitlines():
        marker = line.strip()
        if marker in (BEGIN, END):
            inside = marker == BEGIN
        elif not inside:
            outside.add(marker)
    return outside


def secret_lines() -> dict[str, str]:
    """``{line: where}``: every solution line of every lesson's reference modules (the files of
    ``reference/<id>/`` with solution markers) that is long enough to be specific and does not
    also appear outside the solution blocks of its file."""
    secrets = {}
    for lesson in LESSONS.values():
        for path in sorted(reference_dir(lesson.id).glob("*.py")):
            source = path.read_text()
            if BEGIN not in source:
                continue
            public = _outside_solutions(source)
            for line in solution_lines(source):
                if len(line) >= SHORTEST_SECRET and line not in public:
                    secrets.setdefault(line, f"reference/{lesson.id}/{path.name}")
    return secrets


def secret_files() -> dict[str, str]:
    """``{content: where}`` of the files of ``reference/`` that are never released: the hidden
    suites, the mutant catalogues, the reference modules with solution markers."""
    secrets = {}
    for lesson in LESSONS.values():
        folder = reference_dir(lesson.id)
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            relative = path.relative_to(folder)
            if relative.parts[0] == "hidden" or path.name == "mutants.toml" or (path.suffix == ".py" and BEGIN in path.read_text()):
                secrets[path.read_text()] = f"reference/{lesson.id}/{relative.as_posix()}"
    return secrets


def _lines_of(name: str, text: str) -> set[str]:
    """The stripped lines of a file students get (a notebook's: those of its cells' sources)."""
    if name.endswith(".ipynb"):
        cells = json.loads(text).get("cells", [])
        text = "\n".join("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"] for cell in cells)
    return {line.strip() for line in text.splitlines()}


def _named_like_reference(path: PurePosixPath, files: dict[str, bytes], released_stubs: set[str]) -> list[str]:
    """Why ``path``, among ``files``, is named like a file of ``reference/`` (none: ``[]``)."""
    found = []
    if {"hidden", "reference"} & set(path.parts[:-1]):
        found.append(f"{path}: a file of a hidden/ or reference/ folder")
    if path.name == "mutants.toml" or fnmatch(path.name, "test_*_hidden.py"):
        found.append(f"{path}: named like a file of reference/ (a mutant catalogue or a hidden suite)")
    if fnmatch(path.name, "baseline*.py") and path.name not in released_stubs:
        found.append(f"{path}: a baseline under its reference name")
    if path.name == MANIFEST and any(path.parent / "hidden" in PurePosixPath(other).parents for other in files):
        found.append(f"{path}: a lesson folder with its hidden/ suite")
    return found


def leaks(files: dict[str, bytes]) -> list[str]:
    """What of ``reference/`` the files students get (``{path: content}``) give away."""
    released_stubs = {name for lesson in LESSONS.values() for name in lesson.release}
    lines, contents = secret_lines(), secret_files()
    found = []
    for name, data in sorted(files.items()):
        path = PurePosixPath(name)
        if f"/{ENGINE_TEMPLATES}" not in f"/{name}":
            found += _named_like_reference(path, files, released_stubs)
        try:
            text = data.decode()
        except UnicodeDecodeError:
            continue  # not text (a picture): no solution line in it
        if text in contents:
            found.append(f"{name}: a copy of {contents[text]}")
        found += [f"{name}: a line of {lines[line]}: {line}" for line in sorted(_lines_of(name, text) & set(lines))]
    return found


def _what_students_get(archive, tmp_path) -> dict[str, dict[str, bytes]]:
    """``{what: {path: content}}``: the distribution's zip, the released ``assignments/`` and
    the nbgrader source folders :func:`write_sources` writes."""
    with zipfile.ZipFile(archive) as zipped:
        dist = {name: zipped.read(name) for name in zipped.namelist() if not name.endswith("/")}
    assignments = assignments_root()
    released = {path.relative_to(assignments).as_posix(): path.read_bytes() for path in assignments.rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    write_sources(tmp_path / "course")
    sources = {path.relative_to(tmp_path).as_posix(): path.read_bytes() for path in (tmp_path / "course").rglob("*") if path.is_file()}
    return {"the distribution": dist, "assignments/": released, "nbgrader's sources": sources}


def test_the_guard_has_solution_lines_and_secret_files_to_look_for():
    lines, contents = secret_lines(), secret_files()
    marked = {lesson.id for lesson in LESSONS.values() if BEGIN in (reference_dir(lesson.id) / lesson.filename).read_text()}
    assert len(marked) >= 5 and {where.split("/")[1] for where in lines.values()} == marked
    assert len(lines) > 100, len(lines)
    assert sum(where.split("/")[2] == "hidden" for where in contents.values()) >= len(LESSONS)
    assert any(where.endswith("mutants.toml") for where in contents.values())


def test_nothing_students_get_holds_a_file_of_reference_or_a_line_of_a_solution(distribution, tmp_path):
    archive, _ = distribution
    got = _what_students_get(archive, tmp_path)
    assert all(got.values()) and any(name.endswith(".ipynb") for name in got["nbgrader's sources"])
    for what, files in got.items():
        assert leaks(files) == [], f"{what} gives away: {leaks(files)[:5]}"


def test_the_guard_finds_a_solution_line_or_a_reference_file_slipped_into_a_copy(tmp_path):
    assignments = assignments_root()
    released = {path.relative_to(assignments).as_posix(): path.read_bytes() for path in assignments.rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    assert leaks(released) == []
    line, where = next(iter(secret_lines().items()))
    lesson_id = where.split("/")[1]
    stub = f"{lesson_id}/{get_lesson(lesson_id).filename}"
    slipped = {**released, stub: released[stub] + f"\n\ndef _extra(x):\n    {line}\n".encode()}
    assert leaks(slipped) == [f"{stub}: a line of {where}: {line}"]
    notebook = {"cells": [{"cell_type": "code", "source": ["x = 1\n", f"    {line}\n"]}]}
    assert leaks({**released, "source/x/x.ipynb": json.dumps(notebook).encode()}) == [f"source/x/x.ipynb: a line of {where}: {line}"]
    hidden = reference_dir(lesson_id) / "hidden" / f"test_{get_lesson(lesson_id).module}_hidden.py"
    suite = {**released, f"{lesson_id}/hidden/x.py": hidden.read_bytes()}
    found = leaks(suite)
    assert any("hidden/ or reference/ folder" in problem for problem in found) and any("a lesson folder with its hidden/" in problem for problem in found)
    assert any(f"a copy of reference/{lesson_id}/hidden/" in problem for problem in found)
    assert leaks({f"nn-grader-student/{ENGINE_TEMPLATES}x/hidden/x.py": hidden.read_bytes()}) == [
        f"nn-grader-student/{ENGINE_TEMPLATES}x/hidden/x.py: a copy of reference/{lesson_id}/hidden/{hidden.name}"
    ]
    named = leaks({**released, "x/test_x_hidden.py": b"", "x/mutants.toml": b"", "x/baseline.py": b""})
    assert [problem.split(":")[0] for problem in named] == ["x/baseline.py", "x/mutants.toml", "x/test_x_hidden.py"], named


def test_the_student_distribution_installed_in_a_fresh_venv_runs_each_of_its_commands(distribution, tmp_path):
    archive, _ = distribution
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(archive)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]
    env = {key: value for key, value in os.environ.items() if key not in ("GRADER_COURSE_ROOT", "PYTHONPATH", "VIRTUAL_ENV")}
    env["COLUMNS"] = "200"

    def grade(*args):
        done = subprocess.run([str(venv / "bin" / "grade"), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert "Traceback" not in done.stdout + done.stderr, f"grade {' '.join(args)}:\n{done.stderr[-2000:]}"
        return done

    listed = grade("--help")
    assert listed.returncode == 0
    for command in ("list", "start", "check", "submit", "status", "login", "data"):
        assert f"  {command} " in listed.stdout, command
    for command in INSTRUCTOR_COMMANDS:
        assert f"  {command} " not in listed.stdout, command
        refused = grade(command, "activations")
        assert refused.returncode == 2 and refused.stderr.strip() == f"grade: error: 'grade {command}' is for instructors; the student distribution has no hidden checks"
    assert grade("list").returncode == 0
    assert grade("start", "activations").returncode == 0 and (tmp_path / "activations" / "activations.py").is_file()
    assert grade("check", "activations").returncode == 1
    assert grade("data", "list").returncode == 0
    for command in ("submit", "status", "login"):
        assert grade(command, "--help").returncode == 0
    readme = zipfile.ZipFile(archive).read("nn-grader-student/README.md").decode()
    assert "grade submit" in readme and "grade status" in readme and '"torch==2.13.0"' in readme
