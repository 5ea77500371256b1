"""The mutant catalogues (``reference/<lesson>/mutants.toml``, :mod:`grader.mutants`): read
strictly with one-line errors, applied only where the snippet occurs once; and the course's."""

from __future__ import annotations

import pytest

from grader.authoring.mutants import Mutant, MutantError, course_mutants, load_mutants
from grader.course.catalogue import LESSONS, get_lesson
from grader.course.paths import course_root

VALID = """\
# Typical bugs of a lesson.

[[mutant]]
id = "off-by-one"
old = "x = 1"
new = "x = 2"
breaks = ["f"]
note = "one too many"

[[mutant]]
id = "two-lines"
old = '''
if a:
    return "b"\\n
'''
new = ""
breaks = ["f", "g"]
file = "other.py"
"""

ENTRY = '[[mutant]]\nid = "a"\nold = "x = 1"\nnew = "x = 2"\nbreaks = ["f"]\n'


def write(tmp_path, text: str):
    path = tmp_path / "mutants.toml"
    path.write_text(text)
    return path


def test_a_valid_file_round_trips(tmp_path):
    mutants = load_mutants(write(tmp_path, VALID), "lesson", "lesson.py")

    assert mutants == [
        Mutant("lesson", "off-by-one", "x = 1", "x = 2", frozenset({"f"}), "lesson.py"),
        Mutant("lesson", "two-lines", 'if a:\n    return "b"\\n\n', "", frozenset({"f", "g"}), "other.py"),
    ]


def test_a_missing_file_has_no_mutants(tmp_path):
    assert load_mutants(tmp_path / "mutants.toml", "lesson", "lesson.py") == []


@pytest.mark.parametrize(
    ("text", "where", "key"),
    [
        (ENTRY + 'bug = "x"\n', "mutant 'a'", "bug"),
        (ENTRY.replace('breaks = ["f"]\n', ""), "mutant 'a'", "breaks"),
        (ENTRY.replace('"x = 1"', "3"), "mutant 'a'", "old"),
        (ENTRY.replace('"x = 1"', '""'), "mutant 'a'", "old"),
        (ENTRY.replace('["f"]', "[]"), "mutant 'a'", "breaks"),
        (ENTRY.replace('id = "a"\n', ""), "mutant #1", "id"),
        (ENTRY + "\n" + ENTRY, "mutant 'a'", "id"),
        ('title = "bugs"\n' + ENTRY, "", "title"),
    ],
    ids=["unknown-key", "missing-breaks", "old-not-a-string", "empty-old", "empty-breaks", "missing-id", "duplicate-id", "unknown-top-level-key"],
)
def test_a_fault_is_one_line_naming_the_file_the_mutant_and_the_key(tmp_path, text, where, key):
    path = write(tmp_path, text)

    with pytest.raises(MutantError) as raised:
        load_mutants(path, "lesson", "lesson.py")

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {where}: key '{key}': " if where else f"{path}: key '{key}': "), message


def test_a_toml_syntax_error_is_one_line_naming_the_file(tmp_path):
    path = write(tmp_path, ENTRY.replace('"x = 2"', '"x = 2'))

    with pytest.raises(MutantError) as raised:
        load_mutants(path, "lesson", "lesson.py")

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: not valid TOML: ") and "line 4" in message, message


@pytest.mark.parametrize(("source", "count"), [("y = 1\n", 0), ("x = 1\nx = 1\n", 2)])
def test_apply_refuses_a_snippet_not_found_exactly_once(source, count):
    mutant = Mutant("lesson", "off-by-one", "x = 1", "x = 2", frozenset({"f"}), "lesson.py")

    with pytest.raises(MutantError, match=f"lesson 'lesson': mutant 'off-by-one': .* {count} times in lesson.py"):
        mutant.apply(source)
    assert mutant.apply("a\nx = 1\nb\n") == "a\nx = 2\nb\n"


def test_every_mutant_of_the_course_applies_once_and_names_tasks_of_its_lesson():
    root = course_root() / "reference"
    mutants = course_mutants(root, LESSONS.values())

    assert len(mutants) >= 25
    assert len({m.id for m in mutants}) == len(mutants)
    for mutant in mutants:
        mutant.apply((root / mutant.lesson / mutant.file).read_text())  # MutantError unless once
        assert mutant.breaks <= set(get_lesson(mutant.lesson).tasks), mutant.id
