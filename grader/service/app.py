"""The service's HTTP API (FastAPI); the OpenAPI page is ``/docs``.

- ``POST /api/submissions`` (multipart: ``lesson``, ``archive``; header ``Idempotency-Key``)
  -> ``202`` ``{"id", "sha256", "status", "position"}``. The submission and its job are
  committed in one transaction before the answer; a retry with the same key returns the same
  submission instead of making a second.
- ``GET /api/submissions/{id}`` -> its status, queue position and, once graded, the COURSE.md
  result (before the deadline of a lesson whose policy says ``scores``: per-task scores only).
- ``GET /api/submissions`` -> the caller's own (an instructor's: all, filterable by ``lesson``
  and ``student``).

Every request carries ``Authorization: Bearer TOKEN``. Every refusal is a 4xx with a one-line
JSON ``{"detail": ...}`` and stores nothing: no or a wrong token (401), another student's
submission (404), an unknown lesson or a file that is not an acceptable archive (400), too
large (413), over the hourly limit (429, with ``Retry-After``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from grader import __version__
from grader.course.catalogue import LESSONS, UnknownLesson, get_lesson
from grader.errors import RequestError
from grader.service.accounts import authenticate
from grader.service.dispatcher import Dispatcher, files_of, queue_position
from grader.service.models import GRADER_ERROR, INSTRUCTOR, QUEUED, Account, Job, Submission, utcnow
from grader.service.policy import Policy

TEMPLATES = Path(__file__).with_name("templates")
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

    def dist_files(self) -> list[str]:
        """The names of the distribution's files, newest first."""
        if self.dist_dir is None or not self.dist_dir.is_dir():
            return []
        files = [path for path in self.dist_dir.iterdir() if path.is_file() and path.suffix in (".zip", ".whl")]
        return [path.name for path in sorted(files, key=lambda path: path.stat().st_mtime, reverse=True)]


def _refuse(status: int, message: str, headers: dict | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail=message, headers=headers)


def create_app(service: Service) -> FastAPI:
    """The FastAPI application of ``service``."""
    app = FastAPI(title="nn-grader service", version=__version__, description=__doc__)

    @app.exception_handler(RequestValidationError)
    async def one_line_validation_error(request: Request, error: RequestValidationError):
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        return JSONResponse(status_code=400, content={"detail": f"{where}: {first.get('msg', 'invalid request')}"})

    def database():
        with service.sessions() as session:
            yield session

    def caller(authorization: Annotated[str | None, Header()] = None, session: Session = Depends(database)) -> Account:
        scheme, _, token = (authorization or "").partition(" ")
        account = authenticate(session, token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            raise _refuse(401, "no valid token: sign in with `grade login URL` (or pass --token)", {"WWW-Authenticate": "Bearer"})
        return account

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def front_page(request: Request):
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
        url = str(request.base_url).rstrip("/")
        files = service.dist_files()
        install = f"pip install {url}/dist/{files[0]}" if files else "pip install nn-grader-student (ask your instructor for the file)"
        page = env.get_template("index.html").render(title=service.title, url=url, install=install, lessons=list(LESSONS.values()))
        return HTMLResponse(page)

    @app.get("/dist/{name}", include_in_schema=False)
    def distribution(name: str):
        if name not in service.dist_files():
            raise _refuse(404, f"no file {name} in the student distribution")
        return FileResponse(service.dist_dir / name, filename=name)  # type: ignore[operator]

    @app.post("/api/submissions", status_code=202)
    def submit(
        lesson: Annotated[str, Form()],
        archive: Annotated[UploadFile, File()],
        account: Account = Depends(caller),
        session: Session = Depends(database),
        idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
    ):
        return accept(service, session, account, lesson, archive, idempotency_key)

    @app.get("/api/submissions/{submission_id}")
    def one(submission_id: str, account: Account = Depends(caller), session: Session = Depends(database)):
        submission = session.get(Submission, submission_id)
        if submission is None or (account.role != INSTRUCTOR and submission.student != account.name):
            raise _refuse(404, f"no submission {submission_id} of yours")
        return _details(session, submission, instructor=account.role == INSTRUCTOR, policy=service.policy)

    @app.get("/api/submissions")
    def listing(lesson: str | None = None, student: str | None = None, account: Account = Depends(caller), session: Session = Depends(database)):
        query = select(Submission).order_by(Submission.received_at)
        if account.role != INSTRUCTOR:
            query = query.where(Submission.student == account.name)
        elif student:
            query = query.where(Submission.student == student)
        if lesson:
            query = query.where(Submission.lesson == lesson)
        return [_summary(session, submission) for submission in session.scalars(query)]

    from grader.service.web import add_pages

    add_pages(app, service, database)
    return app


def accept(service: Service, session: Session, account: Account, lesson: str, archive: UploadFile, idempotency_key: str | None = None) -> dict:
    """Store one upload and its job in one transaction, dispatch it, and return its receipt;
    a refusal raises a 4xx and stores nothing (the API and the web page's form alike)."""
    if account.role == INSTRUCTOR:
        raise _refuse(403, "instructors do not submit: use a student account")
    try:
        lesson_id = get_lesson(lesson).id
    except UnknownLesson as error:
        raise _refuse(400, str(error)) from None
    if idempotency_key:
        earlier = session.scalar(select(Submission).where(Submission.student == account.name, Submission.idempotency_key == idempotency_key))
        if earlier is not None:
            return _receipt(session, earlier)
    rules = service.policy.of(lesson_id)
    content = archive.file.read(rules.max_upload_bytes + 1)
    if len(content) > rules.max_upload_bytes:
        raise _refuse(413, f"the upload is larger than {rules.max_upload_bytes // (1024 * 1024)} MB")
    _within_rate(session, account.name, lesson_id, rules.per_hour)
    filename = Path(archive.filename or "submission.tar.gz").name
    try:
        files = files_of(content, filename, lesson_id)
    except RequestError as error:
        raise _refuse(400, f"not an archive the grader accepts: {error}") from None
    if files.refused:
        raise _refuse(400, f"the archive was refused: {files.refused[0].message}" + (f" (and {len(files.refused) - 1} more)" if len(files.refused) > 1 else ""))
    if not any(name in files.files for name in get_lesson(lesson_id).module_files):
        raise _refuse(400, f"the archive has no {get_lesson(lesson_id).filename}: pack the folder that holds your work")
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
        return _receipt(session, earlier)
    if service.dispatcher is not None:
        service.dispatcher.submit(submission.job.id, files)
    return _receipt(session, submission)


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
        raise _refuse(429, f"{per_hour} submissions of {lesson} per hour at most: try again in {wait} s", {"Retry-After": str(wait)})


def _receipt(session: Session, submission: Submission) -> dict:
    job = submission.job
    return {"id": submission.id, "sha256": submission.sha256, "status": job.status, "position": queue_position(session, job)}


def _summary(session: Session, submission: Submission) -> dict:
    job = submission.job
    return {
        **_receipt(session, submission),
        "lesson": submission.lesson,
        "student": submission.student,
        "received_at": submission.received_at.isoformat() + "Z",
        "late": submission.late,
        "score": job.score,
        "max_score": job.max_score,
    }


def _details(session: Session, submission: Submission, *, instructor: bool, policy: Policy) -> dict:
    job = submission.job
    result = json.loads(job.result) if job.result else None
    if result is not None and not instructor and not policy.of(submission.lesson).shows_checks(utcnow()):
        result = _scores_only(result)
    return {**_summary(session, submission), "result": result}


def _scores_only(result: dict) -> dict:
    """The result with its checks folded into one entry per task (anti-probing)."""
    tasks: dict[str, list[float]] = {}
    for test in result.get("tests", []):
        totals = tasks.setdefault(test["task"], [0.0, 0.0])
        totals[0] += test["score"]
        totals[1] += test["max_score"]
    folded = [
        {"name": task, "task": task, "score": score, "max_score": most, "status": "passed" if score == most else "failed", "message": ""}
        for task, (score, most) in tasks.items()
    ]
    return {**result, "tests": folded, "details": {}}

