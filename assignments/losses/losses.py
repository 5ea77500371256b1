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


def mae(y_true, y_pred):
    """Mean absolute error: mean(|y - p|)."""
    raise NotImplementedError("mae: your code here")


def mae_grad(y_true, y_pred):
    """Gradient of mae: sign(p - y) / n, n the number of elements."""
    raise NotImplementedError("mae_grad: your code here")


def mse(y_true, y_pred):
    """Mean squared error: mean((y - p)^2)."""
    raise NotImplementedError("mse: your code here")


def mse_grad(y_true, y_pred):
    """Gradient of mse: 2 (p - y) / n."""
    raise NotImplementedError("mse_grad: your code here")


def msle(y_true, y_pred):
    """Mean squared logarithmic error: mean((log(1+y) - log(1+p))^2)."""
    raise NotImplementedError("msle: your code here")


def msle_grad(y_true, y_pred):
    """Gradient of msle: -2 (log(1+y) - log(1+p)) / (1 + p) / n."""
    raise NotImplementedError("msle_grad: your code here")


def mape(y_true, y_pred):
    """Mean absolute percentage error: mean(100 * |(y - p) / y|)."""
    raise NotImplementedError("mape: your code here")


def mape_grad(y_true, y_pred):
    """Gradient of mape: 100 * sign(p - y) / |y| / n."""
    raise NotImplementedError("mape_grad: your code here")


def huber(y_true, y_pred, delta=1.0):
    """Huber loss, a = y - p: mean(0.5 a^2 if |a| <= delta else delta * (|a| - 0.5 delta))."""
    raise NotImplementedError("huber: your code here")


def huber_grad(y_true, y_pred, delta=1.0):
    """Gradient of huber: clip(p - y, -delta, delta) / n."""
    raise NotImplementedError("huber_grad: your code here")


def log_cosh(y_true, y_pred):
    """Log-cosh: mean(log(cosh(p - y))), computed as |e| + log(1 + e^(-2|e|)) - log 2."""
    raise NotImplementedError("log_cosh: your code here")


def log_cosh_grad(y_true, y_pred):
    """Gradient of log-cosh: tanh(p - y) / n."""
    raise NotImplementedError("log_cosh_grad: your code here")


def binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy: mean(-(y log p + (1-y) log(1-p))), p clipped to [EPS, 1-EPS]."""
    raise NotImplementedError("binary_crossentropy: your code here")


def binary_crossentropy_grad(y_true, y_pred):
    """Gradient of binary cross-entropy: (-y/p + (1-y)/(1-p)) / n where p is not clipped, else 0."""
    raise NotImplementedError("binary_crossentropy_grad: your code here")


def binary_crossentropy_with_logits(y_true, logits):
    """Binary cross-entropy of p = sigmoid(z), from the logits z without clipping.

    Stable form: mean(max(z, 0) - z y + log(1 + e^-|z|)).
    """
    raise NotImplementedError("binary_crossentropy_with_logits: your code here")


def binary_crossentropy_with_logits_grad(y_true, logits):
    """Gradient with respect to the logits: (sigmoid(z) - y) / n."""
    raise NotImplementedError("binary_crossentropy_with_logits_grad: your code here")


def weighted_binary_crossentropy(y_true, y_pred, beta):
    """Weighted binary cross-entropy: mean(-(beta y log p + (1-y) log(1-p))), p clipped."""
    raise NotImplementedError("weighted_binary_crossentropy: your code here")


def weighted_binary_crossentropy_grad(y_true, y_pred, beta):
    """Gradient: (-beta y/p + (1-y)/(1-p)) / n where p is not clipped, else 0."""
    raise NotImplementedError("weighted_binary_crossentropy_grad: your code here")


def balanced_binary_crossentropy(y_true, y_pred, beta):
    """Balanced binary cross-entropy: mean(-(beta y log p + (1-beta)(1-y) log(1-p))), p clipped."""
    raise NotImplementedError("balanced_binary_crossentropy: your code here")


def balanced_binary_crossentropy_grad(y_true, y_pred, beta):
    """Gradient: (-beta y/p + (1-beta)(1-y)/(1-p)) / n where p is not clipped, else 0."""
    raise NotImplementedError("balanced_binary_crossentropy_grad: your code here")


def categorical_crossentropy(y_true, y_pred):
    """Categorical cross-entropy: mean over rows of -sum_k y_k log p_k, p clipped to [EPS, 1-EPS]."""
    raise NotImplementedError("categorical_crossentropy: your code here")


def categorical_crossentropy_grad(y_true, y_pred):
    """Gradient: -y / p / N where p is not clipped, else 0; N the number of rows."""
    raise NotImplementedError("categorical_crossentropy_grad: your code here")


def sparse_categorical_crossentropy(y_true, y_pred):
    """Sparse categorical cross-entropy: mean of -log p_{label}, p clipped to [EPS, 1-EPS].

    y_true holds integer labels (N,); y_pred probabilities (N, K).
    """
    raise NotImplementedError("sparse_categorical_crossentropy: your code here")


def sparse_categorical_crossentropy_grad(y_true, y_pred):
    """Gradient: -1 / p_{label} / N at each label (where not clipped), 0 elsewhere."""
    raise NotImplementedError("sparse_categorical_crossentropy_grad: your code here")


def softmax_crossentropy_with_logits(y_true, logits):
    """Softmax cross-entropy from logits (N, K) and integer labels (N,): mean of -log softmax(z)_{label}."""
    raise NotImplementedError("softmax_crossentropy_with_logits: your code here")


def softmax_crossentropy_with_logits_grad(y_true, logits):
    """Gradient with respect to the logits: (softmax(z) - onehot(y)) / N."""
    raise NotImplementedError("softmax_crossentropy_with_logits_grad: your code here")


def hinge(y_true, y_pred):
    """Hinge loss, y in {-1, 1}: mean(max(0, 1 - y p))."""
    raise NotImplementedError("hinge: your code here")


def hinge_grad(y_true, y_pred):
    """Gradient of hinge: -y / n where 1 - y p > 0, else 0."""
    raise NotImplementedError("hinge_grad: your code here")


def squared_hinge(y_true, y_pred):
    """Squared hinge loss: mean(max(0, 1 - y p)^2)."""
    raise NotImplementedError("squared_hinge: your code here")


def squared_hinge_grad(y_true, y_pred):
    """Gradient of squared hinge: -2 y max(0, 1 - y p) / n."""
    raise NotImplementedError("squared_hinge_grad: your code here")


def categorical_hinge(y_true, y_pred):
    """Categorical hinge, y one-hot: mean over rows of max(0, 1 + max_{k != t} p_k - p_t)."""
    raise NotImplementedError("categorical_hinge: your code here")


def categorical_hinge_grad(y_true, y_pred):
    """Gradient: on rows where the hinge is active, +1 at the best wrong class and -1 at the
    true class, divided by N; 0 on the other rows."""
    raise NotImplementedError("categorical_hinge_grad: your code here")


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence: mean over rows of sum_k y_k log(y_k / p_k), y and p clipped to [EPS, 1]."""
    raise NotImplementedError("kl_divergence: your code here")


def kl_divergence_grad(y_true, y_pred):
    """Gradient: -y / p / N where p is not clipped, else 0 (y clipped to [EPS, 1])."""
    raise NotImplementedError("kl_divergence_grad: your code here")


def poisson(y_true, y_pred):
    """Poisson loss: mean(p - y log(p + EPS))."""
    raise NotImplementedError("poisson: your code here")


def poisson_grad(y_true, y_pred):
    """Gradient of the Poisson loss: (1 - y / (p + EPS)) / n."""
    raise NotImplementedError("poisson_grad: your code here")


def cosine_similarity(y_true, y_pred):
    """Negative cosine similarity over the last axis, mean over rows: -mean(y.p / (|y| |p|)).

    Norms are taken as sqrt(max(sum x^2, 1e-12)), as Keras does, so zero vectors are safe.
    """
    raise NotImplementedError("cosine_similarity: your code here")


def cosine_similarity_grad(y_true, y_pred):
    """Gradient: -(y_hat - (y_hat . p_hat) p_hat) / |p| / N, x_hat = x / |x|."""
    raise NotImplementedError("cosine_similarity_grad: your code here")


def dice_loss(y_true, y_pred, smooth=1.0):
    """Dice loss per example, mean over the batch: 1 - (2 sum(y p) + s) / (sum(y) + sum(p) + s).

    Inputs (N, ...) of 2 or more dimensions; sums run over every axis but the first.
    """
    raise NotImplementedError("dice_loss: your code here")


def dice_loss_grad(y_true, y_pred, smooth=1.0):
    """Gradient: -(2 y (S + s) - (2 I + s)) / (S + s)^2 / N, I = sum(y p), S = sum(y) + sum(p)."""
    raise NotImplementedError("dice_loss_grad: your code here")


def jaccard_loss(y_true, y_pred, smooth=1.0):
    """Jaccard loss per example, mean over the batch: 1 - (I + s) / (S - I + s), I = sum(y p), S = sum(y) + sum(p)."""
    raise NotImplementedError("jaccard_loss: your code here")


def jaccard_loss_grad(y_true, y_pred, smooth=1.0):
    """Gradient: -(y (U + s) - (I + s)(1 - y)) / (U + s)^2 / N, U = S - I."""
    raise NotImplementedError("jaccard_loss_grad: your code here")
