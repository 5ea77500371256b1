"""Public checks of optimizers.py: one or two steps worked out by hand.

Run them with `grade check optimizers` (or `pytest` in this folder). Put your own
`backprop.py` from the previous lesson beside `optimizers.py`: `fit` trains its models. The
hidden checks follow 50-step trajectories of every optimizer and option against a reference
(validated against torch.optim) and train a network on handwritten digits.
"""

import math

import numpy as np
import pytest

from grader.checks import assert_close


@pytest.mark.task("SGD")
def test_sgd_step(student):
    """SGD: p <- p - lr g, updated in place"""
    p = np.array([1.0, 2.0])
    student.SGD([p], lr=0.1).step([np.array([1.0, -1.0])])
    assert_close(p, [0.9, 2.1], what="SGD", rtol=1e-12, atol=0)


@pytest.mark.task("SGD")
def test_sgd_momentum_two_steps(student):
    """SGD with momentum 0.9: the buffer starts at g, then b = 0.9 b + g"""
    p = np.array([0.0])
    optimizer = student.SGD([p], lr=1.0, momentum=0.9)
    optimizer.step([np.array([1.0])])
    optimizer.step([np.array([1.0])])
    assert_close(p, [-(1.0 + 1.9)], what="SGD(momentum=0.9)", rtol=1e-12, atol=0)


@pytest.mark.task("Adam")
def test_adam_first_step_is_lr_sized(student):
    """Adam's first step moves each entry by about lr against the sign of its gradient"""
    p = np.array([1.0, 1.0])
    student.Adam([p], lr=0.01).step([np.array([3.0, -0.5])])
    assert_close(p, [0.99, 1.01], what="Adam", rtol=1e-6, atol=0)


@pytest.mark.task("Adagrad")
def test_adagrad_first_step(student):
    """Adagrad's first step: p - lr g / |g|"""
    p = np.array([0.0])
    student.Adagrad([p], lr=0.5).step([np.array([4.0])])
    assert_close(p, [-0.5], what="Adagrad", rtol=1e-9, atol=0)


@pytest.mark.task("RMSprop")
def test_rmsprop_first_step(student):
    """RMSprop's first step: p - lr g / (sqrt(0.01 g^2) + eps) = p - 10 lr sign(g)"""
    p = np.array([0.0])
    student.RMSprop([p], lr=0.01).step([np.array([2.0])])
    assert_close(p, [-0.1], what="RMSprop", rtol=1e-6, atol=0)


@pytest.mark.task("iterate_minibatches")
def test_minibatches_cover_every_example(student):
    """iterate_minibatches yields every example once; the last batch may be smaller"""
    x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    batches = list(student.iterate_minibatches(x, y, 2, np.random.default_rng(0)))
    assert [len(b[1]) for b in batches] == [2, 2, 1]
    assert sorted(np.concatenate([b[1] for b in batches]).tolist()) == [0, 1, 2, 3, 4]


@pytest.mark.task("AdamW")
def test_adamw_decays_weights_with_zero_gradient(student):
    """AdamW with g = 0 only decays: p (1 - lr wd)"""
    p = np.array([2.0])
    student.AdamW([p], lr=0.1, weight_decay=0.5).step([np.array([0.0])])
    assert_close(p, [2.0 * (1 - 0.05)], what="AdamW", rtol=1e-9, atol=0)


@pytest.mark.task("Adadelta")
def test_adadelta_first_step(student):
    """Adadelta's first step: lr sqrt(eps) / sqrt(0.1 g^2 + eps) g"""
    p = np.array([0.0])
    student.Adadelta([p]).step([np.array([1.0])])
    assert_close(p, [-math.sqrt(1e-6) / math.sqrt(0.1 + 1e-6)], what="Adadelta", rtol=1e-9, atol=0)
