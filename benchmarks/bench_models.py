"""Benchmark: train a model lesson's ``model.py`` under its budget and print test accuracy.

Runs the file in this process (no sandbox: the figures are the model's own), with the data
from a verified data directory (``--data-dir``, default: the shared copies imported into a
temporary one). Prints the load time, the training time against the budget and the test
accuracy. The grader's own full grading, in its sandbox, is ``grade autograde LESSON PATH``.

Usage: python benchmarks/bench_models.py LESSON MODEL_FILE [--budget S] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.data.store import import_files, load_manifest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
SOURCES = {"fashion_mnist": ["fashion-mnist/raw"], "imdb": ["imdb/raw"]}


def load(lesson: str, data_dir: Path):
    """The lesson's four splits from ``data_dir``."""
    from grader.data import loaders

    return loaders.load_dataset(lesson, data_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lesson", choices=sorted(SOURCES))
    parser.add_argument("model_file", type=Path)
    parser.add_argument("--budget", type=float, help="seconds (default: the lesson's budget for the file's framework and device)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = options.data_dir
        if data_dir is None:
            data_dir = Path(scratch)
            for folder in SOURCES[options.lesson]:
                import_files(load_manifest(options.lesson), SHARED / folder, data_dir)
        started = time.perf_counter()
        x_train, y_train, x_test, y_test = load(options.lesson, data_dir)
        load_s = time.perf_counter() - started
    spec = importlib.util.spec_from_file_location("bench_model", options.model_file)
    model_module = importlib.util.module_from_spec(spec)
    started = time.perf_counter()
    spec.loader.exec_module(model_module)
    import_s = time.perf_counter() - started
    budget = options.budget
    if budget is None:
        from grader.course.catalogue import get_lesson

        budget = get_lesson(options.lesson).budget_s(model_module.FRAMEWORK, options.device)
    started = time.perf_counter()
    model = model_module.train(x_train, y_train, device=options.device, time_budget_s=budget, seed=options.seed)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    predicted = np.asarray(model_module.predict(model, x_test))
    predict_s = time.perf_counter() - started
    accuracy = float(np.mean(predicted == y_test))
    print(
        f"{options.lesson} {options.model_file} ({model_module.FRAMEWORK}, {options.device}): "
        f"load {load_s:.2f} s, import {import_s:.2f} s, train {train_s:.1f} s of {budget:g} s, "
        f"predict {predict_s:.1f} s, test accuracy {accuracy:.4f}"
    )


if __name__ == "__main__":
    main()
