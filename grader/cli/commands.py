"""The ``grade`` command line: a thin click layer over the grader's functions.

Heavy imports (pytest runs, numpy) live inside the commands so that ``grade --help`` is quick.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader import __version__
from grader.course.catalogue import LESSONS, ManifestError, UnknownLesson, get_lesson
from grader.course.paths import COURSE_ROOT_VARIABLE

USAGE_EXIT = 2


class GradeUsageError(click.UsageError):
    """A usage error reported as one line (unknown lesson, missing path, ...)."""


#: Commands for instructors: the student distribution (which has no hidden checks) leaves them
#: out of its help and answers them with one line.
INSTRUCTOR_COMMANDS = ("autograde", "validate", "release", "report", "serve", "service", "gradescope-run", "new", "similarity")


class OneLineErrors(click.Group):
    """A click group that reports usage errors as one line on stderr, with exit code 2, and
    that, in the student distribution, leaves out the instructors' commands."""

    def list_commands(self, ctx):
        from grader.course.paths import instructor_side

        names = super().list_commands(ctx)
        return names if instructor_side() else [name for name in names if name not in INSTRUCTOR_COMMANDS]

    def get_command(self, ctx, cmd_name):
        from grader.course.paths import instructor_side

        if cmd_name in INSTRUCTOR_COMMANDS and not instructor_side():
            if ctx.resilient_parsing:  # shell completion: no such command, quietly
                return None
            raise GradeUsageError(f"'grade {cmd_name}' is for instructors; the student distribution has no hidden checks")
        return super().get_command(ctx, cmd_name)

    def main(self, args=None, prog_name=None, **extra):  # type: ignore[override]  # always standalone, exits itself
        try:
            return super().main(args=args, prog_name=prog_name or "grade", standalone_mode=False, **extra)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.UsageError as error:
            click.echo(f"grade: error: {error.format_message()}", err=True)
            sys.exit(USAGE_EXIT)
        except ManifestError as error:  # a lesson.toml of the course is not valid
            click.echo(f"grade: error: {error}", err=True)
            sys.exit(USAGE_EXIT)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)


class LessonType(click.ParamType):
    """A lesson id from the catalogue; an unknown one is a usage error with a suggestion."""

    name = "LESSON"

    def convert(self, value, param, ctx):
        try:
            return get_lesson(value)
        except UnknownLesson as error:
            raise GradeUsageError(str(error)) from None


LESSON = LessonType()


def _existing_folder(path: str) -> Path:
    folder = Path(path)
    if not folder.exists():
        raise GradeUsageError(f"path '{path}' does not exist")
    if not folder.is_dir():
        raise GradeUsageError(f"'{path}' is a file; give the folder that holds it")
    return folder


def _existing_submission(path: str) -> Path:
    """A submission given on the command line: a folder or an archive (a link given here is the
    instructor's and is resolved; links inside a submission are never followed)."""
    from grader.runner.intake import ARCHIVE_SUFFIXES

    submission = Path(path)
    if not submission.exists():
        raise GradeUsageError(f"path '{path}' does not exist")
    if not submission.is_dir() and not submission.name.endswith(ARCHIVE_SUFFIXES):
        raise GradeUsageError(f"'{path}' is neither a folder nor a {', '.join(ARCHIVE_SUFFIXES)} archive")
    return submission.resolve() if submission.is_symlink() else submission


def _instructor_only(what: str) -> None:
    from grader.course.paths import instructor_side

    if not instructor_side():
        raise GradeUsageError(f"'grade {what}' is for instructors; the student distribution has no hidden checks")


def _require_confinement(what: str) -> None:
    """Refuse (exit 2, saying what is off) where student code cannot be confined here."""
    from grader.runner.sandbox import detect

    protections = detect()
    if not protections.confined:
        raise GradeUsageError(f"{what} does not grade unconfined: {'; '.join(protections.missing())} (see README, Security)")


def _data_dir_option(command):
    return click.option("--data-dir", type=click.Path(file_okay=False), help="Data directory (default: $GRADER_DATA_DIR, else ~/.cache/nn-grader/datasets).")(command)


def _set_course_root(ctx, param, value):
    if value is not None:
        root = Path(value)
        if not root.is_dir():
            raise GradeUsageError(f"--course-root '{value}' is not a folder")
        os.environ[COURSE_ROOT_VARIABLE] = str(root.resolve())  # the grading workers inherit it
    return value


@click.group(cls=OneLineErrors, epilog="Examples: grade list; grade start LESSON; grade check LESSON")
@click.version_option(__version__, prog_name="grade")
@click.option(
    "--course-root",
    metavar="FOLDER",
    callback=_set_course_root,
    expose_value=False,
    is_eager=True,
    help=f"The course: a folder with reference/ (lesson folders) or assignments/ (default: ${COURSE_ROOT_VARIABLE}, else the installed course).",
)
def main():
    """Auto-graded exercises for the neural-networks course.

    Students: list the lessons, start one, check it locally. Instructors: grade submissions
    with the hidden checks, regenerate the assignments, validate the course, add a lesson.
    """


@main.command("list")
@click.argument("lesson", type=LESSON, required=False)
def list_command(lesson):
    """List the lessons, or the tasks and points of LESSON."""
    from grader.reports import terminal as report

    out = report.console()
    out.print(report.tasks_table(lesson) if lesson else report.lessons_table(list(LESSONS.values())))


@main.command()
@click.argument("lesson", type=LESSON)
@click.argument("directory", required=False)
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
@click.option("--notebook", is_flag=True, help="Also write LESSON.ipynb (and LESSON_keras.ipynb where there is a Keras stub): the lesson as a notebook, a check after each task.")
def start(lesson, directory, force, notebook):
    """Copy the stubs and public checks of LESSON into DIRECTORY (default: ./LESSON)."""
    from grader import api

    target = Path(directory or lesson.id)
    try:
        api.start(lesson.id, target, force=force, notebook=notebook)
    except FileExistsError as error:
        raise GradeUsageError(str(error)) from None
    if notebook:
        from grader.platforms.student import student_notebooks

        names = " or ".join(student_notebooks(lesson.id))
        click.echo(f"Started {lesson.id} in {target}/: open {names} in Jupyter; each task's cell has its check after it")
    else:
        click.echo(f"Started {lesson.id} in {target}/: edit {lesson.filename}, then run: grade check {lesson.id} {target}")


@main.command()
@click.argument("lesson", type=LESSON)
@click.argument("path", required=False)
@click.option("--all", "show_all", is_flag=True, help="Show passed checks too.")
@_data_dir_option
def check(lesson, path, show_all, data_dir):
    """Run the public checks of LESSON on your folder PATH (default: ./LESSON, else .).

    Exit code 1 when any check does not pass.
    """
    from grader import api
    from grader.reports import terminal as report

    if path and path.endswith(".ipynb") and Path(path).is_file():
        folder = Path(path)  # a notebook: checked as the grader will read it
    else:
        folder = _student_folder(lesson, path)
    has_notebook = folder.is_file() or any(folder.glob("*.ipynb"))
    missing = [module for module in lesson.modules if not (folder / f"{module}.py").is_file()]
    if missing and not has_notebook:
        names = ", ".join(f"{module}.py" for module in missing)
        raise GradeUsageError(f"{folder}/ has no {names}: run the check in your lesson folder (grade check {lesson.id} FOLDER), or `grade start {lesson.id}` for the stubs")
    out = report.console()
    with out.status(f"running the public checks of {lesson.id} on {folder}/ ..."):
        result = api.check(lesson.id, folder, data_dir=data_dir)
    ok = report.print_check(out, lesson, result, show_all=show_all)
    sys.exit(0 if ok else 1)


def _student_folder(lesson, path: str | None) -> Path:
    """The student's folder: PATH, else ./LESSON when it exists, else the current folder."""
    return _existing_folder(path or (lesson.id if Path(lesson.id).is_dir() else "."))


def _course_options(command):
    command = click.option("--course-dir", type=click.Path(file_okay=False), help="Folder with the course's nbgrader_config.py (default: .).")(command)
    command = click.option("--exchange", "exchange_root", help="nbgrader exchange root (overrides the config and $GRADER_EXCHANGE_ROOT).")(command)
    command = click.option("--course-id", help="nbgrader course id (overrides the config and $GRADER_COURSE_ID).")(command)
    return command


def _settings(course_dir, exchange_root=None, course_id=None, data_dir=None):
    """The grader's settings (:class:`grader.api.Settings`) with the command line's overrides."""
    from grader.api import Settings

    return Settings.load(course_dir, exchange_root=exchange_root, course_id=course_id, data_dir=data_dir)


def _server_options(command):
    command = click.option("--token", help="Your token for --server (default: $GRADER_TOKEN, else the one `grade login` saved).")(command)
    command = click.option(
        "--server", metavar="URL", help="The course's grading service (default: $GRADER_SERVER, else the one of your last grade login; without one: nbgrader's exchange)."
    )(command)
    return command


@main.command()
@click.argument("lesson", type=LESSON)
@click.argument("path", required=False)
@click.option("--student", envvar="GRADER_STUDENT", help="Your student id (or $GRADER_STUDENT); for the exchange.")
@_server_options
@click.option("--no-wait", is_flag=True, help="With --server: return after the receipt.")
@click.option("--json", "json_out", metavar="FILE", help="With --server: write the result (COURSE.md JSON) to FILE.")
@_course_options
def submit(lesson, path, student, server, token, no_wait, json_out, course_dir, exchange_root, course_id):
    """Submit your folder PATH for LESSON (default: ./LESSON, else .): to the grading service
    (--server URL: the result in seconds), or to the course's nbgrader exchange.

    Checks the folder first. An earlier submission is never overwritten.
    """
    from grader import api
    from grader.platforms.exchange import SubmissionError
    from grader.reports import terminal as report

    folder = _student_folder(lesson, path)
    server = server or (None if student else _default_server())
    if server:
        sys.exit(_submit_to_server(lesson, folder, server, token, wait=not no_wait, json_out=json_out))
    if not student:
        raise GradeUsageError("give --student (or set GRADER_STUDENT), or submit to a grading service with --server URL")
    try:
        submitted = api.submit(lesson.id, folder, student, _settings(course_dir, exchange_root, course_id))
    except SubmissionError as error:
        raise GradeUsageError(str(error)) from None
    report.print_submitted(report.console(), lesson, student, submitted)


def _default_server() -> str | None:
    from grader.platforms.service_client import default_server

    return default_server()


def _submit_to_server(lesson, folder: Path, server: str, token: str | None, *, wait: bool, json_out: str | None) -> int:
    """``grade submit --server``: upload, print the receipt, wait, print the result; the exit code."""
    from grader.platforms.exchange import SubmissionError
    from grader.platforms.service_client import Client, ServiceError, find_token
    from grader.platforms.student import submit_to_server
    from grader.reports import terminal as report

    out = report.console()
    try:
        client = Client(server, find_token(server, token))
        left_out, receipt, final = submit_to_server(lesson.id, folder, client, wait=wait, on_status=report.queue_status(out))
    except (SubmissionError, ServiceError) as error:
        raise GradeUsageError(str(error)) from None
    return report.print_served(out, left_out, receipt, final, json_out)


@main.command()
@click.argument("server", metavar="URL")
@click.option("--token", help="The token your instructor gave you (asked for when not given).")
def login(server, token):
    """Save your token for the grading service at URL (checked with the server first); URL is
    then where grade submit and grade status go without --server."""
    from grader.platforms.service_client import ServiceError, sign_in

    if not token:
        token = click.prompt("Your token", hide_input=sys.stdin.isatty()).strip()  # no echo to hide without a terminal
    try:
        saved = sign_in(server, token)
    except ServiceError as error:
        if error.status == 401:
            raise GradeUsageError(f"this token is not valid for {server}: check it with your instructor") from None
        raise GradeUsageError(str(error)) from None
    click.echo(f"Signed in to {server}; token saved in {saved}. grade submit and grade status now go to {server}.")


@main.command()
@click.argument("lesson", type=LESSON, required=False)
@click.option("--student", envvar="GRADER_STUDENT", help="Your student id (or $GRADER_STUDENT); for the exchange.")
@_server_options
@_course_options
def status(lesson, student, server, token, course_dir, exchange_root, course_id):
    """List your submissions (of LESSON, or of every lesson): on the grading service (--server)
    with their scores, or in the course's exchange."""
    from grader.platforms.exchange import SubmissionError, list_submissions
    from grader.reports import terminal as report

    server = server or (None if student else _default_server())
    if server:
        from grader.platforms.service_client import Client, ServiceError, find_token

        try:
            served = Client(server, find_token(server, token)).submissions(lesson.id if lesson else None)
        except ServiceError as error:
            raise GradeUsageError(str(error)) from None
        report.console().print(report.served_table(served))
        return
    if not student:
        raise GradeUsageError("give --student (or set GRADER_STUDENT), or ask a grading service with --server URL")
    try:
        exchange = _settings(course_dir, exchange_root, course_id).exchange()
    except SubmissionError as error:
        raise GradeUsageError(str(error)) from None
    records = list_submissions(exchange, student=student, lesson=lesson.id if lesson else None)
    report.console().print(report.submissions_table(records, student))


@main.command()
@click.argument("lesson", type=LESSON)
@click.argument("paths", nargs=-1)
@click.option("--course", "course_dir", type=click.Path(file_okay=False), help="nbgrader course folder: grade its collected submissions and write the gradebook.")
@click.option("--db", "db_url", help="Gradebook URL (any SQLAlchemy URL nbgrader accepts; default: the course's).")
@click.option("--all-submissions", is_flag=True, help="With --course: grade every submission in the exchange, not only each student's collected latest.")
@click.option("--json", "json_out", metavar="FILE", help="Write the results (a JSON array) to FILE, or - for stdout.")
@click.option("--feedback", "feedback_dir", type=click.Path(file_okay=False), help="Write an HTML report and the JSON of each submission here.")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), help="Write a CSV of the scores (one row per submission).")
@click.option("--gradescope", "gradescope_out", type=click.Path(), help="Write Gradescope's results.json (a folder of them for several submissions, or when it ends with /).")
@click.option("--details/--no-details", default=False, help="Show each submission's per-task scores.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), help="Seconds one call of student code may run (default: the lesson's).")
@click.option("--workers", type=click.IntRange(min=1), help="Local worker processes (default: one per core).")
@click.option("--scheduler", metavar="ADDRESS", help="Grade on a Dask cluster (tcp://host:8786) instead of local workers.")
@click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
    help="Model lessons: where training runs (auto: CUDA when the student's framework sees a GPU); the budget is the device's.",
)  # fmt: skip
@click.option(
    "--student-from", type=click.Choice(["folder", "none"]), default="folder", show_default=True,
    help="Each submission's student id: its folder's (or archive's) name, or none.",
)  # fmt: skip
@click.option("--require-confinement", is_flag=True, help="Refuse to grade where student code cannot be confined (no bubblewrap and no namespaces, or not root).")
@_data_dir_option
def autograde(
    lesson,
    paths,
    course_dir,
    db_url,
    all_submissions,
    json_out,
    feedback_dir,
    csv_out,
    gradescope_out,
    details,
    timeout_s,
    workers,
    scheduler,
    device,
    student_from,
    require_confinement,
    data_dir,
):
    """Grade each submission folder in PATHS (or a course's collected ones) with the hidden
    checks of LESSON.

    A submission is a folder, or a .zip or .tar.gz archive; only its regular files are graded
    (links and special files are refused, and named in the result). Student code runs in an
    isolated child process. With --course, every collected submission
    (submitted/STUDENT/LESSON) is graded and its task scores written into nbgrader's gradebook.
    Exit code 0 when every submission was graded, whatever the scores; 3 when the grader itself
    failed on some (listed at the end; nothing is recorded for them).
    """
    from grader.runner.sandbox import probing_ahead

    with probing_ahead():  # the probes wait for processes of their own: they overlap what follows
        from grader.api import GradeRequest
        from grader.cli import autograde as batch
        from grader.reports import terminal as report

        _instructor_only("autograde")
        if require_confinement:
            _require_confinement("grade autograde --require-confinement")
        if not paths and not course_dir:
            raise GradeUsageError("give submission folders, or --course DIR")
        if course_dir and not Path(course_dir).is_dir():
            raise GradeUsageError(f"--course {course_dir}: no such folder (the nbgrader course folder, holding nbgrader_config.py)")
        # One submission's Gradescope output is a file unless it names a folder (ends with / or is one).
        gradescope_folder = bool(course_dir) or len(paths) != 1 or bool(gradescope_out) and (gradescope_out.endswith(os.sep) or Path(gradescope_out).is_dir())
        outputs = batch.Outputs(json_out, feedback_dir and Path(feedback_dir), csv_out and Path(csv_out), gradescope_out and Path(gradescope_out), details, gradescope_folder)
        problems = outputs.problems()
        if problems:
            raise GradeUsageError("; ".join(problems))
        job = batch.Autograde(
            GradeRequest(lesson.id, "", call_timeout_s=timeout_s, device=device, data_dir=Path(data_dir) if data_dir else None),
            tuple(_existing_submission(path) for path in paths),
            _settings(course_dir) if course_dir else None,
            db_url,
            all_submissions,
            outputs,
            workers,
            scheduler,
            student_from,
        )
        try:
            code = batch.run(job, report.console(stderr=json_out == "-"), warn=lambda line: click.echo(line, err=True))
        except LookupError as error:
            raise GradeUsageError(str(error)) from None
        if code > 128:  # stopped by a signal, its outputs written
            from grader.core.interrupts import exit_stopped

            exit_stopped(code)
        sys.exit(code)


@main.command()
@click.option("--dist", "dist_dir", type=click.Path(file_okay=False), help="Also build the student distribution in this folder.")
@click.option("--nbgrader", "course_dir", type=click.Path(file_okay=False), help="Also write each lesson's nbgrader source (stubs and notebook) into this course folder.")
@click.option("--gradescope", "gradescope_lesson", type=LESSON, help="Also build Gradescope's autograder-LESSON.zip for this lesson.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True, help="Folder for the Gradescope zip.")
@click.option("--policy", type=click.Path(exists=True, dir_okay=False), help="Course policy (TOML): its `gradescope` key sets what students see (visible, after_due_date, hidden).")
@click.option("--framework", "frameworks", type=click.Choice(["torch", "keras"]), multiple=True, help="A model lesson's framework(s) to install on Gradescope (default: both).")
def release(dist_dir, course_dir, gradescope_lesson, out_dir, policy, frameworks):
    """Regenerate assignments/ (stubs, public checks, READMEs) from reference/."""
    from grader.authoring.distribution import build_student_distribution
    from grader.authoring.release import write_assignments

    _instructor_only("release")
    touched = write_assignments()
    click.echo(f"assignments/: {len(touched)} file(s) written or removed" if touched else "assignments/ is up to date")
    if dist_dir:
        archive = build_student_distribution(Path(dist_dir))
        click.echo(f"student distribution: {archive}")
    if gradescope_lesson:
        from grader.authoring.gradescope_zip import FRAMEWORK_REQUIREMENTS, build_autograder
        from grader.authoring.release import ReleaseError
        from grader.service.policy import PolicyError, load_policy

        try:
            visibility = load_policy(policy).of(gradescope_lesson.id).gradescope
            archive = build_autograder(gradescope_lesson.id, Path(out_dir), visibility=visibility, frameworks=tuple(frameworks) or tuple(FRAMEWORK_REQUIREMENTS))
        except (ReleaseError, PolicyError, OSError) as error:
            raise GradeUsageError(str(error)) from None
        click.echo(f"Gradescope autograder: {archive} (results {visibility}); upload it in the assignment's Configure Autograder page")
    if course_dir:
        from grader.authoring.release import config_lines, write_sources

        folders = write_sources(Path(course_dir))
        click.echo(f"nbgrader sources: {', '.join(str(f) for f in folders)}")
        click.echo(f"add to the course's nbgrader_config.py:\n{config_lines()}")


@main.command("gradescope-run", hidden=True)
@click.argument("lesson", type=LESSON)
@click.option("--root", type=click.Path(file_okay=False), default="/autograder", show_default=True, help="Gradescope's root: submission/ in, results/results.json out.")
@click.option("--visibility", default="visible", show_default=True, help="Of every test and of the result: visible, after_due_date or hidden.")
@click.option("--allow-unconfined", is_flag=True, help="Grade even where student code cannot be confined (default: a grader error says why).")
def gradescope_run(lesson, root, visibility, allow_unconfined):
    """Grade Gradescope's ROOT/submission and write ROOT/results/results.json (what the
    autograder zip's run_autograder calls)."""
    from grader.platforms.gradescope import VISIBILITIES, refuse_unconfined, run_autograder
    from grader.reports.reading import points_of

    _instructor_only("gradescope-run")
    if visibility not in VISIBILITIES:
        raise GradeUsageError(f"--visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    from grader.runner.sandbox import detect

    protections = detect()
    for line in protections.missing():  # Gradescope shows this output to the instructor alone
        click.echo(f"grade: note: protection off: {line}")
    if protections.confined or allow_unconfined:
        result = run_autograder(lesson.id, Path(root), visibility)
    else:
        result = refuse_unconfined(lesson.id, Path(root), protections.missing(), visibility)
    click.echo(f"{lesson.id}: {points_of(result.score, result.max_score)}" if result.graded else f"{lesson.id}: grader error: {result.message}")


@main.command("report")
@click.argument("lesson", type=LESSON)
@click.argument("results_json", metavar="RESULTS.json", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the pages (index.html is the dashboard).")
def report_command(lesson, results_json, out_dir):
    """Write a class dashboard of LESSON from a batch's RESULTS.json (`grade autograde --json`):
    score histogram, tasks worst first, commonest failures, a page per student, exports."""
    import json

    from grader.core.results import GradingResult
    from grader.reports.pages.compose import write_report

    _instructor_only("report")
    try:
        data = json.loads(Path(results_json).read_text())
        results = [GradingResult.from_dict(item) for item in (data if isinstance(data, list) else [data])]
    except (ValueError, KeyError, TypeError) as error:
        raise GradeUsageError(f"{results_json} is not a result JSON of `grade autograde --json` ({type(error).__name__}: {error})") from None
    if not any(result.lesson == lesson.id for result in results):
        raise GradeUsageError(f"{results_json} holds no result of {lesson.id}")
    index = write_report(lesson.id, results, Path(out_dir))
    click.echo(f"class dashboard: {index}")


@main.command()
@click.argument("lessons", nargs=-1, type=LESSON)
@click.option("--bugs/--no-bugs", default=True, show_default=True, help="Also grade each lesson's typical bugs (mutants.toml).")
@_data_dir_option
def validate(lessons, bugs, data_dir):
    """Check the course (or only LESSONS): reference gets full marks and every task has a
    hidden check, stubs get zero (a model lesson's baseline too, while it trains and predicts),
    each typical bug loses points on exactly its tasks, assignments are in sync.

    Exit code 1 when any of these fails.
    """
    from grader.authoring.release import ReleaseError
    from grader.authoring.validation import validate_course
    from grader.reports import terminal as report

    _instructor_only("validate")
    out = report.console()
    try:
        problems = validate_course(progress=lambda line: out.print(line), lesson_ids=[lesson.id for lesson in lessons] or None, data_dir=data_dir, bugs=bugs)
    except ReleaseError as error:  # a lesson folder that cannot be released (a file missing)
        problems = [str(error)]
    if problems:
        for problem in problems:
            out.print(f"[red]✗[/] {problem}")
        sys.exit(1)
    out.print("[green]✓ course is valid[/]")


@main.command()
@click.argument("lesson", type=LESSON)
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write the HTML report here (index.html and a side-by-side page per pair shown).")
@click.option("--json", "json_out", metavar="FILE", help="Write the pairs at or above the threshold (with regions) and a histogram of all scores as JSON to FILE, - for stdout.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="The lowest score a pair needs to be listed.")
@click.option("--feedback", "feedback_dir", type=click.Path(file_okay=False), help="The folder of `grade autograde --feedback`: names link to their feedback pages.")
def similarity(lesson, paths, out_dir, json_out, threshold, feedback_dir):
    """Rank pairs of submissions (folders, archives or notebooks) of LESSON by how much code
    they share, as MOSS does: the released stub, comments, docstrings and names do not count,
    reordered functions still match, only long matching passages weigh."""
    import os

    from grader.core import similarity as similar
    from grader.reports import terminal as report
    from grader.reports.pages.similarity import report_json, write_report

    _instructor_only("similarity")
    names = _submission_names([Path(path) for path in paths])
    boilerplate = similar.lesson_boilerplate(lesson)
    codes = {}
    for name, path in names.items():
        if not path.exists():
            raise GradeUsageError(f"submission '{path}' does not exist")
        codes[name] = similar.fingerprint(name, similar.submission_code(lesson, path), boilerplate)
    pairs, all_scores = similar.similar_pairs(list(codes.values()), threshold)
    out = report.console()
    out.print(report.similarity_table(pairs, threshold, len(codes)))
    if json_out:
        text = report_json(pairs, lesson.id, submissions=len(codes), threshold=threshold, all_scores=all_scores)
        if json_out == "-":
            sys.stdout.write(text)
        else:
            Path(json_out).parent.mkdir(parents=True, exist_ok=True)
            Path(json_out).write_text(text)
    if out_dir:
        links = {}
        if feedback_dir:
            for name in codes:
                page = Path(feedback_dir) / name / lesson.id / "feedback.html"
                if page.is_file():
                    links[name] = os.path.relpath(page, out_dir)
        index = write_report(Path(out_dir), pairs, codes, lesson.id, threshold=threshold, all_scores=all_scores, links=links)
        out.print(f"report: {index}")


def _submission_names(paths: list[Path]) -> dict[str, Path]:
    """A name per submission path: its file or folder name (without .zip, .ipynb ...), with
    its parent's name before it where two would be the same."""
    def stem(path: Path) -> str:
        name = path.name or str(path)
        for suffix in (".tar.gz", ".tgz", ".zip", ".tar", ".ipynb"):
            name = name.removesuffix(suffix)
        return name

    counts: dict[str, int] = {}
    for path in paths:
        counts[stem(path)] = counts.get(stem(path), 0) + 1
    names: dict[str, Path] = {}
    for path in paths:
        name = stem(path) if counts[stem(path)] == 1 else f"{path.resolve().parent.name}/{stem(path)}"
        while name in names:
            name += "'"
        names[name] = path
    return names


@main.command()
@click.argument("lesson_id", metavar="LESSON")
@click.option("--model", is_flag=True, help="A model lesson (train and score on a data set); needs --dataset.")
@click.option("--dataset", metavar="NAME", help="With --model: the data set (grade data list shows them).")
@click.option("--from", "source", metavar="LESSON", help="Copy this lesson's folder under the new id.")
@click.option("--title", help="The lesson's title (default: from its id).")
def new(lesson_id, model, dataset, source, title):
    """Write a working lesson folder reference/LESSON/ from a template (one task, one public
    check, one hidden check, one typical bug), release it, and print the next steps."""
    from grader.authoring.new import new_lesson
    from grader.authoring.release import ReleaseError

    if source is not None and source not in LESSONS:
        raise GradeUsageError(str(UnknownLesson(source)))
    try:
        written = new_lesson(lesson_id, model=model, dataset=dataset, source=source, title=title)
    except ReleaseError as error:
        raise GradeUsageError(str(error)) from None
    click.echo(written.next_steps())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--db", default="service/grader.db", show_default=True, help="SQLite file, or a database URL (postgresql+psycopg://...).")
@click.option("--scheduler", metavar="ADDRESS", help="Grade on the Dask cluster at tcp://host:8786 (default: a local cluster).")
@click.option("--workers", type=click.IntRange(min=1), help="Local Dask workers (default: one per core).")
@click.option("--policy", type=click.Path(exists=True, dir_okay=False), help="The course's rules per lesson (TOML): deadlines, limits, visibility.")
@click.option("--dist", type=click.Path(exists=True, file_okay=False), help="Serve this student distribution (default: build one beside the database).")
@click.option("--public-url", metavar="URL", help="The address students use (https://grader.example.edu): the front page's links (default: http://HOST:PORT).")
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    metavar="IPS",
    help="Proxies trusted to say the client's scheme (X-Forwarded-Proto: https gives Secure cookies).",
)
@click.option("--allow-unconfined", is_flag=True, help="Grade even where student code cannot be confined (no bubblewrap, no namespaces, not root).")
def serve(host, port, db, scheduler, workers, policy, dist, public_url, forwarded_allow_ips, allow_unconfined):
    """Run the grading service: the HTTP API (its page: /docs), the database, grading on Dask."""
    from grader.service.server import ServeOptions
    from grader.service.server import serve as run

    _instructor_only("serve")
    if not allow_unconfined:
        _require_confinement("grade serve")
    click.echo(f"grading service on http://{host}:{port} (database {db}); Ctrl-C stops it", err=True)
    options = ServeOptions(
        host, port, db, scheduler, workers, Path(policy) if policy else None, Path(dist) if dist else None, public_url=public_url, forwarded_allow_ips=forwarded_allow_ips
    )
    run(options)


@main.group()
def service():
    """Accounts of the grading service: students and instructors."""


def _db_option(command):
    return click.option("--db", default="service/grader.db", show_default=True, help="The service's database (as for grade serve).")(command)


def _add_accounts(db: str, names: list[str], role: str) -> None:
    _instructor_only("service")
    from grader.service.accounts import AccountError, add_accounts
    from grader.service.tables import open_database

    with open_database(db)() as session:
        try:
            made = add_accounts(session, names, role)
        except AccountError as error:
            raise GradeUsageError(str(error)) from None
    for name, token in made:
        click.echo(f"{name} {token}")


@service.command("add-student")
@click.argument("ids", nargs=-1, required=True)
@_db_option
def add_student(ids, db):
    """Make accounts for the students IDS; prints one line `ID TOKEN` for each."""
    _add_accounts(db, list(ids), "student")


@service.command("add-instructor")
@click.argument("name")
@_db_option
def add_instructor(name, db):
    """Make an instructor account NAME (sees the whole course); prints `NAME TOKEN`."""
    _add_accounts(db, [name], "instructor")


@service.command("import-roster")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@_db_option
def import_roster(csv_file, db):
    """Make student accounts from a roster CSV (column id, student, student_id or username; else
    the first); prints one line `ID TOKEN` for each."""
    _instructor_only("service")
    from grader.service.accounts import roster_ids

    _add_accounts(db, roster_ids(Path(csv_file)), "student")


@service.command("list")
@_db_option
def service_list(db):
    """The service's accounts: role, made when, disabled or not, how many submissions."""
    _instructor_only("service")
    from rich.table import Table

    from grader.reports import terminal as report
    from grader.service.accounts import list_accounts
    from grader.service.tables import open_database

    table = Table(title="Accounts")
    for column in ("name", "role", "made", "state", "submissions"):
        table.add_column(column, justify="right" if column == "submissions" else "left")
    with open_database(db)() as session:
        for account, count in list_accounts(session):
            table.add_row(account.name, account.role, account.created_at.strftime("%Y-%m-%d"), "disabled" if account.disabled else "active", str(count))
    report.console().print(table)


@service.command("reset-token")
@click.argument("name")
@_db_option
def service_reset_token(name, db):
    """Give NAME a new token (printed once as `NAME TOKEN`); the old token and every session
    signed in with it stop working."""
    _instructor_only("service")
    from grader.service.accounts import AccountError, reset_token
    from grader.service.tables import open_database

    with open_database(db)() as session:
        try:
            token = reset_token(session, name)
        except AccountError as error:
            raise GradeUsageError(str(error)) from None
    click.echo(f"{name} {token}")


@service.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@_db_option
def service_disable(name, enable, db):
    """Disable NAME: its token and its sessions stop working (its submissions stay); --enable undoes it."""
    _instructor_only("service")
    from grader.service.accounts import AccountError, set_disabled
    from grader.service.tables import open_database

    with open_database(db)() as session:
        try:
            set_disabled(session, name, not enable)
        except AccountError as error:
            raise GradeUsageError(str(error)) from None
    click.echo(f"{name} {'enabled' if enable else 'disabled'}")


@service.command("export")
@click.argument("lesson", type=LESSON)
@click.option("--course", "course_dir", type=click.Path(file_okay=False), help="nbgrader course folder: write each student's score into its gradebook.")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), help="Write a CSV of the scores.")
@click.option("--gradescope", "gradescope_out", type=click.Path(), help="Write Gradescope's results.json (a folder of them).")
@click.option("--policy", type=click.Path(exists=True, dir_okay=False), help="The course's rules (export = latest or best).")
@_db_option
def service_export(lesson, course_dir, csv_out, gradescope_out, policy, db):
    """Export each student's latest (or, by policy, best) graded score of LESSON."""
    from grader.service.export import export_lesson
    from grader.service.policy import load_policy
    from grader.service.tables import open_database

    _instructor_only("service")
    rule = load_policy(Path(policy) if policy else None).of(lesson.id).export
    course = _settings(course_dir) if course_dir else None
    count = export_lesson(open_database(db), lesson.id, course=course, csv=csv_out and Path(csv_out), gradescope=gradescope_out and Path(gradescope_out), rule=rule)
    click.echo(f"{lesson.id}: {count} student(s) exported ({rule} submission each)")


@main.group()
def data():
    """Data sets of the model lessons: list, fetch, import."""


def _dataset(name):
    from grader.data.store import DataError, load_manifest

    try:
        return load_manifest(name)
    except DataError as error:
        raise GradeUsageError(str(error)) from None


@data.command("list")
@_data_dir_option
def data_list(data_dir):
    """Show each data set, where it is, and whether its files are present and verified."""
    from rich.table import Table

    from grader.data.store import all_datasets
    from grader.data.store import data_dir as resolve
    from grader.data.store import status as file_status
    from grader.reports import terminal as report

    root = resolve(data_dir)
    table = Table(title=f"Data sets in {root}")
    for column in ("data set", "file", "bytes", "state"):
        table.add_column(column)
    for dataset in all_datasets():
        for item in file_status(dataset, root):
            state = "[green]verified[/]" if item.verified else ("[red]corrupt[/]" if item.path else "[yellow]missing[/]")
            table.add_row(dataset.name, item.entry.name, f"{item.entry.bytes:,}", state)
    report.console().print(table)


@data.command("fetch")
@click.argument("name")
@_data_dir_option
def data_fetch(name, data_dir):
    """Download data set NAME (resumes; verifies checksums; never leaves a half-written file)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from grader.data.store import DataError, fetch
    from grader.data.store import data_dir as resolve

    dataset = _dataset(name)
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn()) as progress:
        tasks = {}

        def update(file_name, done, total):
            if file_name not in tasks:
                tasks[file_name] = progress.add_task(file_name, total=total)
            progress.update(tasks[file_name], completed=done)

        try:
            fetched = fetch(dataset, resolve(data_dir), progress=update)
        except DataError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{name}: {len(fetched)} file(s) fetched and verified" if fetched else f"{name}: already present and verified")


@data.command("import")
@click.argument("name")
@click.argument("path", type=click.Path(exists=True))
@_data_dir_option
def data_import(name, path, data_dir):
    """Take data set NAME's files from PATH (a folder or a file you already have), verified."""
    from grader.data.store import DataError, import_files
    from grader.data.store import data_dir as resolve

    try:
        imported = import_files(_dataset(name), Path(path), resolve(data_dir))
    except DataError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{name}: imported and verified {', '.join(p.name for p in imported)}")
