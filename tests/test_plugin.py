"""The pytest plugin: markers, points shared within a task, statuses, the JSON result."""

from __future__ import annotations

import json

pytest_plugins = ["pytester"]

SUITE = '''
import time
import pytest
from grader.checks import CheckFailed


@pytest.mark.task("tensor_sum")
def test_passes():
    """tensor_sum works"""


@pytest.mark.task("tensor_sum")
def test_fails():
    """tensor_sum fails"""
    raise CheckFailed("tensor_sum: max abs error 1.0e+00")


@pytest.mark.task("xor_network")
@pytest.mark.points(0.5)
def test_errors():
    raise ZeroDivisionError("boom")


@pytest.mark.task("xor_network")
@pytest.mark.parametrize("k", [1, 2])
def test_param(k):
    """xor case {k}"""
    assert k == 1, "k must be 1"


@pytest.mark.task("scalar_multiply")
def test_not_implemented():
    raise NotImplementedError("scalar_multiply: your code here")
'''


def test_points_statuses_and_messages(pytester):
    pytester.makepyfile(test_suite=SUITE)
    output = pytester.path / "result.json"
    pytester.runpytest_subprocess("--lesson", "tensors", "--grader-results", str(output), "-p", "no:cacheprovider")
    result = json.loads(output.read_text())
    tests = {t["name"]: t for t in result["tests"]}
    assert tests["tensor_sum works"] == {"name": "tensor_sum works", "task": "tensor_sum", "score": 0.5, "max_score": 0.5, "status": "passed", "message": ""}
    assert tests["tensor_sum fails"]["status"] == "failed"
    assert tests["tensor_sum fails"]["message"] == "tensor_sum: max abs error 1.0e+00"
    assert tests["test_errors"]["max_score"] == 0.5 and tests["test_errors"]["status"] == "error"
    assert tests["test_errors"]["message"].startswith("ZeroDivisionError: boom")
    assert tests["xor case 1"]["max_score"] == 0.75 and tests["xor case 1"]["score"] == 0.75
    assert tests["xor case 2"]["status"] == "failed" and tests["xor case 2"]["message"] == "k must be 1"
    assert tests["test_not_implemented"]["message"] == "scalar_multiply is not implemented yet (it raises NotImplementedError)"
    assert result["score"] == 0.5 + 0.75 + 0.0 and result["max_score"] == 1.0 + 2.0 + 1.0


def test_a_test_without_task_is_a_usage_error(pytester):
    pytester.makepyfile(test_x="def test_plain():\n    pass\n")
    run = pytester.runpytest_subprocess("--lesson", "tensors")
    assert run.ret == 4
    assert "has no @pytest.mark.task" in run.stderr.str()


def test_unknown_task_is_a_usage_error(pytester):
    pytester.makepyfile(test_x="import pytest\n@pytest.mark.task('nope')\ndef test_plain():\n    pass\n")
    run = pytester.runpytest_subprocess("--lesson", "tensors")
    assert run.ret == 4
    assert "task 'nope' is not a task of lesson 'tensors'" in run.stderr.str()


def test_plugin_is_inert_without_lesson(pytester):
    pytester.makepyfile(test_x="def test_plain():\n    pass\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_a_hidden_suite_run_by_pytest_reports_grader_faults_and_refusals(pytester, tmp_path):
    import os

    from conftest import make_submission

    folder = make_submission(tmp_path, "tensors")
    (folder / "labels.gz").symlink_to("/etc/passwd")
    pytester.makepyfile(
        test_hidden='import pytest\n\n@pytest.mark.task("tensor_sum")\ndef test_sum(student):\n    """tensor_sum is checked"""\n    {}["missing"]\n'
    )
    output = pytester.path / "result.json"
    pytester.runpytest_subprocess("--lesson", "tensors", "--submission", str(folder), "--grader-results", str(output), "-p", "no:cacheprovider")
    result = json.loads(output.read_text())
    assert result["status"] == "grader-error" and "KeyError" in result["message"]
    pytester.makepyfile(
        test_hidden='import pytest\n\n@pytest.mark.task("tensor_sum")\ndef test_sum(student):\n    """tensor_sum is checked"""\n    assert student.tensor_sum is not None\n'
    )
    pytester.runpytest_subprocess("--lesson", "tensors", "--submission", str(folder), "--grader-results", str(output), "-p", "no:cacheprovider")
    result = json.loads(output.read_text())
    assert result["status"] == "graded"
    assert result["refused"] == [{"path": "labels.gz", "message": "labels.gz is a symbolic link: links are not accepted"}]
    assert os.path.islink(folder / "labels.gz")


def test_a_grading_run_renders_no_tracebacks(tmp_path):
    """Nobody reads a grading's terminal: pytest must not render each failure's traceback (it
    made grading a stub submission 13 times slower when the terminal plugin was left out)."""
    from grader.api import GradeRequest
    from grader.core.collector import ResultCollector
    from grader.core.suite import run_suite

    checks = tmp_path / "test_style.py"
    checks.write_text(
        "import pytest\nfrom grader.plugin import MESSAGE_PROPERTY\n\n"
        "@pytest.mark.task('tensor_sum')\ndef test_style(pytestconfig, record_property):\n"
        "    record_property(MESSAGE_PROPERTY, pytestconfig.getoption('tbstyle', 'auto'))\n"
    )
    result = run_suite([checks], ResultCollector(GradeRequest("tensors", str(tmp_path)), isolate=False), forget_modules=True)
    assert [test.message for test in result.tests] == ["no"]
