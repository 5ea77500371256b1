"""Feedback sinks: HTML report, CSV, Gradescope's results.json."""

from __future__ import annotations

import csv
import json

from grader.core.results import GradingResult, TestResult
from grader.reports.exports import gradescope_results, write_csv, write_gradescope
from grader.reports.feedback import html_report, write_feedback


def sample(student="s1", broken=True) -> GradingResult:
    return GradingResult(
        "tensors", f"/sub/{student}", student,
        [TestResult("tensor_sum adds", "tensor_sum", 1.0, 1.0, "passed"),
         TestResult("xor <works>", "xor_network", 0.0, 2.0, "failed" if broken else "passed", "xor_network with input [1, 1] gives 1, expected 0")],
    )  # fmt: skip


def test_html_report_shows_tasks_statuses_and_escaped_messages():
    page = html_report(sample())
    assert "1 / 3 (33%)" in page and "<h3>xor_network: 0 / 2" in page
    assert "xor &lt;works&gt;" in page and "xor <works>" not in page and '<span class="failed">failed</span>' in page
    assert "gives 1, expected 0" in page and "1 task fully correct" in page


def test_feedback_folder_holds_html_and_json(tmp_path):
    (folder,) = write_feedback([sample()], tmp_path)
    assert folder == tmp_path / "s1" / "tensors"
    assert json.loads((folder / "result.json").read_text())["score"] == 1.0


def test_csv_has_one_row_per_submission_and_a_column_per_task(tmp_path):
    write_csv([sample("a"), sample("b")], tmp_path / "grades.csv")
    rows = list(csv.DictReader((tmp_path / "grades.csv").read_text().splitlines()))
    assert [r["student"] for r in rows] == ["a", "b"]
    assert rows[0]["tensor_sum"] == "1" and rows[0]["xor_network"] == "0" and rows[0]["max_score"] == "3"


def test_gradescope_results_follow_the_spec(tmp_path):
    data = gradescope_results(sample())
    assert data["score"] == 1.0
    assert {"name", "score", "max_score", "status", "output", "visibility", "number"} <= set(data["tests"][1])
    assert data["tests"][1]["status"] == "failed" and data["tests"][1]["output"].startswith("[failed]")
    (single,) = write_gradescope([sample()], tmp_path / "results.json")
    assert json.loads(single.read_text())["tests"][0]["status"] == "passed"
    several = write_gradescope([sample("a"), sample("b")], tmp_path / "many")
    assert sorted(p.name for p in several) == ["a.results.json", "b.results.json"]


def refused_sample() -> GradingResult:
    result = sample()
    result.refused = [{"path": "notes/labels.gz", "message": "notes/labels.gz is a symbolic link: links are not accepted"}]
    return result


def test_what_the_intake_left_out_is_shown_in_every_sink():
    page = html_report(refused_sample())
    assert "Left out of your submission" in page and "notes/labels.gz is a symbolic link: links are not accepted" in page
    assert "left out: notes/labels.gz is a symbolic link" in gradescope_results(refused_sample())["output"]
    assert GradingResult.from_dict(refused_sample().to_dict()).refused == refused_sample().refused
    assert "refused" not in sample().to_dict()


def test_a_grader_error_is_no_score_in_any_sink_and_students_read_a_plain_message(tmp_path):
    failed = GradingResult.grader_error("tensors", "/sub/s2", "a hidden check failed inside the grader: KeyError: 'x' (test_tensors_hidden.py, line 9)", "s2")
    write_csv([sample("a"), failed], tmp_path / "grades.csv")
    rows = list(csv.DictReader((tmp_path / "grades.csv").read_text().splitlines()))
    assert [r["student"] for r in rows] == ["a"]
    assert write_gradescope([failed], tmp_path / "results.json") == [] and not (tmp_path / "results.json").exists()
    (folder,) = write_feedback([failed], tmp_path / "feedback")
    page = (folder / "feedback.html").read_text()
    saved = json.loads((folder / "result.json").read_text())
    assert "not graded yet" in page and "not your fault" in page
    assert "KeyError" not in page and "KeyError" not in json.dumps(saved), "the grader's internals are for the instructor"
    assert saved["status"] == "grader-error" and saved["score"] is None


def test_one_students_two_submissions_get_distinct_feedback_and_gradescope_files(tmp_path):
    first, second = sample("alice"), sample("alice")
    first.submission, second.submission = "/exchange/alice+tensors+2026-12-01 10:00:00", "/exchange/alice+tensors+2026-12-02 09:00:00"
    folders = write_feedback([first, second, sample("bob")], tmp_path / "feedback")
    assert len({folder for folder in folders}) == 3 and all(folder.is_dir() for folder in folders)
    files = write_gradescope([first, second], tmp_path / "gs", folder=True)
    assert len(set(files)) == 2 and all(path.is_file() for path in files)
    assert "2026-12-02" in files[1].name and "bob" in str(folders[2])
