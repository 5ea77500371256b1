"""What the service does with a submission, for the HTTP API and the web pages alike: accept an
upload (the policy's limits, the intake's rules, the submission and its job in one commit, then
the dispatcher), and describe a stored submission (its receipt, summary and details, folded to
per-task scores where the policy hides the checks)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import HTTPException, UploadFile
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from grader.course.catalogue import UnknownLesson, get_lesson
from grader.errors import RequestError
from grader.service.dispatcher import Dispatcher, files_of, queue_position
from grader.service.policy import Policy
from grader.service.signin import SessionKey
from grader.service.tables import GRADER_ERROR, INSTRUCTOR, QUEUED, Account, Job, Submission, utcnow

#: The window of the per-student submission limit.
RATE_WINDOW = timedelta(hours=1)


@dataclass
class Service:
    """What the routes need: the database, the dispatcher, the course's policy."""

    sessions: sessionmaker
    dispatcher: Dispatcher | None
    policy: Policy
    title: str = "Neural-networks course: grading service"
    #: The student distribution's files (``grade release --dist``), served at ``/dist/NAME``.
    dist_dir: Path | None = None
    #: The address students use (``grade serve --public-url``): the front page's links, and an
    #: origin that forms may come from. None: the address the service listens on.
    public_url: str | None = None
    #: Signs the pages' session cookies (:func:`grader.service.app.create_app` makes it).
    session_key: SessionKey | None = None
    #: Where the service listens (the front page's links when no ``public_url`` is set).
    listening_url: str = "http://127.0.0.1:8000"

    def dist_files(self) -> list[str]:
        """The names of the distribution's files, newest first."""
        if self.dist_dir is None or not self.dist_dir.is_dir():
            return []
        files = [path for path in self.dist_dir.iterdir() if path.is_file() and path.suffix in (".zip", ".whl")]
        return [path.name for path in sorted(files, key=lambda path: path.stat().st_mtime, reverse=True)]


def refuse(status: int, message: str, headers: dict | None = None) -> HTTPException:
    """The 4xx answer with a one-line ``detail``."""
    return HTTPException(status_code=status, detail=message, headers=headers)


def accept(service: Service, session: Session, account: Account, lesson: str, archive: UploadFile, idempotency_key: str | None = None) -> dict:
    """Store one upload and its job in one transaction, dispatch it, and return its receipt;
    a refusal raises a 4xx and stores nothing (the API and the web page's form alike)."""
    if account.role == INSTRUCTOR:
        raise refuse(403, "instructors do not submit: use a student account")
    try:
        lesson_id = get_lesson(lesson).id
    except UnknownLesson as error:
        raise refuse(400, str(error)) from None
    if idempotency_key:
        earlier = session.scalar(select(Submission).where(Submission.student == account.name, Submission.idempotency_key == idempotency_key))
        if earlier is not None:
            return receipt(session, earlier)
    rules = service.policy.of(lesson_id)
    content = archive.file.read(rules.max_upload_bytes + 1)
    if len(content) > rules.max_upload_bytes:
        raise refuse(413, f"the upload is larger than {rules.max_upload_bytes // (1024 * 1024)} MB")
    filename = Path(archive.filename or "submission.tar.gz").name
    try:
        files = files_of(content, filename, lesson_id)
    except RequestError as error:
        raise refuse(400, f"not an archive the grader accepts: {error}") from None
    if files.refused:
        raise refuse(400, f"the archive was refused: {files.refused[0].message}" + (f" (and {len(files.refused) - 1} more)" if len(files.refused) > 1 else ""))
    if not any(name in files.files for name in get_lesson(lesson_id).module_files):
        raise refuse(400, f"the archive has no {get_lesson(lesson_id).filename}: pack the folder that holds your work")
    _lock_uploads_of(session, account)
    try:
        _within_rate(session, account.name, lesson_id, rules.per_hour)
    except HTTPException:
        session.rollback()
        raise
    now = utcnow()
    submission = Submission(
        id=str(uuid.uuid4()), student=account.name, lesson=lesson_id, sha256=hashlib.sha256(content).hexdigest(), filename=filename,
        archive=content, size=len(content), received_at=now, late=rules.is_late(now), idempotency_key=idempotency_key or None,
    )  # fmt: skip
    submission.job = Job(status=QUEUED, attempts=0)
    session.add(submission)
    try:
        session.commit()
    except IntegrityError:  # the same key, raced by a retry: that one stands
        session.rollback()
        earlier = session.scalar(select(Submission).where(Submission.student == account.name, Submission.idempotency_key == idempotency_key))
        if earlier is None:
            raise
        return receipt(session, earlier)
    if service.dispatcher is not None:
        service.dispatcher.submit(submission.job.id, files)
    return receipt(session, submission)


def _lock_uploads_of(session: Session, account: Account) -> None:
    """Open a write transaction that holds ``account``'s row until the commit (a row lock on
    PostgreSQL, the database's write lock on SQLite): two uploads of one student are counted
    and stored one after the other, so the hourly limit cannot be raced."""
    session.execute(update(Account).where(Account.id == account.id).values(session_generation=Account.session_generation))


def _within_rate(session: Session, student: str, lesson: str, per_hour: int) -> None:
    """429 when ``student`` already has ``per_hour`` submissions of ``lesson`` in the last hour
    (a submission the grader failed on does not count: it costs no attempt)."""
    since = utcnow() - RATE_WINDOW
    recent = session.scalars(
        select(Submission.received_at)
        .join(Job)
        .where(Submission.student == student, Submission.lesson == lesson, Submission.received_at > since, Job.status != GRADER_ERROR)
        .order_by(Submission.received_at)
    ).all()
    if len(recent) >= per_hour:
        wait = int((recent[len(recent) - per_hour] + RATE_WINDOW - utcnow()).total_seconds()) + 1
        raise refuse(429, f"{per_hour} submissions of {lesson} per hour at most: try again in {wait} s", {"Retry-After": str(wait)})


def receipt(session: Session, submission: Submission) -> dict:
    """What an accepted upload answers: its id, checksum, status and queue position."""
    job = submission.job
    return {"id": submission.id, "sha256": submission.sha256, "status": job.status, "position": queue_position(session, job)}


def summary(session: Session, submission: Submission) -> dict:
    """A submission in a listing: its receipt, lesson, student, time, lateness and score."""
    job = submission.job
    return {
        **receipt(session, submission),
        "lesson": submission.lesson,
        "student": submission.student,
        "received_at": submission.received_at.isoformat() + "Z",
        "late": submission.late,
        "score": job.score,
        "max_score": job.max_score,
    }


def details(session: Session, submission: Submission, *, instructor: bool, policy: Policy) -> dict:
    """A submission and its result, as ``instructor`` or its student may read it now; before a
    scores-only lesson's deadline, ``withheld`` says until when the checks are withheld."""
    job = submission.job
    result = json.loads(job.result) if job.result else None
    rules = policy.of(submission.lesson)
    withheld = ""
    if result is not None and not instructor and not rules.shows_checks(utcnow()):
        when = _deadline_words(rules.deadline)
        withheld = f"Until {when}, you see your points per task; the checks and their messages are shown after it."
        result = _scores_only(result, f"points lost; the checks' details are shown after {when}")
    return {**summary(session, submission), "result": result, **({"withheld": withheld} if withheld else {})}


def _deadline_words(deadline) -> str:
    return f"the deadline, {deadline.strftime('%Y-%m-%d %H:%M')} UTC" if deadline else "the deadline"


def _scores_only(result: dict, lost_message: str) -> dict:
    """The result with its checks folded into one entry per task (anti-probing); a task that
    lost points says ``lost_message``."""
    tasks: dict[str, list[float]] = {}
    for test in result.get("tests", []):
        totals = tasks.setdefault(test["task"], [0.0, 0.0])
        totals[0] += test["score"]
        totals[1] += test["max_score"]
    folded = [
        {"name": task, "task": task, "score": score, "max_score": most, "status": "passed" if score == most else "failed", "message": "" if score == most else lost_message}
        for task, (score, most) in tasks.items()
    ]
    return {**result, "tests": folded, "details": {}}

