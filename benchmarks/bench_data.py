"""Benchmark: loading the model lessons' data sets from a verified data directory.

Imports the shared copies (`../shared/datasets`, or `--source`) into a temporary data
directory, then prints the median wall time of each loader (targets: Fashion-MNIST under 1 s,
IMDB under 10 s on this 2-core machine).

Usage: python benchmarks/bench_data.py [--repeat N] [--source DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from grader.data.loaders import load_dataset
from grader.data.store import import_files, load_manifest

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "datasets")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        import_files(load_manifest("fashion_mnist"), options.source / "fashion-mnist" / "raw", Path(root))
        import_files(load_manifest("imdb"), options.source / "imdb" / "raw", Path(root))
        for name, loader in (("fashion_mnist", lambda root: load_dataset("fashion_mnist", root)), ("imdb", lambda root: load_dataset("imdb", root))):
            times = []
            for _ in range(options.repeat):
                started = time.perf_counter()
                loader(root)
                times.append(time.perf_counter() - started)
            print(f"load {name}: median {statistics.median(times):.2f} s over {options.repeat} runs (checksums verified on every load)")


if __name__ == "__main__":
    main()
