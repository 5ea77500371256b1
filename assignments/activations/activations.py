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


def sigmoid(x):
    """Logistic sigmoid: f(x) = 1 / (1 + e^-x)."""
    raise NotImplementedError("sigmoid: your code here")


def sigmoid_grad(x):
    """Derivative of the sigmoid: f'(x) = s(x) * (1 - s(x)), s the sigmoid."""
    raise NotImplementedError("sigmoid_grad: your code here")


def tanh(x):
    """Hyperbolic tangent: f(x) = (e^x - e^-x) / (e^x + e^-x)."""
    raise NotImplementedError("tanh: your code here")


def tanh_grad(x):
    """Derivative of tanh: f'(x) = 1 - tanh(x)^2."""
    raise NotImplementedError("tanh_grad: your code here")


def relu(x):
    """Rectified linear unit: f(x) = max(0, x)."""
    raise NotImplementedError("relu: your code here")


def relu_grad(x):
    """Derivative of relu: 1 where x > 0, else 0."""
    raise NotImplementedError("relu_grad: your code here")


def leaky_relu(x, alpha=0.01):
    """Leaky relu: f(x) = x if x >= 0 else alpha * x."""
    raise NotImplementedError("leaky_relu: your code here")


def leaky_relu_grad(x, alpha=0.01):
    """Derivative of leaky relu: 1 if x >= 0 else alpha."""
    raise NotImplementedError("leaky_relu_grad: your code here")


def elu(x, alpha=1.0):
    """Exponential linear unit: f(x) = x if x > 0 else alpha * (e^x - 1)."""
    raise NotImplementedError("elu: your code here")


def elu_grad(x, alpha=1.0):
    """Derivative of elu: 1 if x > 0 else alpha * e^x."""
    raise NotImplementedError("elu_grad: your code here")


def selu(x, alpha=1.6732632423543772, scale=1.0507009873554805):
    """Scaled elu: f(x) = scale * (max(0, x) + min(0, alpha * (e^x - 1)))."""
    raise NotImplementedError("selu: your code here")


def selu_grad(x, alpha=1.6732632423543772, scale=1.0507009873554805):
    """Derivative of selu: scale if x > 0 else scale * alpha * e^x."""
    raise NotImplementedError("selu_grad: your code here")


def softplus(x, beta=1.0):
    """Softplus: f(x) = (1/beta) * log(1 + e^(beta*x))."""
    raise NotImplementedError("softplus: your code here")


def softplus_grad(x, beta=1.0):
    """Derivative of softplus: f'(x) = sigmoid(beta * x)."""
    raise NotImplementedError("softplus_grad: your code here")


def softsign(x):
    """Softsign: f(x) = x / (1 + |x|)."""
    raise NotImplementedError("softsign: your code here")


def softsign_grad(x):
    """Derivative of softsign: f'(x) = 1 / (1 + |x|)^2."""
    raise NotImplementedError("softsign_grad: your code here")


def step(x):
    """Heaviside step: f(x) = 0 if x < 0 else 1."""
    raise NotImplementedError("step: your code here")


def step_grad(x):
    """Derivative of the step, taken as 0 everywhere."""
    raise NotImplementedError("step_grad: your code here")


def exponential(x):
    """Exponential: f(x) = e^x."""
    raise NotImplementedError("exponential: your code here")


def exponential_grad(x):
    """Derivative of the exponential: f'(x) = e^x."""
    raise NotImplementedError("exponential_grad: your code here")


def swish(x):
    """Swish (SiLU): f(x) = x * sigmoid(x)."""
    raise NotImplementedError("swish: your code here")


def swish_grad(x):
    """Derivative of swish: f'(x) = s + x * s * (1 - s), s = sigmoid(x)."""
    raise NotImplementedError("swish_grad: your code here")


def gelu(x, approximate=False):
    """GELU: f(x) = x * Phi(x), Phi the standard normal CDF.

    With approximate=True: f(x) = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
    """
    raise NotImplementedError("gelu: your code here")


def gelu_grad(x, approximate=False):
    """Derivative of GELU: f'(x) = Phi(x) + x * phi(x), phi the normal density.

    With approximate=True: f'(x) = (1 + t)/2 + x/2 * (1 - t^2) * k * (1 + 3 * 0.044715 x^2),
    t = tanh(k * (x + 0.044715 x^3)), k = sqrt(2/pi).
    """
    raise NotImplementedError("gelu_grad: your code here")


def mish(x):
    """Mish: f(x) = x * tanh(softplus(x))."""
    raise NotImplementedError("mish: your code here")


def mish_grad(x):
    """Derivative of mish: f'(x) = tanh(sp) + x * (1 - tanh(sp)^2) * sigmoid(x), sp = softplus(x)."""
    raise NotImplementedError("mish_grad: your code here")


def hard_sigmoid(x):
    """Hard sigmoid: f(x) = clip(x/6 + 1/2, 0, 1)."""
    raise NotImplementedError("hard_sigmoid: your code here")


def hard_sigmoid_grad(x):
    """Derivative of the hard sigmoid: 1/6 for -3 < x < 3, else 0."""
    raise NotImplementedError("hard_sigmoid_grad: your code here")


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    """Hard tanh: f(x) = clip(x, min_val, max_val)."""
    raise NotImplementedError("hard_tanh: your code here")


def hard_tanh_grad(x, min_val=-1.0, max_val=1.0):
    """Derivative of hard tanh: 1 for min_val < x < max_val, else 0."""
    raise NotImplementedError("hard_tanh_grad: your code here")


def hard_swish(x):
    """Hard swish: f(x) = x * hard_sigmoid(x)."""
    raise NotImplementedError("hard_swish: your code here")


def hard_swish_grad(x):
    """Derivative of hard swish: 0 for x < -3, 1 for x > 3, else x/3 + 1/2."""
    raise NotImplementedError("hard_swish_grad: your code here")


def tanhshrink(x):
    """Tanhshrink: f(x) = x - tanh(x)."""
    raise NotImplementedError("tanhshrink: your code here")


def tanhshrink_grad(x):
    """Derivative of tanhshrink: f'(x) = tanh(x)^2."""
    raise NotImplementedError("tanhshrink_grad: your code here")


def softshrink(x, lambd=0.5):
    """Soft shrinkage: x - lambd if x > lambd; x + lambd if x < -lambd; else 0."""
    raise NotImplementedError("softshrink: your code here")


def softshrink_grad(x, lambd=0.5):
    """Derivative of soft shrinkage: 1 where |x| > lambd, else 0."""
    raise NotImplementedError("softshrink_grad: your code here")


def hardshrink(x, lambd=0.5):
    """Hard shrinkage: f(x) = x if |x| > lambd else 0."""
    raise NotImplementedError("hardshrink: your code here")


def hardshrink_grad(x, lambd=0.5):
    """Derivative of hard shrinkage: 1 where |x| > lambd, else 0."""
    raise NotImplementedError("hardshrink_grad: your code here")


def softmax(x, axis=-1):
    """Softmax along ``axis``: y_i = e^(x_i) / sum_j e^(x_j).

    Stable form: subtract the maximum along ``axis`` first (the result does not change).
    """
    raise NotImplementedError("softmax: your code here")


def log_softmax(x, axis=-1):
    """Log-softmax along ``axis``: y_i = x_i - log(sum_j e^(x_j)), computed stably."""
    raise NotImplementedError("log_softmax: your code here")


def softmax_backward(x, grad_out, axis=-1):
    """Vector-Jacobian product of softmax: dL/dx given dL/dy, y = softmax(x).

    dL/dx_i = y_i * (g_i - sum_j g_j y_j), g = grad_out.
    """
    raise NotImplementedError("softmax_backward: your code here")
