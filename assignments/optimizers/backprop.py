"""Backpropagation by hand: a scalar autograd, layers with forward and backward, a gradient check.

Every operation keeps its derivative next to its value. Arrays are numpy float64 unless the
input says otherwise. numpy and ``math`` only.
"""

import math

import numpy as np


class Value:
    """A scalar node of a computation graph: ``data``, ``grad`` and the nodes it came from.

    Supports ``+ - * /`` and unary ``-`` with Values or numbers on either side, ``**`` with a
    number, and ``exp()``, ``log()``, ``tanh()``, ``relu()``, ``sigmoid()``. Each operation
    returns a new Value whose ``_backward`` adds the chain-rule terms to its inputs' ``grad``.
    """

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other):
        """out = self + other; d out / d self = 1, d out / d other = 1."""
        raise NotImplementedError("Value.__add__: your code here")

    def __mul__(self, other):
        """out = self * other; d out / d self = other, d out / d other = self."""
        raise NotImplementedError("Value.__mul__: your code here")

    def __pow__(self, exponent):
        """out = self ** n for a number n; d out / d self = n * self ** (n - 1)."""
        raise NotImplementedError("Value.__pow__: your code here")

    def exp(self):
        """out = e^self; d out / d self = e^self."""
        raise NotImplementedError("Value.exp: your code here")

    def log(self):
        """out = ln(self); d out / d self = 1 / self."""
        raise NotImplementedError("Value.log: your code here")

    def tanh(self):
        """out = tanh(self); d out / d self = 1 - out^2."""
        raise NotImplementedError("Value.tanh: your code here")

    def relu(self):
        """out = max(0, self); d out / d self = 1 if self > 0 else 0."""
        raise NotImplementedError("Value.relu: your code here")

    def sigmoid(self):
        """out = 1 / (1 + e^-self); d out / d self = out * (1 - out)."""
        raise NotImplementedError("Value.sigmoid: your code here")

    def __neg__(self):
        """-self = self * -1."""
        raise NotImplementedError("Value.__neg__: your code here")

    def __sub__(self, other):
        """self - other = self + (-other)."""
        raise NotImplementedError("Value.__sub__: your code here")

    def __truediv__(self, other):
        """self / other = self * other ** -1."""
        raise NotImplementedError("Value.__truediv__: your code here")

    def __radd__(self, other):
        """other + self, for a number on the left."""
        raise NotImplementedError("Value.__radd__: your code here")

    def __rsub__(self, other):
        """other - self, for a number on the left."""
        raise NotImplementedError("Value.__rsub__: your code here")

    def __rmul__(self, other):
        """other * self, for a number on the left."""
        raise NotImplementedError("Value.__rmul__: your code here")

    def __rtruediv__(self, other):
        """other / self, for a number on the left."""
        raise NotImplementedError("Value.__rtruediv__: your code here")

    def backward(self):
        """Set this node's grad to 1 and pass gradients to every node it depends on, each node
        after all the nodes that use it (reverse topological order), without recursion so that
        graphs deeper than Python's recursion limit work. Gradients accumulate (+=)."""
        raise NotImplementedError("Value.backward: your code here")


def frobenius_grad(X, W):
    """Gradient w.r.t. W of f = 1/2 ||X W||_F^2: df/dW = X^T (X W)."""
    raise NotImplementedError("frobenius_grad: your code here")


def numerical_gradient(f, x, eps=1e-5):
    """Central differences of a scalar function f at x, one entry at a time:
    df/dx_i ≈ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps). Same shape as x; x is left as it was."""
    raise NotImplementedError("numerical_gradient: your code here")


class Layer:
    """Base of every layer: a training flag, and no parameters unless the layer says so."""

    def __init__(self):
        self.training = True

    def train(self):
        self.training = True

    def eval(self):
        self.training = False

    def parameters(self):
        return []

    def gradients(self):
        return []


class Dense(Layer):
    """Fully connected layer: y = x W + b, W of shape (in, out), b of shape (out,).

    ``backward(grad_out)`` stores dW = x^T grad_out and db = the batch's sum of grad_out (same
    shapes as W and b) and returns grad_in = grad_out W^T. W and b are updated in place by
    optimizers, so never rebind them.
    """

    def __init__(self, in_features, out_features, rng):
        super().__init__()
        raise NotImplementedError("Dense.__init__: your code here")

    def forward(self, x):
        """y = x W + b."""
        raise NotImplementedError("Dense.forward: your code here")

    def backward(self, grad_out):
        """dW = x^T grad_out, db = sum of grad_out over the batch; returns grad_out W^T."""
        raise NotImplementedError("Dense.backward: your code here")

    def parameters(self):
        return [self.W, self.b]

    def gradients(self):
        return [self.dW, self.db]


class ReLU(Layer):
    """y = max(0, x); grad_in = grad_out where x > 0, else 0."""

    def forward(self, x):
        raise NotImplementedError("ReLU.forward: your code here")

    def backward(self, grad_out):
        raise NotImplementedError("ReLU.backward: your code here")


class Sigmoid(Layer):
    """y = 1 / (1 + e^-x); grad_in = grad_out * y * (1 - y)."""

    def forward(self, x):
        raise NotImplementedError("Sigmoid.forward: your code here")

    def backward(self, grad_out):
        raise NotImplementedError("Sigmoid.backward: your code here")


class Tanh(Layer):
    """y = tanh(x); grad_in = grad_out * (1 - y^2)."""

    def forward(self, x):
        raise NotImplementedError("Tanh.forward: your code here")

    def backward(self, grad_out):
        raise NotImplementedError("Tanh.backward: your code here")


class Dropout(Layer):
    """Inverted dropout. In training mode each ``forward`` draws keep = rng.random(x.shape) >= p
    and returns x * keep / (1 - p); ``backward`` applies the same mask and scale. In eval mode
    both are the identity."""

    def __init__(self, p, rng):
        super().__init__()
        self.p = p
        self.rng = rng

    def forward(self, x):
        raise NotImplementedError("Dropout.forward: your code here")

    def backward(self, grad_out):
        raise NotImplementedError("Dropout.backward: your code here")


class Sequential(Layer):
    """Layers run in order by ``forward`` and in reverse by ``backward``. ``train()``/``eval()``
    switch every layer; ``parameters()`` is [W, b] of each Dense in order, ``gradients()`` the
    matching [dW, db]."""

    def __init__(self, *layers):
        super().__init__()
        self.layers = list(layers)

    def forward(self, x):
        raise NotImplementedError("Sequential.forward: your code here")

    def backward(self, grad_out):
        raise NotImplementedError("Sequential.backward: your code here")

    def train(self):
        raise NotImplementedError("Sequential.train: your code here")

    def eval(self):
        raise NotImplementedError("Sequential.eval: your code here")

    def parameters(self):
        raise NotImplementedError("Sequential.parameters: your code here")

    def gradients(self):
        raise NotImplementedError("Sequential.gradients: your code here")


class SoftmaxCrossEntropy:
    """Mean over the batch of -log softmax(logits)[label]; ``backward()`` returns
    dL/dlogits = (softmax(logits) - onehot(labels)) / N."""

    def forward(self, logits, labels):
        raise NotImplementedError("SoftmaxCrossEntropy.forward: your code here")

    def backward(self):
        raise NotImplementedError("SoftmaxCrossEntropy.backward: your code here")


def l2_penalty(params, lam):
    """L2 penalty: lam/2 * the sum of squares of every entry of every array in params."""
    raise NotImplementedError("l2_penalty: your code here")


def l2_penalty_grad(params, lam):
    """Gradient of the L2 penalty: [lam * p for p in params]."""
    raise NotImplementedError("l2_penalty_grad: your code here")


def train_xor(rng):
    """A Sequential trained by gradient descent whose forward (eval mode) on
    [[0,0],[0,1],[1,0],[1,1]] gives logits of shape (4, 2) with argmax x1 XOR x2."""
    raise NotImplementedError("train_xor: your code here")
