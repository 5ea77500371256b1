"""Grade one submission of a lesson with its hidden suite (what :func:`grader.api.grade` calls).

The submission is read by the intake (:mod:`grader.runner.intake`: regular files only, as data), its
student code runs in the isolated child, and the result is the COURSE.md object. A failure of
the grader itself (a hidden check that raises, a suite that cannot run, a missing or corrupt
data set) is never the student's zero: the result is then ``grader-error`` with a message
saying what failed and what to do.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from grader.core.collector import ResultCollector
from grader.core.lesson_data import data_problem
from grader.core.request import GradeRequest
from grader.core.results import INTAKE_NOTE, NOT_THE_STUDENTS, GradingResult
from grader.core.suite import collected_suite, run_after_callbacks, run_suite
from grader.course.catalogue import Lesson, get_lesson
from grader.course.paths import hidden_dir, instructor_side
from grader.errors import NoHiddenChecks, SubmissionNotFound, SuiteError
from grader.runner.intake import IntakeError, SubmissionFiles, read_submission

#: The hidden suites' pytest configuration (the engine's, whatever the course).
HIDDEN_INI = Path(__file__).with_name("suite.ini")
#: Set (to anything) to build and collect the hidden suite afresh for every submission, as a
#: plain pytest run would, instead of once per process (:class:`grader.core.suite.CollectedSuite`).
FRESH_SUITE_ENV = "GRADER_FRESH_SUITE"
#: How much of pytest's own output a grader-error message keeps when a suite cannot run.
MAX_SUITE_OUTPUT = 1500


def read_request(request: GradeRequest, lesson: Lesson) -> SubmissionFiles:
    """The submission's files as the intake reads them (the lesson's own files first)."""
    if isinstance(request.submission, SubmissionFiles):
        return request.submission
    try:
        return read_submission(Path(request.submission), first=lesson.module_files, limits=request.intake_limits)
    except IntakeError as error:
        raise SubmissionNotFound(str(error)) from None


def run_hidden_checks(request: GradeRequest) -> GradingResult:
    """Run the hidden checks of the request's lesson on its submission (see
    :func:`grader.api.grade`): the student's code in an isolated child process, a call that
    runs longer than the request's ``call_timeout_s`` (default: the lesson's) stopped and its
    test graded ``timeout``."""
    lesson = get_lesson(request.lesson)
    if not instructor_side():
        raise NoHiddenChecks("this course has no lesson folders (reference/): hidden checks are only on the instructor's side")
    files = read_request(request, lesson)
    problem = data_problem(lesson, request.data_dir)
    if problem:
        return GradingResult.grader_error(lesson.id, request.source, f"{problem}; then grade again", request.student)
    collector = ResultCollector(request, isolate=True, files=files)
    # The checks' own output and warnings are nobody's to read (the student's code runs in the
    # child, which reports its warnings itself): neither the capture plugin (its wrappers cost
    # every test's set-up, call and teardown, even with -s) nor the warnings plugin.
    options = ("-p", "no:capture", "-p", "no:warnings")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if os.environ.get(FRESH_SUITE_ENV):
                run_suite([hidden_dir(lesson.id)], collector, ini=HIDDEN_INI, extra_args=options)
            else:
                collector.warm_up_child()
                first = ResultCollector(request, isolate=True, files=files)
                collected_suite(hidden_dir(lesson.id), first, ini=HIDDEN_INI, extra_args=options).run(collector)
    except SuiteError as error:
        run_after_callbacks()
        output = " ".join(str(error).split())[-MAX_SUITE_OUTPUT:]
        message = f"the hidden checks of {lesson.id} could not run ({output}); {NOT_THE_STUDENTS}"
        return GradingResult.grader_error(lesson.id, request.source, message, request.student)
    run_after_callbacks()
    result = collector.final_result()
    result.submission = request.source
    if files.note:
        result.details[INTAKE_NOTE] = files.note
    return result
