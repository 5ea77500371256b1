"""Sinks for grading results: an HTML report per submission, CSV, Gradescope's results.json.

They read :class:`GradingResult` objects only; nothing is re-run.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

from grader.results import GradingResult

_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;width:100%}"
    "td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}"
    ".passed{color:#080}.failed{color:#c00}.error{color:#a0a}.timeout{color:#b60}pre{white-space:pre-wrap;margin:0}"
)


def model_section(details: dict, curves_file: str | None = None) -> str:
    """A model lesson's measurements: accuracy, training time against the budget, the
    confusion matrix (rows: true class, columns: predicted; each row's recall) and the
    training curves' image when there is one."""
    accuracy = details.get("accuracy")
    parts = ["<h2>Model</h2><ul>"]
    parts.append(f"<li>test accuracy: <b>{accuracy:.4f}</b></li>" if accuracy is not None else "<li>test accuracy: not measured</li>")
    if details.get("train_seconds") is not None:
        parts.append(
            f"<li>training: {details['train_seconds']:.1f} s of a {details.get('budget_s', 0):g} s budget "
            f"({html.escape(str(details.get('framework')))}, {html.escape(str(details.get('device')))})</li>"
        )
    parts.append("</ul>")
    matrix, classes = details.get("confusion_matrix"), details.get("classes") or []
    if matrix:
        head = "".join(f"<th>{html.escape(name)}</th>" for name in classes)
        rows = []
        for name, row in zip(classes, matrix):
            total = sum(row) or 1
            correct = row[classes.index(name)]
            cells = "".join(f"<td{' class=passed' if j == classes.index(name) else ''}>{count}</td>" for j, count in enumerate(row))
            rows.append(f"<tr><th>{html.escape(name)}</th>{cells}<td>{correct / total:.3f}</td></tr>")
        parts.append(
            "<h3>Confusion matrix (rows: true class, columns: predicted)</h3>"
            f"<table><tr><th></th>{head}<th>recall</th></tr>{''.join(rows)}</table>"
        )
    if curves_file:
        parts.append(f"<h3>Training curves</h3><img src='{html.escape(curves_file)}' alt='training curves'>")
    return "".join(parts)


#: What a student reads when the grader failed on their submission (the grader's own message,
#: which may name its internals, is for the instructor).
NOT_GRADED_FOR_STUDENT = (
    "Your submission could not be graded because the grader itself failed. This is not your fault and "
    "costs you nothing: it will be graded again once the problem is fixed."
)


def _page(title: str, body: str) -> str:
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>\n"


def _refused_section(result: GradingResult) -> str:
    if not result.refused:
        return ""
    items = "".join(f"<li>{html.escape(entry['message'])}</li>" for entry in result.refused)
    return f"<h2>Left out of your submission</h2><p>Only regular files are graded; these entries were not:</p><ul>{items}</ul>"


def student_view(result: GradingResult) -> GradingResult:
    """``result`` as a student may read it: a grader error's message is replaced by
    :data:`NOT_GRADED_FOR_STUDENT`."""
    if result.graded:
        return result
    return GradingResult.grader_error(result.lesson, result.submission, NOT_GRADED_FOR_STUDENT, result.student)


def html_report(result: GradingResult, curves_file: str | None = None) -> str:
    """A self-contained HTML page: the total, then per task its score and each check's status
    and message; for a model lesson also its accuracy, confusion matrix and training curves
    (``curves_file``: the PNG beside the page). What the intake left out is listed first."""
    who = html.escape(result.student or result.submission)
    if not result.graded:
        return _page(f"{result.lesson}: {who}", f"<h1>{html.escape(result.lesson)}: not graded yet</h1><p>{who}</p><p>{html.escape(NOT_GRADED_FOR_STUDENT)}</p>")
    rows = []
    for test in result.tests:
        rows.append(
            f"<tr><td>{html.escape(test.task)}</td><td>{html.escape(test.name)}</td>"
            f"<td class='{test.status}'>{test.status}</td><td>{test.score:g} / {test.max_score:g}</td>"
            f"<td><pre>{html.escape(test.message)}</pre></td></tr>"
        )
    tasks = "".join(
        f"<tr><td>{html.escape(task)}</td><td>{score:g} / {max_score:g}</td></tr>" for task, (score, max_score) in result.task_scores().items()
    )
    return _page(
        f"{result.lesson}: {result.student or result.submission}",
        f"<h1>{html.escape(result.lesson)}: {result.score:g} / {result.max_score:g}</h1>"
        f"<p>{who}</p>{_refused_section(result)}<h2>Tasks</h2><table><tr><th>task</th><th>score</th></tr>{tasks}</table>"
        f"<h2>Checks</h2><table><tr><th>task</th><th>check</th><th>status</th><th>points</th><th>message</th></tr>"
        f"{''.join(rows)}</table>{model_section(result.details, curves_file) if result.details else ''}",
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "submission"


def write_feedback(results: list[GradingResult], folder: Path) -> list[Path]:
    """``{folder}/{student or submission}/{lesson}/feedback.html`` and ``result.json`` each,
    and ``training_curves.png`` for a model whose ``train`` kept a history."""
    written = []
    for result in results:
        target = Path(folder) / _slug(result.student or result.submission) / result.lesson
        target.mkdir(parents=True, exist_ok=True)
        curves = None
        if result.details.get("history"):
            from grader.plots import training_curves_png

            curves = training_curves_png(result.details["history"], target / "training_curves.png", f"{result.lesson}: training").name
        (target / "feedback.html").write_text(html_report(result, curves))
        (target / "result.json").write_text(json.dumps(student_view(result).to_dict(), indent=2) + "\n")
        written.append(target)
    return written


def write_csv(results: list[GradingResult], path: Path) -> None:
    """One row per graded submission: lesson, student, submission, score, max_score, then each
    task (a grader error is no score: it has no row)."""
    results = [result for result in results if result.graded]
    tasks = list(dict.fromkeys(task for result in results for task in result.task_scores()))
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lesson", "student", "submission", "score", "max_score", *tasks])
        for result in results:
            scores = result.task_scores()
            writer.writerow([result.lesson, result.student or "", result.submission, result.score, result.max_score, *(scores.get(t, ("", ""))[0] for t in tasks)])


def gradescope_results(result: GradingResult, *, visibility: str = "visible") -> dict:
    """Gradescope's ``results.json`` for one submission: one test per check."""
    return {
        "score": result.score,
        "output": "\n".join([f"{result.lesson}: {result.score:g} / {result.max_score:g}", *(f"left out: {entry['message']}" for entry in result.refused)]),
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": test.name,
                "number": str(number),
                "score": test.score,
                "max_score": test.max_score,
                "status": "passed" if test.status == "passed" else "failed",
                "output": test.message if test.status == "passed" else f"[{test.status}] {test.message}",
                "tags": [test.task],
                "visibility": visibility,
            }
            for number, test in enumerate(result.tests, start=1)
        ],
    }


def write_gradescope(results: list[GradingResult], path: Path) -> list[Path]:
    """One result: ``path`` is the results.json; several: ``path`` is a folder of them.
    A grader error is no score: no file is written for it."""
    results = [result for result in results if result.graded]
    if not results:
        return []
    path = Path(path)
    if len(results) == 1:
        path.write_text(json.dumps(gradescope_results(results[0]), indent=2) + "\n")
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for result in results:
        target = path / f"{_slug(result.student or result.submission)}.results.json"
        target.write_text(json.dumps(gradescope_results(result), indent=2) + "\n")
        written.append(target)
    return written
