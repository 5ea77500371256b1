"""Hidden checks of ``framework_losses.py`` (PyTorch or Keras, as the file's ``FRAMEWORK`` says).

The student's functions run in the child, handed the framework's tensors by the lesson's
trusted helpers (``child_helpers.py``); values come back as numpy. Tensor operations: values
against numpy on float32 inputs (rtol 1e-5), a framework tensor returned, the dtype asked for.
Losses: the mean of what the loss returns (a scalar, or per example or per element, which a
framework averages) against the numpy ``losses`` lesson's reference (rtol 1e-4, atol 1e-6 in
float32) on batches of shape (B,), (B, 1) and (B, k) (Dice and Jaccard: (B, 1), (B, k),
(B, h, w)), with float and integer labels; its gradient with respect to ``y_pred`` by autograd
or ``tf.GradientTape`` against the reference's gradient (rtol 1e-3, atol 1e-6); the same inside
``tf.function`` (Keras) or under ``torch.func.grad`` (PyTorch); probabilities of exactly 0 and 1
give finite values. The Huber losses at, inside and far outside the threshold, and a short fit
on the lecture's data (y = 2x - 1) that must decrease and end where a twin trained from the same
weights with the framework's built-in loss ends (rtol 1e-3).
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close
from grader.kit import reference_of
from grader.kit.numeric import rng_for
from grader.plugin import task_param
from grader.runner.proxy import Program, StudentError

NUMPY = reference_of(__file__, "losses")
FRAMEWORK_NAMES = {"torch": "PyTorch", "keras": "TensorFlow"}
VALUE_TOL = {"rtol": 1e-4, "atol": 1e-6}
GRAD_TOL = {"rtol": 1e-3, "atol": 1e-6}
FIT_EPOCHS = 40


def run(student, helper: str, name: str, *args, factory_args: tuple | None = None):
    """``(framework, answer)``: the lesson's child helper ``helper`` applied to the student's
    ``name`` (or to what ``name(*factory_args)`` returns) and ``args``."""
    program = Program()
    framework = program.add("getattr", "FRAMEWORK")
    function = program.call(name, *factory_args) if factory_args is not None else program.add("getattr", name)
    answer = program.helper(helper, framework, function, *args)
    answers = student.run(program)
    if isinstance(answers[0], StudentError):
        if answers[0].kind in ("timeout", "crash", "import", "syntax", "missing_file", "exit"):
            raise answers[0]
        raise StudentError("framework_losses.py must set FRAMEWORK = 'torch' or 'keras' at module level", kind="missing")
    if not isinstance(answers[0], str) or answers[0] not in FRAMEWORK_NAMES:
        raise StudentError(f"FRAMEWORK must be 'torch' or 'keras', not {answers[0]!r}", kind="type")
    for step in answers[1:]:
        if isinstance(step, StudentError):
            raise step
    return answers[0], answers[answer.index]


def returned_tensor(framework: str, described: dict, what: str, dtype: str | None = "float32") -> np.ndarray:
    """The values of a tensor the student returned, after checking it is the framework's
    tensor (of ``dtype``)."""
    if not described["tensor"]:
        raise CheckFailed(f"{what} returned a {described['type']}, not a {FRAMEWORK_NAMES[framework]} tensor: compute it with {FRAMEWORK_NAMES[framework]}'s operations")
    if dtype is not None and described["dtype"] != dtype:
        raise CheckFailed(f"{what} returned a {described['dtype']} tensor; expected {dtype}")
    return np.asarray(described["value"])


# -- tensors --------------------------------------------------------------------------------


def _floats(label: str, *shape) -> np.ndarray:
    return rng_for("framework_losses", label, str(shape)).normal(size=shape).astype(np.float32)


OPERATIONS = {
    # name: (inputs, numpy of the inputs)
    "tensor_sum": ((_floats("sum", 3, 4, 2),), lambda x: np.sum(x)),
    "scalar_product": ((_floats("dot-a", 7), _floats("dot-b", 7)), lambda a, b: np.dot(a, b)),
    "outer_product": ((_floats("outer-a", 3), _floats("outer-b", 5)), lambda a, b: np.outer(a, b)),
    "tensor_product": ((_floats("tp-a", 2, 3), _floats("tp-b", 4)), lambda a, b: np.tensordot(a, b, axes=0)),
    "flatten_batch": ((_floats("flat", 4, 3, 2, 2),), lambda x: x.reshape(4, -1)),
}


@pytest.mark.parametrize("name", [task_param(name) for name in OPERATIONS])
def test_tensor_operation(name, student):
    """{name} gives numpy's values as a float32 tensor of the right shape"""
    inputs, expected = OPERATIONS[name]
    framework, described = run(student, "call", name, *inputs)
    got = returned_tensor(framework, described, name)
    want = np.asarray(expected(*inputs))
    if got.shape != want.shape:
        raise CheckFailed(f"{name} returned shape {got.shape}; expected {want.shape}")
    assert_close(got, want, what=name, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "value, dtype",
    [
        task_param("list-of-ints", [[1, 2], [3, 4]], "float32", task="to_tensor"),
        task_param("float64-array", np.linspace(-1, 1, 6).reshape(2, 3), "float32", task="to_tensor"),
        task_param("to-int64", np.array([0.0, 1.0, 2.0]), "int64", task="to_tensor"),
    ],
)
def test_to_tensor(value, dtype, student):
    """to_tensor makes a tensor of the dtype asked for"""
    framework, described = run(student, "call_raw", "to_tensor", value, dtype)
    got = returned_tensor(framework, described, f"to_tensor(..., {dtype!r})", dtype=dtype)
    assert_close(got, np.asarray(value, dtype=dtype), what="to_tensor", rtol=0, atol=0)


@pytest.mark.parametrize(
    "x, like",
    [
        task_param("float64-to-float32", _floats("cast", 3, 2).astype(np.float64) / 3, np.zeros(1, np.float32), task="cast_like"),
        task_param("int64-to-float64", np.arange(-3, 3), np.zeros(1, np.float64), task="cast_like"),
    ],
)
def test_cast_like(x, like, student):
    """cast_like gives x the dtype of like"""
    framework, described = run(student, "call", "cast_like", x, like)
    got = returned_tensor(framework, described, "cast_like", dtype=like.dtype.name)
    assert_close(got, x.astype(like.dtype), what="cast_like", rtol=1e-7, atol=0)


# -- losses ---------------------------------------------------------------------------------

#: Each loss: (numpy reference, keyword arguments of the reference, factory arguments or None, kind of batch)
LOSSES = {
    "mae": (NUMPY.mae, {}, None, "regression"),
    "mse": (NUMPY.mse, {}, None, "regression"),
    "binary_crossentropy": (NUMPY.binary_crossentropy, {}, None, "binary"),
    "weighted_binary_crossentropy": (NUMPY.weighted_binary_crossentropy, {"beta": 3.0}, (3.0,), "binary"),
    "dice_loss": (NUMPY.dice_loss, {}, None, "mask"),
    "jaccard_loss": (NUMPY.jaccard_loss, {}, None, "mask"),
    "my_huber_loss": (NUMPY.huber, {"delta": 1.0}, None, "regression"),
    "huber_loss": (NUMPY.huber, {"delta": 2.0}, (2.0,), "regression"),
}
SHAPES = {"regression": [(8,), (8, 1), (6, 3)], "binary": [(8,), (8, 1), (6, 3)], "mask": [(8, 1), (6, 3), (4, 3, 5)]}


def batch(kind: str, shape: tuple, integer_labels: bool, label: str) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_pred)``: y_pred float32, away from the losses' kinks; y_true float32 or int64."""
    rng = rng_for("framework_losses", label, kind, str(shape), str(integer_labels))
    if kind == "regression":
        y = rng.integers(-3, 4, shape) if integer_labels else rng.uniform(-3, 3, shape)
        gap = rng.uniform(0.1, 3.5, shape) * rng.choice([-1.0, 1.0], shape)
        gap = np.where(np.abs(np.abs(gap) - 1.0) < 0.05, gap * 1.2, gap)
        gap = np.where(np.abs(np.abs(gap) - 2.0) < 0.05, gap * 1.2, gap)
        return (y if integer_labels else y.astype(np.float32)), (y + gap).astype(np.float32)
    labels = rng.integers(0, 2, shape)
    p = rng.uniform(0.05, 0.95, shape).astype(np.float32)
    return (labels if integer_labels else labels.astype(np.float32)), p


def loss_cases():
    cases = []
    for name, (_, _, _, kind) in LOSSES.items():
        for shape in SHAPES[kind]:
            for integer_labels in (False, True):
                labels = "int" if integer_labels else "float"
                cases.append(task_param(f"{name}-{'x'.join(map(str, shape))}-{labels}-labels", name, shape, integer_labels, task=name))
    return cases


def _mean_loss(framework: str, described: dict, name: str, y_shape: tuple) -> float:
    """The mean of what a loss returned: a scalar, or a loss per example or per element (any
    shape with the batch first that broadcasts against the labels: (B,), (B, 1), y's own)."""
    got = returned_tensor(framework, described, name)
    try:
        per_example = got.ndim >= 1 and got.shape[0] == y_shape[0] and np.broadcast_shapes(got.shape, tuple(y_shape)) == tuple(y_shape)
    except ValueError:
        per_example = False
    if got.ndim == 1 and len(y_shape) >= 1 and got.shape == tuple(y_shape[:1]):
        per_example = True
    if got.ndim and not per_example:
        raise CheckFailed(f"{name} returned shape {got.shape} for inputs of shape {y_shape}: return the mean (a scalar), or the loss per example or per element")
    return float(np.mean(got))


@pytest.mark.parametrize("name, shape, integer_labels", loss_cases())
def test_loss_value(name, shape, integer_labels, student):
    """{name} on a batch of shape {shape} gives the numpy lesson's value"""
    reference, kwargs, factory, kind = LOSSES[name]
    y, p = batch(kind, shape, integer_labels, "value")
    framework, described = run(student, "call", name, y, p, factory_args=factory)
    got = _mean_loss(framework, described, name, y.shape)
    assert_close(got, reference(y.astype(np.float64), p.astype(np.float64), **kwargs), what=f"{name} (the mean of what it returns)", **VALUE_TOL)


def gradient_cases():
    return [task_param(f"{name}-{'x'.join(map(str, SHAPES[kind][-1]))}", name, task=name) for name, (_, _, _, kind) in LOSSES.items()]


def _check_gradient(name: str, answer: dict, y: np.ndarray, p: np.ndarray, where: str) -> None:
    reference, kwargs, _, _ = LOSSES[name]
    grad_of = getattr(NUMPY, f"{reference.__name__}_grad")
    if answer["grad"] is None:
        raise CheckFailed(f"{name}'s result does not depend on y_pred {where}: compute it with the framework's operations (no numpy, no .item(), no new tensor from values)")
    grad = np.asarray(answer["grad"])
    if not np.all(np.isfinite(grad)):
        raise CheckFailed(f"the gradient of {name} {where} is not finite")
    assert_close(answer["loss"], reference(y.astype(np.float64), p.astype(np.float64), **kwargs), what=f"{name} {where}", **VALUE_TOL)
    assert_close(grad, grad_of(y.astype(np.float64), p.astype(np.float64), **kwargs), what=f"the gradient of {name} {where}", **GRAD_TOL)


@pytest.mark.parametrize("name", gradient_cases())
def test_loss_gradient(name, student):
    """the gradient of {name} with respect to y_pred (autograd or GradientTape) is the analytic one"""
    _, _, factory, kind = LOSSES[name]
    y, p = batch(kind, SHAPES[kind][-1], False, "gradient")
    framework, answer = run(student, "loss_gradient", name, y, p, factory_args=factory)
    _check_gradient(name, answer, y, p, "by autograd" if framework == "torch" else "by tf.GradientTape")


@pytest.mark.parametrize("name", gradient_cases())
def test_loss_in_a_traced_graph(name, student):
    """{name} runs inside tf.function (Keras) or torch.func.grad (PyTorch): no numpy, no Python if on a tensor"""
    _, _, factory, kind = LOSSES[name]
    y, p = batch(kind, SHAPES[kind][1], True, "graph")
    framework, answer = run(student, "in_graph", name, y, p, factory_args=factory)
    _check_gradient(name, answer, y, p, "inside tf.function" if framework == "keras" else "under torch.func.grad")


@pytest.mark.parametrize(
    "name",
    [task_param("binary_crossentropy"), task_param("weighted_binary_crossentropy")],
)
def test_probabilities_of_zero_and_one_are_clipped(name, student):
    """{name} stays finite, clipped to [1e-7, 1 - 1e-7], where p is exactly 0 or 1"""
    reference, kwargs, factory, _ = LOSSES[name]
    y = np.array([1.0, 0.0, 1.0, 0.0], dtype=np.float32)
    p = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    framework, described = run(student, "call", name, y, p, factory_args=factory)
    got = _mean_loss(framework, described, name, y.shape)
    if not np.isfinite(got):
        raise CheckFailed(f"{name} is {got} where y_pred is exactly 0 or 1: clip y_pred to [1e-7, 1 - 1e-7] before the logarithm")
    assert_close(got, reference(y.astype(np.float64), p.astype(np.float64), **kwargs), what=f"{name} at p = 0 and 1", rtol=2e-2, atol=1e-3)


@pytest.mark.parametrize(
    "name, threshold, errors",
    [
        task_param("my_huber_loss-at-inside-far", "my_huber_loss", 1.0, [1.0, -1.0, 0.25, -0.5, 1e3, -1e3], task="my_huber_loss"),
        task_param("huber_loss-0.5", "huber_loss", 0.5, [0.5, -0.5, 0.2, 0.8, 1e3, -1e3], task="huber_loss"),
        task_param("huber_loss-3", "huber_loss", 3.0, [3.0, -3.0, 1.0, -2.5, 1e3, -1e3], task="huber_loss"),
    ],
)
def test_huber_at_inside_and_far_outside_the_threshold(name, threshold, errors, student):
    """{name} with threshold {threshold} is 0.5 a^2 up to the threshold and linear beyond it"""
    y = np.zeros(len(errors), dtype=np.float32)
    p = -np.asarray(errors, dtype=np.float32)  # a = y - p = the error
    framework, described = run(student, "call", name, y, p, factory_args=None if name == "my_huber_loss" else (threshold,))
    got = _mean_loss(framework, described, name, y.shape)
    assert_close(got, NUMPY.huber(y.astype(np.float64), p.astype(np.float64), delta=threshold), what=f"{name} (threshold {threshold}) on errors {errors}", **VALUE_TOL)


@pytest.mark.parametrize(
    "name, builtin",
    [
        task_param("my_huber_loss", "my_huber_loss", "huber:1.0"),
        task_param("huber_loss", "huber_loss", "huber:1.0"),
        task_param("mse", "mse", "mse"),
    ],
)
def test_a_short_fit_trains_as_the_builtin_loss_does(name, builtin, student):
    """a model trained with {name} on y = 2x - 1 decreases its loss and ends where the framework's built-in loss ends"""
    framework, runs = run(student, "fit_twins", name, builtin, FIT_EPOCHS, factory_args=(1.0,) if name == "huber_loss" else None)
    losses = np.asarray(runs["losses"], dtype=float)
    if losses.shape != (FIT_EPOCHS,) or not np.all(np.isfinite(losses)):
        raise CheckFailed(f"training with {name} gave losses that are not finite: {losses[:5].tolist()} ...")
    if not losses[-1] < losses[0]:
        raise CheckFailed(f"training with {name} did not lower the loss ({losses[0]:.4g} at the first epoch, {losses[-1]:.4g} at the last)")
    twin = f"the built-in loss of a model trained with {name}, against its twin trained with the built-in loss"
    assert_close(runs["evaluate"], runs["twin_evaluate"], what=twin, rtol=1e-3, atol=1e-5)
    assert_close(runs["predictions"], runs["twin_predictions"], what=f"the predictions of a model trained with {name}", rtol=1e-3, atol=1e-4)
