"""Benchmark: the grading service, from `grade submit --server` to the printed result, and at saturation.

Starts `grade serve` on loopback (a Dask worker per core, SQLite), then:
1. latency: `grade submit tensors --server URL` of a correct submission, one client on an idle
   service, N times: median and 95th percentile (goal: median under 1 s, p95 under 2 s);
2. saturation: M tensors submissions (correct, stubs, typical bugs) uploaded at once, the time
   until all are graded, against `grade autograde` of the same M folders (goal: at least 90%).

Usage: python benchmarks/bench_service.py [--latency N] [--saturation M]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from service_fixtures import BIN, Served, tar_of, upload, wait_graded  # noqa: E402

from grader.authoring.mutants import course_mutants  # noqa: E402
from grader.course.catalogue import LESSONS  # noqa: E402
from grader.course.paths import assignment_dir, course_root  # noqa: E402
from grader.course.references import reference_file  # noqa: E402


def submissions(root: Path, count: int) -> list[Path]:
    """``count`` tensors folders: the reference, the stubs and mutants, in turn."""
    source = reference_file("tensors", "tensors").read_text()
    variants = [source, (assignment_dir("tensors") / "tensors.py").read_text()]
    mutants = course_mutants(course_root() / "reference", LESSONS.values())
    variants += [source.replace(m.old, m.new) for m in mutants if m.lesson == "tensors"]
    folders = []
    for index in range(count):
        folder = root / f"s{index:03d}" / "tensors"
        folder.mkdir(parents=True)
        (folder / "tensors.py").write_text(variants[index % len(variants)])
        folders.append(folder)
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, default=20, help="`grade submit --server` runs for the latency")
    parser.add_argument("--saturation", type=int, default=120, help="submissions uploaded at once")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-service-") as scratch:
        root = Path(scratch)
        served = Served(root, str(root / "grader.db"), workers=os.cpu_count() or 1)
        names = [f"b{i:03d}" for i in range(options.saturation)]
        tokens = served.accounts("latency", *names)
        served.start()
        try:
            folder = submissions(root / "one", 1)[0]
            latencies = []
            for _ in range(options.latency):
                started = time.perf_counter()
                subprocess.run([str(BIN / "grade"), "submit", "tensors", str(folder), "--server", served.url, "--token", tokens["latency"]], check=True, capture_output=True)
                latencies.append(time.perf_counter() - started)
            folders = submissions(root / "many", options.saturation)
            archives = [tar_of({"tensors.py": (f / "tensors.py").read_bytes()}) for f in folders]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=50) as pool:
                receipts = list(pool.map(lambda item: upload(served, tokens[item[0]], "tensors", item[1])[1], zip(names, archives)))
            for name, receipt in zip(names, receipts):
                wait_graded(served, tokens[name], receipt["id"], timeout_s=1800)
            service_s = time.perf_counter() - started
        finally:
            served.stop()
        started = time.perf_counter()
        subprocess.run([str(BIN / "grade"), "autograde", "tensors", *map(str, folders), "--json", str(root / "batch.json")], check=True, capture_output=True)
        batch_s = time.perf_counter() - started
        shutil.rmtree(root / "many", ignore_errors=True)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    table = Table(title=f"Grading service on {served.workers} core(s)")
    for column in ("measure", "value"):
        table.add_column(column)
    table.add_row(f"grade submit --server, median of {len(latencies)}", f"{statistics.median(latencies):.2f} s")
    table.add_row("grade submit --server, 95th percentile", f"{p95:.2f} s")
    table.add_row(f"service: {options.saturation} submissions at once", f"{service_s:.1f} s = {60 * options.saturation / service_s:.1f} / min")
    table.add_row("grade autograde of the same", f"{batch_s:.1f} s = {60 * options.saturation / batch_s:.1f} / min")
    table.add_row("service throughput / batch throughput", f"{batch_s / service_s:.0%}")
    Console().print(table)


if __name__ == "__main__":
    main()
