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
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __mul__(self, other):
        """out = self * other; d out / d self = other, d out / d other = self."""
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __pow__(self, exponent):
        """out = self ** n for a number n; d out / d self = n * self ** (n - 1)."""
        ### BEGIN SOLUTION
        out = Value(self.data**exponent, (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def exp(self):
        """out = e^self; d out / d self = e^self."""
        ### BEGIN SOLUTION
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def log(self):
        """out = ln(self); d out / d self = 1 / self."""
        ### BEGIN SOLUTION
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out
        ### END SOLUTION

    def tanh(self):
        """out = tanh(self); d out / d self = 1 - out^2."""
        ### BEGIN SOLUTION
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self):
        """out = max(0, self); d out / d self = 1 if self > 0 else 0."""
        ### BEGIN SOLUTION
        out = Value(max(0.0, self.data), (self,), "relu")

        def _backward():
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def sigmoid(self):
        """out = 1 / (1 + e^-self); d out / d self = out * (1 - out)."""
        ### BEGIN SOLUTION
        s = 1 / (1 + math.exp(-self.data)) if self.data >= 0 else math.exp(self.data) / (1 + math.exp(self.data))
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1 - s) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __neg__(self):
        """-self = self * -1."""
        ### BEGIN SOLUTION
        return self * -1
        ### END SOLUTION

    def __sub__(self, other):
        """self - other = self + (-other)."""
        ### BEGIN SOLUTION
        return self + (-other)
        ### END SOLUTION

    def __truediv__(self, other):
        """self / other = self * other ** -1."""
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        return self * other**-1
        ### END SOLUTION

    def __radd__(self, other):
        """other + self, for a number on the left."""
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __rsub__(self, other):
        """other - self, for a number on the left."""
        ### BEGIN SOLUTION
        return Value(other) + (-self)
        ### END SOLUTION

    def __rmul__(self, other):
        """other * self, for a number on the left."""
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __rtruediv__(self, other):
        """other / self, for a number on the left."""
        ### BEGIN SOLUTION
        return Value(other) * self**-1
        ### END SOLUTION

    def backward(self):
        """Set this node's grad to 1 and pass gradients to every node it depends on, each node
        after all the nodes that use it (reverse topological order), without recursion so that
        graphs deeper than Python's recursion limit work. Gradients accumulate (+=)."""
        ### BEGIN SOLUTION
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if id(child) not in seen)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION


def frobenius_grad(X, W):
    """Gradient w.r.t. W of f = 1/2 ||X W||_F^2: df/dW = X^T (X W)."""
    ### BEGIN SOLUTION
    return X.T @ (X @ W)
    ### END SOLUTION


def numerical_gradient(f, x, eps=1e-5):
    """Central differences of a scalar function f at x, one entry at a time:
    df/dx_i ≈ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps). Same shape as x; x is left as it was."""
    ### BEGIN SOLUTION
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        saved = flat_x[i]
        flat_x[i] = saved + eps
        plus = f(x)
        flat_x[i] = saved - eps
        minus = f(x)
        flat_x[i] = saved
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        self.W = rng.normal(0.0, math.sqrt(2.0 / in_features), size=(in_features, out_features))
        self.b = np.zeros(out_features)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        ### END SOLUTION

    def forward(self, x):
        """y = x W + b."""
        ### BEGIN SOLUTION
        self.x = x
        return x @ self.W + self.b
        ### END SOLUTION

    def backward(self, grad_out):
        """dW = x^T grad_out, db = sum of grad_out over the batch; returns grad_out W^T."""
        ### BEGIN SOLUTION
        self.dW[...] = self.x.T @ grad_out
        self.db[...] = grad_out.sum(axis=0)
        return grad_out @ self.W.T
        ### END SOLUTION

    def parameters(self):
        return [self.W, self.b]

    def gradients(self):
        return [self.dW, self.db]


class ReLU(Layer):
    """y = max(0, x); grad_in = grad_out where x > 0, else 0."""

    def forward(self, x):
        ### BEGIN SOLUTION
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)
        ### END SOLUTION

    def backward(self, grad_out):
        ### BEGIN SOLUTION
        return grad_out * self.mask
        ### END SOLUTION


class Sigmoid(Layer):
    """y = 1 / (1 + e^-x); grad_in = grad_out * y * (1 - y)."""

    def forward(self, x):
        ### BEGIN SOLUTION
        e = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.y
        ### END SOLUTION

    def backward(self, grad_out):
        ### BEGIN SOLUTION
        return grad_out * self.y * (1 - self.y)
        ### END SOLUTION


class Tanh(Layer):
    """y = tanh(x); grad_in = grad_out * (1 - y^2)."""

    def forward(self, x):
        ### BEGIN SOLUTION
        self.y = np.tanh(x)
        return self.y
        ### END SOLUTION

    def backward(self, grad_out):
        ### BEGIN SOLUTION
        return grad_out * (1 - self.y**2)
        ### END SOLUTION


class Dropout(Layer):
    """Inverted dropout. In training mode each ``forward`` draws keep = rng.random(x.shape) >= p
    and returns x * keep / (1 - p); ``backward`` applies the same mask and scale. In eval mode
    both are the identity."""

    def __init__(self, p, rng):
        super().__init__()
        self.p = p
        self.rng = rng

    def forward(self, x):
        ### BEGIN SOLUTION
        if not self.training:
            self.scale = None
            return x
        self.scale = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.scale
        ### END SOLUTION

    def backward(self, grad_out):
        ### BEGIN SOLUTION
        return grad_out if self.scale is None else grad_out * self.scale
        ### END SOLUTION


class Sequential(Layer):
    """Layers run in order by ``forward`` and in reverse by ``backward``. ``train()``/``eval()``
    switch every layer; ``parameters()`` is [W, b] of each Dense in order, ``gradients()`` the
    matching [dW, db]."""

    def __init__(self, *layers):
        super().__init__()
        self.layers = list(layers)

    def forward(self, x):
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer.forward(x)
        return x
        ### END SOLUTION

    def backward(self, grad_out):
        ### BEGIN SOLUTION
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out
        ### END SOLUTION

    def train(self):
        ### BEGIN SOLUTION
        super().train()
        for layer in self.layers:
            layer.train()
        ### END SOLUTION

    def eval(self):
        ### BEGIN SOLUTION
        super().eval()
        for layer in self.layers:
            layer.eval()
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION
        return [p for layer in self.layers for p in layer.parameters()]
        ### END SOLUTION

    def gradients(self):
        ### BEGIN SOLUTION
        return [g for layer in self.layers for g in layer.gradients()]
        ### END SOLUTION


class SoftmaxCrossEntropy:
    """Mean over the batch of -log softmax(logits)[label]; ``backward()`` returns
    dL/dlogits = (softmax(logits) - onehot(labels)) / N."""

    def forward(self, logits, labels):
        ### BEGIN SOLUTION
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs = np.exp(log_probs)
        self.labels = labels
        return float(-log_probs[np.arange(len(labels)), labels].mean())
        ### END SOLUTION

    def backward(self):
        ### BEGIN SOLUTION
        grad = self.probs.copy()
        grad[np.arange(len(self.labels)), self.labels] -= 1
        return grad / len(self.labels)
        ### END SOLUTION


def l2_penalty(params, lam):
    """L2 penalty: lam/2 * the sum of squares of every entry of every array in params."""
    ### BEGIN SOLUTION
    return float(lam / 2 * sum(np.sum(p**2) for p in params))
    ### END SOLUTION


def l2_penalty_grad(params, lam):
    """Gradient of the L2 penalty: [lam * p for p in params]."""
    ### BEGIN SOLUTION
    return [lam * p for p in params]
    ### END SOLUTION


def train_xor(rng):
    """A Sequential trained by gradient descent whose forward (eval mode) on
    [[0,0],[0,1],[1,0],[1,1]] gives logits of shape (4, 2) with argmax x1 XOR x2."""
    ### BEGIN SOLUTION
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    model = Sequential(Dense(2, 8, rng), Tanh(), Dense(8, 2, rng))
    loss = SoftmaxCrossEntropy()
    for _ in range(2000):
        loss.forward(model.forward(x), y)
        model.backward(loss.backward())
        for param, grad in zip(model.parameters(), model.gradients()):
            param -= 0.5 * grad
    model.eval()
    return model
    ### END SOLUTION
