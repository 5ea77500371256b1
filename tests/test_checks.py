"""Numerical assertions and their messages."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close, assert_finite, central_difference, check_array, check_scalar, directional_derivative
from grader.kit.numeric import numerical_gradient


def test_assert_close_names_the_worst_case():
    x = np.array([-2.0, 0.0, 2.0])
    with pytest.raises(CheckFailed) as failure:
        assert_close([0.1, 0.5, 0.9], [0.105, 0.5, 0.415], what="sigmoid_grad", rtol=1e-6, atol=1e-9, inputs={"x": x})
    assert str(failure.value) == "sigmoid_grad: max abs error 4.9e-01 at x=2 (expected 0.415, got 0.9; relative error 1.2e+00, allowed 4.2e-07)"


def test_close_numbers_are_shown_with_the_digits_that_tell_them_apart():
    with pytest.raises(CheckFailed) as failure:
        assert_close([-0.11764705925], [-0.11764705882], what="f", rtol=1e-9, atol=1e-12)
    assert "(expected -0.1176470588, got -0.1176470593; relative error 3.7e-09, allowed 1.2e-10)" in str(failure.value)
    with pytest.raises(CheckFailed) as failure:
        assert_close(np.zeros(300_000) + 1.0, np.ones(300_000) * 2, what="f", rtol=0, atol=0)
    assert "at index (0,)" in str(failure.value)


def test_assert_close_accepts_matching_infinities_and_rejects_nan():
    assert_close([np.inf, 1.0], [np.inf, 1.0], what="f", rtol=0, atol=0)
    with pytest.raises(CheckFailed, match="got nan"):
        assert_close([np.nan], [1.0], what="f", rtol=1, atol=1)


@pytest.mark.parametrize(
    ("got", "expected", "passes"),
    [
        ([1.0, 2.0], [1.0, 2.0 + 1e-12], True),
        ([-np.inf, 1.0], [-np.inf, 1.0], True),  # the same infinity
        ([np.inf], [-np.inf], False),
        ([5.0], [np.inf], False),  # infinitely far from an infinite expected value
        ([np.inf], [5.0], False),
        ([np.nan], [np.nan], False),
        ([1e308], [-1e308], False),  # the difference overflows
        ([1.0 + 2e-6], [1.0], False),
    ],
)
def test_assert_close_decides_every_kind_of_entry_as_the_full_comparison_does(got, expected, passes):
    """The quick pass (every entry finitely within its tolerance) never accepts what the
    entry-by-entry comparison rejects."""
    if passes:
        assert_close(got, expected, what="f", rtol=1e-6, atol=1e-9)
    else:
        with pytest.raises(CheckFailed):
            assert_close(got, expected, what="f", rtol=1e-6, atol=1e-9)


def test_check_array_type_shape_and_dtype():
    with pytest.raises(CheckFailed, match="returned a list"):
        check_array([1.0], what="f", shape=(1,))
    with pytest.raises(CheckFailed, match=r"returned shape \(2,\); expected \(3,\)"):
        check_array(np.zeros(2), what="f", shape=(3,))
    with pytest.raises(CheckFailed, match="dtype float64 for float32 input"):
        check_array(np.zeros(2), what="f", shape=(2,), dtype=np.float32)
    assert check_array(np.float32(1.0), what="f", shape=(), dtype=np.float32).shape == ()


def test_check_scalar():
    assert check_scalar(np.float32(2.5), what="loss") == 2.5
    with pytest.raises(CheckFailed, match="expected one float"):
        check_scalar(np.array([1.0, 2.0]), what="loss")


def test_assert_finite_points_at_the_input():
    with pytest.raises(CheckFailed, match="returned inf at x=1000"):
        assert_finite(np.array([1.0, np.inf]), what="exp", inputs={"x": np.array([0.0, 1000.0])})


def test_finite_differences_are_accurate():
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(central_difference(np.sin, x), np.cos(x), rtol=1e-8)
    before = x.copy()
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v**3), x), 3 * x**2, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(x, before)
    direction = np.linspace(1, 0, 9)
    assert directional_derivative(lambda v: np.sum(v**3), x, direction) == pytest.approx(np.sum(3 * x**2 * direction), rel=1e-8)


def _student_module(tmp_path, source: str):
    """A module written to its own folder, as a student's file is."""
    import importlib.util

    path = tmp_path / "student_code.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("student_code", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOOPS = {
    "for": "import numpy as np\ndef f(x):\n    out = np.empty_like(x)\n    for i in range(x.size):\n        out[i] = max(x[i], 0.0)\n    return out\n",
    "comprehension": "import numpy as np\ndef f(x):\n    return np.array([v if v > 0 else 0.0 for v in x.tolist()])\n",
    "np.vectorize": "import numpy as np\ndef _one(v):\n    return v if v > 0 else 0.0\ndef f(x):\n    return np.vectorize(_one)(x)\n",
    "swallowing": (
        "import numpy as np\ndef f(x):\n    out = []\n    for v in x.tolist():\n        try:\n"
        "            out.append(max(v, 0.0))\n        except Exception:\n            pass\n    return np.array(out)\n"
    ),
}


@pytest.mark.parametrize("kind", sorted(LOOPS))
def test_a_python_loop_over_elements_is_caught_by_the_lines_it_runs(tmp_path, kind):
    from grader.checks import PUBLIC_MAX_LINES, assert_vectorized, student_lines

    student = _student_module(tmp_path, LOOPS[kind])
    x = np.random.default_rng(0).normal(size=300_000)
    assert student_lines(student.f, x, limit=PUBLIC_MAX_LINES) > PUBLIC_MAX_LINES
    with pytest.raises(CheckFailed, match="ran more than 2000 lines of Python on 300000 elements"):
        assert_vectorized(student.f, x, what="f", baseline=lambda: np.exp(x))


def test_vectorized_code_as_heavy_as_the_heaviest_lesson_function_passes(tmp_path):
    from grader.checks import assert_vectorized, student_lines

    heavy = "import numpy as np\ndef f(x):\n    y = x\n    for _ in range(15):\n        y = np.tanh(np.exp(-np.abs(y)) + y)\n    return y\n"
    student = _student_module(tmp_path, heavy)
    x = np.random.default_rng(0).normal(size=300_000)
    assert student_lines(student.f, x, limit=2000) < 200
    assert_vectorized(student.f, x, what="f", baseline=lambda: np.exp(x))
