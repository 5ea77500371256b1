"""Run a pytest suite in this process with a :class:`~grader.core.collector.ResultCollector`, quietly."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

import pytest

from grader.core import interrupts
from grader.core.collector import ResultCollector
from grader.core.results import GradingResult
from grader.errors import SuiteError


def run_suite(
    targets: list[Path], collector: ResultCollector, *, ini: Path | None = None, extra_args=(), forget_modules: bool = False
) -> GradingResult:
    """Run pytest on ``targets`` with ``collector`` registered and return its result.

    pytest's terminal reporter is not loaded (nobody reads a grading's terminal, and logging
    each test's report costs a batch time); what it would say when the suite fails to run
    (collection errors, usage errors) is kept and raised as :class:`SuiteError`. Third-party
    pytest plugins are not loaded: only the grader's (faster, and nothing else hooks the run).
    ``forget_modules``: drop the suite's test modules afterwards (see :func:`_forget_test_modules`);
    hidden suites keep theirs, so a batch worker imports each suite once.
    """
    args = [str(target) for target in targets]
    args += ["-p", "no:terminal", "-p", "grader.plugin", "-p", "no:cacheprovider", "--import-mode=importlib", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    # Unraisable and thread exceptions are reported by plugins that run gc.collect() per
    # session, and log capture wraps every test phase: a grading has no use for them, and a
    # batch pays them for every submission.
    args += ["-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:logging"]
    if ini is not None:
        args += ["-c", str(ini), "--rootdir", str(ini.parent)]
    args += list(extra_args)
    output = io.StringIO()
    forgetting = _forget_test_modules(targets) if forget_modules else contextlib.nullcontext()
    collector.quiet = True
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output), _no_plugin_autoload(), forgetting:
        code = pytest.main(args, plugins=[collector])
    interrupts.raise_if_stopped()  # pytest ends its session on Ctrl-C and returns: the batch must stop
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not collector.result.tests:
        names = ", ".join(str(target) for target in targets)
        said = "\n".join([*collector.collection_errors, output.getvalue()]).strip()
        raise SuiteError(f"pytest could not run {names} (exit {int(code)}):\n{said[-3000:]}")
    return collector.result


@contextlib.contextmanager
def _forget_test_modules(targets: list[Path]):
    """Drop the suite's test modules from ``sys.modules`` afterwards: two lessons' public
    checks may share a module name (``test_model``), and a later run must not reuse the
    first one's."""
    folders = [str(Path(target).resolve().parent if Path(target).is_file() else Path(target).resolve()) for target in targets]
    try:
        yield
    finally:
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None) or ""
            if any(path.startswith(folder + os.sep) for folder in folders) and Path(path).name.startswith("test_"):
                del sys.modules[name]


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
