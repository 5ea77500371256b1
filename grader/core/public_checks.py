"""Run a lesson's public checks on a student's folder: ``grade check``'s core.

Public checks run in the student's own process (fast, on the student's machine); they are the
lesson's ``test_<module>.py`` from the released assignment, run against the student's files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from grader.core.collector import ResultCollector
from grader.core.request import GradeRequest
from grader.core.results import INTAKE_NOTE, GradingResult
from grader.core.suite import run_suite
from grader.course.catalogue import Lesson, get_lesson
from grader.course.paths import assignment_dir
from grader.errors import SubmissionNotFound
from grader.runner.intake import NOTEBOOK_SUFFIX, read_submission


def public_checks_file(lesson: Lesson) -> Path:
    """The released public checks of ``lesson``."""
    return assignment_dir(lesson.id) / f"test_{lesson.module}.py"


def run_public_checks(lesson_id: str, folder: Path, *, data_dir: str | Path | None = None, task: str | None = None) -> GradingResult:
    """Run the public checks of ``lesson_id`` against the student's ``folder`` (a model
    lesson's smoke run reads its data from ``data_dir``, default: the configured one; ``task``:
    only that task's checks)."""
    lesson = get_lesson(lesson_id)
    if folder.is_file() and folder.suffix == NOTEBOOK_SUFFIX or folder.is_dir() and not (folder / lesson.filename).exists() and any(folder.glob(f"*{NOTEBOOK_SUFFIX}")):
        return _checks_of_notebook(lesson, folder, data_dir, task)
    if not folder.is_dir():
        raise SubmissionNotFound(f"folder '{folder}' does not exist")
    request = GradeRequest(lesson.id, folder, data_dir=Path(data_dir).resolve() if data_dir else None)
    checks = public_checks_file(lesson)
    result = run_suite([checks], ResultCollector(request, isolate=False, only_task=task), ini=checks.parent / "pytest.ini", forget_modules=True)
    result.submission = str(folder)
    return result


def _checks_of_notebook(lesson: Lesson, path: Path, data_dir, task: str | None = None) -> GradingResult:
    """The public checks of the lesson's module as the intake makes it from a notebook (the
    grader's very extraction: what is checked is what is graded)."""
    with tempfile.TemporaryDirectory(prefix="grader-check-notebook-") as scratch:
        files = read_submission(path, first=lesson.module_files)
        folder = Path(scratch) / lesson.id
        files.write_to(folder)
        result = run_public_checks(lesson.id, folder, data_dir=data_dir, task=task)
    result.submission = str(path)
    if files.note:
        result.details[INTAKE_NOTE] = files.note
    return result
