"""The hidden checks of the model lessons: train in the sandbox, score on the test split here.

``train`` runs once per grading, in the student's child process, on the training split with
the lesson's budget for the student's framework and device; an overrun is stopped at the hard
limit (budget plus grace) and graded ``timeout``. On CPU the budget counts the sandbox's CPU
time divided by its cores (what training got, however busy the machine), with a ceiling on
the clock; on a GPU it counts the clock. ``predict`` gets the test inputs only; the
labels stay in this process, which computes the accuracy, the tiers and the confusion matrix.
Python's, numpy's, torch's and TensorFlow's generators are seeded with :data:`SEED` first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pytest

from grader.core.model_lessons import accuracy, confusion_matrix, load_lesson_data, validate_labels
from grader.core.results import DETAILS_PROPERTY, MESSAGE_PROPERTY
from grader.course.catalogue import FRAMEWORKS, get_lesson
from grader.errors import StudentError, StudentTimeout
from grader.kit.checks import CheckFailed
from grader.runner.proxy import Program, RemoteObject

if TYPE_CHECKING:
    from grader.core.request import GradeRequest

SEED = 0
#: Seconds the framework's set-up calls (seeding, the GPU probe) may take.
SETUP_TIMEOUT_S = 60.0
#: Seconds for sending the training split to the child.
TRANSFER_TIMEOUT_S = 120.0


@dataclass
class TrainingRun:
    """Everything one grading measured; ``train_error``/``predict_error`` say what broke."""

    framework: str | None = None
    device: str | None = None
    budget_s: float | None = None
    #: Training time as the budget counts it (on CPU: CPU seconds per core), and on the clock.
    train_seconds: float | None = None
    wall_seconds: float | None = None
    train_error: Exception | None = None
    predict_error: Exception | None = None
    labels: np.ndarray | None = None
    accuracy: float | None = None
    confusion: np.ndarray | None = None
    history: dict = field(default_factory=dict)

    def details(self, classes) -> dict:
        """The result's ``details`` (JSON-able)."""
        details: dict[str, object] = {
            "framework": self.framework,
            "device": self.device,
            "budget_s": self.budget_s,
            "train_seconds": None if self.train_seconds is None else round(self.train_seconds, 2),
            "wall_seconds": None if self.wall_seconds is None else round(self.wall_seconds, 2),
            "accuracy": self.accuracy,
            "classes": list(classes),
        }
        if self.confusion is not None:
            details["confusion_matrix"] = self.confusion.tolist()
        if self.history:
            details["history"] = self.history
        return details


def _single(submission, program: Program, timeout_s: float):
    with submission.time_limit(timeout_s):
        (answer,) = submission.run_program("model", program)
    if isinstance(answer, Exception):
        raise answer
    return answer


def _framework(submission) -> str:
    program = Program()
    program.add("getattr", "FRAMEWORK")
    try:
        framework = _single(submission, program, SETUP_TIMEOUT_S)
    except StudentError as error:
        if error.kind in ("timeout", "crash", "missing_file", "syntax", "import", "exit"):
            raise
        raise StudentError("model.py must set FRAMEWORK = 'torch' or 'keras' at module level", kind="missing") from None
    if framework not in FRAMEWORKS:
        raise StudentError(f"FRAMEWORK must be 'torch' or 'keras', not {framework!r}", kind="type")
    return framework


def _device(submission, asked: str, framework: str) -> str:
    if asked == "cpu":
        return "cpu"
    program = Program()
    program.helper("cuda_available")
    available = bool(_single(submission, program, SETUP_TIMEOUT_S))
    if asked == "cuda" and not available:
        raise StudentError(
            f"--device cuda was asked for, but {framework} in the grading sandbox sees no CUDA GPU", kind="device"
        )
    return "cuda" if available else "cpu"


def run_training(submission, lesson_id: str, request: GradeRequest) -> TrainingRun:
    """Train the student's model and label the test split (see the module docstring)."""
    spec = get_lesson(lesson_id).spec
    x_train, y_train, x_test, y_test = load_lesson_data(spec.dataset, request.data_dir)
    run = TrainingRun()
    try:
        run.framework = _framework(submission)
        run.device = _device(submission, request.device, run.framework)
        run.budget_s = budget_s = spec.budget_s(run.framework, run.device)
        setup = Program()
        setup.helper("seed_everything", SEED)
        _single(submission, setup, SETUP_TIMEOUT_S)
        with submission.time_limit(TRANSFER_TIMEOUT_S):
            inputs = submission.store(x_train, "x_train"), submission.store(y_train, "y_train")
        hard_limit, cores = spec.hard_limit_s(budget_s), submission.limits.threads
        limit = submission.cpu_budget(hard_limit * cores, spec.wall_limit_s(budget_s)) if run.device == "cpu" else submission.time_limit(hard_limit)
        started = time.perf_counter()
        with limit:
            trained = submission.call("model", "train", *inputs, device=run.device, time_budget_s=run.budget_s, seed=SEED).value
        run.wall_seconds = time.perf_counter() - started
        cpu = submission.last_cpu_seconds if run.device == "cpu" else None
        run.train_seconds = cpu / cores if cpu is not None else run.wall_seconds
    except StudentTimeout:
        counted = f"{cores} cores' CPU time, or {spec.wall_limit_s(budget_s):.0f} s on the clock" if run.device == "cpu" else "on the clock"
        run.train_error = StudentTimeout(
            f"train did not return within {hard_limit:.0f} s ({counted}): its budget is {run.budget_s:g} s "
            f"({run.framework}, {run.device}); stop training when time_budget_s is spent"
        )
        return run
    except StudentError as error:
        run.train_error = error
        return run
    if trained is None:
        run.train_error = StudentError("train returned None: it must return the trained model", kind="type")
        return run
    if isinstance(trained, RemoteObject):
        history = Program()
        history.helper("training_history", trained)
        try:
            run.history = _single(submission, history, SETUP_TIMEOUT_S) or {}
        except StudentError:
            run.history = {}
    labelling = Program()
    labelling.call("predict", trained, submission.store(x_test, "x_test"))
    try:
        predicted = _single(submission, labelling, spec.predict_timeout_s)
        run.labels = validate_labels(predicted, len(y_test), len(spec.classes))
    except StudentTimeout:
        run.predict_error = StudentTimeout(f"predict did not label the {len(y_test):,} test examples within {spec.predict_timeout_s:g} s")
        return run
    except (StudentError, CheckFailed) as error:
        run.predict_error = error
        return run
    run.accuracy = round(accuracy(y_test, run.labels), 6)
    run.confusion = confusion_matrix(y_test, run.labels, len(spec.classes))
    return run


def model_tests(lesson_id: str) -> dict:
    """The hidden tests of the model lesson ``lesson_id``, to put in its suite's namespace."""
    spec = get_lesson(lesson_id).spec

    @pytest.fixture(scope="session")
    def training(submission, grade_request) -> TrainingRun:
        return run_training(submission, lesson_id, grade_request)

    @pytest.mark.task("train")
    @pytest.mark.points(0)
    def test_train(training, record_property):
        """train returns a model within its time budget (a condition for any points)"""
        record_property(DETAILS_PROPERTY, training.details(spec.classes))
        if training.train_error is not None:
            raise training.train_error
        counted = f"CPU time per core; {training.wall_seconds:.1f} s on the clock, " if training.device == "cpu" else ""
        record_property(
            MESSAGE_PROPERTY, f"trained in {training.train_seconds:.1f} s of {training.budget_s:g} s ({counted}{training.framework}, {training.device})"
        )

    @pytest.mark.task("predict")
    @pytest.mark.points(0)
    def test_predict(training):
        """predict returns one integer label per test example (a condition for any points)"""
        if training.train_error is not None:
            raise StudentError("not run: train failed (see its check)", kind="skipped")
        if training.predict_error is not None:
            raise training.predict_error

    tiers = [
        pytest.param(threshold, marks=[pytest.mark.task("train"), pytest.mark.points(points)], id=f"{threshold:.2f}")
        for threshold, points in spec.tiers
    ]

    @pytest.mark.parametrize("threshold", tiers)
    def test_accuracy(training, threshold, record_property):
        """test accuracy reaches {threshold}"""
        if training.accuracy is None:
            broken = "train" if training.train_error is not None else "predict"
            raise StudentError(f"no accuracy: {broken} failed (see its check)", kind="skipped")
        where = f"(baseline {spec.baseline:.2f}, target {spec.target:.2f})"
        if training.accuracy < threshold:
            raise CheckFailed(f"test accuracy {training.accuracy:.4f} is below {threshold:.2f} {where}")
        record_property(MESSAGE_PROPERTY, f"test accuracy {training.accuracy:.4f} {where}")

    return {"training": training, "test_train": test_train, "test_predict": test_predict, "test_accuracy": test_accuracy}
