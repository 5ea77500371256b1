"""What a check's exception means: its test's status, the student's message, and whose fault.

Statuses (COURSE.md): ``passed``, ``failed`` (a check of the results failed), ``error`` (the
student's code raised, was missing, or the check could not run), ``timeout``. A hidden check's
exception is the student's when it is a :class:`~grader.errors.StudentFault` (or an assertion,
or ``pytest.fail``), or, during the call, one of :data:`VALUE_ERRORS`; anything else is the
grader's (:func:`is_students`), and the submission's result becomes ``grader-error``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course.stubs import unwritten
from grader.errors import StudentFault, StudentTimeout

#: Longest message kept for one test (the rest is cut with `` ...``).
MAX_MESSAGE = 1000

#: Exceptions that a hidden check's own code raises when it meets a wrong value from the
#: student (a string where a number belongs, a ragged list, an index out of range): the
#: student's failure. Every other exception of a hidden check (``NameError``, ``KeyError``,
#: ``AttributeError``, ``ImportError``, ``OSError``, ``MemoryError``, ``RuntimeError``, ...)
#: can only come from broken grader code or a broken machine: the grader's fault.
VALUE_ERRORS = (TypeError, ValueError, IndexError, ArithmeticError)

GRADER_DIR = str(Path(__file__).resolve().parent)


def status_of(error: BaseException) -> str:
    """The status of a test whose check raised ``error``."""
    if isinstance(error, StudentTimeout):
        return "timeout"
    if isinstance(error, AssertionError):
        return "failed"
    return "error"


def message_of(excinfo: pytest.ExceptionInfo) -> str:
    """The student's message for a check that raised: a stub's own words become "NAME is not
    implemented yet"; a failed check's and the child's reports are kept; a syntax error names
    its file and line; any other exception is ``Type: message (file, line)``."""
    error = excinfo.value
    if isinstance(error, NotImplementedError) or getattr(error, "kind", None) == "not_implemented":
        raised = str(error) if not isinstance(error, NotImplementedError) else f"NotImplementedError: {error}"
        name = unwritten(raised)
        text = f"{name} is not implemented yet (it raises NotImplementedError)" if name else raised
    elif isinstance(error, StudentFault):
        text = str(error)
    elif isinstance(error, SyntaxError):
        text = f"{Path(error.filename or '?').name}, line {error.lineno}: {error.msg}"
    elif isinstance(error, AssertionError):
        text = str(error).split("\nassert ")[0] or "assertion failed"
    else:
        text = _described(excinfo, outside_grader=True)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " ..."


def is_students(error: BaseException, when: str) -> bool:
    """Whether an exception in a hidden check (``when``: pytest's ``setup`` or ``call``) is the
    submission's doing: an error, timeout or crash of the student's code (from the child), a
    failed check of its results, or, during the call, one of :data:`VALUE_ERRORS`. A fixture
    that fails to set up (a data set, the reference) is the grader's unless the student's code
    failed in it."""
    if isinstance(error, (StudentFault, AssertionError, pytest.fail.Exception)):
        return True
    return when == "call" and isinstance(error, VALUE_ERRORS)


def grader_fault(excinfo: pytest.ExceptionInfo) -> str:
    """``Type: message (file, line)`` of a grader's own exception, at its innermost frame."""
    return _described(excinfo, outside_grader=False)


def _described(excinfo: pytest.ExceptionInfo, *, outside_grader: bool) -> str:
    """``Type: message`` with the innermost frame (outside the grader, pytest and the standard
    library when ``outside_grader``), if any."""
    where = ""
    for entry in reversed(excinfo.traceback):
        path = str(entry.path)
        if not outside_grader or (not path.startswith(GRADER_DIR) and "site-packages" not in path and "/lib/python" not in path):
            where = f" ({Path(path).name}, line {entry.lineno + 1})"
            break
    return f"{type(excinfo.value).__name__}: {excinfo.value}{where}"

