"""The `grade` command line: help, listing, start, check, autograde, usage errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course.catalogue import LESSONS

COMMANDS = ["list", "start", "check", "submit", "status", "autograde", "release", "validate"]


def run(*args):
    return CliRunner(env={"COLUMNS": "200"}).invoke(main, list(args))  # wide enough that no message wraps


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_of_every_command(command):
    result = run(*([command] if command else []), "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_list_shows_every_lesson_and_its_points():
    result = run("list")
    assert result.exit_code == 0
    for lesson in LESSONS.values():
        assert lesson.id in result.output


def test_list_of_one_lesson_shows_its_tasks():
    result = run("list", "activations")
    assert "softmax_backward" in result.output and "sigmoid_grad" in result.output


def test_unknown_lesson_is_one_line_with_a_suggestion_and_exit_2():
    result = run("check", "activation")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "grade: error: unknown lesson 'activation'; did you mean 'activations'? (grade list shows all lessons)"
    ]


def test_missing_path_is_one_line_and_exit_2(tmp_path):
    result = run("autograde", "tensors", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert result.output.strip() == f"grade: error: path '{tmp_path / 'nowhere'}' does not exist"


def test_missing_argument_is_one_line_and_exit_2():
    result = run("start")
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_start_copies_stubs_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "work"
    assert run("start", "tensors", str(target)).exit_code == 0
    assert "raise NotImplementedError" in (target / "tensors.py").read_text()
    assert (target / "test_tensors.py").exists()
    again = run("start", "tensors", str(target))
    assert again.exit_code == 2 and "--force" in again.output


def test_check_exit_codes(tmp_path):
    target = tmp_path / "work"
    run("start", "tensors", str(target))
    failing = run("check", "tensors", str(target))
    assert failing.exit_code == 1
    assert "not implemented yet" in failing.output
    passing = run("check", "tensors", "reference/tensors")
    assert passing.exit_code == 0, passing.output
    assert "public checks passed" in passing.output


def test_autograde_json_to_stdout_reference_and_stub():
    result = run("autograde", "tensors", "reference/tensors", "assignments/tensors", "--json", "-")
    assert result.exit_code == 0
    graded = json.loads(result.stdout)
    assert [g["lesson"] for g in graded] == ["tensors", "tensors"]
    assert graded[0]["score"] == graded[0]["max_score"] == LESSONS["tensors"].max_score
    assert graded[1]["score"] == 0
    assert {t["status"] for t in graded[1]["tests"]} <= {"failed", "error"}
    assert set(graded[0]) == {"lesson", "submission", "student", "status", "score", "max_score", "tests"}
    assert graded[0]["status"] == "graded"
    assert set(graded[0]["tests"][0]) == {"name", "task", "score", "max_score", "status", "message"}
