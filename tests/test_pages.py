"""The pages without a server: a submission's page, the class dashboard, ``grade report``."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

from grader.core.results import GradingResult, TestResult
from grader.reports.pages.compose import dashboard_page, submission_page, write_report
from grader.reports.pages.views import class_view, submission_view

BIN = Path(sys.executable).parent


def result(student: str, failing: dict[str, str] | None = None, lesson: str = "activations") -> GradingResult:
    """Three tasks (relu 1 point, sigmoid 2, softmax 3 checks of 1); ``failing``: check -> message."""
    failing = failing or {}
    checks = [("relu", "relu matches"), ("sigmoid", "sigmoid matches"), ("sigmoid", "sigmoid is stable"),
              ("softmax", "softmax matches"), ("softmax", "softmax sums to 1"), ("softmax", "softmax is finite and warning-free")]  # fmt: skip
    tests = [TestResult(name, task, 0.0 if name in failing else 1.0, 1.0, "failed" if name in failing else "passed", failing.get(name, "")) for task, name in checks]
    return GradingResult(lesson, f"/subs/{student}", student, tests)


def test_what_to_fix_first_orders_tasks_by_points_lost_and_folds_the_correct_ones():
    view = submission_view(result("a", {"sigmoid is stable": "overflow at x=-1000", "softmax matches": "off", "softmax is finite and warning-free": "nan at [1000, 0]"}))
    assert [task.task for task in view.to_fix] == ["softmax", "sigmoid"]  # 2 points lost, then 1
    assert [check.name for check in view.to_fix[0].problems] == ["softmax matches", "softmax is finite and warning-free"]
    assert view.correct_tasks == [("relu", 1.0)]
    page = submission_page(view.result)
    first, second = page.index("softmax: 1 / 3"), page.index("sigmoid: 1 / 2")
    assert page.index("What to fix first") < first < second < page.index("1 task fully correct")
    assert "nan at [1000, 0]" in page and "50%" in page


def test_a_student_name_and_messages_are_escaped_and_pages_load_nothing_from_elsewhere():
    page = submission_page(result("<script>x</script>", {"relu matches": "<img src=x onerror=alert(1)>"}))
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "pages must work offline"


def test_the_dashboard_of_a_batch_with_known_pass_rates(tmp_path):
    batch = [
        result("ann"),
        result("bob", {"softmax is finite and warning-free": "softmax([1000, 0]) is nan"}),
        result("cat", {"softmax is finite and warning-free": "softmax([1000, 0]) is nan", "relu matches": "relu(-1) gives -1"}),
        result("dan", {"softmax is finite and warning-free": "softmax([1000, 0]) is nan"}),
        result("eve", {"softmax is finite and warning-free": "softmax([1000, 0]) is nan"}),
        GradingResult.grader_error("activations", "/subs/fay", "KeyError in a hidden check", "fay"),
    ]
    view = class_view("activations", batch)
    assert [(rate.task, rate.correct, rate.total) for rate in view.tasks] == [("softmax", 1, 5), ("relu", 4, 5), ("sigmoid", 5, 5)]
    assert view.tasks[0].worst_check == "softmax is finite and warning-free" and view.tasks[0].fail_percent == 80.0
    top = view.failures[0]
    assert (top.count, top.message, top.students) == (4, "softmax([1000, 0]) is nan", ["bob", "cat", "dan"])
    assert [r.student for r in view.not_graded] == ["fay"]
    (tmp_path / "batch.json").write_text(json.dumps([r.to_dict() for r in batch]))
    done = subprocess.run([str(BIN / "grade"), "report", "activations", str(tmp_path / "batch.json"), "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    index = (tmp_path / "out" / "index.html").read_text()
    assert "80% (4 of 5)" in index and "80% fail softmax is finite and warning-free" in index
    assert index.index("<th scope=\"row\">softmax") < index.index("<th scope=\"row\">relu") < index.index("<th scope=\"row\">sigmoid")
    assert "<svg" in index and "scores of 5 submissions" in index
    assert 'href="students/cat.html"' in index and "not graded (grader error)" in index
    cat = (tmp_path / "out" / "students" / "cat.html").read_text()
    assert "relu(-1) gives -1" in cat and 'href="../index.html"' in cat
    assert "KeyError" not in (tmp_path / "out" / "students" / "fay.html").read_text(), "a grader error's internals are for the instructor"
    rows = list(csv.DictReader((tmp_path / "out" / "scores.csv").open()))
    assert sorted(row["student"] for row in rows) == ["ann", "bob", "cat", "dan", "eve"]
    assert len(list((tmp_path / "out" / "gradescope").glob("*.results.json"))) == 5


def test_grade_report_refuses_a_file_that_is_not_a_result_json_in_one_line(tmp_path):
    (tmp_path / "bad.json").write_text('{"lesson": "activations"}')
    done = subprocess.run([str(BIN / "grade"), "report", "activations", str(tmp_path / "bad.json"), "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "is not a result JSON" in done.stderr
    (tmp_path / "other.json").write_text(json.dumps([result("a", lesson="tensors").to_dict()]))
    done = subprocess.run([str(BIN / "grade"), "report", "activations", str(tmp_path / "other.json"), "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 2 and "holds no result of activations" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_student_with_two_results_counts_once_with_the_last(tmp_path):
    index = write_report("activations", [result("ann", {"relu matches": "x"}), result("ann")], tmp_path)
    assert "1 graded submission," in index.read_text() and "6 / 6" in index.read_text()


def test_a_model_lessons_page_shows_tiers_the_confusion_grid_and_the_curves():
    details = {"framework": "torch", "device": "cpu", "budget_s": 60.0, "train_seconds": 12.5, "accuracy": 0.86,
               "classes": ["negative", "positive"], "confusion_matrix": [[40, 10], [4, 46]], "history": {"loss": [0.7, 0.5], "accuracy": [0.7, 0.8]}}  # fmt: skip
    model = GradingResult("imdb", "sub", "al", [TestResult("accuracy tier", "accuracy", 1.0, 2.0, "failed", "0.86 < 0.88")], details)
    view = submission_view(model)
    assert view.model is not None and [c[2] for c in view.model.confusion] == [0.8, 0.92]
    assert any(reached for *_, reached in view.model.tiers) and not all(reached for *_, reached in view.model.tiers)
    page = submission_page(model)
    assert "Confusion matrix" in page and "0.920" in page and "imdb: training curves" in page and "12.5 s of a 60 s budget" in page


def stopped(student: str, message: str, status: str = "error") -> GradingResult:
    """Every check of :func:`result`'s three tasks stopped at one same problem."""
    tests = [TestResult(test.name, test.task, 0.0, 1.0, status, message) for test in result(student).tests]
    return GradingResult("activations", f"/subs/{student}", student, tests)


def not_started(student: str, task: str, failing: dict[str, str] | None = None) -> GradingResult:
    """:func:`result` with ``task`` still the released stub."""
    made = result(student, failing)
    for test in made.tests:
        if test.task == task:
            test.score, test.status, test.message = 0.0, "error", f"{task} is not implemented yet (it raises NotImplementedError)"
    return made


def test_the_dashboard_puts_what_needs_attention_first_and_counts_tasks_not_started_apart(tmp_path):
    timed_out = result("gus")
    timed_out.tests[0].score, timed_out.tests[0].status, timed_out.tests[0].message = 0.0, "timeout", "relu did not finish within 5 s"
    batch = [
        result("ann"),
        not_started("bob", "softmax", {"relu matches": "relu(-1) gives -1"}),
        not_started("cat", "softmax"),
        stopped("dan", "activations.py, line 3: invalid syntax"),
        stopped("eve", "activations.py not found in the submission"),
        GradingResult.grader_error("activations", "/subs/fay", "KeyError in a hidden check", "fay"),
        timed_out,
    ]
    view = class_view("activations", batch)
    assert [(item.student, item.kind) for item in view.attention] == [
        ("fay", "not graded: the grader failed"), ("dan", "no check could run"), ("eve", "no check could run"), ("gus", "a check timed out"),
    ]  # fmt: skip
    assert "invalid syntax" in view.attention[1].message and "not found" in view.attention[2].message
    rates = {rate.task: rate for rate in view.tasks}
    assert (rates["softmax"].attempted, rates["softmax"].wrong, rates["softmax"].not_started) == (2, 0, 2), "not started is not failing"
    assert (rates["relu"].attempted, rates["relu"].wrong, rates["relu"].not_started) == (4, 2, 0)
    assert view.tasks[0].task == "relu"
    assert all("not implemented" not in failure.message for failure in view.failures)
    assert ("relu(-1) gives -1", ["bob"]) in [(failure.message, failure.students) for failure in view.failures]
    page = dashboard_page(view, lambda name: f"students/{name}.html")
    assert page.index("Needs attention") < page.index("Tasks") and 'href="students/dan.html"' in page
    assert "2 not started" in page
