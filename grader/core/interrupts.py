"""Stopping a batch cleanly: Ctrl-C (SIGINT) or SIGTERM while ``grade autograde`` grades.

The main process: the first signal raises :class:`Interrupted` where it is, so the batch stops
grading at once and its caller writes the outputs of what was graded; a second signal exits at
once and quietly (``128 + signal``), after killing the workers it knows of. A worker of a
local pool ignores SIGINT (the terminal sends it to the whole process group: the main process
decides) and stops on SIGTERM from the main process: it kills the child of the submission it
grades and removes its folder (:func:`grader.runner.proxy.stop_all`), stops its warm
sandboxes (:func:`grader.runner.zygote.close_all`) and exits.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: The signals that stop a batch.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Processes to kill if a second signal comes while the first one's stop is under way.
_WORKER_PIDS: set[int] = set()
#: The signal that stopped this process's batch, once one has.
_STOPPED: list[int] = []


class Interrupted(KeyboardInterrupt):
    """The batch was stopped by ``signum``; its exit code is ``128 + signum`` (130 for Ctrl-C).
    A KeyboardInterrupt, so that a hidden suite running under pytest in this process ends its
    session (pytest then returns, and :func:`raise_if_stopped` raises it again)."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block: the first SIGINT or SIGTERM raises :class:`Interrupted`, a second
    one kills the known workers and exits at once with ``128 + signum``, printing nothing."""

    def second(signum, frame):
        for pid in list(_WORKER_PIDS):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os._exit(128 + signum)

    def first(signum, frame):
        for stop in STOP_SIGNALS:
            signal.signal(stop, second)
        _STOPPED[:] = [signum]
        raise Interrupted(signum)

    previous = {stop: signal.signal(stop, first) for stop in STOP_SIGNALS}
    try:
        yield
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)
        _STOPPED.clear()


def exit_stopped(code: int) -> None:
    """End a stopped batch's process with ``code`` once its outputs are written: its warm
    sandboxes are closed here, and the interpreter's own exit, which could wait on a pool
    thread whose worker died mid-answer, is skipped."""
    import sys

    from grader.runner import zygote

    zygote.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def raise_if_stopped() -> None:
    """Raise :class:`Interrupted` again if a signal stopped this process's batch."""
    if _STOPPED:
        raise Interrupted(_STOPPED[0])


def track_workers(pids: Callable[[], list[int]]) -> Callable[[], None]:
    """Remember the worker processes ``pids()`` for a second signal; returns the forget call."""
    known = set(pids())
    _WORKER_PIDS.update(known)
    return lambda: _WORKER_PIDS.difference_update(known)


def _stop_worker(signum, frame) -> None:
    """SIGTERM in a pool worker: stop its children and warm sandboxes, remove their folders,
    exit. Done here, not by an exception: the hidden suite runs under pytest, which would take
    any exception for a failed check and go on."""
    from grader.runner import proxy, zygote

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the group's and the main process's both come
    try:
        proxy.stop_all()
        zygote.close_all()
    finally:
        os._exit(0)


def init_worker() -> None:
    """Signal handling of a pool worker (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
