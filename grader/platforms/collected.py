"""Which submissions of a course to grade: the collected ones, or all in the exchange.

``nbgrader collect`` leaves each student's latest submission in ``submitted/{student}/{lesson}/``;
the exchange's inbound folder holds every submission. Where the exchange still holds the very
submission that was collected, that original is graded: ``nbgrader collect`` copies a link's
target as if it were a file, so only the original shows the intake what was a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.course.catalogue import Lesson
from grader.platforms.exchange import SubmissionError, list_submissions
from grader.platforms.settings import Settings
from grader.runner.intake import read_small_file


@dataclass(frozen=True)
class Collected:
    """One collected submission: its student and folder."""

    student: str
    folder: Path

    @property
    def timestamp(self) -> str | None:
        stamp = read_small_file(self.folder, "timestamp.txt", max_bytes=256)  # the student's file: never through a link
        return stamp.decode("utf-8", "replace").strip() if stamp is not None else None


def exchange_submissions(settings: Settings, lesson: Lesson) -> list[Collected]:
    """Every submission of ``lesson`` still in the exchange's inbound folder, oldest first
    (all of them, not only each student's latest)."""
    exchange = settings.exchange()
    return [Collected(record.student, exchange.inbound / record.submission_id) for record in list_submissions(exchange, lesson=lesson.id)]


def collected_submissions(settings: Settings, lesson: Lesson) -> list[Collected]:
    """``submitted/{student}/{lesson}/`` folders, as ``nbgrader collect`` leaves them (the
    latest submission of each student), or the exchange's original of each (same student and
    timestamp) where it is still there (see the module docstring)."""
    submitted = settings.course_dir / "submitted"
    if not submitted.is_dir():
        return []
    originals = _exchange_originals(settings, lesson)
    collected = []
    for path in sorted(submitted.iterdir()):
        if not (path / lesson.id).is_dir() or path.is_symlink():
            continue
        entry = Collected(path.name, path / lesson.id)
        original = originals.get((entry.student, entry.timestamp or ""), entry.folder)
        collected.append(Collected(entry.student, original))
    return collected


def _exchange_originals(settings: Settings, lesson: Lesson) -> dict[tuple[str, str], Path]:
    """``{(student, timestamp): inbound folder}`` of the exchange's submissions of ``lesson``
    (empty when the course has no exchange configured or reachable)."""
    try:
        exchange = settings.exchange()
    except SubmissionError:
        return {}
    return {(record.student, record.timestamp): exchange.inbound / record.submission_id for record in list_submissions(exchange, lesson=lesson.id)}
