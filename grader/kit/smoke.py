"""``grade check`` for a model lesson: a quick smoke run of the student's ``model.py``.

It trains on a slice of the training split under a small budget and labels a held-out part of
the same split (the test split is not used), in the student's own process, so that within
well under a minute the student knows whether the interface works and roughly where the
accuracy stands. The hidden grading trains on the whole training split with the real budget.
"""

from __future__ import annotations

import time

import pytest

from grader.core.model_lessons import accuracy, load_lesson_data, smoke_split, validate_labels
from grader.core.results import MESSAGE_PROPERTY
from grader.course.catalogue import FRAMEWORKS, get_lesson
from grader.kit.checks import CheckFailed

SEED = 0


def smoke_tests(lesson_id: str) -> dict:
    """The public checks of the model lesson ``lesson_id``, to put in a test module's namespace."""
    spec = get_lesson(lesson_id).spec
    outcome: dict = {}

    @pytest.fixture(scope="module")
    def smoke_data(grade_request):
        x_train, y_train, _, _ = load_lesson_data(spec.dataset, grade_request.data_dir)
        return smoke_split(spec, x_train, y_train, SEED)

    @pytest.mark.task("train")
    def test_framework(student):
        """model.py sets FRAMEWORK to 'torch' or 'keras'"""
        framework = getattr(student, "FRAMEWORK", None)
        if framework not in FRAMEWORKS:
            raise CheckFailed(f"model.py must set FRAMEWORK = 'torch' or 'keras' (found {framework!r})")

    @pytest.mark.task("train")
    def test_smoke_train(student, smoke_data, record_property):
        """train returns a model within a small budget (smoke run)"""
        x_small, y_small, _, _ = smoke_data
        started = time.perf_counter()
        model = student.train(x_small, y_small, device="cpu", time_budget_s=spec.smoke_budget_s, seed=SEED)
        seconds = time.perf_counter() - started
        if model is None:
            raise CheckFailed("train returned None: it must return the trained model")
        outcome["model"] = model
        if seconds > spec.hard_limit_s(spec.smoke_budget_s):
            raise CheckFailed(
                f"train took {seconds:.1f} s for a budget of {spec.smoke_budget_s:g} s: stop training when "
                "time_budget_s is spent (grading stops an overrunning train and scores it 0)"
            )
        if seconds > spec.smoke_budget_s:
            said = (
                f"trained on {len(y_small):,} examples in {seconds:.1f} s: over its {spec.smoke_budget_s:g} s budget, within the grace "
                f"grading allows ({spec.hard_limit_s(spec.smoke_budget_s):.1f} s); stop training when time_budget_s is spent"
            )
        else:
            said = f"trained on {len(y_small):,} examples in {seconds:.1f} s (budget {spec.smoke_budget_s:g} s)"
        record_property(MESSAGE_PROPERTY, said)

    @pytest.mark.task("predict")
    def test_smoke_predict(student, smoke_data, record_property):
        """predict labels held-out examples of the training split (smoke run)"""
        _, _, x_holdout, y_holdout = smoke_data
        if "model" not in outcome:
            raise CheckFailed("not run: train failed (see its check)")
        labels = validate_labels(student.predict(outcome["model"], x_holdout), len(y_holdout), len(spec.classes))
        record_property(
            MESSAGE_PROPERTY,
            f"held-out accuracy {accuracy(y_holdout, labels):.3f} after a {spec.smoke_budget_s:g} s smoke run "
            f"(graded: full training split, {lesson_budgets(spec)}; baseline {spec.baseline:.2f}, full marks from {spec.target:.2f})",
        )

    return {"smoke_data": smoke_data, "test_framework": test_framework, "test_smoke_train": test_smoke_train, "test_smoke_predict": test_smoke_predict}


def lesson_budgets(spec) -> str:
    """The training budgets on CPU, in words."""
    return ", ".join(f"{framework} {spec.budget_s(framework, 'cpu'):g} s" for framework in FRAMEWORKS) + " on CPU"
