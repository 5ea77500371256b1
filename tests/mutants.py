"""A catalogue of deliberately wrong solutions: typical student bugs applied to the reference.

Each mutant replaces one exact snippet of ``reference/<lesson>/<module>.py`` and names the tasks
that must lose points (a bug in a function that others call breaks its callers too); every
other task must keep full marks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Mutant:
    """One typical bug: ``old`` -> ``new`` in the lesson's reference file."""

    lesson: str
    id: str
    old: str
    new: str
    breaks: set


SIGMOID_CALLERS = {"sigmoid", "sigmoid_grad", "softplus_grad", "swish", "swish_grad", "mish_grad"}

MUTANTS = [
    # -- activations -------------------------------------------------------------------------
    Mutant("activations", "softmax-without-max-shift",
           "shifted = x - np.max(x, axis=axis, keepdims=True)\n    e = np.exp(shifted)",
           "e = np.exp(x)", {"softmax", "softmax_backward"}),
    Mutant("activations", "sigmoid-overflows",
           "z = _exp_neg_abs(x)\n    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))",
           "return 1 / (1 + np.exp(-x))", SIGMOID_CALLERS),
    Mutant("activations", "tanh-grad-wrong-sign",
           "return 1 - np.tanh(x) ** 2", "return np.tanh(x) ** 2 - 1", {"tanh_grad"}),
    Mutant("activations", "relu-grad-returns-bool",
           "return (x > 0).astype(x.dtype)", "return x > 0", {"relu_grad"}),
    Mutant("activations", "gelu-float64-constant",
           "return 0.5 * x * (1 + special.erf(x / math.sqrt(2)))",
           "return 0.5 * x * (1 + special.erf(x / np.sqrt(2)))", {"gelu"}),
    Mutant("activations", "relu-in-place",
           "return np.maximum(x, 0)", "np.maximum(x, 0, out=x)\n    return x", {"relu"}),
    Mutant("activations", "leaky-relu-ignores-alpha",
           "return np.where(x >= 0, x, alpha * x)", "return np.where(x >= 0, x, 0.01 * x)", {"leaky_relu"}),
    Mutant("activations", "elu-grad-overflows",
           "return np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)",
           "return np.where(x > 0, 1, alpha * np.exp(x)).astype(x.dtype)", {"elu_grad", "selu_grad"}),
    Mutant("activations", "softplus-overflows",
           "return np.logaddexp(0, beta * x) / beta", "return np.log(1 + np.exp(beta * x)) / beta",
           {"softplus", "mish", "mish_grad"}),
    Mutant("activations", "log-softmax-as-log-of-softmax",
           "shifted = x - np.max(x, axis=axis, keepdims=True)\n    return shifted - np.log(",
           "return np.log(softmax(x, axis=axis))\n    return shifted - np.log(", {"log_softmax"}),
    Mutant("activations", "softmax-backward-forgets-sum",
           "return y * (grad_out - np.sum(grad_out * y, axis=axis, keepdims=True))",
           "return y * grad_out", {"softmax_backward"}),
    Mutant("activations", "softmax-backward-ignores-axis",
           "return y * (grad_out - np.sum(grad_out * y, axis=axis, keepdims=True))",
           "return y * (grad_out - np.sum(grad_out * y, axis=-1, keepdims=True))", {"softmax_backward"}),
    Mutant("activations", "hard-sigmoid-keras2-slope",
           "return np.clip(x / 6 + 0.5, 0, 1)", "return np.clip(0.2 * x + 0.5, 0, 1)", {"hard_sigmoid", "hard_swish"}),
    Mutant("activations", "step-at-zero-is-zero",
           "return (x >= 0).astype(x.dtype)", "return (x > 0).astype(x.dtype)", {"step"}),
    Mutant("activations", "exponential-grad-python-loop",
           "f'(x) = e^x.\"\"\"\n    ### BEGIN SOLUTION\n    return np.exp(x)",
           "f'(x) = e^x.\"\"\"\n    ### BEGIN SOLUTION\n    return np.array([math.exp(v) for v in np.ravel(x)]).reshape(np.shape(x))",
           {"exponential_grad"}),
    Mutant("activations", "gelu-ignores-approximate",
           "    if approximate:\n        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)\n        return 0.5 * x * (1 + np.tanh(inner))\n",
           "", {"gelu"}),
    Mutant("activations", "tanhshrink-grad-is-tanh-grad",
           "return np.tanh(x) ** 2\n", "return 1 - np.tanh(x) ** 2\n", {"tanhshrink_grad"}),
    Mutant("activations", "swish-grad-forgets-product-rule",
           "return s + x * s * (1 - s)", "return s * (1 - s)", {"swish_grad"}),
    # -- losses ------------------------------------------------------------------------------
    Mutant("losses", "mse-sum-instead-of-mean",
           "return float(np.mean((y_true - y_pred) ** 2))", "return float(np.sum((y_true - y_pred) ** 2))", {"mse"}),
    Mutant("losses", "bce-forgets-clipping",
           "p = np.clip(y_pred, EPS, 1 - EPS)\n    return float(np.mean(-(y_true * np.log(p)",
           "p = y_pred\n    return float(np.mean(-(y_true * np.log(p)", {"binary_crossentropy"}),
    Mutant("losses", "mse-grad-forgets-mean",
           "return _elementwise_grad(2 * (y_pred - y_true), y_pred)",
           "return (2 * (y_pred - y_true)).astype(y_pred.dtype)", {"mse_grad"}),
    Mutant("losses", "mae-grad-wrong-sign",
           "np.sign(y_pred - y_true), y_pred)", "np.sign(y_true - y_pred), y_pred)", {"mae_grad"}),
    Mutant("losses", "softmax-ce-grad-not-divided-by-batch",
           "return ((probs - _one_hot(y_true, k, logits.dtype)) / n).astype(logits.dtype)",
           "return (probs - _one_hot(y_true, k, logits.dtype)).astype(logits.dtype)",
           {"softmax_crossentropy_with_logits_grad"}),
    Mutant("losses", "bce-with-logits-through-sigmoid",
           "return float(np.mean(np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))))",
           "return float(np.mean(-(y_true * np.log(_sigmoid(z)) + (1 - y_true) * np.log(1 - _sigmoid(z)))))",
           {"binary_crossentropy_with_logits"}),
    Mutant("losses", "huber-ignores-delta",
           "np.where(a <= delta, 0.5 * a**2, delta * (a - 0.5 * delta))",
           "np.where(a <= 1.0, 0.5 * a**2, 1.0 * (a - 0.5))", {"huber"}),
    Mutant("losses", "categorical-ce-mean-over-elements",
           "return float(np.sum(-y_true * np.log(p)) / _rows(y_pred))",
           "return float(np.mean(-y_true * np.log(p)))", {"categorical_crossentropy"}),
    Mutant("losses", "log-cosh-overflows",
           "e = np.abs(y_pred - y_true)\n    return float(np.mean(e + np.log1p(np.exp(-2 * e)) - np.log(2.0)))",
           "return float(np.mean(np.log(np.cosh(y_pred - y_true))))", {"log_cosh"}),
    Mutant("losses", "kl-divergence-forgets-clipping-y",
           "y = np.clip(y_true, EPS, 1)\n    p = np.clip(y_pred, EPS, 1)\n    return float(",
           "y = y_true\n    p = np.clip(y_pred, EPS, 1)\n    return float(", {"kl_divergence"}),
    Mutant("losses", "cosine-similarity-positive",
           "return float(-np.sum((y_true / y_norm)", "return float(np.sum((y_true / y_norm)", {"cosine_similarity"}),
    Mutant("losses", "hinge-grad-float64",
           "return _elementwise_grad(np.where(1 - y_true * y_pred > 0, -y_true, 0), y_pred)",
           "return np.where(1 - y_true * y_pred > 0, -y_true, 0) / np.float64(y_pred.size)", {"hinge_grad"}),
    Mutant("losses", "poisson-grad-modifies-input",
           "return _elementwise_grad(1 - y_true / (y_pred + EPS), y_pred)",
           "y_pred += EPS\n    return _elementwise_grad(1 - y_true / y_pred, y_pred)", {"poisson_grad"}),
    # -- tensors -----------------------------------------------------------------------------
    Mutant("tensors", "normal-equation-wrong-right-hand-side",
           "return np.linalg.solve(X.T @ X, X.T @ y)", "return np.linalg.solve(X.T @ X, X.T @ y * 0.5)",
           {"linear_regression_normal"}),
    Mutant("tensors", "gd-gradient-missing-factor-two",
           "w = w - lr * (2 / n) * (X.T @ (X @ w - y))", "w = w - lr * (1 / n) * (X.T @ (X @ w - y))",
           {"linear_regression_gd"}),
    Mutant("tensors", "gd-float64-weights",
           "w = np.zeros(X.shape[1], dtype=X.dtype)", "w = np.zeros(X.shape[1])", {"linear_regression_gd"}),
    Mutant("tensors", "xor-second-layer-is-or",
           "return [(w1, b1), (w2, -1.5)]", "return [(w1, b1), (w2, -0.5)]", {"xor_network"}),
    Mutant("tensors", "tensor-sum-broadcasts",
           "    if a.shape != b.shape:\n        raise ValueError(f\"shapes differ: {a.shape} and {b.shape}\")\n",
           "", {"tensor_sum"}),
    Mutant("tensors", "outer-product-transposed",
           "return u[:, None] * v[None, :]", "return (v[:, None] * u[None, :]).T.T", {"outer_product"}),
    Mutant("tensors", "and-neuron-is-or",
           "return np.array([1.0, 1.0]), -1.5", "return np.array([1.0, 1.0]), -0.5", {"and_neuron"}),
    Mutant("tensors", "threshold-neuron-returns-bool",
           "return (x @ w + b >= 0).astype(x.dtype)", "return x @ w + b >= 0", {"threshold_neuron"}),
    Mutant("tensors", "tensor-product-flattened",
           "return np.multiply.outer(a, b)", "return np.kron(a, b)", {"tensor_product"}),
]  # fmt: skip
