"""Whose fault is it: the grader's exception types, in three families.

- :class:`StudentFault`: something the submission did (its code raised, hung or crashed, or a
  check of its results failed). The student loses the check's points, with the message.
- :class:`GraderFault`: the grader itself failed (a suite that cannot run, a missing data set,
  a child that cannot start). Never a student's zero: the result is ``grader-error``.
- :class:`RequestError`: the caller asked for something that cannot be done (an unknown
  lesson, a submission that does not exist); a usage error, reported before any grading.

Every exception the grader raises on purpose belongs to one of them; :mod:`grader.core.outcomes`
maps what a check raised to a test's status with these families.
"""

from __future__ import annotations


class StudentFault(Exception):
    """Base of the errors that are the submission's doing."""


class GraderFault(Exception):
    """Base of the errors that are the grader's (or its machine's) doing."""


class RequestError(Exception):
    """Base of the errors in what the caller asked for."""


class CheckFailed(AssertionError, StudentFault):
    """A check of the student's result failed; the message is for the student."""


class StudentError(StudentFault):
    """The student's code raised, was missing, or returned something unusable.

    ``kind``: ``exception``, ``import``, ``not_implemented``, ``timeout``, ``crash``, ...;
    ``type_name``: the name of the exception the student's code raised, if it did."""

    def __init__(self, message: str, kind: str = "exception", type_name: str = ""):
        super().__init__(message)
        self.kind = kind
        self.type_name = type_name


class StudentTimeout(StudentError):
    """A call of the student's code did not return within its time limit."""

    def __init__(self, message: str):
        super().__init__(message, kind="timeout")


class StudentCrash(StudentError):
    """The student's process ended in the middle of a call."""

    def __init__(self, message: str):
        super().__init__(message, kind="crash")


class SuiteError(GraderFault):
    """A suite of checks could not run (collection or usage error)."""


class SubmissionNotFound(RequestError, FileNotFoundError):
    """The submission to grade does not exist or cannot be opened."""


class NoHiddenChecks(RequestError):
    """Grading was asked of the student distribution, which has no hidden checks."""
