"""Public checks of framework_losses.py: each function on one small input whose answer you can
work out by hand, in your own Python with your framework (PyTorch or Keras, as FRAMEWORK says).

Run them with `grade check framework_losses` (or `pytest` in this folder). The hidden checks
test more: random batches of several shapes, integer labels, gradients by autograd or
tf.GradientTape, the losses inside tf.function (Keras) or torch.func.grad (PyTorch), a short
fit on the lecture's data against the framework's built-in loss.
"""

import math

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close


def tensors(student, *arrays):
    """The arrays as tensors of your framework (their dtypes kept)."""
    if student.FRAMEWORK == "torch":
        import torch

        return [torch.from_numpy(np.array(array)) for array in arrays]
    import tensorflow as tf

    return [tf.constant(array) for array in arrays]


def values(student, result, what):
    """The values of a tensor your function returned (a failed check if it is not a tensor)."""
    if student.FRAMEWORK not in ("torch", "keras"):
        raise CheckFailed(f"FRAMEWORK must be 'torch' or 'keras', not {student.FRAMEWORK!r}")
    if student.FRAMEWORK == "torch":
        import torch

        if not isinstance(result, torch.Tensor):
            raise CheckFailed(f"{what} returned a {type(result).__name__}, not a torch tensor: use torch's operations")
        return result.detach().numpy()
    import tensorflow as tf

    if not tf.is_tensor(result):
        raise CheckFailed(f"{what} returned a {type(result).__name__}, not a TensorFlow tensor: use TensorFlow's operations")
    return np.asarray(result)


F = np.float32
A = np.array([1.0, 2.0, 3.0], dtype=F)
B = np.array([4.0, -1.0], dtype=F)

# name: (arguments, expected)
OPERATIONS = {
    "tensor_sum": ((np.array([[1.0, 2.0], [3.0, 4.0]], dtype=F),), np.float32(10.0)),
    "scalar_product": ((A, np.array([1.0, 0.0, -1.0], dtype=F)), np.float32(-2.0)),
    "outer_product": ((A, B), np.array([[4.0, -1.0], [8.0, -2.0], [12.0, -3.0]], dtype=F)),
    "tensor_product": ((B, np.array([[1.0, 2.0]], dtype=F)), np.array([[[4.0, 8.0]], [[-1.0, -2.0]]], dtype=F)),
    "flatten_batch": ((np.arange(12, dtype=F).reshape(2, 3, 2),), np.arange(12, dtype=F).reshape(2, 6)),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.task(n), id=n) for n in OPERATIONS])
def test_operation(name, student):
    """{name} gives the value worked out by hand"""
    arguments, expected = OPERATIONS[name]
    got = values(student, getattr(student, name)(*tensors(student, *arguments)), name)
    if got.shape != expected.shape:
        raise CheckFailed(f"{name} returned shape {got.shape}; expected {expected.shape}")
    assert_close(got, expected, what=name, rtol=1e-6, atol=1e-6)


@pytest.mark.task("to_tensor")
def test_to_tensor(student):
    """to_tensor([[1, 2], [3, 4]]) is a float32 tensor"""
    result = student.to_tensor([[1, 2], [3, 4]])
    got = values(student, result, "to_tensor")
    if got.dtype != np.float32:
        raise CheckFailed(f"to_tensor returned {got.dtype}; expected float32")
    assert_close(got, np.array([[1, 2], [3, 4]], dtype=F), what="to_tensor", rtol=0, atol=0)


@pytest.mark.task("cast_like")
def test_cast_like(student):
    """cast_like(float64 x, float32 like) is float32"""
    x, like = tensors(student, np.array([0.5, 1.5]), np.zeros(1, dtype=F))
    got = values(student, student.cast_like(x, like), "cast_like")
    if got.dtype != np.float32:
        raise CheckFailed(f"cast_like returned {got.dtype}; expected float32, like's dtype")


Y = np.array([1.0, 0.0, 2.0, 0.5], dtype=F)
P = np.array([0.5, 0.5, 1.0, 1.0], dtype=F)
LABELS = np.array([0, 1, 1])  # integer labels: cast them to y_pred's dtype
PROBS = np.array([0.2, 0.9, 0.6], dtype=F)
MASK = np.array([[[1.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 0.0]]], dtype=F)
SOFT = np.array([[[0.9, 0.2], [0.6, 0.8]], [[0.1, 0.3], [0.7, 0.2]]], dtype=F)


def _bce(y, p, beta=1.0):
    y = y.astype(float)
    return float(np.mean(-(beta * y * np.log(p) + (1 - y) * np.log(1 - p))))


# name: (the loss, given the module; y_true, y_pred, expected mean)
LOSSES = {
    "mae": (lambda m: m.mae, Y, P, (0.5 + 0.5 + 1.0 + 0.5) / 4),
    "mse": (lambda m: m.mse, Y, P, (0.25 + 0.25 + 1.0 + 0.25) / 4),
    "binary_crossentropy": (lambda m: m.binary_crossentropy, LABELS, PROBS, _bce(LABELS, PROBS.astype(float))),
    "weighted_binary_crossentropy": (lambda m: m.weighted_binary_crossentropy(2.0), LABELS, PROBS, _bce(LABELS, PROBS.astype(float), beta=2.0)),
    "dice_loss": (lambda m: m.dice_loss, MASK, SOFT, float(np.mean([1 - (2 * 2.3 + 1) / (3 + 2.5 + 1), 1 - (2 * 0.7 + 1) / (1 + 1.3 + 1)]))),
    "jaccard_loss": (lambda m: m.jaccard_loss, MASK, SOFT, float(np.mean([1 - (2.3 + 1) / (3 + 2.5 - 2.3 + 1), 1 - (0.7 + 1) / (1 + 1.3 - 0.7 + 1)]))),
    "my_huber_loss": (lambda m: m.my_huber_loss, np.zeros(2, dtype=F), np.array([0.5, 3.0], dtype=F), (0.125 + (3.0 - 0.5)) / 2),
    "huber_loss": (lambda m: m.huber_loss(2.0), np.zeros(2, dtype=F), np.array([0.5, 3.0], dtype=F), (0.125 + 2.0 * (3.0 - 1.0)) / 2),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.task(n), id=n) for n in LOSSES])
def test_loss(name, student):
    """{name}: the mean of what it returns is the value worked out by hand"""
    make, y, p, expected = LOSSES[name]
    got = values(student, make(student)(*tensors(student, y, p)), name)
    assert_close(float(np.mean(got)), expected, what=f"{name} (the mean of what it returns)", rtol=1e-5, atol=1e-6)
    if not math.isfinite(float(np.mean(got))):
        raise CheckFailed(f"{name} is not finite")
