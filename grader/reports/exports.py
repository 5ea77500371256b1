"""Results as files for other tools: CSV (one row per submission), Gradescope's results.json,
and the file names a batch gives each submission's outputs. They read
:class:`~grader.core.results.GradingResult` objects only; nothing is re-run."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from grader.core.results import GradingResult

#: Gradescope's visibility values, for a test and for a whole result.
GRADESCOPE_VISIBILITY = ("visible", "after_due_date", "hidden")


def safe_name(text: str) -> str:
    """``text`` as a file name: runs of anything but letters, digits and ``_.-`` become ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "submission"


def result_names(results: list[GradingResult]) -> list[str]:
    """A distinct file name for each result: the student (or the submission), and where one
    student has several submissions (``--all-submissions``), the submission's own name too."""
    base = [safe_name(result.student or result.submission) for result in results]
    names = [name if base.count(name) == 1 else f"{name}-{safe_name(Path(result.submission).name)}" for name, result in zip(base, results)]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return unique


def csv_text(results: list[GradingResult]) -> str:
    """One row per graded submission: lesson, student, submission, score, max_score, then each
    task (a grader error is no score: it has no row)."""
    results = [result for result in results if result.graded]
    tasks = list(dict.fromkeys(task for result in results for task in result.task_scores()))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["lesson", "student", "submission", "score", "max_score", *tasks])
    for result in results:
        scores = result.task_scores()
        writer.writerow([result.lesson, result.student or "", result.submission, result.score, result.max_score, *(scores.get(t, ("", ""))[0] for t in tasks)])
    return buffer.getvalue()


def write_csv(results: list[GradingResult], path: Path) -> None:
    """:func:`csv_text` of ``results`` into the file ``path``."""
    Path(path).write_text(csv_text(results), newline="")


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


def write_gradescope(results: list[GradingResult], path: Path, *, folder: bool | None = None) -> list[Path]:
    """``path`` is a folder of ``STUDENT.results.json`` files when ``folder`` (default: for
    several results), else the one result's results.json. A grader error is no score: no file
    is written for it."""
    results = [result for result in results if result.graded]
    if not results:
        return []
    path = Path(path)
    if not (len(results) > 1 if folder is None else folder):
        path.write_text(json.dumps(gradescope_results(results[0]), indent=2) + "\n")
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for name, result in zip(result_names(results), results):
        target = path / f"{name}.results.json"
        target.write_text(json.dumps(gradescope_results(result), indent=2) + "\n")
        written.append(target)
    return written
