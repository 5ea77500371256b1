"""The hidden suite collected once per process and run for submission after submission
(:class:`grader.core.suite.CollectedSuite`) grades exactly as a fresh pytest run per submission
does: every test's name, task, status, points and message, and the result's details, over the
whole typical-bug catalogue of the numpy lessons, their references and stubs, and the fairness
cases (a number in a message, such as a measured time, may differ between two runs)."""

from __future__ import annotations

import re

import pytest
from conftest import make_submission
from test_fairness import ONE_SIDED

from grader.api import GradeRequest
from grader.authoring.mutants import course_mutants
from grader.core import grading
from grader.core.suite import _COLLECTED
from grader.course.catalogue import LESSONS
from grader.course.paths import assignment_dir, course_root

NUMPY_LESSONS = [lesson.id for lesson in LESSONS.values() if not lesson.framework_sized]


def submissions(tmp_path) -> list[tuple[str, str, object]]:
    """``(label, lesson, folder)``: each lesson's reference and stub, every typical bug, the fairness cases."""
    cases = []
    for lesson in NUMPY_LESSONS:
        cases.append((f"{lesson} reference", lesson, make_submission(tmp_path, lesson, name=f"{lesson}-reference")))
        cases.append((f"{lesson} stub", lesson, assignment_dir(lesson)))
    for index, mutant in enumerate(course_mutants(course_root() / "reference", [LESSONS[lesson] for lesson in NUMPY_LESSONS])):
        folder = make_submission(tmp_path, mutant.lesson, name=f"mutant-{index}")
        (folder / mutant.file).write_text(mutant.apply((folder / mutant.file).read_text()))
        cases.append((f"{mutant.lesson} bug {mutant.id}", mutant.lesson, folder))
    for side in (-1.0, 1.0):
        edit = lambda source, side=side: source + f"\nSIDE = {side}\n" + ONE_SIDED  # noqa: E731
        cases.append((f"one-sided derivatives {side:+g}", "activations", make_submission(tmp_path, "activations", edit, name=f"one-sided-{side:+g}")))
    return cases


def outcome(result) -> tuple:
    numbers = re.compile(r"\d+\.\d+(e[-+]?\d+)?")
    tests = [(test.name, test.task, test.status, test.score, test.max_score, numbers.sub("#", test.message)) for test in result.tests]
    return result.status, tests, sorted(result.details)


def test_a_suite_collected_once_grades_every_case_as_a_fresh_run_does(tmp_path, monkeypatch):
    cases = submissions(tmp_path)
    assert len(cases) > 80
    differences = []
    for label, lesson, folder in cases:
        monkeypatch.delenv(grading.FRESH_SUITE_ENV, raising=False)
        collected = grading.run_hidden_checks(GradeRequest(lesson, folder))
        monkeypatch.setenv(grading.FRESH_SUITE_ENV, "1")
        fresh = grading.run_hidden_checks(GradeRequest(lesson, folder))
        if outcome(collected) != outcome(fresh):
            differences.append(label)
    assert differences == [], differences
    assert {key[0].rsplit("/", 2)[-2] for key in _COLLECTED} >= set(NUMPY_LESSONS), "each lesson's suite was collected once and kept"


def test_a_suite_is_collected_once_and_serves_the_next_grading(tmp_path, monkeypatch):
    monkeypatch.delenv(grading.FRESH_SUITE_ENV, raising=False)
    folder = make_submission(tmp_path, "tensors")
    first = grading.run_hidden_checks(GradeRequest("tensors", folder))
    suites = {key: suite for key, suite in _COLLECTED.items() if "/tensors/" in key[0]}
    assert len(suites) == 1
    again = grading.run_hidden_checks(GradeRequest("tensors", folder))
    assert {key: suite for key, suite in _COLLECTED.items() if "/tensors/" in key[0]} == suites, "the same collected suite served the second grading"
    assert outcome(first) == outcome(again)


@pytest.mark.parametrize("broken", ["syntax", "crash"])
def test_a_broken_submission_between_two_correct_ones_changes_nothing_for_the_next(broken, tmp_path, monkeypatch):
    monkeypatch.delenv(grading.FRESH_SUITE_ENV, raising=False)
    good = make_submission(tmp_path, "tensors", name="good")
    edit = (lambda source: source + "\ndef broken(:\n") if broken == "syntax" else (lambda source: "import os\nos._exit(3)\n" + source)
    bad = make_submission(tmp_path, "tensors", edit, name="bad")
    before = grading.run_hidden_checks(GradeRequest("tensors", good))
    failed = grading.run_hidden_checks(GradeRequest("tensors", bad))
    after = grading.run_hidden_checks(GradeRequest("tensors", good))
    assert failed.score == 0 and before.score == after.score == failed.max_score
    assert outcome(before) == outcome(after)
