"""The service's web pages: sign in with a token, a student's submissions and their live
feedback, an instructor's class dashboard. The same templates as the static reports
(:mod:`grader.reports.pages`); htmx, served from ``/static``, updates a queued submission in place.

A sign-in sets a session cookie (:mod:`grader.service.signin`: it ends with a sign-out, which
is a form post, and with its account); every form carries a CSRF token and must come from this
service's own pages. A student's session opens only that student's pages: another's submission
is a 404, the dashboard a 403.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from grader.core.results import GradingResult
from grader.course.catalogue import LESSONS
from grader.reports.exports import csv_text, gradescope_results
from grader.reports.pages.compose import dashboard_page, submission_page
from grader.reports.pages.render import HTMX_FILE, SWAGGER_CSS, SWAGGER_JS, render, static_file
from grader.reports.pages.similarity import pair_page, report_json, report_page
from grader.reports.pages.views import class_view
from grader.service.accounts import authenticate
from grader.service.export import counted_results, failed_results
from grader.service.signin import COOKIE, CSRF_COOKIE, SESSION_S, csrf_token, end_sessions, form_is_ours, set_cookie
from grader.service.similarity import SimilarityReports
from grader.service.submissions import accept
from grader.service.submissions import details as submission_details
from grader.service.tables import FINAL, INSTRUCTOR, QUEUED, Account, Job, Submission

#: How often a queued or grading submission's page asks for its status, in seconds.
POLL_S = 1
#: The vendored files served from ``/static`` (npm ``htmx.org`` and ``swagger-ui-dist``; licences beside them).
STATIC_TYPES = {HTMX_FILE: "text/javascript", SWAGGER_JS: "text/javascript", SWAGGER_CSS: "text/css"}
#: The paths of pages (their refusals are pages too; the API's and the files' are JSON).
PAGE_PATHS = ("/me", "/submissions", "/dashboard", "/login", "/logout")
#: What a refused form post says.
FOREIGN_FORM = "This form did not come from this service's own page (or the page is too old): open the page again and repeat."


class SignIn(Exception):
    """Raised by a page that needs a signed-in account: answered with a redirect to /login."""


def add_pages(app: FastAPI, service, database) -> None:
    """Add the web pages to ``app`` (see the module docstring)."""
    key = service.session_key
    htmx_url = f"/static/{HTMX_FILE}"

    @app.exception_handler(SignIn)
    async def to_login(request: Request, error: SignIn):
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def page_or_json(request: Request, error: StarletteHTTPException):
        """A page's refusal as a page (a student opening an instructor's page reads why); the
        API's and the files' as JSON."""
        if not request.url.path.startswith(PAGE_PATHS):
            return await http_exception_handler(request, error)
        titles = {403: "Not for this account", 404: "Not found"}
        html = render("error.html", title=titles.get(error.status_code, "Refused"), message=str(error.detail), back_href="/me", back_label="Back to your pages")
        return HTMLResponse(html, status_code=error.status_code, headers=getattr(error, "headers", None))

    def viewer(request: Request, session: Session = Depends(database)) -> Account:
        account = key.read(request.cookies.get(COOKIE), session)
        if account is None:
            raise SignIn()
        return account

    def nav(account: Account) -> list[tuple[str, str]]:
        return [("class dashboard", "/dashboard")] if account.role == INSTRUCTOR else [("my submissions", "/me")]

    def with_forms(request: Request, response: HTMLResponse, token: str) -> HTMLResponse:
        """``response`` with the browser's CSRF cookie set (when it is new)."""
        if request.cookies.get(CSRF_COOKIE) != token:
            set_cookie(response, request, CSRF_COOKIE, token)
        return response

    def forms(request: Request, account: Account | None) -> dict:
        """What every page's forms need: the CSRF token, and the sign-out button's words."""
        return {"csrf": csrf_token(request), "signout": f"sign out ({account.name})" if account is not None else ""}

    def page(request: Request, template: str, status: int = 200, account: Account | None = None, **context) -> HTMLResponse:
        """A page of ``template``; with the sign-out form when ``account`` is signed in."""
        fields = forms(request, account)
        html = render(template, htmx_url=htmx_url, account=account, **fields, **context)
        return with_forms(request, HTMLResponse(html, status_code=status), fields["csrf"])

    def foreign_form(request: Request) -> HTMLResponse:
        return page(request, "login.html", 403, title="Sign in", error=FOREIGN_FORM)

    @app.get("/static/{name}", include_in_schema=False)
    def vendored(name: str):
        if name not in STATIC_TYPES:
            raise HTTPException(404, f"no static file {name}")
        return Response(static_file(name), media_type=STATIC_TYPES[name], headers={"Cache-Control": "max-age=86400"})

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request):
        return page(request, "login.html", title="Sign in", error="")

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: Annotated[str, Form()], csrf: Annotated[str, Form()] = "", session: Session = Depends(database)):
        if not form_is_ours(request, csrf, service.public_url):
            return foreign_form(request)
        account = authenticate(session, token.strip())
        if account is None:
            return page(request, "login.html", 401, title="Sign in", error="That token is not valid: copy it again from your instructor's message.")
        response = RedirectResponse("/dashboard" if account.role == INSTRUCTOR else "/me", status_code=303)
        set_cookie(response, request, COOKIE, key.sign(account), max_age=SESSION_S)
        return response

    @app.get("/logout", response_class=HTMLResponse, include_in_schema=False)
    def logout_form(request: Request, session: Session = Depends(database)):
        account = key.read(request.cookies.get(COOKIE), session)
        if account is None:
            return RedirectResponse("/login", status_code=303)
        return page(request, "logout.html", title="Sign out", account=account, nav=nav(account))

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: Annotated[str, Form()] = "", session: Session = Depends(database)):
        if not form_is_ours(request, csrf, service.public_url):
            return foreign_form(request)
        account = key.read(request.cookies.get(COOKIE), session)
        if account is not None:
            end_sessions(session, account)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    def my_page(request: Request, account: Account, session: Session, error: str = "", status: int = 200) -> HTMLResponse:
        submissions = session.scalars(select(Submission).where(Submission.student == account.name).order_by(Submission.received_at.desc())).all()
        context = {"submissions": submissions, "lessons": list(LESSONS.values()), "error": error}
        return page(request, "me.html", status, account=account, title=f"{account.name}: submissions", nav=nav(account), **context)

    @app.get("/me", response_class=HTMLResponse, include_in_schema=False)
    def me(request: Request, account: Account = Depends(viewer), session: Session = Depends(database)):
        if account.role == INSTRUCTOR:
            return RedirectResponse("/dashboard", status_code=303)
        return my_page(request, account, session)

    @app.post("/me/submit", include_in_schema=False)
    def submit_form(
        request: Request,
        lesson: Annotated[str, Form()],
        archive: Annotated[UploadFile, File()],
        csrf: Annotated[str, Form()] = "",
        account: Account = Depends(viewer),
        session: Session = Depends(database),
    ):
        if not form_is_ours(request, csrf, service.public_url):
            return my_page(request, account, session, error=FOREIGN_FORM, status=403)
        try:
            receipt = accept(service, session, account, lesson, archive)
        except HTTPException as error:
            return my_page(request, account, session, error=str(error.detail), status=error.status_code)
        return RedirectResponse(f"/submissions/{receipt['id']}", status_code=303)

    def visible(submission_id: str, account: Account, session: Session) -> Submission:
        submission = session.get(Submission, submission_id)
        if submission is None or (account.role != INSTRUCTOR and submission.student != account.name):
            raise HTTPException(404, f"no submission {submission_id} of yours")
        return submission

    def live_context(submission: Submission, account: Account, session: Session) -> dict:
        details = submission_details(session, submission, instructor=account.role == INSTRUCTOR, policy=service.policy)
        result = GradingResult.from_dict(details["result"]) if details["result"] else None
        return {"submission": submission, "details": details, "graded": result, "poll_s": POLL_S, "withheld": details.get("withheld", "")}

    @app.get("/submissions/{submission_id}", response_class=HTMLResponse, include_in_schema=False)
    def submission_view(request: Request, submission_id: str, account: Account = Depends(viewer), session: Session = Depends(database)):
        submission = visible(submission_id, account, session)
        context = live_context(submission, account, session)
        history = session.scalars(select(Submission).where(Submission.student == submission.student, Submission.lesson == submission.lesson).order_by(Submission.received_at)).all()
        result = context["graded"] or GradingResult(submission.lesson, submission.filename, submission.student)
        fields = forms(request, account)
        html = submission_page(
            result, submission.job.finished_at, nav=nav(account), template="service_submission.html", live=True, htmx_url=htmx_url, history=history, **fields, **context
        )
        return with_forms(request, HTMLResponse(html), fields["csrf"])

    @app.get("/submissions/{submission_id}/live", response_class=HTMLResponse, include_in_schema=False)
    def submission_live(request: Request, submission_id: str, account: Account = Depends(viewer), session: Session = Depends(database)):
        submission = visible(submission_id, account, session)
        context = live_context(submission, account, session)
        if context["graded"] is None:
            return page(request, "_live_status.html", **context)
        return HTMLResponse(submission_page(context["graded"], submission.job.finished_at, template="_live_result.html", withheld=context["withheld"]))

    def instructor(account: Account = Depends(viewer)) -> Account:
        if account.role != INSTRUCTOR:
            raise HTTPException(403, "the class dashboard is for instructors")
        return account

    def counted(lesson: str) -> list[tuple[Submission, GradingResult]]:
        """Each student's submission that counts, by the policy's rule (as ``grade service export``);
        404 for a lesson the course does not have."""
        if lesson not in LESSONS:
            raise HTTPException(404, f"no lesson {lesson}")
        return counted_results(service.sessions, lesson, service.policy.of(lesson).export)

    @app.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
    def dashboard_home(request: Request, account: Account = Depends(instructor), session: Session = Depends(database)):
        counts = dict(session.execute(select(Submission.lesson, func.count()).group_by(Submission.lesson)).all())
        queued = session.scalar(select(func.count()).select_from(Job).where(Job.status.not_in(FINAL))) or 0
        workers = _workers(service)
        return page(
            request,
            "dashboard_home.html",
            account=account,
            title="Class dashboard",
            nav=nav(account),
            lessons=list(LESSONS.values()),
            counts=counts,
            queued=queued,
            workers=workers,
        )

    @app.get("/dashboard/{lesson}", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, lesson: str, account: Account = Depends(instructor), session: Session = Depends(database)):
        chosen = counted(lesson)
        failed = failed_results(service.sessions, lesson)
        results = [result for _, result in chosen] + [result for _, result in failed]
        received = list(session.scalars(select(Submission.received_at).where(Submission.lesson == lesson)))
        link = {s.student: f"/submissions/{s.id}" for s, _ in chosen + failed}
        view = class_view(lesson, results, received=received, deadline=service.policy.of(lesson).deadline)
        queued = session.scalar(select(func.count()).select_from(Job).where(Job.status == QUEUED)) or 0
        fields = forms(request, account)
        html = dashboard_page(
            view,
            lambda name: link.get(name, "#"),
            exports=[
                ("scores (CSV)", f"/dashboard/{lesson}/scores.csv"),
                ("Gradescope results (JSON)", f"/dashboard/{lesson}/gradescope.json"),
                ("similar submissions", f"/dashboard/{lesson}/similarity"),
            ],
            nav=nav(account),
            template="service_dashboard.html",
            queued=queued,
            workers=_workers(service),
            **fields,
        )
        return with_forms(request, HTMLResponse(html), fields["csrf"])

    reports = SimilarityReports(service.sessions)

    def similarity_of(lesson: str, threshold: float):
        if lesson not in LESSONS:
            raise HTTPException(404, f"no lesson {lesson}")
        if not 0 <= threshold <= 1:
            raise HTTPException(422, "threshold must be between 0 and 1")
        return reports.report(lesson, threshold)

    @app.get("/dashboard/{lesson}/similarity", response_class=HTMLResponse, include_in_schema=False)
    def similarity_report(request: Request, lesson: str, threshold: float = 0.5, account: Account = Depends(instructor)):
        report = similarity_of(lesson, threshold)
        ids = report.submissions
        fields = forms(request, account)
        html = report_page(
            report.pairs, lesson, submissions=len(ids), threshold=threshold, all_scores=report.scores, links={student: f"/submissions/{sid}" for student, sid in ids.items()},
            pair_href=lambda _, pair: f"/dashboard/{lesson}/similarity/{ids[pair.a]}/{ids[pair.b]}",
            nav=[*nav(account), (f"{lesson} dashboard", f"/dashboard/{lesson}")], **fields,
        )  # fmt: skip
        return with_forms(request, HTMLResponse(html), fields["csrf"])

    @app.get("/dashboard/{lesson}/similarity.json", include_in_schema=False)
    def similarity_json(lesson: str, threshold: float = 0.5, account: Account = Depends(instructor)):
        report = similarity_of(lesson, threshold)
        text = report_json(report.pairs, lesson, submissions=len(report.submissions), threshold=threshold, all_scores=report.scores)
        return Response(text, media_type="application/json")

    @app.get("/dashboard/{lesson}/similarity/{first}/{second}", response_class=HTMLResponse, include_in_schema=False)
    def similarity_pair(request: Request, lesson: str, first: str, second: str, account: Account = Depends(instructor)):
        if lesson not in LESSONS:
            raise HTTPException(404, f"no lesson {lesson}")
        found = reports.pair(lesson, first, second)
        if found is None:
            raise HTTPException(404, "these are not the latest submissions of two students of this lesson")
        pair, codes = found
        fields = forms(request, account)
        html = pair_page(
            pair, codes, lesson, links={pair.a: f"/submissions/{first}", pair.b: f"/submissions/{second}"},
            back=f"/dashboard/{lesson}/similarity", nav=nav(account), **fields,
        )  # fmt: skip
        return with_forms(request, HTMLResponse(html), fields["csrf"])

    @app.get("/dashboard/{lesson}/scores.csv", include_in_schema=False)
    def scores_csv(lesson: str, account: Account = Depends(instructor)):
        text = csv_text([result for _, result in counted(lesson)])
        return PlainTextResponse(text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{lesson}-scores.csv"'})

    @app.get("/dashboard/{lesson}/gradescope.json", include_in_schema=False)
    def gradescope(lesson: str, account: Account = Depends(instructor)):
        data = {submission.student: gradescope_results(result) for submission, result in counted(lesson)}
        return Response(json.dumps(data, indent=2), media_type="application/json", headers={"Content-Disposition": f'attachment; filename="{lesson}-gradescope.json"'})


def _workers(service) -> str:
    """The grading workers' health in a few words (the Dask scheduler's view)."""
    client = getattr(service.dispatcher, "client", None)
    if client is None:
        return "no grading cluster"
    try:
        workers = client.scheduler_info()["workers"]
    except Exception as error:  # noqa: BLE001 - shown on the page, not raised
        return f"the scheduler does not answer ({type(error).__name__})"
    busy = sum(1 for worker in workers.values() if worker.get("metrics", {}).get("executing", 0))
    return f"{len(workers)} worker(s), {busy} grading now"
