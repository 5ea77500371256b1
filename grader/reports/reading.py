"""What a result means for a person, once, for every sink (the pages, the terminal, Gradescope's
results.json, the CSV): a problem that stopped the whole submission as one banner with what to
do; the tasks attempted and wrong first, most points lost first, each with its one most useful
message; the tasks not started (the released stub untouched) as one folded line; the fully
correct tasks folded. Numbers for people: two decimals at most ("0.83 of 1 point").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from grader.core.results import INTAKE_NOTE, GradingResult, TestResult

#: The words of a check that met the released stub (:func:`grader.core.outcomes.message_of`).
NOT_STARTED_WORDS = "is not implemented yet"
#: The share of checks that must stop at one same error for it to be the whole submission's.
WHOLE_SHARE = 0.8
#: The order in which a task's failed checks are worth reading: a wrong value first (it usually
#: explains the others), then an error, then a timeout.
STATUS_ORDER = {"failed": 0, "error": 1, "timeout": 2}


@dataclass
class TaskReading:
    """One task as a person reads it: its points, and its checks that did not pass (the most
    useful first)."""

    task: str
    score: float
    max_score: float
    problems: list[TestResult] = field(default_factory=list)

    @property
    def lost(self) -> float:
        return round(self.max_score - self.score, 6)

    @property
    def first(self) -> TestResult | None:
        """The check to read first."""
        return self.problems[0] if self.problems else None

    @property
    def folded(self) -> list[TestResult]:
        """The other checks that did not pass."""
        return self.problems[1:]


@dataclass
class Reading:
    """A graded result for people (see the module docstring)."""

    result: GradingResult
    banner: str | None
    wrong: list[TaskReading]
    not_started: list[TaskReading]
    correct: list[TaskReading]
    note: str = ""

    @property
    def not_started_line(self) -> str:
        """``"34 tasks not started: leaky_relu, elu, ..."``, or empty."""
        if not self.not_started:
            return ""
        names = [task.task for task in self.not_started]
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        return f"{len(names)} task{'s' if len(names) != 1 else ''} not started: {shown}"


def read_result(result: GradingResult) -> Reading:
    """How ``result`` reads (a grader error has no tasks: its sinks say it was not graded)."""
    note = str(result.details.get(INTAKE_NOTE, "")) if result.details else ""
    banner = whole_submission_problem(result)
    if banner:
        return Reading(result, banner, [], [], [], note)  # every task stopped at the same problem: said once
    by_task: dict[str, list[TestResult]] = {}
    for test in result.tests:
        by_task.setdefault(test.task, []).append(test)
    wrong, not_started, correct = [], [], []
    for order, (task, (score, max_score)) in enumerate(result.task_scores().items()):
        tests = by_task.get(task, [])
        problems = sorted((test for test in tests if test.status != "passed"), key=lambda test: STATUS_ORDER.get(test.status, 3))
        reading = TaskReading(task, score, max_score, problems)
        if not problems and score >= max_score:
            correct.append(reading)
        elif tests and all(_stopped_at_stub(test) for test in tests):
            not_started.append(reading)
        else:
            wrong.append((order, reading))
    ranked = [reading for _, reading in sorted(wrong, key=lambda item: (-item[1].lost, item[0]))]
    return Reading(result, banner, ranked, not_started, correct, note)


def _stopped_at_stub(test: TestResult) -> bool:
    """Whether a check met the released stub (its own words, or a check that expected another
    exception and got the stub's ``NotImplementedError``)."""
    return test.status != "passed" and (NOT_STARTED_WORDS in test.message or "raised NotImplementedError" in test.message)


def stopping_message(result: GradingResult) -> str | None:
    """The message of a problem that stopped (nearly) every check, as the checks said it: no
    check passed and at least :data:`WHOLE_SHARE` of them errored or timed out with these same
    words (a missing file, a syntax error, an import that fails or hangs); else None. A stub
    that was not started is not such a problem."""
    if not result.graded or len(result.tests) < 2 or any(test.status == "passed" for test in result.tests):
        return None
    stopped = Counter(test.message for test in result.tests if test.status in ("error", "timeout"))
    if not stopped:
        return None
    message, count = stopped.most_common(1)[0]
    if count < WHOLE_SHARE * len(result.tests) or NOT_STARTED_WORDS in message:
        return None  # the checks ran and failed in their own ways
    return message


def whole_submission_problem(result: GradingResult) -> str | None:
    """:func:`stopping_message` as one banner with what to do; None when the checks ran.
    Refused entries alone are no banner (the checks ran on the rest)."""
    message = stopping_message(result)
    if message is None:
        return None
    note = str(result.details.get(INTAKE_NOTE, "")) if result.details else ""
    if "not found in the submission" in message:
        hint = f"{note[0].upper()}{note[1:]}." if note.startswith("found ") else "Put the lesson's file at the top level of what you submit."
        return f"None of the {len(result.tests)} checks could run: {message}. {hint}"
    return f"None of the {len(result.tests)} checks could run: {message}. Every check imports your file: fix this first, then check again."


def points(value: float) -> str:
    """``value`` for people: two decimals at most, no trailing zeros (``0.83``, ``41``)."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def points_of(score: float, max_score: float) -> str:
    """``"0.83 of 1 point"``, ``"6.47 of 41 points"``."""
    return f"{points(score)} of {points(max_score)} point{'' if round(max_score, 2) == 1 else 's'}"


def apportioned(scores: list[float], total: float, decimals: int = 2) -> list[float]:
    """``scores`` rounded to ``decimals`` so that they add up to ``total`` rounded the same
    way, exactly (the largest remainders get the last hundredths)."""
    unit = 10**decimals
    target = round(total * unit)
    floors = [int(score * unit + 1e-9) for score in scores]
    order = sorted(range(len(scores)), key=lambda index: scores[index] * unit - floors[index], reverse=True)
    for index in order[: max(0, target - sum(floors))]:
        floors[index] += 1
    return [floor / unit for floor in floors]
