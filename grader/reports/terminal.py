"""Terminal reports with rich: check results for a student, score tables for an instructor."""

from __future__ import annotations

import ast
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.core.results import GradingResult
from grader.course.catalogue import Lesson
from grader.reports.reading import points, points_of, read_result, stopping_message

STATUS_STYLE = {"passed": "green", "failed": "red", "error": "magenta", "timeout": "yellow"}


def status_text(status: str) -> Text:
    """A coloured status word."""
    return Text(status, style=STATUS_STYLE.get(status, ""))


def lessons_table(lessons: list[Lesson]) -> Table:
    """``grade list``: one row per lesson."""
    table = Table(title="Lessons")
    for column in ("lesson", "title", "file", "tasks", "points"):
        table.add_column(column, justify="right" if column in ("tasks", "points") else "left")
    for lesson in lessons:
        table.add_row(lesson.id, lesson.title, lesson.filename, str(len(lesson.tasks)), points(lesson.max_score))
    return table


def tasks_table(lesson: Lesson) -> Table:
    """``grade list LESSON``: one row per task."""
    table = Table(title=f"{lesson.id}: {lesson.title} ({lesson.filename})")
    table.add_column("task")
    table.add_column("points", justify="right")
    for task, task_points in lesson.tasks.items():
        table.add_row(task, points(task_points))
    return table


def check_table(result: GradingResult, *, only_problems: bool = False, kind: str = "public", order: dict[str, int] | None = None) -> Table:
    """``grade check``: one row per check (``kind``: public or hidden), the message where it did
    not pass, a task whose every check met the stub in one row; tasks in ``order`` (their line
    in the student's file, :func:`order_in_file`) first, the others in the lesson's order."""
    counts = result.counts()
    table = Table(title=f"{result.lesson}: {counts['passed']} of {len(result.tests)} {kind} checks passed")
    table.add_column("task", no_wrap=True)
    table.add_column("check", ratio=2)
    table.add_column("status", no_wrap=True)
    table.add_column("message", ratio=3, overflow="fold")
    todo = not_implemented_tasks(result)
    position = {task: index for index, task in enumerate(dict.fromkeys(test.task for test in result.tests))}
    tasks = sorted(position, key=lambda task: ((order or {}).get(task, 1 << 30), position[task]))
    for task in tasks:
        if task in todo:
            table.add_row(task, Text(f"all {todo[task]}" if todo[task] > 1 else "its check"), status_text("error"), Text("not implemented yet"))
            continue
        for test in result.tests:
            if test.task == task and not (only_problems and test.status == "passed"):
                table.add_row(test.task, Text("all its checks" if test.name == test.task else test.name), status_text(test.status), Text(test.message))
    return table


def order_in_file(path: Path) -> dict[str, int]:
    """``{name: line}`` of the functions and classes at the top of the Python file ``path`` (a
    class's methods as ``Class.method`` too); empty when it cannot be read or parsed."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return {}
    lines: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            lines.setdefault(node.name, node.lineno)
            for inner in getattr(node, "body", []) if isinstance(node, ast.ClassDef) else []:
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines.setdefault(f"{node.name}.{inner.name}", inner.lineno)
    return lines


def not_implemented_tasks(result: GradingResult) -> dict[str, int]:
    """``{task: checks}`` of the tasks whose every check stopped at the stub's
    NotImplementedError: one row each in ``grade check``, not one per check."""
    by_task: dict[str, list] = {}
    for test in result.tests:
        by_task.setdefault(test.task, []).append(test)
    return {
        task: len(tests)
        for task, tests in by_task.items()
        if all(test.status == "error" and "is not implemented yet" in test.message for test in tests)
    }


def blocking_problem(result: GradingResult) -> str | None:
    """The one message of a problem that stopped every check (a syntax error, an import that
    fails, a hang at import), or None (:func:`grader.reports.reading.stopping_message`)."""
    return stopping_message(result)


def scores_table(results: list[GradingResult]) -> Table:
    """``grade autograde``: one row per submission."""
    table = Table(title="Scores")
    with_students = any(result.student for result in results)
    if with_students:
        table.add_column("student")
    table.add_column("submission")
    table.add_column("score", justify="right")
    table.add_column("max", justify="right")
    for status in STATUS_STYLE:
        table.add_column(status, justify="right", style=STATUS_STYLE[status])
    for result in results:
        counts = result.counts()
        who = [Text(result.student or "")] if with_students else []
        if not result.graded:
            table.add_row(*who, Text(result.submission), Text("grader-error", style="bold red"), "", *("" for _ in STATUS_STYLE))
            continue
        table.add_row(*who, Text(result.submission), points(result.score), points(result.max_score), *(str(counts[s]) for s in STATUS_STYLE))
    return table


def grader_errors_table(results: list[GradingResult]) -> Table:
    """The submissions that were not graded because the grader failed, with what failed."""
    table = Table(title=Text("Not graded: the grader failed (nothing was recorded for these)", style="bold red"))
    table.add_column("student")
    table.add_column("submission")
    table.add_column("what failed", overflow="fold")
    for result in results:
        table.add_row(Text(result.student or ""), Text(result.submission), Text(result.message))
    return table


def refused_lines(result: GradingResult) -> list[str]:
    """One line per entry of the submission that the intake left out."""
    return [f"left out of {result.submission}: {entry['message']}" for entry in result.refused]


def task_breakdown_table(result: GradingResult) -> Table:
    """Per-task points of one submission as a person reads them (:mod:`grader.reports.reading`):
    a problem that stopped every check in one row, the wrong tasks first with their first
    problem, the tasks not started in one row, then the correct ones."""
    if not result.graded:
        table = Table(title=Text(f"{result.submission}: grader-error (not graded)"))
        table.add_column("what failed", overflow="fold")
        table.add_row(Text(result.message))
        return table
    reading = read_result(result)
    table = Table(title=Text(f"{result.student or result.submission}: {points_of(result.score, result.max_score)}"))
    table.add_column("task")
    table.add_column("points", justify="right")
    table.add_column("first problem", overflow="fold")
    if reading.banner:
        table.add_row(Text("all"), f"{points(result.score)} / {points(result.max_score)}", Text(reading.banner, style="red"))
        return table
    for task in reading.wrong:
        first = task.first
        table.add_row(task.task, f"{points(task.score)} / {points(task.max_score)}", Text(f"[{first.status}] {first.message}" if first else ""))
    if reading.not_started:
        table.add_row(Text(f"{len(reading.not_started)} not started"), f"0 / {points(sum(task.max_score for task in reading.not_started))}", Text(reading.not_started_line))
    for task in reading.correct:
        table.add_row(task.task, f"{points(task.score)} / {points(task.max_score)}", Text(""))
    return table


def console(stderr: bool = False) -> Console:
    """A console on stdout, or on stderr when stdout carries JSON."""
    return Console(stderr=stderr, soft_wrap=False)


def submit_summary(result: GradingResult) -> Text:
    """One screen before a submission: how many public checks pass, and the tasks that fail."""
    counts = result.counts()
    failing = sorted({test.task for test in result.tests if test.status != "passed"})
    text = Text(f"Public checks: {counts['passed']} of {len(result.tests)} pass.", style="green" if not failing else "yellow")
    if failing:
        shown = ", ".join(failing[:12]) + (f" and {len(failing) - 12} more" if len(failing) > 12 else "")
        text.append(f"\nNot passing yet: {shown}.\nSubmitting anyway; you may submit again later (the latest counts).")
    return text


def print_check(out: Console, lesson: Lesson, result: GradingResult, *, show_all: bool = False) -> bool:
    """``grade check``'s screen: the checks that do not pass (all with ``show_all``, and a model
    lesson's smoke run always), then a closing line when all pass; whether all pass."""
    ok = result.counts()["passed"] == len(result.tests)
    blocking = blocking_problem(result)
    if blocking and not show_all:
        out.print(Text(f"{result.lesson}: none of the {len(result.tests)} public checks could run: {blocking}", style="red"))
        out.print("Fix this first (every check imports your file), then run grade check again.")
        return False
    if show_all or not ok or lesson.is_model:
        order = order_in_file(Path(result.submission) / lesson.filename) if result.submission else {}
        out.print(check_table(result, only_problems=not (show_all or lesson.is_model), order=order))
    if ok:
        more = (
            "Grading trains on the whole training split under the full budget and scores the test split."
            if lesson.is_model
            else "Public checks passed; the hidden checks grade these same properties on other inputs when you submit."
        )
        out.print(f"[green]All {len(result.tests)} public checks passed.[/] {more}")
    return ok


def print_submitted(out: Console, lesson: Lesson, student: str, submitted) -> None:
    """``grade submit``'s screen: what was left out, the public checks, the receipt
    (``submitted``: a :class:`grader.api.Submitted`)."""
    for line in submitted.left_out:
        out.print(Text(f"left out: {line}"), style="yellow")
    out.print(submit_summary(submitted.checks))
    receipt = submitted.receipt
    out.print(f"Submitted {lesson.id} for {student} at {receipt.timestamp}")
    out.print(f"receipt: {receipt.submission_id}")
    out.print(f"sha256 of the manifest: {receipt.sha256}")


def submissions_table(records, student: str) -> Table:
    """``grade status``: one row per submission in the exchange."""
    table = Table(title=Text(f"Submissions of {student}"))
    for column in ("lesson", "submitted (UTC)", "receipt", "manifest sha256"):
        table.add_column(column)
    for record in records:
        table.add_row(record.lesson, record.timestamp, Text(record.submission_id), (record.sha256 or "-")[:16])
    return table


def similarity_table(pairs, threshold: float, submissions: int) -> Table:
    """``grade similarity``: the pairs scoring ``threshold`` or more, best first."""
    shown = [pair for pair in pairs if pair.score >= threshold]  # similar_pairs keeps only those
    table = Table(title=Text(f"{len(shown)} of {submissions * (submissions - 1) // 2} pairs score {threshold:g} or more"))
    for column in ("score", "submission", "share", "submission", "share", "regions"):
        table.add_column(column)
    for pair in shown:
        table.add_row(f"{pair.score:.2f}", Text(pair.a), f"{pair.coverage_a:.0%}", Text(pair.b), f"{pair.coverage_b:.0%}", str(len(pair.regions)))
    return table


class BatchProgress:
    """A progress bar for a batch, with a live count of passed, failed and errored submissions."""

    def __init__(self, console: Console, total: int):
        self.counts = {"passed": 0, "failed": 0, "errored": 0, "grader-error": 0}
        self.progress = Progress(
            TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
            console=console, transient=True, disable=total < 2,
        )  # fmt: skip
        self.task = self.progress.add_task("grading", total=total, counts=self._counts())

    def _counts(self) -> str:
        text = "[green]{passed} passed[/] [red]{failed} failed[/] [magenta]{errored} errored[/]".format(**self.counts)
        return text + (f" [bold red]{self.counts['grader-error']} not graded (grader error)[/]" if self.counts["grader-error"] else "")

    def advance(self, result: GradingResult) -> None:
        from grader.core.batch import outcome

        self.counts[outcome(result)] += 1
        self.progress.update(self.task, advance=1, counts=self._counts())

    def __enter__(self) -> BatchProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()


def queue_status(out: Console):
    """A callback for a submission's states while waiting: prints each change once
    (``queued (3 ahead)``, ``grading``)."""
    seen: list[tuple] = []

    def show(data: dict) -> None:
        state = (data["status"], data.get("position"))
        if data["status"] in ("queued", "grading") and (not seen or seen[-1] != state):
            ahead = f" ({data['position']} ahead)" if data["status"] == "queued" and data.get("position") else ""
            out.print(f"{data['status']}{ahead}", style="dim")
        seen.append(state)

    return show


def print_served(out: Console, left_out: list[str], receipt: dict, final: dict | None, json_out: str | None = None) -> int:
    """``grade submit --server``'s screen: the receipt, then (when waited for) the result as
    ``grade check`` shows it; the exit code: 0 graded or not waited for, 3 when the grader failed."""
    import json
    from pathlib import Path

    for line in left_out:
        out.print(Text(f"left out: {line}"), style="yellow")
    out.print(f"submission {receipt['id']}  sha256 {receipt['sha256']}")
    if final is None:
        out.print("Submitted; `grade status --server URL` shows its score once graded.")
        return 0
    result = GradingResult.from_dict(final["result"]) if final.get("result") else None
    if json_out and final.get("result"):
        Path(json_out).write_text(json.dumps(final["result"], indent=2) + "\n")
    if result is None or not result.graded:
        out.print(f"[red]not graded: the grader failed[/] ({result.message if result else final['status']}); this costs you no attempt")
        return 3
    if result.score != result.max_score:
        out.print(check_table(result, only_problems=True, kind="hidden"))
    late = " [yellow](received after the deadline)[/]" if final.get("late") else ""
    out.print(f"[bold]score {points(result.score)} / {points(result.max_score)}[/]{late}")
    return 0


def served_table(records: list[dict]) -> Table:
    """``grade status --server``: one row per submission on the service."""
    table = Table(title="Your submissions")
    for column in ("lesson", "received (UTC)", "status", "score", "submission"):
        table.add_column(column)
    for record in records:
        score = f"{points(record['score'])} / {points(record['max_score'])}" if record.get("score") is not None else "-"
        late = " (late)" if record.get("late") else ""
        table.add_row(record["lesson"], record["received_at"][:19] + late, record["status"], score, Text(record["id"]))
    return table
