"""Where a grading's student code runs: its isolated child, or (public checks) this process.

:func:`open_child` sets up the child of one submission as the lesson needs it: the resource
limits and GPU access of a model lesson, the paths the child must never read (the reference
solutions, the hidden suites, the data directory with its test labels), the lessons' trusted
helpers, and a warm start from a zygote for the numpy lessons. :func:`import_in_process` and
:func:`alarm` are the public checks' side: the student's module imported here, under a
per-test time limit.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import os
import signal
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from grader.course.catalogue import Lesson
from grader.course.paths import PACKAGE_DIR
from grader.errors import StudentTimeout

if TYPE_CHECKING:
    from grader.core.request import GradeRequest
    from grader.runner.intake import SubmissionFiles
    from grader.runner.proxy import IsolatedSubmission

#: The engine's trusted helpers, copied beside the child's runner (see the file's docstring).
CHILD_KIT = PACKAGE_DIR / "kit" / "child_kit.py"
#: ``0`` sends no call ahead to a submission's child (:class:`grader.runner.proxy.CallPlan`).
SEND_AHEAD_ENV = "GRADER_SEND_AHEAD"


def helper_files(lesson: Lesson) -> tuple[Path, ...]:
    """The trusted modules installed beside the child's runner: the engine's and the lesson's
    own ``hidden/child_helpers.py`` where it has one."""
    from grader.course.paths import CHILD_HELPERS, hidden_dir

    own = hidden_dir(lesson.id) / CHILD_HELPERS
    return (CHILD_KIT, own) if own.is_file() else (CHILD_KIT,)


def answer_paths(data_dir: str | Path | None = None) -> tuple[str, ...]:
    """What a child must never read: the lesson folders (reference solutions and hidden
    suites), the data directory (the model lessons' test labels) and the grader's cache (expected
    values), where they exist."""
    from grader.course.paths import cache_root, reference_root
    from grader.data.store import data_dir as resolve

    cache = cache_root()
    if cache is not None:
        try:  # made now, so that the answers hidden from every child stay the same
            cache.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            pass
    paths = [reference_root(), resolve(data_dir), *filter(None, [cache])]
    return tuple(str(path.resolve()) for path in paths if path.exists())


def open_child(lesson: Lesson, request: GradeRequest, files: SubmissionFiles | Path) -> IsolatedSubmission:
    """The (not yet started) isolated child of the submission ``files`` of ``lesson``."""
    from grader.runner.proxy import IsolatedSubmission

    limits = None
    if lesson.framework_sized:
        from grader.core.model_lessons import child_limits
        from grader.runner.sandbox import gpu_devices

        limits = child_limits(gpu=request.device != "cpu" and bool(gpu_devices()))
    return IsolatedSubmission(
        files,
        lesson.modules,
        request.call_timeout_s or lesson.call_timeout_s,
        limits=limits,
        handles=lesson.handles,
        secrets=answer_paths(request.data_dir),
        warm_start=not lesson.framework_sized,
        preload=lesson.preload,
        helper_files=helper_files(lesson),
        plan_key=plan_key(lesson),
    )


def plan_key(lesson: Lesson) -> str | None:
    """Whose call plan a child of ``lesson`` gets (:class:`grader.runner.proxy.CallPlan`): the
    lesson's, for lessons of plain functions. None (every call alone) where the checks keep the
    student's objects in the child (``handles``: a call sent ahead that the checks end up not
    making could change an object's state before the calls that follow) or train models against
    budgets, and with ``$GRADER_SEND_AHEAD=0``. A plan's calls run in the child before the checks
    ask for them, in another order: a lesson whose checks carry state from one call to the next
    in the child (a helper that seeds a generator for the calls after it) sets ``handles``."""
    if lesson.framework_sized or lesson.handles or os.environ.get(SEND_AHEAD_ENV) == "0":
        return None
    return lesson.id


def import_in_process(lesson: Lesson, folder: Path | None) -> ModuleType:
    """The student's module of ``lesson`` imported in this process, from ``folder`` (put first
    on ``sys.path`` until :func:`forget_folder`) or, without one, from the current path."""
    for module in lesson.modules:
        sys.modules.pop(module, None)
    if folder is not None and str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(lesson.module)


def limit_calls(module: ModuleType, seconds: float) -> ModuleType:
    """``module`` with each of its own functions stopped after ``seconds`` of CPU time per call
    (the lesson's call limit; grading counts wall time in the child, pinned to one thread), with
    a message naming the function, raised again every second should the student's code catch
    it: what ``grade check`` runs in the student's own process. A call that sleeps is left to
    the per-test limit."""
    for name, value in list(vars(module).items()):
        if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_"):
            setattr(module, name, _limited(value, seconds))
    return module


_RUNNING: list[str] = []


def _limited(function, seconds: float):
    @functools.wraps(function)
    def call(*args, **kwargs):
        if _RUNNING or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGPROF"):
            return function(*args, **kwargs)  # a call inside a limited one is under its limit

        def stop(signum, frame):
            raise StudentTimeout(f"{function.__name__} did not finish within {seconds:g} s (an endless loop, or far too slow)")

        _RUNNING.append(function.__name__)
        previous = signal.signal(signal.SIGPROF, stop)
        signal.setitimer(signal.ITIMER_PROF, seconds, 1.0)
        try:
            return function(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)
            _RUNNING.pop()

    return call


def forget_folder(folder: Path | None) -> None:
    """Undo :func:`import_in_process`'s change to ``sys.path``."""
    if folder is not None and str(folder) in sys.path:
        sys.path.remove(str(folder))


def _raise_timeout(signum, frame):
    raise StudentTimeout("the check did not finish in time (an endless loop, or far too slow)")


@contextlib.contextmanager
def alarm(seconds: float):
    """Raise :class:`StudentTimeout` in this process when the block runs past ``seconds``
    (where the platform has ``SIGALRM``; elsewhere no limit)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return
    signal.signal(signal.SIGALRM, _raise_timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
