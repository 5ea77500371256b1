"""Benchmark: the references of every lesson graded while a CPU hog runs on every core.

A correct solution must earn full marks on a busy machine. This grades each lesson's reference
(both frameworks' references for the model lessons, when their data set is present) on an idle
machine, then with one busy loop per core, and prints each score (with the first check lost,
if any) and the time it took. Every score should be full marks.

Usage: python benchmarks/bench_hog.py [--lessons tensors,losses,...] [--data-dir DIR] [--no-baseline]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.api import GradeRequest, grade  # noqa: E402
from grader.core.grading import data_problem  # noqa: E402
from grader.course.catalogue import LESSONS, get_lesson  # noqa: E402
from grader.course.paths import reference_dir  # noqa: E402
from grader.course.references import reference_submission  # noqa: E402

MODEL_FILES = {"torch": "model.py", "keras": "model_keras.py"}


def submissions(lesson_id: str, root: Path) -> list[tuple[str, object]]:
    """``(label, submission)`` of each reference of ``lesson_id``: the numpy lessons' one, a
    model lesson's PyTorch and Keras ones (each as a folder holding ``model.py``)."""
    if not get_lesson(lesson_id).is_model:
        return [(lesson_id, reference_submission(lesson_id))]
    found = []
    for framework, name in MODEL_FILES.items():
        folder = root / f"{lesson_id}-{framework}"
        folder.mkdir(parents=True)
        shutil.copyfile(reference_dir(lesson_id) / name, folder / "model.py")
        found.append((f"{lesson_id} ({framework})", folder))
    return found


def grade_all(lesson_ids: list[str], data_dir: str | None, root: Path) -> list[tuple[str, str, float]]:
    """Grade every reference; ``(label, score text, seconds)`` each."""
    rows = []
    for lesson_id in lesson_ids:
        lesson = get_lesson(lesson_id)
        problem = data_problem(lesson, data_dir)
        if problem:
            rows.append((lesson_id, f"skipped: {problem}", 0.0))
            continue
        for label, submission in submissions(lesson_id, root / lesson_id):
            started = time.perf_counter()
            result = grade(GradeRequest(lesson_id, submission, device="cpu", data_dir=data_dir))
            seconds = time.perf_counter() - started
            if not result.graded:
                rows.append((label, f"grader-error: {result.message}", seconds))
                continue
            lost = [f"{test.name}: {test.message}" for test in result.tests if test.status != "passed"]
            score = f"{result.score:g} / {result.max_score:g}" + ("" if not lost else f"  (lost: {lost[0]})")
            rows.append((label, score, seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", default=",".join(LESSONS), help="comma-separated lesson ids (default: all)")
    parser.add_argument("--data-dir", default=None, help="data directory of the model lessons (default: the configured one)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without the hog")
    options = parser.parse_args()
    lesson_ids = [lesson for lesson in options.lessons.split(",") if lesson]
    cores = os.cpu_count() or 1
    root = Path(tempfile.mkdtemp(prefix="bench-hog-"))
    console = Console()
    runs = [] if options.no_baseline else [("idle machine", 0)]
    runs.append((f"{cores} busy loops (one per core)", cores))
    for title, hogs in runs:
        processes = [subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"]) for _ in range(hogs)]
        try:
            rows = grade_all(lesson_ids, options.data_dir, root / f"hogs-{hogs}")
        finally:
            for process in processes:
                process.kill()
                process.wait()
        table = Table(title=f"References graded, {title}")
        for column in ("reference", "score", "seconds"):
            table.add_column(column, justify="left" if column != "seconds" else "right", overflow="fold")
        for label, score, seconds in rows:
            table.add_row(label, score, f"{seconds:.1f}")
        console.print(table)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
