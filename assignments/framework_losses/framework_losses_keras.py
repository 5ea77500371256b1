"""Tensors and losses written with TensorFlow's own operations, for Keras (`framework_losses.py`
is the same lesson in PyTorch). Copy this file over `framework_losses.py` to work in Keras.

Every function takes and returns framework tensors: nothing goes through numpy, and no Python
``if`` looks at a tensor's value, so that each loss runs inside ``tf.function`` (where
``model.fit`` calls it) and trains a model. A loss returns the loss as a tensor whose mean is
the loss: the mean itself (a scalar), or the loss per example or per element, which Keras
averages. `y_true` may hold integer labels: cast it to `y_pred`'s dtype.
"""

import tensorflow as tf

FRAMEWORK = "keras"
#: Probabilities are clipped to [EPS, 1 - EPS] before a logarithm.
EPS = 1e-7


def to_tensor(x, dtype="float32"):
    """``x`` (a list, a numpy array or a tensor) as a tensor of ``dtype`` (its name, such as
    "float32" or "int64") on the default device."""
    raise NotImplementedError("to_tensor: your code here")


def tensor_sum(x):
    """The sum of every element of ``x``: a scalar tensor."""
    raise NotImplementedError("tensor_sum: your code here")


def scalar_product(a, b):
    """The scalar (dot) product of the vectors ``a`` and ``b``: sum_i a_i b_i, a scalar tensor."""
    raise NotImplementedError("scalar_product: your code here")


def outer_product(a, b):
    """The outer product of the vectors ``a`` (n,) and ``b`` (m,): ``C[i, j] = a_i b_j``, (n, m)."""
    raise NotImplementedError("outer_product: your code here")


def tensor_product(a, b):
    """The tensor product of ``a`` and ``b`` of any shapes: ``T[i..., j...] = a[i...] b[j...]``,
    of shape ``a.shape + b.shape``."""
    raise NotImplementedError("tensor_product: your code here")


def flatten_batch(x):
    """``x`` of shape (B, d1, d2, ...) reshaped to (B, d1 * d2 * ...): one row per example."""
    raise NotImplementedError("flatten_batch: your code here")


def cast_like(x, like):
    """``x`` with the dtype of ``like``, on the device of ``like``."""
    raise NotImplementedError("cast_like: your code here")


def mae(y_true, y_pred):
    """Mean absolute error: mean(|y - p|)."""
    raise NotImplementedError("mae: your code here")


def mse(y_true, y_pred):
    """Mean squared error: mean((y - p)^2)."""
    raise NotImplementedError("mse: your code here")


def binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy: mean(-(y log p + (1 - y) log(1 - p))), p clipped to [EPS, 1 - EPS]."""
    raise NotImplementedError("binary_crossentropy: your code here")


def weighted_binary_crossentropy(beta):
    """The loss ``(y_true, y_pred) -> mean(-(beta y log p + (1 - y) log(1 - p)))``, p clipped
    as in :func:`binary_crossentropy`: positives weigh ``beta``."""
    raise NotImplementedError("weighted_binary_crossentropy: your code here")


def dice_loss(y_true, y_pred, smooth=1.0):
    """Dice loss per example, mean over the batch: 1 - (2 sum(y p) + s) / (sum(y) + sum(p) + s),
    the sums over every axis but the first (inputs of 2 or more dimensions)."""
    raise NotImplementedError("dice_loss: your code here")


def jaccard_loss(y_true, y_pred, smooth=1.0):
    """Jaccard loss per example, mean over the batch: 1 - (I + s) / (S - I + s), I = sum(y p),
    S = sum(y) + sum(p), the sums as in :func:`dice_loss`."""
    raise NotImplementedError("jaccard_loss: your code here")


def my_huber_loss(y_true, y_pred):
    """Huber loss with threshold 1, a = y - p: 0.5 a^2 where |a| <= 1, else |a| - 0.5
    (``model.compile(optimizer="sgd", loss=my_huber_loss)``)."""
    raise NotImplementedError("my_huber_loss: your code here")


def huber_loss(threshold=1.0):
    """The Huber loss with ``threshold`` t, a = y - p: 0.5 a^2 where |a| <= t, else
    t (|a| - 0.5 t). A function ``(y_true, y_pred) -> loss`` (or a loss object called so)."""
    raise NotImplementedError("huber_loss: your code here")
