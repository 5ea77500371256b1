"""The grader's side of the child process: start it, call the student's functions, stop it.

``IsolatedSubmission`` owns one child per submission, reused across tests, restarted after a crash or
a timeout, and killed with its whole process group on ``close``. A call's arguments and result
cross as :mod:`grader.runner.protocol` messages; every comparison happens in the grader.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import StudentCrash, StudentError, StudentTimeout
from grader.runner import allocator, protocol, sandbox, scratch, zygote
from grader.runner.intake import SubmissionFiles, read_submission

DEFAULT_CALL_TIMEOUT_S = 10.0
START_TIMEOUT_S = 30.0
#: How often a call under a CPU budget is checked against it, in seconds.
CPU_POLL_S = 0.5


@dataclass
class CallResult:
    """What one call returned: the value, the arguments as the call left them, and warnings."""

    value: object
    args_after: list | None = None
    warnings: list[str] = field(default_factory=list)
    #: How long the call took: the child's CPU time for a timing call (``discard_result``), else wall time.
    seconds: float = 0.0


#: Calls sent ahead (:class:`CallPlan`) may take this long, or this many times what they took
#: last time if more, within the call limit; past it they are dropped and sent one by one.
AHEAD_MIN_S = 2.0
AHEAD_FACTOR = 10.0


@dataclass
class PlannedRequest:
    """One request of a :class:`CallPlan`: the request as the child reads it (JSON: what a later
    request is compared with), the request itself (sent ahead) and its arrays."""

    text: str
    request: dict
    blobs: list


@dataclass
class CallPlan:
    """The requests that the checks of a kind of submission (``plan_key``) may send ahead of
    time: every call of theirs that nobody times, under the usual time limit, with no input
    stored in the child (a timed call, a stored input or a call under another limit needs the
    child to itself, at its own moment).

    A plan is what the last two submissions' children of that kind were asked, as a multiset
    (a request asked twice is planned twice): the first child's requests, then each child's
    with those of the one before that it was not asked (a failing check stops early and asks
    less; the next submission may ask more again). The next child of the same kind is sent the
    whole plan in one message as soon as it has imported the student's code (a child forked by a
    zygote that keeps the plan, :meth:`grader.runner.zygote.Zygote.keep_plan`, has it already and
    is only told to run it). Each request the checks then make is answered from there when the
    plan holds it (the same JSON, arrays equal byte for byte) and its reply is unused, whatever
    the order; any other request goes to the child as usual. The checks thus see the replies
    that the child would have given one call at a time, for functions whose results depend on
    their arguments alone (what ``plan_key`` is given for: lessons of plain functions, never
    objects kept in the child).
    A child that crashes or runs past its time on the plan is replaced by a fresh one and every
    call goes as usual, so a crash or a timeout is charged to the call that causes it, with
    its usual message; a plan that ran past its time is dropped."""

    requests: list[PlannedRequest]
    #: How long the child took over the whole plan last time it was sent ahead; for a new plan,
    #: how long the two children it comes from took over what they were asked (an upper bound).
    seconds: float = 0.0
    #: Where each request's JSON is in :attr:`requests`.
    places: dict[str, list[int]] = field(init=False, repr=False)
    #: This plan among this process's (a zygote that keeps it says so by this number).
    number: int = field(init=False)

    def __post_init__(self):
        self.places = {}
        for index, planned in enumerate(self.requests):
            self.places.setdefault(planned.text, []).append(index)
        self.number = next(_PLAN_NUMBERS)

    def message(self) -> tuple[list[dict], list]:
        """The requests of the ``many`` message that sends this plan, and their arrays."""
        requests: list[dict] = []
        blobs: list = []
        for planned in self.requests:
            requests.append({"request": planned.request, "blobs": [len(blobs), len(planned.blobs)]})
            blobs.extend(planned.blobs)
        return requests, blobs

    def find(self, text: str, blobs: list, used: set[int]) -> int | None:
        """The place of an unused request of this plan that is ``text`` with ``blobs``."""
        for index in self.places.get(text, ()):
            if index not in used and _same_arrays(self.requests[index].blobs, blobs):
                return index
        return None


_PLAN_NUMBERS = itertools.count(1)
#: This process's plans, by ``plan_key`` (a lesson's hidden checks make the same calls for every submission).
_PLANS: dict[str, CallPlan] = {}
#: What the last child of each ``plan_key`` was asked, and how long it took.
_LAST_RECORDED: dict[str, tuple[list[PlannedRequest], float]] = {}


def _with_extras(latest: list[PlannedRequest], previous: list[PlannedRequest]) -> list[PlannedRequest]:
    """``latest``, then each request of ``previous`` that ``latest`` does not hold as often."""
    unmatched: dict[str, list[PlannedRequest]] = {}
    for planned in latest:
        unmatched.setdefault(planned.text, []).append(planned)
    extras = []
    for planned in previous:
        candidates = unmatched.get(planned.text, [])
        match = next((i for i, other in enumerate(candidates) if other is planned or _same_arrays(other.blobs, planned.blobs)), None)
        if match is None:
            extras.append(planned)
        else:
            del candidates[match]
    return latest + extras


def _request_text(request: dict) -> str:
    return json.dumps(request, allow_nan=True)


def _same_arrays(planned: list, blobs: list) -> bool:
    return len(planned) == len(blobs) and all(
        a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes() for a, b in zip(planned, blobs)
    )


def _answers_ahead(header: dict, blobs: list, count: int) -> list[tuple[dict, list]]:
    """Each reply to a plan of ``count`` requests sent ahead, with its arrays; raises
    :class:`protocol.ProtocolError` for anything but ``count`` objects with ranges of ``blobs``."""
    replies, ranges = header.get("replies"), header.get("blobs")
    if not (isinstance(replies, list) and isinstance(ranges, list) and len(replies) == len(ranges) == count):
        raise protocol.ProtocolError("a malformed reply to calls sent ahead")
    answers = []
    for reply, where in zip(replies, ranges):
        if not (isinstance(reply, dict) and isinstance(where, list) and len(where) == 2 and all(type(n) is int and n >= 0 for n in where)):
            raise protocol.ProtocolError("a malformed reply to calls sent ahead")
        start, count_of_blobs = where
        if start + count_of_blobs > len(blobs):
            raise protocol.ProtocolError("a malformed reply to calls sent ahead")
        answers.append((reply, blobs[start:start + count_of_blobs]))
    return answers


def _scrubbed_environment(home: str, limits: sandbox.Limits) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        **allocator.environment(),  # a speed check times the computation, not page faults
    }
    env.update(sandbox.math_threads_environment(limits.threads))
    if limits.threads > 1:
        # Threads that wait for each other sleep instead of spinning: on a busy machine a spin
        # burns the CPU time a model's budget counts without doing any work.
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    if not limits.gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    for keep in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", *(("CUDA_VISIBLE_DEVICES",) if limits.gpu else ())):
        if keep in os.environ:
            env[keep] = os.environ[keep]
    return env


#: The submissions of this process with a child running (what :func:`stop_all` stops).
_LIVE: weakref.WeakSet = weakref.WeakSet()


def stop_all() -> None:
    """Stop every child of this process and remove its folder (a worker told to stop)."""
    for submission in list(_LIVE):
        submission.stop()


class IsolatedSubmission:
    """A student's submission, loaded in a child process and called through a proxy.

    ``path``: the submission (a folder or an archive, read by :func:`grader.runner.intake.read_submission`),
    or its files as already read (:class:`grader.runner.intake.SubmissionFiles`); only those files reach
    the child, written afresh for every child it starts. ``modules`` are the module names (file
    stems) the student writes; ``secrets`` are the paths the child must never read (the
    answers); ``helper_files`` are trusted modules installed beside the child's runner, whose
    ``HELPERS`` a :class:`Program` may apply (:meth:`Program.helper`).
    """

    def __init__(
        self,
        path: Path | SubmissionFiles,
        modules: list[str],
        call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
        limits: sandbox.Limits | None = None,
        handles: bool = False,
        secrets: tuple[str, ...] = (),
        warm_start: bool = True,
        preload: tuple[str, ...] = (),
        helper_files: tuple[str | Path, ...] = (),
        plan_key: str | None = None,
    ):
        self.files = path if isinstance(path, SubmissionFiles) else read_submission(path, first=tuple(f"{m}.py" for m in modules))
        self.path = Path(self.files.source)
        self.warm_start = warm_start
        self.preload = tuple(preload)
        self.helper_files = tuple(str(path) for path in helper_files)
        self._zygote: zygote.Zygote | None = None
        self._forked_pid: int | None = None
        self._inherited: set[str] = set()
        #: The number of the call plan this child inherited from its zygote.
        self._kept_plan: int | None = None
        self.secrets = tuple(str(s) for s in secrets)
        self.handles = handles
        self.limits = limits or sandbox.Limits()
        self._uid: int | None = None
        self.modules = list(modules)
        self.call_timeout_s = call_timeout_s
        self.deadline: float | None = None
        self.import_status: dict = {}
        self.timed_out: set[str] = set()
        self._stored: set[str] = set()
        self._process: subprocess.Popen | None = None
        self._workdir: str | None = None
        self._to_child: io.BufferedWriter | None = None
        self._from_child: io.BufferedReader | None = None
        self._cpu_pid: int | None = None
        self._cpu_limit: float | None = None
        #: CPU seconds of the last call made under :meth:`cpu_budget`.
        self.last_cpu_seconds: float | None = None
        #: Calls are sent ahead to this submission's first child (:class:`CallPlan`), and what it
        #: is asked recorded as the next submission's plan, where this is given.
        self.plan_key = plan_key if not handles else None  # calls sent ahead could change a kept object's state
        self._default_timeout_s = call_timeout_s
        self._recording: list[PlannedRequest] | None = [] if self.plan_key else None
        self._ahead_due = self.plan_key is not None
        self._ahead: tuple[CallPlan, list] | None = None
        self._ahead_used: set[int] = set()
        self._started_before = False
        self._in_exchange = False
        self._recorded_seconds = 0.0
        #: How many requests were answered from calls sent ahead.
        self.answered_ahead = 0

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Start a fresh child in a fresh copy of the submission and wait until it has
        imported the student's modules."""
        self.launch()
        self._await_hello()

    def launch(self) -> None:
        """Start a fresh child without waiting for it (its imports overlap the caller's work):
        forked by this process's zygote where warm starts are on, else started afresh."""
        self.stop()
        if self._started_before:  # a child started again after a crash or a timeout: the calls go as usual
            self._recording, self._ahead_due = None, False
        self._started_before = True
        _LIVE.add(self)
        self._cpu_pid = None
        self._stored, self._inherited, self._kept_plan = set(), set(), None
        self.import_status = {}
        self._uid = sandbox.allocate_uid() if sandbox.detect().drop_user else None
        if self.warm_start and self._uid is not None:
            self._zygote = zygote.acquire(self.modules, self.limits, self.secrets, self.preload, _scrubbed_environment, self.helper_files)
            if self._zygote is not None:
                try:
                    options = sandbox.child_options(self._zygote.slot, self.limits, self._uid, self.handles)
                    inherited, kept_plan = set(self._zygote.stored), self._zygote.plan_number  # what the fork copies
                    self._forked_pid, to_child_w, from_child_r = self._zygote.fork(self.files, self.modules, options, self._uid)
                except zygote.ZygoteFailed:
                    zygote.release(self._zygote)  # closed: the next submission starts another
                    self._zygote = None  # and this child starts afresh, holding nothing the zygote held
                except BaseException:
                    self._zygote = None  # nothing was started: nothing to stop
                    raise
                else:
                    self._inherited, self._kept_plan = inherited, kept_plan
                    self._to_child = os.fdopen(to_child_w, "wb")
                    self._from_child = os.fdopen(from_child_r, "rb")
                    return
        self._workdir = str(scratch.make_folder("sub"))
        workdir = Path(self._workdir)
        sandbox.install_runner(workdir, self.helper_files)
        sandbox.copy_submission(self.files, workdir, self._uid, self.secrets)
        to_child_r, to_child_w = protocol.make_pipe()
        from_child_r, from_child_w = protocol.make_pipe()
        command = sandbox.child_command(
            workdir / "runner" / "child.py", workdir, (to_child_r, from_child_w), self.modules, self.limits, self._uid, self.handles, self.secrets,
            tuple(Path(path).stem for path in self.helper_files),
        )
        self._process = subprocess.Popen(
            command,
            cwd=workdir / "submission",
            env=_scrubbed_environment(str(workdir / "submission"), self.limits),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("GRADER_DEBUG_CHILD") else subprocess.DEVNULL,
            pass_fds=(to_child_r, from_child_w),
            start_new_session=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._to_child = os.fdopen(to_child_w, "wb")
        self._from_child = os.fdopen(from_child_r, "rb")

    def warm_up(self) -> None:
        """Start this process's zygote for this kind of submission, if warm starts are used and
        it is not running yet, without waiting for it: its imports overlap the caller's own
        start-up (a batch worker's first grading collects the suite and imports the reference
        meanwhile)."""
        if self.warm_start and sandbox.detect().drop_user:
            started = zygote.acquire(self.modules, self.limits, self.secrets, self.preload, _scrubbed_environment, self.helper_files)
            if started is not None:
                zygote.release(started)

    @property
    def running(self) -> bool:
        """Whether a child has been started (and not stopped)."""
        return self._process is not None or self._zygote is not None

    def _await_hello(self) -> None:
        try:
            header, _ = self._receive(START_TIMEOUT_S, "importing the submission")
        except StudentError as error:
            self.import_status = {name: {"ok": False, "kind": error.kind, "message": str(error)} for name in self.modules}
            return
        self.import_status = header.get("hello", {})
        if self._ahead_due:
            self._send_ahead()

    def _send_ahead(self) -> None:
        """Send this kind of submission's :class:`CallPlan` to the child that has just started,
        and keep the replies for the checks' requests (see :class:`CallPlan`). The time it takes
        is not charged to the check that is running (:attr:`deadline` moves on by as much)."""
        self._ahead_due = False
        plan = _PLANS.get(self.plan_key or "")
        if plan is None or not plan.requests or not all(status.get("ok") for status in self.import_status.values()):
            return
        started = time.perf_counter()
        answers = self._plan_answers(plan)
        if answers is not None:
            plan.seconds = time.perf_counter() - started
            self._recorded_seconds += plan.seconds  # what this child was asked includes what it ran ahead
            self._ahead, self._ahead_used = (plan, answers), set()
        else:
            # A crash, a hang or a broken reply somewhere in the plan: a fresh child, and every
            # call as usual, so that it is charged to the call that causes it.
            recording, self._started_before = self._recording, False
            self.launch()
            self._recording = recording
            self._await_hello()
        if self.deadline is not None:
            self.deadline += time.perf_counter() - started

    def _plan_answers(self, plan: CallPlan) -> list[tuple[dict, list]] | None:
        """The child's replies to ``plan`` sent in one message, or None when it ended, ran out
        of time (the plan is then dropped) or sent anything malformed."""
        budget = min(self.call_timeout_s, max(AHEAD_MIN_S, AHEAD_FACTOR * plan.seconds))
        try:
            if self._kept_plan == plan.number:  # the zygote kept it: the child has it already
                protocol.write_message(self._to_child, {"op": "many", "kept": True}, [])
            else:
                requests, blobs = plan.message()
                protocol.write_message(self._to_child, {"op": "many", "requests": requests}, blobs)
            ready, _, _ = select.select([self._reply_stream()], [], [], budget)
            if not ready:
                _PLANS.pop(self.plan_key or "", None)  # too slow to go ahead: calls go alone until a later child's requests make a plan again
                return None
            return _answers_ahead(*protocol.read_message(self._reply_stream()), len(plan.requests))
        except (OSError, ValueError, TypeError, KeyError, EOFError, RecursionError, protocol.ProtocolError):
            return None

    def _answer_ahead(self, text: str | None, blobs: list) -> tuple[dict, list] | None:
        """The unused reply sent ahead for the request ``text`` with ``blobs`` (None when it may
        not go ahead, or the plan does not hold it)."""
        if self._ahead is None or text is None:
            return None
        plan, answers = self._ahead
        index = plan.find(text, blobs, self._ahead_used)
        if index is None:
            return None
        self._ahead_used.add(index)
        self.answered_ahead += 1
        if self._recording is not None:
            self._recording.append(plan.requests[index])
        return answers[index]

    def _record(self, request: dict, text: str | None, blobs: list) -> None:
        """Add ``request`` to what this child is asked (a request that cannot go ahead, ``text``
        None, is left out)."""
        if self._recording is not None and text is not None:
            self._recording.append(PlannedRequest(text, request, list(blobs)))  # encoding copied the arrays

    def _publish_plan(self) -> None:
        """Make what this child was asked, with what the previous child of its kind was asked
        and this one was not, the next plan (see :class:`CallPlan`)."""
        recorded, seconds, self._recording = self._recording, self._recorded_seconds, None
        if not recorded or self.plan_key is None:
            return
        previous, previous_seconds = _LAST_RECORDED.get(self.plan_key, ([], 0.0))
        _LAST_RECORDED[self.plan_key] = (recorded, seconds)
        plan = _PLANS.get(self.plan_key)
        requests = _with_extras(recorded, previous)
        if plan is None or sorted(map(id, plan.requests)) != sorted(map(id, requests)):
            plan = _PLANS[self.plan_key] = CallPlan(requests, seconds + previous_seconds)
        # else the same requests again: the plan stays (and how long it took, and the zygote's copy)
        if self._zygote is not None and self._zygote.plan_number != plan.number:
            self._zygote.keep_plan(plan.number, *plan.message())

    def _plan_text(self, request: dict) -> str | None:
        """``request``'s JSON where it may be sent ahead of time (a call or a batch of steps,
        under the usual time limit, whose time nobody measures, on no input stored in this
        child, which the next child would not have); else None."""
        if (
            request.get("op") not in ("call", "batch")
            or request.get("discard_result")
            or self._cpu_limit is not None
            or self.call_timeout_s != self._default_timeout_s
        ):
            return None
        text = _request_text(request)
        return None if '"__stored__"' in text else text

    def stop(self) -> None:
        """Kill the child and its whole process group (every process of its user), and remove
        its folder."""
        if self._recording is not None and self._started_before:
            if self._in_exchange:
                self._recording = None  # stopped by a crash or a timeout: not a plan for others
            else:
                self._publish_plan()
        _LIVE.discard(self)
        self._ahead = None  # replies of this child: never for the next one
        process, self._process = self._process, None
        forked_from, self._zygote = self._zygote, None
        if process is not None or forked_from is not None:
            for stream in (self._to_child, self._from_child):
                try:
                    if stream is not None:
                        stream.close()
                except OSError:
                    pass
            if process is not None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                process.wait()
            sandbox.kill_user_processes(self._uid)
            sandbox.remove_user_files(self._uid)
        if forked_from is not None:
            zygote.release(forked_from)  # only now: nothing of this child's user is left
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    close = stop

    def __enter__(self) -> IsolatedSubmission:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- calls ------------------------------------------------------------------------------
    def call(self, module: str, name: str, *args, return_args: bool = False, discard_result: bool = False, **kwargs) -> CallResult:
        """Call ``module.name(*args, **kwargs)`` in the child.

        ``return_args`` sends the arguments back as the call left them; ``discard_result``
        sends no result back (for timing: the result's ``seconds`` is then the child's CPU time
        during the call, which a busy machine does not inflate, where it can be read). Raises :class:`StudentError` (or a subclass) when
        the student's code fails.
        """
        self._check_imported(module, [name])
        blobs: list = []
        request = self._request(module, name, args, kwargs, blobs, return_args, discard_result)
        cpu_before = self._cpu_seconds() if discard_result else None
        started = time.perf_counter()
        header, reply_blobs = self._exchange(request, blobs, f"{name}(...)", [name])
        seconds = time.perf_counter() - started
        cpu_after = self._cpu_seconds() if cpu_before is not None else None
        if cpu_before is not None and cpu_after is not None and cpu_after >= cpu_before:
            seconds = cpu_after - cpu_before
        return self._result(name, header, reply_blobs, seconds, return_args)

    def _cpu_seconds(self) -> float | None:
        """CPU seconds the child has run so far, read by this process from the kernel (the
        student's code cannot fake it); None when it cannot be read."""
        if self._cpu_pid is None:
            self._cpu_pid = sandbox.child_pid(self._uid, self._process.pid if self._process is not None else None)
        return sandbox.cpu_seconds(self._cpu_pid) if self._cpu_pid is not None else None

    def call_many(self, module: str, calls: list[tuple[str, tuple, dict]]) -> list[CallResult | StudentError]:
        """Run several calls ``(name, args, kwargs)`` in one round trip.

        Each entry of the answer is a :class:`CallResult`, or the :class:`StudentError` that
        call raised; a timeout or crash of the whole batch is raised.
        """
        program = Program()
        for name, args, kwargs in calls:
            program.add("call", name, args, kwargs)
        return self._run_steps(module, program)

    def _resolve(self, tag: str, data: dict):
        if tag != "__handle__" or not isinstance(data["__handle__"], int):
            raise protocol.ProtocolError(f"unexpected reference {tag} from the child")
        return RemoteObject(self, data["__handle__"], str(data.get("type", "object")))

    def run_program(self, module: str, program: Program) -> list:
        """Run the steps of ``program`` in one round trip; each step's value (or the
        :class:`StudentError` it raised) in order. Objects come back as :class:`RemoteObject`."""
        return [a if isinstance(a, StudentError) else a.value for a in self._run_steps(module, program)]

    def _run_steps(self, module: str, program: Program) -> list[CallResult | StudentError]:
        module_steps = [step for step in program.steps if "target" not in step]
        for step in module_steps:
            step.setdefault("module", module)
        self._ensure_started()
        for used in dict.fromkeys(step["module"] for step in module_steps):
            self._check_imported(used, [step["name"] for step in module_steps if step["module"] == used])
        started = time.perf_counter()
        header, reply_blobs = self._exchange({"op": "batch", "calls": program.steps}, program.blobs, program.describe(), program.names())
        seconds = time.perf_counter() - started
        replies = header.get("replies")
        if not isinstance(replies, list) or len(replies) != len(program.steps):
            self.stop()
            raise StudentError("the submission's process sent a malformed reply", kind="type")
        answers: list = []
        for step, reply in zip(program.steps, replies):
            try:
                answers.append(self._result(step["name"], reply, reply_blobs, seconds / len(program.steps), False))
            except StudentError as error:
                answers.append(error)
        return answers

    @contextlib.contextmanager
    def cpu_budget(self, cpu_seconds: float, wall_seconds: float):
        """Within the block, one call may use ``cpu_seconds`` of CPU time (every process of the
        child's user, read from the kernel: what it got, however busy the machine) and run
        ``wall_seconds`` on the clock; past either it is stopped (:class:`StudentTimeout`).
        :attr:`last_cpu_seconds` is then the CPU time the last call used."""
        saved = self.call_timeout_s, self._cpu_limit
        self.call_timeout_s, self._cpu_limit = wall_seconds, cpu_seconds
        try:
            yield
        finally:
            self.call_timeout_s, self._cpu_limit = saved

    def _cpu_total(self) -> float | None:
        """CPU seconds used so far by the child and everything it started (None if unknown)."""
        if self._uid is not None:
            return sandbox.user_cpu_seconds(self._uid)
        return sandbox.process_cpu_seconds(self._process.pid) if self._process is not None else None

    @contextlib.contextmanager
    def time_limit(self, seconds: float):
        """Within the block, one call (or program) may run ``seconds`` instead of the usual
        limit (a model's training under its budget)."""
        saved = self.call_timeout_s
        self.call_timeout_s = seconds
        try:
            yield
        finally:
            self.call_timeout_s = saved

    def _check_imported(self, module: str, names=()) -> None:
        for name in names:
            if name in self.timed_out:
                raise StudentTimeout(f"{name} did not finish in an earlier check (an endless loop, or far too slow); not run again")
        self._ensure_started()
        status = self.import_status.get(module, {"ok": False, "kind": "missing_file", "message": f"{module}.py was not loaded"})
        if not status.get("ok"):
            refusal = self.files.refusal_of(f"{module}.py") if status.get("kind") == "missing_file" else None
            if refusal is not None:
                raise StudentError(f"{refusal.message}; submit {module}.py itself", kind="missing_file")
            raise StudentError(status["message"], kind=status.get("kind", "import"))

    @staticmethod
    def _request(module, name, args, kwargs, blobs, return_args, discard_result) -> dict:
        return {
            "op": "call",
            "module": module,
            "name": name,
            "args": protocol.encode(list(args), blobs),
            "kwargs": protocol.encode(dict(kwargs), blobs),
            "return_args": return_args,
            "discard_result": discard_result,
        }

    def _result(self, name: str, header: dict, blobs: list, seconds: float, return_args: bool) -> CallResult:
        if not isinstance(header, dict) or not header.get("ok"):
            header = header if isinstance(header, dict) else {}
            kind, type_name = str(header.get("kind", "exception")), str(header.get("type", ""))
            raise StudentError(str(header.get("message", "failed")), kind=kind, type_name=type_name)
        try:
            value = protocol.decode(header.get("result"), blobs, self._resolve)
            args_after = protocol.decode(header["args_after"], blobs) if return_args else None
        except (protocol.ProtocolError, KeyError) as error:
            self.stop()
            raise StudentError(f"{name} sent a malformed reply ({error})", kind="type") from None
        warnings = [str(item) for item in header.get("warnings", [])][:5]
        return CallResult(value, args_after, warnings, seconds)

    def store(self, value, name: str | None = None) -> protocol.Stored:
        """Send ``value`` to the child once; pass the returned reference as an argument later
        (calls then carry no data, e.g. for timing on large inputs).

        With ``name``, a value stored under that name in this child is reused; ``value`` may
        then be a function that makes it, called only when needed. A named value must be the
        same whenever the lesson's checks use that name: with warm starts the zygote keeps it,
        and the children it forks later start with it.
        """
        self._ensure_started()
        if name is not None and (name in self._stored or name in self._inherited):
            self._stored.add(name)
            return protocol.Stored(name)
        if callable(value):
            value = value()
        key = name if name is not None else f"v{len(self._stored)}"
        blobs: list = []
        request = {"op": "store", "key": key, "value": protocol.encode(value, blobs)}
        self._exchange(request, blobs, "sending inputs")
        self._stored.add(key)
        if name is not None and self._zygote is not None:
            self._zygote.store(request, blobs)
        return protocol.Stored(key)

    def _ensure_started(self) -> None:
        if not self.running:
            self.launch()
        if not self.import_status:
            self._await_hello()

    def _exchange(self, request: dict, blobs: list, what: str, names=()) -> tuple[dict, list]:
        recording = False
        if self._ahead is not None or self._recording is not None:
            text = self._plan_text(request)
            answer = self._answer_ahead(text, blobs)
            if answer is not None:
                return answer
            self._record(request, text, blobs)
            recording = self._recording is not None and text is not None
        self._in_exchange = True
        started = time.perf_counter()
        try:
            return self._exchange_now(request, blobs, what, names)
        finally:
            self._in_exchange = False
            if recording:
                self._recorded_seconds += time.perf_counter() - started

    def _exchange_now(self, request: dict, blobs: list, what: str, names=()) -> tuple[dict, list]:
        try:
            protocol.write_message(self._to_child, request, blobs)
        except (OSError, ValueError):  # a broken pipe, or the stream closed when the child ended
            self.stop()
            raise StudentCrash(f"the submission's process had ended before {what} was called") from None
        timeout = self.call_timeout_s
        if self.deadline is not None:
            timeout = max(0.0, min(timeout, self.deadline - time.monotonic()))
        cpu_before = self._cpu_total() if self._cpu_limit is not None else None
        try:
            if cpu_before is None:
                return self._receive(timeout, what)
            return self._receive_within_cpu(timeout, what, cpu_before)
        except StudentTimeout:
            self.timed_out.update(names)
            raise

    def _receive_within_cpu(self, timeout: float, what: str, cpu_before: float) -> tuple[dict, list]:
        """:meth:`_receive`, polling the child's CPU time against :attr:`_cpu_limit`."""
        limit = self._cpu_limit
        if limit is None:
            raise RuntimeError("_receive_within_cpu needs a CPU limit (a call under cpu_budget)")
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._receive(0.0, what)  # stops the child and raises StudentTimeout
            ready, _, _ = select.select([self._reply_stream()], [], [], min(remaining, CPU_POLL_S))
            used = (self._cpu_total() or cpu_before) - cpu_before
            self.last_cpu_seconds = used
            if ready:
                return self._receive(0.0, what)
            if used > limit:
                self.stop()
                raise StudentTimeout(f"{what} used {used:.0f} s of CPU time, past its limit of {self._cpu_limit:.0f} s")

    def _reply_stream(self) -> io.BufferedReader:
        """The pipe the child answers on (the child must have been launched)."""
        if self._from_child is None:
            raise RuntimeError("the submission's process was never started: no pipe to read its answer from")
        return self._from_child

    def _receive(self, timeout: float, what: str) -> tuple[dict, list]:
        ready, _, _ = select.select([self._reply_stream()], [], [], timeout)
        if not ready:
            self.stop()
            raise StudentTimeout(f"{what} did not finish within {timeout:.1f} s (an endless loop, or far too slow)")
        try:
            return protocol.read_message(self._from_child)
        except (EOFError, protocol.ProtocolError, ValueError, OSError) as error:
            code = self._exit_code()
            self.stop()
            reason = f"exit code {code}" if code is not None else str(error)
            raise StudentCrash(f"the submission's process ended during {what} ({reason})") from None

    def _exit_code(self) -> int | None:
        """How the child ended, once it has (None if it is still running or unknown)."""
        if self._process is not None:
            return self._process.poll()
        if self._zygote is not None and self._forked_pid is not None:
            sandbox.kill_user_processes(self._uid)
            return self._zygote.exit_code(self._forked_pid)
        return None


def _remote_operator(name: str) -> Callable[..., object]:
    """A method of :class:`RemoteObject` that runs the operator ``name`` in the child."""

    def method(self, *args):
        return self.call(name, *args)

    method.__name__ = name
    return method


class RemoteObject:
    """An object of the student's that lives in the child: methods, attributes and operators
    run there (``obj.call("forward", x)``, ``obj.get("W")``, ``obj + 1``)."""

    def __init__(self, submission: IsolatedSubmission, number: int, type_name: str):
        self._submission = submission
        self.number = number
        self.type_name = type_name

    def _send(self, op: str, name: str, args=(), kwargs=None, value=None) -> object:
        program = Program()
        program.add(op, name, args, kwargs or {}, target={"handle": self.number}, value=value)
        (answer,) = self._submission.run_program("", program)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def call(self, name: str, *args, **kwargs):
        """Call the method ``name``."""
        return self._send("call", name, args, kwargs)

    def get(self, name: str):
        """The attribute ``name``."""
        return self._send("getattr", name)

    def assign(self, name: str, value) -> None:
        """Copy ``value`` into the array attribute ``name`` in place (the array is not rebound)."""
        self._send("assign", name, value=value)

    def __repr__(self) -> str:
        return f"<student {self.type_name} #{self.number}>"

    for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                  "__rtruediv__", "__pow__", "__neg__"):  # fmt: skip
        locals()[_name] = _remote_operator(_name)
    del _name


class Program:
    """Steps to run in the child in one round trip; a step may use an earlier step's result
    (``Ref``), kept objects (``RemoteObject``) and the child's test functions."""

    def __init__(self):
        self.steps: list[dict] = []
        self.blobs: list = []

    def add(self, op: str, name: str, args=(), kwargs=None, *, target=None, value=None) -> protocol.Ref:
        """Append a step; returns a reference to its result."""
        step = {"op": op, "name": name, "args": self._encode(list(args)), "kwargs": self._encode(dict(kwargs or {}))}
        if target is not None:
            step["target"] = target
        if op == "assign":
            step["value"] = self._encode(value)
        self.steps.append(step)
        return protocol.Ref(len(self.steps) - 1)

    def call(self, name: str, *args, module: str | None = None, **kwargs) -> protocol.Ref:
        """Call the student's module-level function or class ``name`` (of ``module``, default:
        the lesson's)."""
        ref = self.add("call", name, args, kwargs)
        if module:
            self.steps[-1]["module"] = module
        return ref

    def helper(self, helper: str, *args) -> protocol.Ref:
        """Apply one of the child's trusted helpers to ``args``: ``list``, ``identity``, or
        one of the ``HELPERS`` of the submission's ``helper_files``."""
        return self.add("call", helper, args, target={"helper": helper})

    def method(self, obj, name: str, *args, **kwargs) -> protocol.Ref:
        """Call method ``name`` of ``obj`` (a Ref or a RemoteObject)."""
        return self.add("call", name, args, kwargs, target=self._target(obj))

    def get(self, obj, name: str) -> protocol.Ref:
        """Read attribute ``name`` of ``obj``."""
        return self.add("getattr", name, target=self._target(obj))

    def assign(self, obj, name: str, value) -> protocol.Ref:
        """Copy ``value`` into the array attribute ``name`` of ``obj``."""
        return self.add("assign", name, value=value, target=self._target(obj))

    def _target(self, obj) -> dict:
        if isinstance(obj, RemoteObject):
            return {"handle": obj.number}
        return {"ref": obj.index}

    def _encode(self, value):
        if isinstance(value, RemoteObject):
            return protocol.encode(protocol.Handle(value.number), self.blobs)
        if isinstance(value, (list, tuple)) and any(isinstance(v, RemoteObject) for v in value):
            value = type(value)(protocol.Handle(v.number) if isinstance(v, RemoteObject) else v for v in value)
        return protocol.encode(value, self.blobs)

    def names(self) -> list[str]:
        return [step["name"] for step in self.steps if "target" not in step]

    def describe(self) -> str:
        return ", ".join(dict.fromkeys(step["name"] for step in self.steps)) + "(...)"


class ModuleProxy:
    """Attribute access on a student's module: ``proxy.sigmoid(x)`` runs it in the child."""

    def __init__(self, submission: IsolatedSubmission, module: str):
        self._submission = submission
        self._module = module

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def remote(*args, **kwargs):
            return self._submission.call(self._module, name, *args, **kwargs).value

        remote.__name__ = name
        return remote

    def call(self, name: str, *args, **kwargs) -> CallResult:
        """The full :class:`CallResult` of one call (value, arguments after, warnings, time)."""
        return self._submission.call(self._module, name, *args, **kwargs)

    def call_many(self, calls: list[tuple[str, tuple, dict]]) -> list:
        """Several calls in one round trip (see :meth:`IsolatedSubmission.call_many`)."""
        return self._submission.call_many(self._module, calls)

    def store(self, value, name: str | None = None) -> protocol.Stored:
        """Send ``value`` to the child once (see :meth:`IsolatedSubmission.store`)."""
        return self._submission.store(value, name)

    def run(self, program: Program) -> list:
        """Run a :class:`Program` (see :meth:`IsolatedSubmission.run_program`)."""
        return self._submission.run_program(self._module, program)
