"""Grade one submission of a lesson with its hidden suite: ``grade autograde``'s core."""

from __future__ import annotations

import warnings
from pathlib import Path

from grader.lessons import get_lesson
from grader.paths import PACKAGE_DIR, has_hidden_suites, hidden_dir
from grader.plugin import ResultCollector
from grader.results import GradingResult
from grader.suite import run_suite

HIDDEN_INI = PACKAGE_DIR / "hidden" / "pytest.ini"


class SubmissionNotFound(FileNotFoundError):
    """The submission folder does not exist."""


def grade_submission(
    lesson_id: str,
    path: str | Path,
    *,
    student: str | None = None,
    call_timeout_s: float | None = None,
    device: str = "auto",
    data_dir: str | Path | None = None,
) -> GradingResult:
    """Run the hidden checks of ``lesson_id`` on the submission folder ``path``.

    The student's code runs in an isolated child process; a call that runs longer than
    ``call_timeout_s`` (default: the lesson's) is stopped and its test graded ``timeout``.
    The result is the COURSE.md object. Model lessons train on ``device`` (auto: CUDA when the
    student's framework sees a GPU) with the data set from ``data_dir`` (default: the
    configured data directory).
    A broken submission is not an error here: it gets its zeros and messages in the result.
    """
    lesson = get_lesson(lesson_id)
    path = Path(path)
    if not path.is_dir():
        raise SubmissionNotFound(f"submission folder '{path}' does not exist")
    if not has_hidden_suites():
        raise RuntimeError("this is the student distribution: hidden checks are only on the instructor's side")
    collector = ResultCollector(
        lesson, submission=path, student=student, isolate=True, call_timeout_s=call_timeout_s, device=device, data_dir=data_dir
    )
    # The checks' own output and warnings are nobody's to read (the student's code runs in the
    # child, which reports its warnings itself): no capture and no warnings plugin per test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_suite([hidden_dir(lesson.id)], collector, ini=HIDDEN_INI, extra_args=("-s", "-p", "no:warnings"))
    result.submission = str(path)
    return result
