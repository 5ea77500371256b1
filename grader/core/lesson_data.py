"""Whether a lesson that trains on a data set can be graded: its data set present and intact.

Light on purpose: a batch asks it once before starting any worker, in a process that never
grades itself."""

from __future__ import annotations

from pathlib import Path

from grader.course.catalogue import Lesson


def data_problem(lesson: Lesson, data_dir: str | Path | None = None) -> str | None:
    """What is wrong with the data set of a lesson that trains on one (missing, truncated,
    failing its checksum), in words naming the fix; None when it is ready (or the lesson needs none)."""
    if lesson.data_set is None:
        return None
    from grader.core.model_lessons import require_lesson_data
    from grader.data.store import DataError

    try:
        require_lesson_data(lesson.data_set, data_dir)
    except DataError as error:
        return str(error)
    return None
