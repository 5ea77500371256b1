"""Hidden checks of ``optimizers.py``.

Optimizers: 50-step trajectories in float64 on three parameters of different shapes at once
(state per parameter), compared with the reference after steps 1, 10 and 50 (rtol 1e-9,
atol 1e-12; the reference is validated against torch.optim in the project's tests), for the
defaults and every option. Gradients are fixed random arrays per step, so every buffer and the
weight decay (which reads the parameters) are exercised. iterate_minibatches: the batches of the
reference for the same rng. fit: a network of the student's own ``backprop.py`` trained with
plain SGD (the child's own, so that only ``fit`` is graded) on scikit-learn's handwritten digits
reaches 0.95 test accuracy in 40 epochs; test labels never leave the grader.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close, check_array, describe_type
from grader.kit.numeric import rng_for, run_program
from grader.course.references import load_reference
from grader.plugin import task_param
from grader.runner.protocol import Rng
from grader.runner.proxy import Program, StudentError

TOL: dict[str, Any] = {"rtol": 1e-9, "atol": 1e-12}
SHAPES = [(3,), (2, 3), (4, 1)]
STEPS = 50
SNAPSHOTS = (1, 10, 50)

CONFIGS: dict[str, list[dict[str, Any]]] = {
    "SGD": [{}, {"lr": 0.05}, {"lr": 0.05, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
            {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {"lr": 0.05, "weight_decay": 0.1},
            {"lr": 0.02, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True}],
    "Adagrad": [{}, {"lr": 0.1, "lr_decay": 0.01}, {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-6}],
    "RMSprop": [{}, {"lr": 0.01, "alpha": 0.9}, {"lr": 0.01, "centered": True}, {"lr": 0.01, "momentum": 0.9},
                {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.1}],
    "Adadelta": [{}, {"lr": 0.5, "rho": 0.95}, {"weight_decay": 0.1, "eps": 1e-4}],
    "Adam": [{}, {"lr": 0.01, "betas": (0.8, 0.99)}, {"lr": 0.01, "amsgrad": True}, {"lr": 0.01, "weight_decay": 0.1},
             {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "eps": 1e-6}],
    "AdamW": [{}, {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-6}],
    "Adamax": [{}, {"lr": 0.01, "betas": (0.8, 0.99)}, {"lr": 0.01, "weight_decay": 0.1}],
    "NAdam": [{}, {"lr": 0.01, "momentum_decay": 0.01}, {"lr": 0.01, "weight_decay": 0.1, "betas": (0.8, 0.99)}],
}  # fmt: skip


def _label(name, options):
    return f"{name}({', '.join(f'{k}={v}' for k, v in options.items())})"


def _cases():
    return [
        task_param(f"{name}-{i}", name, options, _label(name, options), task=name) for name, configs in CONFIGS.items() for i, options in enumerate(configs)
    ]




@pytest.mark.parametrize("name, options, label", _cases())
def test_trajectory(name, options, label, student, reference):
    """{label} follows the reference's 50-step trajectory"""
    rng = rng_for("trajectory", name, str(options))
    start = [rng.normal(size=shape) for shape in SHAPES]
    grads = [[rng.normal(size=shape) for shape in SHAPES] for _ in range(STEPS)]

    params = [student.store(p.copy()) for p in start]
    program = Program()
    optimizer = program.call(name, params, **options)
    snapshots = {}
    for step, grad in enumerate(grads, start=1):
        program.method(optimizer, "step", grad)
        if step in SNAPSHOTS:
            snapshots[step] = program.helper("identity", params)
    try:
        answers = run_program(student, program)
    except StudentError as error:  # say which configuration failed
        error.args = (f"{label}: {error}",)
        raise

    ref_params = [p.copy() for p in start]
    ref_optimizer = getattr(reference, name)(ref_params, **options)
    for step, grad in enumerate(grads, start=1):
        ref_optimizer.step(grad)
        if step in SNAPSHOTS:
            got = answers[snapshots[step].index]
            for i, (have, want) in enumerate(zip(got, ref_params)):
                what = f"{_label(name, options)}: parameter {i + 1} {want.shape} after step {step}"
                assert_close(check_array(have, what=what, shape=want.shape), want, what=what, **TOL)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.task("iterate_minibatches")
def test_minibatches(shuffle, student, reference):
    """iterate_minibatches yields the reference's batches (shuffle={shuffle})"""
    x = np.arange(46.0).reshape(23, 2)
    y = np.arange(23)
    program = Program()
    batches = program.helper("list", program.call("iterate_minibatches", x, y, 5, Rng(4), shuffle=shuffle))
    got = run_program(student, program)[batches.index]
    expected = list(reference.iterate_minibatches(x, y, 5, np.random.default_rng(4), shuffle=shuffle))
    if not isinstance(got, list) or len(got) != len(expected):
        raise CheckFailed(f"iterate_minibatches gave {describe_type(got)} of {len(got) if isinstance(got, list) else '?'} batches; expected {len(expected)}")
    for i, (have, (want_x, want_y)) in enumerate(zip(got, expected)):
        if not isinstance(have, tuple) or len(have) != 2:
            raise CheckFailed(f"batch {i + 1} is {describe_type(have)}; expected a pair (x_batch, y_batch)")
        assert_close(check_array(have[0], what=f"x of batch {i + 1}", shape=want_x.shape), want_x, what=f"x of batch {i + 1}", rtol=0, atol=0)
        assert_close(check_array(have[1], what=f"y of batch {i + 1}", shape=want_y.shape), want_y, what=f"y of batch {i + 1}", rtol=0, atol=0)


def _digits():
    """scikit-learn's bundled handwritten digits (8x8, 1,797 images), split 80/20."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x, y = digits.data / 16.0, digits.target
    order = np.random.default_rng(0).permutation(len(x))
    cut = int(0.8 * len(x))
    return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]


@pytest.mark.task("fit")
def test_fit_learns_digits(student):
    """fit trains a network of your backprop.py to 0.95 test accuracy on digits"""
    x_train, y_train, x_test, y_test = _digits()
    epochs = 40
    program = Program()
    layers = [
        program.call("Dense", 64, 64, Rng(1), module="backprop"),
        program.call("ReLU", module="backprop"),
        program.call("Dense", 64, 10, Rng(2), module="backprop"),
    ]
    model = program.call("Sequential", *layers, module="backprop")
    loss = program.call("SoftmaxCrossEntropy", module="backprop")
    optimizer = program.helper("plain_sgd", program.method(model, "parameters"), 0.1)
    history = program.call("fit", model, loss, optimizer, x_train, y_train, epochs, 32, Rng(3))
    program.method(model, "eval")
    logits = program.method(model, "forward", x_test)
    answers = run_program(student, program)

    losses = answers[history.index]
    if not isinstance(losses, list) or len(losses) != epochs or not all(isinstance(v, (float, np.floating)) for v in losses):
        raise CheckFailed(f"fit returned {describe_type(losses)}; expected a list of {epochs} per-epoch mean losses")
    if not losses[-1] < losses[0]:
        raise CheckFailed(f"fit's training loss did not go down: {losses[0]:.4g} in the first epoch, {losses[-1]:.4g} in the last")
    predictions = np.argmax(check_array(answers[logits.index], what="the trained model on the test images", shape=(len(x_test), 10)), axis=1)
    accuracy = float(np.mean(predictions == y_test))
    if accuracy < 0.95:
        raise CheckFailed(f"fit reached test accuracy {accuracy:.3f}; at least 0.95 is needed (digits, SGD lr=0.1, {epochs} epochs)")


@pytest.mark.task("fit")
def test_fit_follows_the_loop(student, reference):
    """fit's per-epoch losses match the reference loop on a small problem"""
    backprop = load_reference("backprop", "backprop")
    rng = rng_for("fit-loop")
    x, y = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    program = Program()
    model = program.call("Sequential", program.call("Dense", 4, 3, Rng(9), module="backprop"), module="backprop")
    optimizer = program.helper("plain_sgd", program.method(model, "parameters"), 0.1)
    loss = program.call("SoftmaxCrossEntropy", module="backprop")
    history = program.call("fit", model, loss, optimizer, x, y, 3, 8, Rng(11))
    got = run_program(student, program)[history.index]

    ref_model = backprop.Sequential(backprop.Dense(4, 3, np.random.default_rng(9)))
    program_check = Program()
    weights = program_check.call("Dense", 4, 3, Rng(9), module="backprop")
    w = program_check.get(weights, "W")
    student_w = run_program(student, program_check)[w.index]
    ref_model.layers[0].W[...] = student_w  # the student's own initialisation, so only fit is compared
    expected = reference.fit(ref_model, backprop.SoftmaxCrossEntropy(), reference.SGD(ref_model.parameters(), lr=0.1), x, y, 3, 8, np.random.default_rng(11))
    if not isinstance(got, list) or len(got) != 3:
        raise CheckFailed(f"fit returned {describe_type(got)}; expected a list of 3 per-epoch mean losses")
    assert_close(np.array(got, dtype=float), expected, what="fit's per-epoch mean losses", rtol=1e-8, atol=1e-10)
