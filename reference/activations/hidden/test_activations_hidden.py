"""Hidden checks of ``activations.py``.

Per function: values against the reference (shapes from 0-d and empty to 3-d, float32 and
float64, default and non-default parameters; tolerance rtol/atol 1e-6/1e-9 in float64 and
2e-4/1e-5 in float32); dtype and shape kept; stability for |x| up to 1e4 (finite, no warning,
same tolerances; a derivative's extreme inputs include its kinks); input not modified;
vectorized (8x the reference's time on 3e5 elements, plus 5 ms). Per derivative also:
agreement with central differences of the reference activation (h = 1e-6, rtol 1e-5,
atol 1e-7, away from kinks). At a kink a derivative may be either one-sided value
(:func:`kink_sides`), in every check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from grader.checks import assert_close, central_difference, check_array
from grader.kit.numeric import (
    FLOAT_DTYPES,
    Case,
    away_from,
    check_cases,
    check_dtype_kept,
    check_stable,
    check_unchanged,
    check_vectorized,
    numerical_gradient,
    once,
    rng_for,
    uniform,
)
from grader.kit import this_lesson
from grader.plugin import task_param

ELEMENTWISE_SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 5)]
SOFTMAX_SHAPES = [(5,), (3, 4), (2, 3, 4), (0, 4)]
BIG = np.array([-1e4, -1e3, -100.0, -50.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 50.0, 100.0, 1e3, 1e4])
FD = {"eps": 1e-6, "rtol": 1e-5, "atol": 1e-7}


@dataclass(frozen=True)
class Spec:
    """How to exercise one activation: parameter sets, kinks, and its extreme inputs."""

    params: tuple = ({},)
    kinks: Callable[[dict], tuple] = staticmethod(lambda p: ())
    big: np.ndarray = field(default_factory=lambda: BIG)
    shapes: tuple = tuple(ELEMENTWISE_SHAPES)


SPECS = {
    "sigmoid": Spec(),
    "tanh": Spec(),
    "relu": Spec(kinks=lambda p: (0.0,)),
    "leaky_relu": Spec(params=({}, {"alpha": 0.2}), kinks=lambda p: (0.0,)),
    "elu": Spec(params=({}, {"alpha": 0.5}), kinks=lambda p: (0.0,)),
    "selu": Spec(params=({}, {"alpha": 1.5, "scale": 1.2}), kinks=lambda p: (0.0,)),
    "softplus": Spec(params=({}, {"beta": 2.0})),
    "softsign": Spec(kinks=lambda p: (0.0,)),
    "step": Spec(kinks=lambda p: (0.0,)),
    "exponential": Spec(big=BIG[BIG <= 50]),
    "swish": Spec(),
    "gelu": Spec(params=({}, {"approximate": True})),
    "mish": Spec(),
    "hard_sigmoid": Spec(kinks=lambda p: (-3.0, 3.0)),
    "hard_tanh": Spec(params=({}, {"min_val": -2.0, "max_val": 0.5}), kinks=lambda p: (p.get("min_val", -1.0), p.get("max_val", 1.0))),
    "hard_swish": Spec(kinks=lambda p: (-3.0, 3.0)),
    "tanhshrink": Spec(),
    "softshrink": Spec(params=({}, {"lambd": 1.0}), kinks=lambda p: (-p.get("lambd", 0.5), p.get("lambd", 0.5))),
    "hardshrink": Spec(params=({}, {"lambd": 1.0}), kinks=lambda p: (-p.get("lambd", 0.5), p.get("lambd", 0.5))),
    "softmax": Spec(params=({}, {"axis": 0}), shapes=tuple(SOFTMAX_SHAPES)),
    "log_softmax": Spec(params=({}, {"axis": 0}), shapes=tuple(SOFTMAX_SHAPES)),
}

TASKS = this_lesson(__file__).tasks
#: The activations, each a task with its derivative task ``<name>_grad``.
ACTIVATION_NAMES = [task for task in TASKS if f"{task}_grad" in TASKS]
ELEMENTWISE = [name for base in ACTIVATION_NAMES for name in (base, f"{base}_grad")]
FUNCTIONS = ELEMENTWISE + ["softmax", "log_softmax"]
GRADS = [f"{base}_grad" for base in ACTIVATION_NAMES]


def spec_of(name: str) -> Spec:
    return SPECS[name.removesuffix("_grad")]


def inputs_for(name: str, shape, dtype, params: dict, rng) -> np.ndarray:
    """Random inputs away from the function's kinks, where one-sided derivatives differ."""
    x = uniform(rng, shape, np.float64)
    return away_from(x, spec_of(name).kinks(params)).astype(dtype)


def big_inputs(name: str, dtype) -> np.ndarray:
    """Extreme inputs; for a derivative also every kink itself (where either side is right)."""
    big = spec_of(name).big
    if name in GRADS:
        big = np.unique(np.concatenate([big, np.asarray(spec_of(name).kinks({}), dtype=np.float64)]))
    big = big.astype(dtype)
    return np.stack([big, big[::-1]]) if name in ("softmax", "log_softmax") else big


#: How far beside a kink a one-sided derivative is taken.
SIDE = 1e-9


def kink_sides(reference, name: str, x: np.ndarray, params: dict) -> tuple:
    """COURSE.md: at a kink a derivative may be either one-sided value. For a derivative
    ``name`` whose input ``x`` sits exactly on a kink somewhere: the reference's values with the
    left-hand and with the right-hand derivative there (elsewhere its own values); else ()."""
    kinks = spec_of(name).kinks(params) if name in GRADS else ()
    x64 = np.asarray(x, dtype=np.float64)
    on_kink = np.isin(x64, np.asarray(kinks, dtype=np.float64))
    if not on_kink.any():
        return ()
    function = getattr(reference, name)
    return tuple(function(np.where(on_kink, x64 + side * SIDE, x64), **params) for side in (-1.0, 1.0))


@pytest.mark.parametrize("name", [task_param(name) for name in FUNCTIONS])
def test_values(name, student, reference):
    """{name} matches the reference on random inputs"""
    check_cases(student, once(__name__, "values", name, build=lambda: _value_cases(name, reference)))


def _value_cases(name, reference) -> list[Case]:
    cases = []
    for params in spec_of(name).params:
        for dtype in FLOAT_DTYPES:
            for shape in spec_of(name).shapes:
                if params.get("axis") == 0 and (len(shape) < 2 or shape[0] == 0):
                    continue
                x = inputs_for(name, shape, dtype, params, rng_for(name, shape, dtype))
                expected = getattr(reference, name)(x.astype(np.float64), **params)
                args = f"({', '.join(f'{k}={v}' for k, v in params.items())})" if params else ""
                what = f"{name}{args} on {np.dtype(dtype)} input of shape {shape}"
                cases.append(Case(name, (x,), expected, params, dtype, {"x": x}, what, alternatives=kink_sides(reference, name, x, params)))
    return cases


@pytest.mark.parametrize("name", [task_param(name) for name in FUNCTIONS])
def test_dtype_and_shape(name, student, reference):
    """{name} keeps the input's dtype and shape"""

    def build():
        cases = []
        for dtype in FLOAT_DTYPES:
            for shape in ((3, 4), ()) if name in ELEMENTWISE else ((3, 4),):
                x = inputs_for(name, shape, dtype, {}, rng_for("dtype", name))
                expected = getattr(reference, name)(x.astype(np.float64))
                cases.append(Case(name, (x,), expected, dtype=dtype, shape=shape, alternatives=kink_sides(reference, name, x, {})))
        return cases

    check_dtype_kept(student, once(__name__, "dtype", name, build=build))


@pytest.mark.parametrize("name", [task_param(name) for name in FUNCTIONS])
def test_stability(name, student, reference):
    """{name} is finite and warning-free for |x| up to 1e4"""

    def build():
        inputs = [big_inputs(name, dtype) for dtype in FLOAT_DTYPES]
        return [
            Case(name, (x,), getattr(reference, name)(x.astype(np.float64)), dtype=x.dtype, inputs={"x": x}, alternatives=kink_sides(reference, name, x, {}))
            for x in inputs
        ]

    check_stable(student, once(__name__, "stability", name, build=build))


@pytest.mark.parametrize("name", [task_param(name) for name in FUNCTIONS])
def test_input_unchanged(name, student, reference):
    """{name} leaves its input unchanged"""
    x = inputs_for(name, (4, 5), np.float64, {}, rng_for("unchanged", name))
    check_unchanged(student, name, (x,), names=["x"], expected=getattr(reference, name)(x.copy()), alternatives=kink_sides(reference, name, x, {}))


@pytest.mark.parametrize("name", [task_param(name) for name in FUNCTIONS])
def test_vectorized(name, student, reference):
    """{name} is vectorized (no Python loop over elements)"""
    shape = (300_000,) if name in ELEMENTWISE else (3000, 100)
    x = _large_input(shape)
    alternatives = once(__name__, "speed-kinks", name, build=lambda: kink_sides(reference, name, x, {}))
    check_vectorized(student, getattr(reference, name), name, (x,), input_name=f"large{shape}", alternatives=alternatives)


_LARGE: dict = {}


def _large_input(shape) -> np.ndarray:
    """One large random input per shape, shared by the speed checks."""
    if shape not in _LARGE:
        _LARGE[shape] = uniform(rng_for("speed", shape), shape, np.float64)
    return _LARGE[shape]


@pytest.mark.parametrize("name", [task_param(name) for name in GRADS])
def test_finite_differences(name, student, reference):
    """{name} matches finite differences"""
    base = name.removesuffix("_grad")

    def build():
        points = []
        for params in spec_of(name).params:
            x = inputs_for(name, (64,), np.float64, params, rng_for("fd", name))
            x = np.sort(away_from(x, spec_of(name).kinks(params), margin=1e-2))
            points.append((params, x, central_difference(lambda v: getattr(reference, base)(v, **params), x, FD["eps"])))
        return points

    for params, x, expected in once(__name__, "fd", name, build=build):
        got = check_array(student.call(name, x, **params).value, what=name, shape=x.shape)
        assert_close(got, expected, what=name, rtol=FD["rtol"], atol=FD["atol"], inputs={"x": x})


# -- softmax_backward: two inputs ---------------------------------------------------------


def _backward_case(shape, dtype, axis, key):
    rng = rng_for("backward", shape, dtype, axis, key)
    return uniform(rng, shape, dtype), uniform(rng, shape, dtype, -1.0, 1.0)


@pytest.mark.task("softmax_backward")
def test_softmax_backward_values(student, reference):
    """softmax_backward matches the reference on random inputs"""
    cases = []
    for dtype in FLOAT_DTYPES:
        for shape, axis in [((5,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((0, 4), -1)]:
            x, g = _backward_case(shape, dtype, axis, "values")
            expected = reference.softmax_backward(x.astype(np.float64), g.astype(np.float64), axis=axis)
            what = f"softmax_backward(axis={axis}) on {np.dtype(dtype)} {shape}"
            cases.append(Case("softmax_backward", (x, g), expected, {"axis": axis}, dtype, {"x": x, "grad_out": g}, what))
    check_cases(student, cases)


@pytest.mark.task("softmax_backward")
def test_softmax_backward_finite_differences(student, reference):
    """softmax_backward matches finite differences of softmax"""

    def build():
        points = []
        for shape, axis in [((6,), -1), ((3, 4), -1), ((3, 4), 0)]:
            x, g = _backward_case(shape, np.float64, axis, "fd")
            points.append((shape, axis, x, g, numerical_gradient(lambda v: np.sum(reference.softmax(v, axis=axis) * g), x)))
        return points

    for shape, axis, x, g, expected in once(__name__, "backward-fd", build=build):
        got = check_array(student.call("softmax_backward", x, g, axis=axis).value, what="softmax_backward", shape=shape)
        assert_close(got, expected, what=f"softmax_backward(axis={axis})", rtol=FD["rtol"], atol=FD["atol"], inputs={"x": x})


@pytest.mark.task("softmax_backward")
def test_softmax_backward_dtype_and_shape(student, reference):
    """softmax_backward keeps the input's dtype and shape"""
    cases = []
    for dtype in FLOAT_DTYPES:
        x, g = _backward_case((3, 4), dtype, -1, "dtype")
        expected = reference.softmax_backward(x.astype(np.float64), g.astype(np.float64))
        cases.append(Case("softmax_backward", (x, g), expected, dtype=dtype, shape=(3, 4)))
    check_dtype_kept(student, cases)


@pytest.mark.task("softmax_backward")
def test_softmax_backward_stability(student, reference):
    """softmax_backward is finite and warning-free for |x| up to 1e4"""
    cases = []
    for dtype in FLOAT_DTYPES:
        x = np.stack([BIG, BIG[::-1]]).astype(dtype)
        g = np.linspace(-1, 1, x.size).reshape(x.shape).astype(dtype)
        expected = reference.softmax_backward(x.astype(np.float64), g.astype(np.float64))
        cases.append(Case("softmax_backward", (x, g), expected, dtype=dtype, inputs={"x": x}))
    check_stable(student, cases)


@pytest.mark.task("softmax_backward")
def test_softmax_backward_inputs_unchanged(student, reference):
    """softmax_backward leaves its inputs unchanged"""
    x, g = _backward_case((4, 5), np.float64, -1, "unchanged")
    expected = reference.softmax_backward(x.copy(), g.copy())
    check_unchanged(student, "softmax_backward", (x, g), names=["x", "grad_out"], expected=expected)


@pytest.mark.task("softmax_backward")
def test_softmax_backward_vectorized(student, reference):
    """softmax_backward is vectorized (no Python loop over rows)"""
    x, g = _backward_case((3000, 100), np.float64, -1, "speed")
    check_vectorized(student, reference.softmax_backward, "softmax_backward", (x, g), input_name="softmax-backward-speed")
