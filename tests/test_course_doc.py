"""``docs/COURSE.md``, the course contract, kept in step with the code: its lessons table is the
catalogue, each numpy lesson's functions appear under its file's heading, and the result JSON
it shows is what the grader writes."""

from __future__ import annotations

import json
import re

from conftest import REPO

from grader.lessons import LESSONS
from grader.results import GradingResult

DOC = (REPO / "docs" / "COURSE.md").read_text()


def section(heading: str) -> str:
    start = DOC.index(heading)
    following = DOC.find("\n## ", start + len(heading))
    return DOC[start : following if following != -1 else None]


def test_the_lessons_table_is_the_catalogue():
    rows = re.findall(r"^\| `(\w+)` \| `(\w+\.py)`", section("## Lessons"), flags=re.M)
    assert rows == [(lesson.id, lesson.filename) for lesson in LESSONS.values()]


def test_every_task_of_a_numpy_lesson_is_in_its_files_section():
    for lesson in LESSONS.values():
        if lesson.is_model or lesson.id == "tensors":  # tensors.py's functions are listed in its README
            continue
        text = section(f"## `{lesson.filename}`")
        named = [task.split(".")[-1] for task in lesson.tasks]
        # activations.py and losses.py: every NAME has its NAME_grad, by the convention the section states
        named = [name.removesuffix("_grad") if lesson.id in ("activations", "losses") else name for name in named]
        missing = [name for name in named if not re.search(rf"\b{re.escape(name)}\b", text)]
        assert missing == [], f"{lesson.filename}: tasks not in docs/COURSE.md: {missing}"


def test_the_result_json_it_shows_is_what_the_grader_reads_and_writes():
    shown = json.loads(re.search(r"```json\n(.*?)\n```", section("## A grading result"), flags=re.S).group(1))
    written = GradingResult.from_dict(shown).to_dict()  # the example is an excerpt: one of its tests
    assert set(written) == set(shown) and written["tests"] == shown["tests"]
    assert {key: written[key] for key in ("lesson", "submission", "student", "status")} == {key: shown[key] for key in ("lesson", "submission", "student", "status")}
