"""``grade validate``: the course's own acceptance test.

For every lesson: the reference solution earns full marks, the released stubs earn zero (every
test ``failed`` or ``error``), and ``assignments/`` matches what ``reference/`` generates.
"""

from __future__ import annotations

from typing import Callable

from grader.grading import grade_submission
from grader.lessons import LESSONS
from grader.paths import assignment_dir, reference_dir
from grader.release import out_of_date


def validate_course(progress: Callable[[str], None] = lambda line: None) -> list[str]:
    """Every problem found, as one line each (an empty list means the course is valid)."""
    problems = [f"assignments/{line}" for line in out_of_date()]
    for lesson in LESSONS.values():
        full = grade_submission(lesson.id, reference_dir(lesson.id))
        progress(f"{lesson.id}: reference {full.score:g} / {full.max_score:g}")
        if full.score != full.max_score or full.max_score != lesson.max_score:
            lost = [f"{t.name}: {t.message}" for t in full.tests if t.status != "passed"][:3]
            problems.append(f"{lesson.id}: reference scores {full.score:g} of {full.max_score:g} (catalogue: {lesson.max_score:g}); {lost}")
        stub = grade_submission(lesson.id, assignment_dir(lesson.id))
        progress(f"{lesson.id}: stubs {stub.score:g} / {stub.max_score:g}")
        passing = [t.name for t in stub.tests if t.status == "passed"]
        if stub.score != 0 or passing:
            problems.append(f"{lesson.id}: stubs score {stub.score:g}; passing: {passing[:5]}")
    return problems
