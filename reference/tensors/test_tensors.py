"""Public checks of tensors.py: small examples you can verify by hand.

Then every property the hidden checks grade on the tensor operations, on inputs of its own:
float32 kept, inputs unchanged, vectorized. Run them with `grade check tensors` (or `pytest` in
this folder). The hidden checks test the same properties on other inputs: random tensors of
ranks 0 to 3 and larger regression problems.
"""

import itertools

import numpy as np
import pytest

from grader.checks import assert_close, assert_inputs_unchanged, assert_vectorized, check_array

TOL = {"rtol": 1e-9, "atol": 1e-12}
BITS = np.array(list(itertools.product([0.0, 1.0], repeat=2)))


def _fire(x, w, b):
    return (x @ np.asarray(w, dtype=float) + b >= 0).astype(float)


@pytest.mark.task("tensor_sum")
def test_tensor_sum(student):
    """tensor_sum adds elementwise"""
    a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[10.0, 20.0], [30.0, 40.0]])
    assert_close(student.tensor_sum(a, b), [[11.0, 22.0], [33.0, 44.0]], what="tensor_sum", **TOL)


@pytest.mark.task("tensor_sum")
def test_tensor_sum_rejects_other_shapes(student):
    """tensor_sum raises ValueError for tensors of different shapes"""
    with pytest.raises(ValueError):
        student.tensor_sum(np.zeros((2, 3)), np.zeros((3,)))


@pytest.mark.task("scalar_multiply")
def test_scalar_multiply(student):
    """scalar_multiply scales every entry"""
    assert_close(student.scalar_multiply(3.0, np.array([1.0, -2.0])), [3.0, -6.0], what="scalar_multiply", **TOL)


@pytest.mark.task("outer_product")
def test_outer_product(student):
    """outer_product of [1, 2] and [3, 4, 5] is the 2x3 dyad"""
    got = check_array(student.outer_product(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])), what="outer_product", shape=(2, 3))
    assert_close(got, [[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]], what="outer_product", **TOL)


@pytest.mark.task("tensor_product")
def test_tensor_product_rank(student):
    """tensor_product of ranks 2 and 1 has rank 3 and the right entries"""
    a, b = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0])
    got = check_array(student.tensor_product(a, b), what="tensor_product", shape=(2, 3, 2))
    assert_close(got[1, 2], [5.0, -5.0], what="tensor_product[1, 2]", **TOL)


@pytest.mark.task("threshold_neuron")
def test_threshold_neuron(student):
    """threshold_neuron fires where x . w + b >= 0"""
    x = np.array([[1.0, 1.0], [0.0, 0.0], [2.0, -1.0]])
    got = student.threshold_neuron(x, np.array([1.0, 1.0]), -1.0)
    assert_close(got, [1.0, 0.0, 1.0], what="threshold_neuron", **TOL)


@pytest.mark.parametrize(
    "gate, truth",
    [
        pytest.param("and_neuron", [0, 0, 0, 1], marks=pytest.mark.task("and_neuron"), id="and"),
        pytest.param("or_neuron", [0, 1, 1, 1], marks=pytest.mark.task("or_neuron"), id="or"),
    ],
)
def test_two_input_gates(gate, truth, student):
    """{gate} computes its truth table"""
    w, b = getattr(student, gate)()
    assert_close(_fire(BITS, w, b), truth, what=gate, **TOL)


@pytest.mark.task("not_neuron")
def test_not_neuron(student):
    """not_neuron computes NOT"""
    w, b = student.not_neuron()
    assert_close(_fire(np.array([[0.0], [1.0]]), w, b), [1, 0], what="not_neuron", **TOL)


@pytest.mark.task("xor_network")
def test_xor_network(student):
    """xor_network computes XOR with two layers of threshold neurons"""
    (w1, b1), (w2, b2) = student.xor_network()
    hidden = _fire(BITS, w1, b1)
    assert_close(_fire(hidden, w2, b2), [0, 1, 1, 0], what="xor_network", **TOL)


@pytest.mark.task("linear_regression_normal")
def test_linear_regression_normal_exact_line(student):
    """linear_regression_normal recovers y = 2 x0 - x1 exactly"""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    y = X @ np.array([2.0, -1.0])
    assert_close(student.linear_regression_normal(X, y), [2.0, -1.0], what="linear_regression_normal", rtol=1e-9, atol=1e-9)


@pytest.mark.task("linear_regression_gd")
def test_linear_regression_gd_first_step(student):
    """linear_regression_gd after one epoch: w = lr * (2/N) X^T y"""
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([1.0, 2.0])
    assert_close(student.linear_regression_gd(X, y, lr=0.1, epochs=1), [0.1, 0.2], what="linear_regression_gd", **TOL)


RNG = np.random.default_rng(0)
#: operation: (small arguments, large arguments for the speed check)
OPERATIONS = {
    "tensor_sum": ((RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))), (RNG.normal(size=(550, 550)), RNG.normal(size=(550, 550)))),
    "scalar_multiply": ((2.5, RNG.normal(size=(2, 3))), (2.5, RNG.normal(size=(550, 550)))),
    "outer_product": ((RNG.normal(size=3), RNG.normal(size=4)), (RNG.normal(size=550), RNG.normal(size=550))),
    "tensor_product": ((RNG.normal(size=(2, 2)), RNG.normal(size=3)), (RNG.normal(size=(30, 20)), RNG.normal(size=550))),
}


def _as(dtype, args):
    return tuple(arg.astype(dtype) if isinstance(arg, np.ndarray) else arg for arg in args)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.task(n), id=n) for n in OPERATIONS])
def test_operation_properties(name, student):
    """{name} keeps float32, leaves its inputs unchanged and is vectorized"""
    function = getattr(student, name)
    small, large = OPERATIONS[name]
    got = function(*_as(np.float32, small))
    if not isinstance(got, np.ndarray) or got.dtype != np.float32:
        raise AssertionError(f"{name} returned {getattr(got, 'dtype', type(got).__name__)} for float32 inputs; keep the inputs' dtype")
    assert_inputs_unchanged(function, *small, what=name)
    assert_vectorized(function, *large, what=name, baseline=lambda: NUMPY[name](*large))


#: What numpy does in one call, for the speed check's yardstick.
NUMPY = {"tensor_sum": np.add, "scalar_multiply": np.multiply, "outer_product": np.outer, "tensor_product": np.multiply.outer}
