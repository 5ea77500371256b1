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

from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, Header, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from grader import __version__
from grader.course.catalogue import LESSONS
from grader.reports.pages.render import SWAGGER_CSS, SWAGGER_JS, render
from grader.service.accounts import authenticate
from grader.service.guard import Guard
from grader.service.signin import SessionKey, service_key
from grader.service.submissions import Service, accept, details, refuse, summary
from grader.service.tables import INSTRUCTOR, Account, Submission
from grader.service.web import add_pages

__all__ = ["Service", "create_app"]


def create_app(service: Service) -> Guard:
    """The FastAPI application of ``service``, behind its :class:`~grader.service.guard.Guard`
    (bounded bodies, authentication before an upload is read, security headers)."""
    if service.session_key is None:
        service.session_key = SessionKey(service_key(service.sessions))
    app = FastAPI(title="nn-grader service", version=__version__, description=__doc__, docs_url=None, redoc_url=None)

    @app.get("/docs", include_in_schema=False)
    def api_page():
        """The OpenAPI page, from the service's own copy of Swagger UI (it works offline)."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="nn-grader service: API",
            swagger_js_url=f"/static/{SWAGGER_JS}",
            swagger_css_url=f"/static/{SWAGGER_CSS}",
            swagger_favicon_url="data:,",
        )

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
            raise refuse(401, "no valid token: sign in with `grade login URL` (or pass --token)", {"WWW-Authenticate": "Bearer"})
        return account

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def front_page(request: Request):
        url = (service.public_url or service.listening_url).rstrip("/")
        files = service.dist_files()
        install = f"pip install {url}/dist/{files[0]}" if files else "pip install nn-grader-student (ask your instructor for the file)"
        return HTMLResponse(render("front.html", title=service.title, url=url, install=install, lessons=list(LESSONS.values())))

    @app.get("/dist/{name}", include_in_schema=False)
    def distribution(name: str):
        if name not in service.dist_files():
            raise refuse(404, f"no file {name} in the student distribution")
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
            raise refuse(404, f"no submission {submission_id} of yours")
        return details(session, submission, instructor=account.role == INSTRUCTOR, policy=service.policy)

    @app.get("/api/submissions")
    def listing(lesson: str | None = None, student: str | None = None, account: Account = Depends(caller), session: Session = Depends(database)):
        query = select(Submission).order_by(Submission.received_at)
        if account.role != INSTRUCTOR:
            query = query.where(Submission.student == account.name)
        elif student:
            query = query.where(Submission.student == student)
        if lesson:
            query = query.where(Submission.lesson == lesson)
        return [summary(session, submission) for submission in session.scalars(query)]

    add_pages(app, service, database)
    return Guard(app, service)
