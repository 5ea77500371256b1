"""Benchmark: checking from a notebook against `grade check`.

Runs, as a kernel would, ``grader.jupyter.Lesson(LESSON).check(TASK)`` and ``.check()`` on the
reference solution defined in ``__main__`` (a script whose top holds the reference's code, as a
notebook's cells would), N times each, and `grade check LESSON` on the same code in a folder;
prints the median times (goal: one task under 0.1 s, the whole lesson under 1 s).

Usage: python benchmarks/bench_notebook.py [--lesson activations] [--task sigmoid] [--runs 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

KERNEL = """
import statistics, sys, time
from grader.jupyter import Lesson

lesson = Lesson({lesson!r}, namespace=globals())
for label, task in (("one task", {task!r}), ("the whole lesson", None)):
    times = []
    for _ in range({runs}):
        began = time.perf_counter()
        report = lesson.check(task)
        times.append(time.perf_counter() - began)
    assert report.passed, repr(report)
    print(f"{{label}}\\t{{statistics.median(times):.3f}}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="activations")
    parser.add_argument("--task", default="sigmoid")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from grader.course.references import reference_file

    source = reference_file(args.lesson, args.lesson).read_text()
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "kernel.py"
        script.write_text(source + "\n" + KERNEL.format(lesson=args.lesson, task=args.task, runs=args.runs))
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
        rows = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
        folder = Path(scratch) / args.lesson
        folder.mkdir()
        (folder / f"{args.lesson}.py").write_text(source)
        times = []
        for _ in range(args.runs):
            began = __import__("time").perf_counter()
            subprocess.run([str(BIN / "grade"), "check", args.lesson, str(folder)], capture_output=True, check=True)
            times.append(__import__("time").perf_counter() - began)
    table = Table(title=f"Checks of {args.lesson} (median of {args.runs})")
    table.add_column("how")
    table.add_column("seconds", justify="right")
    for label, seconds in rows:
        table.add_row(f"in the kernel: {label}" + (f" ({args.task})" if label == "one task" else ""), seconds)
    table.add_row("grade check (a new process)", f"{sorted(times)[len(times) // 2]:.3f}")
    Console().print(table)


if __name__ == "__main__":
    main()
