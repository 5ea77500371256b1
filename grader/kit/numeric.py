"""Building blocks shared by the hidden suites: seeded inputs and the standard checks.

Each ``check_*`` calls the student's function through the proxy (``student``), computes the
expected value with the reference in this process, and raises ``CheckFailed`` with a message
naming the worst case.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from grader.errors import StudentCrash, StudentError, StudentTimeout
from grader.kit.checks import (
    CheckFailed,
    assert_close,
    assert_finite,
    assert_no_warnings,
    assert_unchanged,
    check_array,
    check_scalar,
    tolerance,
)
from grader.kit.kept import kept_for
from grader.runner import allocator

FLOAT_DTYPES = (np.float32, np.float64)
#: The student may take this many times the reference's time on a large input, plus SLACK_S,
#: both in CPU seconds (the child's, read from the kernel; the grader's own thread's), so that
#: other work on the machine costs nobody points. A Python loop over 3e5 elements takes 30-100
#: times numpy's time here, and 25 ms or more.
SLOWDOWN_FACTOR = 8.0
SLACK_S = 0.005
#: Whatever the reference's time, the student may take this long per element: a Python loop
#: over elements costs 80 ns or more per element, so a vectorized solution several numpy
#: passes slower than the reference (np.where over masks) still passes on a busy machine
#: (one took 8 ms on 3e5 elements where 8 times the reference plus SLACK_S allowed 7 ms).
LOOP_FLOOR_S_PER_ELEMENT = 40e-9


_ONCE: dict = {}


def once(*key, build):
    """``build()`` the first time ``key`` is asked for in this grading process, the same value
    after: the checks' inputs and the reference's answers do not depend on the submission, so a
    batch worker computes them once, and a later run with the same lesson files reads them back
    (:mod:`grader.kit.kept`, the lesson of the file that defines ``build``). Arrays in the value
    are made read-only."""
    if key not in _ONCE:
        kept = kept_for(build.__code__.co_filename)
        if key in kept:
            _ONCE[key] = _read_only(kept.get(key))
        else:
            _ONCE[key] = _read_only(build())
            kept.put(key, _ONCE[key])
    return _ONCE[key]


def _read_only(value):
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, (list, tuple)):
        for item in value:
            _read_only(item)
    elif isinstance(value, dict):
        for item in value.values():
            _read_only(item)
    elif isinstance(value, Case):
        for item in (value.args, value.expected, value.kwargs, value.inputs, value.alternatives):
            _read_only(item)
    return value


def rng_for(*keys) -> np.random.Generator:
    """A generator seeded from the test's identity, so every run sees the same inputs."""
    seed = sum((i + 1) * sum(map(ord, str(key))) for i, key in enumerate(keys))
    return np.random.default_rng(seed)


def uniform(rng: np.random.Generator, shape, dtype, low: float = -6.0, high: float = 6.0) -> np.ndarray:
    """Uniform random values in [low, high) of ``shape`` and ``dtype``."""
    return rng.uniform(low, high, size=shape).astype(dtype)


def away_from(x: np.ndarray, kinks, margin: float = 1e-3) -> np.ndarray:
    """``x`` with every value closer than ``margin`` to a kink pushed ``2 * margin`` away."""
    x = x.copy()
    for kink in kinks:
        near = np.abs(x - kink) < margin
        x[near] = kink + 2 * margin * np.where(x[near] >= kink, 1, -1)
    return x


def check_vectorized(
    student, reference_fn, name: str, args: tuple, kwargs: dict | None = None, input_name: str | None = None, alternatives=()
) -> None:
    """Fail when the student's ``name`` is far slower than the reference on large inputs
    (the mark of a Python loop over elements). The inputs are sent to the child before the
    clock starts (once per ``input_name`` when given) and no result is sent back, so the time
    is the student's computation.

    A solution is first timed on the first tenth of the inputs (:data:`SCREEN_SHARE`): within
    half of what it may take there, it passes; anything else is timed on the whole inputs, whose
    limit alone fails a solution (a check passes sooner and fails as it always did; only a
    solution many times faster per element on a tenth than on the whole could pass that would
    not have)."""
    kwargs = kwargs or {}
    stored = _stored_inputs(student, args, input_name)
    verdict = getattr(student, "_values_verdicts", {}).get(name)
    if verdict is False:
        raise CheckFailed(f"{name}: values are wrong: see '{name} matches the reference' ({name} is timed only once it gives the right values)")
    if verdict is None:  # its values were not checked yet: check them here (a broken call raises)
        _check_value(student.call(name, *stored, **kwargs).value, reference_fn(*args, **kwargs), name, np.float64, alternatives)
    screen = _screen_inputs(args)
    if screen is not None and _passes_screen(student, reference_fn, name, screen, kwargs, input_name):
        return
    size = _elements(args)
    reference_s = _reference_seconds(reference_fn, args, kwargs, input_name)
    student_s = student.call(name, *stored, discard_result=True, **kwargs).seconds
    allowed = _allowed(reference_s, size)
    if student_s > allowed:  # measure again before failing: a busy machine must not cost points
        reference_s = min(reference_s, *(_timed(reference_fn, *args, **kwargs) for _ in range(3)))
        student_s = min(student_s, *(student.call(name, *stored, discard_result=True, **kwargs).seconds for _ in range(3)))
        allowed = _allowed(reference_s, size)
    if student_s > allowed:
        raise CheckFailed(
            f"{name} took {student_s:.3f} s on {size} elements where the reference takes {reference_s:.4f} s "
            f"(allowed {allowed:.3f} s): use numpy operations on whole arrays, not a Python loop"
        )


#: The share of a speed check's inputs timed first (see :func:`check_vectorized`).
SCREEN_SHARE = 0.1
#: Inputs shorter than this along their first axis are timed whole at once.
SCREEN_MIN_LENGTH = 3000


def _allowed(reference_s: float, size: int, share: float = 1.0) -> float:
    """CPU seconds a solution may take where the reference takes ``reference_s`` on ``size``
    elements: ``max(SLOWDOWN_FACTOR * reference_s + share * SLACK_S, LOOP_FLOOR_S_PER_ELEMENT * size)``
    (``share``: the part of the whole inputs timed)."""
    return max(SLOWDOWN_FACTOR * reference_s + share * SLACK_S, LOOP_FLOOR_S_PER_ELEMENT * size)


def _screen_inputs(args: tuple) -> tuple | None:
    """``args`` with each array cut to its first :data:`SCREEN_SHARE` along the first axis, when
    every array shares that axis's length (at least :data:`SCREEN_MIN_LENGTH`); else None."""
    arrays = [arg for arg in args if isinstance(arg, np.ndarray) and arg.ndim >= 1]
    lengths = {len(arg) for arg in arrays}
    if len(lengths) != 1 or (length := lengths.pop()) < SCREEN_MIN_LENGTH:
        return None
    cut = int(length * SCREEN_SHARE)
    return tuple(np.ascontiguousarray(arg[:cut]) if isinstance(arg, np.ndarray) and arg.ndim >= 1 else arg for arg in args)


def _passes_screen(student, reference_fn, name: str, args: tuple, kwargs: dict, input_name: str | None) -> bool:
    """Whether the student's ``name`` takes at most half of what it may on the cut inputs ``args``
    (a call that fails there is timed on the whole inputs; one that runs out of time has)."""
    label = f"{input_name}/screen" if input_name else None
    stored = _stored_inputs(student, args, label)
    try:
        student_s = student.call(name, *stored, discard_result=True, **kwargs).seconds
    except (StudentTimeout, StudentCrash):
        raise  # the whole inputs would take longer still, or end the same way
    except StudentError:
        return False
    return student_s <= _allowed(_reference_seconds(reference_fn, args, kwargs, label), _elements(args), SCREEN_SHARE) / 2


def _stored_inputs(student, args: tuple, input_name: str | None) -> list:
    """``args`` with each array sent to the child beforehand (named ``input_name/i`` when given)."""
    return [student.store(arg, f"{input_name}/{i}" if input_name else None) if isinstance(arg, np.ndarray) else arg for i, arg in enumerate(args)]


def _elements(args: tuple) -> int:
    """How many elements the first input has (what the per-element floor counts)."""
    return args[0].size if hasattr(args[0], "size") else 0


def _reference_seconds(reference_fn, args: tuple, kwargs: dict, input_name: str | None) -> float:
    """The reference's CPU seconds on ``args``: the best of two measures (a process's first
    call may pay for growing its heap), once per process and input name (afresh when the input
    has no name). Measured by every process, never kept across runs: a time measured at a busy
    moment must not set the limit for good."""
    if input_name is None:
        return min(_timed(reference_fn, *args, **kwargs) for _ in range(2))
    key = (reference_fn.__module__, reference_fn.__qualname__, input_name, repr(sorted(kwargs.items())))
    if key not in _MEASURED:
        _MEASURED[key] = min(_timed(reference_fn, *args, **kwargs) for _ in range(2))
    return _MEASURED[key]


#: The reference's times measured by this process (see :func:`_reference_seconds`).
_MEASURED: dict = {}


def _timed(function, *args, **kwargs) -> float:
    """CPU seconds of this thread spent in ``function(*args, **kwargs)`` (the student's calls
    are timed in CPU seconds too: a busy machine slows neither), with the child's allocator
    settings (:mod:`grader.runner.allocator`)."""
    allocator.tune_this_process()
    started = time.thread_time()
    function(*args, **kwargs)
    return time.thread_time() - started


def _check_value(got, expected, what: str, dtype, alternatives=(), student=None) -> None:
    """The result must be right before any other property of it earns points."""
    if np.ndim(expected) == 0 and not isinstance(expected, np.ndarray) and not isinstance(expected, np.generic):
        got = check_scalar(got, what=what)
    else:
        got = check_array(got, what=what, shape=np.shape(expected))
    _assert_values(student, what, got, expected, dtype=dtype, alternatives=alternatives)


def _assert_values(student, name: str, got, expected, *, dtype, alternatives=(), inputs=None) -> None:
    """``assert_close`` for a check of another property than the values (dtype, stability,
    input unchanged): when ``name``'s own values check has already failed, the message points
    there instead of repeating a value error that would read like a problem of this property."""
    try:
        assert_close(got, expected, what=name, inputs=inputs, alternatives=alternatives, **tolerance(dtype))
    except CheckFailed:
        if student is not None and getattr(student, "_values_verdicts", {}).get(name) is False:
            raise CheckFailed(f"{name}: values are wrong: see '{name} matches the reference'") from None
        raise


def check_unchanged(student, name: str, args: tuple, kwargs: dict | None = None, names=None, *, expected, alternatives=()) -> None:
    """Fail when the student's ``name`` gives a wrong result or modifies any array argument."""
    result = student.call(name, *args, return_args=True, **(kwargs or {}))
    _check_value(result.value, expected, name, np.float64, alternatives, student)
    names = names or [f"argument {i + 1}" for i in range(len(args))]
    for before, after, label in zip(args, result.args_after, names):
        if isinstance(before, np.ndarray):
            assert_unchanged(before, after, what=name, name=label)


@dataclass
class Case:
    """One call to compare: the student's ``name(*args, **kwargs)`` against ``expected``."""

    name: str
    args: tuple
    expected: npt.ArrayLike
    kwargs: dict = field(default_factory=dict)
    dtype: object = np.float64
    inputs: dict | None = None
    what: str | None = None
    shape: tuple | None = None  # the result's shape, when not that of ``expected``
    #: Other results that are right too, entry by entry (see :func:`grader.kit.checks.assert_close`).
    alternatives: tuple = ()


def check_cases(student, cases: list[Case], *, scalar: bool = False) -> None:
    """Run every case in one round trip and compare each in order; the first failure raises.

    With ``scalar`` the results must be single floats (losses), else arrays of the expected shape.
    """
    names = {case.name for case in cases}
    try:
        answers = student.call_many([(case.name, case.args, case.kwargs) for case in cases])
        for case, answer in zip(cases, answers):
            if isinstance(answer, Exception):
                raise answer
            what = case.what or case.name
            got: float | np.ndarray
            if scalar:
                got = check_scalar(answer.value, what=what)
            else:
                got = check_array(answer.value, what=what, shape=np.shape(case.expected))
            assert_close(got, case.expected, what=what, inputs=case.inputs, alternatives=case.alternatives, **tolerance(case.dtype))
    except CheckFailed:
        _record_values(student, names, False)
        raise
    _record_values(student, names, True)


def _record_values(student, names, ok: bool) -> None:
    """Remember whether a function's values were right (True) or wrong (False; not when the
    call itself failed, whose error its other checks then show): its speed is graded only
    when right, and its other checks point to the values check when wrong."""
    if not hasattr(student, "_values_verdicts"):
        student._values_verdicts = {}
    for name in names:
        student._values_verdicts[name] = ok and student._values_verdicts.get(name, True)


def _answers(student, cases: list[Case]):
    """Each case with the student's answer, all run in one round trip; an answer that is an
    error is raised when its turn comes (after the earlier cases were checked)."""
    answers = student.call_many([(case.name, case.args, case.kwargs) for case in cases])
    for case, answer in zip(cases, answers):
        if isinstance(answer, Exception):
            raise answer
        yield case, answer


def check_dtype_kept(student, cases: list[Case]) -> None:
    """Fail unless each case's result has the case's dtype and shape, and is right."""
    for case, answer in _answers(student, cases):
        shape = case.shape if case.shape is not None else np.shape(case.expected)
        got = check_array(answer.value, what=case.name, shape=shape, dtype=case.dtype)
        _assert_values(student, case.name, got, case.expected, dtype=case.dtype, alternatives=case.alternatives)


def check_stable(student, cases: list[Case], *, scalar: bool = False) -> None:
    """Extreme inputs: each result is finite, close to the expected value, and raised no warning.

    With ``scalar`` the results must be single floats (losses), else arrays of the expected shape.
    """
    for case, answer in _answers(student, cases):
        assert_no_warnings(answer.warnings, what=case.name)
        got: float | np.ndarray
        if scalar:
            got, inputs = check_scalar(answer.value, what=case.name), None
        else:
            got, inputs = check_array(answer.value, what=case.name, shape=np.shape(case.expected)), case.inputs
        assert_finite(got, what=case.name, inputs=inputs)
        _assert_values(student, case.name, got, case.expected, dtype=case.dtype, alternatives=case.alternatives, inputs=inputs)


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x`` by central differences, one entry at a time:
    df/dx_i ≈ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps). ``x`` is left as it was."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = float(f(x))
        flat[i] = saved - eps
        minus = float(f(x))
        flat[i] = saved
        out[i] = (plus - minus) / (2 * eps)
    return grad


def run_program(student, program) -> list:
    """Run a :class:`~grader.runner.proxy.Program` of the student's objects; raise the first
    step's error (so a student's exception keeps its status and message)."""
    from grader.runner.proxy import StudentError

    answers = student.run(program)
    for answer in answers:
        if isinstance(answer, StudentError):
            raise answer
    return answers
