"""Calls sent ahead to a submission's child (:class:`grader.runner.proxy.CallPlan`) grade exactly
as calls sent one by one: every test's name, task, status, points and message over the numpy
lessons' references, stubs, typical bugs and fairness cases; and a crash or a hang inside the
calls sent ahead is charged to the one call that causes it, with its usual message."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_submission
from test_collected_suite import outcome, submissions

from grader.api import GradeRequest
from grader.core import grading
from grader.core.session import SEND_AHEAD_ENV, plan_key
from grader.course.catalogue import get_lesson
from grader.course.paths import assignment_dir
from grader.runner import protocol, proxy, zygote


@pytest.fixture
def answered_ahead(monkeypatch):
    """How many requests each grading answered from calls sent ahead (appended per child stopped)."""
    counts: list[int] = []
    original = proxy.IsolatedSubmission.stop

    def stop(self):
        if self.running:
            counts.append(self.answered_ahead)
        original(self)

    monkeypatch.setattr(proxy.IsolatedSubmission, "stop", stop)
    monkeypatch.setattr(proxy.IsolatedSubmission, "close", stop)
    return counts


def grade_both_ways(monkeypatch, lesson, folder, **request):
    """``(sent ahead, one by one)`` results of grading ``folder``."""
    monkeypatch.delenv(SEND_AHEAD_ENV, raising=False)
    ahead = grading.run_hidden_checks(GradeRequest(lesson, folder, **request))
    monkeypatch.setenv(SEND_AHEAD_ENV, "0")
    alone = grading.run_hidden_checks(GradeRequest(lesson, folder, **request))
    monkeypatch.delenv(SEND_AHEAD_ENV)
    return ahead, alone


def test_calls_sent_ahead_grade_every_case_as_calls_sent_one_by_one(tmp_path, monkeypatch, answered_ahead):
    cases = submissions(tmp_path)
    differences, answered = [], {}
    for label, lesson, folder in cases:
        answered_ahead.clear()
        ahead, alone = grade_both_ways(monkeypatch, lesson, folder)
        answered[label] = answered_ahead[0] if answered_ahead else 0
        if outcome(ahead) != outcome(alone):
            differences.append(label)
    assert differences == [], differences
    most = {lesson: max(count for label, count in answered.items() if label.startswith(lesson)) for lesson in ("activations", "losses")}
    assert min(most.values()) > 100, f"most calls of a numpy lesson went ahead: {most}"


CRASH_IN_TANH = """
import os as _os
_real_tanh = tanh
def tanh(x):
    if getattr(x, "ndim", 0) == 3:
        _os._exit(7)
    return _real_tanh(x)
"""

HANG_IN_TANH = """
_real_tanh = tanh
def tanh(x):
    while getattr(x, "ndim", 0) == 3:
        pass
    return _real_tanh(x)
"""


def a_plan_for(tmp_path, lesson: str):
    """The folder of ``lesson``'s reference, graded twice so that this process has a plan
    (what the two were asked) and, where children are forked, its zygote keeps it."""
    reference = make_submission(tmp_path, lesson, name="reference")
    for _ in range(2):
        grading.run_hidden_checks(GradeRequest(lesson, reference))
    assert len(proxy._PLANS[lesson].requests) > 100
    return reference


@pytest.mark.parametrize("fault", ["crash", "hang"])
def test_a_crash_or_a_hang_among_calls_sent_ahead_is_charged_to_the_call_that_causes_it(fault, tmp_path, monkeypatch, answered_ahead):
    reference = a_plan_for(tmp_path, "activations")
    body = CRASH_IN_TANH if fault == "crash" else HANG_IN_TANH
    faulty = make_submission(tmp_path, "activations", lambda source: source + body, name=fault)
    answered_ahead.clear()
    ahead, alone = grade_both_ways(monkeypatch, "activations", faulty, call_timeout_s=2.0)
    assert answered_ahead[0] == 0, "the plan failed: a fresh child, every call alone"
    assert outcome(ahead) == outcome(alone)
    lost = {test.name: test.status for test in ahead.tests if test.status != "passed"}
    assert "tanh matches the reference on random inputs" in lost and all(name.startswith("tanh ") for name in lost), lost
    assert {"crash": "error", "hang": "timeout"}[fault] in lost.values()
    again = grading.run_hidden_checks(GradeRequest("activations", reference))
    assert again.score == again.max_score, "the next submission is graded in full"


def test_only_lessons_of_plain_functions_send_calls_ahead(monkeypatch):
    assert plan_key(get_lesson("activations")) == "activations"
    assert plan_key(get_lesson("backprop")) is None, "objects kept in the child: a call sent ahead could change their state"
    assert plan_key(get_lesson("fashion_mnist")) is None
    monkeypatch.setenv(SEND_AHEAD_ENV, "0")
    assert plan_key(get_lesson("activations")) is None


FORGED_REPLIES = """
import __main__

def _forged(modules, requests, blobs, out_blobs):
    return {"replies": [None] * len(requests), "blobs": [[0, 0]] * len(requests)}

__main__.run_many = _forged
"""


def test_replies_forged_by_student_code_to_calls_sent_ahead_cost_the_submission_nothing(tmp_path, monkeypatch, answered_ahead):
    a_plan_for(tmp_path, "activations")
    forger = make_submission(tmp_path, "activations", lambda source: source + FORGED_REPLIES, name="forger")
    answered_ahead.clear()
    ahead, alone = grade_both_ways(monkeypatch, "activations", forger)
    assert answered_ahead[0] == 0 and ahead.status == "graded" and ahead.score == ahead.max_score, ahead.message
    assert outcome(ahead) == outcome(alone)


def test_a_process_first_grading_makes_the_plan_of_its_second(tmp_path, monkeypatch, answered_ahead):
    """A batch worker's second submission already gets calls sent ahead (what its first
    child was asked); the next ones, what the last two were asked."""
    monkeypatch.setattr(proxy, "_PLANS", {})
    monkeypatch.setattr(proxy, "_LAST_RECORDED", {})
    reference = make_submission(tmp_path, "losses", name="reference")
    first = grading.run_hidden_checks(GradeRequest("losses", reference))
    second = grading.run_hidden_checks(GradeRequest("losses", reference))
    assert answered_ahead[0] == 0 and answered_ahead[-1] > 100
    assert outcome(first) == outcome(second)


def test_a_check_failing_early_leaves_the_rest_of_the_plan_to_the_other_checks(tmp_path, monkeypatch, answered_ahead):
    """A bug in the first function graded stops its checks at their first call; every other
    check's calls are still answered from the plan, whatever their order, and the submission
    after it gets the whole plan again (the stub in between asked less)."""
    reference = a_plan_for(tmp_path, "losses")
    planned = len(proxy._PLANS["losses"].requests)
    mean, total = "return float(np.mean((y_true - y_pred) ** 2))", "return float(np.sum((y_true - y_pred) ** 2))"
    buggy = make_submission(tmp_path, "losses", lambda source: source.replace(mean, total), name="mse-bug")
    answered_ahead.clear()
    ahead, alone = grade_both_ways(monkeypatch, "losses", buggy)
    assert outcome(ahead) == outcome(alone)
    assert any(test.status != "passed" and test.task == "mse" for test in ahead.tests)
    assert answered_ahead[0] > planned - 10, f"{answered_ahead[0]} of {planned} planned requests answered ahead"
    answered_ahead.clear()
    grading.run_hidden_checks(GradeRequest("losses", assignment_dir("losses")))
    after = grading.run_hidden_checks(GradeRequest("losses", reference))
    assert after.score == after.max_score and answered_ahead[-1] >= planned - 10, answered_ahead


def _needs_zygotes() -> None:
    if not zygote.enabled():
        pytest.skip("warm starts need children that run as their own user in a sandbox (root, with bubblewrap or namespaces)")


def test_a_zygote_keeps_the_plan_for_the_children_it_forks(tmp_path, monkeypatch, answered_ahead):
    """Where children are forked from a zygote, it keeps the plan: a child is sent only
    ``many`` with ``kept``, not the plan's requests and arrays, and grades the same."""
    _needs_zygotes()
    reference = a_plan_for(tmp_path, "losses")
    sent = []
    original = protocol.write_message

    def write_message(stream, header, blobs):
        if header.get("op") == "many":
            sent.append(("kept" if header.get("kept") else "requests", len(blobs)))
        original(stream, header, blobs)

    monkeypatch.setattr(protocol, "write_message", write_message)
    answered_ahead.clear()
    result = grading.run_hidden_checks(GradeRequest("losses", reference))
    assert sent == [("kept", 0)], sent
    assert result.score == result.max_score and answered_ahead[-1] > 100


def _planned(text: str, *arrays) -> proxy.PlannedRequest:
    return proxy.PlannedRequest(text, {"op": "call", "name": text}, list(arrays))


def test_a_plan_is_a_multiset_answered_in_any_order():
    twice, other = _planned("f(1)"), _planned("g(x)", np.arange(3))
    plan = proxy.CallPlan([twice, other, _planned("f(1)")])
    used: set[int] = set()
    assert plan.find("g(x)", [np.arange(3.0)], used) is None, "the same JSON with other arrays (here another dtype) is another request"
    assert plan.find("g(x)", [np.arange(3)], used) == 1
    for _ in range(2):
        used.add(plan.find("f(1)", [], used))
    assert used == {0, 2} and plan.find("f(1)", [], used) is None, "a request planned twice answers twice, not a third time"


def test_a_new_plan_is_what_the_last_child_was_asked_with_what_the_one_before_asked_more():
    latest = [_planned("f(1)"), _planned("g(2)")]
    previous = [latest[0], _planned("f(1)"), _planned("h(3)")]
    assert [planned.text for planned in proxy._with_extras(latest, previous)] == ["f(1)", "g(2)", "f(1)", "h(3)"]


def test_calls_on_inputs_stored_in_the_child_are_never_planned(tmp_path, monkeypatch):
    """A stored input lives in one child; the next one, sent the plan, would not have it."""
    monkeypatch.setattr(proxy, "_PLANS", {})
    monkeypatch.setattr(proxy, "_LAST_RECORDED", {})
    (tmp_path / "twice.py").write_text("def double(x):\n    return x * 2\n")
    for _ in range(2):
        with proxy.IsolatedSubmission(tmp_path, ["twice"], plan_key="stored-inputs") as child:
            stored = child.store(np.arange(3))
            assert child.call("twice", "double", stored).value.tolist() == [0, 2, 4]
            assert child.call("twice", "double", 5).value == 10
    assert [planned.request["args"] for planned in proxy._PLANS["stored-inputs"].requests] == [{"__list__": [5]}]


def test_a_child_started_afresh_when_its_zygote_cannot_fork_holds_nothing_the_zygote_held(tmp_path, monkeypatch):
    """The zygote keeps the named speed inputs and the plan; a child started the usual way
    (the zygote failed to fork) is sent both, and the submission loses nothing."""
    _needs_zygotes()
    reference = a_plan_for(tmp_path, "losses")

    def fail(*args, **kwargs):
        raise zygote.ZygoteFailed("the zygote did not answer")

    monkeypatch.setattr(zygote.Zygote, "fork", fail)
    for send_ahead in ("0", "1"):  # without a plan, and with one (a child that lacks it is replaced)
        monkeypatch.setenv(SEND_AHEAD_ENV, send_ahead)
        result = grading.run_hidden_checks(GradeRequest("losses", reference))
        assert result.score == result.max_score, [(test.name, test.message) for test in result.tests if test.status != "passed"]
