"""Public checks of losses.py: each loss on one small batch whose value you can work out by hand,
and each gradient against a finite-difference estimate of your own loss.

Run them with `grade check losses` (or `pytest` in this folder). The hidden checks also test
random batches of several shapes, float32, extreme inputs, in-place changes and speed.
"""

import math

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close, check_array, check_scalar, directional_derivative

Y = np.array([1.0, 0.0, 2.0, 0.5])
P = np.array([0.5, 0.5, 1.0, 1.0])
LABELS = np.array([0.0, 1.0, 1.0])
PROBS = np.array([0.2, 0.9, 0.6])
SIGNS = np.array([1.0, -1.0, 1.0])
MARGINS = np.array([0.3, 0.4, 2.0])
ONE_HOT = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
DIST = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
INTS = np.array([0, 1])
MASK = np.array([[[1.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 0.0]]])
SOFT = np.array([[[0.9, 0.2], [0.6, 0.8]], [[0.1, 0.3], [0.7, 0.2]]])


def _bce(y, p, w1=1.0, w0=1.0):
    return float(np.mean(-(w1 * y * np.log(p) + w0 * (1 - y) * np.log(1 - p))))


# name: (y_true, y_pred, keyword arguments, expected loss)
CASES = {
    "mae": (Y, P, {}, (0.5 + 0.5 + 1.0 + 0.5) / 4),
    "mse": (Y, P, {}, (0.25 + 0.25 + 1.0 + 0.25) / 4),
    "msle": (Y, P, {}, float(np.mean((np.log1p(Y) - np.log1p(P)) ** 2))),
    "mape": (np.array([2.0, -4.0]), np.array([1.0, -3.0]), {}, 100 * (0.5 + 0.25) / 2),
    "huber": (np.array([0.0, 0.0]), np.array([0.5, 3.0]), {}, (0.125 + (3.0 - 0.5)) / 2),
    "log_cosh": (np.array([0.0, 1.0]), np.array([1.0, 1.0]), {}, math.log(math.cosh(1.0)) / 2),
    "binary_crossentropy": (LABELS, PROBS, {}, _bce(LABELS, PROBS)),
    "binary_crossentropy_with_logits": (LABELS, np.array([0.0, 2.0, -1.0]), {}, _bce(LABELS, 1 / (1 + np.exp(-np.array([0.0, 2.0, -1.0]))))),
    "weighted_binary_crossentropy": (LABELS, PROBS, {"beta": 2.0}, _bce(LABELS, PROBS, w1=2.0)),
    "balanced_binary_crossentropy": (LABELS, PROBS, {"beta": 0.25}, _bce(LABELS, PROBS, w1=0.25, w0=0.75)),
    "categorical_crossentropy": (ONE_HOT, DIST, {}, -(math.log(0.7) + math.log(0.3)) / 2),
    "sparse_categorical_crossentropy": (INTS, DIST, {}, -(math.log(0.7) + math.log(0.3)) / 2),
    "softmax_crossentropy_with_logits": (INTS, np.log(DIST), {}, -(math.log(0.7) + math.log(0.3)) / 2),
    "hinge": (SIGNS, MARGINS, {}, (0.7 + 1.4 + 0.0) / 3),
    "squared_hinge": (SIGNS, MARGINS, {}, (0.49 + 1.96 + 0.0) / 3),
    "categorical_hinge": (ONE_HOT, DIST, {}, (max(0, 1 + 0.2 - 0.7) + max(0, 1 + 0.6 - 0.3)) / 2),
    "kl_divergence": (np.array([0.5, 0.5]), np.array([0.25, 0.75]), {}, 0.5 * math.log(2) + 0.5 * math.log(2 / 3)),
    "poisson": (np.array([1.0, 2.0]), np.array([1.0, 4.0]), {}, float(np.mean([1.0 - math.log(1.0 + 1e-7), 4.0 - 2 * math.log(4.0 + 1e-7)]))),
    "cosine_similarity": (np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[1.0, 1.0], [0.0, 3.0]]), {}, -(1 / math.sqrt(2) + 1.0) / 2),
    "dice_loss": (MASK, SOFT, {}, float(np.mean([1 - (2 * 2.3 + 1) / (3 + 2.5 + 1), 1 - (2 * 0.7 + 1) / (1 + 1.3 + 1)]))),
    "jaccard_loss": (MASK, SOFT, {}, float(np.mean([1 - (2.3 + 1) / (3 + 2.5 - 2.3 + 1), 1 - (0.7 + 1) / (1 + 1.3 - 0.7 + 1)]))),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.task(n), id=n) for n in CASES])
def test_known_value(name, student):
    """{name} gives the value worked out by hand on a small batch"""
    y, p, kwargs, expected = CASES[name]
    got = check_scalar(getattr(student, name)(y, p, **kwargs), what=name)
    assert_close(got, expected, what=name, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.task(f"{n}_grad"), id=n) for n in CASES])
def test_gradient_matches_your_loss(name, student):
    """{name}_grad matches finite differences of your {name} along random directions"""
    y, p, kwargs, _ = CASES[name]
    got = check_array(getattr(student, f"{name}_grad")(y, p, **kwargs), what=f"{name}_grad", shape=p.shape)
    rng = np.random.default_rng(0)
    for k in range(3):
        direction = rng.normal(size=p.shape)
        expected = directional_derivative(lambda q: getattr(student, name)(y, q, **kwargs), p, direction)
        along = float(np.sum(got * direction))
        if abs(along - expected) > 1e-6 + 1e-4 * abs(expected):
            raise CheckFailed(f"{name}_grad . d = {along:.6g} along a random direction d, but finite differences of your {name} give {expected:.6g}")
