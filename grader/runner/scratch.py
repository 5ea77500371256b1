"""The folders where children run (a zygote's slot, a fresh child's folder), made so that what
a dead grading process left behind is recognised and removed.

A folder is ``$TMPDIR/grader-KIND-PID-START-XXXXXXXX``: the grading process's id and its start
time (so a reused process id is not taken for the owner). Its owner removes it when the child
ends; a process killed with SIGKILL cannot, so every grading process, the first time it makes a
folder, removes the folders whose owner is gone (and those of the older name
``grader-KIND-XXXXXXXX``, which named no owner, once they are an hour old).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

KINDS = ("slot", "sub")
_NAME = re.compile(r"grader-(?:slot|sub)-(\d+)-(\d+)-[A-Za-z0-9_]+$")
_OLD_NAME = re.compile(r"grader-(?:slot|sub)-[A-Za-z0-9_]{8}$")
#: How old a folder of the older name must be to be taken for a dead process's.
OLD_NAME_AGE_S = 3600
_SWEPT: set[int] = set()


def start_time(pid: int) -> int | None:
    """Process ``pid``'s start time (clock ticks after boot, ``/proc/PID/stat``), None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _proc_is_ours() -> bool:
    """Whether ``/proc`` shows this process (a PID namespace of its own would hide the owners)."""
    return os.path.exists(f"/proc/{os.getpid()}")


def make_folder(kind: str) -> Path:
    """A new folder for a child of this process (``kind``: ``slot`` or ``sub``), after removing
    what dead grading processes left (once per process)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if os.getpid() not in _SWEPT:
        _SWEPT.add(os.getpid())
        remove_stale()
    return Path(tempfile.mkdtemp(prefix=f"grader-{kind}-{os.getpid()}-{start_time(os.getpid()) or 0}-"))


def remove_stale(root: str | Path | None = None) -> list[Path]:
    """Remove the child folders in ``root`` (default: the temporary folder) whose grading
    process is gone; the folders removed."""
    removed: list[Path] = []
    folder = Path(root or tempfile.gettempdir())
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False) or not _stale(entry):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def _stale(entry: os.DirEntry) -> bool:
    match = _NAME.match(entry.name)
    if match:
        pid, started = int(match.group(1)), int(match.group(2))
        if started == 0:
            return False  # its owner's start time was unknown: it cannot be told dead
        now = start_time(pid)
        if now is None:
            return _proc_is_ours()  # gone, where /proc shows this machine's processes
        return now != started  # the process id now belongs to another process
    if _OLD_NAME.match(entry.name):
        try:
            return time.time() - entry.stat(follow_symlinks=False).st_mtime > OLD_NAME_AGE_S
        except OSError:
            return False
    return False
