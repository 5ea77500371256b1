"""Correct solutions that differ from the reference where the contract allows a choice earn full
marks: the other one-sided derivative at every kink, clipping after a cast to float64, and
vectorized code timed while every core is busy."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import make_submission

from grader.api import GradeRequest, grade

#: Appended to the activations reference: every derivative with a kink gives, exactly at its
#: kinks, the left-hand (side -1) or right-hand (side +1) derivative instead of the reference's.
ONE_SIDED = '''

_KINKS = {
    "relu_grad": lambda *a, **p: (0.0,),
    "leaky_relu_grad": lambda *a, **p: (0.0,),
    "elu_grad": lambda *a, **p: (0.0,),
    "selu_grad": lambda *a, **p: (0.0,),
    "softsign_grad": lambda *a, **p: (0.0,),
    "step_grad": lambda *a, **p: (0.0,),
    "hard_sigmoid_grad": lambda *a, **p: (-3.0, 3.0),
    "hard_swish_grad": lambda *a, **p: (-3.0, 3.0),
    "hard_tanh_grad": lambda min_val=-1.0, max_val=1.0: (min_val, max_val),
    "softshrink_grad": lambda lambd=0.5: (-lambd, lambd),
    "hardshrink_grad": lambda lambd=0.5: (-lambd, lambd),
}


def _one_sided(function, kinks):
    def derivative(x, *args, **params):
        x = np.asarray(x)
        x64 = x.astype(np.float64)
        on_kink = np.isin(x64, np.asarray(kinks(*args, **params), dtype=np.float64))
        return np.asarray(function(np.where(on_kink, x64 + SIDE * 1e-9, x64), *args, **params)).astype(x.dtype)
    return derivative


for _name, _kinks in _KINKS.items():
    globals()[_name] = _one_sided(globals()[_name], _kinks)
'''


@pytest.mark.parametrize("side", [-1.0, 1.0], ids=["left-hand", "right-hand"])
def test_either_one_sided_derivative_at_every_kink_earns_full_marks(side, tmp_path):
    folder = make_submission(tmp_path, "activations", lambda source: source + ONE_SIDED.replace("SIDE", repr(side)))
    result = grade(GradeRequest("activations", folder))
    lost = [f"{test.name}: {test.message}" for test in result.tests if test.status != "passed"]
    assert lost == [] and result.score == result.max_score


#: Appended to the losses reference: the clipped cross-entropies computed in float64 whatever
#: the input's dtype (clipping exactly as the stub says, after a cast).
IN_FLOAT64 = '''

def _in_float64(function):
    def loss(y_true, y_pred, *args, **kwargs):
        value = function(np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64), *args, **kwargs)
        return value.astype(np.asarray(y_pred).dtype) if isinstance(value, np.ndarray) else float(value)
    return loss


for _name in ("binary_crossentropy", "weighted_binary_crossentropy", "balanced_binary_crossentropy"):
    globals()[_name] = _in_float64(globals()[_name])
    globals()[_name + "_grad"] = _in_float64(globals()[_name + "_grad"])
'''


def test_clipping_after_a_cast_to_float64_earns_full_marks(tmp_path):
    folder = make_submission(tmp_path, "losses", lambda source: source + IN_FLOAT64)
    result = grade(GradeRequest("losses", folder))
    lost = [f"{test.name}: {test.message}" for test in result.tests if test.status != "passed"]
    assert lost == [] and result.score == result.max_score


HOG = "while True:\n    pass\n"
LOOPED_MAE = '''

def mae(y_true, y_pred):
    total = 0.0
    for t, p in zip(np.ravel(y_true).tolist(), np.ravel(y_pred).tolist()):
        total += abs(t - p)
    return total / max(1, np.size(y_true))
'''


@pytest.fixture
def every_core_busy():
    """A busy loop on every core for the length of the test."""
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(os.cpu_count() or 1)]
    try:
        yield len(hogs)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def test_speed_checks_beside_a_cpu_hog_pass_vectorized_code_and_fail_a_loop(every_core_busy, tmp_path):
    fair = grade(GradeRequest("losses", make_submission(tmp_path, "losses", name="vectorized")))
    slow = [f"{test.name}: {test.message}" for test in fair.tests if "vectorized" in test.name and test.status != "passed"]
    assert slow == [], f"with {every_core_busy} busy loops running"
    looped = grade(GradeRequest("losses", make_submission(tmp_path, "losses", lambda source: source + LOOPED_MAE, name="looped")))
    (mae_speed,) = [test for test in looped.tests if test.name == "mae is vectorized (no Python loop over examples)"]
    assert mae_speed.status == "failed" and "use numpy operations on whole arrays" in mae_speed.message
    assert all(test.status == "passed" for test in looped.tests if test.task == "mae" and test is not mae_speed)
