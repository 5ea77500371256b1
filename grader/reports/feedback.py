"""A submission's feedback files: its HTML page, its result.json as the student may read it,
and its training curves; the other file formats are in :mod:`grader.reports.exports`.

They read :class:`GradingResult` objects only; nothing is re-run.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.core.results import GradingResult
from grader.reports.exports import result_names
from grader.reports.pages import views
from grader.reports.pages.compose import submission_page

#: What a student reads when the grader failed on their submission (kept here for the sinks).
NOT_GRADED_FOR_STUDENT = views.NOT_GRADED_FOR_STUDENT


def student_view(result: GradingResult) -> GradingResult:
    """``result`` as a student may read it: a grader error's message is replaced by
    :data:`NOT_GRADED_FOR_STUDENT`."""
    if result.graded:
        return result
    return GradingResult.grader_error(result.lesson, result.submission, NOT_GRADED_FOR_STUDENT, result.student)


def html_report(result: GradingResult, curves_file: str | None = None) -> str:
    """A self-contained HTML page (:mod:`grader.reports.pages`): the score, what to fix first (the tasks
    that lost the most points first, each with its failed checks' messages), the fully correct
    tasks folded; for a model lesson its accuracy against the tiers, confusion matrix and
    training curves (inline SVG; ``curves_file``: the PNG beside the page, linked)."""
    return submission_page(result, curves_png=curves_file)


def write_feedback(results: list[GradingResult], folder: Path) -> list[Path]:
    """``{folder}/{student or submission}/{lesson}/feedback.html`` and ``result.json`` each
    (names from :func:`result_names`), and ``training_curves.png`` for a model whose ``train``
    kept a history."""
    written = []
    for name, result in zip(result_names(results), results):
        target = Path(folder) / name / result.lesson
        target.mkdir(parents=True, exist_ok=True)
        curves = None
        if result.details.get("history"):
            from grader.reports.plots import training_curves_png

            curves = training_curves_png(result.details["history"], target / "training_curves.png", f"{result.lesson}: training").name
        (target / "feedback.html").write_text(html_report(result, curves))
        (target / "result.json").write_text(json.dumps(student_view(result).to_dict(), indent=2) + "\n")
        written.append(target)
    return written


