"""The backprop and optimizers references against PyTorch (autograd, torch.optim) in float64.

Only the project's tests use these oracles: grading compares with the reference alone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.course.references import load_reference

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install -e '.[instructor]'")

BP = load_reference("backprop", "backprop")
OPT = load_reference("optimizers", "optimizers")


# -- Value against autograd -------------------------------------------------------------------

EXPRESSIONS = {
    "course example": lambda x, w1, w0, exp: 1 + exp(w1 * x + w0),
    "rational": lambda a, b, c, exp: (a * b - c / a) / (2 + b) - 3 / c,
    "powers": lambda a, b, c, exp: a**3 + b**-1.5 - c**0.5 * a,
    "reused": lambda a, b, c, exp: a * a * b + a * c + a,
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_value_matches_autograd(name):
    inputs = [0.7, 1.3, 2.1]
    values = [BP.Value(v) for v in inputs]
    out = EXPRESSIONS[name](*values, lambda v: v.exp())
    out.backward()
    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in inputs]
    expected = EXPRESSIONS[name](*tensors, torch.exp)
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-12)
    for value, tensor in zip(values, tensors):
        assert value.grad == pytest.approx(tensor.grad.item(), rel=1e-12)


@pytest.mark.parametrize("method", ["exp", "log", "tanh", "relu", "sigmoid"])
def test_value_unary_matches_autograd(method):
    for x in (0.4, 1.7, -1.2):
        if method == "log" and x < 0:
            continue
        value = BP.Value(x)
        out = getattr(value, method)()
        out.backward()
        tensor = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        expected = getattr(torch, method)(tensor)
        expected.backward()
        assert out.data == pytest.approx(expected.item(), rel=1e-12)
        assert value.grad == pytest.approx(tensor.grad.item(), rel=1e-12, abs=1e-15)


def test_value_deep_chain_has_no_recursion_limit():
    x = BP.Value(0.5)
    out = x
    for _ in range(5000):
        out = out * 1.0001 + 0.0001
    out.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-9)


# -- layers against autograd ------------------------------------------------------------------

def test_network_gradients_match_autograd():
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(7, 5)), rng.integers(0, 3, 7)
    model = BP.Sequential(BP.Dense(5, 6, rng), BP.Tanh(), BP.Dense(6, 4, rng), BP.Sigmoid(), BP.Dense(4, 3, rng), BP.ReLU())
    loss = BP.SoftmaxCrossEntropy()
    value = loss.forward(model.forward(x), labels)
    grad_in = model.backward(loss.backward())

    t_x = torch.tensor(x, requires_grad=True)
    params = [torch.tensor(p, requires_grad=True) for p in model.parameters()]
    h = torch.tanh(t_x @ params[0] + params[1])
    h = torch.sigmoid(h @ params[2] + params[3])
    logits = torch.relu(h @ params[4] + params[5])
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(grad_in, t_x.grad.numpy(), rtol=1e-10, atol=1e-14)
    for ours, theirs in zip(model.gradients(), params):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_frobenius_grad_and_l2_match_autograd():
    rng = np.random.default_rng(1)
    X, W = rng.normal(size=(6, 4)), rng.normal(size=(4, 3))
    t_w = torch.tensor(W, requires_grad=True)
    (0.5 * (torch.tensor(X) @ t_w).pow(2).sum()).backward()
    np.testing.assert_allclose(BP.frobenius_grad(X, W), t_w.grad.numpy(), rtol=1e-12)
    t_w.grad = None
    (0.03 / 2 * t_w.pow(2).sum()).backward()
    np.testing.assert_allclose(BP.l2_penalty_grad([W], 0.03)[0], t_w.grad.numpy(), rtol=1e-12)
    assert BP.l2_penalty([W], 0.03) == pytest.approx(0.015 * float(np.sum(W**2)), rel=1e-12)


def test_dropout_is_inverted_and_reproducible():
    x = np.ones((200, 50))
    out = BP.Dropout(0.3, np.random.default_rng(2)).forward(x)
    again = BP.Dropout(0.3, np.random.default_rng(2)).forward(x)
    np.testing.assert_array_equal(out, again)
    assert set(np.unique(out)) == {0.0, 1 / 0.7}
    assert abs(out.mean() - 1.0) < 0.02


def test_train_xor_learns():
    model = BP.train_xor(np.random.default_rng(0))
    logits = model.forward(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]))
    assert np.argmax(logits, axis=1).tolist() == [0, 1, 1, 0]


# -- optimizers against torch.optim -------------------------------------------------------------

CONFIGS = [
    ("SGD", {"lr": 0.05}), ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.02, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True}),
    ("Adagrad", {}), ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "eps": 1e-6}),
    ("RMSprop", {}), ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "rho": 0.95, "weight_decay": 0.1, "eps": 1e-4}),
    ("Adam", {}), ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "eps": 1e-6}),
    ("AdamW", {}), ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "betas": (0.5, 0.9)}),
    ("Adamax", {}), ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("NAdam", {}), ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
]  # fmt: skip


@pytest.mark.parametrize("name, options", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_optimizer_trajectory_matches_torch(name, options):
    rng = np.random.default_rng(3)
    start = [rng.normal(size=(3,)), rng.normal(size=(2, 3))]
    ours = [p.copy() for p in start]
    optimizer = getattr(OPT, name)(ours, **options)
    theirs = [torch.tensor(p, requires_grad=True) for p in start]
    torch_optimizer = getattr(torch.optim, name)(theirs, **options)
    for _ in range(50):
        # a loss whose gradient depends on the parameters: sum(sin(p) * p^2) per tensor
        loss = sum((torch.sin(t) * t**2).sum() for t in theirs)
        torch_optimizer.zero_grad()
        loss.backward()
        grads = [t.grad.numpy().copy() for t in theirs]
        optimizer.step(grads)
        torch_optimizer.step()
        for mine, tensor in zip(ours, theirs):
            np.testing.assert_allclose(mine, tensor.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam"])
def test_defaults_match_torch(name):
    import inspect

    ours = {k: v.default for k, v in inspect.signature(getattr(OPT, name)).parameters.items() if k != "params"}
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    for key, value in ours.items():
        default = theirs[key].default
        default = tuple(default) if isinstance(default, (tuple, list)) else default
        assert math.isclose(float(value[0] if isinstance(value, tuple) else value), float(default[0] if isinstance(default, tuple) else default)), (name, key)


def test_fit_reaches_095_on_digits():
    sklearn = pytest.importorskip("sklearn", reason="needs scikit-learn: pip install -e '.[instructor]'")
    digits = sklearn.datasets.load_digits()
    x, y = digits.data / 16.0, digits.target
    order = np.random.default_rng(0).permutation(len(x))
    cut = int(0.8 * len(x))
    model = BP.Sequential(BP.Dense(64, 64, np.random.default_rng(1)), BP.ReLU(), BP.Dense(64, 10, np.random.default_rng(2)))
    optimizer = OPT.SGD(model.parameters(), lr=0.1)
    history = OPT.fit(model, BP.SoftmaxCrossEntropy(), optimizer, x[order[:cut]], y[order[:cut]], 40, 32, np.random.default_rng(3))
    model.eval()
    accuracy = np.mean(np.argmax(model.forward(x[order[cut:]]), axis=1) == y[order[cut:]])
    assert len(history) == 40 and history[-1] < history[0]
    assert accuracy >= 0.95
