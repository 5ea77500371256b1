"""Loss functions and their gradients with respect to the prediction, in numpy.

Every loss ``NAME(y_true, y_pred, ...)`` returns a Python float: the mean over the batch, as
Keras computes it (elementwise losses: the mean over every element). Its partner
``NAME_grad(y_true, y_pred, ...)`` returns dL/dy_pred, an array of y_pred's shape and dtype.
Inputs have shape (N,) or (N, K) and are never modified.

Rules of the lesson:
- numerically stable: no NaN, inf or warning for |values| up to 1e4 and probabilities at 0 or 1;
- vectorized: no Python loop over examples;
- numpy and ``math`` only.
Probabilities are clipped to [EPS, 1 - EPS] where the formula says so; where a prediction was
clipped, its gradient is 0 (the derivative of the clip).
"""

import numpy as np

EPS = 1e-7

### BEGIN SOLUTION
def _elementwise_grad(d, y_pred):
    return (d / y_pred.size).astype(y_pred.dtype)


def _rows(y_pred):
    """How many distributions (rows along the last axis) a batch holds."""
    return max(1, y_pred.size // max(1, y_pred.shape[-1])) if y_pred.ndim else 1


def _inside_clip(p, low, high):
    return (p >= low) & (p <= high)


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _log_softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _one_hot(labels, k, dtype):
    out = np.zeros((labels.shape[0], k), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


def _overlap_sums(y_true, y_pred):
    axes = tuple(range(1, y_pred.ndim))
    inter = np.sum(y_true * y_pred, axis=axes, keepdims=True)
    total = np.sum(y_true, axis=axes, keepdims=True) + np.sum(y_pred, axis=axes, keepdims=True)
    return inter, total
### END SOLUTION


def mae(y_true, y_pred):
    """Mean absolute error: mean(|y - p|)."""
    ### BEGIN SOLUTION
    return float(np.mean(np.abs(y_true - y_pred)))
    ### END SOLUTION


def mae_grad(y_true, y_pred):
    """Gradient of mae: sign(p - y) / n, n the number of elements."""
    ### BEGIN SOLUTION
    return _elementwise_grad(np.sign(y_pred - y_true), y_pred)
    ### END SOLUTION


def mse(y_true, y_pred):
    """Mean squared error: mean((y - p)^2)."""
    ### BEGIN SOLUTION
    return float(np.mean((y_true - y_pred) ** 2))
    ### END SOLUTION


def mse_grad(y_true, y_pred):
    """Gradient of mse: 2 (p - y) / n."""
    ### BEGIN SOLUTION
    return _elementwise_grad(2 * (y_pred - y_true), y_pred)
    ### END SOLUTION


def msle(y_true, y_pred):
    """Mean squared logarithmic error: mean((log(1+y) - log(1+p))^2)."""
    ### BEGIN SOLUTION
    return float(np.mean((np.log1p(y_true) - np.log1p(y_pred)) ** 2))
    ### END SOLUTION


def msle_grad(y_true, y_pred):
    """Gradient of msle: -2 (log(1+y) - log(1+p)) / (1 + p) / n."""
    ### BEGIN SOLUTION
    return _elementwise_grad(-2 * (np.log1p(y_true) - np.log1p(y_pred)) / (1 + y_pred), y_pred)
    ### END SOLUTION


def mape(y_true, y_pred):
    """Mean absolute percentage error: mean(100 * |(y - p) / y|)."""
    ### BEGIN SOLUTION
    return float(np.mean(100 * np.abs((y_true - y_pred) / y_true)))
    ### END SOLUTION


def mape_grad(y_true, y_pred):
    """Gradient of mape: 100 * sign(p - y) / |y| / n."""
    ### BEGIN SOLUTION
    return _elementwise_grad(100 * np.sign(y_pred - y_true) / np.abs(y_true), y_pred)
    ### END SOLUTION


def huber(y_true, y_pred, delta=1.0):
    """Huber loss, a = y - p: mean(0.5 a^2 if |a| <= delta else delta * (|a| - 0.5 delta))."""
    ### BEGIN SOLUTION
    a = np.abs(y_true - y_pred)
    return float(np.mean(np.where(a <= delta, 0.5 * a**2, delta * (a - 0.5 * delta))))
    ### END SOLUTION


def huber_grad(y_true, y_pred, delta=1.0):
    """Gradient of huber: clip(p - y, -delta, delta) / n."""
    ### BEGIN SOLUTION
    return _elementwise_grad(np.clip(y_pred - y_true, -delta, delta), y_pred)
    ### END SOLUTION


def log_cosh(y_true, y_pred):
    """Log-cosh: mean(log(cosh(p - y))), computed as |e| + log(1 + e^(-2|e|)) - log 2."""
    ### BEGIN SOLUTION
    e = np.abs(y_pred - y_true)
    return float(np.mean(e + np.log1p(np.exp(-2 * e)) - np.log(2.0)))
    ### END SOLUTION


def log_cosh_grad(y_true, y_pred):
    """Gradient of log-cosh: tanh(p - y) / n."""
    ### BEGIN SOLUTION
    return _elementwise_grad(np.tanh(y_pred - y_true), y_pred)
    ### END SOLUTION


def binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy: mean(-(y log p + (1-y) log(1-p))), p clipped to [EPS, 1-EPS]."""
    ### BEGIN SOLUTION
    p = np.clip(y_pred, EPS, 1 - EPS)
    return float(np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))))
    ### END SOLUTION


def binary_crossentropy_grad(y_true, y_pred):
    """Gradient of binary cross-entropy: (-y/p + (1-y)/(1-p)) / n where p is not clipped, else 0."""
    ### BEGIN SOLUTION
    p = np.clip(y_pred, EPS, 1 - EPS)
    d = -y_true / p + (1 - y_true) / (1 - p)
    return _elementwise_grad(np.where(_inside_clip(y_pred, EPS, 1 - EPS), d, 0), y_pred)
    ### END SOLUTION


def binary_crossentropy_with_logits(y_true, logits):
    """Binary cross-entropy of p = sigmoid(z), from the logits z without clipping.

    Stable form: mean(max(z, 0) - z y + log(1 + e^-|z|)).
    """
    ### BEGIN SOLUTION
    z = logits
    return float(np.mean(np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))))
    ### END SOLUTION


def binary_crossentropy_with_logits_grad(y_true, logits):
    """Gradient with respect to the logits: (sigmoid(z) - y) / n."""
    ### BEGIN SOLUTION
    return _elementwise_grad(_sigmoid(logits) - y_true, logits)
    ### END SOLUTION


def weighted_binary_crossentropy(y_true, y_pred, beta):
    """Weighted binary cross-entropy: mean(-(beta y log p + (1-y) log(1-p))), p clipped."""
    ### BEGIN SOLUTION
    p = np.clip(y_pred, EPS, 1 - EPS)
    return float(np.mean(-(beta * y_true * np.log(p) + (1 - y_true) * np.log(1 - p))))
    ### END SOLUTION


def weighted_binary_crossentropy_grad(y_true, y_pred, beta):
    """Gradient: (-beta y/p + (1-y)/(1-p)) / n where p is not clipped, else 0."""
    ### BEGIN SOLUTION
    p = np.clip(y_pred, EPS, 1 - EPS)
    d = -beta * y_true / p + (1 - y_true) / (1 - p)
    return _elementwise_grad(np.where(_inside_clip(y_pred, EPS, 1 - EPS), d, 0), y_pred)
    ### END SOLUTION


def balanced_binary_crossentropy(y_true, y_pred, beta):
    """Balanced binary cross-entropy: mean(-(beta y log p + (1-beta)(1-y) log(1-p))), p clipped."""
    ### BEGIN SOLUTION
    p = np.clip(y_pred, EPS, 1 - EPS)
    return float(np.mean(-(beta * y_true * np.log(p) + (1 - beta) * (1 - y_true) * np.log(1 - p))))
    ### END SOLUTION


def balanced_binary_crossentropy_grad(y_true, y_pred, beta):
    """Gradient: (-beta y/p + (1-beta)(1-y)/(1-p)) / n where p is not clipped, else 0."""
    ### BEGIN SOLUTION
    p = np.clip(y_pred, EPS, 1 - EPS)
    d = -beta * y_true / p + (1 - beta) * (1 - y_true) / (1 - p)
    return _elementwise_grad(np.where(_inside_clip(y_pred, EPS, 1 - EPS), d, 0), y_pred)
    ### END SOLUTION


def categorical_crossentropy(y_true, y_pred):
    """Categorical cross-entropy: mean over rows of -sum_k y_k log p_k, p clipped to [EPS, 1-EPS]."""
    ### BEGIN SOLUTION
    p = np.clip(y_pred, EPS, 1 - EPS)
    return float(np.sum(-y_true * np.log(p)) / _rows(y_pred))
    ### END SOLUTION


def categorical_crossentropy_grad(y_true, y_pred):
    """Gradient: -y / p / N where p is not clipped, else 0; N the number of rows."""
    ### BEGIN SOLUTION
    p = np.clip(y_pred, EPS, 1 - EPS)
    d = np.where(_inside_clip(y_pred, EPS, 1 - EPS), -y_true / p, 0)
    return (d / _rows(y_pred)).astype(y_pred.dtype)
    ### END SOLUTION


def sparse_categorical_crossentropy(y_true, y_pred):
    """Sparse categorical cross-entropy: mean of -log p_{label}, p clipped to [EPS, 1-EPS].

    y_true holds integer labels (N,); y_pred probabilities (N, K).
    """
    ### BEGIN SOLUTION
    picked = y_pred[np.arange(y_pred.shape[0]), y_true]
    return float(np.mean(-np.log(np.clip(picked, EPS, 1 - EPS))))
    ### END SOLUTION


def sparse_categorical_crossentropy_grad(y_true, y_pred):
    """Gradient: -1 / p_{label} / N at each label (where not clipped), 0 elsewhere."""
    ### BEGIN SOLUTION
    n = y_pred.shape[0]
    rows = np.arange(n)
    picked = y_pred[rows, y_true]
    grad = np.zeros_like(y_pred)
    inside = _inside_clip(picked, EPS, 1 - EPS)
    grad[rows, y_true] = np.where(inside, -1 / np.clip(picked, EPS, 1 - EPS), 0) / n
    return grad
    ### END SOLUTION


def softmax_crossentropy_with_logits(y_true, logits):
    """Softmax cross-entropy from logits (N, K) and integer labels (N,): mean of -log softmax(z)_{label}."""
    ### BEGIN SOLUTION
    n = logits.shape[0]
    return float(-np.mean(_log_softmax(logits)[np.arange(n), y_true]))
    ### END SOLUTION


def softmax_crossentropy_with_logits_grad(y_true, logits):
    """Gradient with respect to the logits: (softmax(z) - onehot(y)) / N."""
    ### BEGIN SOLUTION
    n, k = logits.shape
    probs = np.exp(_log_softmax(logits))
    return ((probs - _one_hot(y_true, k, logits.dtype)) / n).astype(logits.dtype)
    ### END SOLUTION


def hinge(y_true, y_pred):
    """Hinge loss, y in {-1, 1}: mean(max(0, 1 - y p))."""
    ### BEGIN SOLUTION
    return float(np.mean(np.maximum(0, 1 - y_true * y_pred)))
    ### END SOLUTION


def hinge_grad(y_true, y_pred):
    """Gradient of hinge: -y / n where 1 - y p > 0, else 0."""
    ### BEGIN SOLUTION
    return _elementwise_grad(np.where(1 - y_true * y_pred > 0, -y_true, 0), y_pred)
    ### END SOLUTION


def squared_hinge(y_true, y_pred):
    """Squared hinge loss: mean(max(0, 1 - y p)^2)."""
    ### BEGIN SOLUTION
    return float(np.mean(np.maximum(0, 1 - y_true * y_pred) ** 2))
    ### END SOLUTION


def squared_hinge_grad(y_true, y_pred):
    """Gradient of squared hinge: -2 y max(0, 1 - y p) / n."""
    ### BEGIN SOLUTION
    return _elementwise_grad(-2 * y_true * np.maximum(0, 1 - y_true * y_pred), y_pred)
    ### END SOLUTION


def categorical_hinge(y_true, y_pred):
    """Categorical hinge, y one-hot: mean over rows of max(0, 1 + max_{k != t} p_k - p_t)."""
    ### BEGIN SOLUTION
    positive = np.sum(y_true * y_pred, axis=-1)
    negative = np.max(np.where(y_true == 1, -np.inf, y_pred), axis=-1)
    return float(np.mean(np.maximum(0, 1 + negative - positive)))
    ### END SOLUTION


def categorical_hinge_grad(y_true, y_pred):
    """Gradient: on rows where the hinge is active, +1 at the best wrong class and -1 at the
    true class, divided by N; 0 on the other rows."""
    ### BEGIN SOLUTION
    positive = np.sum(y_true * y_pred, axis=-1)
    others = np.where(y_true == 1, -np.inf, y_pred)
    negative = np.max(others, axis=-1)
    active = (1 + negative - positive > 0)[..., None]
    rival = np.zeros_like(y_pred)
    np.put_along_axis(rival, np.argmax(others, axis=-1)[..., None], 1, axis=-1)
    return (np.where(active, rival - y_true, 0) / _rows(y_pred)).astype(y_pred.dtype)
    ### END SOLUTION


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence: mean over rows of sum_k y_k log(y_k / p_k), y and p clipped to [EPS, 1]."""
    ### BEGIN SOLUTION
    y = np.clip(y_true, EPS, 1)
    p = np.clip(y_pred, EPS, 1)
    return float(np.sum(y * np.log(y / p)) / _rows(y_pred))
    ### END SOLUTION


def kl_divergence_grad(y_true, y_pred):
    """Gradient: -y / p / N where p is not clipped, else 0 (y clipped to [EPS, 1])."""
    ### BEGIN SOLUTION
    y = np.clip(y_true, EPS, 1)
    p = np.clip(y_pred, EPS, 1)
    d = np.where(_inside_clip(y_pred, EPS, 1), -y / p, 0)
    return (d / _rows(y_pred)).astype(y_pred.dtype)
    ### END SOLUTION


def poisson(y_true, y_pred):
    """Poisson loss: mean(p - y log(p + EPS))."""
    ### BEGIN SOLUTION
    return float(np.mean(y_pred - y_true * np.log(y_pred + EPS)))
    ### END SOLUTION


def poisson_grad(y_true, y_pred):
    """Gradient of the Poisson loss: (1 - y / (p + EPS)) / n."""
    ### BEGIN SOLUTION
    return _elementwise_grad(1 - y_true / (y_pred + EPS), y_pred)
    ### END SOLUTION


def cosine_similarity(y_true, y_pred):
    """Negative cosine similarity over the last axis, mean over rows: -mean(y.p / (|y| |p|)).

    Norms are taken as sqrt(max(sum x^2, 1e-12)), as Keras does, so zero vectors are safe.
    """
    ### BEGIN SOLUTION
    y_norm = np.sqrt(np.maximum(np.sum(y_true**2, axis=-1, keepdims=True), 1e-12))
    p_norm = np.sqrt(np.maximum(np.sum(y_pred**2, axis=-1, keepdims=True), 1e-12))
    return float(-np.sum((y_true / y_norm) * (y_pred / p_norm)) / _rows(y_pred))
    ### END SOLUTION


def cosine_similarity_grad(y_true, y_pred):
    """Gradient: -(y_hat - (y_hat . p_hat) p_hat) / |p| / N, x_hat = x / |x|."""
    ### BEGIN SOLUTION
    y_norm = np.sqrt(np.maximum(np.sum(y_true**2, axis=-1, keepdims=True), 1e-12))
    p_norm = np.sqrt(np.maximum(np.sum(y_pred**2, axis=-1, keepdims=True), 1e-12))
    y_hat, p_hat = y_true / y_norm, y_pred / p_norm
    cos = np.sum(y_hat * p_hat, axis=-1, keepdims=True)
    return (-(y_hat - cos * p_hat) / p_norm / _rows(y_pred)).astype(y_pred.dtype)
    ### END SOLUTION


def dice_loss(y_true, y_pred, smooth=1.0):
    """Dice loss per example, mean over the batch: 1 - (2 sum(y p) + s) / (sum(y) + sum(p) + s).

    Inputs (N, ...) of 2 or more dimensions; sums run over every axis but the first.
    """
    ### BEGIN SOLUTION
    inter, total = _overlap_sums(y_true, y_pred)
    return float(np.mean(1 - (2 * inter + smooth) / (total + smooth)))
    ### END SOLUTION


def dice_loss_grad(y_true, y_pred, smooth=1.0):
    """Gradient: -(2 y (S + s) - (2 I + s)) / (S + s)^2 / N, I = sum(y p), S = sum(y) + sum(p)."""
    ### BEGIN SOLUTION
    inter, total = _overlap_sums(y_true, y_pred)
    d = -(2 * y_true * (total + smooth) - (2 * inter + smooth)) / (total + smooth) ** 2
    return (d / y_pred.shape[0]).astype(y_pred.dtype)
    ### END SOLUTION


def jaccard_loss(y_true, y_pred, smooth=1.0):
    """Jaccard loss per example, mean over the batch: 1 - (I + s) / (S - I + s), I = sum(y p), S = sum(y) + sum(p)."""
    ### BEGIN SOLUTION
    inter, total = _overlap_sums(y_true, y_pred)
    return float(np.mean(1 - (inter + smooth) / (total - inter + smooth)))
    ### END SOLUTION


def jaccard_loss_grad(y_true, y_pred, smooth=1.0):
    """Gradient: -(y (U + s) - (I + s)(1 - y)) / (U + s)^2 / N, U = S - I."""
    ### BEGIN SOLUTION
    inter, total = _overlap_sums(y_true, y_pred)
    union = total - inter
    d = -(y_true * (union + smooth) - (inter + smooth) * (1 - y_true)) / (union + smooth) ** 2
    return (d / y_pred.shape[0]).astype(y_pred.dtype)
    ### END SOLUTION
