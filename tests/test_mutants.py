"""Every mutant of the catalogue (``reference/<lesson>/mutants.toml``) loses points exactly on
the tasks it breaks."""

from __future__ import annotations

import pytest
from conftest import needs_fashion, needs_imdb

from grader.api import GradeRequest, grade
from grader.authoring.mutants import course_mutants
from grader.course.catalogue import LESSONS
from grader.course.paths import course_root

MUTANTS = course_mutants(course_root() / "reference", LESSONS.values())
#: The lessons' data sets, and the mark that skips a test when the shared copy is missing.
NEEDS = {"fashion_mnist": needs_fashion, "imdb": needs_imdb}


@pytest.mark.parametrize(
    "mutant",
    [pytest.param(m, marks=[NEEDS[LESSONS[m.lesson].data_set]] if LESSONS[m.lesson].data_set else [], id=m.id) for m in MUTANTS],
)
def test_mutant_loses_points_on_its_tasks_only(mutant, submission_factory, request):
    folder = submission_factory(mutant.lesson)
    target = folder / mutant.file
    target.write_text(mutant.apply(target.read_text()))  # MutantError unless the snippet occurs once
    data_dir = request.getfixturevalue("data_dir") if LESSONS[mutant.lesson].data_set else None

    result = grade(GradeRequest(mutant.lesson, folder, data_dir=data_dir))

    scores = result.task_scores()
    lost = {task for task, (score, max_score) in scores.items() if score < max_score}
    details = {t.task: t.message for t in result.tests if t.status != "passed"}
    assert lost == mutant.breaks, f"lost points on {sorted(lost)}, expected {sorted(mutant.breaks)}: {details}"
    assert result.score < result.max_score
