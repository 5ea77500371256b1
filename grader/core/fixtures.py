"""The pytest fixtures that the hidden suites and public checks use, as module-level functions
(pytest deprecates session fixtures defined on a plugin object): each asks the running
:class:`grader.core.collector.ResultCollector`, which puts itself in the config's stash."""

from __future__ import annotations

import pytest

#: Where the running :class:`grader.core.collector.ResultCollector` puts itself.
COLLECTOR = pytest.StashKey[object]()


def _collector(request):
    return request.config.stash[COLLECTOR]


@pytest.fixture(scope="session")
def lesson(request):
    """The lesson being graded."""
    return _collector(request).lesson


@pytest.fixture(scope="session")
def grade_request(request):
    """How this grading was asked for (device and data directory of a model lesson)."""
    return _collector(request).request


@pytest.fixture(scope="session")
def submission(request):
    """The isolated child of the submission (for hidden suites that drive it directly)."""
    return _collector(request).submission_child()


@pytest.fixture(scope="session")
def student(request):
    """The student's module: in an isolated child behind a proxy when grading, imported in
    this process for the public checks."""
    return _collector(request).student_module()


@pytest.fixture(scope="session")
def reference(request):
    """The reference solution of the lesson, imported in the grader's process."""
    return _collector(request).reference_module()
