"""The grader's pytest plugin: tasks and points on tests, outcomes into grading results.

Registered through the ``pytest11`` entry point, so any pytest run knows the ``task`` and
``points`` markers. Grading is switched on by ``--lesson`` (public checks) or ``--lesson`` with
``--submission`` (hidden checks against a student's folder, run in a child process): then a
:class:`ResultCollector` gives each test its points and task, provides the ``student``,
``reference`` and ``lesson`` fixtures, and turns outcomes into :class:`TestResult` objects.

Points: a task's points (from the lesson catalogue) are shared equally by its tests, unless a
test carries ``@pytest.mark.points(x)``.
"""

from __future__ import annotations

import importlib
import json
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from grader.checks import CheckFailed
from grader.lessons import Lesson, get_lesson
from grader.results import NOT_THE_STUDENTS, GradingResult, TestResult

MAX_MESSAGE = 1000
#: ``record_property(MESSAGE_PROPERTY, text)`` in a test: the message of a passed check (a
#: measurement the student should see, such as an accuracy).
MESSAGE_PROPERTY = "grader_message"
#: ``record_property(DETAILS_PROPERTY, {...})``: merged into the result's ``details``.
DETAILS_PROPERTY = "grader_details"


def pytest_addoption(parser):
    group = parser.getgroup("grader", "course grader")
    group.addoption("--lesson", default=None, help="lesson id: turns on grading of results")
    group.addoption("--submission", default=None, help="submission folder to grade in an isolated child process")
    group.addoption("--student", default=None, help="student id recorded in the result")
    group.addoption("--in-process", action="store_true", help="import the submission here instead of a child process (public checks)")
    group.addoption("--grader-results", default=None, help="write the grading result JSON to this file")
    parser.addini("grader_lesson", "default for --lesson")


def pytest_configure(config):
    config.addinivalue_line("markers", "task(name): the student's function or class this test grades")
    config.addinivalue_line("markers", "points(value): points of this test (default: share of its task)")
    lesson_id = config.getoption("lesson") or config.getini("grader_lesson")
    already = any(isinstance(plugin, ResultCollector) for plugin in config.pluginmanager.get_plugins())
    if lesson_id and not already:
        collector = ResultCollector(
            get_lesson(lesson_id),
            submission=config.getoption("submission"),
            student=config.getoption("student"),
            results_path=config.getoption("grader_results"),
            isolate=not config.getoption("in_process"),
        )
        config.pluginmanager.register(collector, "grader-collector")


def task_param(name: str, *values, task: str | None = None):
    """A ``pytest.param`` marked with its task (``name`` unless ``task`` is given)."""
    return pytest.param(*(values or (name,)), marks=pytest.mark.task(task or name), id=name)


def _raise_timeout(signum, frame):
    from grader.runner.proxy import StudentTimeout

    raise StudentTimeout("the check did not finish in time (an endless loop, or far too slow)")


def _message_of(excinfo, task: str) -> str:
    from grader.runner.proxy import StudentError

    error = excinfo.value
    if isinstance(error, NotImplementedError) or getattr(error, "kind", None) == "not_implemented":
        raised = str(error) if not isinstance(error, NotImplementedError) else f"NotImplementedError: {error}"
        stub = re.search(r"NotImplementedError: ([\w.]+): your code here", raised)
        # the released stub's own words: not written yet; anything else is the student's text
        text = f"{stub.group(1)} is not implemented yet (it raises NotImplementedError)" if stub else raised
    elif isinstance(error, (CheckFailed, StudentError)):
        text = str(error)
    elif isinstance(error, SyntaxError):
        text = f"{Path(error.filename or '?').name}, line {error.lineno}: {error.msg}"
    elif isinstance(error, AssertionError):
        text = str(error).split("\nassert ")[0] or "assertion failed"
    else:
        text = _describe_exception(excinfo)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " ..."


def _describe_exception(excinfo) -> str:
    """``Type: message`` with the innermost frame outside the grader and pytest, if any."""
    grader_dir = str(Path(__file__).resolve().parent)
    where = ""
    for entry in reversed(excinfo.traceback):
        path = str(entry.path)
        if not path.startswith(grader_dir) and "site-packages" not in path and "/lib/python" not in path:
            where = f" ({Path(path).name}, line {entry.lineno + 1})"
            break
    return f"{type(excinfo.value).__name__}: {excinfo.value}{where}"


#: Exceptions that a hidden check's own code raises when it meets a wrong value from the
#: student (a string where a number belongs, a ragged list, an index out of range): the
#: student's failure. Every other exception of a hidden check (``NameError``, ``KeyError``,
#: ``AttributeError``, ``ImportError``, ``OSError``, ``MemoryError``, ``RuntimeError``, ...)
#: can only come from broken grader code or a broken machine: the grader's fault.
VALUE_ERRORS = (TypeError, ValueError, IndexError, ArithmeticError)


def _is_students(error: BaseException, when: str) -> bool:
    """Whether an exception in a hidden check (``when``: pytest's ``setup`` or ``call``) is the
    submission's doing: an error, timeout or crash of the student's code (from the child), a
    failed check of its results, or, during the call, one of :data:`VALUE_ERRORS`. A fixture
    that fails to set up (a data set, the reference) is the grader's unless the student's code
    failed in it."""
    from grader.runner.proxy import StudentError

    if isinstance(error, (StudentError, AssertionError, pytest.fail.Exception)):
        return True
    return when == "call" and isinstance(error, VALUE_ERRORS)


def _grader_fault(excinfo) -> str:
    """``Type: message (file, line)`` of a grader's own exception, at its innermost frame."""
    entry = excinfo.traceback[-1] if excinfo.traceback else None
    where = f" ({Path(str(entry.path)).name}, line {entry.lineno + 1})" if entry is not None else ""
    return f"{type(excinfo.value).__name__}: {excinfo.value}{where}"


def _status_of(excinfo) -> str:
    from grader.runner.proxy import StudentError, StudentTimeout

    if isinstance(excinfo.value, StudentTimeout):
        return "timeout"
    if isinstance(excinfo.value, StudentError):
        return "error"
    if isinstance(excinfo.value, AssertionError):
        return "failed"
    return "error"


def test_title(item) -> str:
    """The test's name for students: its docstring's first line, formatted with its parameters."""
    doc = (getattr(item, "function", None).__doc__ or "").strip().splitlines()
    params = getattr(getattr(item, "callspec", None), "params", {})
    if doc:
        try:
            return doc[0].strip().format(**params)
        except (KeyError, IndexError, ValueError):
            return doc[0].strip()
    return item.name


class ResultCollector:
    """Collects one :class:`GradingResult` over a pytest session (see the module docstring)."""

    def __init__(
        self,
        lesson: Lesson,
        submission: str | Path | None = None,
        student: str | None = None,
        results_path=None,
        isolate: bool = True,
        call_timeout_s: float | None = None,
        device: str = "auto",
        data_dir: str | Path | None = None,
    ):
        self._lesson = lesson
        self.device = device
        self.data_dir = data_dir
        self.call_timeout_s = call_timeout_s or lesson.call_timeout_s
        self.submission_path = Path(submission).resolve() if submission else None
        self.isolate = isolate and self.submission_path is not None
        self.results_path = results_path
        self.result = GradingResult(lesson.id, str(submission or ""), student)
        self.points: dict[str, float] = {}
        self.tasks: dict[str, str] = {}
        self._submission = None
        self._reported: set[str] = set()
        #: The submission's files as the intake read them (set by the caller that read them).
        self.files = None
        #: Hidden checks that failed through the grader's own fault (``title: what happened``).
        self.grader_faults: list[str] = []

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

    def pytest_collection(self, session):
        if self.isolate:
            self._open_submission().launch()

    def _open_submission(self):
        from grader.runner.proxy import Submission

        if self._submission is None:
            limits, secrets = None, ()
            if self._lesson.is_model:
                from grader.data.store import data_dir
                from grader.models import child_limits
                from grader.runner.sandbox import gpu_devices

                limits = child_limits(gpu=self.device != "cpu" and bool(gpu_devices()))
                secrets = (str(data_dir(self.data_dir)),)
            self._submission = Submission(
                self.files or self.submission_path, self._lesson.modules, self.call_timeout_s, limits=limits, handles=self._lesson.handles, secrets=secrets,
                warm_start=not self._lesson.is_model, preload=self._lesson.preload,
            )
        return self._submission

    # -- fixtures --------------------------------------------------------------------------
    @pytest.fixture(scope="session")
    def lesson(self) -> Lesson:
        """The lesson being graded."""
        return self._lesson

    @pytest.fixture(scope="session")
    def grading_options(self) -> dict:
        """How this grading was asked for: ``device`` (auto, cpu, cuda) and ``data_dir``."""
        return {"device": self.device, "data_dir": self.data_dir}

    @pytest.fixture(scope="session")
    def submission(self):
        """The isolated child of the submission (for hidden suites that drive it directly)."""
        return self._open_submission()

    @pytest.fixture(scope="session")
    def student(self):
        """The student's module: in an isolated child process behind a proxy when grading,
        imported here (from ``--submission`` or the test's folder) for public checks."""
        if not self.isolate:
            return self._import_in_process()
        from grader.runner.proxy import ModuleProxy

        return ModuleProxy(self._open_submission(), self._lesson.module)

    def _import_in_process(self):
        for module in self._lesson.modules:
            sys.modules.pop(module, None)
        if self.submission_path is not None and str(self.submission_path) not in sys.path:
            sys.path.insert(0, str(self.submission_path))  # removed when the session ends
        return importlib.import_module(self._lesson.module)

    @pytest.fixture(scope="session")
    def reference(self):
        """The reference solution of the lesson, imported in the grader's process."""
        from grader.paths import load_reference

        return load_reference(self._lesson.id, self._lesson.module)

    # -- running: per-test time limit, outcomes --------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        """Hidden checks: setup, call and teardown without logging each report (nobody reads
        the terminal of a grading run; outcomes are collected from the reports themselves)."""
        if not self.isolate:
            return None
        from _pytest.runner import runtestprotocol

        runtestprotocol(item, nextitem=nextitem, log=False)
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        if self.isolate:
            if self._submission is not None:
                self._submission.deadline = time.monotonic() + self._lesson.test_timeout_s
        elif hasattr(signal, "SIGALRM"):
            signal.signal(signal.SIGALRM, _raise_timeout)
            signal.setitimer(signal.ITIMER_REAL, self._lesson.test_timeout_s)
        try:
            return (yield)
        finally:
            if self._submission is not None:
                self._submission.deadline = None
            if not self.isolate and hasattr(signal, "SIGALRM"):
                signal.setitimer(signal.ITIMER_REAL, 0)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        done = report.when == "call" or (report.when == "setup" and not report.passed)
        if done and item.nodeid not in self._reported and item.nodeid in self.tasks:
            self._reported.add(item.nodeid)
            self.result.tests.append(self._test_result(item, call, report))
            for name, value in item.user_properties:
                if name == DETAILS_PROPERTY and isinstance(value, dict):
                    self.result.details.update(value)
        return report

    def _test_result(self, item, call, report) -> TestResult:
        points = self.points.get(item.nodeid, 0.0)
        if report.passed:
            status = "passed"
            message = next((str(value) for name, value in item.user_properties if name == MESSAGE_PROPERTY), "")
        elif report.skipped:
            status, message = "error", f"check skipped: {report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr}"
        else:
            status, message = _status_of(call.excinfo), _message_of(call.excinfo, self.tasks[item.nodeid])
            if self.isolate and not _is_students(call.excinfo.value, report.when):
                self.grader_faults.append(f"{test_title(item)}: {_grader_fault(call.excinfo)}")
        return TestResult(
            name=test_title(item),
            task=self.tasks[item.nodeid],
            score=points if status == "passed" else 0.0,
            max_score=points,
            status=status,
            message=message,
        )

    def final_result(self) -> GradingResult:
        """The grading's result: ``grader-error`` when a hidden check failed through the
        grader's fault (see :func:`_is_students`), else the tests collected, with what the
        intake refused."""
        if self.grader_faults:
            faults = self.grader_faults
            more = f" (and {len(faults) - 1} more)" if len(faults) > 1 else ""
            message = f"a hidden check failed inside the grader: {faults[0]}{more}; {NOT_THE_STUDENTS}"
            return GradingResult.grader_error(self.result.lesson, self.result.submission, message, self.result.student)
        files = self.files or (self._submission.files if self._submission is not None else None)
        self.result.refused = [refusal.to_dict() for refusal in files.refused] if files is not None else []
        return self.result

    def pytest_sessionfinish(self, session):
        if not self.isolate and self.submission_path is not None and str(self.submission_path) in sys.path:
            sys.path.remove(str(self.submission_path))
        final = self.final_result() if self.isolate else self.result
        if self._submission is not None:
            self._submission.close()
            self._submission = None
        if self.results_path:
            Path(self.results_path).write_text(json.dumps(final.to_dict(), indent=2))
