"""The static pages: a submission's feedback page, and ``grade report``'s class dashboard with a
page per student, all written to a folder that opens in a browser offline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from grader.core.results import GradingResult
from grader.reports.exports import safe_name, write_csv, write_gradescope
from grader.reports.pages.render import render
from grader.reports.pages.views import NOT_GRADED_FOR_STUDENT, ClassView, class_view, submission_view, who


def submission_page(result: GradingResult, graded_at: datetime | None = None, *, nav: Sequence[tuple[str, str]] = (), curves: bool = True, **context) -> str:
    """The page of one submission, as its student reads it (a grader error's own message is
    for the instructor: the student reads :data:`NOT_GRADED_FOR_STUDENT`)."""
    return render(
        context.pop("template", "submission.html"),
        title=f"{result.lesson}: {who(result)}",
        name=who(result),
        view=submission_view(result, graded_at, curves=curves),
        not_graded_message=NOT_GRADED_FOR_STUDENT,
        nav=list(nav),
        **context,
    )


def dashboard_page(view: ClassView, student_href: Callable[[str], str], *, exports: Sequence[tuple[str, str]] = (), nav: Sequence[tuple[str, str]] = (), **context) -> str:
    """A lesson's class dashboard; ``student_href(name)`` links each student's page."""
    return render(
        context.pop("template", "dashboard.html"),
        title=f"{view.lesson}: the class",
        view=view,
        student_href=student_href,
        exports=list(exports),
        nav=list(nav),
        **context,
    )


def write_report(lesson: str, results: list[GradingResult], out: Path) -> Path:
    """``grade report``: ``out/index.html`` (the dashboard of ``lesson``), ``out/students/NAME.html``
    per student, and the exports it links (``scores.csv``, ``gradescope/``); the index's path.

    ``results`` hold one result per student (a batch's JSON); when a student has several,
    the last one counts, as everywhere else."""
    latest = {who(result): result for result in results if result.lesson == lesson}
    chosen = list(latest.values())
    out = Path(out)
    (out / "students").mkdir(parents=True, exist_ok=True)
    names = {name: safe_name(name) for name in latest}
    for name, result in latest.items():
        page = submission_page(result, nav=[("class dashboard", "../index.html")])
        (out / "students" / f"{names[name]}.html").write_text(page)
    write_csv(chosen, out / "scores.csv")
    exports = [("scores (CSV)", "scores.csv")]
    if write_gradescope(chosen, out / "gradescope"):
        exports.append(("Gradescope results", "gradescope/"))
    view = class_view(lesson, chosen)
    index = out / "index.html"
    index.write_text(dashboard_page(view, lambda name: f"students/{names.get(name, safe_name(name))}.html", exports=exports))
    return index
