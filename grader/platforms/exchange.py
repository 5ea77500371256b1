"""``grade submit`` and ``grade status`` over nbgrader's filesystem exchange.

A submission lands in ``{exchange}/{course}/inbound/{student}+{lesson}+{timestamp}+{random}/``
exactly as ``nbgrader submit`` writes it (with ``timestamp.txt`` and
``submission_secret.txt``), so ``nbgrader collect`` picks it up unchanged. It is written in a
hidden staging folder and renamed into place, so a collect never sees half a submission and
two students submitting at once never meet. A ``manifest.json`` records the sha256 of every
file, the grader's version, the lesson, the student and the time.

Where the exchange is comes from :class:`grader.api.Settings` (nbgrader's own
``nbgrader_config.py``, the environment, the command line).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from grader import __version__
from grader.course.catalogue import Lesson
from grader.errors import RequestError
from grader.runner.intake import DEFAULT_LIMITS, IntakeLimits, SubmissionFiles, read_small_file, read_submission

DEFAULT_EXCHANGE = "/usr/local/share/nbgrader/exchange"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


class SubmissionError(RequestError, ValueError):
    """A submission that cannot be delivered; the message says what to fix."""


@dataclass(frozen=True)
class Exchange:
    """Where submissions go: a course's folder in nbgrader's exchange (see
    :meth:`grader.api.Settings.exchange`)."""

    exchange_root: Path
    course_id: str

    @property
    def inbound(self) -> Path:
        return self.exchange_root / self.course_id / "inbound"


@dataclass(frozen=True)
class Receipt:
    """What ``grade submit`` prints: the submission's id, its manifest's hash, its folder."""

    submission_id: str
    sha256: str
    path: Path
    timestamp: str


def read_nbgrader_config(course_dir: str | Path | None = None) -> dict:
    """The settings the grader uses from ``nbgrader_config.py`` in ``course_dir`` (default:
    the current folder): ``exchange_root``, ``course_id``, ``db_url``; absent ones are None."""
    config_file = Path(course_dir or ".") / "nbgrader_config.py"
    if not config_file.is_file():
        return {"exchange_root": None, "course_id": None, "db_url": None}
    from traitlets.config.loader import PyFileConfigLoader

    loaded = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    course = loaded.get("CourseDirectory", {})
    return {"exchange_root": loaded.get("Exchange", {}).get("root"), "course_id": course.get("course_id"), "db_url": course.get("db_url")}


def files_to_submit(lesson: Lesson, folder: Path, limits: IntakeLimits = DEFAULT_LIMITS) -> SubmissionFiles:
    """The files to submit, read by the intake's rules (:mod:`grader.runner.intake`: regular files
    only, never through a link; what it leaves out is in ``refused``). Raises
    :class:`SubmissionError` when a lesson's file is missing or refused, or a Python file does
    not compile."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionError(f"folder '{folder}' does not exist")
    files = read_submission(folder, first=lesson.module_files, limits=limits)
    for module in lesson.modules:
        name = f"{module}.py"
        if name not in files.files:
            refusal = files.refusal_of(name)
            if refusal is not None:
                raise SubmissionError(f"{refusal.message}; submit {name} itself")
            raise SubmissionError(f"{folder} has no {name}: " + (files.note or "submit the folder that holds your work"))
    for relative, content in files.files.items():
        if relative.endswith(".py"):
            try:
                compile(content, relative, "exec")
            except SyntaxError as error:
                raise SubmissionError(f"{relative}, line {error.lineno}: {error.msg}; fix it before submitting") from None
    return files


def _check_student(student: str) -> None:
    if not student or any(char in student for char in "+*/\\") or student.startswith("."):
        raise SubmissionError(f"student id {student!r} is not allowed (no '+', '*', '/', and not starting with '.')")


def deliver(lesson: Lesson, folder: str | Path | SubmissionFiles, student: str, exchange: Exchange, *, extra_files: dict[str, Path] | None = None) -> Receipt:
    """Deliver ``folder`` (or its files as :func:`files_to_submit` read them) as ``student``'s
    submission of ``lesson``; never overwrites one."""
    _check_student(student)
    files = folder if isinstance(folder, SubmissionFiles) else files_to_submit(lesson, Path(folder))
    if not exchange.inbound.is_dir():
        raise SubmissionError(f"the exchange has no inbound folder {exchange.inbound}: is the course id right? (ask your instructor)")
    moment = datetime.now(timezone.utc)
    timestamp = moment.strftime(TIMESTAMP_FORMAT)
    random_part = base64.urlsafe_b64encode(os.urandom(9)).decode("ascii")
    name = f"{student}+{lesson.id}+{timestamp}+{random_part}"
    staging = exchange.inbound / f".{student}-{random_part}.partial"
    try:
        files.write_to(staging, mode=0o700)
        manifest_files = {relative: hashlib.sha256(content).hexdigest() for relative, content in files.files.items()}
        for relative, source in (extra_files or {}).items():
            if relative not in manifest_files:
                shutil.copyfile(source, staging / relative)
                manifest_files[relative] = hashlib.sha256((staging / relative).read_bytes()).hexdigest()
        manifest = {"lesson": lesson.id, "student": student, "timestamp": timestamp, "grader_version": __version__, "files": manifest_files}
        manifest_text = json.dumps(manifest, indent=2, sort_keys=True)
        (staging / "manifest.json").write_text(manifest_text)
        (staging / "timestamp.txt").write_text(timestamp)
        (staging / "submission_secret.txt").write_text(secrets.token_hex(64))
        for path in staging.rglob("*"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.chmod(staging, 0o777)
        os.rename(staging, exchange.inbound / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    digest = hashlib.sha256(manifest_text.encode()).hexdigest()
    return Receipt(name, digest, exchange.inbound / name, timestamp)


@dataclass(frozen=True)
class SubmissionRecord:
    """One submission found in the exchange."""

    submission_id: str
    student: str
    lesson: str
    timestamp: str
    sha256: str | None


def list_submissions(exchange: Exchange, student: str | None = None, lesson: str | None = None) -> list[SubmissionRecord]:
    """The submissions in the exchange's inbound folder, oldest first (as ``nbgrader collect``
    parses their names)."""
    if not exchange.inbound.is_dir():
        return []
    records = []
    for path in exchange.inbound.iterdir():
        if path.name.startswith(".") or path.name.count("+") < 2:
            continue
        parts = path.name.rsplit("+", 3) if path.name.count("+") >= 3 else path.name.split("+")
        who, what, when = parts[0], parts[1], parts[2]
        if (student and who != student) or (lesson and what != lesson):
            continue
        manifest = read_small_file(path, "manifest.json", max_bytes=1 << 20)  # the student's folder: never through a link
        digest = hashlib.sha256(manifest).hexdigest() if manifest is not None else None
        records.append(SubmissionRecord(path.name, who, what, when, digest))
    return sorted(records, key=lambda record: record.timestamp)
