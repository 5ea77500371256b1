"""What a result means for a person, in every sink: a problem that stopped the whole submission
said once, tasks not started folded into one line, wrong tasks first with their most useful
message, numbers rounded for people, Gradescope one test per task adding up exactly, and a
submission found inside a folder or an archive."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile

import pytest
from conftest import make_submission

from grader.api import GradeRequest, grade
from grader.core.results import GradingResult, TestResult
from grader.course.catalogue import LESSONS
from grader.course.paths import assignment_dir
from grader.reports.exports import csv_text, gradescope_results
from grader.reports.feedback import html_report
from grader.reports.reading import apportioned, points, points_of, read_result

LESSON = "activations"
FILE = f"{LESSON}.py"


def stub_source() -> str:
    return (assignment_dir(LESSON) / FILE).read_text()


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    """The stub with sigmoid, relu and relu_grad written, sigmoid overflowing and relu_grad
    returning float64: two real bugs among 37 tasks not started."""
    folder = tmp_path_factory.mktemp("partial")
    source = stub_source()
    source = source.replace('raise NotImplementedError("sigmoid: your code here")', "return 1.0 / (1.0 + np.exp(-x))", 1)
    source = source.replace('raise NotImplementedError("relu: your code here")', "return np.maximum(x, 0)", 1)
    source = source.replace('raise NotImplementedError("relu_grad: your code here")', "return (x > 0).astype(np.float64)", 1)
    (folder / FILE).write_text(source)
    return grade(GradeRequest(LESSON, folder))


@pytest.fixture(scope="module")
def syntax_error(tmp_path_factory):
    folder = tmp_path_factory.mktemp("syntax")
    (folder / FILE).write_text(stub_source() + "\ndef broken(:\n")
    return grade(GradeRequest(LESSON, folder))


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    return grade(GradeRequest(LESSON, tmp_path_factory.mktemp("empty")))


def test_a_syntax_error_is_one_banner_in_every_sink(syntax_error):
    reading = read_result(syntax_error)
    assert reading.banner and reading.banner.startswith("None of the 225 checks could run") and "fix this first" in reading.banner
    assert reading.wrong == [] and reading.not_started == []
    page = html_report(syntax_error)
    line = next(test.message for test in syntax_error.tests)
    assert page.count(line) == 1, "the message is said once, in the banner"
    data = gradescope_results(syntax_error)
    assert len(data["tests"]) == 1 and data["tests"][0]["output"] == reading.banner and reading.banner in data["output"]


def test_an_empty_folder_is_one_banner_saying_where_the_file_goes(empty):
    reading = read_result(empty)
    assert reading.banner and f"{FILE} not found in the submission" in reading.banner and "top level" in reading.banner
    assert html_report(empty).count(f"{FILE} not found in the submission") == 1


def test_a_partial_submission_shows_its_real_bugs_first_and_folds_the_tasks_not_started(partial):
    reading = read_result(partial)
    assert reading.banner is None
    assert {task.task for task in reading.wrong} == {"sigmoid", "relu_grad"}, [(t.task, t.first.message) for t in reading.wrong]
    assert {task.task for task in reading.correct} == {"relu"}
    assert len(reading.not_started) == len(LESSONS[LESSON].tasks) - 3
    assert reading.not_started_line.startswith(f"{len(reading.not_started)} tasks not started: ")
    page = html_report(partial)
    assert page.count("is not implemented yet") == 0 and page.count(reading.not_started_line) == 1
    first_bug = page.index("<h3>")
    assert page.index(reading.wrong[0].task, first_bug) < page.index("tasks not started")


def test_gradescope_has_one_test_per_task_adding_up_to_the_score_exactly(partial):
    data = gradescope_results(partial)
    tasks = LESSONS[LESSON].tasks
    assert [test["name"] for test in data["tests"]] == list(tasks)
    assert round(sum(test["score"] for test in data["tests"]), 6) == data["score"] == round(partial.score, 2)
    assert all(test["score"] == round(test["score"], 2) for test in data["tests"])
    not_started = next(test for test in data["tests"] if test["name"] == "elu")
    assert not_started["output"] == "elu is not started yet (the stub raises NotImplementedError)"


def test_points_are_rounded_for_people_and_add_up():
    assert [points(value) for value in (41.0, 6.466666, 0.8333333, 0.0, 1e-12)] == ["41", "6.47", "0.83", "0", "0"]
    assert points_of(0.8333333, 1) == "0.83 of 1 point" and points_of(6.466666, 41) == "6.47 of 41 points"
    sixths = [1 / 6] * 225
    rounded = apportioned(sixths, sum(sixths))
    assert round(sum(rounded), 6) == round(sum(sixths), 2) and set(rounded) <= {0.16, 0.17}


def test_the_csv_rounds_task_points_to_add_up_to_the_score():
    tests = [TestResult(f"check {n}", f"task{n // 6}", 1 / 6, 1 / 6, "passed") for n in range(12)] + [TestResult("x", "task2", 0.0, 1.0, "failed", "wrong")]
    result = GradingResult("tensors", "/s", "ann", tests)
    (row,) = csv.DictReader(io.StringIO(csv_text([result])))
    assert row["score"] == "2" and row["max_score"] == "3" and row["task0"] == "1" and row["task2"] == "0"


def _graded_like(folder) -> dict:
    result = grade(GradeRequest("tensors", folder))
    return {"score": result.score, "statuses": [test.status for test in result.tests]}


def test_the_folder_zipped_and_a_zip_inside_the_upload_grade_like_the_plain_file(tmp_path):
    plain = make_submission(tmp_path, "tensors", name="plain")
    expected = _graded_like(plain)
    assert expected["score"] > 0
    nested = tmp_path / "gradescope-unzip"
    shutil.copytree(plain, nested / "tensors")  # Gradescope unzips "the folder zipped" to submission/tensors/tensors.py
    archive_inside = tmp_path / "zip-in-folder"
    archive_inside.mkdir()
    with zipfile.ZipFile(archive_inside / "tensors.zip", "w") as bundle:
        bundle.write(plain / "tensors.py", "tensors.py")
    for folder in (nested, archive_inside):
        assert _graded_like(folder) == expected, folder
        result = grade(GradeRequest("tensors", folder))
        assert "read from" in result.details["intake_note"]
        assert "read from" in gradescope_results(result)["output"] and "read from" in html_report(result)


def test_a_file_too_deep_to_find_is_named_in_the_banner(tmp_path):
    deep = tmp_path / "deep"
    (deep / "a" / "b").mkdir(parents=True)
    (deep / "notes.txt").write_text("hello")
    shutil.copy(make_submission(tmp_path, "tensors") / "tensors.py", deep / "a" / "b" / "tensors.py")
    result = grade(GradeRequest("tensors", deep))
    banner = read_result(result).banner
    assert banner and "Found a/b/tensors.py: put tensors.py at the top level of your submission." in banner, banner
    assert json.loads(json.dumps(result.to_dict()))["details"]["intake_note"].startswith("found a/b/tensors.py")


def test_gradescope_passed_and_failed_follow_the_tasks_not_the_rounding():
    thirds = [TestResult(f"t{n}", f"task{n}", 2 / 3, 2 / 3, "passed") for n in range(3)]
    almost = [TestResult("close", "near", 0.996, 0.996, "passed"), TestResult("edge", "near", 0.0, 0.004, "failed", "wrong at the edge")]
    data = gradescope_results(GradingResult("tensors", "/s", "ann", thirds + almost))
    statuses = {test["name"]: test["status"] for test in data["tests"]}
    assert statuses == {"task0": "passed", "task1": "passed", "task2": "passed", "near": "failed"}, data["tests"]
    assert round(sum(test["max_score"] for test in data["tests"]), 6) == 3.0


def test_the_service_keeps_the_intakes_note_for_an_uploaded_folder(tmp_path):
    from grader.service.dispatcher import files_of

    plain = make_submission(tmp_path, "tensors", name="tensors")
    archive = shutil.make_archive(str(tmp_path / "upload"), "zip", tmp_path, "tensors")
    inner = tmp_path / "outer.zip"
    with zipfile.ZipFile(inner, "w") as bundle:
        bundle.write(archive, "tensors.zip")
    files = files_of(inner.read_bytes(), "outer.zip", "tensors")
    assert "tensors.py" in files.files and files.note == "your files were read from the archive tensors.zip inside your submission"
    assert (plain / "tensors.py").read_bytes() == files.files["tensors.py"]
