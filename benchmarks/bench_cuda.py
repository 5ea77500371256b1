"""Benchmark and check of the model lessons' GPU path, for a machine with an NVIDIA GPU.

Grades each model lesson's reference, in each framework, with
``grade autograde LESSON FOLDER --device cuda`` (the sandbox, the CUDA probe in the child,
``/dev/nvidia*`` in bubblewrap, the GPU budgets), then runs the model-lesson tests on the GPU
(``pytest tests/test_models.py -k cuda``) while the time allows. Prints, per lesson and
framework: the score, the test accuracy against the target, the training time against the GPU
budget, and the sandbox's overhead (the command's wall time beyond training: start-up, the
sandbox, the data sent to the child, predict). Stays under ``--limit`` seconds (default 570).

Keras needs TensorFlow's GPU build (``pip install 'tensorflow[and-cuda]==2.21.*'``);
with ``tensorflow-cpu`` its rows say so and are skipped.

Usage: python benchmarks/bench_cuda.py [--data-dir DIR] [--limit S]
Exit status: 0 when every graded row earned full marks and the tests passed, 1 otherwise,
2 when this machine has no CUDA GPU that PyTorch sees.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader.course.catalogue import get_lesson
from grader.data.store import import_files, load_manifest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
SHARED_FOLDERS = {"fashion_mnist": "fashion-mnist/raw", "imdb": "imdb/raw"}
REFERENCES = {"torch": "model.py", "keras": "model_keras.py"}
#: Seconds a grading takes beyond its GPU budget (start-up, data, predict), for the time plan.
OVERHEAD_ALLOWANCE_S = 40


def probe() -> dict:
    """What this machine offers: the GPU's name (nvidia-smi), PyTorch's and TensorFlow's view."""
    found = {"gpu": None, "torch": False, "keras": False}
    if shutil.which("nvidia-smi"):
        done = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"], capture_output=True, text=True)
        found["gpu"] = done.stdout.strip() or done.stderr.strip()
    try:
        import torch

        found["torch"] = torch.cuda.is_available()
    except ImportError:
        pass
    check = subprocess.run([sys.executable, "-c", "import tensorflow as tf; print(len(tf.config.list_physical_devices('GPU')))"], capture_output=True, text=True)
    found["keras"] = check.returncode == 0 and check.stdout.strip() not in ("", "0")
    return found


def data_directory(given: Path | None, scratch: Path) -> Path:
    """``given``, or the shared copies of both data sets imported into ``scratch``."""
    if given is not None:
        return given
    for lesson, folder in SHARED_FOLDERS.items():
        import_files(load_manifest(lesson), SHARED / folder, scratch)
    return scratch


def grade_reference(lesson: str, framework: str, data_dir: Path, scratch: Path, device: str = "cuda") -> dict:
    """``grade autograde`` of the reference on ``device``: the result's details, the score, the wall time."""
    folder = scratch / f"{lesson}-{framework}"
    folder.mkdir()
    shutil.copy2(REPO / "reference" / lesson / REFERENCES[framework], folder / "model.py")
    output = scratch / f"{lesson}-{framework}.json"
    command = [sys.executable, "-m", "grader", "autograde", lesson, str(folder), "--device", device, "--data-dir", str(data_dir), "--json", str(output)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    if not output.is_file():
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"], "wall": wall}
    (result,) = json.loads(output.read_text())
    messages = [test["message"] for test in result.get("tests", []) if test["status"] != "passed"]
    scores = {"score": result.get("score"), "max_score": result.get("max_score"), "status": result["status"], "message": result.get("message", "")}
    return {**result.get("details", {}), **scores, "wall": wall, "problems": messages}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--limit", type=float, default=570.0, help="seconds for the whole run (default 570)")
    parser.add_argument("--device", default="cuda", help="cpu: a dry run of this script's own steps on a machine without a GPU (CPU budgets)")
    parser.add_argument("--only", help="LESSON-FRAMEWORK: grade this one alone (such as imdb-torch)")
    options = parser.parse_args()
    began = time.perf_counter()
    out = Console(width=140)
    machine = probe()
    out.print(f"GPU: {machine['gpu'] or 'none (no nvidia-smi)'}; PyTorch sees CUDA: {machine['torch']}; TensorFlow sees a GPU: {machine['keras']}")
    if options.device == "cpu":
        machine.update(torch=True, keras=True)
    if not machine["torch"]:
        out.print("no CUDA GPU that PyTorch sees: nothing to run here")
        return 2
    table = Table("lesson", "framework", "score", "test accuracy (target)", "train s (budget)", "command wall s", "sandbox overhead s", title=f"Model lessons on {options.device}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-cuda-") as scratch_name:
        scratch = Path(scratch_name)
        data_dir = data_directory(options.data_dir, scratch / "data")
        for lesson_id in ("fashion_mnist", "imdb"):
            lesson = get_lesson(lesson_id)
            for framework in REFERENCES:
                budget = lesson.budget_s(framework, options.device)
                if options.only and options.only != f"{lesson_id}-{framework}":
                    continue
                if not machine[framework]:
                    table.add_row(lesson_id, framework, "skipped", "TensorFlow's GPU build is not installed", f"({budget:g})", "", "")
                    continue
                if time.perf_counter() - began + budget + OVERHEAD_ALLOWANCE_S > options.limit:
                    table.add_row(lesson_id, framework, "skipped", f"no time left under --limit {options.limit:g} s", f"({budget:g})", "", "")
                    continue
                row = grade_reference(lesson_id, framework, data_dir, scratch, options.device)
                if "error" in row or row.get("status") != "graded":
                    ok = False
                    table.add_row(lesson_id, framework, "ERROR", " ".join(row.get("error") or [row.get("message", "")])[:120], f"({budget:g})", f"{row['wall']:.1f}", "")
                    continue
                full = row["score"] == row["max_score"]
                ok &= full
                train = row.get("train_seconds") or 0.0
                overhead = row["wall"] - (row.get("wall_seconds") or train)
                table.add_row(
                    lesson_id, framework, f"{row['score']:g} / {row['max_score']:g}" + ("" if full else " (" + "; ".join(row["problems"])[:80] + ")"),
                    f"{row.get('accuracy', 0):.4f} ({lesson.model.target:.2f})", f"{train:.1f} ({row.get('budget_s', budget):g})", f"{row['wall']:.1f}", f"{overhead:.1f}",
                )  # fmt: skip
        out.print(table)
    if options.device != "cuda":
        return 0 if ok else 1
    left = options.limit - (time.perf_counter() - began)
    needed = sum(get_lesson(lesson).budget_s(framework, "cuda") + OVERHEAD_ALLOWANCE_S for lesson in SHARED_FOLDERS for framework in REFERENCES if machine[framework])
    if left < needed:
        out.print(f"tests/test_models.py -k cuda: not run ({left:.0f} s left under --limit, about {needed:.0f} s needed); run it on its own")
        return 0 if ok else 1
    try:
        command = [sys.executable, "-m", "pytest", "-q", "-rs", "tests/test_models.py", "-k", "cuda", "-p", "no:cacheprovider"]
        code = subprocess.run(command, cwd=REPO, timeout=max(60, left)).returncode
    except subprocess.TimeoutExpired:
        code = 124
    out.print(f"tests/test_models.py -k cuda: exit {code} after {time.perf_counter() - began:.0f} s in all")
    return 0 if ok and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
