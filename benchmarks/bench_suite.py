"""Benchmark: the hidden suite collected once per process against a fresh pytest run per
submission (``GRADER_FRESH_SUITE=1``), per numpy lesson.

Grades the lesson's reference N times in this process each way (after one warm-up grading
each) and prints, per submission, the wall time and the grader's CPU time (this process). The
child's CPU time is not in it: the warm-start zygote forks and reaps the children that run
student code, so this process's rusage never sees them.

Usage: python benchmarks/bench_suite.py [--runs 10] [--lesson activations ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader.api import GradeRequest
from grader.core import grading
from grader.course.catalogue import get_lesson
from grader.course.references import reference_file

LESSONS = ["tensors", "activations", "losses", "backprop", "optimizers"]


def submission(lesson_id: str, folder: Path) -> Path:
    lesson = get_lesson(lesson_id)
    folder.mkdir()
    for module in lesson.modules:
        (folder / f"{module}.py").write_text(reference_file(lesson_id, module).read_text())
    return folder


def measure(lesson_id: str, folder: Path, runs: int, fresh: bool) -> tuple[float, float]:
    """``(wall, grader CPU)`` seconds per submission."""
    if fresh:
        os.environ[grading.FRESH_SUITE_ENV] = "1"
    else:
        os.environ.pop(grading.FRESH_SUITE_ENV, None)
    grading.run_hidden_checks(GradeRequest(lesson_id, folder))  # warm-up: imports, reference timings, collection
    own, began = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(runs):
        result = grading.run_hidden_checks(GradeRequest(lesson_id, folder))
        assert result.score == result.max_score, (lesson_id, result.message)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    return wall / runs, ((after.ru_utime + after.ru_stime) - (own.ru_utime + own.ru_stime)) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--lesson", action="append", choices=LESSONS)
    args = parser.parse_args()
    table = Table(title=f"grading the reference, per submission (mean of {args.runs}; load {os.getloadavg()[0]:.1f})")
    for column in ("lesson", "fresh: wall (s)", "grader CPU (s)", "collected: wall (s)", "grader CPU (s)", "wall", "grader CPU"):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as scratch:
        for lesson_id in args.lesson or LESSONS:
            folder = submission(lesson_id, Path(scratch) / lesson_id)
            fresh = measure(lesson_id, folder, args.runs, fresh=True)
            collected = measure(lesson_id, folder, args.runs, fresh=False)
            speedups = (f"{fresh[0] / collected[0]:.2f}x", f"{fresh[1] / collected[1]:.2f}x")
            table.add_row(lesson_id, *(f"{value:.3f}" for value in fresh), *(f"{value:.3f}" for value in collected), *speedups)
    Console().print(table)


if __name__ == "__main__":
    sys.exit(main())
