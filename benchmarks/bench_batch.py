"""Benchmark: batch grading throughput, `grade autograde` against `nbgrader autograde`.

Makes N synthetic submissions per numpy lesson (the reference, the stubs and the mutants of
reference/<lesson>/mutants.toml), grades them all with `grade autograde` (a worker per core)
and with `nbgrader autograde` (the lessons' generated notebooks, a real kernel per notebook) on
the same submissions, and prints submissions per minute for each and their ratio; then the median
and 95th-percentile latency of `grade check` for one student.

Usage: python benchmarks/bench_batch.py [--per-lesson N] [--checks K] [--lessons a,b]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

BIN = Path(sys.executable).parent

from grader.authoring.mutants import course_mutants  # noqa: E402
from grader.course.catalogue import LESSONS, get_lesson  # noqa: E402
from grader.course.paths import assignment_dir, course_root, reference_dir  # noqa: E402
from grader.course.references import reference_file  # noqa: E402


def make_submissions(lesson_id: str, count: int, root: Path) -> list[Path]:
    """``count`` submission folders: the reference, the stubs, then mutants, in turn."""
    lesson = get_lesson(lesson_id)
    source = (reference_dir(lesson_id) / lesson.filename).read_text()
    variants = [source, (assignment_dir(lesson_id) / lesson.filename).read_text()]
    mutants = course_mutants(course_root() / "reference", LESSONS.values())
    variants += [source.replace(m.old, m.new) for m in mutants if m.lesson == lesson_id]
    folders = []
    for i in range(count):
        folder = root / f"{lesson_id}-{i:03d}"
        folder.mkdir(parents=True)
        (folder / lesson.filename).write_text(variants[i % len(variants)])
        for module in lesson.extra_modules:
            shutil.copyfile(reference_file(lesson_id, module), folder / f"{module}.py")
        folders.append(folder)
    return folders


def run(command: list[str], cwd: Path) -> float:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def nbgrader_course(root: Path, lessons: list[str], submissions: dict[str, list[Path]]) -> Path:
    """A course folder whose submitted/ holds every submission, as `nbgrader collect` leaves them."""
    import nbformat

    from grader.authoring.release import config_lines
    from grader.notebook import lesson_notebook

    course = root / "course"
    course.mkdir()
    chosen = [get_lesson(lesson_id) for lesson_id in lessons]
    (course / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.course_id = "bench"\nc.CourseDirectory.root = "{course}"\n'
        "c.Execute.timeout = 600\n" + config_lines(chosen)
    )
    run([str(BIN / "grade"), "release", "--nbgrader", str(course)], course)
    for lesson_id in lessons:
        run([str(BIN / "nbgrader"), "generate_assignment", lesson_id, "--force"], course)
        for i, folder in enumerate(submissions[lesson_id]):
            target = course / "submitted" / f"student{i:03d}" / lesson_id
            shutil.copytree(folder, target)
            nbformat.write(lesson_notebook(get_lesson(lesson_id)), str(target / f"{lesson_id}.ipynb"))
            (target / "timestamp.txt").write_text("2026-11-22 12:00:00.000000 UTC")
    return course


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-lesson", type=int, default=30, help="submissions per lesson (a batch amortises its start-up, as a course's does)")
    parser.add_argument("--checks", type=int, default=20, help="runs of `grade check` for its latency")
    parser.add_argument("--lessons", default="tensors,activations,losses")
    options = parser.parse_args()
    lessons = options.lessons.split(",")
    console = Console()

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        submissions = {lesson: make_submissions(lesson, options.per_lesson, root / "work") for lesson in lessons}
        total = sum(len(folders) for folders in submissions.values())

        grade_s = sum(run([str(BIN / "grade"), "autograde", lesson, *map(str, folders), "--json", str(root / f"{lesson}.json")], root) for lesson, folders in submissions.items())
        course = nbgrader_course(root, lessons, submissions)
        nbgrader_s = sum(run([str(BIN / "nbgrader"), "autograde", lesson, "--force"], course) for lesson in lessons)

        student = root / "student"
        shutil.copytree(reference_dir("activations"), student)
        latencies = sorted(run([str(BIN / "grade"), "check", "activations", str(student)], root) for _ in range(options.checks))

    table = Table(title=f"Batch grading of {total} numpy-lesson submissions on {os.cpu_count()} cores")
    for column in ("grader", "seconds", "submissions / minute"):
        table.add_column(column, justify="right")
    table.add_row("grade autograde (worker per core)", f"{grade_s:.1f}", f"{60 * total / grade_s:.1f}")
    table.add_row("nbgrader autograde", f"{nbgrader_s:.1f}", f"{60 * total / nbgrader_s:.1f}")
    console.print(table)
    console.print(f"throughput ratio grade / nbgrader: {nbgrader_s / grade_s:.1f}x")
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    console.print(f"grade check activations ({options.checks} runs): median {statistics.median(latencies):.2f} s, 95th percentile {p95:.2f} s")


if __name__ == "__main__":
    random.seed(0)
    main()
