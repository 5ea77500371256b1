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
from grader.reports.reading import TaskReading, apportioned, points, points_of, read_result

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
    task, in points rounded to hundredths that add up to the score (a grader error is no score:
    it has no row)."""
    results = [result for result in results if result.graded]
    tasks = list(dict.fromkeys(task for result in results for task in result.task_scores()))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["lesson", "student", "submission", "score", "max_score", *tasks])
    for result in results:
        scores = result.task_scores()
        rounded = dict(zip(scores, apportioned([score for score, _ in scores.values()], result.score)))
        by_task = [points(rounded[task]) if task in rounded else "" for task in tasks]
        writer.writerow([result.lesson, result.student or "", result.submission, points(result.score), points(result.max_score), *by_task])
    return buffer.getvalue()


def write_csv(results: list[GradingResult], path: Path) -> None:
    """:func:`csv_text` of ``results`` into the file ``path``."""
    Path(path).write_text(csv_text(results), newline="")


def gradescope_results(result: GradingResult, *, visibility: str = "visible") -> dict:
    """Gradescope's ``results.json`` for one submission: one test per task (its points, rounded
    so that they add up to the score exactly, and its problems in ``output``, the most useful
    first); a problem that stopped the whole submission is one test and the top-level output."""
    reading = read_result(result)
    totals = result.task_scores()
    rounded = dict(zip(totals, apportioned([score for score, _ in totals.values()], result.score)))
    most = dict(zip(totals, apportioned([max_score for _, max_score in totals.values()], result.max_score)))
    lines = [f"{result.lesson}: {points_of(result.score, result.max_score)}"]
    lines += [reading.banner] if reading.banner else []
    lines += [reading.note[0].upper() + reading.note[1:] + "."] if reading.note and not reading.banner else []
    lines += [f"left out: {entry['message']}" for entry in result.refused]
    lines += [reading.not_started_line + "."] if reading.not_started_line else []
    if reading.banner:
        tests = [_gradescope_test("your submission", round(result.score, 2), round(result.max_score, 2), False, reading.banner, ["submission"], visibility)]
    else:
        by_task = {task.task: task for task in (*reading.wrong, *reading.not_started, *reading.correct)}
        unstarted = {task.task for task in reading.not_started}
        correct = {task.task for task in reading.correct}
        tests = [
            _gradescope_test(task, rounded[task], most[task], task in correct, _task_output(by_task[task], task in unstarted), [task], visibility) for task in totals
        ]
    for number, test in enumerate(tests, start=1):
        test["number"] = str(number)
    return {"score": round(sum(test["score"] for test in tests), 2), "output": "\n".join(lines), "visibility": visibility, "stdout_visibility": "hidden", "tests": tests}


def _gradescope_test(name: str, score: float, max_score: float, passed: bool, output: str, tags: list[str], visibility: str) -> dict:
    return {
        "name": name,
        "score": score,
        "max_score": max_score,
        "status": "passed" if passed else "failed",
        "output": output,
        "tags": tags,
        "visibility": visibility,
    }


def _task_output(task: TaskReading, not_started: bool) -> str:
    """A task's problems for Gradescope: the one to read first, then the others in a line each."""
    if task.first is None:
        return "all checks passed"
    if not_started:
        return f"{task.task} is not started yet (the stub raises NotImplementedError)"
    lines = [f"[{task.first.status}] {task.first.name}: {task.first.message}"]
    if task.folded:
        lines.append(f"{len(task.folded)} more check{'s' if len(task.folded) != 1 else ''} of {task.task} did not pass:")
        lines += [f"- [{check.status}] {check.name}: {(check.message.splitlines() or [''])[0]}" for check in task.folded]
    return "\n".join(lines)


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
