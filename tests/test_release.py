"""Stubs from solution markers, assignments in sync, and a student distribution without answers."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from grader.lessons import LESSONS
from grader.paths import assignment_dir, reference_dir
from grader.release import ReleaseError, build_student_distribution, out_of_date, solution_lines, strip_solutions

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


def test_student_distribution_has_no_hidden_checks_or_reference(tmp_path):
    archive = build_student_distribution(tmp_path / "dist")
    names = zipfile.ZipFile(archive).namelist()
    assert any(name.endswith("grader/cli.py") for name in names)
    assert any(name.endswith("_course/assignments/activations/activations.py") for name in names)
    assert not any("hidden" in name or "reference" in name or "grading.py" in name or "release.py" in name for name in names)
    shipped = {line.strip() for name in names if name.endswith(".py") for line in zipfile.ZipFile(archive).read(name).decode().splitlines()}
    for lesson in LESSONS.values():
        solution = {line for line in solution_lines((reference_dir(lesson.id) / lesson.filename).read_text()) if len(line) > 12}
        assert shipped.isdisjoint(solution), f"{lesson.id}: solution lines shipped: {sorted(shipped & solution)[:5]}"


def test_student_distribution_runs_check_but_not_autograde(tmp_path):
    build_student_distribution(tmp_path / "dist")
    project = tmp_path / "dist" / "nn-grader-student"
    env = {**os.environ, "PYTHONPATH": str(project), "COLUMNS": "200"}  # wide enough that no message wraps
    env.pop("GRADER_COURSE_ROOT", None)

    def grade(*args):
        return subprocess.run([sys.executable, "-m", "grader", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    assert grade("start", "tensors", "mine").returncode == 0
    check = grade("check", "tensors", "mine")
    assert check.returncode == 1 and "not implemented yet" in check.stdout
    refused = grade("autograde", "tensors", "mine")
    assert refused.returncode == 2 and "student distribution has no hidden checks" in refused.stderr
