"""``grade autograde --course``: grade a course's submissions into nbgrader's gradebook.

Which submissions: :mod:`grader.platforms.collected`; how scores are written: :mod:`grader.platforms.gradebook`.
Each result is recorded as it arrives and committed on its own: re-running is idempotent, and
a batch stopped half way resumes by running it again. A ``grader-error`` result is never
written: the gradebook keeps what it had, and the next run grades that submission again.
"""

from __future__ import annotations

from collections.abc import Callable

from grader.core.request import GradeRequest
from grader.core.results import GradingResult
from grader.course.catalogue import get_lesson
from grader.platforms.collected import collected_submissions, exchange_submissions
from grader.platforms.gradebook import database_url, write_grades
from grader.platforms.settings import Settings


def autograde_course(
    settings: Settings,
    template: GradeRequest,
    *,
    db_url: str | None = None,
    grade_all: Callable[[list[GradeRequest], Callable[[int, GradingResult], None]], list[GradingResult]] | None = None,
    progress: Callable[[str], None] = lambda line: None,
    all_submissions: bool = False,
    note: Callable[[str], None] = lambda line: None,
) -> list[GradingResult]:
    """Grade every collected submission of the course at ``settings.course_dir`` with the
    options of ``template`` (its lesson, limits, device, data directory) and record each in
    the course's gradebook (``db_url``, else the course's; under its course id, else
    nbgrader's ``default_course``) as it arrives.

    ``grade_all(requests, on_result)`` grades the requests (default: :func:`grader.core.batch.grade_many`).
    With ``all_submissions``, every submission in the exchange is graded (for the results and
    feedback). Whichever runs, the gradebook gets the one rule of every path: each student's
    latest collected submission (the one in ``submitted/``, by its timestamp), never one
    submitted since the last ``nbgrader collect``. ``note(line)`` says where nbgrader's own
    ``autograded/`` copy is of another submission (``nbgrader generate_feedback`` would show
    that one's code under this score).
    """
    from grader.core.batch import grade_many

    lesson = get_lesson(template.lesson)
    grade_all = grade_all or (lambda requests, on_result: grade_many(list(requests), on_result=on_result))
    url = database_url(settings.course_dir, db_url or settings.db_url)
    course_id = settings.course_id or "default_course"  # nbgrader's own default
    collected = collected_submissions(settings, lesson)
    counted = {submission.student: submission.timestamp for submission in collected}
    submissions = collected
    if all_submissions:  # every exchange submission, and each collected one the exchange no longer holds
        everything = exchange_submissions(settings, lesson)
        held = {(submission.student, submission.timestamp) for submission in everything}
        submissions = everything + [c for c in collected if c.timestamp is None or (c.student, c.timestamp) not in held]
    written: set[str] = set()

    def record(index: int, result: GradingResult) -> None:
        submission = submissions[index]
        result.student = submission.student
        if not result.graded:  # the grader's failure is no score: the next run grades it
            progress(f"{submission.student}: grader-error: {result.message}")
            return
        # the collected one (its timestamp; without one, the collected folder itself), once
        stamp = counted.get(submission.student)
        is_counted = submission in collected if stamp is None else submission.timestamp == stamp
        if submission.student in counted and is_counted and submission.student not in written:
            written.add(submission.student)
            write_grades(url, course_id, lesson, submission.student, submission.timestamp, result)
            _note_stale_autograded(settings, lesson.id, submission, note)
        progress(f"{submission.student}: {result.score:g} / {result.max_score:g}")

    return grade_all([template.of(submission.folder, submission.student) for submission in submissions], record)


def _note_stale_autograded(settings: Settings, lesson_id: str, submission, note: Callable[[str], None]) -> None:
    from grader.runner.intake import read_small_file

    folder = settings.course_dir / "autograded" / submission.student / lesson_id
    stamp = read_small_file(folder, "timestamp.txt", max_bytes=256) if folder.is_dir() else None
    if stamp is not None and stamp.decode("utf-8", "replace").strip() != (submission.timestamp or ""):
        note(
            f"grade: note: autograded/{submission.student}/{lesson_id}/ holds an older submission than the one graded ({submission.timestamp}): "
            f"run `nbgrader autograde {lesson_id} --force` before `nbgrader generate_feedback`, or use --feedback"
        )
