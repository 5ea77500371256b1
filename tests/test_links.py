"""Submissions that carry links, special files and hostile archives, graded in a batch: the
link's target never reaches the student's code, the refused entry is named in the result, the
rest of the submission is graded as usual, and the batch's other submissions are unharmed.

Each attacked submission is the tensors reference whose ``tensor_sum`` walks its own folder
(following links) looking for the secret it was handed; it returns the right answer only if
it found it, so a working intake shows up as 0 points on ``tensor_sum`` and full marks
elsewhere. Graded with bubblewrap, with the grader's own namespaces, and with no confinement
at all (as a grader that is not root runs).
"""

from __future__ import annotations

import io
import json
import os
import socket
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import bubblewrap_available, make_submission, needs_fashion

from grader.api import GradeRequest, grade_batch
from grader.cli import main
from grader.course.catalogue import LESSONS
from grader.course.paths import reference_dir
from grader.runner import sandbox

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SECRET = "SECRET-51c9-test-labels"
HIDDEN_FILE = reference_dir("tensors") / "hidden" / "test_tensors_hidden.py"
#: A line of the hidden suite and of the reference that a student must never read.
HIDDEN_MARKER = "Hidden checks of ``tensors.py``"
REFERENCE_MARKER = "### BEGIN SOLUTION"
SUM_BODY = '''    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    return a + b
'''
SEEKER = '''    import os as _os
    _found = []
    for _root, _dirs, _files in _os.walk(_os.path.dirname(_os.path.abspath(__file__)), followlinks=True):
        for _name in _files:
            try:
                _fd = _os.open(_os.path.join(_root, _name), _os.O_RDONLY | _os.O_NONBLOCK)
                _found.append(_os.read(_fd, 1 << 16).decode("latin-1"))
                _os.close(_fd)
            except OSError:
                pass
    _text = " ".join(_found)
    if not any(_marker[::-1] in _text for _marker in {markers!r}):  # reversed: not found in this file
        raise RuntimeError("nothing found")
'''
TASKS = set(LESSONS["tensors"].tasks)


NEEDS_ROOT = pytest.mark.skipif(not ROOT, reason="bubblewrap and the grader's namespaces need root")
NEEDS_BWRAP = pytest.mark.skipif(not ROOT or not bubblewrap_available(), reason="needs root and bubblewrap (Debian package bubblewrap)")
MODES = [pytest.param("bwrap", marks=NEEDS_BWRAP), pytest.param("namespaces", marks=NEEDS_ROOT), "unconfined"]


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    """bubblewrap (warm starts); the grader's own namespaces and user switch (cold starts); or
    no confinement at all, as a grader running as an ordinary user has."""
    monkeypatch.setenv("GRADER_SANDBOX", "auto" if request.param == "bwrap" else "no-bwrap")
    monkeypatch.setenv("GRADER_ZYGOTE", "1" if request.param == "bwrap" else "0")
    sandbox.detect.cache_clear()
    if request.param == "unconfined":
        sandbox.adopt(sandbox.Protections(root=False, bubblewrap=False, namespaces=False))
    yield request.param
    sandbox._ADOPTED.clear()
    sandbox.detect.cache_clear()


def seeking_source(*markers: str) -> str:
    """The tensors reference whose tensor_sum is right only if it found one of ``markers``."""
    source = (reference_dir("tensors") / "tensors.py").read_text()
    source = "".join(line for line in source.splitlines(keepends=True) if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    assert SUM_BODY in source
    return source.replace(SUM_BODY, SEEKER.replace("{markers!r}", repr([marker[::-1] for marker in markers])) + SUM_BODY)


@pytest.fixture
def secrets(tmp_path):
    """A secret file and a secret folder outside every submission."""
    folder = tmp_path / "secret-folder"
    folder.mkdir()
    (folder / "t10k-labels.txt").write_text(f"{SECRET}\n")
    (tmp_path / "labels.gz").write_text(f"{SECRET}\n")
    return tmp_path / "labels.gz", folder


def _seeker_folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "tensors.py").write_text(seeking_source(SECRET, HIDDEN_MARKER, REFERENCE_MARKER, "root:"))
    return folder


def _file_link(folder, secret_file, secret_folder):
    (folder / "labels.gz").symlink_to(secret_file)
    return folder, "labels.gz"


def _hidden_suite_link(folder, secret_file, secret_folder):
    (folder / "suite.py").symlink_to(HIDDEN_FILE)
    return folder, "suite.py"


def _folder_link(folder, secret_file, secret_folder):
    (folder / "data").symlink_to(secret_folder, target_is_directory=True)
    return folder, "data"


def _reference_link(folder, secret_file, secret_folder):
    (folder / "solutions").symlink_to(reference_dir("tensors"), target_is_directory=True)
    return folder, "solutions"


def _relative_link(folder, secret_file, secret_folder):
    (folder / "up.gz").symlink_to(os.path.relpath(secret_file, folder))
    return folder, "up.gz"


def _nested_link(folder, secret_file, secret_folder):
    (folder / "notes" / "deep").mkdir(parents=True)
    (folder / "notes" / "deep" / "shadow").symlink_to("/etc/shadow")
    return folder, "notes/deep/shadow"


def _device_link(folder, secret_file, secret_folder):
    (folder / "zero").symlink_to("/dev/zero")
    return folder, "zero"


def _fifo(folder, secret_file, secret_folder):
    os.mkfifo(folder / "pipe")
    return folder, "pipe"


def _socket(folder, secret_file, secret_folder):
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "sock"))
    listener.close()
    return folder, "sock"


def _hard_link(folder, secret_file, secret_folder):
    os.link(secret_file, folder / "hard.gz")
    return folder, "hard.gz"


def _zip_archive(folder, secret_file, secret_folder):
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("tensors.py", (folder / "tensors.py").read_text())
        bundle.writestr("../../escaped.py", "ESCAPED = True\n")
        bundle.writestr(str(secret_file.parent / "absolute.py"), "ABSOLUTE = True\n")
        link = zipfile.ZipInfo("labels.gz")
        link.create_system, link.external_attr = 3, 0o120777 << 16
        bundle.writestr(link, str(secret_file))
    return archive, "../../escaped.py"


def _tar_archive(folder, secret_file, secret_folder):
    archive = folder.with_suffix(".tar.gz")
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(folder / "tensors.py", arcname="tensors.py")
        for name in ("../escaped.py", str(secret_file.parent / "absolute.py")):
            info = tarfile.TarInfo(name)
            info.size = 5
            bundle.addfile(info, io.BytesIO(b"X = 1"))
        link = tarfile.TarInfo("labels.gz")
        link.type, link.linkname = tarfile.SYMTYPE, str(secret_file)
        bundle.addfile(link)
    return archive, "labels.gz"


def _zip_bomb(folder, secret_file, secret_folder):
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("tensors.py", (folder / "tensors.py").read_text())
        with bundle.open("weights.bin", "w", force_zip64=True) as stream:
            for _ in range(100):
                stream.write(bytes(1 << 20))
    return archive, "weights.bin"


def _many_files(folder, secret_file, secret_folder):
    for index in range(100_000):
        (folder / f"a{index:06d}.txt").write_bytes(b"")
    return folder, "a000499.txt"


ENTRIES = {
    "file-link": _file_link,
    "hidden-suite-link": _hidden_suite_link,
    "folder-link": _folder_link,
    "reference-link": _reference_link,
    "relative-link": _relative_link,
    "nested-link": _nested_link,
    "device-link": _device_link,
    "fifo": _fifo,
    "socket": _socket,
    "hard-link": _hard_link,
    "zip-escaping-members": _zip_archive,
    "tarball-escaping-members": _tar_archive,
    "zip-bomb": _zip_bomb,
    "100000-files": _many_files,
}


def _secret_free(result) -> None:
    text = json.dumps(result.to_dict())
    for marker in (SECRET, HIDDEN_MARKER, REFERENCE_MARKER, "root:"):
        assert marker not in text, f"{marker!r} reached the result"


@pytest.mark.parametrize("entry", list(ENTRIES))
def test_a_refused_entry_never_reaches_the_student_and_the_batch_goes_on(entry, mode, tmp_path, secrets):
    secret_file, secret_folder = secrets
    submission, refused_path = ENTRIES[entry](_seeker_folder(tmp_path, "attacked"), secret_file, secret_folder)
    good = make_submission(tmp_path, "tensors", name="good")
    results = grade_batch([GradeRequest("tensors", folder) for folder in (good, submission, good)], workers=1)

    assert [result.status for result in results] == ["graded"] * 3
    first, attacked, last = results
    assert first.score == last.score == first.max_score
    assert first.refused == last.refused == []
    scores = {task: score for task, (score, _) in attacked.task_scores().items()}
    assert scores["tensor_sum"] == 0, f"tensor_sum found the secret through {entry}"
    assert {task for task, score in scores.items() if score == 0} == {"tensor_sum"}, "the rest of the submission is graded as usual"
    assert {task: points for task, points in scores.items() if task != "tensor_sum"} == {
        task: points for task, points in LESSONS["tensors"].tasks.items() if task != "tensor_sum"
    }
    assert refused_path in {entry_["path"] for entry_ in attacked.refused}, attacked.refused
    _secret_free(attacked)
    assert not (tmp_path / "escaped.py").exists() and not (secret_file.parent / "absolute.py").exists()


@NEEDS_BWRAP
def test_a_pool_batch_of_every_hostile_entry_finishes(tmp_path, secrets, monkeypatch):
    secret_file, secret_folder = secrets
    monkeypatch.setenv("GRADER_SANDBOX", "auto")
    sandbox.detect.cache_clear()
    good = make_submission(tmp_path, "tensors", name="good")
    attacked = [str(ENTRIES[name](_seeker_folder(tmp_path, name), secret_file, secret_folder)[0]) for name in ENTRIES if name != "100000-files"]
    output = tmp_path / "results.json"
    run = CliRunner().invoke(main, ["autograde", "tensors", str(good), *attacked, str(good), "--workers", "2", "--json", str(output)])
    sandbox.detect.cache_clear()
    assert run.exit_code == 0, run.output
    results = json.loads(output.read_text())
    assert len(results) == len(attacked) + 2
    assert results[0]["score"] == results[-1]["score"] == results[0]["max_score"]
    for result in results[1:-1]:
        tensor_sum = [test for test in result["tests"] if test["task"] == "tensor_sum"]
        assert result["status"] == "graded" and result["refused"], result["submission"]
        assert sum(test["score"] for test in tensor_sum) == 0, result["submission"]
        assert result["score"] == result["max_score"] - LESSONS["tensors"].tasks["tensor_sum"], result["submission"]
    assert SECRET not in output.read_text() and HIDDEN_MARKER not in output.read_text()
    assert "left out of" in run.output and "is a symbolic link: links are not accepted" in run.output


def test_a_lessons_own_file_given_as_a_link_is_named(tmp_path, secrets):
    folder = tmp_path / "linked-file"
    folder.mkdir()
    real = make_submission(tmp_path, "tensors", name="elsewhere") / "tensors.py"
    (folder / "tensors.py").symlink_to(real)
    (result,) = grade_batch([GradeRequest("tensors", folder)], workers=1)
    assert result.score == 0
    assert result.tests[0].message == "tensors.py is a symbolic link: links are not accepted; submit tensors.py itself"


@needs_fashion
@pytest.mark.parametrize("sandbox_mode", [pytest.param("auto", marks=NEEDS_BWRAP), pytest.param("no-bwrap", marks=NEEDS_ROOT)])
def test_a_link_to_the_test_labels_earns_nothing_in_a_model_lesson(sandbox_mode, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", sandbox_mode)
    sandbox.detect.cache_clear()
    monkeypatch.setattr(sandbox, "_ADOPTED", [])
    folder = tmp_path / "cheat"
    folder.mkdir()
    (folder / "model.py").write_text(
        "import gzip, os\nimport numpy as np\nFRAMEWORK = 'torch'\n\n"
        "def train(x_train, y_train, *, device, time_budget_s, seed):\n    return {}\n\n"
        "def predict(model, x):\n"
        "    with gzip.open(os.path.join(os.path.dirname(__file__), 'notes', 'labels.gz')) as handle:\n"
        "        return np.frombuffer(handle.read(), np.uint8, offset=8)\n"
    )
    (folder / "notes").mkdir()
    (folder / "notes" / "labels.gz").symlink_to(data_dir / "fashion_mnist" / "t10k-labels-idx1-ubyte.gz")
    from grader.api import GradeRequest, grade

    result = grade(GradeRequest("fashion_mnist", folder, device="cpu", data_dir=data_dir))
    sandbox.detect.cache_clear()
    assert result.details["accuracy"] is None, "predict read the test labels through the link"
    assert result.refused == [{"path": "notes/labels.gz", "message": "notes/labels.gz is a symbolic link: links are not accepted"}]
    predict_check = next(t for t in result.tests if t.task == "predict")
    assert predict_check.status == "error" and "No such file" in predict_check.message


LINK_MAKER = '''
import os as _os
_here = _os.path.dirname(_os.path.abspath(__file__))
for _name, _target in (("hidden", {hidden!r}), ("shadow", "/etc/shadow"), ("etc", "/etc")):
    try:
        _os.symlink(_target, _os.path.join(_here, _name))
    except OSError:
        pass
    try:
        _os.symlink(_target, "/tmp/grader-test-link-%d-%s" % (_os.getuid(), _name))
    except OSError:
        pass
'''


def test_links_the_child_makes_are_never_followed_by_the_grader(mode, tmp_path):
    """The child may leave links in its folder and in /tmp (compiler-explorer #6026): the
    grader's clean-up removes the links themselves, and reads nothing through them."""
    watched = {path: path.stat().st_mode for path in (HIDDEN_FILE, reference_dir("tensors") / "tensors.py", Path("/etc/hostname"))}
    maker = make_submission(tmp_path, "tensors", lambda source: LINK_MAKER.replace("{hidden!r}", repr(str(HIDDEN_FILE.parent))) + source, name="maker")
    good = make_submission(tmp_path, "tensors", name="good")
    results = grade_batch([GradeRequest("tensors", folder) for folder in (maker, good, maker, good)], workers=1)
    assert [result.score for result in results] == [result.max_score for result in results]
    assert {path: path.stat().st_mode for path in watched} == watched, "a target of a child's link was changed"
    assert HIDDEN_FILE.is_file() and Path("/etc/hostname").is_file()
    assert all(result.refused == [] for result in results)
    left = list(Path("/tmp").glob("grader-test-link-*"))
    for link in left:
        link.unlink()
    if mode != "unconfined":  # the child's own user: its leftovers in /tmp are removed after it
        assert left == []


@NEEDS_ROOT
def test_a_link_that_nbgrader_collect_copied_as_a_file_is_still_refused(tmp_path, secrets, monkeypatch):
    """``nbgrader collect`` copies a link's target into ``submitted/`` as a plain file; grading
    the exchange's original instead keeps the link visible to the intake."""
    pytest.importorskip("nbgrader", reason="needs nbgrader: pip install -e '.[instructor]'")
    from conftest import gradebook_scores, make_course, nbgrader

    secret_file, _ = secrets
    exchange = tmp_path / "exchange"
    (exchange / "nn101" / "inbound").mkdir(parents=True)
    course = make_course(tmp_path, "tensors", {}, exchange=exchange)
    nbgrader("release_assignment", "tensors", "--force", cwd=course)
    work = _seeker_folder(tmp_path, "mallory")
    run = CliRunner().invoke(main, ["submit", "tensors", str(work), "--student", "mallory", "--course-dir", str(course)])
    assert run.exit_code == 0, run.output
    (inbound,) = (exchange / "nn101" / "inbound").iterdir()
    (inbound / "labels.gz").symlink_to(secret_file)  # a student on a shared hub can write there
    nbgrader("collect", "tensors", cwd=course)
    collected = course / "submitted" / "mallory" / "tensors" / "labels.gz"
    assert not collected.is_symlink() and SECRET in collected.read_text(), "nbgrader collect follows links"

    output = tmp_path / "results.json"
    run = CliRunner().invoke(main, ["autograde", "tensors", "--course", str(course), "--workers", "1", "--json", str(output)])
    assert run.exit_code == 0, run.output
    (result,) = json.loads(output.read_text())
    assert {"path": "labels.gz", "message": "labels.gz is a symbolic link: links are not accepted"} in result["refused"]
    assert sum(test["score"] for test in result["tests"] if test["task"] == "tensor_sum") == 0
    assert SECRET not in output.read_text()
    assert gradebook_scores(course, "tensors") == {"mallory": result["score"]}
