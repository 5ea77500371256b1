"""The pytest fixtures that the hidden suites and public checks use, as module-level functions
(pytest deprecates session fixtures defined on a plugin object): each asks the running
:class:`grader.core.collector.ResultCollector`, which makes itself this thread's
(:func:`activate`) when pytest configures a run.

The fixtures do not ask for pytest's ``request``: a fixture that does puts ``request`` in every
test's closure, and pytest builds a new fixture definition for it at every test's set-up (a
tenth of a hidden suite's own time)."""

from __future__ import annotations

import threading

import pytest

_ACTIVE = threading.local()


def activate(collector) -> None:
    """Make ``collector`` (a :class:`grader.core.collector.ResultCollector`) the one this
    thread's fixtures ask (pytest runs a session's fixtures in the thread that runs it)."""
    _ACTIVE.collector = collector


def deactivate(collector) -> None:
    """Forget ``collector`` once its run has ended (if it is still this thread's)."""
    if getattr(_ACTIVE, "collector", None) is collector:
        _ACTIVE.collector = None


def _collector():
    collector = getattr(_ACTIVE, "collector", None)
    if collector is None:
        raise RuntimeError("the grader's fixtures are used outside a grading run (no ResultCollector is active in this thread)")
    return collector


@pytest.fixture(scope="session")
def lesson():
    """The lesson being graded."""
    return _collector().lesson


@pytest.fixture(scope="session")
def grade_request():
    """How this grading was asked for (device and data directory of a model lesson)."""
    return _collector().request


@pytest.fixture(scope="session")
def submission():
    """The isolated child of the submission (for hidden suites that drive it directly)."""
    return _collector().submission_child()


@pytest.fixture(scope="session")
def student():
    """The student's module: in an isolated child behind a proxy when grading, imported in
    this process for the public checks."""
    return _collector().student_module()


@pytest.fixture(scope="session")
def reference():
    """The reference solution of the lesson, imported in the grader's process."""
    return _collector().reference_module()
