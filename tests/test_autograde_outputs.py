"""``grade autograde``'s outputs: every path checked before grading (one line, exit 2), and
each output written on its own, so that one that fails costs the others nothing."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from conftest import make_submission

from grader.cli import autograde as batch
from grader.cli import main
from grader.core.results import GradingResult, TestResult

LESSON = "activations"


def autograde(*args: str):
    return CliRunner().invoke(main, ["autograde", LESSON, *args])


@pytest.mark.parametrize(
    "option, value, says",
    [
        ("--csv", "missing/grades.csv", "--csv {tmp}/missing/grades.csv: the folder {tmp}/missing does not exist"),
        ("--json", "missing/results.json", "--json {tmp}/missing/results.json: the folder {tmp}/missing does not exist"),
        ("--json", "existing", "--json {tmp}/existing: is a folder; give a file name"),
        ("--feedback", "afile", "Invalid value for '--feedback': Directory '{tmp}/afile' is a file."),  # click's own check
        ("--gradescope", "missing/gs/", "--gradescope {tmp}/missing/gs: the folder {tmp}/missing does not exist"),
    ],
)
def test_a_bad_output_path_is_one_line_and_exit_2_before_any_grading(tmp_path, option, value, says):
    (tmp_path / "existing").mkdir()
    (tmp_path / "afile").write_text("x")
    submission = make_submission(tmp_path, LESSON)
    started = time.monotonic()
    run = autograde(str(submission), option, str(tmp_path / value))
    assert run.exit_code == 2, run.output
    assert run.output.strip() == "grade: error: " + says.format(tmp=tmp_path), run.output
    assert time.monotonic() - started < 3, "it graded before checking its outputs"


def test_gradescope_into_an_existing_folder_writes_a_file_inside_it_for_one_submission(tmp_path):
    (tmp_path / "gs").mkdir()
    run = autograde(str(make_submission(tmp_path, LESSON, name="alice")), "--gradescope", str(tmp_path / "gs"))
    assert run.exit_code == 0, run.output
    (written,) = (tmp_path / "gs").iterdir()
    assert written.name.endswith(".results.json") and json.loads(written.read_text())["score"] > 0


def test_an_output_that_fails_while_writing_costs_the_others_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").mkdir()  # becomes unwritable only after the check: a folder in its place
    result = GradingResult(LESSON, "s", "alice", tests=[TestResult("sigmoid is right", "sigmoid", 1.0, 1.0, "passed")])
    outputs = batch.Outputs(json=str(out / "results.json"), csv=out / "grades.csv", feedback_dir=out / "feedback")
    failed = batch.write_outputs([result], outputs)
    assert len(failed) == 1 and failed[0].startswith(f"grade: error: could not write --csv {out / 'grades.csv'}: "), failed
    assert json.loads((out / "results.json").read_text())[0]["student"] == "alice"
    assert (out / "feedback").is_dir()


def test_a_missing_course_folder_is_one_line_and_exit_2(tmp_path):
    run = autograde("--course", str(tmp_path / "nope"))
    assert run.exit_code == 2 and "--course" in run.output and "no such folder" in run.output, run.output


def test_a_batch_of_folders_gets_student_ids_from_their_names(tmp_path):
    import shutil

    alice = make_submission(tmp_path, "tensors", name="alice")
    bob = shutil.make_archive(str(tmp_path / "bob"), "zip", make_submission(tmp_path, "tensors", name="bob-work"))
    out = tmp_path / "named.json"
    run = CliRunner().invoke(main, ["autograde", "tensors", str(alice), bob, "--json", str(out), "--csv", str(tmp_path / "scores.csv")])
    assert run.exit_code == 0, run.output
    assert [result["student"] for result in json.loads(out.read_text())] == ["alice", "bob"]
    assert "alice" in (tmp_path / "scores.csv").read_text() and "bob," in (tmp_path / "scores.csv").read_text()
    run = CliRunner().invoke(main, ["autograde", "tensors", str(alice), "--json", str(out), "--student-from", "none"])
    assert run.exit_code == 0 and json.loads(out.read_text())[0].get("student") is None
