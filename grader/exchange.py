"""``grade submit`` and ``grade status`` over nbgrader's filesystem exchange.

A submission lands in ``{exchange}/{course}/inbound/{student}+{lesson}+{timestamp}+{random}/``
exactly as ``nbgrader submit`` writes it (with ``timestamp.txt`` and
``submission_secret.txt``), so ``nbgrader collect`` picks it up unchanged. It is written in a
hidden staging folder and renamed into place, so a collect never sees half a submission and
two students submitting at once never meet. A ``manifest.json`` records the sha256 of every
file, the grader's version, the lesson, the student and the time.

Settings come from nbgrader's own ``nbgrader_config.py`` (``c.Exchange.root``,
``c.CourseDirectory.course_id``) in the course folder, overridden by the environment
(``GRADER_EXCHANGE_ROOT``, ``GRADER_COURSE_ID``) and then by command-line options.
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
from grader.lessons import Lesson

DEFAULT_EXCHANGE = "/usr/local/share/nbgrader/exchange"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"
MAX_SUBMISSION_BYTES = 10 * 1024 * 1024
SKIPPED = ("__pycache__", ".ipynb_checkpoints", ".pytest_cache")


class SubmissionError(ValueError):
    """A submission that cannot be delivered; the message says what to fix."""


@dataclass(frozen=True)
class Settings:
    """Where submissions go."""

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


def load_settings(course_dir: str | Path | None = None, exchange_root: str | None = None, course_id: str | None = None) -> Settings:
    """Settings from ``nbgrader_config.py`` in ``course_dir`` (default: the current folder),
    then the environment, then the explicit arguments."""
    config = read_nbgrader_config(course_dir)
    root = exchange_root or os.environ.get("GRADER_EXCHANGE_ROOT") or config["exchange_root"] or DEFAULT_EXCHANGE
    course = course_id or os.environ.get("GRADER_COURSE_ID") or config["course_id"]
    if not course:
        raise SubmissionError("no course id: set c.CourseDirectory.course_id in nbgrader_config.py, GRADER_COURSE_ID, or --course-id")
    return Settings(Path(str(root)), str(course))


def _files(folder: Path) -> list[Path]:
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink() and not any(part in SKIPPED or part.startswith(".") for part in path.relative_to(folder).parts)
    )  # fmt: skip


def check_folder(lesson: Lesson, folder: Path, max_bytes: int = MAX_SUBMISSION_BYTES) -> list[Path]:
    """The files to submit; raises :class:`SubmissionError` when the lesson's files are missing,
    a Python file does not compile, or the folder is too large."""
    if not folder.is_dir():
        raise SubmissionError(f"folder '{folder}' does not exist")
    missing = [f"{module}.py" for module in lesson.modules if not (folder / f"{module}.py").is_file()]
    if missing:
        raise SubmissionError(f"{folder} has no {', '.join(missing)}: submit the folder that holds your work")
    files = _files(folder)
    size = sum(path.stat().st_size for path in files)
    if size > max_bytes:
        raise SubmissionError(f"{folder} holds {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB (remove data or outputs)")
    for path in files:
        if path.suffix == ".py":
            try:
                compile(path.read_bytes(), str(path.relative_to(folder)), "exec")
            except SyntaxError as error:
                raise SubmissionError(f"{path.relative_to(folder)}, line {error.lineno}: {error.msg}; fix it before submitting") from None
    return files


def _check_student(student: str) -> None:
    if not student or any(char in student for char in "+*/\\") or student.startswith("."):
        raise SubmissionError(f"student id {student!r} is not allowed (no '+', '*', '/', and not starting with '.')")


def submit(lesson: Lesson, folder: str | Path, student: str, settings: Settings, *, extra_files: dict[str, Path] | None = None) -> Receipt:
    """Deliver ``folder`` as ``student``'s submission of ``lesson``; never overwrites one."""
    _check_student(student)
    folder = Path(folder)
    files = check_folder(lesson, folder)
    if not settings.inbound.is_dir():
        raise SubmissionError(f"the exchange has no inbound folder {settings.inbound}: is the course id right? (ask your instructor)")
    moment = datetime.now(timezone.utc)
    timestamp = moment.strftime(TIMESTAMP_FORMAT)
    random_part = base64.urlsafe_b64encode(os.urandom(9)).decode("ascii")
    name = f"{student}+{lesson.id}+{timestamp}+{random_part}"
    staging = settings.inbound / f".{student}-{random_part}.partial"
    staging.mkdir(mode=0o700)
    try:
        manifest_files = {}
        for path in files:
            relative = path.relative_to(folder)
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            manifest_files[str(relative)] = hashlib.sha256(target.read_bytes()).hexdigest()
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
        os.rename(staging, settings.inbound / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    digest = hashlib.sha256(manifest_text.encode()).hexdigest()
    return Receipt(name, digest, settings.inbound / name, timestamp)


@dataclass(frozen=True)
class SubmissionRecord:
    """One submission found in the exchange."""

    submission_id: str
    student: str
    lesson: str
    timestamp: str
    sha256: str | None


def list_submissions(settings: Settings, student: str | None = None, lesson: str | None = None) -> list[SubmissionRecord]:
    """The submissions in the exchange's inbound folder, oldest first (as ``nbgrader collect``
    parses their names)."""
    if not settings.inbound.is_dir():
        return []
    records = []
    for path in settings.inbound.iterdir():
        if path.name.startswith(".") or path.name.count("+") < 2:
            continue
        parts = path.name.rsplit("+", 3) if path.name.count("+") >= 3 else path.name.split("+")
        who, what, when = parts[0], parts[1], parts[2]
        if (student and who != student) or (lesson and what != lesson):
            continue
        manifest = path / "manifest.json"
        digest = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else None
        records.append(SubmissionRecord(path.name, who, what, when, digest))
    return sorted(records, key=lambda record: record.timestamp)
