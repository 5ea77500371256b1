"""Run a pytest suite in this process with a :class:`~grader.core.collector.ResultCollector`, quietly:
once (:func:`run_suite`), or collected once and run for submission after submission
(:class:`CollectedSuite`, what the hidden checks use)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from pathlib import Path

import pytest

from grader.core import interrupts
from grader.core.collector import ResultCollector
from grader.core.results import GradingResult
from grader.errors import SuiteError

#: Called after the grading running in this thread (:func:`after_each_run`).
_AFTER_RUN = threading.local()


def _pending() -> list:
    if not hasattr(_AFTER_RUN, "callbacks"):
        _AFTER_RUN.callbacks = []
    return _AFTER_RUN.callbacks


def after_each_run(callback) -> None:
    """Call ``callback()`` once after the grading now running in this thread (what it computed
    is saved then)."""
    pending = _pending()
    if callback not in pending:
        pending.append(callback)


def run_after_callbacks() -> None:
    """Call (and forget) what :func:`after_each_run` registered in this thread; a failing one
    is skipped: a cache that cannot be written costs a grading nothing."""
    pending = _pending()
    while pending:
        callback = pending.pop(0)
        try:
            callback()
        except Exception:  # noqa: BLE001, S112 - see the docstring
            continue


def pytest_args(targets: list[Path], ini: Path | None, extra_args=()) -> list[str]:
    """pytest's arguments for a quiet grading run of ``targets`` (see :func:`run_suite`)."""
    args = [str(target) for target in targets]
    args += ["-p", "no:terminal", "-p", "grader.plugin", "-p", "no:cacheprovider", "--import-mode=importlib", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    # Unraisable and thread exceptions are reported by plugins that run gc.collect() per
    # session, log capture wraps every test phase, and --setup-only/--setup-plan wrap every
    # fixture's set-up: a grading has no use for them, and a batch pays them for every submission.
    args += ["-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:logging", "-p", "no:setuponly", "-p", "no:setupplan"]
    if ini is not None:
        args += ["-c", str(ini), "--rootdir", str(ini.parent)]
    return args + list(extra_args)


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
    args = pytest_args(targets, ini, extra_args)
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


class CollectedSuite:
    """A hidden suite configured and collected once, then run for each submission: what a
    pytest run rebuilds every time (configuration, session start, collection of every test)
    is done once per process and lesson (:func:`collected_suite`).

    Each :meth:`run` registers the submission's own collector, gives it the collected tests
    (it computes their tasks and points as a fresh run would), starts its child, runs every
    test with pytest's own ``runtestprotocol`` (setup, call, teardown, reports, per-test time
    limits: the same hooks), tears every fixture down after the last test (session-scoped
    ones too: the next submission's are set up fresh), and closes the child. A run that ends
    in an error of its own leaves the suite unusable: it is collected again next time.
    """

    def __init__(self, targets: list[Path], first: ResultCollector, *, ini: Path | None = None, extra_args=()):
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        self.broken = False
        output = io.StringIO()
        first.quiet, first.launch_on_collection = True, False
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output), _no_plugin_autoload():
            try:
                self.config = _prepareconfig(pytest_args(targets, ini, extra_args), plugins=[first])
                self.config._do_configure()
                self.session = Session.from_config(self.config)
                self.config.hook.pytest_sessionstart(session=self.session)
                self.session.perform_collect()
            except Exception as error:  # noqa: BLE001 - a suite that cannot be collected is the grader's problem
                said = "\n".join([*first.collection_errors, f"{type(error).__name__}: {error}", output.getvalue()]).strip()
                raise SuiteError(f"pytest could not run {', '.join(map(str, targets))} (collecting it failed):\n{said[-3000:]}") from None
        self.config.pluginmanager.unregister(first)
        if first.collection_errors or not self.session.items:
            said = "\n".join([*first.collection_errors, output.getvalue()]).strip()
            raise SuiteError(f"pytest could not run {', '.join(map(str, targets))} (it collected no test):\n{said[-3000:]}")
        self.items = list(self.session.items)

    def run(self, collector: ResultCollector) -> GradingResult:
        """Run every collected test for ``collector``'s submission; its result."""
        from _pytest.runner import runtestprotocol

        collector.quiet = True
        self.config.pluginmanager.register(collector)
        try:
            collector.pytest_configure(self.config)
            items = list(self.items)
            collector.pytest_collection_modifyitems(self.session, self.config, items)
            collector.pytest_collection(self.session)
            for index, item in enumerate(items):
                item.user_properties.clear()  # what the previous submission's run recorded
                item._report_sections.clear()
                runtestprotocol(item, log=False, nextitem=items[index + 1] if index + 1 < len(items) else None)
                interrupts.raise_if_stopped()
        except BaseException:
            self.broken = True
            raise
        finally:
            try:
                self.session._setupstate.teardown_exact(None)
            except BaseException:  # noqa: BLE001 - a fixture that fails its teardown: collect afresh next time
                self.broken = True
            collector.pytest_sessionfinish(self.session)
            self.config.pluginmanager.unregister(collector)
        if not collector.result.tests:
            raise SuiteError("the hidden suite ran no test")
        return collector.result


#: The collected hidden suites of this process: ``{(folder, its files' signature, options, thread): suite}``.
_COLLECTED: dict[tuple, CollectedSuite] = {}


def collected_suite(folder: Path, first: ResultCollector, *, ini: Path | None = None, extra_args=()) -> CollectedSuite:
    """The hidden suite in ``folder`` collected once in this process (again when one of its
    files changed, or the last run left it broken)."""
    folder = Path(folder).resolve()
    signature = tuple(sorted((path.name, path.stat().st_mtime_ns, path.stat().st_size) for path in folder.rglob("*.py")))
    # Per thread: one collected suite runs one submission at a time (a Dask worker started with
    # several threads grades several at once).
    key = (str(folder), signature, str(ini), tuple(extra_args), threading.get_ident())
    suite = _COLLECTED.get(key)
    if suite is None or suite.broken:
        for stale in [k for k in _COLLECTED if k[0] == key[0] and k[-1] == key[-1]]:
            del _COLLECTED[stale]
        suite = _COLLECTED[key] = CollectedSuite([folder], first, ini=ini, extra_args=extra_args)
    return suite
