"""``docs/COURSE.md``, the course contract, kept in step with the code: its lessons table is the
catalogue, each numpy lesson's functions appear under its file's heading, the result JSON it
shows is what the grader writes, and its manifest section documents every key of
``lesson.toml`` and shows example manifests that read as the real ones."""

from __future__ import annotations

import json
import re
import sys

from conftest import REPO

from grader.core.results import GradingResult
from grader.course import manifest
from grader.course.catalogue import LESSONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

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


MANIFEST_SECTION = "## The lesson manifest (`lesson.toml`)"


def subsection(text: str, heading: str) -> str:
    start = text.index(heading)
    following = text.find("\n### ", start + len(heading))
    return text[start : following if following != -1 else None]


def test_every_manifest_key_is_documented_in_its_table():
    text = section(MANIFEST_SECTION)
    tables = {"### Top-level keys": manifest._TOP_KEYS, "### `[model]`": manifest._MODEL_KEYS, "### `[model.smoke]`": manifest._SMOKE_KEYS}
    for heading, keys in tables.items():
        rows = set(re.findall(r"^\| `(\w+)` \|", subsection(text, heading), flags=re.M))
        assert rows, f"docs/COURSE.md: no key table under {heading}"
        assert sorted(keys - rows) == [], f"docs/COURSE.md, {heading}: keys of lesson.toml not documented"
        assert sorted(rows - keys) == [], f"docs/COURSE.md, {heading}: documented keys that lesson.toml does not have"


def test_the_example_manifests_read_as_the_real_ones(tmp_path):
    examples = re.findall(r"```toml\n(.*?)\n```", section(MANIFEST_SECTION), flags=re.S)
    parsed = [tomllib.loads(example) for example in examples]
    assert {"model" in document for document in parsed} == {False, True}, "docs/COURSE.md shows a numpy and a model lesson's manifest"
    for example, document in zip(examples, parsed):
        path = tmp_path / document["id"] / manifest.MANIFEST
        path.parent.mkdir()
        path.write_text(example + "\n")
        shown = manifest.read_manifest(path)
        # the examples are the real manifests, annotated (Lesson compares every field but its folder)
        real = REPO / "reference" / shown.id / manifest.MANIFEST
        assert shown == manifest.read_manifest(real), f"docs/COURSE.md: the example {shown.id} differs from reference/{shown.id}/{manifest.MANIFEST}"
