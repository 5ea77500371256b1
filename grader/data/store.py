"""Data sets on disk: manifests, the data directory, verification, fetch and import.

A manifest (``datasets/<name>.json``) lists each file with its size, sha256 (and md5), the
sha256 of its gunzipped content where that identifies it too (Debian repackages gzip headers),
accepted alternatives (a verified repack), and the URLs to fetch it from. Files live in
``{data_dir}/{name}/``; the data directory is ``--data-dir``, else ``$GRADER_DATA_DIR``, else
``$XDG_CACHE_HOME/nn-grader/datasets`` (``~/.cache/...``). A file is written to a ``.part``
file first and renamed into place only once verified, so no half-written file is ever loaded.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import shutil
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.paths import course_root
from grader.errors import GraderFault

CHUNK = 1 << 20


class DataError(GraderFault, RuntimeError):
    """A data set that is missing, corrupt or unknown; the message names the file."""


@dataclass(frozen=True)
class DataFile:
    """One file of a data set, as its manifest describes it."""

    name: str
    bytes: int
    sha256: str
    md5: str | None = None
    gunzip_sha256: str | None = None
    urls: tuple[str, ...] = ()
    alternatives: tuple[DataFile, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: dict) -> DataFile:
        alternatives = tuple(cls.from_dict(alt) for alt in data.get("alternatives", []))
        return cls(data["name"], int(data["bytes"]), data["sha256"], data.get("md5"), data.get("gunzip_sha256"), tuple(data.get("urls", [])), alternatives)


@dataclass(frozen=True)
class Dataset:
    """A data set's manifest."""

    name: str
    title: str
    licence: str
    citation: str
    files: tuple[DataFile, ...]
    #: How the files are read (:data:`grader.data.loaders.FORMATS`).
    format: str = ""
    #: The names of the labels 0, 1, ... (what ``grade new --model`` writes into a manifest).
    classes: tuple[str, ...] = ()


def manifests_dir() -> Path:
    """``datasets/`` of the course root (the manifests; the student distribution packages a copy)."""
    return course_root() / "datasets"


def load_manifest(name: str) -> Dataset:
    """The manifest of data set ``name``."""
    path = manifests_dir() / f"{name}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in manifests_dir().glob("*.json"))) or "none"
        raise DataError(f"unknown data set '{name}' (known: {known})")
    data = json.loads(path.read_text())
    files = tuple(DataFile.from_dict(f) for f in data["files"])
    return Dataset(data["name"], data["title"], data.get("licence", ""), data.get("citation", ""), files, data.get("format", ""), tuple(data.get("classes", ())))


def all_datasets() -> list[Dataset]:
    """Every data set with a manifest."""
    return [load_manifest(path.stem) for path in sorted(manifests_dir().glob("*.json"))]


def data_dir(override: str | Path | None = None) -> Path:
    """Where data sets live (see the module docstring)."""
    if override:
        return Path(override)
    if os.environ.get("GRADER_DATA_DIR"):
        return Path(os.environ["GRADER_DATA_DIR"])
    return default_data_dir()


def default_data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The data directory when none is configured: ``$XDG_CACHE_HOME`` (else ``~/.cache``)
    ``/nn-grader/datasets``."""
    cache = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "nn-grader" / "datasets"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _gunzip_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
    except (OSError, EOFError):
        return None
    return digest.hexdigest()


def matches(entry: DataFile, path: Path) -> bool:
    """Whether ``path`` holds ``entry``: its sha256, or (for gzip files) its content's."""
    if not path.is_file():
        return False
    if path.stat().st_size == entry.bytes and sha256_of(path) == entry.sha256:
        return True
    return entry.gunzip_sha256 is not None and _gunzip_sha256(path) == entry.gunzip_sha256


@dataclass(frozen=True)
class FileStatus:
    """Whether a file of a data set is present, and verified."""

    entry: DataFile
    path: Path | None
    verified: bool


def status(dataset: Dataset, root: Path) -> list[FileStatus]:
    """For each file of ``dataset`` (or an accepted alternative): where it is, whether it verifies."""
    statuses = []
    for entry in dataset.files:
        found = None
        for candidate in (entry, *entry.alternatives):
            path = root / dataset.name / candidate.name
            if path.is_file():
                found = FileStatus(candidate, path, matches(candidate, path))
                break
        statuses.append(found or FileStatus(entry, None, False))
    return statuses


def require(dataset: Dataset, root: Path) -> dict[str, Path]:
    """The verified files of ``dataset`` by name; raises :class:`DataError` naming any file
    that is missing or corrupt (such a file is never loaded)."""
    found = {}
    for item in status(dataset, root):
        if item.path is None:
            raise DataError(
                f"data set {dataset.name}: {item.entry.name} is missing from {root / dataset.name}; "
                f"run `grade data fetch {dataset.name}` or `grade data import {dataset.name} PATH`"
            )
        if not item.verified:
            raise DataError(
                f"data set {dataset.name}: {item.path.name} fails its checksum (corrupt or truncated); "
                f"run `grade data import {dataset.name} PATH` or `grade data fetch {dataset.name}`"
            )
        found[item.entry.name] = item.path
    return found


def import_files(dataset: Dataset, source: Path, root: Path) -> list[Path]:
    """Copy the data set's files from ``source`` (a folder holding them, or one file) into the
    data directory, verifying each; a file that does not verify is refused by name."""
    source = Path(source)
    candidates = [source] if source.is_file() else [p for p in source.rglob("*") if p.is_file()]
    by_name = {path.name: path for path in candidates}
    imported = []
    target_dir = root / dataset.name
    target_dir.mkdir(parents=True, exist_ok=True)
    for entry in dataset.files:
        for candidate in (entry, *entry.alternatives):
            path = by_name.get(candidate.name)
            if path is None:
                continue
            if not matches(candidate, path):
                raise DataError(f"{path} is not {dataset.name}'s {candidate.name}: its checksum does not match the manifest")
            partial = target_dir / f".{candidate.name}.part"
            shutil.copyfile(path, partial)
            os.replace(partial, target_dir / candidate.name)
            imported.append(target_dir / candidate.name)
            break
    if not imported:
        raise DataError(f"{source} holds none of {dataset.name}'s files ({', '.join(e.name for e in dataset.files)})")
    return imported


def fetch(dataset: Dataset, root: Path, progress=None) -> list[Path]:
    """Download every missing or corrupt file of ``dataset``, resuming a ``.part`` file where
    the server allows it, trying each URL in turn, verifying before the file takes its name.

    ``progress(name, done_bytes, total_bytes)`` is called as data arrives.
    """
    target_dir = root / dataset.name
    target_dir.mkdir(parents=True, exist_ok=True)
    fetched = []
    for entry, item in zip(dataset.files, status(dataset, root)):
        if item.verified:
            continue
        errors = []
        for url in entry.urls:
            try:
                fetched.append(_download(entry, url, target_dir, progress))
                break
            except (OSError, DataError, http.client.HTTPException) as error:
                errors.append(f"{url}: {type(error).__name__}: {error}")
        else:
            raise DataError(f"could not fetch {entry.name}: " + "; ".join(errors or ["no URL in the manifest"]))
    return fetched


def _download(entry: DataFile, url: str, target_dir: Path, progress) -> Path:
    partial = target_dir / f".{entry.name}.part"
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        resumed = have and getattr(response, "status", 200) == 206
        mode = "ab" if resumed else "wb"
        done = have if resumed else 0
        with open(partial, mode) as handle:
            for chunk in iter(lambda: response.read(CHUNK), b""):
                handle.write(chunk)
                done += len(chunk)
                if progress:
                    progress(entry.name, done, entry.bytes)
    size = partial.stat().st_size
    if size < entry.bytes:
        raise DataError(f"{entry.name}: the download stopped at {size:,} of {entry.bytes:,} bytes; fetch again to resume")
    if not matches(entry, partial):
        partial.unlink()
        raise DataError(f"{entry.name} from {url} does not match its checksum; the download was removed")
    final = target_dir / entry.name
    os.replace(partial, final)
    return final
