"""Benchmark: CPU time per submission, the grader's and the child's, per numpy lesson.

Grades the submissions `bench_batch.py` makes (the reference, the stubs and the lesson's
typical bugs, in turn) one after another in one process, as a batch worker does, after a
warm-up grading, and prints per submission the wall time, this process's CPU time (pytest,
the checks, the reference) and the CPU time of the child that ran the student's code (read
from the kernel for every process of the child's user just before the child is stopped: the
warm-start zygote reaps the children, so this process's rusage never sees them).

``--before REV`` runs the same measurement on the grader of git revision REV (a worktree in a
temporary folder, on the same submissions) and prints both with their ratios.

Usage: python benchmarks/bench_cpu.py [--per-lesson 20] [--lesson activations ...] [--before REV]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LESSONS = ["tensors", "activations", "losses", "backprop", "optimizers"]
HERE = Path(__file__).resolve().parent


def measure(lesson_id: str, folders: list[Path]) -> dict:
    """Wall, grader CPU and child CPU seconds per submission for grading ``folders``."""
    from grader.api import GradeRequest
    from grader.core import grading
    from grader.runner import proxy

    child_seconds = [0.0]
    original_stop = proxy.IsolatedSubmission.stop

    def stop_and_count(self) -> None:
        if self.running:
            if self._uid is not None:
                child_seconds[0] += sum(_process_seconds(pid) for pid in _pids_of(self._uid))
            elif self._process is not None:
                child_seconds[0] += _process_seconds(self._process.pid)
        original_stop(self)

    proxy.IsolatedSubmission.stop = proxy.IsolatedSubmission.close = stop_and_count  # type: ignore[method-assign]
    try:
        grading.run_hidden_checks(GradeRequest(lesson_id, folders[0]))  # warm-up: imports, reference timings, collection
        child_seconds[0] = 0.0
        own, began = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        scores = []
        for folder in folders:
            result = grading.run_hidden_checks(GradeRequest(lesson_id, folder))
            scores.append(result.score)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        proxy.IsolatedSubmission.stop = proxy.IsolatedSubmission.close = original_stop  # type: ignore[method-assign]
    grader_cpu = (after.ru_utime + after.ru_stime) - (own.ru_utime + own.ru_stime)
    count = len(folders)
    return {"wall": wall / count, "grader": grader_cpu / count, "child": child_seconds[0] / count, "scores": scores}


def _pids_of(uid: int) -> list[int]:
    """The live processes of user ``uid``."""
    pids = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if line.startswith(("State:", "Uid:")))
        except (OSError, ValueError):
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid and not fields.get("State", "").strip().startswith("Z"):
            pids.append(int(entry))
    return pids


def _process_seconds(pid: int) -> float:
    """CPU seconds of process ``pid``: its CPU-time clock in nanoseconds, and no less than its
    clock ticks with the children it reaped. Defined here, not taken from the grader, so that a
    ``--before`` revision is measured the same way (ticks alone round each short-lived child
    down to 10 ms)."""
    try:
        clock = time.clock_gettime_ns((~pid << 3) | 2) / 1e9
        with open(f"/proc/{pid}/stat") as stat_file:
            fields = stat_file.read().rsplit(")", 1)[1].split()
    except (OSError, OverflowError, IndexError):
        return 0.0
    return max(clock, sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK"))


def measure_all(lessons: list[str], root: Path) -> dict:
    """:func:`measure` for each lesson's submissions under ``root`` (folders ``LESSON-NNN``)."""
    return {lesson: measure(lesson, sorted(root.glob(f"{lesson}-*"))) for lesson in lessons}


def measure_revision(revision: str, lessons: list[str], root: Path, scratch: Path) -> dict:
    """:func:`measure_all` run by the grader of git revision ``revision`` (a worktree)."""
    repository = HERE.parent
    tree = scratch / "before"
    subprocess.run(["git", "-C", str(repository), "worktree", "add", "--detach", str(tree), revision], check=True, capture_output=True)
    try:
        environment = {**os.environ, "PYTHONPATH": str(tree), "GRADER_COURSE_ROOT": str(tree)}
        done = subprocess.run(
            [sys.executable, __file__, "--measure", str(root), "--lesson-list", ",".join(lessons)],
            cwd=tree, env=environment, capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"measuring {revision} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["git", "-C", str(repository), "worktree", "remove", "--force", str(tree)], check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-lesson", type=int, default=20)
    parser.add_argument("--lesson", action="append", choices=LESSONS)
    parser.add_argument("--before", metavar="REV", help="also measure the grader of this git revision")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--lesson-list", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child run of --before: print the figures as JSON
        print(json.dumps(measure_all(args.lesson_list.split(","), args.measure)))
        return
    sys.path.insert(0, str(HERE))
    from bench_batch import make_submissions
    from rich.console import Console
    from rich.table import Table

    lessons = args.lesson or LESSONS
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "work"
        for lesson in lessons:
            make_submissions(lesson, args.per_lesson, root)
        before = measure_revision(args.before, lessons, root, Path(scratch)) if args.before else None
        now = measure_all(lessons, root)
    load = os.getloadavg()[0]
    table = Table(title=f"CPU seconds per submission ({args.per_lesson} per lesson, one process; load {load:.1f})")
    columns = ["lesson", "wall", "grader CPU", "child CPU"]
    if before:
        columns = ["lesson", f"{args.before}: wall", "grader CPU", "child CPU", "now: wall", "grader CPU", "child CPU", "grader", "child", "grader + child"]
    for column in columns:
        table.add_column(column, justify="right")
    for lesson in lessons:
        row = [lesson]
        if before:
            row += [f"{before[lesson][key]:.3f}" for key in ("wall", "grader", "child")]
        row += [f"{now[lesson][key]:.3f}" for key in ("wall", "grader", "child")]
        if before:
            old, new = before[lesson], now[lesson]
            row += [f"{old['grader'] / new['grader']:.2f}x", f"{old['child'] / new['child']:.2f}x",
                    f"{(old['grader'] + old['child']) / (new['grader'] + new['child']):.2f}x"]
            if old["scores"] != new["scores"]:
                row[0] += " (scores differ!)"
        table.add_row(*row)
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
