"""Courses on Gradescope, inside Gradescope: what the autograder zip's ``run_autograder`` runs
for each submission (``grade gradescope-run``): grade ``/autograder/submission`` with the hidden
checks (student code in the sandbox, as an unprivileged user: Gradescope runs the script as
root) and write ``/autograder/results/results.json``. The zip itself is built by
:mod:`grader.authoring.gradescope_zip`.

What students see follows the policy's ``gradescope`` key (:data:`VISIBILITIES`): every test's
and the result's ``visibility``. A fault of the grader writes a results.json that says so and
carries no score (never a zero), and the instructor regrades once it is fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.core.results import GradingResult
from grader.reports.exports import GRADESCOPE_VISIBILITY, gradescope_results

#: Gradescope's visibility values that a course policy may choose (``gradescope = ...``).
VISIBILITIES = GRADESCOPE_VISIBILITY
#: What the result says to a student when the grader, not the submission, failed.
GRADER_FAULT_OUTPUT = (
    "The grader failed on this submission: this is not your score and not a fault of your code. Your instructor has been told and will regrade it; you need not resubmit."
)


def autograder_results(result: GradingResult, visibility: str = "visible") -> dict:
    """Gradescope's ``results.json`` for ``result``: every check a test, each test and the result
    with ``visibility``; for a grader error, no score and no tests, and an output that says so
    (``extra_data`` keeps the grader's message for the instructor)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    if result.graded:
        return gradescope_results(result, visibility=visibility)
    return {
        "output": GRADER_FAULT_OUTPUT,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"status": result.status, "message": result.message},
    }


def run_autograder(lesson_id: str, root: Path, visibility: str = "visible") -> GradingResult:
    """Grade ``root/submission`` with the hidden checks of ``lesson_id`` and write
    ``root/results/results.json`` (:func:`autograder_results`). A failure of the grader, even
    one that escapes grading, is written as a grader error. Returns the result."""
    from grader.core.grading import run_hidden_checks
    from grader.core.request import GradeRequest
    from grader.core.results import NOT_THE_STUDENTS

    root = Path(root)
    try:
        result = run_hidden_checks(GradeRequest(lesson_id, root / "submission"))
    except Exception as error:  # the grader's own fault: the student's result must still say so
        result = GradingResult.grader_error(lesson_id, str(root / "submission"), f"{type(error).__name__}: {error}; {NOT_THE_STUDENTS}")
    return write_results(root, result, visibility)


def refuse_unconfined(lesson_id: str, root: Path, missing: list[str], visibility: str = "visible") -> GradingResult:
    """Write a grader error instead of grading where student code cannot be confined
    (``missing``: the protections that are off); the result."""
    from grader.core.results import NOT_THE_STUDENTS

    message = f"student code cannot be confined on this machine ({'; '.join(missing)}); {NOT_THE_STUDENTS}"
    return write_results(Path(root), GradingResult.grader_error(lesson_id, str(Path(root) / "submission"), message), visibility)


def write_results(root: Path, result: GradingResult, visibility: str) -> GradingResult:
    """``root/results/results.json`` of ``result`` (:func:`autograder_results`); the result."""
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(autograder_results(result, visibility), indent=2) + "\n")
    return result
