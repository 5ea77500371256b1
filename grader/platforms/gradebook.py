"""nbgrader's gradebook: where it is, and one submission's task scores written into it.

Scores go under the notebook and grade-cell names of the lesson's generated notebook
(:mod:`grader.platforms.grade_cells`: notebook ``LESSON``, cells ``test_<task>``), so ``nbgrader export``
lists the same scores whichever way the batch ran. Only nbgrader's own API (``Gradebook``)
writes; each submission is committed on its own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from grader.core.results import GradingResult
from grader.course.catalogue import Lesson
from grader.platforms.grade_cells import GRADE_CELL


def database_url(course_dir: Path, db_url: str | None = None) -> str:
    """The gradebook: ``db_url`` (an option, or ``c.CourseDirectory.db_url`` of the course's
    config as :class:`grader.api.Settings` read it), else ``sqlite:///{course}/gradebook.db``
    (nbgrader's default)."""
    return str(db_url) if db_url else f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"


def write_grades(db_url: str, course_id: str, lesson: Lesson, student: str, timestamp: str | None, result: GradingResult) -> None:
    """Write one submission's task scores into nbgrader's gradebook and commit."""
    from nbgrader.api import Gradebook, MissingEntry

    _alembic_on_path()
    with Gradebook(db_url, course_id=course_id) as gradebook:
        try:
            gradebook.find_notebook(lesson.id, lesson.id)
        except MissingEntry:
            raise LookupError(f"the gradebook has no notebook '{lesson.id}' of assignment '{lesson.id}': run `nbgrader generate_assignment {lesson.id}` first") from None
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(lesson.id, student, timestamp=timestamp)
        for task, (score, _) in result.task_scores().items():
            grade = gradebook.find_grade(GRADE_CELL.format(task=task), lesson.id, lesson.id, student)
            grade.auto_score = score
            grade.needs_manual_grade = False
        gradebook.db.commit()


def _alembic_on_path() -> None:
    """nbgrader's Gradebook runs the ``alembic`` command: find it beside this interpreter."""
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
