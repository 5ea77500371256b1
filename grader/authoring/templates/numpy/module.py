"""${title}.

Write each function where it says so; `grade check ${lesson}` runs the public checks.
"""

import numpy as np


def leaky_relu(x, alpha=0.01):
    """Leaky ReLU: f(x) = x where x >= 0, alpha * x elsewhere, elementwise.

    Keep the dtype of ``x`` and do not modify it; no Python loops.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x)
    return np.where(x >= 0, x, x * np.asarray(alpha, dtype=x.dtype))
    ### END SOLUTION
