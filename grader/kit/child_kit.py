"""The engine's trusted helpers inside the child process that runs student code.

This file is copied beside the child's runner (``grader/runner/child.py``) and imported there
before any student code (see :func:`grader.core.session.open_child`), with the lesson's own
``hidden/child_helpers.py`` where it has one; like the runner it depends on the standard
library and numpy alone, never on the ``grader`` package. A hidden check applies a helper with
``Program.helper(name, ...)``: :data:`HELPERS` is what those names mean. These are the model
lessons' set-up and inspection of training; a lesson's own helpers (a test double, functions
handed to student code) live in its folder.
"""

import sys

import numpy as np


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


#: Trusted helpers a check may apply in the child: the model lessons' set-up and inspection of training.
HELPERS = {
    "seed_everything": seed_everything,
    "cuda_available": cuda_available,
    "training_history": training_history,
}
