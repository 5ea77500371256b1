"""The nbgrader side of a course: lesson notebooks, and grades written into the gradebook.

``write_sources`` puts each lesson into ``{course}/source/{lesson}/`` as nbgrader expects it:
the stub files and a generated notebook with one locked grade cell per task (``test_<task>``,
that task's points). ``nbgrader generate_assignment``, ``collect``, ``autograde``,
``generate_feedback`` and ``export`` then run on it unchanged.

``autograde_course`` grades the collected submissions (``submitted/{student}/{lesson}/``) with
the isolated runner and writes each task's score into nbgrader's gradebook under the same
notebook and cell names, so ``nbgrader export`` lists the same scores whichever way the batch
ran. Each submission is committed on its own: re-running is idempotent, and a batch stopped
half way resumes by running it again. A ``grader-error`` result is never written: the
gradebook keeps what it had, and the next run grades that submission again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.lessons import LESSONS, Lesson
from grader.notebook import GRADE_CELL, lesson_notebook
from grader.results import GradingResult


def write_sources(course_dir: Path, lessons: list[Lesson] | None = None) -> list[Path]:
    """Write ``source/<lesson>/`` (stubs and notebook) for each lesson; returns the folders."""
    import nbformat

    from grader.release import lesson_files

    folders = []
    for lesson in lessons or list(LESSONS.values()):
        folder = Path(course_dir) / "source" / lesson.id
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in lesson_files(lesson).items():
            if name.endswith(".py") and not name.startswith("test_"):
                (folder / name).write_text(content)
        nbformat.write(lesson_notebook(lesson), str(folder / f"{lesson.id}.ipynb"))
        folders.append(folder)
    return folders


def config_lines(lessons: list[Lesson] | None = None) -> str:
    """The ``nbgrader_config.py`` line that keeps nbgrader autograde from copying the stubs over
    the students' files."""
    keep = {lesson.id: [f"{module}.py" for module in lesson.modules] for lesson in lessons or LESSONS.values()}
    return f"c.Autograde.exclude_overwriting = {keep!r}\n"


def database_url(course_dir: Path, db_url: str | None = None) -> str:
    """The gradebook: ``db_url``, else ``c.CourseDirectory.db_url`` of the course's config, else
    ``sqlite:///{course}/gradebook.db`` (nbgrader's default)."""
    from grader.exchange import read_nbgrader_config

    configured = db_url or read_nbgrader_config(course_dir)["db_url"]
    return str(configured) if configured else f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"


@dataclass(frozen=True)
class Collected:
    """One collected submission: its student and folder."""

    student: str
    folder: Path

    @property
    def timestamp(self) -> str | None:
        from grader.intake import read_small_file

        stamp = read_small_file(self.folder, "timestamp.txt", max_bytes=256)  # the student's file: never through a link
        return stamp.decode("utf-8", "replace").strip() if stamp is not None else None


def exchange_submissions(course_dir: Path, lesson: Lesson) -> list[Collected]:
    """Every submission of ``lesson`` still in the exchange's inbound folder, oldest first
    (all of them, not only each student's latest)."""
    from grader.exchange import list_submissions, load_settings

    settings = load_settings(course_dir)
    return [Collected(record.student, settings.inbound / record.submission_id) for record in list_submissions(settings, lesson=lesson.id)]


def collected_submissions(course_dir: Path, lesson: Lesson) -> list[Collected]:
    """``submitted/{student}/{lesson}/`` folders, as ``nbgrader collect`` leaves them (the
    latest submission of each student).

    Where the exchange still holds the very submission that was collected (same student and
    timestamp), that original is graded instead: ``nbgrader collect`` copies a link's target
    as if it were a file, so only the original shows the intake what was a link."""
    submitted = Path(course_dir) / "submitted"
    if not submitted.is_dir():
        return []
    originals = _exchange_originals(course_dir, lesson)
    collected = []
    for path in sorted(submitted.iterdir()):
        if not (path / lesson.id).is_dir() or path.is_symlink():
            continue
        entry = Collected(path.name, path / lesson.id)
        collected.append(Collected(entry.student, originals.get((entry.student, entry.timestamp), entry.folder)))
    return collected


def _exchange_originals(course_dir: Path, lesson: Lesson) -> dict[tuple[str, str], Path]:
    """``{(student, timestamp): inbound folder}`` of the exchange's submissions of ``lesson``
    (empty when the course has no exchange configured or reachable)."""
    from grader.exchange import SubmissionError, list_submissions, load_settings

    try:
        settings = load_settings(course_dir)
    except SubmissionError:
        return {}
    return {(record.student, record.timestamp): settings.inbound / record.submission_id for record in list_submissions(settings, lesson=lesson.id)}


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
    import os
    import sys

    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def autograde_course(
    course_dir: Path,
    lesson: Lesson,
    *,
    db_url: str | None = None,
    course_id: str | None = None,
    grade_all: Callable[[list[Path], Callable[[int, GradingResult], None]], list[GradingResult]] | None = None,
    progress: Callable[[str], None] = lambda line: None,
    all_submissions: bool = False,
) -> list[GradingResult]:
    """Grade every collected submission of ``lesson`` and record it in the gradebook (of the
    course id in its nbgrader config, unless ``course_id`` is given) as each result arrives.

    ``grade_all(folders, on_result)`` grades the folders (default: :func:`grader.batch.grade_many`
    on a local pool). With ``all_submissions``, every submission in the exchange is graded (for
    the results and feedback); the gradebook gets each student's latest.
    """
    from grader.batch import grade_many

    grade_all = grade_all or (lambda folders, on_result: grade_many(lesson.id, folders, on_result=on_result))
    from grader.exchange import read_nbgrader_config

    url = database_url(course_dir, db_url)
    course_id = course_id or read_nbgrader_config(course_dir)["course_id"] or "default_course"  # nbgrader's own default
    submissions = exchange_submissions(course_dir, lesson) if all_submissions else collected_submissions(course_dir, lesson)
    latest = {submission.student: submission for submission in submissions}

    def record(index: int, result: GradingResult) -> None:
        submission = submissions[index]
        result.student = submission.student
        if not result.graded:  # the grader's failure is no score: the next run grades it
            progress(f"{submission.student}: grader-error: {result.message}")
            return
        if latest[submission.student] is submission:
            write_grades(url, course_id, lesson, submission.student, submission.timestamp, result)
        progress(f"{submission.student}: {result.score:g} / {result.max_score:g}")

    return grade_all([submission.folder for submission in submissions], record)
