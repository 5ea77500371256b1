"""Activation functions and their derivatives, in numpy.

Every activation ``NAME(x, ...)`` has a partner ``NAME_grad(x, ...)``: the elementwise
derivative dy/dx with the same parameters. Inputs are float32 or float64 arrays of any shape;
outputs keep the input's shape and dtype, and inputs are never modified.

Rules of the lesson:
- numerically stable: no NaN, inf or overflow warning for |x| up to 1e4 where the value is finite;
- vectorized: no Python loop over elements;
- numpy, ``scipy.special`` and ``math`` only.
Tip: write constants as Python floats (``math.pi``), not numpy scalars, so float32 stays float32.
"""

import math

import numpy as np
from scipy import special

### BEGIN SOLUTION
def _exp_neg_abs(x):
    return np.exp(-np.abs(x))
### END SOLUTION


def sigmoid(x):
    """Logistic sigmoid: f(x) = 1 / (1 + e^-x)."""
    ### BEGIN SOLUTION
    z = _exp_neg_abs(x)
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    ### END SOLUTION


def sigmoid_grad(x):
    """Derivative of the sigmoid: f'(x) = s(x) * (1 - s(x)), s the sigmoid."""
    ### BEGIN SOLUTION
    s = sigmoid(x)
    return s * (1 - s)
    ### END SOLUTION


def tanh(x):
    """Hyperbolic tangent: f(x) = (e^x - e^-x) / (e^x + e^-x)."""
    ### BEGIN SOLUTION
    return np.tanh(x)
    ### END SOLUTION


def tanh_grad(x):
    """Derivative of tanh: f'(x) = 1 - tanh(x)^2."""
    ### BEGIN SOLUTION
    return 1 - np.tanh(x) ** 2
    ### END SOLUTION


def relu(x):
    """Rectified linear unit: f(x) = max(0, x)."""
    ### BEGIN SOLUTION
    return np.maximum(x, 0)
    ### END SOLUTION


def relu_grad(x):
    """Derivative of relu: 1 where x > 0, else 0."""
    ### BEGIN SOLUTION
    return (x > 0).astype(x.dtype)
    ### END SOLUTION


def leaky_relu(x, alpha=0.01):
    """Leaky relu: f(x) = x if x >= 0 else alpha * x."""
    ### BEGIN SOLUTION
    return np.where(x >= 0, x, alpha * x)
    ### END SOLUTION


def leaky_relu_grad(x, alpha=0.01):
    """Derivative of leaky relu: 1 if x >= 0 else alpha."""
    ### BEGIN SOLUTION
    return np.where(x >= 0, 1, alpha).astype(x.dtype)
    ### END SOLUTION


def elu(x, alpha=1.0):
    """Exponential linear unit: f(x) = x if x > 0 else alpha * (e^x - 1)."""
    ### BEGIN SOLUTION
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    ### END SOLUTION


def elu_grad(x, alpha=1.0):
    """Derivative of elu: 1 if x > 0 else alpha * e^x."""
    ### BEGIN SOLUTION
    return np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)
    ### END SOLUTION


def selu(x, alpha=1.6732632423543772, scale=1.0507009873554805):
    """Scaled elu: f(x) = scale * (max(0, x) + min(0, alpha * (e^x - 1)))."""
    ### BEGIN SOLUTION
    return scale * elu(x, alpha)
    ### END SOLUTION


def selu_grad(x, alpha=1.6732632423543772, scale=1.0507009873554805):
    """Derivative of selu: scale if x > 0 else scale * alpha * e^x."""
    ### BEGIN SOLUTION
    return scale * elu_grad(x, alpha)
    ### END SOLUTION


def softplus(x, beta=1.0):
    """Softplus: f(x) = (1/beta) * log(1 + e^(beta*x))."""
    ### BEGIN SOLUTION
    return np.logaddexp(0, beta * x) / beta
    ### END SOLUTION


def softplus_grad(x, beta=1.0):
    """Derivative of softplus: f'(x) = sigmoid(beta * x)."""
    ### BEGIN SOLUTION
    return sigmoid(beta * x)
    ### END SOLUTION


def softsign(x):
    """Softsign: f(x) = x / (1 + |x|)."""
    ### BEGIN SOLUTION
    return x / (1 + np.abs(x))
    ### END SOLUTION


def softsign_grad(x):
    """Derivative of softsign: f'(x) = 1 / (1 + |x|)^2."""
    ### BEGIN SOLUTION
    return 1 / (1 + np.abs(x)) ** 2
    ### END SOLUTION


def step(x):
    """Heaviside step: f(x) = 0 if x < 0 else 1."""
    ### BEGIN SOLUTION
    return (x >= 0).astype(x.dtype)
    ### END SOLUTION


def step_grad(x):
    """Derivative of the step, taken as 0 everywhere."""
    ### BEGIN SOLUTION
    return np.zeros_like(x)
    ### END SOLUTION


def exponential(x):
    """Exponential: f(x) = e^x."""
    ### BEGIN SOLUTION
    return np.exp(x)
    ### END SOLUTION


def exponential_grad(x):
    """Derivative of the exponential: f'(x) = e^x."""
    ### BEGIN SOLUTION
    return np.exp(x)
    ### END SOLUTION


def swish(x):
    """Swish (SiLU): f(x) = x * sigmoid(x)."""
    ### BEGIN SOLUTION
    return x * sigmoid(x)
    ### END SOLUTION


def swish_grad(x):
    """Derivative of swish: f'(x) = s + x * s * (1 - s), s = sigmoid(x)."""
    ### BEGIN SOLUTION
    s = sigmoid(x)
    return s + x * s * (1 - s)
    ### END SOLUTION


def gelu(x, approximate=False):
    """GELU: f(x) = x * Phi(x), Phi the standard normal CDF.

    With approximate=True: f(x) = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
    """
    ### BEGIN SOLUTION
    if approximate:
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1 + np.tanh(inner))
    return 0.5 * x * (1 + special.erf(x / math.sqrt(2)))
    ### END SOLUTION


def gelu_grad(x, approximate=False):
    """Derivative of GELU: f'(x) = Phi(x) + x * phi(x), phi the normal density.

    With approximate=True: f'(x) = (1 + t)/2 + x/2 * (1 - t^2) * k * (1 + 3 * 0.044715 x^2),
    t = tanh(k * (x + 0.044715 x^3)), k = sqrt(2/pi).
    """
    ### BEGIN SOLUTION
    if approximate:
        k = math.sqrt(2 / math.pi)
        t = np.tanh(k * (x + 0.044715 * x**3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * k * (1 + 3 * 0.044715 * x**2)
    cdf = 0.5 * (1 + special.erf(x / math.sqrt(2)))
    pdf = np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
    return cdf + x * pdf
    ### END SOLUTION


def mish(x):
    """Mish: f(x) = x * tanh(softplus(x))."""
    ### BEGIN SOLUTION
    return x * np.tanh(softplus(x))
    ### END SOLUTION


def mish_grad(x):
    """Derivative of mish: f'(x) = tanh(sp) + x * (1 - tanh(sp)^2) * sigmoid(x), sp = softplus(x)."""
    ### BEGIN SOLUTION
    t = np.tanh(softplus(x))
    return t + x * (1 - t**2) * sigmoid(x)
    ### END SOLUTION


def hard_sigmoid(x):
    """Hard sigmoid: f(x) = clip(x/6 + 1/2, 0, 1)."""
    ### BEGIN SOLUTION
    return np.clip(x / 6 + 0.5, 0, 1)
    ### END SOLUTION


def hard_sigmoid_grad(x):
    """Derivative of the hard sigmoid: 1/6 for -3 < x < 3, else 0."""
    ### BEGIN SOLUTION
    return ((x > -3) & (x < 3)).astype(x.dtype) / 6
    ### END SOLUTION


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    """Hard tanh: f(x) = clip(x, min_val, max_val)."""
    ### BEGIN SOLUTION
    return np.clip(x, min_val, max_val)
    ### END SOLUTION


def hard_tanh_grad(x, min_val=-1.0, max_val=1.0):
    """Derivative of hard tanh: 1 for min_val < x < max_val, else 0."""
    ### BEGIN SOLUTION
    return ((x > min_val) & (x < max_val)).astype(x.dtype)
    ### END SOLUTION


def hard_swish(x):
    """Hard swish: f(x) = x * hard_sigmoid(x)."""
    ### BEGIN SOLUTION
    return x * hard_sigmoid(x)
    ### END SOLUTION


def hard_swish_grad(x):
    """Derivative of hard swish: 0 for x < -3, 1 for x > 3, else x/3 + 1/2."""
    ### BEGIN SOLUTION
    return np.where(x < -3, 0, np.where(x > 3, 1, x / 3 + 0.5)).astype(x.dtype)
    ### END SOLUTION


def tanhshrink(x):
    """Tanhshrink: f(x) = x - tanh(x)."""
    ### BEGIN SOLUTION
    return x - np.tanh(x)
    ### END SOLUTION


def tanhshrink_grad(x):
    """Derivative of tanhshrink: f'(x) = tanh(x)^2."""
    ### BEGIN SOLUTION
    return np.tanh(x) ** 2
    ### END SOLUTION


def softshrink(x, lambd=0.5):
    """Soft shrinkage: x - lambd if x > lambd; x + lambd if x < -lambd; else 0."""
    ### BEGIN SOLUTION
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0)).astype(x.dtype)
    ### END SOLUTION


def softshrink_grad(x, lambd=0.5):
    """Derivative of soft shrinkage: 1 where |x| > lambd, else 0."""
    ### BEGIN SOLUTION
    return (np.abs(x) > lambd).astype(x.dtype)
    ### END SOLUTION


def hardshrink(x, lambd=0.5):
    """Hard shrinkage: f(x) = x if |x| > lambd else 0."""
    ### BEGIN SOLUTION
    return np.where(np.abs(x) > lambd, x, 0).astype(x.dtype)
    ### END SOLUTION


def hardshrink_grad(x, lambd=0.5):
    """Derivative of hard shrinkage: 1 where |x| > lambd, else 0."""
    ### BEGIN SOLUTION
    return (np.abs(x) > lambd).astype(x.dtype)
    ### END SOLUTION


def softmax(x, axis=-1):
    """Softmax along ``axis``: y_i = e^(x_i) / sum_j e^(x_j).

    Stable form: subtract the maximum along ``axis`` first (the result does not change).
    """
    ### BEGIN SOLUTION
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)
    ### END SOLUTION


def log_softmax(x, axis=-1):
    """Log-softmax along ``axis``: y_i = x_i - log(sum_j e^(x_j)), computed stably."""
    ### BEGIN SOLUTION
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    ### END SOLUTION


def softmax_backward(x, grad_out, axis=-1):
    """Vector-Jacobian product of softmax: dL/dx given dL/dy, y = softmax(x).

    dL/dx_i = y_i * (g_i - sum_j g_j y_j), g = grad_out.
    """
    ### BEGIN SOLUTION
    y = softmax(x, axis=axis)
    return y * (grad_out - np.sum(grad_out * y, axis=axis, keepdims=True))
    ### END SOLUTION
