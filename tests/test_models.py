"""The model lessons: catalogue, label checks, feedback, and full-size gradings on real data.

The full-size gradings train the references (PyTorch and Keras) and the released baselines on
the whole training split under the real budgets, in the sandbox, and score the real test
split: they take minutes and need the data sets in ../shared/datasets (see README).
The broken submissions use models written in numpy, so they run in seconds on the same data.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import REPO, needs_fashion, needs_imdb

from grader.api import GradeRequest, check, grade
from grader.authoring.distribution import build_student_distribution
from grader.authoring.release import lesson_files
from grader.checks import CheckFailed
from grader.cli import main
from grader.core.model_lessons import accuracy, confusion_matrix, validate_labels
from grader.core.results import GradingResult, TestResult
from grader.course.catalogue import FRAMEWORKS, LESSONS, ModelSpec, get_lesson
from grader.course.paths import reference_dir
from grader.reports.feedback import html_report, write_feedback

MODEL_LESSONS = ["fashion_mnist", "imdb"]
NEEDS = {"fashion_mnist": needs_fashion, "imdb": needs_imdb}
#: COURSE.md: "the target at least 0.90 for Fashion-MNIST and 0.87 for IMDB".
CONTRACT_TARGETS = {"fashion_mnist": 0.90, "imdb": 0.87}


# -- the catalogue ---------------------------------------------------------------------------
@pytest.mark.parametrize("lesson_id", MODEL_LESSONS)
def test_tiers_rise_from_baseline_to_a_target_the_contract_allows(lesson_id):
    lesson = get_lesson(lesson_id)
    spec = lesson.model
    thresholds = [threshold for threshold, _ in spec.tiers]
    assert thresholds == sorted(set(thresholds))
    assert spec.target >= CONTRACT_TARGETS[lesson_id]
    assert lesson.module == "model" and set(lesson.tasks) == {"train", "predict"}
    assert spec.baseline < thresholds[0], "the released baseline earns nothing"
    assert sum(points for _, points in spec.tiers) == lesson.max_score == lesson.tasks["train"], "the target earns full marks"
    assert lesson.tasks["predict"] == 0, "valid labels are a condition, not points"
    for framework in FRAMEWORKS:
        assert spec.budget_s(framework, "cuda") <= spec.budget_s(framework, "cpu")


def test_an_unknown_framework_has_no_budget():
    with pytest.raises(ValueError, match="no training budget"):
        get_lesson("imdb").budget_s("jax", "cpu")
    with pytest.raises(ValueError, match="trains no model"):
        get_lesson("losses").budget_s("torch", "cpu")


# -- labels, accuracy, confusion matrix ------------------------------------------------------
def test_labels_as_ints_or_integral_floats_are_accepted():
    assert validate_labels([0, 2, 1], 3, 3).dtype == np.int64
    assert list(validate_labels(np.array([1.0, 0.0]), 2, 2)) == [1, 0]


@pytest.mark.parametrize(
    "predicted, expected",
    [
        (np.full((4, 3), 1 / 3), "argmax"),
        (np.zeros(5, dtype=np.int64), r"shape \(4,\)"),
        (np.array([0, 1, 2, 3]), "in 0..2"),
        (np.array([-1, 0, 0, 0]), "in 0..2"),
        (np.array([0.5, 1, 2, 0]), r"shape \(4,\) and dtype float64; expected one integer label per example"),
        (["a", "b", "c", "d"], r"dtype <U1; expected one integer label per example: shape \(4,\), an integer dtype, values 0..2"),
    ],
    ids=["probabilities", "wrong-length", "too-large", "negative", "fractional", "strings"],
)
def test_bad_labels_are_named(predicted, expected):
    with pytest.raises(CheckFailed, match=expected):
        validate_labels(predicted, 4, 3)


def test_accuracy_and_confusion_matrix():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    assert accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    assert confusion_matrix(y_true, y_pred, 3).tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


# -- release ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson_id", MODEL_LESSONS)
def test_stubs_are_the_baselines_and_no_reference_is_released(lesson_id):
    files = lesson_files(get_lesson(lesson_id))
    source = reference_dir(lesson_id)
    assert files["model.py"] == (source / "baseline.py").read_text()
    assert files["model_keras.py"] == (source / "baseline_keras.py").read_text()
    assert (source / "model.py").read_text() not in files.values()
    assert set(files) == {"model.py", "model_keras.py", "test_model.py", "README.md", "pytest.ini", "lesson.toml"}
    for name, content in files.items():
        assert (REPO / "assignments" / lesson_id / name).read_text() == content


def test_student_distribution_carries_the_data_layer_and_manifests(tmp_path):
    archive = build_student_distribution(tmp_path)
    import zipfile

    names = set(zipfile.ZipFile(archive).namelist())
    package = "nn-grader-student/grader/"
    for needed in ("smoke.py", "kit/smoke.py", "core/model_lessons.py", "data/store.py", "data/loaders.py", "_course/datasets/fashion_mnist.json", "_course/datasets/imdb.json"):
        assert package + needed in names
    for lesson in LESSONS.values():
        if lesson.is_model:
            assert {f"{package}_course/assignments/{lesson.id}/{name}" for name in lesson_files(lesson)} <= names, lesson.id
            assert not any(name.endswith(f"/test_{lesson.id}_hidden.py") or f"/reference/{lesson.id}/" in name for name in names), lesson.id


# -- feedback --------------------------------------------------------------------------------
def _model_result(history=None) -> GradingResult:
    details = {
        "framework": "torch", "device": "cpu", "budget_s": 60.0, "train_seconds": 12.5, "accuracy": 0.75,
        "classes": ["negative", "positive"], "confusion_matrix": [[30, 10], [15, 45]],
    }  # fmt: skip
    if history:
        details["history"] = history
    tests = [TestResult("train returns a model within its time budget", "train", 1.0, 1.0, "passed")]
    return GradingResult("imdb", "sub", "alice", tests, details)


def test_feedback_shows_accuracy_confusion_matrix_and_training_curves(tmp_path):
    result = _model_result({"loss": [0.7, 0.5, 0.4], "accuracy": [0.6, 0.7, 0.8]})
    (target,) = write_feedback([result], tmp_path)
    page = (target / "feedback.html").read_text()
    assert "0.7500" in page and "Confusion matrix" in page and "0.750</td>" in page  # positive's recall: 45 / 60
    assert "training_curves.png" in page and "<svg" in page
    png = (target / "training_curves.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert json.loads((target / "result.json").read_text())["details"]["accuracy"] == 0.75


def test_feedback_without_history_has_no_curves(tmp_path):
    (target,) = write_feedback([_model_result()], tmp_path)
    assert not (target / "training_curves.png").exists()
    assert "Training curves" not in (target / "feedback.html").read_text()
    assert "details" not in GradingResult("tensors", "s").to_dict()


def test_details_survive_the_json_round_trip():
    result = _model_result({"loss": [1.0]})
    assert GradingResult.from_dict(json.loads(json.dumps(result.to_dict()))).details == result.details
    assert html.escape("negative") in html_report(result)


# -- full-size grading on the real data ------------------------------------------------------
def _folder(tmp_path: Path, lesson_id: str, source_file: str) -> Path:
    folder = tmp_path / f"{lesson_id}-{Path(source_file).stem}"
    folder.mkdir()
    shutil.copyfile(reference_dir(lesson_id) / source_file, folder / "model.py")
    return folder


def _summary(result) -> str:
    return json.dumps({k: v for k, v in result.details.items() if k not in ("confusion_matrix", "history")}) + " " + "; ".join(
        f"{t.name}: {t.status} {t.message}" for t in result.tests
    )


#: Each model lesson's reference in each framework.
REFERENCES = [
    pytest.param("fashion_mnist", "model.py", marks=needs_fashion, id="fashion_mnist-torch"),
    pytest.param("fashion_mnist", "model_keras.py", marks=needs_fashion, id="fashion_mnist-keras"),
    pytest.param("imdb", "model.py", marks=needs_imdb, id="imdb-torch"),
    pytest.param("imdb", "model_keras.py", marks=needs_imdb, id="imdb-keras"),
]


@pytest.mark.parametrize("lesson_id, source_file", REFERENCES)
def test_reference_earns_full_marks_on_cpu(lesson_id, source_file, data_dir, tmp_path):
    _reference_earns_full_marks(lesson_id, source_file, "cpu", data_dir, tmp_path)


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.mark.skipif(not _cuda_available(), reason="needs an NVIDIA GPU that PyTorch sees (torch.cuda.is_available() is False here); benchmarks/bench_cuda.py runs it on one")
@pytest.mark.parametrize("lesson_id, source_file", REFERENCES)
def test_reference_earns_full_marks_on_cuda(lesson_id, source_file, data_dir, tmp_path):
    if "keras" in source_file:
        import tensorflow as tf

        if not tf.config.list_physical_devices("GPU"):
            pytest.skip("needs TensorFlow's GPU build seeing the GPU (tensorflow-cpu is installed here: pip install 'tensorflow[and-cuda]==2.21.*')")
    result = _reference_earns_full_marks(lesson_id, source_file, "cuda", data_dir, tmp_path)
    assert result.details["device"] == "cuda"


def _reference_earns_full_marks(lesson_id, source_file, device, data_dir, tmp_path):
    result = grade(GradeRequest(lesson_id, _folder(tmp_path, lesson_id, source_file), device=device, data_dir=data_dir))
    assert result.score == result.max_score == 10.0, _summary(result)
    assert result.details["framework"] == ("keras" if "keras" in source_file else "torch")
    assert result.details["accuracy"] >= get_lesson(lesson_id).model.target
    assert result.details["train_seconds"] <= result.details["budget_s"]
    assert result.details["history"], "the references keep their training curves"
    return result


@pytest.mark.parametrize(
    "lesson_id, source_file",
    [
        pytest.param("fashion_mnist", "baseline.py", marks=needs_fashion, id="fashion_mnist-torch"),
        pytest.param("fashion_mnist", "baseline_keras.py", marks=needs_fashion, id="fashion_mnist-keras"),
        pytest.param("imdb", "baseline.py", marks=needs_imdb, id="imdb-torch"),
        pytest.param("imdb", "baseline_keras.py", marks=needs_imdb, id="imdb-keras"),
    ],
)
def test_released_baseline_runs_and_earns_nothing(lesson_id, source_file, data_dir, tmp_path):
    spec = get_lesson(lesson_id).model
    result = grade(GradeRequest(lesson_id, _folder(tmp_path, lesson_id, source_file), device="cpu", data_dir=data_dir))
    conditions = [t for t in result.tests if t.max_score == 0]
    assert [t.status for t in conditions] == ["passed", "passed"], _summary(result)
    assert spec.baseline - 0.02 <= result.details["accuracy"] < spec.tiers[0][0], _summary(result)
    assert all(t.status == "failed" for t in result.tests if t.name.startswith("test accuracy")), _summary(result)
    assert result.score == 0.0


# -- broken and dishonest submissions (numpy models on the real Fashion-MNIST) ---------------
CONSTANT_MODEL = '''
import numpy as np
FRAMEWORK = "torch"

def train(x_train, y_train, *, device, time_budget_s, seed):
    return {"label": int(np.bincount(y_train).argmax())}

def predict(model, x):
    {predict}
'''


def _numpy_model(tmp_path, predict="return np.full(len(x), model['label'])", train=None, name="numpy") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    source = CONSTANT_MODEL.replace("{predict}", predict)
    if train is not None:
        source = source.replace('    return {"label": int(np.bincount(y_train).argmax())}', train)
    (folder / "model.py").write_text(source)
    return folder


def _by_task(result) -> dict:
    return {task: score for task, (score, _) in result.task_scores().items()}


@needs_fashion
def test_a_constant_model_gets_the_interface_points_only(data_dir, tmp_path):
    result = grade(GradeRequest("fashion_mnist", _numpy_model(tmp_path), device="cpu", data_dir=data_dir))
    assert result.details["accuracy"] == pytest.approx(0.1)
    assert _by_task(result) == {"train": 0.0, "predict": 0.0}
    assert all(t.status == "passed" for t in result.tests if t.max_score == 0), "it trains within budget and gives valid labels"
    assert "test accuracy 0.1000 is below 0.88" in " ".join(t.message for t in result.tests)


@needs_fashion
@pytest.mark.parametrize(
    "predict, message",
    [
        ("return np.full((len(x), 10), 0.1)", r"returned an array of shape \(10000, 10\) and dtype float64; expected .*shape \(10000,\).*argmax"),
        ("return np.zeros(5, dtype=int)", r"returned an array of shape \(5,\) and dtype int64; expected one integer label per example: shape \(10000,\)"),
        ("return np.full(len(x), 10)", "in 0..9"),
        ("raise RuntimeError('boom')", "RuntimeError: boom"),
    ],
    ids=["probabilities", "wrong-shape", "out-of-range", "raises"],
)
def test_bad_predictions_lose_predict_and_accuracy_with_a_clear_message(predict, message, data_dir, tmp_path):
    result = grade(GradeRequest("fashion_mnist", _numpy_model(tmp_path, predict), device="cpu", data_dir=data_dir))
    assert _by_task(result) == {"train": 0.0, "predict": 0.0}, _summary(result)
    predict_check = next(t for t in result.tests if t.task == "predict")
    assert predict_check.status in ("failed", "error")
    import re

    assert re.search(message, predict_check.message), predict_check.message
    assert all("predict failed" in t.message for t in result.tests if t.name.startswith("test accuracy"))


@needs_fashion
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="hiding the data directory needs root (namespaces or bubblewrap)")
@pytest.mark.parametrize("sandbox_mode", ["auto", "no-bwrap"])
def test_reading_the_test_labels_from_disk_fails(sandbox_mode, data_dir, tmp_path, monkeypatch, request):
    from grader.runner import sandbox

    monkeypatch.setenv("GRADER_SANDBOX", sandbox_mode)
    sandbox.detect.cache_clear()
    request.addfinalizer(sandbox.detect.cache_clear)
    monkeypatch.setattr(sandbox, "_ADOPTED", [])
    labels = data_dir / "fashion_mnist" / "t10k-labels-idx1-ubyte.gz"
    assert labels.is_file()
    cheat = (
        f"import gzip\n    with gzip.open({str(labels)!r}) as handle:\n        return np.frombuffer(handle.read(), np.uint8, offset=8)"
    )
    result = grade(GradeRequest("fashion_mnist", _numpy_model(tmp_path, cheat), device="cpu", data_dir=data_dir))
    assert result.details["accuracy"] is None, "the child read the test labels"
    predict_check = next(t for t in result.tests if t.task == "predict")
    assert predict_check.status == "error" and ("No such file" in predict_check.message or "Permission" in predict_check.message)
    assert result.score == 0.0


@needs_fashion
def test_train_past_its_budget_is_stopped_and_graded_timeout(data_dir, tmp_path, monkeypatch):
    spec = dataclasses.replace(LESSONS["fashion_mnist"].model, budgets_s={"torch": {"cpu": 2.0}, "keras": {"cpu": 2.0}})
    monkeypatch.setitem(LESSONS, "fashion_mnist", dataclasses.replace(LESSONS["fashion_mnist"], model=spec))
    monkeypatch.setattr(ModelSpec, "GRACE_S", 1.0)
    slow = "    import time\n    time.sleep(3600)"
    result = grade(GradeRequest("fashion_mnist", _numpy_model(tmp_path, train=slow), device="cpu", data_dir=data_dir))
    train_check = next(t for t in result.tests if t.name.startswith("train returns"))
    assert train_check.status == "timeout" and "its budget is 2 s" in train_check.message
    assert result.score == 0.0


@needs_fashion
@pytest.mark.parametrize(
    "source, message",
    [
        ("def train(x, y, **k): return 1\ndef predict(m, x): return x\n", "must set FRAMEWORK"),
        ("FRAMEWORK = 'jax'\n", "FRAMEWORK must be 'torch' or 'keras'"),
        ("FRAMEWORK = 'torch'\ndef predict(m, x): return x\n", "defines no function 'train'"),
        ("FRAMEWORK = 'torch'\ndef train(x, y, **k): return None\n", "train returned None"),
        ("FRAMEWORK = 'torch'\ndef train(x_train, y_train):\n    return 1\n", "unexpected keyword argument"),
        ("FRAMEWORK = 'torch'\ndef train(:\n", "syntax"),
    ],
    ids=["no-framework", "unknown-framework", "no-train", "returns-none", "wrong-signature", "syntax-error"],
)
def test_a_broken_model_file_gets_zero_with_its_reason(source, message, data_dir, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "model.py").write_text(source)
    result = grade(GradeRequest("fashion_mnist", folder, device="cpu", data_dir=data_dir))
    assert result.score == 0.0
    train_check = next(t for t in result.tests if t.name.startswith("train returns"))
    assert message.lower() in train_check.message.lower(), train_check.message


@needs_fashion
def test_cuda_asked_for_on_a_machine_without_one_is_an_error(data_dir, tmp_path):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    result = grade(GradeRequest("fashion_mnist", _numpy_model(tmp_path), device="cuda", data_dir=data_dir))
    assert "sees no CUDA GPU" in result.tests[0].message and result.score == 0.0


# -- the command line ------------------------------------------------------------------------
def test_autograde_without_the_data_set_says_how_to_get_it(tmp_path):
    output = tmp_path / "results.json"
    run = CliRunner().invoke(main, ["autograde", "fashion_mnist", str(REPO / "assignments" / "fashion_mnist"), "--data-dir", str(tmp_path), "--json", str(output)])
    assert run.exit_code == 3, run.output
    assert "data set fashion_mnist:" in run.output and "is missing from" in run.output and "grade data fetch fashion_mnist" in run.output
    (result,) = json.loads(output.read_text())
    assert result["status"] == "grader-error" and "grade data fetch fashion_mnist" in result["message"]


@needs_imdb
def test_autograde_cli_writes_model_feedback(data_dir, tmp_path):
    out = tmp_path / "feedback"
    run = CliRunner().invoke(
        main, ["autograde", "imdb", str(REPO / "assignments" / "imdb"), "--data-dir", str(data_dir), "--device", "cpu", "--feedback", str(out), "--json", "-"]
    )
    assert run.exit_code == 0, run.output
    (result,) = json.loads(run.output[run.output.index("[") :])
    assert result["score"] == 0.0 and result["details"]["framework"] == "torch", "the released baseline earns nothing"
    page = next(out.rglob("feedback.html")).read_text()
    assert "Confusion matrix" in page and next(out.rglob("training_curves.png")).stat().st_size > 5000


@pytest.mark.parametrize("lesson_id", [pytest.param(lesson, marks=NEEDS[lesson]) for lesson in MODEL_LESSONS])
def test_smoke_check_runs_the_baseline_quickly_and_reports_accuracy(lesson_id, data_dir, monkeypatch):
    monkeypatch.setenv("GRADER_DATA_DIR", str(data_dir))
    result = check(lesson_id, REPO / "assignments" / lesson_id)
    assert [t.status for t in result.tests] == ["passed"] * 3, [t.message for t in result.tests]
    assert "held-out accuracy" in result.tests[-1].message


def test_smoke_check_without_data_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path))
    result = check("imdb", REPO / "assignments" / "imdb")
    smoke = [t for t in result.tests if "smoke" in t.name]
    assert smoke and all(t.status == "error" for t in smoke)
    assert "grade data fetch imdb" in smoke[0].message


# -- the GPU path, as far as a machine without one can check it ------------------------------
def test_a_gpu_child_gets_the_nvidia_devices_and_no_address_space_limit(monkeypatch, tmp_path):
    from grader.core.model_lessons import child_limits
    from grader.runner import proxy, sandbox

    monkeypatch.setattr(sandbox, "detect", lambda: sandbox.Protections(root=True, bubblewrap=True, namespaces=True))
    monkeypatch.setattr(sandbox, "gpu_devices", lambda: ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"])
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: f"/usr/bin/{name}")
    gpu, cpu = child_limits(gpu=True), child_limits(gpu=False)
    assert gpu.memory_bytes is None and cpu.memory_bytes is not None
    command = sandbox.child_command(tmp_path / "child.py", tmp_path, (3, 4), ["model"], gpu, None)
    for device in ("/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"):
        position = command.index(device)
        assert command[position - 1] == "--dev-bind" and command[position + 1] == device
    assert "/dev/nvidia0" not in sandbox.child_command(tmp_path / "child.py", tmp_path, (3, 4), ["model"], cpu, None)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert proxy._scrubbed_environment("/h", gpu)["CUDA_VISIBLE_DEVICES"] == "1"
    assert proxy._scrubbed_environment("/h", cpu)["CUDA_VISIBLE_DEVICES"] == ""
    assert proxy._scrubbed_environment("/h", cpu)["OMP_NUM_THREADS"] == str(cpu.threads)
