"""A fault of the grader is never a student's zero: a hidden suite that raises, a corrupt data
set and a killed worker each give ``grader-error`` results, ``grade autograde`` exits 3 and
writes nothing into nbgrader's gradebook for them, and the next ``--course`` run grades them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import gradebook_scores, make_course, make_submission, needs_fashion

from grader.api import GradeRequest, grade
from grader.cli import main
from grader.cli.autograde import GRADER_ERROR_EXIT
from grader.core import grading
from grader.core.batch import grade_one
from grader.core.results import GradingResult
from grader.course.catalogue import get_lesson

pytest.importorskip("nbgrader", reason="needs nbgrader: pip install -e '.[instructor]'")
FAULTY_SUITE = '''
import pytest


@pytest.mark.task("tensor_sum")
def test_tensor_sum(student):
    """tensor_sum matches the reference"""
    expected = {}["a key the grader forgot"]
'''


def autograde(*args: str):
    return CliRunner().invoke(main, ["autograde", *args])


def _results(path: Path) -> list[dict]:
    return json.loads(path.read_text())


def test_a_hidden_suite_that_raises_is_a_grader_error_and_the_next_run_grades(tmp_path, monkeypatch):
    students = {"alice": make_submission(tmp_path, "tensors", name="alice"), "bob": make_submission(tmp_path, "tensors", name="bob")}
    course = make_course(tmp_path, "tensors", students)
    faulty = tmp_path / "faulty-hidden" / "tensors"
    faulty.mkdir(parents=True)
    (faulty / "test_tensors_hidden.py").write_text(FAULTY_SUITE)
    monkeypatch.setattr(grading, "hidden_dir", lambda lesson_id: faulty)

    out = tmp_path / "first.json"
    run = autograde("tensors", "--course", str(course), "--workers", "1", "--json", str(out), "--csv", str(tmp_path / "grades.csv"), "--gradescope", str(tmp_path / "gs"))
    assert run.exit_code == GRADER_ERROR_EXIT, run.output
    results = _results(out)
    assert [r["status"] for r in results] == ["grader-error", "grader-error"]
    assert all(r["score"] is None and r["tests"] == [] for r in results)
    assert "KeyError" in results[0]["message"] and "fault of the grader, not of the submission" in results[0]["message"]
    assert "2 of 2 submission(s) were not graded because the grader failed" in run.output
    assert gradebook_scores(course, "tensors") == {}, "a grader error was written into the gradebook"
    assert (tmp_path / "grades.csv").read_text().count("\n") == 1, "a grader error was exported as a score"
    assert not (tmp_path / "gs").exists()

    monkeypatch.undo()
    run = autograde("tensors", "--course", str(course), "--workers", "1", "--json", str(out))
    assert run.exit_code == 0, run.output
    assert gradebook_scores(course, "tensors") == {"alice": get_lesson("tensors").max_score, "bob": get_lesson("tensors").max_score}


def test_a_killed_worker_is_a_grader_error_and_the_next_run_grades(tmp_path):
    half = lambda source: source.replace("return c * a", "return c + a")  # noqa: E731
    students = {
        "alice": make_submission(tmp_path, "tensors", name="alice"),
        "bob": make_submission(tmp_path, "tensors", half, name="bob"),
        "carol": make_submission(tmp_path, "tensors", name="carol"),
    }
    course = make_course(tmp_path, "tensors", students)
    done = threading.Event()

    def kill_workers():
        while not done.is_set():
            for worker in multiprocessing.active_children():
                try:
                    os.kill(worker.pid, signal.SIGKILL)
                except (ProcessLookupError, TypeError):
                    pass
            done.wait(0.02)

    killer = threading.Thread(target=kill_workers, daemon=True)
    killer.start()
    out = tmp_path / "killed.json"
    try:
        run = autograde("tensors", "--course", str(course), "--workers", "2", "--json", str(out))
    finally:
        done.set()
        killer.join()
    assert run.exit_code == GRADER_ERROR_EXIT, run.output
    results = _results(out)
    assert {r["status"] for r in results} == {"grader-error"}
    assert all("worker process died" in r["message"] for r in results)
    assert gradebook_scores(course, "tensors") == {}

    run = autograde("tensors", "--course", str(course), "--workers", "2", "--json", str(out))
    assert run.exit_code == 0, run.output
    scores = gradebook_scores(course, "tensors")
    full = get_lesson("tensors").max_score
    assert scores["alice"] == scores["carol"] == full and 0 < scores["bob"] < full


@pytest.fixture
def corrupt_data_dir(data_dir, tmp_path):
    """A copy of the data directory whose Fashion-MNIST test images are cut short."""
    copy = Path(shutil.copytree(data_dir, tmp_path / "corrupt-data"))
    images = copy / "fashion_mnist" / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:-1000])
    return copy


CONSTANT_MODEL = '''
import numpy as np
FRAMEWORK = "torch"

def train(x_train, y_train, *, device, time_budget_s, seed):
    return {"label": int(np.bincount(y_train).argmax())}

def predict(model, x):
    return np.full(len(x), model["label"])
'''


@needs_fashion
def test_a_corrupt_data_set_is_found_before_grading_and_the_next_run_grades(corrupt_data_dir, data_dir, tmp_path):
    folder = tmp_path / "dave"
    folder.mkdir()
    (folder / "model.py").write_text(CONSTANT_MODEL)
    course = make_course(tmp_path, "fashion_mnist", {"dave": folder})
    expected = "data set fashion_mnist: t10k-images-idx3-ubyte.gz fails its checksum (corrupt or truncated); run `grade data import fashion_mnist PATH`"

    out = tmp_path / "corrupt.json"
    run = autograde("fashion_mnist", "--course", str(course), "--data-dir", str(corrupt_data_dir), "--device", "cpu", "--json", str(out))
    assert run.exit_code == GRADER_ERROR_EXIT, run.output
    (result,) = _results(out)
    assert result["status"] == "grader-error" and result["message"].startswith(expected)
    assert expected in run.output
    assert gradebook_scores(course, "fashion_mnist") == {}

    direct = grade(GradeRequest("fashion_mnist", folder, device="cpu", data_dir=corrupt_data_dir))
    assert direct.status == "grader-error" and direct.message.startswith(expected), "a worker finds it too"

    run = autograde("fashion_mnist", "--course", str(course), "--data-dir", str(data_dir), "--device", "cpu", "--json", str(out))
    assert run.exit_code == 0, run.output
    (result,) = _results(out)
    assert result["status"] == "graded"
    assert gradebook_scores(course, "fashion_mnist") == {"dave": result["score"]}


def test_an_exception_in_the_grading_code_is_a_grader_error(monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise MemoryError("the grader ran out of memory")

    monkeypatch.setattr(grading, "run_hidden_checks", broken)
    data = grade_one(GradeRequest("tensors", tmp_path))
    result = GradingResult.from_dict(data)
    assert result.status == "grader-error" and not result.graded
    assert "MemoryError: the grader ran out of memory" in result.message
    assert data["score"] is None and data["tests"] == []


def test_a_students_own_failures_stay_graded(tmp_path):
    crashing = tmp_path / "crashing"
    crashing.mkdir()
    (crashing / "tensors.py").write_text("import os\n\ndef tensor_sum(a, b):\n    os._exit(3)\n\ndef scalar_multiply(c, a):\n    raise MemoryError\n")
    result = grade(GradeRequest("tensors", crashing))
    assert result.status == "graded" and result.score == 0
    assert {test.status for test in result.tests} <= {"error", "failed", "timeout"}


def test_a_hidden_suite_that_cannot_run_is_a_grader_error(tmp_path, monkeypatch):
    empty = tmp_path / "empty-hidden" / "tensors"
    empty.mkdir(parents=True)
    monkeypatch.setattr(grading, "hidden_dir", lambda lesson_id: empty)
    result = grade(GradeRequest("tensors", make_submission(tmp_path, "tensors")))
    assert result.status == "grader-error"
    assert result.message.startswith("the hidden checks of tensors could not run (pytest could not run")
    assert "\n" not in result.message


def test_an_nbgrader_grade_cell_says_grader_error_instead_of_a_zero(tmp_path, monkeypatch):
    from grader.platforms import grade_cells as notebook

    monkeypatch.setattr(grading, "hidden_dir", lambda lesson_id: tmp_path / "nowhere")
    monkeypatch.setattr(notebook, "_RESULTS", {})
    with pytest.raises(notebook.GraderError, match="not graded: the grader failed"):
        notebook.task_score("tensors", "tensor_sum", make_submission(tmp_path, "tensors"))


def test_a_submission_that_kills_its_worker_costs_the_others_nothing(tmp_path):
    from dying_grader import grade_or_die

    from grader.core.batch import _grade_on_pool

    folders = [make_submission(tmp_path, "tensors", name=name) for name in ("first", "die-here", "second", "third")]
    jobs = [GradeRequest("tensors", folder) for folder in folders]
    results: dict[int, dict] = {}
    _grade_on_pool(jobs, 2, lambda index, data: results.__setitem__(index, data), grade=grade_or_die)
    assert sorted(results) == [0, 1, 2, 3]
    assert [results[i]["status"] for i in range(4)] == ["graded", "grader-error", "graded", "graded"]
    assert all(results[i]["score"] == results[i]["max_score"] for i in (0, 2, 3))
    assert "worker process died" in results[1]["message"]


def test_a_wrong_value_that_trips_a_hidden_check_is_the_students_failure(tmp_path):
    source = (make_submission(tmp_path, "tensors", name="ref") / "tensors.py").read_text()
    folder = make_submission(tmp_path, "tensors", lambda text: text + '\n\ndef and_neuron():\n    return np.array([1.0, 1.0]), "oops"\n', name="oops")
    assert source != (folder / "tensors.py").read_text()
    result = grade(GradeRequest("tensors", folder))
    assert result.status == "graded"
    lost = {task for task, (score, most) in result.task_scores().items() if score < most}
    assert lost == {"and_neuron"}
