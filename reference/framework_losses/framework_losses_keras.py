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
    ### BEGIN SOLUTION
    return tf.cast(tf.convert_to_tensor(x), dtype)
    ### END SOLUTION


def tensor_sum(x):
    """The sum of every element of ``x``: a scalar tensor."""
    ### BEGIN SOLUTION
    return tf.reduce_sum(x)
    ### END SOLUTION


def scalar_product(a, b):
    """The scalar (dot) product of the vectors ``a`` and ``b``: sum_i a_i b_i, a scalar tensor."""
    ### BEGIN SOLUTION
    return tf.tensordot(a, b, axes=1)
    ### END SOLUTION


def outer_product(a, b):
    """The outer product of the vectors ``a`` (n,) and ``b`` (m,): ``C[i, j] = a_i b_j``, (n, m)."""
    ### BEGIN SOLUTION
    return tf.tensordot(a, b, axes=0)
    ### END SOLUTION


def tensor_product(a, b):
    """The tensor product of ``a`` and ``b`` of any shapes: ``T[i..., j...] = a[i...] b[j...]``,
    of shape ``a.shape + b.shape``."""
    ### BEGIN SOLUTION
    return tf.tensordot(a, b, axes=0)
    ### END SOLUTION


def flatten_batch(x):
    """``x`` of shape (B, d1, d2, ...) reshaped to (B, d1 * d2 * ...): one row per example."""
    ### BEGIN SOLUTION
    return tf.reshape(x, (tf.shape(x)[0], -1))
    ### END SOLUTION


def cast_like(x, like):
    """``x`` with the dtype of ``like``, on the device of ``like``."""
    ### BEGIN SOLUTION
    with tf.device(like.device):
        return tf.identity(tf.cast(x, like.dtype))
    ### END SOLUTION


def mae(y_true, y_pred):
    """Mean absolute error: mean(|y - p|)."""
    ### BEGIN SOLUTION
    return tf.reduce_mean(tf.abs(tf.cast(y_true, y_pred.dtype) - y_pred))
    ### END SOLUTION


def mse(y_true, y_pred):
    """Mean squared error: mean((y - p)^2)."""
    ### BEGIN SOLUTION
    return tf.reduce_mean(tf.square(tf.cast(y_true, y_pred.dtype) - y_pred))
    ### END SOLUTION


def binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy: mean(-(y log p + (1 - y) log(1 - p))), p clipped to [EPS, 1 - EPS]."""
    ### BEGIN SOLUTION
    y = tf.cast(y_true, y_pred.dtype)
    p = tf.clip_by_value(y_pred, EPS, 1 - EPS)
    return tf.reduce_mean(-(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p)))
    ### END SOLUTION


def weighted_binary_crossentropy(beta):
    """The loss ``(y_true, y_pred) -> mean(-(beta y log p + (1 - y) log(1 - p)))``, p clipped
    as in :func:`binary_crossentropy`: positives weigh ``beta``."""
    ### BEGIN SOLUTION
    def loss(y_true, y_pred):
        y = tf.cast(y_true, y_pred.dtype)
        p = tf.clip_by_value(y_pred, EPS, 1 - EPS)
        return tf.reduce_mean(-(beta * y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p)))

    return loss
    ### END SOLUTION


def dice_loss(y_true, y_pred, smooth=1.0):
    """Dice loss per example, mean over the batch: 1 - (2 sum(y p) + s) / (sum(y) + sum(p) + s),
    the sums over every axis but the first (inputs of 2 or more dimensions)."""
    ### BEGIN SOLUTION
    y = tf.cast(y_true, y_pred.dtype)
    axes = list(range(1, len(y_pred.shape)))
    inter = tf.reduce_sum(y * y_pred, axis=axes)
    total = tf.reduce_sum(y, axis=axes) + tf.reduce_sum(y_pred, axis=axes)
    return tf.reduce_mean(1 - (2 * inter + smooth) / (total + smooth))
    ### END SOLUTION


def jaccard_loss(y_true, y_pred, smooth=1.0):
    """Jaccard loss per example, mean over the batch: 1 - (I + s) / (S - I + s), I = sum(y p),
    S = sum(y) + sum(p), the sums as in :func:`dice_loss`."""
    ### BEGIN SOLUTION
    y = tf.cast(y_true, y_pred.dtype)
    axes = list(range(1, len(y_pred.shape)))
    inter = tf.reduce_sum(y * y_pred, axis=axes)
    total = tf.reduce_sum(y, axis=axes) + tf.reduce_sum(y_pred, axis=axes)
    return tf.reduce_mean(1 - (inter + smooth) / (total - inter + smooth))
    ### END SOLUTION


def my_huber_loss(y_true, y_pred):
    """Huber loss with threshold 1, a = y - p: 0.5 a^2 where |a| <= 1, else |a| - 0.5
    (``model.compile(optimizer="sgd", loss=my_huber_loss)``)."""
    ### BEGIN SOLUTION
    threshold = 1
    error = tf.cast(y_true, y_pred.dtype) - y_pred
    is_small_error = tf.abs(error) <= threshold
    small_error_loss = tf.square(error) / 2
    big_error_loss = threshold * (tf.abs(error) - (0.5 * threshold))
    return tf.where(is_small_error, small_error_loss, big_error_loss)
    ### END SOLUTION


def huber_loss(threshold=1.0):
    """The Huber loss with ``threshold`` t, a = y - p: 0.5 a^2 where |a| <= t, else
    t (|a| - 0.5 t). A function ``(y_true, y_pred) -> loss`` (or a loss object called so)."""
    ### BEGIN SOLUTION
    def loss(y_true, y_pred):
        error = tf.cast(y_true, y_pred.dtype) - y_pred
        small = tf.abs(error) <= threshold
        return tf.where(small, 0.5 * tf.square(error), threshold * (tf.abs(error) - 0.5 * threshold))

    return loss
    ### END SOLUTION
