"""Hidden checks of ``tensors.py``.

Tensor operations: values against the reference on random tensors of ranks 0 to 3 (empty ones
too) in float32 and float64 (rtol/atol 1e-6/1e-9 and 2e-4/1e-5), dtype and shape kept, inputs
unchanged, vectorized. Neurons and gates: evaluated by the grader on every input of the truth
table. Regression: the normal-equation weights against numpy's least squares (rtol 1e-6), and
gradient descent against the reference's trajectory (rtol 1e-6) and against least squares
after convergence (atol 1e-4).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close, check_array, describe_type
from grader.kit.numeric import (
    FLOAT_DTYPES,
    Case,
    check_cases,
    check_dtype_kept,
    check_unchanged,
    check_vectorized,
    rng_for,
    uniform,
)
from grader.plugin import task_param
from grader.runner.proxy import StudentError

SHAPES = [(), (0,), (5,), (3, 4), (2, 3, 4)]
BITS = np.array(list(itertools.product([0.0, 1.0], repeat=2)))


def _tensor(key, shape, dtype):
    return uniform(rng_for(*key), shape, dtype, -3.0, 3.0)


def _fire(x, w, b):
    return (x @ w + b >= 0).astype(float)


# -- tensor operations --------------------------------------------------------------------

def _operation_cases(name: str, reference, dtype):
    """(args, expected, label) for ``name`` over ranks 0 to 3."""
    cases = []
    if name == "tensor_sum":
        for shape in SHAPES:
            a, b = _tensor(("a", shape, dtype), shape, dtype), _tensor(("b", shape, dtype), shape, dtype)
            cases.append(((a, b), shape))
    elif name == "scalar_multiply":
        for shape in SHAPES:
            cases.append(((-1.75, _tensor(("a", shape, dtype), shape, dtype)), shape))
    elif name == "outer_product":
        for n, m in [(3, 4), (1, 5), (0, 3), (6, 1)]:
            cases.append(((_tensor(("u", n, dtype), (n,), dtype), _tensor(("v", m, dtype), (m,), dtype)), (n, m)))
    elif name == "tensor_product":
        for sa, sb in [((), (3,)), ((2,), (3,)), ((2, 3), (4,)), ((2,), (3, 2)), ((2, 2), (2, 3)), ((0, 2), (3,))]:
            cases.append(((_tensor(("a", sa, dtype), sa, dtype), _tensor(("b", sb, dtype), sb, dtype)), sa + sb))
    return [(args, getattr(reference, name)(*[np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray) else a for a in args]), shape) for args, shape in cases]


OPERATIONS = ["tensor_sum", "scalar_multiply", "outer_product", "tensor_product"]


@pytest.mark.parametrize("name", [task_param(name) for name in OPERATIONS])
def test_operation_values(name, student, reference):
    """{name} matches the reference on random tensors of ranks 0 to 3"""
    cases = []
    for dtype in FLOAT_DTYPES:
        for args, expected, shape in _operation_cases(name, reference, dtype):
            arrays = {f"arg{i + 1}": a for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.shape == np.shape(expected)}
            cases.append(Case(name, args, expected, {}, dtype, arrays, f"{name} on {np.dtype(dtype)} inputs, result shape {shape}"))
    check_cases(student, cases)


@pytest.mark.parametrize("name", [task_param(name) for name in OPERATIONS])
def test_operation_dtype_and_shape(name, student, reference):
    """{name} keeps the inputs' dtype and gives the right shape"""
    cases = []
    for dtype in FLOAT_DTYPES:
        args, expected, shape = _operation_cases(name, reference, dtype)[2]
        cases.append(Case(name, args, expected, dtype=dtype, shape=shape))
    check_dtype_kept(student, cases)


@pytest.mark.parametrize("name", [task_param(name) for name in OPERATIONS])
def test_operation_inputs_unchanged(name, student, reference):
    """{name} leaves its inputs unchanged"""
    args, expected, _ = _operation_cases(name, reference, np.float64)[3]
    check_unchanged(student, name, args, expected=expected)


@pytest.mark.parametrize("name", [task_param(name) for name in OPERATIONS])
def test_operation_vectorized(name, student, reference):
    """{name} is vectorized (no Python loop over elements)"""
    big = {"tensor_sum": lambda: (_tensor(("va",), (550, 550), np.float64), _tensor(("vb",), (550, 550), np.float64)),
           "scalar_multiply": lambda: (2.5, _tensor(("va",), (550, 550), np.float64)),
           "outer_product": lambda: (_tensor(("vu",), (550,), np.float64), _tensor(("vv",), (550,), np.float64)),
           "tensor_product": lambda: (_tensor(("va",), (30, 20), np.float64), _tensor(("vb",), (550,), np.float64))}  # fmt: skip
    check_vectorized(student, getattr(reference, name), name, big[name](), input_name=f"{name}-speed")


@pytest.mark.task("tensor_sum")
def test_tensor_sum_rejects_shape_mismatch(student):
    """tensor_sum raises ValueError for tensors of different shapes"""
    for a_shape, b_shape in [((2, 3), (3,)), ((4,), (1,)), ((2, 3), (3, 2))]:
        try:
            student.tensor_sum(np.zeros(a_shape), np.zeros(b_shape))
        except StudentError as error:
            if error.type_name != "ValueError":
                raise CheckFailed(f"tensor_sum of shapes {a_shape} and {b_shape} raised {error.type_name or error.kind}, expected ValueError") from None
        else:
            raise CheckFailed(f"tensor_sum of shapes {a_shape} and {b_shape} returned a value; expected ValueError (no broadcasting)")


# -- neurons and gates ---------------------------------------------------------------------

@pytest.mark.task("threshold_neuron")
def test_threshold_neuron_values(student, reference):
    """threshold_neuron matches the reference on single inputs and batches"""
    cases = []
    for dtype in FLOAT_DTYPES:
        for shape in [(4,), (10, 4), (0, 4)]:
            rng = rng_for("neuron", shape, dtype)
            x, w = uniform(rng, shape, dtype, -2, 2), uniform(rng, (4,), dtype, -1, 1)
            b = float(rng.uniform(-1, 1))
            expected = reference.threshold_neuron(x.astype(np.float64), w.astype(np.float64), b)
            cases.append(Case("threshold_neuron", (x, w, b), expected, {}, dtype, None, f"threshold_neuron on {np.dtype(dtype)} x of shape {shape}"))
    check_cases(student, cases)


@pytest.mark.task("threshold_neuron")
def test_threshold_neuron_dtype(student, reference):
    """threshold_neuron returns 0/1 in the input's dtype"""
    cases = []
    for dtype in FLOAT_DTYPES:
        x = uniform(rng_for("neuron-dtype"), (6, 3), dtype)
        args = (x, np.ones(3, dtype=dtype), 0.5)
        cases.append(Case("threshold_neuron", args, reference.threshold_neuron(*args), dtype=dtype, shape=(6,)))
    check_dtype_kept(student, cases)


def _weights(value, what: str, w_shape: tuple):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CheckFailed(f"{what} returned {describe_type(value)}; expected a pair (w, b)")
    w, b = value
    w = check_array(np.asarray(w, dtype=np.float64) if isinstance(w, (list, tuple)) else w, what=f"{what} (w)", shape=w_shape)
    b = np.asarray(b, dtype=np.float64)
    if b.shape not in ((), (1,)) and w_shape != (2, b.shape[0]):
        raise CheckFailed(f"{what} returned a bias of shape {b.shape}")
    return w.astype(np.float64), b


@pytest.mark.parametrize(
    "gate, inputs, truth",
    [
        task_param("and_neuron", "and_neuron", BITS, [0, 0, 0, 1]),
        task_param("or_neuron", "or_neuron", BITS, [0, 1, 1, 1]),
        task_param("not_neuron", "not_neuron", np.array([[0.0], [1.0]]), [1, 0]),
    ],
)
def test_gate_truth_table(gate, inputs, truth, student):
    """{gate} computes its truth table as one threshold neuron"""
    w, b = _weights(student.call(gate).value, gate, (inputs.shape[1],))
    got = _fire(inputs, w, b.reshape(()) if b.size == 1 else b)
    for x, want, have in zip(inputs, truth, got):
        if want != have:
            raise CheckFailed(f"{gate} with input {x.astype(int).tolist()} gives {int(have)}, expected {want}")


@pytest.mark.task("xor_network")
def test_xor_network_truth_table(student):
    """xor_network computes XOR with two layers of threshold neurons"""
    layers = student.call("xor_network").value
    if not isinstance(layers, (list, tuple)) or len(layers) != 2:
        raise CheckFailed(f"xor_network returned {describe_type(layers)}; expected [(W1, b1), (W2, b2)]")
    first, second = layers
    if not isinstance(first, (tuple, list)) or len(first) != 2 or not isinstance(first[0], np.ndarray) or first[0].ndim != 2 or first[0].shape[0] != 2:
        raise CheckFailed("xor_network: the first layer must be (W1, b1) with W1 of shape (2, H)")
    hidden_size = first[0].shape[1]
    if hidden_size < 2:
        raise CheckFailed("xor_network: one hidden neuron cannot compute XOR; use H >= 2")
    w1, b1 = first[0].astype(np.float64), np.asarray(first[1], dtype=np.float64)
    w2, b2 = _weights(second, "xor_network (second layer)", (hidden_size,))
    if b1.shape not in ((hidden_size,), ()):
        raise CheckFailed(f"xor_network: b1 has shape {b1.shape}; expected ({hidden_size},)")
    got = _fire(_fire(BITS, w1, b1), w2, b2.reshape(()) if b2.size == 1 else b2)
    for x, have in zip(BITS, got):
        want = int(x[0]) ^ int(x[1])
        if have != want:
            raise CheckFailed(f"xor_network with input {x.astype(int).tolist()} gives {int(have)}, expected {want}")


# -- linear regression -----------------------------------------------------------------------

def _regression(key, n=60, d=4, dtype=np.float64, noise=0.1):
    rng = rng_for("regression", key)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + noise * rng.normal(size=n)
    return X.astype(dtype), y.astype(dtype)


@pytest.mark.task("linear_regression_normal")
def test_normal_equation_matches_least_squares(student):
    """linear_regression_normal gives the least-squares weights"""
    cases = []
    for dtype in FLOAT_DTYPES:
        for n, d in [(60, 4), (10, 1), (200, 8)]:
            X, y = _regression((n, d, dtype), n, d, dtype)
            expected = np.linalg.lstsq(X.astype(np.float64), y.astype(np.float64), rcond=None)[0]
            cases.append(Case("linear_regression_normal", (X, y), expected, {}, dtype, None, f"linear_regression_normal on {np.dtype(dtype)} X of shape {(n, d)}"))
    check_cases(student, cases)


@pytest.mark.task("linear_regression_normal")
def test_normal_equation_dtype_and_inputs(student):
    """linear_regression_normal keeps the dtype and leaves X and y unchanged"""
    cases = []
    for dtype in FLOAT_DTYPES:
        X, y = _regression(("dtype", dtype), dtype=dtype)
        expected = np.linalg.lstsq(X.astype(np.float64), y.astype(np.float64), rcond=None)[0]
        cases.append(Case("linear_regression_normal", (X, y), expected, dtype=dtype, shape=(4,)))
    check_dtype_kept(student, cases)
    X, y = _regression("unchanged")
    check_unchanged(student, "linear_regression_normal", (X, y), names=["X", "y"], expected=np.linalg.lstsq(X, y, rcond=None)[0])


@pytest.mark.task("linear_regression_gd")
def test_gradient_descent_trajectory(student, reference):
    """linear_regression_gd follows the gradient-descent update exactly"""
    cases = []
    for lr, epochs in [(0.01, 1), (0.05, 10), (0.1, 37)]:
        X, y = _regression((lr, epochs))
        expected = reference.linear_regression_gd(X, y, lr=lr, epochs=epochs)
        cases.append(Case("linear_regression_gd", (X, y), expected, {"lr": lr, "epochs": epochs}, np.float64, None, f"linear_regression_gd(lr={lr}, epochs={epochs})"))
    check_cases(student, cases)


@pytest.mark.task("linear_regression_gd")
def test_gradient_descent_converges(student):
    """linear_regression_gd converges to the least-squares weights"""
    X, y = _regression("converge", n=100, d=3)
    got = check_array(student.call("linear_regression_gd", X, y, lr=0.1, epochs=2000).value, what="linear_regression_gd", shape=(3,))
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    assert_close(got, expected, what="linear_regression_gd(lr=0.1, epochs=2000)", rtol=0, atol=1e-4)


@pytest.mark.task("linear_regression_gd")
def test_gradient_descent_dtype_and_inputs(student, reference):
    """linear_regression_gd keeps the dtype and leaves X and y unchanged"""
    settings = {"lr": 0.05, "epochs": 5}
    cases = []
    for dtype in FLOAT_DTYPES:
        X, y = _regression(("gd-dtype", dtype), dtype=dtype)
        expected = reference.linear_regression_gd(X.astype(np.float64), y.astype(np.float64), **settings)
        cases.append(Case("linear_regression_gd", (X, y), expected, settings, dtype, shape=(4,)))
    check_dtype_kept(student, cases)
    X, y = _regression("gd-unchanged")
    expected = reference.linear_regression_gd(X, y, **settings)
    check_unchanged(student, "linear_regression_gd", (X, y), settings, names=["X", "y"], expected=expected)


@pytest.mark.task("linear_regression_gd")
def test_gradient_descent_vectorized(student, reference):
    """linear_regression_gd is vectorized over examples"""
    X, y = _regression("gd-speed", n=50_000, d=5)
    check_vectorized(student, reference.linear_regression_gd, "linear_regression_gd", (X, y), {"lr": 0.05, "epochs": 10}, input_name="gd-speed")
