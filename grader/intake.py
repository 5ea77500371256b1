"""Intake: a submission is data, the regular files of a folder or an archive and nothing else.

Every way a submission arrives (a folder given to ``grade autograde``, nbgrader's
``submitted/`` tree, the exchange's inbound folders, a ``.zip`` or ``.tar.gz`` upload) goes
through :func:`read_submission`. It returns the submission's regular files as bytes, and one
:class:`Refusal` for each entry it left out, with a message that says why:

- a folder is walked through file descriptors opened with ``O_NOFOLLOW`` (``openat``), so no
  symbolic link is followed, even one swapped in while the folder is read;
- symbolic links, hard links (a file with more than one name), devices, fifos and sockets are
  refused without being opened;
- archive members that are links or special files, absolute paths, or paths that leave the
  folder (``..``) are refused; a member's size and compression ratio are checked before it is
  read, and reading stops at the declared size;
- :class:`IntakeLimits`: file size, total size, file count, folder depth, compression ratio.

Hidden entries (names starting with ``.``) and ``__pycache__`` folders are caches and editor
files: skipped without a word. Only the accepted bytes reach the sandbox, written by the grader
(:meth:`SubmissionFiles.write_to`); nothing copies a submission with a generic tree copy.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: Archive suffixes :func:`read_submission` reads (anything else must be a folder).
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")
#: Folders and files skipped silently: caches and the archivers' own metadata.
SKIPPED_NAMES = ("__pycache__", "__MACOSX")
#: Below this many bytes a member's compression ratio is not looked at (tiny files compress
#: far, and the size limits bound them anyway).
RATIO_FLOOR_BYTES = 1 << 20

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_DIRECTORY", 0)


@dataclass(frozen=True)
class IntakeLimits:
    """What one submission may hold; ``ratio``: most uncompressed bytes per compressed byte
    of an archive (members, or a ``.tar.gz`` stream, above :data:`RATIO_FLOOR_BYTES`)."""

    file_bytes: int = 8 << 20
    total_bytes: int = 20 << 20
    files: int = 500
    depth: int = 8
    ratio: float = 100.0


DEFAULT_LIMITS = IntakeLimits()


@dataclass(frozen=True)
class Refusal:
    """One entry left out of a submission: its path in the submission and the reason."""

    path: str
    message: str

    def to_dict(self) -> dict:
        return {"path": self.path, "message": self.message}


class IntakeError(ValueError):
    """There is no submission at the path given."""


@dataclass
class SubmissionFiles:
    """The accepted files of one submission (relative POSIX path -> bytes) and the refusals."""

    source: str
    files: dict[str, bytes] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(len(content) for content in self.files.values())

    def refusal_of(self, path: str) -> Refusal | None:
        """The refusal of ``path``, if it was left out."""
        return next((refusal for refusal in self.refused if refusal.path == path), None)

    def write_to(self, folder: Path, uid: int | None = None, mode: int = 0o755) -> None:
        """Write the files into the new folder ``folder`` (which must not exist, made with
        ``mode``), as data: created exclusively, never through a link; owned by ``uid`` when
        given."""
        folder = Path(folder)
        folder.mkdir(mode=mode)
        made = {folder}
        for relative, content in self.files.items():
            target = folder.joinpath(*PurePosixPath(relative).parts)
            for parent in reversed(target.parents):
                if parent not in made and folder in parent.parents:
                    parent.mkdir(mode=0o755)
                    made.add(parent)
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(content)
        if uid is not None:
            for path in made | {folder.joinpath(*PurePosixPath(relative).parts) for relative in self.files}:
                os.chown(path, uid, uid, follow_symlinks=False)


def read_submission(path: str | Path, *, first: tuple[str, ...] = (), limits: IntakeLimits = DEFAULT_LIMITS) -> SubmissionFiles:
    """The regular files of the submission at ``path`` (a folder, ``.zip``, ``.tar.gz``,
    ``.tgz`` or ``.tar``) within ``limits``, and what was refused (see the module docstring).

    ``first``: top-level names read before any other (the lesson's own files), so that a
    flood of other files never crowds them out. ``path`` itself is not followed either when it
    is a link. Raises :class:`IntakeError` only when ``path`` does not exist; a file of no known
    kind, or a broken archive, is read as far as it can be and the rest refused with the reason.
    """
    path = Path(path)
    reader = _Reader(str(path), limits)
    if path.is_symlink():
        reader.refuse(".", f"the submission {path.name} is a symbolic link: links are not accepted")
    elif path.is_dir():
        reader.read_folder(path, first)
    elif path.is_file() and path.name.endswith(ARCHIVE_SUFFIXES):
        if path.name.endswith(".zip"):
            reader.read_zip(path)
        else:
            reader.read_tar(path)
        reader.strip_common_folder(first)
    elif path.exists():
        reader.refuse(".", f"the submission {path.name} is neither a folder nor a {', '.join(ARCHIVE_SUFFIXES)} archive")
    else:
        raise IntakeError(f"submission '{path}' does not exist")
    return reader.result


def read_small_file(folder: str | Path, name: str, max_bytes: int = 1 << 16) -> bytes | None:
    """The content of the regular file ``folder/name`` (neither followed through a link, nor
    a special or hard-linked file, nor larger than ``max_bytes``), or None."""
    try:
        top = os.open(folder, _DIR_FLAGS)
    except OSError:
        return None
    try:
        descriptor = os.open(name, _OPEN_FLAGS, dir_fd=top)
    except OSError:
        return None
    finally:
        os.close(top)
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1 or info.st_size > max_bytes:
            return None
        return stream.read(max_bytes + 1)[:max_bytes]


def _kind_of(mode: int) -> str | None:
    """Why an entry of file mode ``mode`` is refused, or None for a regular file or folder."""
    if stat.S_ISLNK(mode):
        return "is a symbolic link: links are not accepted"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device: only regular files are accepted"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (fifo): only regular files are accepted"
    if stat.S_ISSOCK(mode):
        return "is a socket: only regular files are accepted"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "is not a regular file: only regular files are accepted"


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_NAMES


class _Reader:
    """Accumulates one submission's accepted files and refusals, enforcing the limits."""

    def __init__(self, source: str, limits: IntakeLimits):
        self.limits = limits
        self.result = SubmissionFiles(source)
        self.left_out = 0
        self.first_left_out: str | None = None

    # -- bookkeeping ------------------------------------------------------------------------
    def refuse(self, path: str, reason: str) -> None:
        message = reason if reason.startswith("the submission") else f"{path} {reason}"
        self.result.refused.append(Refusal(path, message))

    def full(self) -> bool:
        """Whether the file count is reached (later entries are counted, not read)."""
        return len(self.result.files) >= self.limits.files

    def count_left_out(self, path: str) -> None:
        self.left_out += 1
        self.first_left_out = self.first_left_out or path

    def admits(self, path: str, size: int) -> bool:
        """Whether a file of ``size`` bytes at ``path`` fits the limits; refuses it if not."""
        if self.full():
            self.count_left_out(path)
            return False
        if size > self.limits.file_bytes:
            self.refuse(path, f"is {_megabytes(size)}; a file may be at most {_megabytes(self.limits.file_bytes)} (leave data and outputs out)")
            return False
        if self.result.total_bytes + size > self.limits.total_bytes:
            self.refuse(path, f"was left out: the submission would exceed {_megabytes(self.limits.total_bytes)} in all")
            return False
        return True

    def accept(self, path: str, content: bytes) -> None:
        if path in self.result.files:
            self.refuse(path, "appears twice in the archive: the first copy was kept")
            return
        self.result.files[path] = content

    def finish(self) -> None:
        if self.left_out:
            self.result.refused.append(
                Refusal(
                    self.first_left_out or "",
                    f"{self.left_out:,} more entries (from {self.first_left_out}) were left out: a submission holds at most {self.limits.files} files",
                )
            )

    # -- folders ----------------------------------------------------------------------------
    def read_folder(self, folder: Path, first: tuple[str, ...]) -> None:
        try:
            top = os.open(folder, _DIR_FLAGS)
        except OSError as error:
            self.refuse(".", f"the submission {folder.name} could not be opened ({error.strerror})")
            return
        try:
            self._walk(top, "", 1, first)
        finally:
            os.close(top)
        self.finish()

    def _walk(self, directory: int, prefix: str, depth: int, first: tuple[str, ...] = ()) -> None:
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: (entry.name not in first, entry.name))
        except OSError as error:
            self.refuse(prefix.rstrip("/") or ".", f"could not be read ({error.strerror})")
            return
        for entry in entries:
            if _skipped(entry.name):
                continue
            path = prefix + entry.name
            if self.full():
                self.count_left_out(path)
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as error:
                self.refuse(path, f"could not be read ({error.strerror})")
                continue
            reason = _kind_of(info.st_mode)
            if reason:
                self.refuse(path, reason)
            elif stat.S_ISDIR(info.st_mode):
                if depth >= self.limits.depth:
                    self.refuse(path, f"is more than {self.limits.depth} folders deep: left out")
                    continue
                try:
                    child = os.open(entry.name, _DIR_FLAGS, dir_fd=directory)
                except OSError as error:
                    self.refuse(path, f"could not be opened ({error.strerror})")
                    continue
                try:
                    self._walk(child, path + "/", depth + 1)
                finally:
                    os.close(child)
            elif info.st_nlink > 1:
                self.refuse(path, f"is a hard link (one file with {info.st_nlink} names): links are not accepted; submit a copy")
            elif self.admits(path, info.st_size):
                self._read_file(directory, entry.name, path, info)

    def _read_file(self, directory: int, name: str, path: str, seen: os.stat_result) -> None:
        try:
            descriptor = os.open(name, _OPEN_FLAGS, dir_fd=directory)
        except OSError as error:
            self.refuse(path, "is a symbolic link: links are not accepted" if error.errno == errno.ELOOP else f"could not be opened ({error.strerror})")
            return
        with os.fdopen(descriptor, "rb") as stream:
            info = os.fstat(stream.fileno())
            if (info.st_dev, info.st_ino) != (seen.st_dev, seen.st_ino) or not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
                self.refuse(path, "changed while it was read: only regular files are accepted")
                return
            content = stream.read(self.limits.file_bytes + 1)
        if len(content) > info.st_size:
            self.refuse(path, "grew while it was read: not accepted")
            return
        self.accept(path, content)

    # -- archives ---------------------------------------------------------------------------
    def member_path(self, name: str) -> str | None:
        """The member's path inside the submission, or None (refused, or skipped silently)."""
        cleaned = name.replace("\\", "/")
        if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
            self.refuse(name, "is an absolute path: archive members must be relative to the submission")
            return None
        parts = [part for part in cleaned.split("/") if part not in ("", ".")]
        if ".." in parts:
            self.refuse(name, "leaves the submission folder (..): not accepted")
            return None
        if not parts or any(_skipped(part) for part in parts):
            return None
        if any(ord(char) < 32 for char in cleaned):
            self.refuse(name.encode("unicode_escape").decode(), "has control characters in its name: not accepted")
            return None
        if len(parts) > self.limits.depth:
            self.refuse("/".join(parts), f"is more than {self.limits.depth} folders deep: left out")
            return None
        return "/".join(parts)

    def read_zip(self, archive: Path) -> None:
        try:
            with zipfile.ZipFile(archive) as bundle:
                members = bundle.infolist()
                for info in members:
                    if info.is_dir():
                        continue
                    path = self.member_path(info.filename)
                    if path is None:
                        continue
                    mode = info.external_attr >> 16
                    reason = _kind_of(mode) if info.create_system == 3 and stat.S_IFMT(mode) else None
                    if reason:
                        self.refuse(path, reason)
                        continue
                    if info.flag_bits & 0x1:
                        self.refuse(path, "is encrypted: not accepted")
                        continue
                    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > self.limits.ratio * max(1, info.compress_size):
                        ratio = info.file_size / max(1, info.compress_size)
                        self.refuse(path, f"expands {ratio:,.0f} times (more than {self.limits.ratio:g}): refused as a possible zip bomb")
                        continue
                    if not self.admits(path, info.file_size):
                        continue
                    try:
                        with bundle.open(info) as stream:
                            content = stream.read(self.limits.file_bytes + 1)
                    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
                        self.refuse(path, f"could not be unpacked ({error})")
                        continue
                    if len(content) != info.file_size:
                        self.refuse(path, "does not hold its declared size: not accepted")
                        continue
                    self.accept(path, content)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            self.refuse(".", f"the submission {archive.name} is not a readable zip archive ({error})")
        self.finish()

    def read_tar(self, archive: Path) -> None:
        compressed = max(1, archive.stat().st_size)
        # the work of skipping members is bounded too: reading stops past this many bytes
        scan_limit = 4 * self.limits.total_bytes
        try:
            with open(archive, "rb") as raw, tarfile.open(fileobj=raw, mode="r|*") as bundle:
                for member in bundle:
                    expanded = member.offset_data + member.size
                    if expanded > RATIO_FLOOR_BYTES and expanded > self.limits.ratio * compressed:
                        self.refuse(".", f"the submission {archive.name} expands more than {self.limits.ratio:g} times: the rest of it was refused as a possible archive bomb")
                        break
                    if expanded > scan_limit:
                        self.refuse(".", f"the submission {archive.name} holds more than {_megabytes(scan_limit)} uncompressed: the rest of it was left out")
                        break
                    if member.isdir():
                        continue
                    path = self.member_path(member.name)
                    if path is None:
                        continue
                    if member.issym() or member.islnk():
                        self.refuse(path, f"is a {'symbolic' if member.issym() else 'hard'} link: links are not accepted")
                    elif member.ischr() or member.isblk():
                        self.refuse(path, "is a device: only regular files are accepted")
                    elif member.isfifo():
                        self.refuse(path, "is a named pipe (fifo): only regular files are accepted")
                    elif not member.isreg():
                        self.refuse(path, "is not a regular file: only regular files are accepted")
                    elif self.admits(path, member.size):
                        stream = bundle.extractfile(member)
                        self.accept(path, stream.read(member.size) if stream else b"")
        except (tarfile.TarError, OSError, EOFError, ValueError) as error:
            self.refuse(".", f"the submission {archive.name} is not a readable tar archive, or is cut short ({error})")
        self.finish()

    def strip_common_folder(self, first: tuple[str, ...]) -> None:
        """An archive of the lesson's folder (``activations/activations.py``) is read as the
        folder's content, as a student who zipped the folder means it."""
        files = self.result.files
        tops = {path.split("/", 1)[0] for path in files}
        if len(tops) != 1 or not all("/" in path for path in files) or any(name in files for name in first):
            return
        self.result.files = {path.split("/", 1)[1]: content for path, content in files.items()}

