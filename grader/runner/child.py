"""The child process: confines itself, imports the student's modules and runs calls.

Started by :mod:`grader.runner.proxy` as ``python -I child.py IN_FD OUT_FD OPTIONS MODULE...``
(OPTIONS is JSON, see :mod:`grader.runner.sandbox`) from a copy of this file and the protocol
in the child's own folder; or as ``python -I child.py --zygote CONTROL_FD OPTIONS``, a warm
process that forks one such child per submission (see :mod:`grader.runner.zygote`). Before
any student code runs it moves to private namespaces where allowed, hides the answers, sets
resource limits and drops to its own unprivileged user. It speaks :mod:`protocol` over the
two pipe file descriptors; the student's prints go to standard output and error, which the
grader discards. It never imports the ``grader`` package: nothing of the grader's reaches the
student's process but this file and the protocol.
"""

import ctypes
import json
import os
import resource
import sys
import traceback
import warnings
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402

sys.path.pop(0)

import numpy as np  # noqa: E402

MAX_TEXT = 2000
SUBMISSION_DIR = os.getcwd()
STORE: dict = {}
#: The call plan a zygote keeps for its children: ``(requests, blobs)`` of a ``many`` message.
PLAN: tuple = ([], [])
MAIN_PID = os.getpid()
OWN_USER = None  # the user id of this child alone, once it has dropped to it

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC = 0x00020000, 0x40000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
MNT_DETACH, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG = 2, 38, 1


def confine(options: dict) -> None:
    """Namespaces and hidden answers (when asked), resource limits, then an unprivileged user."""
    global SUBMISSION_DIR
    root = os.geteuid() == 0
    if root and options.get("unshare"):
        _private_root(options)
    limits = options.get("limits", {})
    _limit(resource.RLIMIT_AS, limits.get("memory_bytes"))
    _limit(resource.RLIMIT_CPU, limits.get("cpu_seconds"))
    _limit(resource.RLIMIT_FSIZE, limits.get("file_bytes"))
    _limit(resource.RLIMIT_NOFILE, limits.get("open_files"))
    _limit(resource.RLIMIT_CORE, 0)
    global OWN_USER
    uid = options.get("uid")
    if root and uid is not None:
        _limit(resource.RLIMIT_NPROC, limits.get("processes"))
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        OWN_USER = uid
    _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.chdir(options.get("submission", SUBMISSION_DIR))
    SUBMISSION_DIR = os.getcwd()


def reap_strays() -> None:
    """Kill every other process of this child's own user: what the student's code forked or
    started in the background ends with the call that started it."""
    if OWN_USER is not None and os.getuid() == OWN_USER:
        try:
            os.kill(-1, 9)  # every process this user may signal, except this one
        except OSError:
            pass


def _limit(kind, value) -> None:
    if value is not None:
        resource.setrlimit(kind, (int(value), int(value)))


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(source, target, fstype, flags, data=None) -> None:
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    if _libc().mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {target}: {os.strerror(error)}")


#: ``pivot_root``'s system call number (glibc has no wrapper for it).
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41}.get(os.uname().machine)
MS_REMOUNT, MS_NOEXEC = 32, 8
#: The device files the child gets in its own ``/dev``.
DEVICES = ("null", "zero", "full", "random", "urandom")


def _private_root(options: dict) -> None:
    """New mount, network and IPC namespaces whose root holds only what the child needs (the
    view bubblewrap gives): ``visible`` (the system's and Python's folders) read-only, its own
    ``workdir`` writable, a private ``/tmp`` and ``/dev/shm``, the few ``/dev`` files of
    :data:`DEVICES` (and the GPU's when asked), ``/proc``; ``/tmp`` and ``/dev/shm`` empty and
    not writable for the child (one zygote's children share them); then the answers in ``hide`` are
    covered where they would still show. Everything else on the machine is gone for it."""
    libc = _libc()
    if SYS_PIVOT_ROOT is None:
        raise OSError(0, f"pivot_root's system call is not known on {os.uname().machine}")
    if libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    workdir = options["workdir"]
    new_root = os.path.join(workdir, ".root")
    os.makedirs(new_root, exist_ok=True)
    _mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    inside = lambda path: new_root + path  # noqa: E731
    for path in options.get("visible", []):
        _bind_into(path, inside(path), readonly=True)
    os.makedirs(inside("/tmp"), exist_ok=True)
    _mount("tmpfs", inside("/tmp"), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")  # as bubblewrap's: the child writes in its own folder only
    _bind_into(workdir, inside(workdir), readonly=False, recursive=False)  # not the new root inside it
    os.makedirs(inside("/dev/shm"), exist_ok=True)
    _mount("tmpfs", inside("/dev/shm"), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for device in [*(f"/dev/{name}" for name in DEVICES), *options.get("gpu_devices", [])]:
        if os.path.exists(device):
            _bind_into(device, inside(device), readonly=False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, inside(f"/dev/{name}"))
    if options.get("gpu") and os.path.isdir("/sys"):
        _bind_into("/sys", inside("/sys"), readonly=True)
    os.makedirs(inside("/proc"), exist_ok=True)
    try:
        _mount("proc", inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:  # where a fresh procfs is not allowed (some containers), the machine's
        _mount("/proc", inside("/proc"), None, MS_BIND | MS_REC)
    for path in options.get("hide", []):
        if os.path.lexists(inside(path)):
            _hide(inside(path))
    os.chdir(new_root)
    if libc.syscall(SYS_PIVOT_ROOT, b".", b".") != 0:
        raise OSError(ctypes.get_errno(), "pivot_root")
    if libc.umount2(b".", MNT_DETACH) != 0:
        raise OSError(ctypes.get_errno(), "umount the old root")
    os.chdir("/")
    if os.path.exists(workdir + "/.root") and os.listdir(workdir + "/.root"):
        raise OSError(0, "the new root is not the root: the machine's files would show")


def _bind_into(source: str, target: str, readonly: bool, recursive: bool = True) -> None:
    """Make ``source`` appear at ``target`` (a folder's mount point or a file's, made as
    needed; a symbolic link is copied as a link), read-only when asked."""
    if os.path.islink(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(os.readlink(source), target)
        return
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            with open(target, "w"):
                pass
    _mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    if readonly:
        kept = os.statvfs(target).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)  # statvfs's ST_* bits are these
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | kept)


def _hide(path: str) -> None:
    """Cover ``path`` with an empty read-only mount."""
    if os.path.isdir(path):
        _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=000")
    else:
        _mount("/dev/null", path, None, MS_BIND)


def student_traceback(error: BaseException) -> str:
    """The traceback of ``error`` cut to the frames in the student's own files."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if os.path.abspath(frame.filename).startswith(SUBMISSION_DIR + os.sep)
    ]
    lines = [exception_line(error)]
    if frames:
        lines.append("Traceback (your code, most recent call last):")
    for frame in frames:
        name = os.path.relpath(frame.filename, SUBMISSION_DIR)
        lines.append(f'  File "{name}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return _truncate("\n".join(lines))


def exception_line(error: BaseException) -> str:
    """``Type: message`` for an exception, as Python prints its last line."""
    text = _safe_str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _safe_str(value) -> str:
    try:
        return _truncate(str(value))
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        return "<unprintable>"


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + " ... (cut)"


def import_module(name: str) -> tuple[object | None, dict]:
    """Import the student's ``name``.py; return the module and a status record."""
    path = os.path.join(SUBMISSION_DIR, name + ".py")
    if not os.path.isfile(path):
        return None, {"ok": False, "kind": "missing_file", "message": f"{name}.py not found in the submission"}
    try:
        module = __import__(name)
    except SyntaxError as error:
        where = os.path.relpath(error.filename or path, SUBMISSION_DIR)
        text = f"{where}, line {error.lineno}: {error.msg}"
        return None, {"ok": False, "kind": "syntax", "message": text}
    except SystemExit:
        return None, {"ok": False, "kind": "exit", "message": f"{name}.py called sys.exit() while being imported"}
    except BaseException as error:  # noqa: BLE001 - anything the student raises
        return None, {"ok": False, "kind": "exception", "message": f"importing {name}.py failed:\n" + student_traceback(error)}
    return module, {"ok": True}


OBJECTS: dict = {}
HANDLES = {"on": False}


def keep(obj) -> int:
    """Keep a student object in the child; the grader gets its number (a handle)."""
    number = len(OBJECTS) + 1
    OBJECTS[number] = obj
    return number


#: Trusted helpers a request may apply (``{"helper": name}``): draining a generator, an identity
#: to snapshot a value, and the ``HELPERS`` of the helper modules named in the options.
HELPERS: dict = {"list": list, "identity": lambda value: value}
#: Functions of an array that the grader may hand to student code (``__function__`` tags):
#: the ``FUNCTIONS`` of the helper modules.
FUNCTIONS: dict = {}


def load_helpers(names: list) -> None:
    """Import the helper modules ``names`` (installed beside this file by the grader, trusted,
    imported before any student code) and take their ``HELPERS`` and ``FUNCTIONS``."""
    here = os.path.dirname(os.path.abspath(__file__))
    for name in names:
        if name in sys.modules:
            continue
        sys.path.insert(0, here)
        try:
            module = __import__(name)
        finally:
            sys.path.remove(here)
        HELPERS.update(getattr(module, "HELPERS", {}))
        FUNCTIONS.update(getattr(module, "FUNCTIONS", {}))


def _resolver(earlier: list):
    def resolve(tag, data):
        if tag == "__stored__" and data["__stored__"] in STORE:
            return STORE[data["__stored__"]]
        if tag == "__ref__" and isinstance(data["__ref__"], int) and 0 <= data["__ref__"] < len(earlier):
            if isinstance(earlier[data["__ref__"]], _Failed):
                raise protocol.ProtocolError("it uses the result of an earlier call that failed")
            return earlier[data["__ref__"]]
        if tag == "__handle__" and data["__handle__"] in OBJECTS:
            return OBJECTS[data["__handle__"]]
        if tag == "__function__" and data["__function__"] in FUNCTIONS:
            return FUNCTIONS[data["__function__"]]
        if tag == "__rng__" and isinstance(data["__rng__"], int):
            return np.random.default_rng(data["__rng__"])
        raise protocol.ProtocolError(f"unknown reference {tag}")

    return resolve


class _Failed:
    """The result of a call that failed, in a batch."""


class _Helper:
    """One of :data:`HELPERS` as the target of a request."""

    def __init__(self, name: str):
        self.name, self.function = name, HELPERS[name]


def _target(modules: dict, request: dict, earlier: list):
    """The module or kept object a request is about, or an error reply."""
    target = request.get("target") or {"module": request.get("module")}
    if "helper" in target:
        if target["helper"] not in HELPERS:
            return None, {"ok": False, "kind": "protocol", "message": "the grader named an unknown helper"}
        return _Helper(target["helper"]), None
    if "ref" in target:
        index = target["ref"]
        if not isinstance(index, int) or not 0 <= index < len(earlier) or isinstance(earlier[index], _Failed):
            return None, {"ok": False, "kind": "exception", "message": "it uses the result of an earlier call that failed"}
        return earlier[index], None
    if "handle" in target:
        if target["handle"] not in OBJECTS:
            return None, {"ok": False, "kind": "protocol", "message": "the grader named an unknown object"}
        return OBJECTS[target["handle"]], None
    module = modules.get(target["module"])
    if module is None:
        return None, {"ok": False, "kind": "import", "message": f"{target['module']}.py could not be imported"}
    return module, None


def run_call(modules: dict, request: dict, blobs: list, out_blobs: list, earlier: list | None = None) -> tuple[dict, object]:
    """Run one request (``call`` a function or method, ``getattr``, ``assign`` into an
    attribute's array in place); return the reply and the raw result (for later references)."""
    op, name = request.get("op", "call"), request["name"]
    owner, error = _target(modules, request, earlier or [])
    if error:
        return error, _Failed()
    helper = owner if isinstance(owner, _Helper) else None
    is_module = isinstance(owner, type(sys))
    what = helper.name if helper else name if is_module else f"{type(owner).__name__}.{name}"
    try:
        resolve = _resolver(earlier or [])
        args = protocol.decode(request.get("args", {"__list__": []}), blobs, resolve)
        kwargs = protocol.decode(request.get("kwargs", {"__dict__": {}}), blobs, resolve)
        value: Any = protocol.decode(request["value"], blobs, resolve) if op == "assign" else None
    except protocol.ProtocolError as problem:
        return {"ok": False, "kind": "protocol", "message": f"{what}: {problem}"}, _Failed()
    if helper and op == "call":
        action = lambda: helper.function(*args, **kwargs)  # noqa: E731
    elif op == "call":
        function = getattr(owner, name, None) if is_module else _safe_getattr(owner, name)
        if function is None or not callable(function):
            where = f"{owner.__name__}.py defines no function" if is_module else f"{type(owner).__name__} has no method"
            return {"ok": False, "kind": "missing", "message": f"{where} '{name}'"}, _Failed()
        action = lambda: function(*args, **kwargs)  # noqa: E731
    elif op == "getattr":
        action = lambda: getattr(owner, name)  # noqa: E731
    elif op == "assign":
        action = lambda: np.copyto(getattr(owner, name), value)  # noqa: E731
    else:
        return {"ok": False, "kind": "protocol", "message": f"unknown operation {op!r}"}, _Failed()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(all="warn", under="ignore"):
                result = action()
        except SystemExit:
            return {"ok": False, "kind": "exception", "message": f"{what} called sys.exit()"}, _Failed()
        except BaseException as failure:  # noqa: BLE001
            kind = "not_implemented" if isinstance(failure, NotImplementedError) else "exception"
            return {"ok": False, "kind": kind, "message": student_traceback(failure), "type": type(failure).__name__}, _Failed()
    mark = len(out_blobs)
    try:
        reply: dict[str, Any] = {"ok": True}
        if not request.get("discard_result"):
            reply["result"] = protocol.encode(result, out_blobs, keep if HANDLES["on"] else None)
        if request.get("return_args"):
            reply["args_after"] = protocol.encode([a if isinstance(a, np.ndarray) else None for a in args], out_blobs)
    except protocol.Unencodable as problem:
        del out_blobs[mark:]
        return {"ok": False, "kind": "type", "message": f"{what} returned {problem}"}, _Failed()
    except BaseException as problem:  # noqa: BLE001 - a lying __array__ or __len__
        del out_blobs[mark:]
        return {"ok": False, "kind": "type", "message": f"{what} returned a value that could not be read: {exception_line(problem)}"}, _Failed()
    reply["warnings"] = [_describe_warning(item) for item in caught[:5]]
    return reply, result


def _safe_getattr(owner, name):
    try:
        return getattr(owner, name, None)
    except BaseException:  # noqa: BLE001 - a student's property may raise anything
        return None


def run_batch(modules: dict, calls: list, blobs: list, out_blobs: list) -> list:
    """Run calls in order; a call may use earlier results of the batch (``Ref``)."""
    replies: list[dict] = []
    results: list = []
    for call in calls:
        reply, result = run_call(modules, call, blobs, out_blobs, results)
        replies.append(reply)
        results.append(result)
    return replies


def run_request(modules: dict, request: dict, blobs: list, out_blobs: list) -> dict:
    """The reply to one ``call`` or ``batch`` request."""
    if request.get("op") == "batch":
        return {"replies": run_batch(modules, request["calls"], blobs, out_blobs)}
    reply, _ = run_call(modules, request, blobs, out_blobs)
    return reply


def run_many(modules: dict, requests: list, blobs: list, out_blobs: list) -> dict:
    """Run requests that could each have come alone (``call`` or ``batch``), in order, as one
    message: each names its arrays as a range of ``blobs`` (``[start, count]``), and its reply's
    arrays are the range of ``out_blobs`` given beside it (``blobs`` of the reply)."""
    replies, ranges = [], []
    for entry in requests:
        start, count = entry["blobs"]
        own_out: list = []
        request = entry["request"]
        if request.get("op", "call") in ("call", "batch"):
            reply = run_request(modules, request, blobs[start:start + count], own_out)
        else:
            reply = {"ok": False, "kind": "protocol", "message": f"operation {request.get('op')!r} cannot travel with others"}
        if os.getpid() != MAIN_PID:
            os._exit(0)  # a copy forked by student code never speaks for the child
        reap_strays()  # what a call started ends with it, as when it comes alone
        ranges.append([len(out_blobs), len(own_out)])
        out_blobs.extend(own_out)
        replies.append(reply)
    return {"replies": replies, "blobs": ranges}


def _describe_warning(item) -> str:
    where = os.path.relpath(item.filename, SUBMISSION_DIR) if item.filename else "?"
    return _truncate(f"{item.category.__name__}: {_safe_str(item.message)} ({where}, line {item.lineno})")


def serve(inbox, outbox, options: dict, names: list) -> None:
    """Confine this process, import the student's modules ``names``, then serve calls until
    the grader closes the pipe."""
    HANDLES["on"] = bool(options.get("handles"))
    load_helpers(options.get("helpers", []))
    confine(options)
    sys.path.insert(0, SUBMISSION_DIR)
    modules, status = {}, {}
    for name in names:
        modules[name], status[name] = import_module(name)
        if os.getpid() != MAIN_PID:
            os._exit(0)
    reap_strays()
    protocol.write_message(outbox, {"hello": status}, [])
    while True:
        try:
            request, blobs = protocol.read_message(inbox)
        except EOFError:
            return
        out_blobs: list = []
        if request.get("op") == "store":
            STORE[str(request["key"])] = protocol.decode(request["value"], blobs)
            reply: dict[str, Any] = {"ok": True}
        elif request.get("op") == "many":
            requests, blobs = PLAN if request.get("kept") else (request["requests"], blobs)
            reply = run_many(modules, requests, blobs, out_blobs)
        else:
            reply = run_request(modules, request, blobs, out_blobs)
        if os.getpid() != MAIN_PID:
            os._exit(0)  # a copy forked by student code never speaks for the child
        reap_strays()
        protocol.write_message(outbox, reply, out_blobs)


def zygote(control_fd: int, options: dict) -> None:
    """Fork a fresh child per request on the control socket; never runs student code itself.

    Set up once: private namespaces and hidden answers (as :func:`confine` would), numpy and
    the ``preload`` modules imported. Requests (JSON, on a ``SOCK_SEQPACKET`` socket):
    ``fork`` with the child's pipe ends attached (answer: its pid here); ``store`` with a pipe
    attached that carries a protocol ``store`` message (the value is kept for every child forked
    later), or a call plan (``plan``: the requests of a ``many`` message, which the children
    forked later run when asked for ``many`` with ``kept``); ``status`` of a forked pid (answer:
    its exit code once it has ended, or null).
    """
    global PLAN
    import signal
    import socket

    control = socket.socket(fileno=control_fd)
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.geteuid() == 0 and options.get("unshare"):
        _private_root(options)
    import numpy.random  # noqa: F401 - every forked child reseeds it: numpy imports it lazily, 13 ms of each child's CPU

    for name in options.get("preload", []):
        try:
            __import__(name)
        except ImportError:
            pass
    load_helpers(options.get("helpers", []))
    ended: dict = {}

    def reap(signum=None, frame=None) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ended[pid] = os.waitstatus_to_exitcode(status)
            while len(ended) > 64:
                del ended[next(iter(ended))]

    signal.signal(signal.SIGCHLD, reap)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 16, 2)
        except OSError:
            return
        if not message:
            return
        request = json.loads(message)
        if request.get("op") == "fork" and len(fds) == 2:
            pid = os.fork()
            if pid == 0:
                try:
                    control.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    _forked_child(request, fds)
                finally:
                    os._exit(70)
            answer: dict[str, Any] = {"pid": pid}
        elif request.get("op") == "store" and len(fds) == 1:
            with os.fdopen(fds.pop(), "rb") as inbox:  # closes the descriptor
                try:
                    value, blobs = protocol.read_message(inbox)
                    if "plan" in value:
                        if not isinstance(value["plan"], list):
                            raise KeyError("plan")
                        PLAN = (value["plan"], blobs)
                    else:
                        STORE[str(value["key"])] = protocol.decode(value["value"], blobs)
                    answer = {"ok": True}
                except (EOFError, protocol.ProtocolError, KeyError, ValueError):
                    answer = {"error": "bad value"}
        elif request.get("op") == "status":
            reap()
            pid = request.get("pid")
            if isinstance(pid, int) and pid > 0 and pid not in ended:
                try:  # the grader has killed it: it is ending now
                    ended[pid] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
                except ChildProcessError:
                    pass
            answer = {"exit_code": ended.get(pid)}
        else:
            answer = {"error": "unknown request"}
        for fd in fds:
            os.close(fd)
        control.sendall(json.dumps(answer).encode())


def _forked_child(request: dict, fds: list) -> None:
    """A zygote's child: what a fresh child would be, with numpy already imported."""
    global MAIN_PID
    MAIN_PID = os.getpid()
    os.setsid()
    if os.geteuid() == 0 and _libc().unshare(CLONE_NEWIPC) != 0:  # no System V IPC left by an earlier child
        raise OSError(ctypes.get_errno(), "unshare")
    np.random.seed()  # the zygote's generator state must not be every child's
    serve(os.fdopen(fds[0], "rb"), os.fdopen(fds[1], "wb"), request["options"], request["modules"])
    os._exit(0)


def main(argv: list[str]) -> None:
    """``IN_FD OUT_FD OPTIONS MODULE...``: serve one submission; ``--zygote FD OPTIONS``: fork them."""
    if argv[1] == "--zygote":
        zygote(int(argv[2]), json.loads(argv[3]))
        return
    serve(os.fdopen(int(argv[1]), "rb"), os.fdopen(int(argv[2]), "wb"), json.loads(argv[3]), argv[4:])


if __name__ == "__main__":
    main(sys.argv)
