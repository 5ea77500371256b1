"""The reference solutions against Keras 3 (keras.activations, keras.losses) in float64,
with derivatives from TensorFlow's GradientTape.

Only the project's tests use these oracles: grading compares with the reference alone.
Where the course's definition differs from Keras's, the case says so in a comment.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
tf = pytest.importorskip("tensorflow", reason="needs TensorFlow: pip install -e '.[instructor]'")
keras = pytest.importorskip("keras", reason="needs Keras 3: pip install -e '.[instructor]'")

from conftest import inputs_away_from_kinks as _x  # noqa: E402

from grader.course.references import load_reference  # noqa: E402

ACT = load_reference("activations", "activations")
LOSS = load_reference("losses", "losses")
A = keras.activations
L = keras.losses


def _value_and_grad(fn, x):
    t = tf.Variable(x, dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = fn(t)
        total = tf.reduce_sum(y)
    return np.asarray(y), np.asarray(tape.gradient(total, t))


# name -> (Keras function, reference keyword arguments, kinks)
ACTIVATIONS = {
    "sigmoid": (A.sigmoid, {}, ()),
    "tanh": (A.tanh, {}, ()),
    "relu": (A.relu, {}, (0.0,)),
    # Keras 3's default negative_slope is 0.2; the course's alpha defaults to 0.01.
    "leaky_relu": (lambda t: A.leaky_relu(t, negative_slope=0.01), {}, (0.0,)),
    "elu": (lambda t: A.elu(t, alpha=0.5), {"alpha": 0.5}, (0.0,)),
    "selu": (A.selu, {}, (0.0,)),
    # Keras's softplus has no beta: only beta = 1 can be compared.
    "softplus": (A.softplus, {}, ()),
    "softsign": (A.softsign, {}, (0.0,)),
    "exponential": (A.exponential, {}, ()),
    "swish": (A.swish, {}, ()),
    "gelu": (lambda t: A.gelu(t, approximate=False), {}, ()),
    "mish": (A.mish, {}, ()),
    # Keras 3's hard_sigmoid is relu6(x + 3) / 6 like the course's (Keras 2 used 0.2 x + 0.5).
    "hard_sigmoid": (A.hard_sigmoid, {}, (-3.0, 3.0)),
    "hard_tanh": (A.hard_tanh, {}, (-1.0, 1.0)),
    "hard_swish": (A.hard_swish, {}, (-3.0, 3.0)),
    "tanhshrink": (A.tanh_shrink, {}, ()),
    # Keras names the course's lambd "threshold".
    "softshrink": (lambda t: A.soft_shrink(t, threshold=1.0), {"lambd": 1.0}, (-1.0, 1.0)),
    "hardshrink": (lambda t: A.hard_shrink(t, threshold=1.0), {"lambd": 1.0}, (-1.0, 1.0)),
}


# Keras rounds these functions' constants (slope 0.01, sqrt(2/pi), 0.044715, log 2) to float32
# even in float64, which puts its results up to about 4e-7 (relative) off the exact values.
FLOAT32_CONSTANTS = {"leaky_relu": 1e-7, "gelu": 1e-6, "log_cosh": 1e-8}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_and_derivative_match_keras(name):
    keras_fn, kwargs, kinks = ACTIVATIONS[name]
    x = _x(kinks=kinks)
    value, grad = _value_and_grad(keras_fn, x)
    rtol = FLOAT32_CONSTANTS.get(name, 1e-9)
    np.testing.assert_allclose(getattr(ACT, name)(x, **kwargs), value, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(getattr(ACT, f"{name}_grad")(x, **kwargs), grad, rtol=max(rtol, 1e-8), atol=1e-12)


def test_gelu_tanh_approximation_matches_keras():
    x = _x()
    value, grad = _value_and_grad(lambda t: A.gelu(t, approximate=True), x)
    np.testing.assert_allclose(ACT.gelu(x, approximate=True), value, rtol=FLOAT32_CONSTANTS["gelu"], atol=1e-12)
    np.testing.assert_allclose(ACT.gelu_grad(x, approximate=True), grad, rtol=FLOAT32_CONSTANTS["gelu"], atol=1e-12)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_family_matches_keras(axis):
    x = _x(shape=(3, 5))
    g = np.random.default_rng(2).normal(size=x.shape)
    t = tf.Variable(x, dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = A.softmax(t, axis=axis)
        weighted = tf.reduce_sum(y * g)
    np.testing.assert_allclose(ACT.softmax(x, axis=axis), np.asarray(y), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ACT.log_softmax(x, axis=axis), np.asarray(A.log_softmax(tf.constant(x), axis=axis)), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ACT.softmax_backward(x, g, axis=axis), np.asarray(tape.gradient(weighted, t)), rtol=1e-8, atol=1e-12)


# -- losses ----------------------------------------------------------------------------------

RNG = np.random.default_rng(11)
N, K = 6, 4
REG_Y, REG_P = RNG.uniform(-3, 3, (N, K)), RNG.uniform(-3, 3, (N, K))
POS_Y, POS_P = RNG.uniform(0, 5, (N, K)), RNG.uniform(0.1, 5, (N, K))
NONZERO_Y = RNG.uniform(0.5, 3, (N, K)) * RNG.choice([-1.0, 1.0], (N, K))
BIN_Y, BIN_P = RNG.integers(0, 2, (N, K)).astype(float), RNG.uniform(0.05, 0.95, (N, K))
LOGITS = RNG.uniform(-5, 5, (N, K))
LABELS = RNG.integers(0, K, N)
ONE_HOT = np.eye(K)[LABELS]
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
TARGET_DIST = np.exp(REG_Y) / np.exp(REG_Y).sum(-1, keepdims=True)
SIGNS = RNG.choice([-1.0, 1.0], (N, K))
SCORES = RNG.uniform(0.1, 2, (N, K))
COUNTS = RNG.integers(0, 5, (N, K)).astype(float)

# name -> (y_true, y_pred, reference kwargs, Keras loss(y_true, y_pred) per example)
LOSSES = {
    "mae": (REG_Y, REG_P, {}, L.mean_absolute_error),
    "mse": (REG_Y, REG_P, {}, L.mean_squared_error),
    # Keras clips y and p at 0 before log1p; equal for the non-negative values used here.
    "msle": (POS_Y, POS_P, {}, L.mean_squared_logarithmic_error),
    # Keras divides by max(|y|, eps); equal for y away from 0.
    "mape": (NONZERO_Y, REG_P, {}, L.mean_absolute_percentage_error),
    "huber": (REG_Y, REG_P, {"delta": 1.5}, lambda y, p: L.huber(y, p, delta=1.5)),
    "log_cosh": (REG_Y, REG_P, {}, L.log_cosh),
    "binary_crossentropy": (BIN_Y, BIN_P, {}, L.binary_crossentropy),
    "binary_crossentropy_with_logits": (BIN_Y, LOGITS, {}, lambda y, z: L.binary_crossentropy(y, z, from_logits=True)),
    # Keras normalises each row of p to sum 1 first; the course requires rows that already do.
    "categorical_crossentropy": (ONE_HOT, PROBS, {}, L.categorical_crossentropy),
    "sparse_categorical_crossentropy": (LABELS, PROBS, {}, L.sparse_categorical_crossentropy),
    "softmax_crossentropy_with_logits": (LABELS, LOGITS, {}, lambda y, z: L.sparse_categorical_crossentropy(y, z, from_logits=True)),
    # Keras maps labels in {0, 1} to {-1, 1}; the course takes y in {-1, 1} directly.
    "hinge": (SIGNS, REG_P, {}, L.hinge),
    "squared_hinge": (SIGNS, REG_P, {}, L.squared_hinge),
    # Keras takes max((1 - y) p), which counts the true class as 0; equal when p > 0, as here.
    "categorical_hinge": (ONE_HOT, SCORES, {}, L.categorical_hinge),
    "kl_divergence": (TARGET_DIST, PROBS, {}, L.kl_divergence),
    "poisson": (COUNTS, SCORES, {}, L.poisson),
    "cosine_similarity": (REG_Y, REG_P, {}, L.cosine_similarity),
    # Not compared: weighted and balanced cross-entropy (no Keras loss), Dice and Jaccard
    # (Keras's dice has no smoothing term and sums over the whole batch).
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_and_gradient_match_keras(name):
    y, p, kwargs, keras_fn = LOSSES[name]
    t = tf.Variable(p, dtype=tf.float64)
    y_tensor = tf.constant(y) if y.dtype.kind == "f" else tf.constant(y, dtype=tf.int64)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras_fn(y_tensor, t))
    rtol = FLOAT32_CONSTANTS.get(name, 1e-9)
    assert getattr(LOSS, name)(y, p, **kwargs) == pytest.approx(float(loss), rel=rtol, abs=1e-12)
    ours, theirs = getattr(LOSS, f"{name}_grad")(y, p, **kwargs), np.asarray(tape.gradient(loss, t))
    if name in ROW_NORMALISED:
        # Keras differentiates through p / sum(p), which adds the same constant to every entry
        # of a row; along directions that keep each row's sum (the simplex) both agree.
        ours, theirs = ours - ours.mean(-1, keepdims=True), theirs - theirs.mean(-1, keepdims=True)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)


ROW_NORMALISED = {"categorical_crossentropy", "sparse_categorical_crossentropy"}
