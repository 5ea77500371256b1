"""Run a lesson's public checks on a student's folder: ``grade check``'s core.

Public checks run in the student's own process (fast, on the student's machine); they are the
lesson's ``test_<module>.py`` from the released assignment, run against the student's files.
"""

from __future__ import annotations

from pathlib import Path

from grader.lessons import Lesson, get_lesson
from grader.paths import assignment_dir
from grader.plugin import ResultCollector
from grader.results import GradingResult
from grader.suite import run_suite


def public_checks_file(lesson: Lesson) -> Path:
    """The released public checks of ``lesson``."""
    return assignment_dir(lesson.id) / f"test_{lesson.module}.py"


def check_submission(lesson_id: str, path: str | Path) -> GradingResult:
    """Run the public checks of ``lesson_id`` against the student's folder ``path``."""
    lesson = get_lesson(lesson_id)
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"folder '{path}' does not exist")
    collector = ResultCollector(lesson, submission=path, isolate=False)
    checks = public_checks_file(lesson)
    result = run_suite([checks], collector, ini=checks.parent / "pytest.ini", forget_modules=True)
    result.submission = str(path)
    return result
