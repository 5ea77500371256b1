"""Tensors, threshold neurons, logic gates and linear regression, in numpy.

Inputs are float32 or float64 arrays; outputs keep the input's dtype. Inputs are never
modified, and no Python loop runs over elements. numpy and ``math`` only.

A threshold neuron with weights w and bias b fires on input x when w . x + b >= 0:
    out = step(x @ w + b), step(z) = 1 if z >= 0 else 0.
The logic gates below are single neurons returned as (w, b); the XOR network is two layers of
threshold neurons returned as [(W1, b1), (W2, b2)] and evaluated as
    h = step(x @ W1 + b1), out = step(h @ W2 + b2).
"""

import numpy as np


def tensor_sum(a, b):
    """Elementwise sum of two tensors of the same shape: (a + b)_i = a_i + b_i.

    Raise ValueError when the shapes differ (no broadcasting).
    """
    ### BEGIN SOLUTION
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    return a + b
    ### END SOLUTION


def scalar_multiply(c, a):
    """Product of a tensor with a scalar: (c a)_i = c * a_i."""
    ### BEGIN SOLUTION
    return c * a
    ### END SOLUTION


def outer_product(u, v):
    """Outer product (dyad) of two vectors: (u v^T)_ij = u_i * v_j, shape (len(u), len(v))."""
    ### BEGIN SOLUTION
    return u[:, None] * v[None, :]
    ### END SOLUTION


def tensor_product(a, b):
    """Tensor product of a rank-n tensor and a rank-m tensor, a tensor of rank n + m:
    (a ⊗ b)[i1..in, j1..jm] = a[i1..in] * b[j1..jm]."""
    ### BEGIN SOLUTION
    return np.multiply.outer(a, b)
    ### END SOLUTION


def threshold_neuron(x, w, b):
    """Threshold neuron: step(x @ w + b), 1 where x @ w + b >= 0, else 0, in x's dtype.

    x has shape (d,) for one input or (N, d) for a batch; w has shape (d,); b is a number.
    """
    ### BEGIN SOLUTION
    return (x @ w + b >= 0).astype(x.dtype)
    ### END SOLUTION


def and_neuron():
    """Weights (w, b) of one threshold neuron computing x1 AND x2 on inputs in {0, 1}^2."""
    ### BEGIN SOLUTION
    return np.array([1.0, 1.0]), -1.5
    ### END SOLUTION


def or_neuron():
    """Weights (w, b) of one threshold neuron computing x1 OR x2 on inputs in {0, 1}^2."""
    ### BEGIN SOLUTION
    return np.array([1.0, 1.0]), -0.5
    ### END SOLUTION


def not_neuron():
    """Weights (w, b) of one threshold neuron computing NOT x on inputs x in {0, 1}, w of shape (1,)."""
    ### BEGIN SOLUTION
    return np.array([-1.0]), 0.5
    ### END SOLUTION


def xor_network():
    """Two layers of threshold neurons computing x1 XOR x2: [(W1, b1), (W2, b2)].

    W1 has shape (2, H), b1 shape (H,), W2 shape (H,) and b2 is a number, for any H >= 2.
    Hint: XOR = AND(OR(x1, x2), NOT(AND(x1, x2))).
    """
    ### BEGIN SOLUTION
    w1 = np.array([[1.0, -1.0], [1.0, -1.0]])  # columns: OR, NAND
    b1 = np.array([-0.5, 1.5])
    w2 = np.array([1.0, 1.0])  # AND of the two
    return [(w1, b1), (w2, -1.5)]
    ### END SOLUTION


def linear_regression_normal(X, y):
    """Least-squares weights w (d,) for y ≈ X w, from the normal equation (X^T X) w = X^T y.

    Solve the linear system (np.linalg.solve); do not invert X^T X.
    """
    ### BEGIN SOLUTION
    return np.linalg.solve(X.T @ X, X.T @ y)
    ### END SOLUTION


def linear_regression_gd(X, y, lr=0.01, epochs=100):
    """Weights w (d,) for y ≈ X w by full-batch gradient descent on the mean squared error.

    Start from w = 0; each epoch does w <- w - lr * (2/N) X^T (X w - y). Returns w in X's dtype.
    """
    ### BEGIN SOLUTION
    n = X.shape[0]
    w = np.zeros(X.shape[1], dtype=X.dtype)
    for _ in range(epochs):
        w = w - lr * (2 / n) * (X.T @ (X @ w - y))
    return w
    ### END SOLUTION
