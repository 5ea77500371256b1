"""Every mutant of the catalogue loses points exactly on the tasks it breaks."""

from __future__ import annotations

import pytest
from mutants import MUTANTS  # tests/ is on sys.path (rootdir conftest)

from grader.api import GradeRequest, grade
from grader.lessons import get_lesson
from grader.paths import reference_dir


def test_catalogue_is_large_enough_and_names_real_tasks():
    assert len(MUTANTS) >= 25
    assert len({m.id for m in MUTANTS}) == len(MUTANTS)
    for mutant in MUTANTS:
        assert mutant.breaks <= set(get_lesson(mutant.lesson).tasks), mutant.id


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_loses_points_on_its_tasks_only(mutant, submission_factory):
    source = (reference_dir(mutant.lesson) / get_lesson(mutant.lesson).filename).read_text()
    assert source.count(mutant.old) == 1, f"{mutant.id}: the snippet must occur exactly once in the reference"
    folder = submission_factory(mutant.lesson, lambda text: text.replace(mutant.old, mutant.new))

    result = grade(GradeRequest(mutant.lesson, folder))

    scores = result.task_scores()
    lost = {task for task, (score, max_score) in scores.items() if score < max_score}
    details = {t.task: t.message for t in result.tests if t.status != "passed"}
    assert lost == mutant.breaks, f"lost points on {sorted(lost)}, expected {sorted(mutant.breaks)}: {details}"
    assert result.score < result.max_score
