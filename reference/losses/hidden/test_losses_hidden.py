"""Hidden checks of ``losses.py``.

Per loss: value against the reference on random batches (several shapes, float32 and float64,
default and non-default parameters; rtol/atol 1e-6/1e-9 in float64, 2e-4/1e-5 in float32), a
Python float returned, stability on extreme inputs, inputs not modified, vectorized (8x the
reference's time on 3e5 elements plus 5 ms). Per gradient: values against the reference,
central differences of the reference loss (h = 1e-6, rtol 1e-5, atol 1e-7, away from kinks and
clip boundaries), y_pred's dtype and shape kept, stability, inputs unchanged, vectorized.
Losses are defined on batches, so 0-d and empty inputs are not part of their contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from grader.checks import assert_close, check_array
from grader.kit.numeric import (
    FLOAT_DTYPES,
    Case,
    check_cases,
    check_dtype_kept,
    check_stable,
    check_unchanged,
    check_vectorized,
    numerical_gradient,
    once,
    rng_for,
)
from grader.kit import this_lesson
from grader.plugin import task_param

FD = {"eps": 1e-6, "rtol": 1e-5, "atol": 1e-7}


def _probabilities(rng, shape):
    logits = rng.normal(size=shape)
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _labels(rng, n, k):
    return rng.integers(0, k, size=n)


def _one_hot(labels, k):
    return np.eye(k)[labels]


def make_batch(kind: str, rng: np.random.Generator, shape: tuple, delta: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Random (y_true, y_pred) of ``kind`` in float64, away from the loss's kinks."""
    if kind == "regression":
        y = rng.uniform(-3, 3, shape)
        gap = rng.uniform(0.05, 3, shape) * rng.choice([-1.0, 1.0], shape)
        gap = np.where(np.abs(np.abs(gap) - delta) < 0.05, gap * 1.2, gap)
        return y, y + gap
    if kind == "positive":
        return rng.uniform(0, 5, shape), rng.uniform(0.1, 5, shape)
    if kind == "counts":
        return rng.integers(0, 6, shape).astype(float), rng.uniform(0.2, 5, shape)
    if kind == "nonzero":
        return rng.uniform(0.5, 3, shape) * rng.choice([-1.0, 1.0], shape), rng.uniform(-3, 3, shape)
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(float), rng.uniform(0.05, 0.95, shape)
    if kind == "logits":
        return rng.integers(0, 2, shape).astype(float), rng.uniform(-5, 5, shape)
    if kind == "signs":
        y = rng.choice([-1.0, 1.0], shape)
        margin = rng.uniform(-1, 3, shape)
        margin = np.where(np.abs(margin - 1) < 0.05, margin + 0.1, margin)
        return y, margin * y
    if kind in ("onehot", "sparse"):
        n, k = shape
        labels = _labels(rng, n, k)
        y = _one_hot(labels, k) if kind == "onehot" else labels
        return y, _probabilities(rng, shape)
    if kind == "onehot_scores":
        n, k = shape
        return _one_hot(_labels(rng, n, k), k), rng.permuted(np.tile(np.linspace(-2, 2, k), (n, 1)), axis=-1)
    if kind == "sparse_logits":
        n, k = shape
        return _labels(rng, n, k), rng.normal(0, 3, shape)
    if kind == "distributions":
        return _probabilities(rng, shape), _probabilities(rng, shape)
    if kind == "vectors":
        return rng.normal(size=shape), rng.normal(size=shape)
    if kind == "masks":
        return rng.integers(0, 2, shape).astype(float), rng.uniform(0.05, 0.95, shape)
    raise ValueError(kind)


def extreme_batch(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs at the edges: huge errors, probabilities of exactly 0 and 1, zero vectors."""
    big = 1e4
    if kind == "regression":
        return np.array([0.0, big, -big, 5.0, 0.0]), np.array([big, -big, big, 5.0, -big])
    if kind == "positive":
        return np.array([0.0, big, 0.0, 3.0]), np.array([big, 0.0, 0.0, 3.0])
    if kind == "counts":
        return np.array([0.0, 5.0, 3.0, big]), np.array([0.0, 0.0, big, big])
    if kind == "nonzero":
        return np.array([1e-3, -big, big, 2.0]), np.array([big, big, -big, 2.0])
    if kind in ("binary", "masks"):
        y, p = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0]), np.array([1.0, 0.0, 1.0, 0.0, 1e-12, 1 - 1e-12])
        return (y.reshape(2, 3), p.reshape(2, 3)) if kind == "masks" else (y, p)
    if kind == "logits":
        return np.array([0.0, 1.0, 1.0, 0.0, 1.0]), np.array([big, -big, big, -big, 0.0])
    if kind == "signs":
        return np.array([1.0, -1.0, 1.0, -1.0]), np.array([-big, big, big, -big])
    if kind in ("onehot", "sparse"):
        labels = np.array([0, 1, 2])
        p = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
        return (_one_hot(labels, 3) if kind == "onehot" else labels), p
    if kind == "onehot_scores":
        return _one_hot(np.array([0, 1]), 3), np.array([[-big, big, 0.0], [big, -big, big / 2]])
    if kind == "sparse_logits":
        return np.array([0, 1, 2]), np.array([[big, -big, 0.0], [big, -big, 0.0], [-big, -big, big]])
    if kind == "distributions":
        return np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]), np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    if kind == "vectors":
        return np.array([[0.0, 0.0, 0.0], [big, -big, 1.0]]), np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    raise ValueError(kind)


@dataclass(frozen=True)
class Spec:
    """How to exercise one loss: its kind of batch, batch shapes and parameter sets."""

    kind: str
    shapes: tuple = ((7,), (4, 3))
    params: tuple = ({},)


SPECS = {
    "mae": Spec("regression"),
    "mse": Spec("regression"),
    "msle": Spec("positive"),
    "mape": Spec("nonzero"),
    "huber": Spec("regression", params=({}, {"delta": 2.0})),
    "log_cosh": Spec("regression"),
    "binary_crossentropy": Spec("binary"),
    "binary_crossentropy_with_logits": Spec("logits"),
    "weighted_binary_crossentropy": Spec("binary", params=({"beta": 2.0}, {"beta": 0.5})),
    "balanced_binary_crossentropy": Spec("binary", params=({"beta": 0.3}, {"beta": 0.8})),
    "categorical_crossentropy": Spec("onehot", shapes=((5, 3), (8, 4))),
    "sparse_categorical_crossentropy": Spec("sparse", shapes=((5, 3), (8, 4))),
    "softmax_crossentropy_with_logits": Spec("sparse_logits", shapes=((5, 3), (8, 4))),
    "hinge": Spec("signs"),
    "squared_hinge": Spec("signs"),
    "categorical_hinge": Spec("onehot_scores", shapes=((5, 3), (8, 4))),
    "kl_divergence": Spec("distributions", shapes=((5, 3), (6,))),
    "poisson": Spec("counts"),
    "cosine_similarity": Spec("vectors", shapes=((5, 3), (6,))),
    "dice_loss": Spec("masks", shapes=((3, 4, 5), (2, 6)), params=({}, {"smooth": 0.5})),
    "jaccard_loss": Spec("masks", shapes=((3, 4, 5), (2, 6)), params=({}, {"smooth": 0.5})),
}
#: The losses, each a task with its gradient task ``<name>_grad``.
LOSS_NAMES = [task for task in this_lesson(__file__).tasks if not task.endswith("_grad")]
GRADS = [f"{name}_grad" for name in LOSS_NAMES]
ALL = list(LOSS_NAMES) + GRADS
LARGE_SHAPE = {"onehot": (30_000, 10), "sparse": (30_000, 10), "sparse_logits": (30_000, 10), "onehot_scores": (30_000, 10),
               "distributions": (30_000, 10), "vectors": (30_000, 10), "masks": (3000, 10, 10)}  # fmt: skip


def spec_of(name: str) -> Spec:
    return SPECS[name.removesuffix("_grad")]


def cast(y, p, dtype):
    """y_true in ``dtype`` unless it holds integer labels; y_pred in ``dtype``."""
    return (y if y.dtype.kind in "iu" else y.astype(dtype)), p.astype(dtype)


def as64(y, p):
    return cast(y, p, np.float64)


def batch(name, shape, dtype, params, key="values"):
    delta = params.get("delta", 1.0)
    return cast(*make_batch(spec_of(name).kind, rng_for(key, name, shape), shape, delta), dtype)


def _label(name, params, dtype, shape):
    args = f"({', '.join(f'{k}={v}' for k, v in params.items())})" if params else ""
    return f"{name}{args} on {np.dtype(dtype)} y_pred of shape {shape}"


@pytest.mark.parametrize("name", [task_param(name) for name in ALL])
def test_values(name, student, reference):
    """{name} matches the reference on random batches"""

    def build():
        cases = []
        for params in spec_of(name).params:
            for dtype in FLOAT_DTYPES:
                for shape in spec_of(name).shapes:
                    y, p = batch(name, shape, dtype, params)
                    expected = getattr(reference, name)(*as64(y, p), **params)
                    cases.append(Case(name, (y, p), expected, params, dtype, {"y_true": y, "y_pred": p}, _label(name, params, dtype, shape)))
        return cases

    check_cases(student, once(__name__, "values", name, build=build), scalar=not name.endswith("_grad"))


@pytest.mark.parametrize("name", [task_param(name) for name in GRADS])
def test_finite_differences(name, student, reference):
    """{name} matches finite differences of the loss"""
    base = name.removesuffix("_grad")

    def build():
        points = []
        for params in spec_of(name).params:
            for shape in spec_of(name).shapes:
                y, p = batch(name, shape, np.float64, params, key="fd")
                points.append((params, shape, y, p, numerical_gradient(lambda q: getattr(reference, base)(y, q, **params), p, FD["eps"])))
        return points

    for params, shape, y, p, expected in once(__name__, "fd", name, build=build):
        got = check_array(student.call(name, y, p, **params).value, what=name, shape=p.shape)
        assert_close(got, expected, what=_label(name, params, np.float64, shape), rtol=FD["rtol"], atol=FD["atol"], inputs={"y_true": y, "y_pred": p})


@pytest.mark.parametrize("name", [task_param(name) for name in GRADS])
def test_dtype_and_shape(name, student, reference):
    """{name} keeps y_pred's dtype and shape"""
    params = spec_of(name).params[0]

    def build():
        cases = []
        for dtype in FLOAT_DTYPES:
            shape = spec_of(name).shapes[-1]
            y, p = batch(name, shape, dtype, params, key="dtype")
            cases.append(Case(name, (y, p), getattr(reference, name)(*as64(y, p), **params), params, dtype, shape=shape))
        return cases

    check_dtype_kept(student, once(__name__, "dtype", name, build=build))


@pytest.mark.parametrize("name", [task_param(name) for name in ALL])
def test_stability(name, student, reference):
    """{name} is finite and warning-free on extreme inputs"""
    params = spec_of(name).params[0]

    def build():
        cases = []
        for dtype in FLOAT_DTYPES:
            y, p = cast(*extreme_batch(spec_of(name).kind), dtype)
            # Clipping to 1 - EPS is coarser in float32 (0.99999988) than in float64: a float32
            # input may be clipped in its own dtype or after a cast to float64; both are right.
            expected = getattr(reference, name)(y, p, **params)
            in_float64 = (getattr(reference, name)(*as64(y, p), **params),) if dtype != np.float64 else ()
            cases.append(Case(name, (y, p), expected, params, dtype, inputs={"y_true": y, "y_pred": p}, alternatives=in_float64))
        return cases

    check_stable(student, once(__name__, "stability", name, build=build), scalar=not name.endswith("_grad"))


@pytest.mark.parametrize("name", [task_param(name) for name in ALL])
def test_inputs_unchanged(name, student, reference):
    """{name} leaves y_true and y_pred unchanged"""
    params = spec_of(name).params[0]
    y, p = batch(name, spec_of(name).shapes[-1], np.float64, params, key="unchanged")
    expected = getattr(reference, name)(y.copy(), p.copy(), **params)
    check_unchanged(student, name, (y, p), params, names=["y_true", "y_pred"], expected=expected)


@pytest.mark.parametrize("name", [task_param(name) for name in ALL])
def test_vectorized(name, student, reference):
    """{name} is vectorized (no Python loop over examples)"""
    params = spec_of(name).params[0]
    kind = spec_of(name).kind
    if kind not in _LARGE:
        _LARGE[kind] = as64(*make_batch(kind, rng_for("speed", kind), LARGE_SHAPE.get(kind, (300_000,))))
    check_vectorized(student, getattr(reference, name), name, _LARGE[kind], params, input_name=f"large-{kind}")


_LARGE: dict = {}
