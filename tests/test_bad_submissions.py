"""Broken submissions are graded zero on what they break, with a specific message, and the
batch goes on."""

from __future__ import annotations

import json

from click.testing import CliRunner

from grader.api import GradeRequest, grade
from grader.cli import main


def _tests_of(result, task):
    return [t for t in result.tests if t.task == task]


def test_syntax_error_names_file_and_line(raw_submission):
    folder = raw_submission("activations", "import numpy as np\n\ndef sigmoid(x)\n    return x\n")
    result = grade(GradeRequest("activations", folder))
    assert result.score == 0
    assert {t.status for t in result.tests} == {"error"}
    assert result.tests[0].message == "activations.py, line 3: expected ':'"


def test_missing_file_is_reported(raw_submission, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    result = grade(GradeRequest("losses", folder))
    assert result.score == 0
    assert result.tests[0].message == "losses.py not found in the submission"


def test_missing_function_is_named_and_costs_only_its_task(submission_factory):
    folder = submission_factory("activations", lambda s: s.replace("def softsign(x):", "def soft_sign(x):"))
    result = grade(GradeRequest("activations", folder))
    assert {t.task for t in result.tests if t.status != "passed"} == {"softsign"}
    assert _tests_of(result, "softsign")[0].message == "activations.py defines no function 'softsign'"


def test_exception_shows_the_students_frames_only(submission_factory):
    folder = submission_factory("activations", lambda s: s.replace("    return np.tanh(x)\n", "    return helper(x)\n\n\ndef helper(x):\n    return x / undefined_name\n", 1))
    result = grade(GradeRequest("activations", folder))
    message = _tests_of(result, "tanh")[0].message
    assert message.startswith("NameError: name 'undefined_name' is not defined")
    assert 'File "activations.py"' in message and "in helper" in message
    assert "grader" not in message and "site-packages" not in message
    assert {t.task for t in result.tests if t.status != "passed"} == {"tanh"}


def test_wrong_type_shape_dtype_and_nan(submission_factory):
    def edit(source):
        source = source.replace("    return np.maximum(x, 0)\n", "    return np.maximum(x, 0).tolist()\n")  # wrong type
        source = source.replace("    return x / (1 + np.abs(x))\n", "    return np.ravel(x / (1 + np.abs(x)))\n")  # wrong shape
        source = source.replace("    return np.tanh(x) ** 2\n", "    return (np.tanh(x) ** 2).astype(np.float64)\n")  # wrong dtype
        return source.replace("    return x - np.tanh(x)\n", "    return x - np.tanh(x) + np.nan\n")  # NaN

    result = grade(GradeRequest("activations", submission_factory("activations", edit)))
    messages = {task: [t.message for t in _tests_of(result, task) if t.status == "failed"] for task in ("relu", "softsign", "tanhshrink_grad", "tanhshrink")}
    assert any("returned a list; expected a numpy array" in m for m in messages["relu"])
    assert any("returned shape (1,); expected ()" in m or "returned shape" in m for m in messages["softsign"])
    assert any("returned dtype float64 for float32 input" in m for m in messages["tanhshrink_grad"])
    assert any("expected" in m and "got nan" in m for m in messages["tanhshrink"])
    assert {t.task for t in result.tests if t.status != "passed"} == {"relu", "softsign", "tanhshrink_grad", "tanhshrink"}


def test_endless_loop_times_out_and_grading_goes_on(submission_factory):
    folder = submission_factory("tensors", lambda s: s.replace("    return c * a\n", "    while True:\n        pass\n"))
    result = grade(GradeRequest("tensors", folder, call_timeout_s=1.0))
    statuses = {t.status for t in _tests_of(result, "scalar_multiply")}
    assert statuses == {"timeout"}
    assert "did not finish" in _tests_of(result, "scalar_multiply")[0].message
    assert {t.task for t in result.tests if t.status != "passed"} == {"scalar_multiply"}


def test_exit_at_import_is_an_error_not_a_crash(raw_submission):
    folder = raw_submission("tensors", "import sys\nsys.exit(0)\n")
    result = grade(GradeRequest("tensors", folder))
    assert result.score == 0
    assert "called sys.exit() while being imported" in result.tests[0].message


def test_a_batch_goes_on_past_broken_submissions(raw_submission, submission_factory, tmp_path):
    broken = raw_submission("tensors", "def tensor_sum(a, b)\n", name="broken")
    crashing = raw_submission("tensors", "import os\nos._exit(3)\n", name="crashing")
    good = submission_factory("tensors", name="good")
    output = tmp_path / "results.json"
    run = CliRunner().invoke(main, ["autograde", "tensors", str(broken), str(crashing), str(good), "--json", str(output)])
    assert run.exit_code == 0, run.output
    results = json.loads(output.read_text())
    assert [r["score"] for r in results] == [0.0, 0.0, results[2]["max_score"]]
    assert "ended" in results[1]["tests"][0]["message"]
