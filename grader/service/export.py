"""``grade service export``: the service's scores into nbgrader's gradebook, a CSV, Gradescope.

Each student's latest graded submission of the lesson counts (or their best, where the policy
says ``export = "best"``); a submission the grader failed on never counts. The gradebook is
written with nbgrader's own API (:mod:`grader.platforms.gradebook`), one committed submission at a time.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from grader.core.results import GradingResult
from grader.service.tables import GRADED, GRADER_ERROR, Job, Submission


def counted_results(sessions: sessionmaker, lesson: str, rule: str = "latest") -> list[tuple[Submission, GradingResult]]:
    """``[(submission, result)]``: the one submission of each student that counts (``rule``:
    ``latest`` or ``best``), in student order."""
    with sessions() as session:
        rows = session.execute(
            select(Submission, Job.result).join(Job).where(Submission.lesson == lesson, Job.status == GRADED).order_by(Submission.received_at)
        ).all()
    counted: dict[str, tuple[Submission, GradingResult]] = {}
    for submission, result in rows:
        graded = GradingResult.from_dict(json.loads(result))
        earlier = counted.get(submission.student)
        if earlier is None or rule == "latest" or (graded.score or 0) > (earlier[1].score or 0):
            counted[submission.student] = (submission, graded)
    return [counted[student] for student in sorted(counted)]


def failed_results(sessions: sessionmaker, lesson: str) -> list[tuple[Submission, GradingResult]]:
    """``[(submission, grader error)]``: each student whose latest submission of ``lesson`` the
    grader failed on (for the dashboard's "needs attention"; no score, so no export)."""
    with sessions() as session:
        rows = session.execute(select(Submission, Job.status, Job.result).join(Job).where(Submission.lesson == lesson).order_by(Submission.received_at)).all()
    latest: dict[str, tuple[Submission, str, str | None]] = {submission.student: (submission, status, result) for submission, status, result in rows}
    failed = []
    for student in sorted(latest):
        submission, status, result = latest[student]
        if status == GRADER_ERROR:
            message = GradingResult.from_dict(json.loads(result)).message if result else "the grader failed"
            failed.append((submission, GradingResult.grader_error(lesson, submission.filename, message, student)))
    return failed


def export_lesson(sessions: sessionmaker, lesson: str, *, course=None, csv: Path | None = None, gradescope: Path | None = None, rule: str = "latest") -> int:
    """Write the counted scores of ``lesson`` into ``course``'s gradebook (a
    :class:`grader.api.Settings`), ``csv`` and ``gradescope``; how many students."""
    from grader.reports import exports

    counted = counted_results(sessions, lesson, rule)
    results = [result for _, result in counted]
    if course is not None:
        from grader.course.catalogue import get_lesson
        from grader.platforms.gradebook import database_url, write_grades

        url = database_url(course.course_dir, course.db_url)
        for submission, result in counted:
            stamp = submission.received_at.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
            write_grades(url, course.course_id or "default_course", get_lesson(lesson), submission.student, stamp, result)
    if csv is not None:
        exports.write_csv(results, csv)
    if gradescope is not None and results:
        exports.write_gradescope(results, gradescope)
    return len(counted)
