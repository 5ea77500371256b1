"""Numerical assertions for hidden and public checks, with messages in the student's terms.

Every failure raises :class:`CheckFailed` whose message names the function, the worst case
and the numbers: ``sigmoid_grad: max abs error 3.1e-01 at x=-2 (expected 0.105, got 0.415;
relative error 3.0e+00, allowed 1.0e-07)``, with as many digits as it takes to tell the two
numbers apart.
Only the single worst case is ever shown, never the hidden inputs in bulk.
"""

from __future__ import annotations

import numbers

import numpy as np

from grader.errors import CheckFailed

#: Default tolerances per dtype: |got - expected| <= atol + rtol * |expected|.
TOLERANCES = {
    np.dtype(np.float64): {"rtol": 1e-6, "atol": 1e-9},
    np.dtype(np.float32): {"rtol": 2e-4, "atol": 1e-5},
}



def tolerance(dtype) -> dict:
    """The default ``rtol``/``atol`` for results of ``dtype`` (float64 when unknown)."""
    return dict(TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float64)]))


def fmt(value, digits: int = 4) -> str:
    """A number as a student reads it: ``digits`` significant digits, ``nan``/``inf`` spelled out."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return repr(value)
    return f"{value:.{digits}g}"


def describe_type(value) -> str:
    """A short phrase for the type of ``value`` (``a list``, ``a numpy float64 scalar``)."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, np.generic):
        return f"a numpy {value.dtype} scalar"
    if value is None:
        return "None (did you forget a return?)"
    return f"a {type(value).__name__}"


def check_array(got, *, what: str, shape: tuple, dtype=None) -> np.ndarray:
    """Check that ``got`` is a numpy array (or numpy scalar when ``shape == ()``) of ``shape``
    and, when given, ``dtype``; return it as an ndarray."""
    if isinstance(got, np.generic) and shape == ():
        got = np.asarray(got)
    if type(got) is not np.ndarray:
        raise CheckFailed(f"{what} returned {describe_type(got)}; expected a numpy array of shape {shape}")
    if got.shape != tuple(shape):
        raise CheckFailed(f"{what} returned shape {got.shape}; expected {tuple(shape)}")
    if dtype is not None and got.dtype != np.dtype(dtype):
        raise CheckFailed(f"{what} returned dtype {got.dtype} for {np.dtype(dtype)} input; keep the input's dtype")
    return got


def check_scalar(got, *, what: str) -> float:
    """Check that ``got`` is one real number (float, numpy float or 0-d array); return it."""
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "fiu":
        return float(got)
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, numbers.Real):
        raise CheckFailed(f"{what} returned {describe_type(got)}; expected one float")
    return float(got)


def _where(inputs: dict | None, index: tuple, shape: tuple) -> str:
    """`` at x=-2``: the inputs at ``index`` of a result of ``shape`` (`` at index (3,)`` when
    no input has that shape)."""
    parts = []
    for name, array in (inputs or {}).items():
        array = np.asarray(array)
        if array.shape == shape:
            parts.append(f"{name}={fmt(array[index])}")
    if parts:  # the input itself says where; an index into a large hidden input would not
        return f" at {', '.join(parts)}"
    return f" at index {index}" if index else ""


def assert_finite(got, *, what: str, inputs: dict | None = None) -> None:
    """Fail when ``got`` holds NaN or inf; name the first such place."""
    got = np.asarray(got, dtype=np.float64)
    bad = ~np.isfinite(got)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if got.ndim else ()
        raise CheckFailed(f"{what} returned {fmt(got[index])}{_where(inputs, index, got.shape)}; expected a finite value")


def _all_within(got64: np.ndarray, expected64: np.ndarray, rtol: float, atol: float) -> bool:
    """Whether every entry is finitely within ``atol + rtol * |expected|`` (the common case,
    decided in a few passes; anything else, infinities included, goes to :func:`_excess`)."""
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got64 - expected64)
        return bool((error <= atol + rtol * np.abs(expected64)).all() and np.isfinite(error).all())


def _excess(got64: np.ndarray, expected64: np.ndarray, rtol: float, atol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How far each entry is beyond its tolerance (> 0: outside), the absolute error, and
    where both are the same infinity."""
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got64 - expected64)
        excess = error - (atol + rtol * np.abs(expected64))
    excess = np.where(np.isnan(excess) | np.isinf(error), np.inf, excess)
    same_inf = np.isinf(got64) & (got64 == expected64)
    return np.where(same_inf, -np.inf, excess), error, same_inf


def assert_close(got, expected, *, what: str, rtol: float, atol: float, inputs: dict | None = None, alternatives=()) -> None:
    """Fail unless ``|got - expected| <= atol + rtol * |expected|`` everywhere (NaN never matches).

    ``inputs`` (name -> array of the same shape) lets the message say where the worst case is.
    ``alternatives``: other arrays of ``expected``'s shape that are right too, entry by entry
    (the other one-sided derivative at a kink, another correct clipping).
    """
    got64 = np.asarray(got, dtype=np.float64)
    expected64 = np.asarray(expected, dtype=np.float64)
    if got64.shape != expected64.shape:
        raise CheckFailed(f"{what} returned shape {got64.shape}; expected {expected64.shape}")
    if got64.size == 0 or _all_within(got64, expected64, rtol, atol):
        return
    excess, error, same_inf = _excess(got64, expected64, rtol, atol)
    for alternative in alternatives:
        other, _, _ = _excess(got64, np.asarray(alternative, dtype=np.float64), rtol, atol)
        excess = np.minimum(excess, other)
    if not (excess > 0).any():
        return
    index = tuple(int(i) for i in np.unravel_index(np.argmax(excess), excess.shape)) if excess.ndim else ()
    worst = np.max(np.where(same_inf, 0, np.nan_to_num(error, nan=np.inf)))
    expected_value, got_value = float(expected64[index]), float(got64[index])
    shown_expected, shown_got = distinct(expected_value, got_value)
    allowed = atol + rtol * abs(expected_value)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = abs(got_value - expected_value) / abs(expected_value) if expected_value else float("inf")
    raise CheckFailed(
        f"{what}: max abs error {worst:.1e}{_where(inputs, index, got64.shape)} "
        f"(expected {shown_expected}, got {shown_got}; relative error {relative:.1e}, allowed {allowed:.1e})"
    )


def distinct(expected: float, got: float) -> tuple[str, str]:
    """Both numbers with 4 significant digits, or as many more as it takes to tell them apart."""
    for digits in range(4, 18):
        shown = fmt(expected, digits), fmt(got, digits)
        if shown[0] != shown[1]:
            return shown
    return shown


def assert_unchanged(before: np.ndarray, after: np.ndarray, *, what: str, name: str = "x") -> None:
    """Fail when the array the student received was modified in place."""
    if before.shape != after.shape or before.dtype != after.dtype or before.tobytes() != after.tobytes():
        raise CheckFailed(f"{what} modified its input {name} in place; work on a copy or build a new array")


def assert_no_warnings(warnings: list[str], *, what: str) -> None:
    """Fail when the student's call raised warnings (overflow, division by zero, ...)."""
    if warnings:
        raise CheckFailed(f"{what} raised a warning: {warnings[0]}")


def central_difference(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Elementwise derivative of an elementwise ``f`` by central differences:
    f'(x) ≈ (f(x + eps) - f(x - eps)) / (2 eps), in float64."""
    x = np.asarray(x, dtype=np.float64)
    return (np.asarray(f(x + eps), dtype=np.float64) - np.asarray(f(x - eps), dtype=np.float64)) / (2 * eps)


def directional_derivative(f, x: np.ndarray, direction: np.ndarray, eps: float = 1e-6) -> float:
    """The derivative of a scalar function ``f`` at ``x`` along ``direction``, by central
    differences: (f(x + eps d) - f(x - eps d)) / (2 eps), which a right gradient g matches as g . d."""
    x = np.asarray(x, dtype=np.float64)
    return (float(f(x + eps * direction)) - float(f(x - eps * direction))) / (2 * eps)


# -- properties, for the public checks: the same ones the hidden checks grade ------------------
#: A vectorized function runs a handful of Python lines whatever its input's size; a loop over
#: the elements (``for``, a comprehension, ``np.vectorize``) runs lines per element. The public
#: speed check counts the lines run in the student's own files, stopping at this many.
PUBLIC_MAX_LINES = 2000
#: And, as a backstop for per-element work that runs no Python line of the student's (``map``
#: over ``.tolist()``), CPU time over this many plain numpy passes plus PUBLIC_SLACK_S. The
#: heaviest correct function (``mish_grad``) takes about 60 passes: the gap is wide on purpose,
#: so that a busy machine never fails a correct solution; the hidden checks time it exactly.
PUBLIC_SLOWDOWN = 200.0
PUBLIC_SLACK_S = 0.05


def call_quietly(function, *args, what: str, **kwargs):
    """``function(*args, **kwargs)``, failing when it raised a numpy warning (overflow, division
    by zero, invalid value) or returned NaN or inf: the stability the hidden checks grade."""
    import warnings

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    if caught:
        raise CheckFailed(f"{what} raised a warning: {caught[0].category.__name__}: {caught[0].message}")
    values = np.asarray(result, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise CheckFailed(f"{what} returned {fmt(values[~np.isfinite(values)][0])}; expected finite values (compute it stably)")
    return result


def assert_inputs_unchanged(function, *args, what: str, **kwargs) -> None:
    """Fail when ``function`` modifies any of its array arguments in place."""
    copies = [arg.copy() if isinstance(arg, np.ndarray) else arg for arg in args]
    function(*copies, **kwargs)
    for number, (before, after) in enumerate(zip(args, copies), start=1):
        if isinstance(before, np.ndarray):
            assert_unchanged(before, after, what=what, name=f"argument {number}")


def cpu_seconds(function, *args, **kwargs) -> float:
    """CPU seconds of this thread spent in ``function(*args, **kwargs)`` (the best of three)."""
    import time

    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        function(*args, **kwargs)
        best = min(best, time.thread_time() - started)
    return best


def assert_vectorized(function, *args, what: str, baseline, **kwargs) -> None:
    """Fail when ``function(*args)`` loops over the elements in Python: when it runs more than
    :data:`PUBLIC_MAX_LINES` lines of the student's own files (:func:`student_lines`), or takes
    far longer than ``baseline()`` (one plain numpy pass over inputs of the same size), see
    :data:`PUBLIC_SLOWDOWN`. Counting lines does not depend on the machine's load."""
    size = args[0].size if hasattr(args[0], "size") else "?"
    advice = "use numpy operations on whole arrays, not a Python loop"
    import time

    started = time.thread_time()
    lines = student_lines(function, *args, limit=PUBLIC_MAX_LINES, **kwargs)
    took = time.thread_time() - started  # one call is enough against a threshold this wide
    if lines > PUBLIC_MAX_LINES:
        raise CheckFailed(f"{what} ran more than {PUBLIC_MAX_LINES} lines of Python on {size} elements (a loop over them): {advice}")
    plain = cpu_seconds(baseline)
    allowed = PUBLIC_SLOWDOWN * plain + PUBLIC_SLACK_S
    if took > allowed:
        raise CheckFailed(f"{what} took {took:.3f} s on {size} elements (allowed {allowed:.3f} s): {advice}")


class _TooManyLines(Exception):
    """Raised by :func:`student_lines`'s tracer to stop a loop once it is seen."""


def student_lines(function, *args, limit: int, **kwargs) -> int:
    """How many lines of the student's files ``function(*args, **kwargs)`` runs, counting up to
    just past ``limit`` (then the call is stopped). The student's files are those in the folder
    of ``function``'s own file; anything else (numpy, the standard library) is not counted."""
    import os
    import sys

    code = getattr(function, "__code__", None) or getattr(getattr(function, "__func__", None), "__code__", None)
    folder = os.path.dirname(os.path.abspath(code.co_filename)) + os.sep if code is not None else None
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
            if count > limit:
                raise _TooManyLines
        return local

    def tracer(frame, event, arg):
        filename = os.path.abspath(frame.f_code.co_filename)
        return local if folder is not None and filename.startswith(folder) else None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        function(*args, **kwargs)
    except _TooManyLines:
        pass
    finally:
        sys.settrace(previous)
    return count
