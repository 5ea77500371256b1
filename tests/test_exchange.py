"""`grade submit` and `grade status` over nbgrader's exchange layout."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_submission

from grader.api import Settings
from grader.cli import main
from grader.course.catalogue import get_lesson
from grader.platforms.exchange import Exchange, SubmissionError, deliver, list_submissions


@pytest.fixture
def course(tmp_path):
    """A course folder with nbgrader_config.py and an exchange with its inbound folder."""
    exchange = tmp_path / "exchange"
    (exchange / "nn101" / "inbound").mkdir(parents=True)
    course_dir = tmp_path / "course"
    course_dir.mkdir()
    (course_dir / "nbgrader_config.py").write_text(f'c = get_config()\nc.CourseDirectory.course_id = "nn101"\nc.Exchange.root = "{exchange}"\n')
    return course_dir, exchange


def test_settings_come_from_nbgrader_config_then_environment_then_options(course, monkeypatch):
    course_dir, exchange = course
    monkeypatch.delenv("GRADER_COURSE_ID", raising=False)
    monkeypatch.delenv("GRADER_EXCHANGE_ROOT", raising=False)
    assert Settings.load(course_dir).exchange() == Exchange(exchange, "nn101")
    monkeypatch.setenv("GRADER_COURSE_ID", "other")
    assert Settings.load(course_dir).course_id == "other"
    assert Settings.load(course_dir, course_id="third").exchange().course_id == "third"
    monkeypatch.setenv("GRADER_DATA_DIR", "/somewhere/data")
    assert Settings.load(course_dir).data_dir == Path("/somewhere/data")
    assert Settings.load(course_dir, data_dir="/elsewhere").data_dir == Path("/elsewhere")


def test_settings_without_a_course_id_say_how_to_set_one(tmp_path):
    with pytest.raises(SubmissionError, match="no course id"):
        Settings.load(tmp_path, environ={}).exchange()


def test_submission_has_nbgrader_layout_and_manifest(course, tmp_path):
    course_dir, exchange = course
    folder = make_submission(tmp_path, "tensors")
    receipt = deliver(get_lesson("tensors"), folder, "alice", Settings.load(course_dir).exchange())
    student, lesson, timestamp, random_part = receipt.submission_id.rsplit("+", 3)
    assert (student, lesson) == ("alice", "tensors") and timestamp.endswith(" UTC") and len(random_part) == 12
    delivered = exchange / "nn101" / "inbound" / receipt.submission_id
    assert sorted(p.name for p in delivered.iterdir()) == ["manifest.json", "submission_secret.txt", "tensors.py", "timestamp.txt"]
    assert (delivered / "timestamp.txt").read_text() == timestamp
    manifest = json.loads((delivered / "manifest.json").read_text())
    assert manifest["files"]["tensors.py"] == hashlib.sha256((folder / "tensors.py").read_bytes()).hexdigest()
    assert manifest["lesson"] == "tensors" and manifest["student"] == "alice"
    assert receipt.sha256 == hashlib.sha256((delivered / "manifest.json").read_bytes()).hexdigest()
    assert not [p for p in (exchange / "nn101" / "inbound").iterdir() if p.name.startswith(".")]


def test_a_second_submission_never_overwrites_the_first(course, tmp_path):
    settings = Settings.load(course[0]).exchange()
    folder = make_submission(tmp_path, "tensors")
    first = deliver(get_lesson("tensors"), folder, "alice", settings)
    second = deliver(get_lesson("tensors"), folder, "alice", settings)
    assert first.submission_id != second.submission_id
    assert [r.submission_id for r in list_submissions(settings, student="alice")] == [first.submission_id, second.submission_id]


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("missing", "has no tensors.py"),
        ("syntax", "tensors.py, line 1"),
        ("student", "is not allowed"),
    ],
)
def test_bad_submissions_are_refused_with_a_reason(problem, expected, course, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    if problem != "missing":
        (folder / "tensors.py").write_text("def broken(:\n" if problem == "syntax" else "x = 1\n")
    with pytest.raises(SubmissionError, match=expected):
        deliver(get_lesson("tensors"), folder, "bad+id" if problem == "student" else "alice", Settings.load(course[0]).exchange())


def _submit_one(args):
    course_dir, folder, student = args
    return deliver(get_lesson("tensors"), folder, student, Settings.load(course_dir).exchange()).submission_id


def test_fifty_concurrent_submissions_all_arrive_intact(course, tmp_path):
    course_dir, exchange = course
    folder = make_submission(tmp_path, "tensors")
    with ProcessPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(_submit_one, [(course_dir, folder, f"s{i:02d}") for i in range(50)]))
    records = list_submissions(Settings.load(course_dir).exchange())
    assert sorted(r.submission_id for r in records) == sorted(ids) and len(set(ids)) == 50
    expected = (folder / "tensors.py").read_bytes()
    for record in records:
        assert (exchange / "nn101" / "inbound" / record.submission_id / "tensors.py").read_bytes() == expected


def test_submit_and_status_commands(course, tmp_path):
    course_dir, _ = course
    folder = make_submission(tmp_path, "tensors", lambda s: s.replace("return c * a", "return c + a"))
    run = CliRunner().invoke(main, ["submit", "tensors", str(folder), "--student", "bob", "--course-dir", str(course_dir)])
    assert run.exit_code == 0, run.output
    assert "Not passing yet: scalar_multiply" in run.output and "receipt: bob+tensors+" in run.output
    status = CliRunner().invoke(main, ["status", "--student", "bob", "--course-dir", str(course_dir)])
    assert status.exit_code == 0 and "tensors" in status.output


def test_submit_without_inbound_is_a_usage_error(tmp_path):
    folder = make_submission(tmp_path, "tensors")
    run = CliRunner().invoke(main, ["submit", "tensors", str(folder), "--student", "bob", "--exchange", str(tmp_path / "none"), "--course-id", "x"])
    assert run.exit_code == 2 and "no inbound folder" in run.output


def test_submit_applies_the_intake_rules_and_says_what_it_left_out(course, tmp_path):
    import os

    course_dir, exchange = course
    folder = make_submission(tmp_path, "tensors")
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-ex")
    (folder / "notes").mkdir()
    (folder / "notes" / "labels.gz").symlink_to(secret)
    os.mkfifo(folder / "pipe")
    (folder / "notes" / "plan.md").write_text("plan")
    run = CliRunner().invoke(main, ["submit", "tensors", str(folder), "--student", "alice", "--course-dir", str(course_dir)])
    assert run.exit_code == 0, run.output
    assert "left out: notes/labels.gz is a symbolic link: links are not accepted" in run.output
    assert "left out: pipe is a named pipe (fifo): only regular files are accepted" in run.output
    (delivered,) = (exchange / "nn101" / "inbound").iterdir()
    kept = sorted(str(p.relative_to(delivered)) for p in delivered.rglob("*"))
    assert "notes/plan.md" in kept and "notes/labels.gz" not in kept and "pipe" not in kept
    assert not any(p.is_symlink() for p in delivered.rglob("*"))
    assert "SECRET-ex" not in json.dumps([p.read_text() for p in delivered.rglob("*") if p.is_file()])


def test_submit_refuses_a_lessons_file_that_is_a_link(course, tmp_path):
    course_dir, _ = course
    elsewhere = make_submission(tmp_path, "tensors", name="elsewhere")
    folder = tmp_path / "linked"
    folder.mkdir()
    (folder / "tensors.py").symlink_to(elsewhere / "tensors.py")
    run = CliRunner().invoke(main, ["submit", "tensors", str(folder), "--student", "alice", "--course-dir", str(course_dir)])
    assert run.exit_code == 2
    assert "tensors.py is a symbolic link: links are not accepted; submit tensors.py itself" in run.output
