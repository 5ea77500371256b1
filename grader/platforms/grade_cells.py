"""What an nbgrader grade cell of a lesson's notebook calls: the points of one task.

Each lesson's source notebook (see :mod:`grader.platforms.nbgrader_course`) has one locked grade cell per task
whose source is ``task_score("<lesson>", "<task>")``. When ``nbgrader autograde`` runs it, the
submission folder (the notebook's folder) is graded once, by the hidden checks in the isolated
runner, and each cell's value is that task's points: nbgrader reads a numeric result as partial
credit. Nothing is written to stderr (nbgrader gives 0 to a cell that does). When the grader
itself fails, the cell raises :class:`GraderError` saying so, so that nbgrader's feedback shows
a grader error rather than a bare zero (``grade autograde --course`` records nothing then).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

from grader.errors import GraderFault

_RESULTS: dict = {}
GRADE_CELL = "test_{task}"


class GraderError(GraderFault, RuntimeError):
    """The grader itself failed on this submission: the cell errors with this, never a silent 0."""


def task_score(lesson_id: str, task: str, folder: str | Path = ".") -> float | None:
    """Points earned by ``task`` in the submission ``folder`` (graded once per kernel).

    In the student distribution, which has no hidden checks, says so and returns None.
    """
    from grader.course.catalogue import get_lesson
    from grader.course.paths import instructor_side

    lesson = get_lesson(lesson_id)
    if not instructor_side():
        print(f"{task} is graded when you submit; run `grade check {lesson_id}` for the public checks.")
        return None
    key = (lesson_id, str(Path(folder).resolve()))
    if key not in _RESULTS:
        from grader.core.grading import run_hidden_checks
        from grader.core.request import GradeRequest
        from grader.runner.zygote import close_all

        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            try:
                _RESULTS[key] = run_hidden_checks(GradeRequest(lesson_id, folder))
            finally:
                close_all()  # a kernel grades once: its warm child and folder go now, not when (or if) the kernel exits
    if not _RESULTS[key].graded:
        raise GraderError(f"not graded: the grader failed, not the submission: {_RESULTS[key].message}")
    score, _ = _RESULTS[key].task_scores().get(task, (0.0, 0.0))
    return round(min(score, lesson.tasks[task]), 6)


def lesson_notebook(lesson):
    """The nbgrader source notebook of ``lesson`` (an nbformat v4 notebook)."""
    import nbformat.v4 as nbf

    intro = (
        f"# {lesson.title}\n\nYour code goes in `{lesson.filename}` in this folder; "
        f"`grade check {lesson.id}` runs the public checks. Each cell below is graded: it runs "
        "the hidden checks of one task on your files and shows its points."
    )
    cells = [nbf.new_markdown_cell(intro)]
    for task, points in lesson.tasks.items():
        cell = nbf.new_code_cell(f'from grader.notebook import task_score\ntask_score("{lesson.id}", "{task}")')
        cell.metadata["nbgrader"] = {
            "grade": True, "solution": False, "locked": True, "task": False,
            "grade_id": GRADE_CELL.format(task=task), "points": points, "schema_version": 3,
        }  # fmt: skip
        cells.append(cell)
    notebook = nbf.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook
