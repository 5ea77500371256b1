"""Benchmark: ``grade similarity`` on a class of N submissions of a lesson (goal: 1,000
submissions of `activations` in under a minute on the project's 2-core machine).

The class is made from the lesson's reference: each student's file takes, per function, the
reference body or one of two rewrites of it (the result through a variable of the student's
own name, or wrapped in ``np.asarray`` under a comment), with the helper names renamed, so that most
pairs share some functions and the index has real work; a few students hand in a copy of
another's file with renamed variables. Prints the time to fingerprint, to pair and in all, the
peak memory, and how many planted copies rank among the first 2N pairs (N planted).

Usage: python benchmarks/bench_similarity.py [--lesson activations] [--students 1000] [--copies 20]
"""

from __future__ import annotations

import argparse
import ast
import random
import re
import resource
import time

from rich.console import Console
from rich.table import Table

from grader.core import similarity
from grader.course.catalogue import get_lesson
from grader.course.paths import reference_dir

#: The report's threshold in this benchmark: the pairs above it are compared region by region.
THRESHOLD = 0.3


def functions(source: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """The source's preamble (up to its first function) and each top-level function's lines."""
    tree = ast.parse(source)
    lines = source.splitlines()
    first = next(node for node in tree.body if isinstance(node, ast.FunctionDef))
    preamble = "\n".join(lines[: first.lineno - 1])
    return preamble, [(node.name, lines[node.lineno - 1 : node.end_lineno]) for node in tree.body if isinstance(node, ast.FunctionDef)]


def rewrite(lines: list[str], style: int, rng: random.Random) -> list[str]:
    """One function's lines as a student might write them (style 0: as they are)."""
    if style == 1 and lines[-1].strip().startswith("return "):
        indent = lines[-1][: len(lines[-1]) - len(lines[-1].lstrip())]
        name = rng.choice(["out", "result", "value", "y", "res", "answer"])
        return [*lines[:-1], f"{indent}{name} = {lines[-1].strip()[7:]}", f"{indent}return {name}"]
    if style == 2 and lines[-1].strip().startswith("return "):
        indent = lines[-1][: len(lines[-1]) - len(lines[-1].lstrip())]
        return [lines[0], "    # my solution", *lines[1:-1], f"{indent}return np.asarray({lines[-1].strip()[7:]})"]
    return lines


def make_class(lesson_id: str, students: int, copies: int, seed: int = 0) -> tuple[dict[str, str], list[tuple[str, str]]]:
    lesson = get_lesson(lesson_id)
    preamble, pieces = functions((reference_dir(lesson.id) / lesson.filename).read_text())
    rng = random.Random(seed)
    submissions = {}
    for index in range(students - copies):
        body = [line for name, lines in pieces for line in ["", "", *rewrite(lines, rng.randrange(3), rng)]]
        text = preamble + "\n".join(body) + "\n"
        for helper in ("_stable", "_check", "_as_float"):
            text = text.replace(helper, f"{helper}_{rng.randrange(1000)}")
        submissions[f"student{index:04d}"] = text
    planted = []
    originals = list(submissions)
    for index in range(copies):
        source = rng.choice(originals)
        name = f"copier{index:03d}"
        submissions[name] = re.sub(r"\bx\b", "inp", re.sub(r"\balpha\b", "a", submissions[source]))
        planted.append((source, name))
    return submissions, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="activations")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    lesson = get_lesson(args.lesson)
    submissions, planted = make_class(lesson.id, args.students, args.copies)

    started = time.perf_counter()
    boilerplate = similarity.lesson_boilerplate(lesson)
    codes = [similarity.fingerprint(name, text, boilerplate) for name, text in submissions.items()]
    fingerprinted = time.perf_counter()
    pairs, all_scores = similarity.similar_pairs(codes, threshold=THRESHOLD)
    paired = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    ranked = [frozenset((pair.a, pair.b)) for pair in pairs]
    caught = sum(frozenset(pair) in ranked[: 2 * len(planted)] for pair in planted)
    table = Table(title=f"grade similarity: {len(codes)} submissions of {lesson.id}")
    for column in ("fingerprint (s)", "pair (s)", "total (s)", "pairs with a passage", f"pairs >= {THRESHOLD}", "planted copies in the top 2N", "peak memory (MB)"):
        table.add_column(column, justify="right")
    times = (f"{fingerprinted - started:.2f}", f"{paired - fingerprinted:.2f}", f"{paired - started:.2f}")
    table.add_row(*times, str(len(all_scores)), str(len(pairs)), f"{caught} / {len(planted)}", f"{peak_mb:.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
