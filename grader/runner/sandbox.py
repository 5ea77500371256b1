"""How the child that runs student code is confined, decided in the grader's process.

Protections, strongest first, each used where the machine allows it:

- **bubblewrap** (``bwrap``): the child sees only the Python installation (read-only), its own
  folder and fresh ``/proc``, ``/dev`` and ``/tmp``; new network, PID, IPC and UTS namespaces.
- **the same view without bubblewrap** (as root): the child itself (``child.py``, before any
  student code) moves to new mount, network and IPC namespaces and builds the view bubblewrap
  would give (the Python installation read-only, its own folder, private ``/tmp`` and
  ``/dev``) by ``mount`` and ``pivot_root``; the answers (reference solutions, hidden suites,
  extra secret paths) stay covered besides. What is not on that list does not exist for it.
- **an unprivileged user** (as root): the child drops to a user id of its own (one per
  child, so a process limit and a clean-up by user id concern that child alone).
- **resource limits** (always): address space, CPU time, processes, file size, open files.

``detect()`` says which are available; the grader says once which are off.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import json
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.runner.scratch import start_time

#: Child user ids, when the grader runs as root: this base plus the grading process's pid, so
#: two grading processes on one machine (a worker pool) never share one. Far above accounts.
UID_BASE = 1_000_000_000


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child process (setrlimit; ``None``: no limit) and its threads.

    ``threads`` sets the math libraries' thread pools (OpenMP, BLAS); ``gpu`` gives the child
    the machine's NVIDIA devices (and then no address-space limit, which CUDA cannot live with).
    """

    memory_bytes: int | None = 2 << 30
    cpu_seconds: int = 300
    processes: int = 64
    file_bytes: int = 64 << 20
    open_files: int = 256
    threads: int = 1
    gpu: bool = False


#: What sets the math libraries' thread pools (OpenMP, OpenBLAS, MKL).
MATH_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def math_threads_environment(threads: int) -> dict[str, str]:
    """The variables that give a new process's math libraries ``threads`` threads."""
    return {name: str(threads) for name in MATH_THREAD_VARIABLES}


@dataclass(frozen=True)
class Protections:
    """Which protections this machine allows. ``namespaces`` (the child builds its own root,
    without bubblewrap) is probed only where bubblewrap is not used: False where it is."""

    root: bool
    bubblewrap: bool
    namespaces: bool

    @property
    def drop_user(self) -> bool:
        return self.root

    @property
    def confined(self) -> bool:
        """Whether student code runs confined: its own user, and a filesystem of only what it
        needs (bubblewrap, or the child's own namespaces)."""
        return self.root and (self.bubblewrap or self.namespaces)

    def missing(self) -> list[str]:
        """The protections that are off, in words."""
        off = []
        if not self.bubblewrap and self.namespaces:
            off.append("no bubblewrap (Debian package bubblewrap): the child builds its own view of the filesystem, but sees the machine's processes in /proc")
        if not self.bubblewrap and not self.namespaces:
            off.append(
                "no bubblewrap and no mount or network namespaces: the child sees the machine's filesystem, "
                "the answers are protected by file permissions only, and the network is open"
            )
        if not self.root:
            off.append("not root: the child runs as the grader's own user, without a process limit")
        return off


_ADOPTED: list = []


def adopt(protections: Protections) -> None:
    """Use ``protections`` (probed by the parent of a worker pool) instead of probing again."""
    _ADOPTED[:] = [protections]


#: Probes started ahead by :func:`probing_ahead`, for the next :func:`detect` to wait for.
_PROBING: list[concurrent.futures.Future] = []


@contextlib.contextmanager
def probing_ahead():
    """Within the block, the protections are probed in a background thread: the probes mostly
    wait for the processes they start, so a command that will need them (a batch, before it
    starts its workers) has them sooner by starting them before its own imports. The first
    :func:`detect` in the block waits for that result; one the block did not ask for is
    dropped at its end (a later :func:`detect` probes afresh)."""
    if _ADOPTED or _PROBING or detect.cache_info().currsize:
        yield
        return
    background = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-probes")
    probing = background.submit(_probe)  # its exception is raised by detect(), in the caller's thread
    background.shutdown(wait=False)  # the thread ends with the probes (joined at exit: no probe folder is left)
    _PROBING.append(probing)
    try:
        yield
    finally:
        if probing in _PROBING:
            _PROBING.remove(probing)


@functools.lru_cache(maxsize=1)
def detect() -> Protections:
    """The protections available here, each probed once by starting a confined process
    (or as :func:`adopt` said, or as the probes of :func:`probing_ahead` found).

    ``$GRADER_SANDBOX=no-bwrap`` leaves bubblewrap out (to test the other path)."""
    if _ADOPTED:
        return _ADOPTED[0]
    if _PROBING:
        return _PROBING.pop().result()
    return _probe()


def _probe() -> Protections:
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    use_bwrap = os.environ.get("GRADER_SANDBOX", "auto") != "no-bwrap"
    if not root:
        return Protections(root=False, bubblewrap=False, namespaces=False)
    # Where bubblewrap confines the child, the child's own namespaces are never used: their
    # probe (a process that imports numpy, 0.2 s of CPU) is left out.
    if use_bwrap and _bubblewrap_works():
        return Protections(root=True, bubblewrap=True, namespaces=False)
    return Protections(root=True, bubblewrap=False, namespaces=_namespaces_work())


_UNSHARE_PROBE = "import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare(0x00020000 | 0x40000000) != 0)"


def _namespaces_work() -> bool:
    """Whether the child can build its own root here: a throwaway process does exactly what a
    child does without bubblewrap (``child.py``'s ``_private_root``) and lists its new root (a
    machine that allows the namespaces but refuses the mounts is not confined)."""
    try:
        if subprocess.run([sys.executable, "-I", "-c", _UNSHARE_PROBE], capture_output=True, timeout=30).returncode != 0:
            return False
        with tempfile.TemporaryDirectory(prefix="grader-probe-") as scratch:
            workdir = Path(scratch)
            install_runner(workdir)
            options = {"workdir": str(workdir), "visible": [path for path in SYSTEM_DIRS if os.path.lexists(path)] + python_paths(), "hide": []}
            runner = str(workdir / "runner")
            probe = f"import json, os, sys; sys.path.insert(0, {runner!r}); import child; child._private_root(json.loads(sys.argv[1])); print(sorted(os.listdir('/')))"
            run = subprocess.run([sys.executable, "-I", "-c", probe, json.dumps(options)], capture_output=True, timeout=60)
        return run.returncode == 0 and "'usr'" in run.stdout.decode() and "'tmp'" in run.stdout.decode()
    except (OSError, subprocess.TimeoutExpired):
        return False


def _bubblewrap_works() -> bool:
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False
    probe = [bwrap, "--unshare-net", "--unshare-pid", "--die-with-parent", *_readonly_binds(), "--proc", "/proc", "--dev", "/dev", sys.executable, "-I", "-c", "pass"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def secret_paths(secrets: tuple[str, ...] = ()) -> list[str]:
    """What the child must never read: the caller's ``secrets`` (the answers: reference
    solutions, hidden suites, test labels) and the paths in ``$GRADER_SECRET_PATHS``
    (``os.pathsep``-separated), resolved, where they exist."""
    paths = [Path(p) for p in secrets] + [Path(p) for p in os.environ.get("GRADER_SECRET_PATHS", "").split(os.pathsep) if p]
    return [str(p.resolve()) for p in paths if p.exists()]


def gpu_devices() -> list[str]:
    """The NVIDIA device files of this machine (``/dev/nvidia0``, ``/dev/nvidiactl``, ...)."""
    return sorted(str(path) for path in Path("/dev").glob("nvidia*") if not path.is_dir()) + (["/dev/nvidia-caps"] if Path("/dev/nvidia-caps").is_dir() else [])


def python_paths() -> list[str]:
    """The Python installation the child needs: prefixes and site-packages, resolved."""
    paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(site.getsitepackages())
    resolved = {os.path.realpath(p) for p in paths if os.path.exists(p)}
    return sorted(p for p in resolved if not any(p != q and p.startswith(q + os.sep) for q in resolved))


def allocate_uid() -> int:
    """The user id of this process's child (one child at a time per grading process)."""
    return UID_BASE + os.getpid()


def _readonly_binds() -> list[str]:
    args: list[str] = []
    made: set[str] = set()
    for system in SYSTEM_DIRS:
        if os.path.exists(system):
            args += ["--ro-bind", system, system]
    for path in python_paths():
        # bwrap creates missing parents of a mount point with mode 0700: open them for the child.
        for parent in reversed(Path(path).parents):
            if str(parent) != "/" and str(parent) not in made:
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        args += ["--ro-bind", path, path]
    return args


def _open_parents(workdir: Path) -> list[str]:
    """The parents of ``workdir`` made traversable inside bubblewrap (it creates a mount point's
    missing parents with mode 0700: a ``$TMPDIR`` other than /tmp would shut the child out)."""
    args: list[str] = []
    for parent in reversed(Path(workdir).parents):
        if str(parent) != "/":
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def child_command(
    child_script: Path,
    workdir: Path,
    fds: tuple[int, int],
    modules: list[str],
    limits: Limits,
    uid: int | None,
    handles: bool = False,
    secrets: tuple[str, ...] = (),
    helpers: tuple[str, ...] = (),
) -> list[str]:
    """The command line that starts ``child.py`` confined as :func:`detect` allows.

    ``handles``: the child may return the student's objects as handles (classes lessons).
    ``secrets``: the paths to hide (see :func:`secret_paths`). ``helpers``: the helper
    modules (file stems, installed by :func:`install_runner`) the child imports before any
    student code."""
    options = {**child_options(workdir, limits, uid, handles), **_namespace_options(workdir, secrets, limits.gpu), "helpers": list(helpers)}
    command = [sys.executable, "-I", str(child_script), str(fds[0]), str(fds[1]), json.dumps(options), *modules]
    return _confined(command, workdir, limits, workdir / "submission")


def child_options(workdir: Path, limits: Limits, uid: int | None, handles: bool) -> dict:
    """What ``child.py`` needs to confine itself (its limits and user) and serve."""
    return {"handles": handles, "limits": asdict(limits), "uid": uid, "unshare": False, "submission": str(workdir / "submission")}


def zygote_command(child_script: Path, workdir: Path, control_fd: int, limits: Limits, secrets: tuple[str, ...] = (), preload=(), helpers: tuple[str, ...] = ()) -> list[str]:
    """The command line of a zygote (``child.py --zygote``): confined as a child would be, in
    ``workdir``, forking children that confine themselves further (limits, user) as
    :func:`child_options` says. ``preload``: modules it imports once for all its children;
    ``helpers``: as for :func:`child_command`."""
    options = {**_namespace_options(workdir, secrets, limits.gpu), "preload": list(preload), "helpers": list(helpers), "submission": str(workdir / "submission")}
    command = [sys.executable, "-I", str(child_script), "--zygote", str(control_fd), json.dumps(options)]
    return _confined(command, workdir, limits, workdir)


#: What the child sees of the system, read-only, besides the Python installation.
SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/etc")


def _namespace_options(workdir: Path, secrets: tuple[str, ...], gpu: bool = False) -> dict:
    """Without bubblewrap, as root: the child makes its own namespaces and root (``visible``
    read-only, ``workdir`` writable, ``gpu`` devices) and hides the answers."""
    protections = detect()
    unshare = protections.namespaces and not protections.bubblewrap
    if not unshare:
        return {"unshare": False, "hide": []}
    visible = [path for path in SYSTEM_DIRS if os.path.lexists(path)] + python_paths()
    devices = gpu_devices() if gpu else []
    return {"unshare": True, "hide": secret_paths(secrets), "visible": visible, "workdir": str(workdir), "gpu_devices": devices, "gpu": gpu}


def _confined(command: list[str], workdir: Path, limits: Limits, cwd: Path) -> list[str]:
    """``command`` inside bubblewrap (when available), seeing only Python and ``workdir``,
    started in ``cwd``."""
    if not detect().bubblewrap:
        return command
    bwrap = shutil.which("bwrap")
    if bwrap is None:  # detect() found it: it cannot have gone (never run the child unconfined)
        raise RuntimeError("bubblewrap (bwrap) was found when the sandbox was probed but is no longer on PATH")
    gpu: list[str] = []
    if limits.gpu:
        gpu = ["--ro-bind-try", "/sys", "/sys"]
        for device in gpu_devices():
            gpu += ["--dev-bind", device, device]
    return [
        bwrap, "--die-with-parent", "--new-session",
        "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--tmpfs", "/tmp", *_readonly_binds(), *_open_parents(workdir),
        "--bind", str(workdir), str(workdir),
        "--proc", "/proc", "--dev", "/dev", *gpu,
        "--chdir", str(cwd),
        *command,
    ]  # fmt: skip


@functools.lru_cache(maxsize=8)
def protect_answers(secrets: tuple[str, ...] = ()) -> None:
    """Make the answers' folders (:func:`secret_paths`) readable by the grader's user alone
    (mode 0700)."""
    for path in secret_paths(secrets):
        if os.path.isdir(path) and os.stat(path).st_uid == os.geteuid():
            os.chmod(path, os.stat(path).st_mode & 0o700)


#: The files of the child's side, copied into its folder (it never imports the ``grader`` package).
RUNNER_FILES = [Path(__file__).with_name("child.py"), Path(__file__).with_name("protocol.py")]


def install_runner(workdir: Path, helper_files: tuple[str, ...] = ()) -> None:
    """Copy :data:`RUNNER_FILES` and the caller's ``helper_files`` (trusted modules of plain
    Python and numpy that the child may apply, see ``child.py``) into ``workdir/runner``."""
    (workdir / "runner").mkdir(mode=0o755)
    for source in [*RUNNER_FILES, *map(Path, helper_files)]:
        shutil.copyfile(source, workdir / "runner" / source.name)


def copy_submission(files, workdir: Path, uid: int | None, secrets: tuple[str, ...] = ()) -> None:
    """The submission's accepted files (a :class:`grader.runner.intake.SubmissionFiles`: regular
    files read as data, never through a link) written afresh as ``workdir/submission``,
    owned by the child's user."""
    target = workdir / "submission"
    if target.is_symlink():
        target.unlink()
    shutil.rmtree(target, ignore_errors=True)
    files.write_to(target, uid)
    if uid is not None:
        protect_answers(tuple(secrets))
        os.chmod(workdir, 0o711)


def kill_user_processes(uid: int | None) -> None:
    """SIGKILL every process of the child's user: what a student started outlives no test."""
    if uid is None:
        return
    for _ in range(50):
        found = False
        for entry in os.listdir("/proc"):
            if entry.isdigit() and _alive_as(entry, uid):
                found = True
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if not found:
            return


def child_pid(uid: int | None, launched: int | None) -> int | None:
    """The process id (in this process's namespace) of the child that runs the student's
    code: the oldest live process of its own user ``uid`` (it starts before anything the
    student starts), or, without a user of its own, the process ``launched``."""
    if uid is None:
        return launched
    oldest: tuple[int, int] | None = None
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _alive_as(entry, uid):
            started = start_time(int(entry))
            if started is None:
                continue
            if oldest is None or started < oldest[0]:
                oldest = (started, int(entry))
    return oldest[1] if oldest else None


#: Clock ticks per second of ``/proc/PID/stat``'s times.
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of process ``pid``, every thread and the children it has reaped
    (``/proc/PID/stat``); None if it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            fields = stat_file.read().rsplit(")", 1)[1].split()
        return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


def user_cpu_seconds(uid: int) -> float:
    """CPU seconds of every live process of user ``uid`` (see :func:`process_cpu_seconds`)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _alive_as(entry, uid):
            total += process_cpu_seconds(int(entry)) or 0.0
    return total


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds process ``pid`` has run: its CPU-time clock (every thread's, ended ones too,
    in nanoseconds: one system call), and no less than its count in clock ticks with the
    children it has reaped (``/proc/PID/stat``); None if it cannot be read."""
    try:
        clock_ns = time.clock_gettime_ns(_process_cpu_clock(pid))
    except (OSError, OverflowError):
        return None
    ticks = process_cpu_seconds(pid)
    return max(clock_ns / 1e9, ticks or 0.0)


def _process_cpu_clock(pid: int) -> int:
    """The clock id of process ``pid``'s CPU time, as ``clock_getcpuclockid(3)`` makes it on
    Linux (``MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)``: the scheduler's nanosecond count)."""
    return (~pid << 3) | 2


def _alive_as(pid: str, uid: int) -> bool:
    """Whether process ``pid`` runs with real user ``uid`` and is not a zombie (already dead)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if line.startswith(("State:", "Uid:")))
        return int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z")
    except (OSError, KeyError, ValueError):
        return False


#: World-writable folders where one child could leave files for the next child of its user.
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm")


def remove_user_files(uid: int | None) -> None:
    """Delete what the child's user left in :data:`SCRATCH_DIRS` (once its processes are gone):
    the next submission graded under the same user id must find nothing of the last one's.
    A confined child never sees these folders (its ``/tmp`` and ``/dev/shm`` are its sandbox's,
    empty and not writable for it, and it has no ``/var``): nothing to look for then."""
    if uid is None or detect().confined:
        return
    for folder in SCRATCH_DIRS:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue
