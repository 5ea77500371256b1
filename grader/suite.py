"""Run a pytest suite in this process with a :class:`ResultCollector`, quietly."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from grader.plugin import ResultCollector
from grader.results import GradingResult


class SuiteError(RuntimeError):
    """The suite itself could not run (collection or usage error): a grader problem."""


def run_suite(targets: list[Path], collector: ResultCollector, *, ini: Path | None = None, extra_args=()) -> GradingResult:
    """Run pytest on ``targets`` with ``collector`` registered and return its result.

    pytest's own output is captured; it is shown only when the suite fails to run.
    """
    args = [str(target) for target in targets]
    args += ["-q", "--tb=no", "-p", "no:cacheprovider", "--import-mode=importlib", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if ini is not None:
        args += ["-c", str(ini), "--rootdir", str(ini.parent)]
    args += list(extra_args)
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not collector.result.tests:
        names = ", ".join(str(target) for target in targets)
        raise SuiteError(f"pytest could not run {names} (exit {int(code)}):\n{output.getvalue()[-3000:]}")
    return collector.result
