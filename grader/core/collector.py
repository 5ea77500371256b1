"""pytest's events turned into one grading result: :class:`ResultCollector`.

Registered in a pytest session by :mod:`grader.core.plugin` (``--lesson``) or passed to
``pytest.main`` by :func:`grader.core.suite.run_suite`. It gives each test its task and points,
provides the fixtures the lessons' checks use (``student``, ``reference``, ``lesson``,
``submission``, ``grade_request``), and turns each test's outcome into a
:class:`~grader.core.results.TestResult` (statuses and messages: :mod:`grader.core.outcomes`). Where the
student's code runs is :mod:`grader.core.session`'s job.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from grader.core import fixtures, outcomes
from grader.core.request import GradeRequest
from grader.core.results import DETAILS_PROPERTY, MESSAGE_PROPERTY, NOT_THE_STUDENTS, GradingResult, TestResult
from grader.core.session import alarm, forget_folder, import_in_process, limit_calls, open_child
from grader.course.catalogue import Lesson, get_lesson
from grader.errors import StudentTimeout
from grader.runner.intake import SubmissionFiles

if TYPE_CHECKING:
    from grader.runner.proxy import IsolatedSubmission


def collector_for_options(config: pytest.Config, lesson_id: str) -> ResultCollector:
    """The collector of a pytest run started from the command line (``--lesson`` and friends)."""
    submission = config.getoption("submission")
    request = GradeRequest(lesson_id, submission or "", student=config.getoption("student"))
    return ResultCollector(request, isolate=bool(submission) and not config.getoption("in_process"), results_path=config.getoption("grader_results"))


def title_of(item: pytest.Item) -> str:
    """The test's name for students: its docstring's first line, formatted with its parameters."""
    doc = (getattr(item, "function", None).__doc__ or "").strip().splitlines()
    params = getattr(getattr(item, "callspec", None), "params", {})
    if doc:
        try:
            return doc[0].strip().format(**params)
        except (KeyError, IndexError, ValueError):
            return doc[0].strip()
    return item.name


#: Seconds the public checks give the import of the student's file (in the student's process).
IMPORT_TIMEOUT_S = 10.0


class ResultCollector:
    """Collects one :class:`GradingResult` over a pytest session (see the module docstring).

    ``isolate``: the student's code runs in an isolated child (hidden checks); otherwise it is
    imported in this process (public checks). ``files``: the submission as the intake read it
    (else the child's runner reads ``request.submission``)."""

    is_grader_collector = True

    def __init__(
        self, request: GradeRequest, *, isolate: bool = True, files: SubmissionFiles | None = None, results_path: str | None = None, only_task: str | None = None
    ):
        self.request = request
        #: Run only this task's checks (a notebook's check of one task).
        self.only_task = only_task
        self._lesson = get_lesson(request.lesson)
        self.folder = Path(request.source).resolve() if request.source else None
        self.isolate = isolate and self.folder is not None
        self.files = files
        self.results_path = results_path
        self.result = GradingResult(self._lesson.id, request.source, request.student)
        self.points: dict[str, float] = {}
        self.tasks: dict[str, str] = {}
        self._child: IsolatedSubmission | None = None
        self._reported: set[str] = set()
        #: Hidden checks that failed through the grader's own fault (``title: what happened``).
        self.grader_faults: list[str] = []
        #: What pytest reported about files it could not collect (a grader problem).
        self.collection_errors: list[str] = []
        #: Set by :func:`grader.core.suite.run_suite`: nobody reads this run's terminal, so no
        #: failure is rendered as a traceback (pytest's costliest step for a failing check).
        self.quiet = False
        #: Whether collecting starts the child (not when a suite is collected once to be run
        #: for many submissions: :class:`grader.core.suite.CollectedSuite`).
        self.launch_on_collection = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config):
        if self.quiet:
            config.option.tbstyle = "no"
            if not config.pluginmanager.is_registered(BRIEF_REPORTS):
                config.pluginmanager.register(BRIEF_REPORTS, "grader-brief-reports")
        fixtures.activate(self)
        if not config.pluginmanager.is_registered(fixtures):
            config.pluginmanager.register(fixtures, "grader-fixtures")

    # -- collection: tasks and points ------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        per_task: dict[str, list] = {}
        for item in items:
            marker = item.get_closest_marker("task")
            if marker is None or not marker.args:
                raise pytest.UsageError(f"{item.nodeid} has no @pytest.mark.task(name)")
            task = marker.args[0]
            if task not in self._lesson.tasks:
                raise pytest.UsageError(f"{item.nodeid}: task '{task}' is not a task of lesson '{self._lesson.id}'")
            self.tasks[item.nodeid] = task
            per_task.setdefault(task, []).append(item)
        for task, task_items in per_task.items():
            fixed = {item.nodeid: float(item.get_closest_marker("points").args[0]) for item in task_items if item.get_closest_marker("points")}
            share = (self._lesson.tasks[task] - sum(fixed.values())) / max(1, len(task_items) - len(fixed))
            for item in task_items:
                self.points[item.nodeid] = fixed.get(item.nodeid, share)
        if self.only_task is not None:
            deselected = [item for item in items if self.tasks[item.nodeid] != self.only_task]
            items[:] = [item for item in items if self.tasks[item.nodeid] == self.only_task]
            config.hook.pytest_deselected(items=deselected)

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(f"{report.nodeid or 'collection'}: {report.longreprtext}")

    def pytest_collection(self, session):
        if self.isolate and self.launch_on_collection:
            self._open_child().launch()

    def warm_up_child(self) -> None:
        """Have the submission's child start soon (see :meth:`grader.runner.proxy.IsolatedSubmission.warm_up`)."""
        if self.isolate:
            self._open_child().warm_up()

    def _open_child(self):
        if self._child is None:
            source = self.files or self.folder
            if source is None:
                raise pytest.UsageError("no submission to grade in an isolated child: give --submission")
            self._child = open_child(self._lesson, self.request, source)
        return self._child

    # -- what the fixtures give (grader.core.fixtures, which finds this collector through fixtures.activate) --
    @property
    def lesson(self) -> Lesson:
        """The lesson being graded."""
        return self._lesson

    def submission_child(self):
        """The isolated child of the submission (started on first use)."""
        return self._open_child()

    def student_module(self):
        """The student's module: in an isolated child process behind a proxy when grading,
        imported here (from ``--submission`` or the test's folder) for public checks."""
        if not self.isolate:
            try:
                with alarm(IMPORT_TIMEOUT_S):  # a hang at import stops every check: say so once, soon
                    return limit_calls(import_in_process(self._lesson, self.folder), self._lesson.call_timeout_s)
            except StudentTimeout:
                said = f"importing {self._lesson.filename} did not finish in {IMPORT_TIMEOUT_S:g} s: an endless loop or a long computation at the top level of the file"
                raise StudentTimeout(said) from None
        from grader.runner.proxy import ModuleProxy

        return ModuleProxy(self._open_child(), self._lesson.module)

    def reference_module(self):
        """The reference solution of the lesson, imported in the grader's process."""
        from grader.course.references import load_reference

        return load_reference(self._lesson.id, self._lesson.module)

    # -- running: per-test time limit, outcomes --------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        if not self.isolate:
            with alarm(self._lesson.test_timeout_s):
                return (yield)
        if self._child is not None:
            self._child.deadline = time.monotonic() + self._lesson.test_timeout_s
        try:
            return (yield)
        finally:
            if self._child is not None:
                self._child.deadline = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        done = report.when == "call" or (report.when == "setup" and not report.passed)
        if done and item.nodeid not in self._reported and item.nodeid in self.tasks:
            self._reported.add(item.nodeid)
            self.result.tests.append(self._test_result(item, call, report))
            for name, value in item.user_properties:
                if name == DETAILS_PROPERTY and isinstance(value, dict):
                    for key, item in value.items():  # a table that several tests add to (curves) is merged
                        kept = self.result.details.get(key)
                        self.result.details[key] = {**kept, **item} if isinstance(kept, dict) and isinstance(item, dict) else item
        return report

    def _test_result(self, item, call, report) -> TestResult:
        points = self.points.get(item.nodeid, 0.0)
        if report.passed:
            status = "passed"
            message = next((str(value) for name, value in item.user_properties if name == MESSAGE_PROPERTY), "")
        elif report.skipped:
            status, message = "error", f"check skipped: {report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr}"
        else:
            status, message = outcomes.status_of(call.excinfo.value), outcomes.message_of(call.excinfo)
            if self.isolate and not outcomes.is_students(call.excinfo.value, report.when):
                self.grader_faults.append(f"{title_of(item)}: {outcomes.grader_fault(call.excinfo)}")
        return TestResult(
            name=title_of(item),
            task=self.tasks[item.nodeid],
            score=points if status == "passed" else 0.0,
            max_score=points,
            status=status,
            message=message,
        )

    def final_result(self) -> GradingResult:
        """The grading's result: ``grader-error`` when a hidden check failed through the
        grader's fault (see :func:`grader.core.outcomes.is_students`), else the tests collected,
        with what the intake refused."""
        if self.grader_faults:
            faults = self.grader_faults
            more = f" (and {len(faults) - 1} more)" if len(faults) > 1 else ""
            message = f"a hidden check failed inside the grader: {faults[0]}{more}; {NOT_THE_STUDENTS}"
            return GradingResult.grader_error(self.result.lesson, self.result.submission, message, self.result.student)
        files = self.files or (self._child.files if self._child is not None else None)
        self.result.refused = [refusal.to_dict() for refusal in files.refused] if files is not None else []
        return self.result

    def pytest_sessionfinish(self, session):
        if not self.isolate:
            forget_folder(self.folder)
        final = self.final_result() if self.isolate else self.result
        if self._child is not None:
            self._child.close()
            self._child = None
        if self.results_path:
            Path(self.results_path).write_text(json.dumps(final.to_dict(), indent=2))
        fixtures.deactivate(self)


class _BriefReports:
    """For a run nobody reads (``quiet``): a failed phase's report carries the exception's
    one line instead of pytest's rendered traceback, pytest's costliest step for a failing check
    (the grade is made from the exception itself, :meth:`ResultCollector._test_result`).
    Skips and passes get pytest's own reports."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        excinfo = call.excinfo
        if excinfo is None or not isinstance(excinfo, pytest.ExceptionInfo) or isinstance(excinfo.value, pytest.skip.Exception):
            return None
        sections = [(f"Captured {key} {when}", content) for when, key, content in item._report_sections]
        return pytest.TestReport(
            item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed", excinfo.exconly(), call.when, sections,
            call.duration, call.start, call.stop, user_properties=item.user_properties,
        )


BRIEF_REPORTS = _BriefReports()
