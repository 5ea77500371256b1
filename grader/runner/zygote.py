"""Warm starts: one confined process per grading process that forks a fresh child per submission.

Starting a confined child costs an interpreter, numpy's import and the sandbox's set-up
(0.07 s, and 0.18 s when the student imports ``scipy.special``). A zygote pays that once: it
is started confined exactly as a child would be (bubblewrap, or private namespaces with the
answers hidden) in a fixed folder, the *slot*, imports numpy and the lesson's ``preload``
modules, and then only forks. Each forked child confines itself further as a fresh one does (its own System V IPC
namespace, resource limits, its own unprivileged user, no new privileges) before it imports the
student's modules from ``slot/submission``, refilled with a fresh copy of each submission.

Nothing of one submission reaches the next: the zygote never runs student code; it is handed
back (:func:`release`) only once every process of the child's user is killed (its children share
the zygote's sandbox, whose ``/tmp`` and ``/dev/shm`` they cannot write); the slot's submission folder is then replaced. Used only where children run as
their own user (the grader is root); ``$GRADER_ZYGOTE=0`` turns warm starts off.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

from grader.errors import GraderFault
from grader.runner import protocol, sandbox, scratch

ANSWER_TIMEOUT_S = 10.0


class ZygoteFailed(GraderFault, RuntimeError):
    """The zygote did not answer (the caller starts a child the usual way)."""


class Zygote:
    """A warm, confined process that forks children in its slot folder."""

    def __init__(self, limits: sandbox.Limits, secrets: tuple[str, ...], preload: tuple[str, ...], environment, helper_files: tuple[str, ...] = ()):
        self.owner = os.getpid()
        self.busy = False
        self.stored: set[str] = set()
        #: The number of the call plan this zygote keeps for its children (:meth:`keep_plan`).
        self.plan_number: int | None = None
        self.broken = False
        self.slot = scratch.make_folder("slot")
        (self.slot / "submission").mkdir()
        sandbox.install_runner(self.slot, helper_files)
        self.secrets = secrets
        os.chmod(self.slot, 0o711)
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = sandbox.zygote_command(self.slot / "runner" / "child.py", self.slot, theirs.fileno(), limits, secrets, preload, tuple(Path(path).stem for path in helper_files))
        self.process = subprocess.Popen(
            command,
            cwd=self.slot,
            env=environment(str(self.slot / "submission"), limits),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("GRADER_DEBUG_CHILD") else subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
        )
        theirs.close()

    def store(self, request: dict, blobs: list) -> None:
        """Keep a named value (a ``store`` request of the protocol) for the children forked
        from now on; on failure they are simply sent it again."""
        if self._send_to_keep(request, blobs):
            self.stored.add(str(request["key"]))

    def keep_plan(self, number: int, requests: list, blobs: list) -> None:
        """Keep the call plan ``number`` (the ``requests`` of a ``many`` message, with their
        arrays) for the children forked from now on: they are then sent only ``many`` with
        ``kept`` (see :class:`grader.runner.proxy.CallPlan`); on failure they are sent the plan."""
        self.plan_number = None
        if self._send_to_keep({"plan": requests}, blobs):
            self.plan_number = number

    def _send_to_keep(self, request: dict, blobs: list) -> bool:
        """Send a protocol message for the zygote to keep; whether it did."""
        try:
            read_end, write_end = protocol.make_pipe()
        except OSError:  # out of descriptors: the children are sent it instead
            return False
        writer = threading.Thread(target=_write_and_close, args=(write_end, request, blobs), daemon=True)
        try:
            writer.start()
        except RuntimeError:  # no thread to be had
            os.close(read_end)
            os.close(write_end)
            return False
        try:
            self._ask({"op": "store"}, [read_end], close_on_failure=False)
        except ZygoteFailed:
            self.broken = True  # a late answer would be taken for the next one's
            return False
        finally:
            os.close(read_end)
            writer.join(ANSWER_TIMEOUT_S)
        return True

    def alive(self) -> bool:
        return not self.broken and self.process.poll() is None

    def fork(self, submission, modules: list[str], options: dict, uid: int) -> tuple[int, int, int]:
        """Refill the slot with ``submission`` (a :class:`grader.runner.intake.SubmissionFiles`) and fork a child serving ``modules``; returns
        ``(pid in the zygote's namespace, fd to write to it, fd to read from it)``."""
        sandbox.copy_submission(submission, self.slot, uid, self.secrets)
        to_child_r, to_child_w = protocol.make_pipe()
        from_child_r, from_child_w = protocol.make_pipe()
        try:
            request = {"op": "fork", "modules": list(modules), "options": {**options, "uid": uid}}
            answer = self._ask(request, [to_child_r, from_child_w])
        except ZygoteFailed:
            for fd in (to_child_w, from_child_r):
                os.close(fd)
            raise
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        if not isinstance(answer.get("pid"), int):
            self.broken = True
            for fd in (to_child_w, from_child_r):
                os.close(fd)
            raise ZygoteFailed("the zygote did not fork")
        return answer["pid"], to_child_w, from_child_r

    def exit_code(self, pid: int) -> int | None:
        """How the forked child ``pid`` ended (negative: the signal), or None if unknown."""
        try:
            return self._ask({"op": "status", "pid": pid}).get("exit_code")
        except ZygoteFailed:
            return None

    def _ask(self, request: dict, fds=(), close_on_failure: bool = True) -> dict:
        try:
            socket.send_fds(self._control, [json.dumps(request).encode()], list(fds))
            ready, _, _ = select.select([self._control], [], [], ANSWER_TIMEOUT_S)
            answer = json.loads(self._control.recv(1 << 16)) if ready else None
        except (OSError, ValueError):
            answer = None
        if not isinstance(answer, dict) or "error" in answer:
            if close_on_failure:
                self.close()
            raise ZygoteFailed("the zygote did not answer")
        return answer

    def close(self) -> None:
        """Stop the zygote (its children die with its PID namespace or are killed by user)."""
        self._control.close()
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait()
        shutil.rmtree(self.slot, ignore_errors=True)


def _write_and_close(fd: int, request: dict, blobs: list) -> None:
    with os.fdopen(fd, "wb") as stream:
        try:
            protocol.write_message(stream, request, blobs)
        except OSError:
            pass


_ZYGOTES: dict = {}


def enabled() -> bool:
    """Warm starts are used where children run as their own user, inside a sandbox that the
    zygote can share with them (bubblewrap or private namespaces), unless ``$GRADER_ZYGOTE=0``."""
    protections = sandbox.detect()
    wanted = os.environ.get("GRADER_ZYGOTE", "1") != "0"
    return wanted and protections.drop_user and (protections.bubblewrap or protections.namespaces)


def acquire(
    modules: list[str], limits: sandbox.Limits, secrets: tuple[str, ...], preload: tuple[str, ...], environment, helper_files: tuple[str, ...] = ()
) -> Zygote | None:
    """This thread's idle zygote for the lesson's ``modules``, ``limits``, ``secrets``,
    ``preload`` and ``helper_files`` (started on first use, with the environment ``environment(home, limits)``),
    marked busy; None when warm starts are off or it is in use (the caller then starts a child
    itself)."""
    if not enabled() or limits.gpu:
        return None
    # Per thread too: the zygote dies with the thread that started it (bubblewrap's
    # --die-with-parent, PR_SET_PDEATHSIG), as a Dask worker's task threads may.
    key = (tuple(modules), limits.threads, tuple(secrets), tuple(preload), tuple(helper_files), os.getpid(), threading.get_ident(), sandbox.detect())
    zygote = _ZYGOTES.get(key)
    if zygote is not None and zygote.busy:
        return None
    if zygote is not None and not zygote.alive():
        zygote.close()
        zygote = None
    if zygote is None:
        zygote = _ZYGOTES[key] = Zygote(limits, secrets, tuple(preload), environment, tuple(helper_files))
    zygote.busy = True
    return zygote


def release(zygote: Zygote) -> None:
    """Give the zygote back for the next submission."""
    zygote.busy = False


@atexit.register
def close_all() -> None:
    """Stop this process's zygotes and remove their slots (at exit, and when a worker is stopped)."""
    for zygote in list(_ZYGOTES.values()):
        if zygote.owner == os.getpid():
            zygote.close()
    _ZYGOTES.clear()
