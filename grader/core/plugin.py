"""The grader's pytest plugin: the ``task`` and ``points`` markers, and grading switched on.

Registered through the ``pytest11`` entry point, so any pytest run where nn-grader is
installed knows the markers; this module imports nothing but pytest and the result's keys, so a run that grades
nothing (a student's own project) pays nothing for it. Grading is switched on by ``--lesson``
(or ``grader_lesson`` in a released lesson's ``pytest.ini``: the public checks), with
``--submission`` for a student's folder graded in an isolated child process: only then is
:class:`grader.core.collector.ResultCollector` loaded and registered.

Points: a task's points (from the lesson catalogue) are shared equally by its tests, unless a
test carries ``@pytest.mark.points(x)``.
"""

from __future__ import annotations

import pytest

from grader.core.results import DETAILS_PROPERTY, MESSAGE_PROPERTY

__all__ = ["DETAILS_PROPERTY", "MESSAGE_PROPERTY", "task_param"]


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
    already = any(getattr(plugin, "is_grader_collector", False) for plugin in config.pluginmanager.get_plugins())
    if lesson_id and not already:
        from grader.core.collector import collector_for_options

        config.pluginmanager.register(collector_for_options(config, lesson_id), "grader-collector")


def task_param(name: str, *values, task: str | None = None):
    """A ``pytest.param`` marked with its task (``name`` unless ``task`` is given)."""
    return pytest.param(*(values or (name,)), marks=pytest.mark.task(task or name), id=name)
