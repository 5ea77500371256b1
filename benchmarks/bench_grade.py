"""Benchmark: how long grading one numpy-lesson submission takes on this machine.

Prints, per lesson, the median wall time of
- `grade autograde LESSON` of the reference as a fresh command (interpreter start included),
- grading one submission inside a running grader (the per-submission cost of a batch),
  for the reference (full marks) and the stubs (every check fails fast),
- `grade check LESSON` of the reference as a fresh command (the student's local check);
then what isolation costs: starting the student's child bare (Python and numpy only), confined
by the grader's own namespaces and user switch, and under bubblewrap, and grading the
reference of each lesson under each available sandbox.

Usage: python benchmarks/bench_grade.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
LESSONS = ["tensors", "activations", "losses", "backprop", "optimizers"]


def wall(function, repeat: int) -> float:
    """Median wall time of ``function()`` over ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def reference_folders(root: Path) -> dict[str, Path]:
    """Each lesson's reference solution written as a submission folder under ``root`` (with the
    modules it takes from earlier lessons, as a student submits them)."""
    from grader.course.references import reference_submission

    folders = {}
    for lesson in LESSONS:
        reference_submission(lesson).write_to(root / lesson)
        folders[lesson] = root / lesson
    return folders


def command(*args: str):
    def run():
        subprocess.run([sys.executable, "-m", "grader", *args], cwd=REPO, check=False, capture_output=True)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    repeat = parser.parse_args().repeat

    from grader.api import GradeRequest, grade

    references = reference_folders(Path(tempfile.mkdtemp(prefix="bench-references-")))
    grade(GradeRequest("tensors", references["tensors"]))  # warm-up: imports, caches
    table = Table(title=f"Grading one submission (median of {repeat}, seconds)")
    for column in ("lesson", "autograde (CLI, reference)", "in batch: reference", "in batch: stubs", "check (CLI)"):
        table.add_column(column, justify="right")
    for lesson in LESSONS:
        reference, stubs = references[lesson], REPO / "assignments" / lesson
        cli = wall(command("autograde", lesson, str(reference)), repeat)
        warm_reference = wall(lambda: grade(GradeRequest(lesson, reference)), repeat)
        warm_stubs = wall(lambda: grade(GradeRequest(lesson, stubs)), repeat)
        check = wall(command("check", lesson, str(reference)), repeat)
        table.add_row(lesson, f"{cli:.2f}", f"{warm_reference:.2f}", f"{warm_stubs:.2f}", f"{check:.2f}")
    Console().print(table)
    Console().print(isolation_table(repeat, references))


def _start_and_stop(submission) -> None:
    submission.start()
    submission.stop()


def isolation_table(repeat: int, references: dict[str, Path]) -> Table:
    """Child start-up and grading time under each sandbox this machine allows."""
    import os

    from grader.api import GradeRequest, grade
    from grader.runner import sandbox
    from grader.runner.proxy import IsolatedSubmission

    table = Table(title=f"What isolation costs (median of {repeat}, seconds)")
    for column in ("child", "start + stop", *(f"grade {lesson}" for lesson in LESSONS)):
        table.add_column(column, justify="right")
    bare = wall(lambda: subprocess.run([sys.executable, "-I", "-c", "import numpy"], check=True), repeat)
    table.add_row("bare python + numpy (no isolation)", f"{bare:.3f}", *("-" for _ in LESSONS))
    folder = tempfile.mkdtemp()
    Path(folder, "tensors.py").write_text("import numpy\n")
    for mode, label in (("no-bwrap", "own namespaces + user"), ("auto", "bubblewrap")):
        os.environ["GRADER_SANDBOX"] = mode
        sandbox.detect.cache_clear()
        protections = sandbox.detect()
        if mode == "auto" and not protections.bubblewrap:
            table.add_row(label, "not available", *("-" for _ in LESSONS))
            continue
        start = wall(lambda: _start_and_stop(IsolatedSubmission(Path(folder), ["tensors"])), repeat)
        grades = [wall(lambda lesson=lesson: grade(GradeRequest(lesson, references[lesson])), repeat) for lesson in LESSONS]
        table.add_row(label, f"{start:.3f}", *(f"{g:.2f}" for g in grades))
    os.environ.pop("GRADER_SANDBOX", None)
    sandbox.detect.cache_clear()
    return table


if __name__ == "__main__":
    main()
