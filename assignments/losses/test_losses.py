"""Public checks of losses.py: each loss on one small batch whose value you can work out by hand,
and each gradient against a finite-difference estimate of your own loss.

Then every property the hidden checks grade, on batches of its own: stable on extreme inputs
(huge errors, probabilities of exactly 0 and 1, zero vectors), a gradient keeps float32, inputs
unchanged, vectorized. Run them with `grade check losses` (or `pytest` in this folder). The
hidden checks test the same properties on other inputs: random batches of several shapes,
non-default parameters, finite differences and larger timed inputs.
"""

import math

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close, assert_inputs_unchanged, assert_vectorized, call_quietly, check_array, check_scalar, directional_derivative

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


BIG = 1e4
#: name: (y_true, y_pred) at the edges of what the loss must handle.
EXTREMES = {
    "mae": (np.array([0.0, BIG, -BIG]), np.array([BIG, -BIG, BIG])),
    "mse": (np.array([0.0, BIG, -BIG]), np.array([BIG, -BIG, BIG])),
    "msle": (np.array([0.0, BIG, 0.0]), np.array([BIG, 0.0, 0.0])),
    "mape": (np.array([1e-3, -BIG, BIG]), np.array([BIG, BIG, -BIG])),
    "huber": (np.array([0.0, BIG, -BIG]), np.array([BIG, -BIG, BIG])),
    "log_cosh": (np.array([0.0, BIG, -BIG]), np.array([BIG, -BIG, BIG])),
    "binary_crossentropy": (np.array([0.0, 1.0, 1.0, 0.0]), np.array([1.0, 0.0, 1.0, 0.0])),
    "binary_crossentropy_with_logits": (np.array([0.0, 1.0, 1.0, 0.0]), np.array([BIG, -BIG, BIG, -BIG])),
    "weighted_binary_crossentropy": (np.array([0.0, 1.0, 1.0, 0.0]), np.array([1.0, 0.0, 1.0, 0.0])),
    "balanced_binary_crossentropy": (np.array([0.0, 1.0, 1.0, 0.0]), np.array([1.0, 0.0, 1.0, 0.0])),
    "categorical_crossentropy": (np.eye(3)[[0, 1]], np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])),
    "sparse_categorical_crossentropy": (np.array([0, 1]), np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])),
    "softmax_crossentropy_with_logits": (np.array([0, 2]), np.array([[BIG, -BIG, 0.0], [-BIG, -BIG, BIG]])),
    "hinge": (np.array([1.0, -1.0]), np.array([-BIG, -BIG])),
    "squared_hinge": (np.array([1.0, -1.0]), np.array([-BIG, -BIG])),
    "categorical_hinge": (np.eye(3)[[0, 1]], np.array([[-BIG, BIG, 0.0], [BIG, -BIG, BIG / 2]])),
    "kl_divergence": (np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]), np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])),
    "poisson": (np.array([0.0, 5.0, BIG]), np.array([0.0, 0.0, BIG])),
    "cosine_similarity": (np.array([[0.0, 0.0, 0.0], [BIG, -BIG, 1.0]]), np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])),
    "dice_loss": (np.zeros((2, 3)), np.zeros((2, 3))),
    "jaccard_loss": (np.zeros((2, 3)), np.zeros((2, 3))),
}
LARGE_ROWS, LARGE = 30_000, np.random.default_rng(0)


def _large(name: str):
    """A batch of 300,000 numbers of the kind ``name`` takes (y_true, y_pred)."""
    y, p, kwargs, _ = CASES[name]
    rows = LARGE_ROWS if p.ndim > 1 else 300_000
    index = LARGE.integers(0, len(p), rows)
    big_y, big_p = y[index], p[index]
    if p.ndim == 3:  # (N, a, b) masks
        big_y, big_p = big_y.reshape(rows, -1)[:, :10], big_p.reshape(rows, -1)[:, :10]
    return big_y, big_p, kwargs


def _float32(y, p):
    """y_true in float32 unless it holds integer labels; y_pred in float32."""
    return (y if y.dtype.kind in "iu" else y.astype(np.float32)), p.astype(np.float32)


@pytest.mark.parametrize("name, task", [pytest.param(n, t, marks=pytest.mark.task(t), id=t) for n in CASES for t in (n, f"{n}_grad")])
def test_properties(name, task, student):
    """{task} is stable on extreme inputs, keeps float32, leaves its inputs unchanged and is vectorized"""
    function = getattr(student, task)
    y, p = EXTREMES[name]
    _, _, kwargs, _ = CASES[name]
    for cast in (lambda y, p: (y, p), _float32):
        call_quietly(function, *cast(y, p), what=f"{task} on extreme inputs ({cast(y, p)[1].dtype})", **kwargs)
    y_small, p_small, _, _ = CASES[name]
    if task.endswith("_grad"):
        check_array(function(*_float32(y_small, p_small), **kwargs), what=f"{task} on float32 y_pred", shape=p_small.shape, dtype=np.float32)
    assert_inputs_unchanged(function, y_small, p_small, what=task, **kwargs)
    big_y, big_p, kwargs = _large(name)
    assert_vectorized(function, big_y, big_p, what=task, baseline=lambda: np.exp(big_p), **kwargs)
