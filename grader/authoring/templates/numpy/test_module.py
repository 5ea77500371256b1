"""Public checks of ${module}.py: small examples you can verify by hand.

Run them with `grade check ${lesson}` (or `pytest` in this folder). The hidden checks grade the
same properties on other inputs when you submit.
"""

import numpy as np
import pytest

from grader.checks import assert_close, check_array


@pytest.mark.task("leaky_relu")
def test_leaky_relu_on_a_small_array(student):
    """leaky_relu keeps positives and scales negatives by alpha"""
    got = student.leaky_relu(np.array([-2.0, 0.0, 3.0]), alpha=0.5)
    check_array(got, what="leaky_relu", shape=(3,), dtype=np.float64)
    assert_close(got, [-1.0, 0.0, 3.0], what="leaky_relu", rtol=1e-12, atol=0.0)
