"""The course catalogue: lesson ids, the files students write, their tasks and points.

A task is a function or class the student writes; its points are shared equally by the hidden
tests marked with that task. The order of ``tasks`` is the order of the student's file.

The model lessons (``fashion_mnist``, ``imdb``) also carry a :class:`ModelSpec`: their data
set, the accuracy tiers between the baseline and the target, and the training budgets.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from grader.errors import RequestError


@dataclass(frozen=True)
class ModelSpec:
    """How a model lesson is graded: train under a budget, score accuracy on the test split.

    ``baseline`` is the test accuracy of the released stub (the lesson's baseline model), which
    earns nothing. ``tiers`` are ``(accuracy, points)`` pairs above it, lowest first, the last
    the target: a test accuracy at or above a tier earns that tier's points (they add up to
    full marks at the target). Training within the budget and valid labels are conditions for
    any points, not points of their own. ``budgets_s[framework][device]`` is the training time
    ``train`` is given, on CPU counted as the sandbox's CPU time divided by its cores (what
    training actually got, so a busy machine costs nobody points), on a GPU on the clock; it is
    stopped at ``budget * (1 + GRACE) + GRACE_S`` (and on CPU at :data:`WALL_FACTOR` times that
    on the clock).
    """

    dataset: str
    classes: tuple[str, ...]
    baseline: float
    tiers: tuple[tuple[float, float], ...]
    budgets_s: dict[str, dict[str, float]]
    #: Seconds ``predict`` may take on the whole test split.
    predict_timeout_s: float = 120.0
    #: ``grade check``'s smoke run: training examples, held-out examples (both from the
    #: training split) and the budget.
    smoke_train: int = 6000
    smoke_holdout: int = 2000
    smoke_budget_s: float = 15.0

    GRACE = 0.1
    GRACE_S = 10.0
    #: On CPU the budget is counted in CPU time; a ``train`` also stops at this many times its
    #: hard limit on the clock (one that sleeps or waits uses no CPU time).
    WALL_FACTOR = 4.0

    @property
    def target(self) -> float:
        """The accuracy that earns full marks (the highest tier)."""
        return self.tiers[-1][0]

    def budget_s(self, framework: str, device: str) -> float:
        """The training budget for ``framework`` ("torch" or "keras") on ``device``."""
        try:
            return float(self.budgets_s[framework][device])
        except KeyError:
            raise ValueError(f"no training budget for framework {framework!r} on device {device!r}") from None

    def hard_limit_s(self, budget_s: float) -> float:
        """When an overrunning ``train`` is stopped: on CPU, in CPU seconds per core of the
        sandbox (its CPU time divided by its cores); on a GPU, on the clock."""
        return budget_s * (1 + self.GRACE) + self.GRACE_S

    def wall_limit_s(self, budget_s: float) -> float:
        """On CPU: how long ``train`` may run on the clock, whatever CPU time it used."""
        return self.WALL_FACTOR * self.hard_limit_s(budget_s)


FRAMEWORKS = ("torch", "keras")


@dataclass(frozen=True)
class Lesson:
    """One lesson of the course (also its nbgrader assignment id and its folder name)."""

    id: str
    title: str
    module: str
    tasks: dict[str, float]
    call_timeout_s: float = 5.0
    test_timeout_s: float = 60.0
    #: Other modules of the student's that the lesson uses (their stubs are released too).
    extra_modules: tuple[str, ...] = field(default=())
    #: Whether the student's code returns objects (classes) that tests drive through handles.
    handles: bool = False
    #: Model lessons only: data set, accuracy tiers, budgets.
    model: ModelSpec | None = None
    #: Modules besides numpy that solutions commonly import: a warm start has them loaded.
    preload: tuple[str, ...] = field(default=())

    @property
    def is_model(self) -> bool:
        """Whether this is a model lesson (trained and scored on a test split)."""
        return self.model is not None

    @property
    def spec(self) -> ModelSpec:
        """The model lesson's :class:`ModelSpec`; ``ValueError`` for a lesson that trains none."""
        if self.model is None:
            raise ValueError(f"lesson '{self.id}' trains no model")
        return self.model

    def budget_s(self, framework: str, device: str) -> float:
        """The model lesson's training budget for ``framework`` on ``device``."""
        return self.spec.budget_s(framework, device)

    @property
    def modules(self) -> list[str]:
        """Every module the student's folder holds, the lesson's own first."""
        return [self.module, *self.extra_modules]

    @property
    def module_files(self) -> tuple[str, ...]:
        """The files of :attr:`modules` (``backprop.py``, ...), read first from a submission."""
        return tuple(f"{module}.py" for module in self.modules)

    @property
    def filename(self) -> str:
        """The file the student writes, e.g. ``activations.py``."""
        return f"{self.module}.py"

    @property
    def max_score(self) -> float:
        """Sum of the points of every task."""
        return float(sum(self.tasks.values()))


class UnknownLesson(RequestError, LookupError):
    """A lesson id that is not in the catalogue."""

    def __init__(self, lesson_id: str):
        close = difflib.get_close_matches(lesson_id, list(LESSONS), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        super().__init__(f"unknown lesson '{lesson_id}'{hint} (grade list shows all lessons)")


_ACTIVATIONS = [
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "softsign", "step",
    "exponential", "swish", "gelu", "mish", "hard_sigmoid", "hard_tanh", "hard_swish",
    "tanhshrink", "softshrink", "hardshrink",
]  # fmt: skip

_LOSSES = [
    "mae", "mse", "msle", "mape", "huber", "log_cosh", "binary_crossentropy",
    "binary_crossentropy_with_logits", "weighted_binary_crossentropy",
    "balanced_binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "softmax_crossentropy_with_logits", "hinge",
    "squared_hinge", "categorical_hinge", "kl_divergence", "poisson", "cosine_similarity",
    "dice_loss", "jaccard_loss",
]  # fmt: skip


def _with_grads(names: list[str]) -> dict[str, float]:
    tasks: dict[str, float] = {}
    for name in names:
        tasks[name] = 1.0
        tasks[f"{name}_grad"] = 1.0
    return tasks


ACTIVATION_NAMES = tuple(_ACTIVATIONS)
LOSS_NAMES = tuple(_LOSSES)

LESSONS: dict[str, Lesson] = {
    lesson.id: lesson
    for lesson in [
        Lesson(
            id="tensors",
            title="Tensors, threshold neurons and linear regression",
            module="tensors",
            tasks={
                "tensor_sum": 1.0,
                "scalar_multiply": 1.0,
                "outer_product": 1.0,
                "tensor_product": 1.0,
                "threshold_neuron": 1.0,
                "and_neuron": 1.0,
                "or_neuron": 1.0,
                "not_neuron": 1.0,
                "xor_network": 2.0,
                "linear_regression_normal": 2.0,
                "linear_regression_gd": 2.0,
            },
        ),
        Lesson(
            id="activations",
            title="Activation functions and their derivatives",
            module="activations",
            tasks={**_with_grads(_ACTIVATIONS), "softmax": 1.0, "log_softmax": 1.0, "softmax_backward": 1.0},
            preload=("scipy.special",),
        ),
        Lesson(
            id="losses",
            title="Loss functions and their gradients",
            module="losses",
            tasks=_with_grads(_LOSSES),
        ),
        Lesson(
            id="backprop",
            title="Backpropagation: scalar autograd, layers, gradient checks",
            module="backprop",
            handles=True,
            tasks={
                "Value": 4.0,
                "frobenius_grad": 1.0,
                "numerical_gradient": 1.0,
                "Dense": 2.0,
                "ReLU": 1.0,
                "Sigmoid": 1.0,
                "Tanh": 1.0,
                "Dropout": 1.0,
                "Sequential": 2.0,
                "SoftmaxCrossEntropy": 1.0,
                "l2_penalty": 0.5,
                "l2_penalty_grad": 0.5,
                "train_xor": 1.0,
            },
        ),
        Lesson(
            id="optimizers",
            title="Optimizers and a minibatch training loop",
            module="optimizers",
            extra_modules=("backprop",),
            handles=True,
            call_timeout_s=30.0,
            tasks={
                "SGD": 2.0,
                "Adagrad": 1.0,
                "RMSprop": 2.0,
                "Adadelta": 1.0,
                "Adam": 2.0,
                "AdamW": 1.0,
                "Adamax": 1.0,
                "NAdam": 1.0,
                "iterate_minibatches": 1.0,
                "fit": 2.0,
            },
        ),
        Lesson(
            id="fashion_mnist",
            title="Improve the Fashion-MNIST model (PyTorch or Keras)",
            module="model",
            handles=True,
            call_timeout_s=120.0,
            tasks={"train": 10.0, "predict": 0.0},
            model=ModelSpec(
                dataset="fashion_mnist",
                classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
                baseline=0.87,
                tiers=((0.88, 3.0), (0.89, 3.0), (0.90, 4.0)),
                budgets_s={"torch": {"cpu": 120.0, "cuda": 60.0}, "keras": {"cpu": 180.0, "cuda": 90.0}},
            ),
        ),
        Lesson(
            id="imdb",
            title="A sentiment classifier for IMDB reviews (PyTorch or Keras)",
            module="model",
            handles=True,
            call_timeout_s=120.0,
            tasks={"train": 10.0, "predict": 0.0},
            model=ModelSpec(
                dataset="imdb",
                classes=("negative", "positive"),
                baseline=0.83,
                tiers=((0.85, 3.0), (0.86, 3.0), (0.87, 4.0)),
                budgets_s={"torch": {"cpu": 60.0, "cuda": 30.0}, "keras": {"cpu": 90.0, "cuda": 45.0}},
                smoke_train=5000,
                smoke_holdout=2000,
            ),
        ),
    ]
}


def get_lesson(lesson_id: str) -> Lesson:
    """The lesson called ``lesson_id``; raises :class:`UnknownLesson` with a suggestion."""
    try:
        return LESSONS[lesson_id]
    except KeyError:
        raise UnknownLesson(lesson_id) from None
