"""The lessons' trusted helpers inside the child process that runs student code.

This file is copied beside the child's runner (``grader/runner/child.py``) and imported there
before any student code (see :func:`grader.session.open_child`); like the runner it depends on
the standard library and numpy alone, never on the ``grader`` package. A hidden check applies
a helper with ``Program.helper(name, ...)`` and hands a function to student code with
``protocol.Function(name)``: :data:`HELPERS` and :data:`FUNCTIONS` are what those names mean.
The grader's own process imports this module too, to compute the expected values with the
very same functions.
"""

import sys

import numpy as np


class PlainSGD:
    """p <- p - lr g in place: the textbook update, to check a training loop apart from the
    student's own optimizers."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self, grads):
        for param, grad in zip(self.params, grads):
            param -= self.lr * grad


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and (when the student's code imported them) torch's and
    TensorFlow's random generators."""
    import random

    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    if "keras" in sys.modules and hasattr(sys.modules["keras"], "utils"):
        sys.modules["keras"].utils.set_random_seed(seed)


def cuda_available() -> bool:
    """Whether the framework the student's code imported sees a CUDA GPU."""
    if "torch" in sys.modules:
        return bool(sys.modules["torch"].cuda.is_available())
    if "tensorflow" in sys.modules:
        return bool(sys.modules["tensorflow"].config.list_physical_devices("GPU"))
    return False


def training_history(trained) -> dict:
    """The per-epoch curves of a trained model, as ``{name: [float, ...]}``: a Keras
    ``History`` (``model.history.history``) or a plain dict in ``model.history``; ``{}`` if none."""
    history = getattr(trained, "history", None)
    history = getattr(history, "history", history)
    if not isinstance(history, dict):
        return {}
    curves = {}
    for name, values in list(history.items())[:8]:
        try:
            curves[str(name)[:40]] = [float(v) for v in list(values)[:1000]]
        except (TypeError, ValueError):
            continue
    return curves


#: Trusted helpers a check may apply in the child: a test double for a training loop, and the
#: model lessons' set-up and inspection of training.
HELPERS = {
    "plain_sgd": PlainSGD,
    "seed_everything": seed_everything,
    "cuda_available": cuda_available,
    "training_history": training_history,
}

#: Scalar functions of an array that the grader may hand to student code (never answers).
FUNCTIONS = {
    "sum_of_squares": lambda x: float(np.sum(x**2)),
    "sum_sin_times_index": lambda x: float(np.sum(np.sin(x) * np.arange(1, x.size + 1).reshape(x.shape))),
    "log_sum_exp": lambda x: float(np.log(np.sum(np.exp(x)))),
    "product_of_cosines": lambda x: float(np.prod(np.cos(x))),
}
