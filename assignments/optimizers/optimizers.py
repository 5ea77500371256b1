"""Optimizers with exactly torch.optim's semantics, and a minibatch training loop, in numpy.

Each optimizer takes ``params``, a list of numpy arrays that it updates in place, and its
hyper-parameters by keyword; ``step(grads)`` applies one update, ``grads`` in the order of
``params``. State (momentum buffers, step counts) is kept per parameter. The formulas are
those documented for torch.optim; g is a gradient, p a parameter, t the step count from 1.
numpy and ``math`` only. ``fit`` trains a model of your ``backprop.py``.
"""

import math

import numpy as np


class Optimizer:
    """Holds the parameters (updated in place) and one state dict per parameter."""

    def __init__(self, params, **hyper):
        self.params = list(params)
        self.state = [{} for _ in self.params]
        self.hyper = hyper

    def step(self, grads):
        """Apply one update to every parameter, in place."""
        for param, grad, state in zip(self.params, grads, self.state):
            self.update(param, np.asarray(grad, dtype=param.dtype), state)

    def update(self, p, g, state):
        raise NotImplementedError


class SGD(Optimizer):
    """g <- g + weight_decay p; with momentum: b <- momentum b + (1 - dampening) g (b = g at
    the first step), then g <- g + momentum b with nesterov, else g <- b; p <- p - lr g."""

    def __init__(self, params, lr=0.001, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)

    def update(self, p, g, state):
        raise NotImplementedError("SGD.update: your code here")


class Adagrad(Optimizer):
    """g <- g + weight_decay p; clr = lr / (1 + (t - 1) lr_decay); s <- s + g^2;
    p <- p - clr g / (sqrt(s) + eps)."""

    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, eps=1e-10):
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps)

    def update(self, p, g, state):
        raise NotImplementedError("Adagrad.update: your code here")


class RMSprop(Optimizer):
    """g <- g + weight_decay p; v <- alpha v + (1 - alpha) g^2; centered: m <- alpha m +
    (1 - alpha) g and d = sqrt(v - m^2) + eps, else d = sqrt(v) + eps; with momentum:
    b <- momentum b + g / d and p <- p - lr b, else p <- p - lr g / d."""

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)

    def update(self, p, g, state):
        raise NotImplementedError("RMSprop.update: your code here")


class Adadelta(Optimizer):
    """g <- g + weight_decay p; v <- rho v + (1 - rho) g^2; delta = sqrt(u + eps) /
    sqrt(v + eps) g; u <- rho u + (1 - rho) delta^2; p <- p - lr delta."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)

    def update(self, p, g, state):
        raise NotImplementedError("Adadelta.update: your code here")


class Adam(Optimizer):
    """g <- g + weight_decay p; m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; with amsgrad
    v_max <- max(v_max, v) is used for v; p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)

    def update(self, p, g, state):
        raise NotImplementedError("Adam.update: your code here")


class AdamW(Optimizer):
    """Decoupled weight decay: p <- p (1 - lr weight_decay), then Adam's update without decay."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def update(self, p, g, state):
        raise NotImplementedError("AdamW.update: your code here")


class Adamax(Optimizer):
    """g <- g + weight_decay p; m <- b1 m + (1 - b1) g; u <- max(b2 u, |g| + eps);
    p <- p - lr / (1 - b1^t) * m / u."""

    def __init__(self, params, lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def update(self, p, g, state):
        raise NotImplementedError("Adamax.update: your code here")


class NAdam(Optimizer):
    """g <- g + weight_decay p; mu_t = b1 (1 - 0.5 * 0.96^(t momentum_decay)); P_t = prod of
    mu_1..mu_t; m, v as Adam; d = sqrt(v / (1 - b2^t)) + eps;
    p <- p - lr (1 - mu_t) / (1 - P_t) g / d - lr mu_(t+1) / (1 - P_t mu_(t+1)) m / d."""

    def __init__(self, params, lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=0.004):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)

    def update(self, p, g, state):
        raise NotImplementedError("NAdam.update: your code here")


def iterate_minibatches(x, y, batch_size, rng, shuffle=True):
    """Yield (x_batch, y_batch) covering every example once, in the order of
    rng.permutation(len(x)) when shuffling; the last batch may be smaller."""
    raise NotImplementedError("iterate_minibatches: your code here")


def fit(model, loss, optimizer, x, y, epochs, batch_size, rng):
    """For each epoch and minibatch: model.forward, loss.forward, model.backward(loss.backward()),
    optimizer.step(model.gradients()). Returns the list of per-epoch mean training losses
    (the mean over the epoch's minibatches)."""
    raise NotImplementedError("fit: your code here")
