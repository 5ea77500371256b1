"""The intake alone: what it accepts from folders and archives, what it refuses, and in what words."""

from __future__ import annotations

import io
import os
import tarfile
import time
import zipfile

import pytest

from grader.runner.intake import IntakeError, IntakeLimits, read_small_file, read_submission

SECRET = b"SECRET-7f3a: the test labels"


@pytest.fixture
def secret(tmp_path):
    """A file outside the submission that no submission may reach."""
    path = tmp_path / "outside" / "labels.gz"
    path.parent.mkdir()
    path.write_bytes(SECRET)
    return path


@pytest.fixture
def folder(tmp_path):
    """A submission folder with one ordinary file."""
    path = tmp_path / "submission"
    path.mkdir()
    (path / "tensors.py").write_text("X = 1\n")
    return path


def _messages(files) -> dict:
    return {refusal.path: refusal.message for refusal in files.refused}


def _no_secret(files) -> None:
    assert all(SECRET not in content for content in files.files.values())


def test_regular_files_are_read_as_bytes_and_caches_are_skipped(folder):
    (folder / "notes").mkdir()
    (folder / "notes" / "plan.txt").write_text("plan")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "tensors.cpython-311.pyc").write_bytes(b"\0")
    (folder / ".ipynb_checkpoints").mkdir()
    files = read_submission(folder)
    assert files.files == {"tensors.py": b"X = 1\n", "notes/plan.txt": b"plan"}
    assert files.refused == []


@pytest.mark.parametrize("where", ["top", "nested"])
def test_a_symbolic_link_to_a_file_is_refused_by_name(folder, secret, where):
    name = "labels.gz" if where == "top" else "notes/deep/labels.gz"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).symlink_to(secret)
    files = read_submission(folder)
    _no_secret(files)
    assert _messages(files) == {name: f"{name} is a symbolic link: links are not accepted"}
    assert "tensors.py" in files.files


def test_relative_and_folder_links_are_refused(folder, secret):
    (folder / "up.gz").symlink_to(os.path.relpath(secret, folder))
    (folder / "everything").symlink_to(secret.parent, target_is_directory=True)
    (folder / "root").symlink_to("/")
    files = read_submission(folder)
    _no_secret(files)
    assert set(_messages(files)) == {"up.gz", "everything", "root"}
    assert all("symbolic link" in message for message in _messages(files).values())


def test_devices_fifos_sockets_and_hard_links_are_never_opened(folder, secret, tmp_path):
    import socket

    (folder / "zero").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe")  # opening it would block: it must never be opened
    os.link(secret, folder / "hard.gz")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "sock"))
    try:
        started = time.monotonic()
        files = read_submission(folder)
        assert time.monotonic() - started < 5
    finally:
        listener.close()
    _no_secret(files)
    messages = _messages(files)
    assert messages["zero"] == "zero is a symbolic link: links are not accepted"
    assert messages["pipe"] == "pipe is a named pipe (fifo): only regular files are accepted"
    assert messages["sock"] == "sock is a socket: only regular files are accepted"
    assert messages["hard.gz"].startswith("hard.gz is a hard link (one file with 2 names): links are not accepted")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_node_is_refused(folder):
    os.mknod(folder / "null", 0o666 | 0o020000, os.makedev(1, 3))
    assert _messages(read_submission(folder)) == {"null": "null is a device: only regular files are accepted"}


def test_the_submission_itself_may_not_be_a_link(folder, tmp_path):
    link = tmp_path / "linked"
    link.symlink_to(folder, target_is_directory=True)
    files = read_submission(link)
    assert files.files == {}
    assert files.refused[0].message == "the submission linked is a symbolic link: links are not accepted"


def test_missing_submission_raises_and_unknown_kinds_are_refused(tmp_path):
    with pytest.raises(IntakeError, match="does not exist"):
        read_submission(tmp_path / "nothing")
    (tmp_path / "notes.txt").write_text("x")
    files = read_submission(tmp_path / "notes.txt")
    assert files.files == {} and "neither a folder nor a .zip" in files.refused[0].message


def test_size_depth_and_count_limits(folder):
    limits = IntakeLimits(file_bytes=1000, total_bytes=2500, files=5, depth=3)
    (folder / "big.bin").write_bytes(b"x" * 1001)
    for name in ("a.txt", "b.txt", "c.txt"):
        (folder / name).write_bytes(b"y" * 900)
    (folder / "d1" / "d2" / "d3").mkdir(parents=True)
    (folder / "d1" / "d2" / "d3" / "deep.txt").write_text("deep")
    files = read_submission(folder, limits=limits)
    messages = _messages(files)
    assert messages["big.bin"] == "big.bin is 0.0 MB; a file may be at most 0.0 MB (leave data and outputs out)"
    assert "c.txt was left out: the submission would exceed" in messages["c.txt"]
    assert messages["d1/d2/d3"] == "d1/d2/d3 is more than 3 folders deep: left out"
    assert set(files.files) == {"tensors.py", "a.txt", "b.txt"}


def test_a_flood_of_files_never_crowds_out_the_lessons_file(tmp_path):
    flood = tmp_path / "flood"
    flood.mkdir()
    for index in range(100_000):
        (flood / f"a{index:06d}.py").write_bytes(b"")
    (flood / "tensors.py").write_text("X = 1\n")
    started = time.monotonic()
    files = read_submission(flood, first=("tensors.py",))
    seconds = time.monotonic() - started
    assert files.files["tensors.py"] == b"X = 1\n"
    assert len(files.files) == 500
    (summary,) = files.refused
    assert summary.message.startswith("99,501 more entries (from a000499.py) were left out: a submission holds at most 500 files")
    assert seconds < 30, f"reading took {seconds:.1f} s"


def _zip(path, members: dict, **symlinks) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in members.items():
            bundle.writestr(name, content)
        for name, target in symlinks.items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (0o120777 << 16)
            bundle.writestr(info, target)


def test_a_zip_is_read_without_unpacking_and_bad_members_are_refused(tmp_path):
    archive = tmp_path / "upload.zip"
    _zip(
        archive,
        {"tensors/tensors.py": "X = 1\n", "tensors/notes.txt": "n", "../escape.txt": "e", "/etc/cron.d/evil": "e", "tensors/__MACOSX/x": "m"},
        **{"tensors/labels.gz": "/home/grader/.cache/nn-grader/datasets/fashion_mnist/t10k-labels-idx1-ubyte.gz"},
    )
    files = read_submission(archive, first=("tensors.py",))
    assert files.files == {"tensors.py": b"X = 1\n", "notes.txt": b"n"}, "the archive's one top folder is the submission"
    messages = _messages(files)
    assert messages["../escape.txt"] == "../escape.txt leaves the submission folder (..): not accepted"
    assert messages["/etc/cron.d/evil"] == "/etc/cron.d/evil is an absolute path: archive members must be relative to the submission"
    assert messages["labels.gz"] == "tensors/labels.gz is a symbolic link: links are not accepted", "paths are the submission's, messages the archive's"
    assert not (tmp_path / "escape.txt").exists()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("tensors.py", "X = 1\n")
        with bundle.open("zeros.bin", "w", force_zip64=True) as stream:
            chunk = bytes(1 << 20)
            for _ in range(200):
                stream.write(chunk)
    assert archive.stat().st_size < 1 << 20
    started = time.monotonic()
    files = read_submission(archive)
    assert time.monotonic() - started < 2, "the bomb was unpacked"
    assert set(files.files) == {"tensors.py"}
    assert "zeros.bin expands" in _messages(files)["zeros.bin"] and "possible zip bomb" in _messages(files)["zeros.bin"]


def _tar(path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    with tarfile.open(path, "w:gz") as bundle:
        for info, content in members:
            if content is not None:
                info.size = len(content)
            bundle.addfile(info, io.BytesIO(content) if content is not None else None)


def test_a_tarball_with_links_devices_and_escaping_members(tmp_path, secret):
    def member(name, kind=tarfile.REGTYPE, **extra):
        info = tarfile.TarInfo(name)
        info.type = kind
        for key, value in extra.items():
            setattr(info, key, value)
        return info

    archive = tmp_path / "upload.tar.gz"
    _tar(
        archive,
        [
            (member("tensors.py"), b"X = 1\n"),
            (member("labels.gz", tarfile.SYMTYPE, linkname=str(secret)), None),
            (member("hard.gz", tarfile.LNKTYPE, linkname="tensors.py"), None),
            (member("zero", tarfile.CHRTYPE, devmajor=1, devminor=5), None),
            (member("pipe", tarfile.FIFOTYPE), None),
            (member("../../escape.py"), b"e"),
            (member("/tmp/absolute.py"), b"a"),
        ],
    )
    files = read_submission(archive)
    _no_secret(files)
    assert files.files == {"tensors.py": b"X = 1\n"}
    assert _messages(files) == {
        "labels.gz": "labels.gz is a symbolic link: links are not accepted",
        "hard.gz": "hard.gz is a hard link: links are not accepted",
        "zero": "zero is a device: only regular files are accepted",
        "pipe": "pipe is a named pipe (fifo): only regular files are accepted",
        "../../escape.py": "../../escape.py leaves the submission folder (..): not accepted",
        "/tmp/absolute.py": "/tmp/absolute.py is an absolute path: archive members must be relative to the submission",
    }


def test_a_tar_bomb_stops_reading(tmp_path):
    archive = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        info = tarfile.TarInfo("zeros.bin")
        info.size = 200 << 20

        class Zeros(io.RawIOBase):
            left = info.size

            def readable(self):
                return True

            def readinto(self, buffer):
                count = min(len(buffer), self.left)
                buffer[:count] = bytes(count)
                self.left -= count
                return count

        bundle.addfile(info, io.BufferedReader(Zeros()))
        after = tarfile.TarInfo("tensors.py")
        after.size = 6
        bundle.addfile(after, io.BytesIO(b"X = 1\n"))
    started = time.monotonic()
    files = read_submission(archive)
    assert time.monotonic() - started < 2, "the bomb was unpacked"
    assert files.files == {}
    assert "possible archive bomb" in files.refused[0].message


def test_a_corrupt_archive_is_named(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    files = read_submission(tmp_path / "broken.zip")
    assert files.files == {} and "is not a readable zip archive" in files.refused[0].message
    good = tmp_path / "cut.tar.gz"
    _tar(good, [(tarfile.TarInfo("tensors.py"), b"X = 1\n" * 1000)])
    (tmp_path / "cut2.tar.gz").write_bytes(good.read_bytes()[:60])
    files = read_submission(tmp_path / "cut2.tar.gz")
    assert "tensors.py" not in files.files
    assert "not a readable tar archive, or is cut short" in files.refused[-1].message


def test_files_are_written_as_data_owned_by_the_child(folder, tmp_path):
    (folder / "sub").mkdir()
    (folder / "sub" / "a.txt").write_text("a")
    files = read_submission(folder)
    target = tmp_path / "copy"
    files.write_to(target, uid=os.getuid())
    assert (target / "sub" / "a.txt").read_text() == "a"
    assert not any(path.is_symlink() for path in target.rglob("*"))
    with pytest.raises(FileExistsError):
        files.write_to(target)


def test_small_files_are_read_without_following_links(folder, secret):
    (folder / "timestamp.txt").write_text("2026-12-02 10:00:00.000000 UTC")
    (folder / "manifest.json").symlink_to(secret)
    assert read_small_file(folder, "timestamp.txt") == b"2026-12-02 10:00:00.000000 UTC"
    assert read_small_file(folder, "manifest.json") is None
    assert read_small_file(folder, "missing.txt") is None


def test_a_damaged_member_is_refused_and_the_rest_is_read(tmp_path):
    archive = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("tensors.py", "X = 1\n")
        bundle.writestr("notes.txt", "some notes " * 200)
    data = bytearray(archive.read_bytes())
    at = data.index(b"notes.txt") + len("notes.txt") + 5  # inside the deflated data of notes.txt
    data[at : at + 2] = bytes((data[at] ^ 0xFF, data[at + 1] ^ 0xFF))
    archive.write_bytes(bytes(data))
    files = read_submission(archive)
    assert files.files == {"tensors.py": b"X = 1\n"}
    assert _messages(files)["notes.txt"].startswith("notes.txt could not be unpacked (")


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_zip_members_of_unbounded_methods_are_refused(tmp_path, method):
    archive = tmp_path / "methods.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("tensors.py", "X = 1\n")
        bundle.writestr(zipfile.ZipInfo("zeros.bin"), bytes(1000), compress_type=method)
    files = read_submission(archive)
    assert set(files.files) == {"tensors.py"}
    assert _messages(files)["zeros.bin"] == f"zeros.bin is compressed with method {method}: only stored and deflated members are accepted"


def test_a_file_and_a_folder_of_one_name_and_overlong_names_are_refused(tmp_path):
    archive = tmp_path / "clash.zip"
    _zip(archive, {"tensors.py": "X = 1\n", "a": "file", "a/b": "inside", "n" * 300: "long"})
    files = read_submission(archive)
    assert set(files.files) == {"tensors.py", "a"}
    messages = _messages(files)
    assert messages["a/b"] == "a/b is both a file and a folder in the archive: the first one was kept"
    assert "has a name longer than 255 bytes" in messages["n" * 300]
    files.write_to(tmp_path / "written")
    assert (tmp_path / "written" / "a").read_text() == "file"


def test_tarballs_of_other_compressions_and_header_bombs_are_refused(tmp_path):
    import bz2

    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as bundle:
        info = tarfile.TarInfo("tensors.py")
        info.size = 6
        bundle.addfile(info, io.BytesIO(b"X = 1\n"))
    assert read_submission(plain).files == {"tensors.py": b"X = 1\n"}
    bzipped = tmp_path / "upload.tar"
    bzipped.write_bytes(bz2.compress(plain.read_bytes()))
    assert "compressed with bzip2 or xz" in read_submission(bzipped).refused[0].message

    import gzip

    header = tarfile.TarInfo("././@LongLink")
    header.type, header.size = tarfile.GNUTYPE_LONGNAME, 300 << 20
    bomb = tmp_path / "longname.tar.gz"
    with gzip.open(bomb, "wb") as stream:
        stream.write(header.tobuf(format=tarfile.GNU_FORMAT))
        chunk = bytes(1 << 20)
        for _ in range(300):
            stream.write(chunk)
    started = time.monotonic()
    files = read_submission(bomb)
    assert time.monotonic() - started < 5
    assert files.files == {} and "possible archive bomb" in files.refused[0].message


def test_undecodable_names_are_refused_and_shown_escaped(folder, tmp_path):
    (folder / os.fsdecode(b"\xffbad.py")).write_text("x")
    (folder / "tab\there.py").write_text("x")
    files = read_submission(folder)
    messages = sorted(refusal.message for refusal in files.refused)
    assert messages == ["\\xffbad.py has a name that is not valid UTF-8: rename it", "tab\\x09here.py has control characters in its name: rename it"]
    from grader.core.results import GradingResult
    from grader.reports.feedback import write_feedback

    result = GradingResult("tensors", str(folder), "s1", refused=[refusal.to_dict() for refusal in files.refused])
    (written,) = write_feedback([result], tmp_path / "feedback")
    assert "\\xffbad.py" in (written / "feedback.html").read_text()


def test_refusals_are_listed_up_to_a_hundred_then_counted(folder):
    for index in range(250):
        (folder / f"link{index:03d}").symlink_to("/etc/passwd")
    files = read_submission(folder)
    assert len(files.refused) == 101
    assert files.refused[-1].message == "150 more entries were refused for the reasons above (only the first 100 are listed)"
