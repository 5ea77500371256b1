"""The grading core as a library (``grader.api``): one request in, one result out, from Python
alone, with no course tree; and the pytest plugin costs an unrelated pytest run nothing."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
import subprocess
import sys
import tarfile
import textwrap

import pytest

from grader import api
from grader.api import GradeRequest, Settings
from grader.course.paths import assignment_dir
from grader.course.references import reference_file
from grader.errors import CheckFailed, GraderFault, RequestError, StudentError, StudentFault, SubmissionNotFound, SuiteError
from grader.runner.intake import read_submission


def _folder_outside_the_course(tmp_path, lesson_id: str, source) -> str:
    folder = tmp_path / "anywhere" / lesson_id
    folder.mkdir(parents=True)
    shutil.copyfile(source, folder / f"{lesson_id}.py")
    return str(folder)


def test_one_folder_is_graded_from_python_without_a_course_tree(tmp_path):
    correct = _folder_outside_the_course(tmp_path, "tensors", reference_file("tensors", "tensors"))
    result = api.grade(GradeRequest("tensors", correct, student="alice"))
    assert result.status == "graded" and result.score == result.max_score > 0
    assert result.student == "alice" and result.submission == correct
    assert result.to_dict()["score"] == result.max_score
    stub = api.grade(GradeRequest("tensors", str(assignment_dir("tensors"))))
    assert stub.status == "graded" and stub.score == 0
    assert any(test.message == "tensor_sum is not implemented yet (it raises NotImplementedError)" for test in stub.tests)


def test_an_archive_and_files_already_read_grade_the_same(tmp_path):
    folder = _folder_outside_the_course(tmp_path, "tensors", reference_file("tensors", "tensors"))
    archive = tmp_path / "alice.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="tensors")
    from_archive = api.grade(GradeRequest("tensors", archive))
    from_files = api.grade(GradeRequest("tensors", read_submission(folder)))
    assert from_archive.score == from_files.score == from_archive.max_score
    assert from_files.submission == folder


def test_a_request_is_a_frozen_picklable_value_checked_when_made(tmp_path):
    request = GradeRequest("tensors", tmp_path, call_timeout_s=2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.device = "cuda"
    assert pickle.loads(pickle.dumps(request)) == request
    other = request.of(tmp_path / "bob", "bob")
    assert (other.student, other.call_timeout_s, other.source) == ("bob", 2.0, str(tmp_path / "bob"))
    with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda"):
        GradeRequest("tensors", tmp_path, device="tpu")
    with pytest.raises(ValueError, match="call_timeout_s must be positive"):
        GradeRequest("tensors", tmp_path, call_timeout_s=0)


def test_bad_requests_are_request_errors(tmp_path):
    with pytest.raises(RequestError, match="unknown lesson 'tensor'; did you mean 'tensors'"):
        api.grade(GradeRequest("tensor", tmp_path))
    with pytest.raises(SubmissionNotFound):
        api.grade(GradeRequest("tensors", tmp_path / "missing"))


def test_errors_belong_to_one_family_each():
    assert issubclass(CheckFailed, StudentFault) and issubclass(CheckFailed, AssertionError)
    assert issubclass(StudentError, StudentFault) and issubclass(SuiteError, GraderFault)
    from grader.data.store import DataError
    from grader.runner.zygote import ZygoteFailed

    assert issubclass(DataError, GraderFault) and issubclass(ZygoteFailed, GraderFault)
    assert not issubclass(SubmissionNotFound, (GraderFault, StudentFault))


def test_a_batch_of_requests_keeps_their_order_and_students(tmp_path):
    correct = _folder_outside_the_course(tmp_path, "tensors", reference_file("tensors", "tensors"))
    requests = [GradeRequest("tensors", correct, student="a"), GradeRequest("tensors", str(assignment_dir("tensors")), student="b")]
    results = api.grade_batch(requests, workers=1)
    assert [(r.student, r.score == r.max_score) for r in results] == [("a", True), ("b", False)]


def test_public_checks_and_start_from_python(tmp_path):
    written = api.start("activations", tmp_path / "work")
    assert sorted(path.name for path in written) == sorted(p.name for p in assignment_dir("activations").iterdir() if p.is_file() and p.name != "lesson.toml")
    with pytest.raises(FileExistsError, match="already has README.md, activations.py, pytest.ini, test_activations.py; use --force"):
        api.start("activations", tmp_path / "work")
    result = api.check("activations", tmp_path / "work")
    assert result.tests and result.counts()["passed"] < len(result.tests)


def test_settings_are_read_once_from_the_course_config_and_the_environment(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "nn101"\nc.CourseDirectory.db_url = "sqlite:////x.db"\n')
    settings = Settings.load(tmp_path, environ={"GRADER_EXCHANGE_ROOT": str(tmp_path / "ex"), "GRADER_DATA_DIR": str(tmp_path / "data")})
    assert (settings.course_id, settings.db_url, settings.data_dir) == ("nn101", "sqlite:////x.db", tmp_path / "data")
    assert settings.exchange().inbound == tmp_path / "ex" / "nn101" / "inbound"


def test_pytest_in_an_unrelated_folder_imports_neither_numpy_nor_the_runner(tmp_path):
    """The plugin is installed (an entry point), knows its markers, and loads nothing heavy
    until a grading session asks for it."""
    (tmp_path / "test_unrelated.py").write_text(
        textwrap.dedent(
            """
            import sys

            def test_nothing_heavy_was_imported(pytestconfig):
                assert pytestconfig.pluginmanager.has_plugin("grader"), "the grader's plugin is not installed"
                heavy = sorted(m for m in sys.modules if m == "numpy" or m.startswith(("numpy.", "grader.runner", "grader.core.collector", "grader.checks")))
                assert heavy == [], heavy
            """
        )
    )
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout and "Warning" not in run.stdout
