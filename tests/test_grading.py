"""Each numpy lesson: the reference earns full marks, the stubs earn nothing, and the
hidden suites cover every task of the catalogue."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import REPO

from grader.api import GradeRequest, grade
from grader.cli import main
from grader.course.catalogue import LESSONS
from grader.course.paths import assignment_dir
from grader.course.references import reference_submission

NUMPY_LESSONS = ["tensors", "activations", "losses", "backprop", "optimizers"]


@pytest.mark.parametrize("lesson_id", NUMPY_LESSONS)
def test_reference_full_marks_and_every_task_covered(lesson_id):
    result = grade(GradeRequest(lesson_id, reference_submission(lesson_id)))
    problems = [f"{t.name}: {t.message}" for t in result.tests if t.status != "passed"]
    assert problems == []
    assert result.score == result.max_score == LESSONS[lesson_id].max_score
    assert set(result.task_scores()) == set(LESSONS[lesson_id].tasks)


@pytest.mark.parametrize("lesson_id", NUMPY_LESSONS)
def test_stubs_earn_nothing(lesson_id):
    result = grade(GradeRequest(lesson_id, assignment_dir(lesson_id)))
    assert result.score == 0
    assert {t.status for t in result.tests} <= {"failed", "error"}


def test_validate_command_passes():
    run = CliRunner().invoke(main, ["validate", *NUMPY_LESSONS])  # model lessons: tests/test_models.py
    assert run.exit_code == 0, run.output
    assert "course is valid" in run.output


def test_validate_names_a_model_lesson_it_cannot_check(tmp_path):
    run = CliRunner().invoke(main, ["validate", "imdb", "--data-dir", str(tmp_path)])
    assert run.exit_code == 1
    output = " ".join(run.output.split())  # rich wraps long lines
    assert "imdb: not validated" in output and "grade data fetch imdb" in output


def test_grading_needs_no_torch_or_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys; from grader.api import GradeRequest, grade; "
        "r = grade(GradeRequest('tensors', 'reference/tensors')); "
        "assert r.score == r.max_score; "
        "print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_validate_skips_a_model_lesson_without_its_data_saying_so_unless_named(tmp_path, monkeypatch):
    from grader.authoring import validation
    from grader.course.catalogue import LESSONS

    monkeypatch.setattr(validation, "LESSONS", {"imdb": LESSONS["imdb"]})
    said: list[str] = []
    assert validation.validate_course(progress=said.append, data_dir=tmp_path) == []
    assert len(said) == 1 and said[0].startswith("imdb: skipped: ") and "grade data fetch imdb" in said[0], said
