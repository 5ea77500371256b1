"""``grade autograde``: grade a batch with the hidden checks, show it, and write its outputs.

The command line (:mod:`grader.cli`) parses the options into an :class:`Autograde` and calls
:func:`run`, which grades the given submissions and a course's collected ones
(:mod:`grader.course`) with a progress bar, prints the scores, what the intake left out and the
grader's own failures, and writes the outputs asked for (JSON, HTML feedback, CSV,
Gradescope). Its exit code: 0 when every submission was graded, whatever the scores;
:data:`GRADER_ERROR_EXIT` when the grader itself failed on some.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.text import Text

from grader import feedback, interrupts, report, results
from grader.api import GradeRequest, Settings, grade_batch
from grader.grading import data_problem
from grader.lessons import get_lesson
from grader.results import GradingResult

#: Some submissions were not graded because the grader failed.
GRADER_ERROR_EXIT = 3
#: At most this many lines about entries the intake left out are printed.
MAX_REFUSED_LINES = 20


@dataclass(frozen=True)
class Outputs:
    """Where the batch's results go besides the terminal (None: not written)."""

    json: str | None = None  # a file, or "-" for stdout
    feedback_dir: Path | None = None
    csv: Path | None = None
    gradescope: Path | None = None
    details: bool = False


@dataclass(frozen=True)
class Autograde:
    """One ``grade autograde`` run: the request every submission shares (lesson, limits,
    device, data directory), the submissions given, the course (``--course``), the outputs,
    and where to grade (local ``workers`` or a Dask ``scheduler``)."""

    template: GradeRequest
    submissions: tuple[Path, ...] = ()
    course: Settings | None = None
    db_url: str | None = None
    all_submissions: bool = False
    outputs: Outputs = field(default_factory=Outputs)
    workers: int | None = None
    scheduler: str | None = None


def run(job: Autograde, out: Console, warn=print) -> int:
    """Grade ``job``, print and write its results; the exit code (see the module docstring).
    ``warn(line)`` says what goes to standard error (protections off, a data problem)."""
    from grader.runner.sandbox import detect

    for line in detect().missing():
        warn(f"grade: note: protection off: {line}")
    problem = data_problem(get_lesson(job.template.lesson), job.template.data_dir)  # found before any grading
    if problem:
        warn(f"grade: error: {problem}")
    progress = _Progress()
    grade_all = _grader(job, out, problem, progress)
    try:
        with interrupts.stop_on_signals():
            graded = grade_all([job.template.of(path) for path in job.submissions]) if job.submissions else []
            if job.course is not None:
                from grader.course import autograde_course

                graded += autograde_course(job.course, job.template, db_url=job.db_url, grade_all=grade_all, all_submissions=job.all_submissions)
    except interrupts.Interrupted as stop:
        return _stopped(job, out, warn, progress, stop)
    show(graded, out, details=job.outputs.details)
    write_outputs(graded, job.outputs)
    failures = [result for result in graded if not result.graded]
    if not failures:
        return 0
    out.print(report.grader_errors_table(failures))
    warn(
        f"grade: {len(failures)} of {len(graded)} submission(s) were not graded because the grader failed (no score was recorded for them); "
        "fix the cause and grade them again" + (" (a re-run of --course grades them)" if job.course is not None else "")
    )
    return GRADER_ERROR_EXIT


@dataclass
class _Progress:
    """What a batch has been given and what has come back so far (for a stopped batch)."""

    total: int = 0
    arrived: dict[tuple[int, int], GradingResult] = field(default_factory=dict)  # (call, index) -> result

    def results(self) -> list[GradingResult]:
        return [self.arrived[key] for key in sorted(self.arrived)]


def _stopped(job: Autograde, out: Console, warn, progress: _Progress, stop: interrupts.Interrupted) -> int:
    """A batch stopped by a signal: the outputs of what was graded, one line, ``128 + signum``."""
    graded = progress.results()
    out.print(report.scores_table(graded))
    write_outputs(graded, job.outputs)
    written = "; its outputs were written for those" if graded and _any_output(job.outputs) else ""
    warn(f"grade: {stop} after {len(graded)} of {progress.total} submission(s) were graded{written}")
    return stop.exit_code


def _any_output(outputs: Outputs) -> bool:
    return any((outputs.json, outputs.feedback_dir, outputs.csv, outputs.gradescope))


def _grader(job: Autograde, out: Console, problem: str | None, progress: _Progress):
    """``grade_all(requests, on_result)`` for this job: a batch under a progress bar, or,
    when the lesson's data set has a problem, a ``grader-error`` for each without grading.
    Each call adds to ``progress``."""

    def grade_all(requests: list[GradeRequest], on_result=lambda index, result: None) -> list[GradingResult]:
        call = progress.total
        progress.total += len(requests)

        def record(index: int, result: GradingResult) -> None:
            progress.arrived[(call, index)] = result
            on_result(index, result)

        if problem:
            failed = [GradingResult.grader_error(r.lesson, r.source, f"{problem}; then grade again", r.student) for r in requests]
            for index, result in enumerate(failed):
                record(index, result)
            return failed
        with report.BatchProgress(out, len(requests)) as bar:

            def arrived(index: int, result: GradingResult) -> None:
                bar.advance(result)
                record(index, result)

            return grade_batch(requests, workers=job.workers, scheduler=job.scheduler, on_result=arrived)

    return grade_all


def show(graded: list[GradingResult], out: Console, *, details: bool = False) -> None:
    """The scores table, the entries the intake left out, and (``details``) each submission's tasks."""
    out.print(report.scores_table(graded))
    refused = [line for result in graded for line in report.refused_lines(result)]
    for line in refused[:MAX_REFUSED_LINES]:
        out.print(Text(line, style="yellow"))
    if len(refused) > MAX_REFUSED_LINES:
        out.print(f"... and {len(refused) - MAX_REFUSED_LINES} more entries left out (each result's \"refused\" lists them)")
    if details:
        for result in graded:
            out.print(report.task_breakdown_table(result))


def write_outputs(graded: list[GradingResult], outputs: Outputs) -> None:
    """Write the outputs asked for; Gradescope's and the CSV leave out grader errors."""
    if outputs.feedback_dir:
        feedback.write_feedback(graded, outputs.feedback_dir)
    if outputs.csv:
        feedback.write_csv(graded, outputs.csv)
    scored = [result for result in graded if result.graded]
    if outputs.gradescope and scored:
        feedback.write_gradescope(scored, outputs.gradescope)
    if outputs.json == "-":
        print(results.dumps(graded))
    elif outputs.json:
        Path(outputs.json).write_text(results.dumps(graded) + "\n")
