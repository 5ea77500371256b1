"""Grade one submission of a lesson with its hidden suite: ``grade autograde``'s core.

The submission is read by the intake (:mod:`grader.intake`: regular files only, as data), its
student code runs in the isolated child, and the result is the COURSE.md object. A failure of
the grader itself (a hidden check that raises, a suite that cannot run, a missing or corrupt
data set) is never the student's zero: the result is then ``grader-error`` with a message
saying what failed and what to do.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from grader.intake import IntakeError, SubmissionFiles, read_submission
from grader.lessons import Lesson, get_lesson
from grader.paths import PACKAGE_DIR, has_hidden_suites, hidden_dir
from grader.plugin import ResultCollector
from grader.results import NOT_THE_STUDENTS, GradingResult
from grader.suite import SuiteError, run_suite

HIDDEN_INI = PACKAGE_DIR / "hidden" / "pytest.ini"
#: How much of pytest's own output a grader-error message keeps when a suite cannot run.
MAX_SUITE_OUTPUT = 1500


class SubmissionNotFound(FileNotFoundError):
    """The submission folder does not exist."""


def data_problem(lesson: Lesson, data_dir: str | Path | None = None) -> str | None:
    """What is wrong with a model lesson's data set (missing, truncated, failing its
    checksum), in words naming the fix; None when it is ready (or the lesson needs none)."""
    if not lesson.is_model:
        return None
    from grader.data.store import DataError
    from grader.models import require_lesson_data

    try:
        require_lesson_data(lesson.model, data_dir)
    except DataError as error:
        return str(error)
    return None


def grade_submission(
    lesson_id: str,
    path: str | Path | SubmissionFiles,
    *,
    student: str | None = None,
    call_timeout_s: float | None = None,
    device: str = "auto",
    data_dir: str | Path | None = None,
) -> GradingResult:
    """Run the hidden checks of ``lesson_id`` on the submission at ``path`` (a folder, or a
    ``.zip``/``.tar.gz`` archive), or on its files as the intake already read them.

    The student's code runs in an isolated child process; a call that runs longer than
    ``call_timeout_s`` (default: the lesson's) is stopped and its test graded ``timeout``.
    Model lessons train on ``device`` (auto: CUDA when the student's framework sees a GPU) with
    the data set from ``data_dir`` (default: the configured data directory).
    A broken submission is not an error here: it gets its zeros and messages in the result,
    and what the intake refused is listed in ``refused``. A fault of the grader gives a
    ``grader-error`` result (see the module docstring).
    """
    lesson = get_lesson(lesson_id)
    if not has_hidden_suites():
        raise RuntimeError("this is the student distribution: hidden checks are only on the instructor's side")
    if isinstance(path, SubmissionFiles):
        files, path = path, Path(path.source)
    else:
        path = Path(path)
        try:
            files = read_submission(path, first=lesson.module_files)
        except IntakeError as error:
            raise SubmissionNotFound(str(error)) from None
    problem = data_problem(lesson, data_dir)
    if problem:
        return GradingResult.grader_error(lesson.id, str(path), f"{problem}; then grade again", student)
    collector = ResultCollector(
        lesson, submission=path, student=student, isolate=True, call_timeout_s=call_timeout_s, device=device, data_dir=data_dir
    )
    collector.files = files
    # The checks' own output and warnings are nobody's to read (the student's code runs in the
    # child, which reports its warnings itself): no capture and no warnings plugin per test.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_suite([hidden_dir(lesson.id)], collector, ini=HIDDEN_INI, extra_args=("-s", "-p", "no:warnings"))
    except SuiteError as error:
        output = " ".join(str(error).split())[-MAX_SUITE_OUTPUT:]
        return GradingResult.grader_error(lesson.id, str(path), f"the hidden checks of {lesson.id} could not run ({output}); {NOT_THE_STUDENTS}", student)
    result = collector.final_result()
    result.submission = str(path)
    return result
