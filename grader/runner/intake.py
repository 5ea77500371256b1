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
import gzip
import io
import os
import stat
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.errors import RequestError

#: Archive suffixes :func:`read_submission` reads (anything else must be a folder).
#: A Jupyter notebook: its code becomes the lesson's module (:func:`_from_notebook`).
NOTEBOOK_SUFFIX = ".ipynb"
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")
#: Folders and files skipped silently: caches and the archivers' own metadata.
SKIPPED_NAMES = ("__pycache__", "__MACOSX")
#: Below this many bytes a member's compression ratio is not looked at (tiny files compress
#: far, and the size limits bound them anyway).
RATIO_FLOOR_BYTES = 1 << 20
#: Refusals listed one by one; past this many, the rest are counted in one more message.
MAX_REFUSALS = 100
#: The longest name of one path component, and of a whole path, in bytes (as filesystems allow).
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024
#: Zip compression methods read (others, such as bzip2 and LZMA, decompress without a bound).
ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

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


class IntakeError(RequestError, ValueError):
    """There is no submission at the path given, or the grader cannot open it."""


@dataclass
class SubmissionFiles:
    """The accepted files of one submission (relative POSIX path -> bytes) and the refusals."""

    source: str
    files: dict[str, bytes] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)
    #: One line for the student about where the lesson's files were found, when not at the top
    #: ("read from activations/ inside your submission"), or where they are instead.
    note: str = ""
    #: The notebook the lesson's module was made from (:func:`_from_notebook`), if it was.
    notebook: str = ""

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


def read_submission(path: str | Path, *, first: tuple[str, ...] = (), limits: IntakeLimits = DEFAULT_LIMITS, unwrap: bool = True) -> SubmissionFiles:
    """The regular files of the submission at ``path`` (a folder, ``.zip``, ``.tar.gz``,
    ``.tgz`` or ``.tar``) within ``limits``, and what was refused (see the module docstring).

    ``first``: top-level names read before any other (the lesson's own files), so that a
    flood of other files never crowds them out; when none of them is at the top, they are
    looked for where a student puts them (``unwrap``: see :func:`_lesson_files_found`). ``path`` itself is not followed either when it
    is a link. Raises :class:`IntakeError` only when ``path`` does not exist or cannot be
    opened at all; a file of no known kind, or a broken archive, is read as far as it can be
    and the rest refused with the reason.
    """
    path = Path(path)
    reader = _Reader(str(path), limits)
    if path.is_symlink():
        reader.refuse(".", f"the submission {path.name} is a symbolic link: links are not accepted")
    elif path.is_dir():
        reader.read_folder(path, first)
    elif path.is_file() and path.name.endswith(NOTEBOOK_SUFFIX):
        if reader.admits(path.name, path.stat().st_size):
            reader.accept(path.name, path.read_bytes())
    elif path.is_file() and path.name.endswith(ARCHIVE_SUFFIXES):
        if path.name.endswith(".zip"):
            reader.read_zip(path)
        else:
            reader.read_tar(path)
    elif path.exists():
        reader.refuse(".", f"the submission {path.name} is neither a folder nor a {', '.join(ARCHIVE_SUFFIXES)} archive")
    else:
        raise IntakeError(f"submission '{path}' does not exist")
    if first and not any(name in reader.result.files for name in first):
        return _lesson_files_found(reader.result, first, limits, unwrap)
    return reader.result


def _lesson_files_found(files: SubmissionFiles, first: tuple[str, ...], limits: IntakeLimits, unwrap: bool) -> SubmissionFiles:
    """A submission without the lesson's files at its top, read where a student put them: from
    the one folder that holds everything (the folder zipped, or Gradescope's unzip of it), or
    from the one archive at its top (a zip uploaded inside the upload; one level, when
    ``unwrap``); else the same files,
    with a note naming where a lesson file is, if anywhere."""
    tops = {path.split("/", 1)[0] for path in files.files}
    if len(tops) == 1 and all("/" in path for path in files.files):
        (top,) = tops
        inner = SubmissionFiles(
            files.source,
            {path.split("/", 1)[1]: content for path, content in files.files.items()},
            [Refusal(refusal.path[len(top) + 1 :], refusal.message) if refusal.path.startswith(top + "/") else refusal for refusal in files.refused],
        )
        if any(name in inner.files for name in first):
            inner.note = f"your files were read from the folder {top}/ inside your submission"
            return inner
    archives = [path for path in files.files if "/" not in path and path.endswith(ARCHIVE_SUFFIXES)]
    if len(archives) == 1 and unwrap:
        with tempfile.TemporaryDirectory() as scratch:
            inner_path = Path(scratch) / archives[0]
            inner_path.write_bytes(files.files[archives[0]])
            inner = read_submission(inner_path, first=first, limits=limits, unwrap=False)
        if any(name in inner.files for name in first):
            inner.source = files.source
            inner.note = f"your files were read from the archive {archives[0]} inside your submission"
            return inner
    notebooks = sorted(path for path in files.files if "/" not in path and path.endswith(NOTEBOOK_SUFFIX))
    named = [path for path in notebooks if path.removesuffix(NOTEBOOK_SUFFIX) == first[0].removesuffix(".py")]
    if named or len(notebooks) == 1:
        return _from_notebook(files, (named or notebooks)[0], first[0])
    if notebooks:
        files.note = f"your submission has {len(notebooks)} notebooks ({', '.join(notebooks)}) and no {first[0]}: submit the one notebook that holds your work"
        return files
    deeper = sorted(path for path in files.files if path.rsplit("/", 1)[-1] in first)
    if deeper:
        files.note = f"found {deeper[0]}: put {deeper[0].rsplit('/', 1)[-1]} at the top level of your submission"
    return files


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


def _shown(name: str) -> str:
    """``name`` as it can be printed: undecodable bytes and control characters escaped."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace") if _undecodable(name) else name
    return "".join(char if ord(char) >= 32 else f"\\x{ord(char):02x}" for char in text)


def _undecodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _name_problem(path: str) -> str | None:
    """Why the name ``path`` is refused (not UTF-8, control characters, too long), or None."""
    if _undecodable(path):
        return "has a name that is not valid UTF-8: rename it"
    if any(ord(char) < 32 for char in path):
        return "has control characters in its name: rename it"
    if len(path.encode()) > MAX_PATH_BYTES or any(len(part.encode()) > MAX_NAME_BYTES for part in path.split("/")):
        return f"has a name longer than {MAX_NAME_BYTES} bytes (or a path longer than {MAX_PATH_BYTES}): rename it"
    return None


class _Reader:
    """Accumulates one submission's accepted files and refusals, enforcing the limits."""

    def __init__(self, source: str, limits: IntakeLimits):
        self.limits = limits
        self.result = SubmissionFiles(source)
        self.left_out = 0
        self.first_left_out: str | None = None
        self.more_refused = 0
        self.folders: set[str] = set()
        self.accepted_bytes = 0

    # -- bookkeeping ------------------------------------------------------------------------
    def refuse(self, path: str, reason: str) -> None:
        if len(self.result.refused) >= MAX_REFUSALS:
            self.more_refused += 1
            return
        path = _shown(path)
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
        if self.accepted_bytes + size > self.limits.total_bytes:
            self.refuse(path, f"was left out: the submission would exceed {_megabytes(self.limits.total_bytes)} in all")
            return False
        return True

    def accept(self, path: str, content: bytes) -> None:
        parents = ["/".join(path.split("/")[:depth]) for depth in range(1, path.count("/") + 1)]
        if path in self.result.files:
            self.refuse(path, "appears twice in the archive: the first copy was kept")
        elif path in self.folders or any(parent in self.result.files for parent in parents):
            self.refuse(path, "is both a file and a folder in the archive: the first one was kept")
        else:
            self.result.files[path] = content
            self.accepted_bytes += len(content)
            self.folders.update(parents)

    def finish(self) -> None:
        if self.more_refused:
            self.result.refused.append(Refusal("", f"{self.more_refused:,} more entries were refused for the reasons above (only the first {MAX_REFUSALS} are listed)"))
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
            if error.errno == errno.ELOOP:
                self.refuse(".", f"the submission {folder.name} is a symbolic link: links are not accepted")
                return
            raise IntakeError(f"the grader cannot open the submission {folder} ({error.strerror})") from None
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
            problem = _name_problem(path)
            if problem:
                self.refuse(path, problem)
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
        problem = _name_problem("/".join(parts))
        if problem:
            self.refuse(name, problem)
            return None
        if len(parts) > self.limits.depth:
            self.refuse("/".join(parts), f"is more than {self.limits.depth} folders deep: left out")
            return None
        return "/".join(parts)

    def archive_fits(self, archive: Path) -> bool:
        """Whether the archive file itself is within the total size (refused whole if not)."""
        size = archive.stat().st_size
        if size > self.limits.total_bytes:
            self.refuse(".", f"the submission {archive.name} is {_megabytes(size)}; an archive may be at most {_megabytes(self.limits.total_bytes)}")
            return False
        return True

    def read_zip(self, archive: Path) -> None:
        if not self.archive_fits(archive):
            return
        entries = _zip_entry_count(archive)
        if entries is not None and entries > 10 * self.limits.files:
            self.refuse(".", f"the submission {archive.name} lists {entries:,} entries; a submission holds at most {self.limits.files} files")
            return
        try:
            with zipfile.ZipFile(archive) as bundle:
                for info in bundle.infolist():
                    if not info.is_dir():
                        self._read_zip_member(bundle, info)
        except Exception as error:  # noqa: BLE001 - a broken archive is the submission's problem, named
            self.refuse(".", f"the submission {archive.name} is not a readable zip archive ({type(error).__name__}: {error})")
        self.finish()

    def _read_zip_member(self, bundle: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        path = self.member_path(info.filename)
        if path is None:
            return
        mode = info.external_attr >> 16
        reason = _kind_of(mode) if info.create_system == 3 and stat.S_IFMT(mode) else None
        if reason:
            self.refuse(path, reason)
        elif info.flag_bits & 0x1:
            self.refuse(path, "is encrypted: not accepted")
        elif info.compress_type not in ZIP_METHODS:
            self.refuse(path, f"is compressed with method {info.compress_type}: only stored and deflated members are accepted")
        elif info.file_size > RATIO_FLOOR_BYTES and info.file_size > self.limits.ratio * max(1, info.compress_size):
            ratio = info.file_size / max(1, info.compress_size)
            self.refuse(path, f"expands {ratio:,.0f} times (more than {self.limits.ratio:g}): refused as a possible zip bomb")
        elif self.admits(path, info.file_size):
            try:
                with bundle.open(info) as stream:
                    content = stream.read(self.limits.file_bytes + 1)
            except Exception as error:  # noqa: BLE001 - a damaged member: named, the rest goes on
                self.refuse(path, f"could not be unpacked ({type(error).__name__}: {error})")
                return
            if len(content) != info.file_size:
                self.refuse(path, "does not hold its declared size: not accepted")
            else:
                self.accept(path, content)

    def read_tar(self, archive: Path) -> None:
        if not self.archive_fits(archive):
            return
        compressed = max(1, archive.stat().st_size)
        # what may come out of the archive, bounded both ways: skipping members costs work too
        limit = min(4 * self.limits.total_bytes, max(RATIO_FLOOR_BYTES, int(self.limits.ratio * compressed)))
        try:
            with open(archive, "rb") as raw:
                magic = raw.read(6)
                raw.seek(0)
                if magic.startswith(b"BZh") or magic.startswith(b"\xfd7zXZ"):
                    self.refuse(".", f"the submission {archive.name} is compressed with bzip2 or xz: send a .tar.gz or .zip")
                    return
                stream = gzip.GzipFile(fileobj=raw, mode="rb") if magic.startswith(b"\x1f\x8b") else raw
                with tarfile.open(fileobj=_Bounded(stream, limit), mode="r|") as bundle:
                    for member in bundle:
                        if member.offset_data + member.size > limit:
                            raise _TooLarge()
                        self._read_tar_member(bundle, member)
        except _TooLarge:
            self.refuse(
                ".",
                f"the submission {archive.name} expands to more than {_megabytes(limit)} ({self.limits.ratio:g} times its size, or "
                f"{_megabytes(4 * self.limits.total_bytes)}, at most): the rest of it was refused as a possible archive bomb",
            )
        except Exception as error:  # noqa: BLE001 - a broken archive is the submission's problem, named
            self.refuse(".", f"the submission {archive.name} is not a readable tar archive, or is cut short ({type(error).__name__}: {error})")
        self.finish()

    def _read_tar_member(self, bundle: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        if member.isdir():
            return
        path = self.member_path(member.name)
        if path is None:
            return
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


def _from_notebook(files: SubmissionFiles, notebook: str, module_file: str) -> SubmissionFiles:
    """``files`` with the lesson's ``module_file`` made from the code of ``notebook``
    (:mod:`grader.runner.notebook_code`: read as data, never run), and a note on which cells."""
    from grader.runner.notebook_code import NotebookError, notebook_code

    try:
        made = notebook_code(files.files[notebook])
    except NotebookError as error:
        files.note = f"{notebook} could not be read: {error}"
        return files
    files.files[module_file] = made.source.encode()
    files.note, files.notebook = f"{made.note} ({notebook})", notebook
    return files


class _TooLarge(Exception):
    """More came out of an archive than its limit allows."""


class _Bounded(io.RawIOBase):
    """A readable stream that raises :class:`_TooLarge` once more than ``limit`` bytes have
    been read from ``stream`` (reads never ask it for more than that)."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.count = stream, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        room = self.limit - self.count + 1
        if room <= 0:
            raise _TooLarge()
        data = self.stream.read(min(len(buffer), room))
        buffer[: len(data)] = data
        self.count += len(data)
        if self.count > self.limit:
            raise _TooLarge()
        return len(data)


def _zip_entry_count(archive: Path) -> int | None:
    """The entry count of a zip's end-of-central-directory record (None if it has none or
    uses the zip64 record), read before :mod:`zipfile` parses the whole directory."""
    with open(archive, "rb") as stream:
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(max(0, size - (1 << 16) - 22))
        tail = stream.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 12:
        return None
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    return None if count == 0xFFFF else count

