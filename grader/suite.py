"""Run a pytest suite in this process with a :class:`ResultCollector`, quietly."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

from grader.plugin import ResultCollector
from grader.results import GradingResult


class SuiteError(RuntimeError):
    """The suite itself could not run (collection or usage error): a grader problem."""


def run_suite(targets: list[Path], collector: ResultCollector, *, ini: Path | None = None, extra_args=()) -> GradingResult:
    """Run pytest on ``targets`` with ``collector`` registered and return its result.

    pytest's own output is captured; it is shown only when the suite fails to run. Third-party
    pytest plugins are not loaded: only the grader's (faster, and nothing else hooks the run).
    """
    args = [str(target) for target in targets]
    args += ["-q", "--tb=no", "-p", "grader.plugin", "-p", "no:cacheprovider", "--import-mode=importlib", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if ini is not None:
        args += ["-c", str(ini), "--rootdir", str(ini.parent)]
    args += list(extra_args)
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output), _no_plugin_autoload():
        code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not collector.result.tests:
        names = ", ".join(str(target) for target in targets)
        raise SuiteError(f"pytest could not run {names} (exit {int(code)}):\n{output.getvalue()[-3000:]}")
    return collector.result


@contextlib.contextmanager
def _no_plugin_autoload():
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
