"""Public checks of activations.py: a few known values per function, and every property the
hidden checks grade (stable for |x| up to 1e4, float32 kept, input unchanged, vectorized), each
on inputs of its own.

Run them with `grade check activations` (or `pytest` in this folder). The hidden checks test
the same properties on other inputs: random ones of every shape from 0-d to 3-d, non-default
parameters, finite differences and larger timed inputs.
"""

import math

import numpy as np
import pytest

from grader.checks import assert_close, assert_inputs_unchanged, assert_vectorized, call_quietly, check_array

POINTS = [-2.5, -0.7, 0.3, 1.9]


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def _phi(v):
    return 0.5 * (1 + math.erf(v / math.sqrt(2)))


# name: (f, f') written with `math` one number at a time; your version must work on arrays.
SCALAR = {
    "sigmoid": (_sigmoid, lambda v: _sigmoid(v) * (1 - _sigmoid(v))),
    "tanh": (math.tanh, lambda v: 1 - math.tanh(v) ** 2),
    "relu": (lambda v: max(0.0, v), lambda v: float(v > 0)),
    "leaky_relu": (lambda v: v if v >= 0 else 0.01 * v, lambda v: 1.0 if v >= 0 else 0.01),
    "elu": (lambda v: v if v > 0 else math.exp(v) - 1, lambda v: 1.0 if v > 0 else math.exp(v)),
    "softplus": (lambda v: math.log1p(math.exp(v)), _sigmoid),
    "softsign": (lambda v: v / (1 + abs(v)), lambda v: 1 / (1 + abs(v)) ** 2),
    "step": (lambda v: float(v >= 0), lambda v: 0.0),
    "exponential": (math.exp, math.exp),
    "swish": (lambda v: v * _sigmoid(v), lambda v: _sigmoid(v) * (1 + v * (1 - _sigmoid(v)))),
    "gelu": (lambda v: v * _phi(v), lambda v: _phi(v) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi)),
    "hard_sigmoid": (lambda v: min(1.0, max(0.0, v / 6 + 0.5)), lambda v: 1 / 6 if -3 < v < 3 else 0.0),
    "hard_tanh": (lambda v: min(1.0, max(-1.0, v)), lambda v: float(-1 < v < 1)),
    "tanhshrink": (lambda v: v - math.tanh(v), lambda v: math.tanh(v) ** 2),
    "softshrink": (lambda v: v - 0.5 if v > 0.5 else (v + 0.5 if v < -0.5 else 0.0), lambda v: float(abs(v) > 0.5)),
    "hardshrink": (lambda v: v if abs(v) > 0.5 else 0.0, lambda v: float(abs(v) > 0.5)),
}
TOL = {"rtol": 1e-6, "atol": 1e-9}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.task(n), id=n) for n in SCALAR])
def test_known_values(name, student):
    """{name} gives the textbook values at a few points"""
    x = np.array(POINTS)
    expected = [SCALAR[name][0](v) for v in POINTS]
    got = check_array(getattr(student, name)(x), what=name, shape=x.shape)
    assert_close(got, expected, what=name, inputs={"x": x}, **TOL)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.task(f"{n}_grad"), id=n) for n in SCALAR])
def test_known_derivatives(name, student):
    """{name}_grad gives the textbook derivatives at a few points"""
    x = np.array(POINTS)
    expected = [SCALAR[name][1](v) for v in POINTS]
    got = check_array(getattr(student, f"{name}_grad")(x), what=f"{name}_grad", shape=x.shape)
    assert_close(got, expected, what=f"{name}_grad", inputs={"x": x}, **TOL)


@pytest.mark.task("selu")
def test_selu_is_scaled_elu(student):
    """selu(x) = scale * elu(x, alpha) with the standard constants"""
    x = np.array(POINTS)
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    expected = [scale * (v if v > 0 else alpha * (math.exp(v) - 1)) for v in POINTS]
    assert_close(student.selu(x), expected, what="selu", inputs={"x": x}, **TOL)


@pytest.mark.task("mish")
def test_mish_at_one(student):
    """mish(1) = tanh(log(1 + e))"""
    assert_close(student.mish(np.array([1.0])), [math.tanh(math.log1p(math.e))], what="mish", **TOL)


@pytest.mark.task("hard_swish")
def test_hard_swish_values(student):
    """hard_swish is 0 below -3, x above 3, x(x+3)/6 between"""
    x = np.array([-4.0, -1.0, 1.0, 4.0])
    assert_close(student.hard_swish(x), [0.0, -1 / 3, 2 / 3, 4.0], what="hard_swish", inputs={"x": x}, **TOL)


@pytest.mark.task("softmax")
def test_softmax_rows_sum_to_one(student):
    """softmax rows are positive and sum to 1"""
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.array([[0.09003057, 0.24472847, 0.66524096], [1 / 3, 1 / 3, 1 / 3]])
    assert_close(student.softmax(x), expected, what="softmax", rtol=1e-6, atol=1e-8)


@pytest.mark.task("log_softmax")
def test_log_softmax_is_log_of_softmax(student):
    """log_softmax([1, 2, 3]) = log(softmax([1, 2, 3]))"""
    x = np.array([1.0, 2.0, 3.0])
    expected = np.log([0.09003057317038046, 0.24472847105479767, 0.6652409557748219])
    assert_close(student.log_softmax(x), expected, what="log_softmax", rtol=1e-9, atol=1e-12)


@pytest.mark.task("softmax_backward")
def test_softmax_backward_of_ones_is_zero(student):
    """softmax_backward with grad_out = 1 everywhere is 0 (softmax always sums to 1)"""
    x = np.array([[0.5, -1.0, 2.0]])
    assert_close(student.softmax_backward(x, np.ones_like(x)), np.zeros_like(x), what="softmax_backward", rtol=0, atol=1e-12)


ACTIVATIONS = [
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "softsign", "step",
    "exponential", "swish", "gelu", "mish", "hard_sigmoid", "hard_tanh", "hard_swish",
    "tanhshrink", "softshrink", "hardshrink",
]  # fmt: skip
FUNCTIONS = [name for base in ACTIVATIONS for name in (base, f"{base}_grad")] + ["softmax", "log_softmax"]
EXTREME = np.array([-1e4, -1e3, -100.0, -20.0, -1e-8, 1e-8, 20.0, 100.0, 1e3, 1e4])
LARGE = np.random.default_rng(0).uniform(-6, 6, 300_000)


def _shaped(name: str, x: np.ndarray) -> np.ndarray:
    """Rows for softmax and log_softmax; as it is for the elementwise functions."""
    return np.stack([x, x[::-1]]) if name in ("softmax", "log_softmax") else x


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.task(n), id=n) for n in FUNCTIONS])
def test_properties(name, student):
    """{name} is stable for |x| up to 1e4, keeps float32, leaves its input unchanged and is vectorized"""
    function = getattr(student, name)
    extreme = EXTREME[np.abs(EXTREME) <= 50] if name.startswith("exponential") else EXTREME
    for dtype in (np.float64, np.float32):
        call_quietly(function, _shaped(name, extreme).astype(dtype), what=f"{name} on {np.dtype(dtype).name} inputs up to |x| = {np.abs(extreme).max():g}")
    small = np.linspace(-2.5, 2.5, 12).reshape(3, 4)
    check_array(function(small.astype(np.float32)), what=f"{name} on float32 input", shape=(3, 4), dtype=np.float32)
    assert_inputs_unchanged(function, small, what=name)
    large = LARGE.reshape(3000, 100) if name in ("softmax", "log_softmax") else LARGE
    assert_vectorized(function, large, what=name, baseline=lambda: np.exp(large))


@pytest.mark.task("softmax_backward")
def test_softmax_backward_properties(student):
    """softmax_backward is stable for |x| up to 1e4, keeps float32, leaves its inputs unchanged and is vectorized"""
    x = _shaped("softmax", EXTREME)
    grad_out = np.linspace(-1, 1, x.size).reshape(x.shape)
    for dtype in (np.float64, np.float32):
        call_quietly(student.softmax_backward, x.astype(dtype), grad_out.astype(dtype), what=f"softmax_backward on {np.dtype(dtype).name} inputs up to |x| = 1e4")
    small, grad_small = np.linspace(-2.5, 2.5, 12).reshape(3, 4), np.linspace(1, -1, 12).reshape(3, 4)
    got = student.softmax_backward(small.astype(np.float32), grad_small.astype(np.float32))
    check_array(got, what="softmax_backward on float32 input", shape=(3, 4), dtype=np.float32)
    assert_inputs_unchanged(student.softmax_backward, small, grad_small, what="softmax_backward")
    large = LARGE.reshape(3000, 100)
    assert_vectorized(student.softmax_backward, large, large, what="softmax_backward", baseline=lambda: np.exp(large) * large)
