"""What ``grade check`` prints, as a student sees it: a problem that stops every check is said
once, untouched stubs get one line per task, a missing file is one line."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course.catalogue import get_lesson

LESSON = "activations"


@pytest.fixture
def started(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    assert CliRunner().invoke(main, ["start", LESSON]).exit_code == 0
    return tmp_path / LESSON


def check(*args: str):
    return CliRunner().invoke(main, ["check", LESSON, *args])


def test_untouched_stubs_get_one_line_per_task(started):
    run = check(str(started))
    tasks = get_lesson(LESSON).tasks
    assert run.exit_code == 1
    rows = [line for line in run.output.splitlines() if "not implemented yet" in line]
    assert len(rows) == len(tasks), run.output
    assert len(run.output.splitlines()) <= len(tasks) + 8, run.output


@pytest.mark.parametrize(
    "damage, says",
    [
        (lambda source: source + "\ndef (\n", "activations.py, line"),
        (lambda source: "import no_such_module_here\n" + source, "No module named 'no_such_module_here'"),
        (lambda source: "import time\nwhile True:\n    time.sleep(0.1)\n" + source, "importing activations.py did not finish in 10 s"),
    ],
    ids=["syntax error", "import error", "hang at import"],
)
def test_a_problem_that_stops_every_check_is_said_once(started, damage, says):
    path = started / "activations.py"
    path.write_text(damage(path.read_text()))
    began = time.monotonic()
    run = check(str(started))
    said = " ".join(run.output.split())  # as read, whatever the terminal's width
    assert run.exit_code == 1
    assert said.count(says) == 1 and "none of the 79 public checks could run" in said, run.output
    assert len(run.output.splitlines()) <= 6, run.output
    assert time.monotonic() - began < 40


def test_a_folder_without_the_lesson_file_is_one_line_and_exit_2(started, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    run = check(str(tmp_path / "elsewhere"))
    assert run.exit_code == 2
    assert run.output.strip().startswith("grade: error: ") and "has no activations.py" in run.output and run.output.count("\n") == 1


def test_an_endless_loop_in_a_function_stops_at_the_lessons_call_limit_naming_it(started):
    path = started / "activations.py"
    path.write_text(path.read_text().replace('raise NotImplementedError("sigmoid: your code here")', "while True:\n        pass", 1))
    began = time.monotonic()
    run = check(str(started))
    took = time.monotonic() - began
    limit = get_lesson(LESSON).call_timeout_s
    said = " ".join(run.output.split())
    assert run.exit_code == 1 and f"sigmoid did not finish within {limit:g}" in said, run.output
    assert took < 60, f"stopped at the call limit ({limit:g} s per call), not the test's {get_lesson(LESSON).test_timeout_s:g} s: {took:.0f} s"


def test_rows_follow_the_order_of_the_students_file(started):
    path = started / "activations.py"
    source = path.read_text()
    tasks = list(get_lesson(LESSON).tasks)
    first, last = tasks[0], tasks[-1]
    # the student wrote the lesson's last task first in the file: its (failing) rows come first
    moved = f"def {last}(*args, **kwargs):\n    return None\n\n\n" + source.replace(f"def {last}(", f"def _unused_{last}(", 1)
    path.write_text(moved)
    run = check(str(started), "--all")
    rows = [line.split("│")[1].strip() for line in run.output.splitlines() if line.startswith("│") and line.split("│")[1].strip()]
    assert rows.index(last) < rows.index(first), rows[:5]
