"""``grade autograde``: grade a batch with the hidden checks, show it, and write its outputs.

The command line (:mod:`grader.cli`) parses the options into an :class:`Autograde` and calls
:func:`run`, which grades the given submissions and a course's collected ones
(:mod:`grader.platforms.nbgrader_course`) with a progress bar, prints the scores, what the intake left out and the
grader's own failures, and writes the outputs asked for (JSON, HTML feedback, CSV,
Gradescope). Its exit code: 0 when every submission was graded, whatever the scores;
:data:`GRADER_ERROR_EXIT` when the grader itself failed on some.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.text import Text

from grader.api import GradeRequest, Settings, grade_batch
from grader.core import interrupts, results
from grader.core.lesson_data import data_problem
from grader.core.results import GradingResult
from grader.course.catalogue import get_lesson
from grader.reports import exports, feedback
from grader.reports import terminal as report

#: Some submissions were not graded because the grader failed.
GRADER_ERROR_EXIT = 3
#: Every submission was graded, but an output could not be written (each is named).
OUTPUT_ERROR_EXIT = 1
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
    #: ``gradescope`` is a folder of results.json files (else the one file of one submission).
    gradescope_folder: bool = True

    def problems(self) -> list[str]:
        """Why an output could not be written, found before any grading: one line each."""
        found = []
        files = [("--json", Path(self.json) if self.json and self.json != "-" else None), ("--csv", self.csv)]
        if not self.gradescope_folder:
            files.append(("--gradescope", self.gradescope))
        for option, path in files:
            if path is not None:
                if path.is_dir():
                    found.append(f"{option} {path}: is a folder; give a file name")
                else:
                    found += _unwritable_parent(option, path)
        folders = [("--feedback", self.feedback_dir), ("--gradescope", self.gradescope if self.gradescope_folder else None)]
        for option, path in folders:
            if path is not None:
                if path.exists() and not path.is_dir():
                    found.append(f"{option} {path}: is a file; give a folder")
                elif not path.exists():
                    found += _unwritable_parent(option, path)
        return found


def _unwritable_parent(option: str, path: Path) -> list[str]:
    parent = path.parent
    if not parent.is_dir():
        return [f"{option} {path}: the folder {parent} does not exist"]
    if not os.access(parent, os.W_OK | os.X_OK):
        return [f"{option} {path}: the folder {parent} is not writable"]
    return []


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
    #: Where a submission's student id comes from: ``folder`` (its folder's or archive's name,
    #: ``alice.zip`` -> ``alice``) or ``none``.
    student_from: str = "folder"

    def requests(self) -> list[GradeRequest]:
        """A request per submission given, with its student id (see :attr:`student_from`)."""
        return [self.template.of(path, student_of(path) if self.student_from == "folder" else None) for path in self.submissions]


def student_of(path: Path) -> str:
    """The student id a submission's name gives: ``subs/alice/`` -> ``alice``, ``alice.tar.gz`` -> ``alice``."""
    name = Path(path).name
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip"):
        name = name.removesuffix(suffix)
    return name


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
    with interrupts.stop_on_signals():  # a second signal while the outputs are written still exits quietly
        try:
            graded = grade_all(job.requests()) if job.submissions else []
            if job.course is not None:
                from grader.platforms.nbgrader_course import autograde_course

                graded += autograde_course(job.course, job.template, db_url=job.db_url, grade_all=grade_all, all_submissions=job.all_submissions, note=warn)
        except interrupts.Interrupted as stop:
            return _stopped(job, out, warn, progress, stop)
    show(graded, out, details=job.outputs.details)
    unwritten = write_outputs(graded, job.outputs)
    for line in unwritten:
        warn(line)
    failures = [result for result in graded if not result.graded]
    if not failures:
        return OUTPUT_ERROR_EXIT if unwritten else 0
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
    unwritten = write_outputs(graded, job.outputs)
    for line in unwritten:
        warn(line)
    written = "; its outputs were written for those" if graded and _any_output(job.outputs) and not unwritten else ""
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
        out.print(f'... and {len(refused) - MAX_REFUSED_LINES} more entries left out (each result\'s "refused" lists them)')
    if details:
        for result in graded:
            out.print(report.task_breakdown_table(result))


def write_outputs(graded: list[GradingResult], outputs: Outputs) -> list[str]:
    """Write the outputs asked for, each on its own (one that fails costs the others nothing);
    Gradescope's and the CSV leave out grader errors. Returns a line for each that failed."""
    scored = [result for result in graded if result.graded]
    json_out, csv_out, gradescope_out, feedback_out = outputs.json, outputs.csv, outputs.gradescope, outputs.feedback_dir
    sinks: list[tuple[str, Callable[[], object]]] = []
    if json_out == "-":
        sinks.append(("--json -", lambda: print(results.dumps(graded))))
    elif json_out:
        sinks.append((f"--json {json_out}", lambda: Path(json_out).write_text(results.dumps(graded) + "\n")))
    if csv_out:
        sinks.append((f"--csv {csv_out}", lambda: exports.write_csv(graded, csv_out)))
    if gradescope_out and scored:
        sinks.append((f"--gradescope {gradescope_out}", lambda: exports.write_gradescope(scored, gradescope_out, folder=outputs.gradescope_folder)))
    if feedback_out:
        sinks.append((f"--feedback {feedback_out}", lambda: feedback.write_feedback(graded, feedback_out)))
    failed = []
    for name, write in sinks:
        try:
            write()
        except OSError as error:
            failed.append(f"grade: error: could not write {name}: {error.strerror or error}")
    return failed
