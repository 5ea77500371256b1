"""The grading result of COURSE.md: one object per submission, an array per batch."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("passed", "failed", "error", "timeout")
#: A result's own status: the submission was graded, or the grader itself failed (no score).
GRADED = "graded"
GRADER_ERROR = "grader-error"
#: How a grader-error message ends: whose fault it is, and what to do.
NOT_THE_STUDENTS = "this is a fault of the grader, not of the submission: fix it, then grade this submission again"
#: ``record_property(MESSAGE_PROPERTY, text)`` in a test: the message of a passed check (a
#: measurement the student should see, such as an accuracy).
MESSAGE_PROPERTY = "grader_message"
#: ``record_property(DETAILS_PROPERTY, {...})``: merged into the result's ``details`` (a table, such as
#: ``"curves"``, that several tests record is merged key by key).
DETAILS_PROPERTY = "grader_details"
#: The key in ``details`` of the intake's one line on where the lesson's files were found.
INTAKE_NOTE = "intake_note"


@dataclass
class TestResult:
    """The outcome of one check: its task, points earned and the message for the student."""

    __test__ = False  # not a pytest test class

    name: str
    task: str
    score: float
    max_score: float
    status: str
    message: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")


@dataclass
class GradingResult:
    """Every check of one submission of one lesson.

    ``status``: :data:`GRADED`, or :data:`GRADER_ERROR` when the grader itself failed; then
    ``message`` says what failed and what to do, there are no tests, and the result is no
    score (no sink may record it as one). ``refused``: the submission's entries that the intake
    left out (``{"path", "message"}`` each; see :mod:`grader.runner.intake`), written only when there
    are any. ``details``: what a model lesson measured beyond the checks (accuracy, confusion
    matrix, training curves, budget), written to JSON as ``"details"`` only when there is any.
    """

    lesson: str
    submission: str
    student: str | None = None
    tests: list[TestResult] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    status: str = GRADED
    message: str = ""
    refused: list[dict] = field(default_factory=list)

    @classmethod
    def grader_error(cls, lesson: str, submission: str, message: str, student: str | None = None) -> GradingResult:
        """The result of a grading that the grader itself could not complete."""
        return cls(lesson, str(submission), student, status=GRADER_ERROR, message=message)

    @property
    def graded(self) -> bool:
        """Whether this is a score (not a grader error)."""
        return self.status == GRADED

    @property
    def score(self) -> float:
        """Sum of the tests' scores."""
        return round(sum(test.score for test in self.tests), 6)

    @property
    def max_score(self) -> float:
        """Sum of the tests' maximum scores."""
        return round(sum(test.max_score for test in self.tests), 6)

    def task_scores(self) -> dict[str, tuple[float, float]]:
        """``{task: (score, max_score)}`` in the order the tasks first appear."""
        totals: dict[str, list[float]] = {}
        for test in self.tests:
            entry = totals.setdefault(test.task, [0.0, 0.0])
            entry[0] += test.score
            entry[1] += test.max_score
        return {task: (round(s, 6), round(m, 6)) for task, (s, m) in totals.items()}

    def counts(self) -> dict[str, int]:
        """How many tests ended in each status."""
        counts = dict.fromkeys(STATUSES, 0)
        for test in self.tests:
            counts[test.status] += 1
        return counts

    def to_dict(self) -> dict:
        """The JSON object of COURSE.md."""
        data: dict[str, Any] = {
            "lesson": self.lesson,
            "submission": self.submission,
            "student": self.student,
            "status": self.status,
            "score": self.score if self.graded else None,
            "max_score": self.max_score if self.graded else None,
            "tests": [asdict(test) for test in self.tests],
        }
        if not self.graded:
            data["message"] = self.message
        if self.refused:
            data["refused"] = [dict(entry) for entry in self.refused]
        if self.details:
            data["details"] = self.details
        return data

    @classmethod
    def from_dict(cls, data: dict) -> GradingResult:
        """Read back an object written by :meth:`to_dict`."""
        return cls(
            lesson=data["lesson"],
            submission=data["submission"],
            student=data.get("student"),
            tests=[TestResult(**test) for test in data["tests"]],
            details=dict(data.get("details") or {}),
            status=data.get("status", GRADED),
            message=data.get("message", ""),
            refused=[dict(entry) for entry in data.get("refused") or []],
        )


def dumps(results: list[GradingResult]) -> str:
    """A batch as the JSON array of COURSE.md, for machines: compact, one result per line
    (a tenth of the indented size; ``python -m json.tool`` indents it for reading)."""
    lines = [json.dumps(result.to_dict(), separators=(",", ":")) for result in results]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"
