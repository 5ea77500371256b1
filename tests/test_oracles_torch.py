"""The reference solutions against PyTorch (torch.nn.functional, autograd) in float64.

Only the project's tests use these oracles: grading compares with the reference alone.
Inputs stay away from kinks (where one-sided derivatives differ) and from clip boundaries.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import inputs_away_from_kinks as _x

from grader.course.references import load_reference

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install -e '.[instructor]'")
F = torch.nn.functional

ACT = load_reference("activations", "activations")
LOSS = load_reference("losses", "losses")
RTOL, ATOL = 1e-10, 1e-12


def _value_and_grad(fn, x):
    """fn(t) in torch, and d sum(fn(t)) / dt: the elementwise derivative."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = fn(t)
    (grad,) = torch.autograd.grad(y.sum(), t)
    return y.detach().numpy(), grad.numpy()


# name -> (torch function, reference keyword arguments, kinks)
ACTIVATIONS = {
    "sigmoid": (torch.sigmoid, {}, ()),
    "tanh": (torch.tanh, {}, ()),
    "relu": (F.relu, {}, (0.0,)),
    "leaky_relu": (lambda t: F.leaky_relu(t, negative_slope=0.2), {"alpha": 0.2}, (0.0,)),
    "elu": (lambda t: F.elu(t, alpha=0.5), {"alpha": 0.5}, (0.0,)),
    "selu": (F.selu, {}, (0.0,)),
    # torch's softplus turns linear past beta*x > 20 (threshold); inputs stay below it.
    "softplus": (lambda t: F.softplus(t, beta=2.0), {"beta": 2.0}, ()),
    "softsign": (F.softsign, {}, (0.0,)),
    "exponential": (torch.exp, {}, ()),
    "swish": (F.silu, {}, ()),
    "gelu": (F.gelu, {}, ()),
    "mish": (F.mish, {}, ()),
    "hard_sigmoid": (F.hardsigmoid, {}, (-3.0, 3.0)),
    "hard_tanh": (lambda t: F.hardtanh(t, -2.0, 0.5), {"min_val": -2.0, "max_val": 0.5}, (-2.0, 0.5)),
    "hard_swish": (F.hardswish, {}, (-3.0, 3.0)),
    "tanhshrink": (F.tanhshrink, {}, ()),
    "softshrink": (lambda t: F.softshrink(t, 1.0), {"lambd": 1.0}, (-1.0, 1.0)),
    "hardshrink": (lambda t: F.hardshrink(t, 1.0), {"lambd": 1.0}, (-1.0, 1.0)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_and_derivative_match_torch(name):
    torch_fn, kwargs, kinks = ACTIVATIONS[name]
    x = _x(kinks=kinks)
    value, grad = _value_and_grad(torch_fn, x)
    np.testing.assert_allclose(getattr(ACT, name)(x, **kwargs), value, rtol=RTOL, atol=ATOL)
    # torch's hardsigmoid backward multiplies by 1/6 rounded to float32 (3e-8 off) even in float64.
    grad_rtol = 1e-7 if name in ("hard_sigmoid",) else 1e-9
    np.testing.assert_allclose(getattr(ACT, f"{name}_grad")(x, **kwargs), grad, rtol=grad_rtol, atol=ATOL)


def test_gelu_tanh_approximation_matches_torch():
    x = _x()
    value, grad = _value_and_grad(lambda t: F.gelu(t, approximate="tanh"), x)
    np.testing.assert_allclose(ACT.gelu(x, approximate=True), value, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ACT.gelu_grad(x, approximate=True), grad, rtol=1e-9, atol=ATOL)


def test_step_matches_heaviside():
    # torch.heaviside has no derivative; the course takes the step's derivative as 0.
    x = np.concatenate([_x().ravel(), [0.0]])
    expected = torch.heaviside(torch.tensor(x), torch.tensor(1.0, dtype=torch.float64)).numpy()
    np.testing.assert_array_equal(ACT.step(x), expected)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_family_matches_torch(axis):
    x = _x(shape=(3, 4, 5))
    g = np.random.default_rng(1).normal(size=x.shape)
    t = torch.tensor(x, requires_grad=True)
    y = F.softmax(t, dim=axis)
    (vjp,) = torch.autograd.grad(y, t, grad_outputs=torch.tensor(g))
    np.testing.assert_allclose(ACT.softmax(x, axis=axis), y.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ACT.log_softmax(x, axis=axis), F.log_softmax(torch.tensor(x), dim=axis).numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ACT.softmax_backward(x, g, axis=axis), vjp.numpy(), rtol=1e-9, atol=ATOL)


# -- losses ----------------------------------------------------------------------------------

RNG = np.random.default_rng(7)
N, K = 6, 4
REG_Y, REG_P = RNG.uniform(-3, 3, (N, K)), RNG.uniform(-3, 3, (N, K))
BIN_Y, BIN_P = RNG.integers(0, 2, (N, K)).astype(float), RNG.uniform(0.05, 0.95, (N, K))
LOGITS = RNG.uniform(-5, 5, (N, K))
LABELS = RNG.integers(0, K, N)
ONE_HOT = np.eye(K)[LABELS]
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
TARGET_DIST = np.exp(REG_Y) / np.exp(REG_Y).sum(-1, keepdims=True)
COUNTS = RNG.integers(0, 5, (N, K)).astype(float)
RATES = RNG.uniform(0.2, 4, (N, K))


def _torch_loss_and_grad(fn, p):
    t = torch.tensor(p, requires_grad=True)
    loss = fn(t)
    (grad,) = torch.autograd.grad(loss, t)
    return loss.detach().item(), grad.numpy()


# name -> (y_true, y_pred, reference kwargs, torch loss of the prediction tensor)
LOSSES = {
    "mae": (REG_Y, REG_P, {}, lambda p: F.l1_loss(p, torch.tensor(REG_Y))),
    "mse": (REG_Y, REG_P, {}, lambda p: F.mse_loss(p, torch.tensor(REG_Y))),
    "huber": (REG_Y, REG_P, {"delta": 1.5}, lambda p: F.huber_loss(p, torch.tensor(REG_Y), delta=1.5)),
    # torch clamps log(p) at -100 instead of clipping p to [1e-7, 1 - 1e-7]: equal inside the clip.
    "binary_crossentropy": (BIN_Y, BIN_P, {}, lambda p: F.binary_cross_entropy(p, torch.tensor(BIN_Y))),
    "binary_crossentropy_with_logits": (BIN_Y, LOGITS, {}, lambda z: F.binary_cross_entropy_with_logits(z, torch.tensor(BIN_Y))),
    # Per-element weights give the weighted and balanced forms, since y is 0 or 1.
    "weighted_binary_crossentropy": (BIN_Y, BIN_P, {"beta": 2.0}, lambda p: F.binary_cross_entropy(p, torch.tensor(BIN_Y), weight=torch.tensor(2.0 * BIN_Y + (1 - BIN_Y)))),
    "balanced_binary_crossentropy": (BIN_Y, BIN_P, {"beta": 0.3}, lambda p: F.binary_cross_entropy(p, torch.tensor(BIN_Y), weight=torch.tensor(0.3 * BIN_Y + 0.7 * (1 - BIN_Y)))),
    "categorical_crossentropy": (ONE_HOT, PROBS, {}, lambda p: F.nll_loss(torch.log(p), torch.tensor(LABELS))),
    "sparse_categorical_crossentropy": (LABELS, PROBS, {}, lambda p: F.nll_loss(torch.log(p), torch.tensor(LABELS))),
    "softmax_crossentropy_with_logits": (LABELS, LOGITS, {}, lambda z: F.cross_entropy(z, torch.tensor(LABELS))),
    # torch's kl_div takes log-probabilities as input and the target as probabilities.
    "kl_divergence": (TARGET_DIST, PROBS, {}, lambda p: F.kl_div(torch.log(p), torch.tensor(TARGET_DIST), reduction="batchmean")),
    # torch's eps is added inside the log just as the course's: p - y log(p + eps).
    "poisson": (COUNTS, RATES, {}, lambda p: F.poisson_nll_loss(p, torch.tensor(COUNTS), log_input=False, full=False, eps=1e-7)),
    # torch returns +cos per row; the course (like Keras) minimises -cos.
    "cosine_similarity": (REG_Y, REG_P, {}, lambda p: -F.cosine_similarity(torch.tensor(REG_Y), p, dim=-1).mean()),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_and_gradient_match_torch(name):
    y, p, kwargs, torch_fn = LOSSES[name]
    expected_loss, expected_grad = _torch_loss_and_grad(torch_fn, p)
    assert getattr(LOSS, name)(y, p, **kwargs) == pytest.approx(expected_loss, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(getattr(LOSS, f"{name}_grad")(y, p, **kwargs), expected_grad, rtol=1e-9, atol=1e-12)
