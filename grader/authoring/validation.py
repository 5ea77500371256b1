"""``grade validate``: the course's own acceptance test.

For every lesson: the reference solution earns full marks, every task has a hidden check, the
released stubs earn zero (every test ``failed`` or ``error``), each typical bug of its
``mutants.toml`` loses points on exactly the tasks it names, and ``assignments/`` matches what
``reference/`` generates. A model lesson's stub is its baseline: it must train within budget
and give valid labels, and earn nothing (its references train for minutes, and need the data
set).
"""

from __future__ import annotations

from collections.abc import Callable

from grader.authoring.mutants import FILENAME, MutantError, load_mutants
from grader.authoring.release import out_of_date
from grader.core.grading import run_hidden_checks
from grader.core.model_lessons import require_lesson_data
from grader.core.request import GradeRequest
from grader.course.catalogue import LESSONS, Lesson, get_lesson
from grader.course.paths import assignment_dir, reference_dir
from grader.course.references import reference_submission
from grader.data.store import DataError


def validate_course(
    progress: Callable[[str], None] = lambda line: None, lesson_ids: list[str] | None = None, data_dir=None, bugs: bool = True
) -> list[str]:
    """Every problem found, as one line each (an empty list means the course is valid).

    ``lesson_ids``: only these lessons (default: all). A model lesson whose data set is missing
    is skipped, saying so (``progress``), unless it was asked for by name: then it is a problem.
    ``bugs``: grade each lesson's typical bugs too."""
    problems = [f"assignments/{line}" for line in out_of_date()]
    for lesson in [get_lesson(i) for i in lesson_ids] if lesson_ids else LESSONS.values():
        if lesson.data_set is not None:
            try:
                require_lesson_data(lesson.data_set, data_dir)
            except DataError as error:
                if lesson_ids:
                    problems.append(f"{lesson.id}: not validated: {error}")
                else:
                    progress(f"{lesson.id}: skipped: {error} (name the lesson to make this an error)")
                continue
        progress(f"{lesson.id}: grading the reference and the stubs" + (" (each trains under the lesson's budget)" if lesson.is_model else "") + " ...")
        full = run_hidden_checks(GradeRequest(lesson.id, reference_submission(lesson.id), data_dir=data_dir))
        progress(f"{lesson.id}: reference {full.score:g} / {full.max_score:g}")
        untested = [task for task in lesson.tasks if task not in {t.task for t in full.tests}]
        if untested:
            problems.append(f"reference/{lesson.id}/lesson.toml: tasks: {', '.join(untested)} has no hidden check (mark one with @pytest.mark.task or task_param)")
        elif full.score != full.max_score or full.max_score != lesson.max_score:
            lost = [f"{t.name}: {t.message}" for t in full.tests if t.status != "passed"][:3]
            problems.append(f"{lesson.id}: reference scores {full.score:g} of {full.max_score:g} (catalogue: {lesson.max_score:g}); {lost}")
        stub = run_hidden_checks(GradeRequest(lesson.id, assignment_dir(lesson.id), data_dir=data_dir))
        progress(f"{lesson.id}: stubs {stub.score:g} / {stub.max_score:g}")
        passing = [t.name for t in stub.tests if t.status == "passed"]
        conditions = [t for t in stub.tests if t.max_score == 0]
        if stub.score != 0:
            problems.append(f"{lesson.id}: stubs score {stub.score:g} (a stub, or a model lesson's released baseline, must earn 0)")
        elif lesson.is_model and any(t.status != "passed" for t in conditions):
            problems.append(f"{lesson.id}: the baseline stub does not run: {[f'{t.name}: {t.message}' for t in conditions if t.status != 'passed'][:2]}")
        elif not lesson.is_model and passing:
            problems.append(f"{lesson.id}: stubs pass checks: {passing[:5]}")
        if bugs:
            problems += typical_bug_problems(lesson, progress, data_dir)
    return problems


def typical_bug_problems(lesson: Lesson, progress: Callable[[str], None] = lambda line: None, data_dir=None) -> list[str]:
    """Grade each typical bug of ``lesson`` (its ``mutants.toml``; a lesson's data set from
    ``data_dir``): one line per bug that does not lose points on exactly the tasks it names,
    that does not apply, or whose grading failed."""
    folder = reference_dir(lesson.id)
    try:
        mutants = load_mutants(folder / FILENAME, lesson.id, lesson.filename)
    except MutantError as error:
        return [str(error)]
    problems = []
    for mutant in mutants:
        files = reference_submission(lesson.id)
        try:
            files.files[mutant.file] = mutant.apply(files.files[mutant.file].decode()).encode()
        except (MutantError, KeyError) as error:
            problems.append(f"{folder / FILENAME}: mutant '{mutant.id}': {error}")
            continue
        result = run_hidden_checks(GradeRequest(lesson.id, files, data_dir=data_dir))
        if not result.graded:
            problems.append(f"{folder / FILENAME}: mutant '{mutant.id}' could not be graded: {result.message or result.status}")
            continue
        lost = {task for task, (score, max_score) in result.task_scores().items() if score < max_score}
        if lost != set(mutant.breaks):
            problems.append(f"{folder / FILENAME}: mutant '{mutant.id}' loses points on {sorted(lost) or 'nothing'}, but breaks names {sorted(mutant.breaks)}")
    if mutants:
        progress(f"{lesson.id}: typical bugs {len(mutants) - len(problems)} / {len(mutants)} lose points where they should")
    return problems
