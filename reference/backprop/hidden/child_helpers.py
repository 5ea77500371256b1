"""The backprop lesson's trusted helpers inside the child that runs student code.

Copied beside the child's runner and imported before any student code (numpy and the standard
library only). ``protocol.Function(name)`` hands one of :data:`FUNCTIONS` to student code; the
hidden suite computes the expected values with the very same functions
(:func:`grader.kit.lesson_helpers`).
"""

import numpy as np

#: Scalar functions of an array that the grader may hand to student code (never answers).
FUNCTIONS = {
    "sum_of_squares": lambda x: float(np.sum(x**2)),
    "sum_sin_times_index": lambda x: float(np.sum(np.sin(x) * np.arange(1, x.size + 1).reshape(x.shape))),
    "log_sum_exp": lambda x: float(np.log(np.sum(np.exp(x)))),
    "product_of_cosines": lambda x: float(np.prod(np.cos(x))),
}
