"""What the hidden checks compute from a lesson's own files, kept on disk across runs.

The checks' inputs and the reference's answers (:func:`grader.kit.numeric.once`) depend on the
lesson's files, the grader's kit, numpy and the machine, never on a submission: a batch worker
computes them once, and a later run reads them back instead of paying for them again.

One pickle per lesson folder and *signature* (a SHA-256 of every file of the lesson folder, of
the kit's sources, of Python's, numpy's, scipy's and the machine's identity): a changed file
makes a new signature, so nothing stale is ever read. The folder (:func:`grader.course.paths.cache_root`)
is created private to the grader's user (mode 0700) and read only while nobody else may write
to it or to the file (a pickle that someone else could write would run their code); it is used
only where the child runs as a user of its own, and the child never sees it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import pickle
import platform
import stat
import sys
import tempfile
from pathlib import Path

import numpy as np

from grader.core.suite import after_each_run
from grader.course.paths import MANIFEST, cache_root
from grader.runner import sandbox

#: Changes when what is kept changes shape.
FORMAT = 1
KIT_DIR = Path(__file__).resolve().parent


class Kept:
    """One lesson's kept values: ``get``, ``put``; written back after each grading that added some."""

    def __init__(self, path: Path | None):
        self.path = path
        self.values: dict = _load(path) if path is not None else {}
        self.dirty = False

    def get(self, key, default=None):
        return self.values.get(key, default)

    def __contains__(self, key) -> bool:
        return key in self.values

    def put(self, key, value) -> None:
        self.values[key] = value
        if self.path is not None and not self.dirty:
            self.dirty = True
            after_each_run(self.save)

    def save(self) -> None:
        """Write the values back (atomically: a reader sees the old file or the new one)."""
        if not self.dirty or self.path is None:
            return
        folder = self.path.parent
        if not _private_folder(folder, create=True):
            return
        try:
            payload = pickle.dumps(dict(self.values), protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RuntimeError):
            self.path = None  # something kept cannot be written: keep it in memory only
            return
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".kept-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(payload)
            os.replace(temporary, self.path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            return
        self.dirty = False


_KEPT: dict[Path | None, Kept] = {}


def kept_for(source: str | Path | None) -> Kept:
    """The kept values of the lesson folder that holds ``source`` (a hidden suite's file);
    values kept in memory only when there is no such file or folder, or nothing may be kept on
    disk."""
    folder = lesson_folder_of(Path(source)) if source else None
    if folder not in _KEPT:
        # On disk only where the child runs as a user of its own: a child with the grader's
        # user could write the pickle that a later grading loads.
        root = cache_root() if sandbox.detect().drop_user else None
        path = root / f"{folder.name}-{lesson_signature(folder)[:32]}.pickle" if root is not None and folder is not None else None
        _KEPT[folder] = Kept(path)
    return _KEPT[folder]


def lesson_folder_of(path: Path) -> Path | None:
    """The nearest folder above ``path`` with a lesson manifest, or None."""
    for folder in Path(path).resolve().parents:
        if (folder / MANIFEST).is_file():
            return folder
    return None


@functools.cache
def lesson_signature(folder: Path) -> str:
    """SHA-256 of what kept values depend on: the lesson folder's files, the kit's sources,
    Python, numpy, scipy and this machine (numpy's kernels differ by processor)."""
    versions = f"{FORMAT}|{sys.version}|{np.__version__}|{_version('scipy')}|{platform.machine()}|{_processor()}"
    digest = hashlib.sha256(versions.encode())
    for root in (folder, KIT_DIR):
        for path in sorted(root.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _processor() -> str:
    """The CPU's model name."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _load(path: Path) -> dict:
    if not _private_folder(path.parent, create=False):
        return {}
    try:
        with open(path, "rb") as stream:
            if not _ours(os.fstat(stream.fileno())):
                return {}
            values = pickle.load(stream)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return {}
    return values if isinstance(values, dict) else {}


def _private_folder(folder: Path, *, create: bool) -> bool:
    """Whether ``folder`` exists (made if ``create``), belongs to this user and only this user
    may write to it."""
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _ours(folder.stat())
    except OSError:
        return False


def _ours(status: os.stat_result) -> bool:
    return status.st_uid == os.geteuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
