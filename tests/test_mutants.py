"""Every mutant of the catalogue (``reference/<lesson>/mutants.toml``) loses points exactly on
the tasks it breaks."""

from __future__ import annotations

import pytest

from grader.api import GradeRequest, grade
from grader.authoring.mutants import course_mutants
from grader.course.catalogue import LESSONS
from grader.course.paths import course_root

MUTANTS = course_mutants(course_root() / "reference", LESSONS.values())


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_loses_points_on_its_tasks_only(mutant, submission_factory):
    folder = submission_factory(mutant.lesson)
    target = folder / mutant.file
    target.write_text(mutant.apply(target.read_text()))  # MutantError unless the snippet occurs once

    result = grade(GradeRequest(mutant.lesson, folder))

    scores = result.task_scores()
    lost = {task for task, (score, max_score) in scores.items() if score < max_score}
    details = {t.task: t.message for t in result.tests if t.status != "passed"}
    assert lost == mutant.breaks, f"lost points on {sorted(lost)}, expected {sorted(mutant.breaks)}: {details}"
    assert result.score < result.max_score
