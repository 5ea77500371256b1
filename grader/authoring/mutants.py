"""Typical student bugs ("mutants"): ``reference/<lesson>/mutants.toml``, read strictly.

Each mutant replaces one exact snippet (``old``, found exactly once) of a file of the lesson's
reference with ``new``, and names the tasks that must lose points (``breaks``: a bug in a
function that others call breaks its callers too); every other task must keep full marks.
A lesson's file is an array of tables::

    [[mutant]]
    id = "relu-grad-returns-bool"
    old = "return (x > 0).astype(x.dtype)"
    new = "return x > 0"
    breaks = ["relu_grad"]
    note = "a boolean array instead of the input's dtype"   # optional, one line
    file = "activations.py"                                 # optional: the lesson's own file
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

#: The keys of a mutant's table, and whether each is required.
KEYS = {"id": True, "old": True, "new": True, "breaks": True, "file": False, "note": False}
#: The name of a lesson's catalogue in its reference folder.
FILENAME = "mutants.toml"


class MutantError(ValueError):
    """A catalogue that cannot be read, or a mutant that does not apply; the message is one line."""


@dataclass(frozen=True)
class Mutant:
    """One typical bug: ``old`` -> ``new`` in ``file`` of the lesson's reference folder."""

    lesson: str
    id: str
    old: str
    new: str
    breaks: frozenset[str]
    file: str

    def apply(self, source: str) -> str:
        """``source`` (the text of :attr:`file`) with the bug: ``old`` replaced by ``new``.

        Raises :class:`MutantError` unless ``old`` occurs exactly once in ``source``."""
        count = source.count(self.old)
        if count != 1:
            raise MutantError(f"lesson '{self.lesson}': mutant '{self.id}': its snippet occurs {count} times in {self.file}, not exactly once")
        return source.replace(self.old, self.new, 1)


class LessonLike(Protocol):
    """What :func:`course_mutants` needs of a lesson (a :class:`grader.course.catalogue.Lesson`)."""

    @property
    def id(self) -> str: ...

    @property
    def filename(self) -> str: ...


def _parse_toml(path: Path, text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise MutantError(f"{path}: reading TOML on Python 3.10 needs tomli (pip install tomli)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MutantError(f"{path}: not valid TOML: {_one_line(str(error))}") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _problem(key: str, value: object) -> str | None:
    """What is wrong with ``value`` for ``key``, or None."""
    if key == "breaks":
        if not _is_str_list(value):
            return f"must be a list of task names (strings), not {_describe(value)}"
        assert isinstance(value, list)
        if not value:
            return "must name at least one task"
        if any(not item for item in value):
            return "has an empty task name"
        twice = sorted({item for item in value if value.count(item) > 1})
        return f"names {', '.join(repr(t) for t in twice)} more than once" if twice else None
    if not isinstance(value, str):
        return f"must be a string, not {_describe(value)}"
    if key in ("id", "old", "file") and not value:
        return "must not be empty"
    if key in ("id", "note") and "\n" in value:
        return "must be one line"
    if key == "file":
        parts = PurePosixPath(value).parts
        if PurePosixPath(value).is_absolute() or ".." in parts or "\\" in value:
            return "must be a path inside the lesson's folder, with forward slashes"
    return None


def _fail(path: Path, label: str, key: str, problem: str) -> MutantError:
    return MutantError(f"{path}: {label}: key '{key}': {problem}")


def _describe(value: object) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array", dict: "a table"}
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), type(value).__name__)


def load_mutants(path: Path, lesson_id: str, default_file: str) -> list[Mutant]:
    """The mutants of ``lesson_id`` listed in the TOML file ``path``, in its order; ``[]`` if
    there is no such file. A mutant without ``file`` applies to ``default_file`` (the lesson's
    module file).

    The file is read strictly: its only top-level key is ``mutant``, an array of tables with
    exactly ``id``, ``old`` (non-empty), ``new``, ``breaks`` (a non-empty list of task names),
    and optionally ``file`` and ``note`` (one line). Anything else (an unknown or missing key,
    a wrong type, an id used twice, invalid TOML) raises :class:`MutantError`, whose one-line
    message names the file, the mutant (by id, else ``#N`` counting from 1) and the key.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MutantError(f"{path}: not UTF-8 text: {error}") from None
    table = _parse_toml(path, text)
    unknown = sorted(set(table) - {"mutant"})
    if unknown:
        raise MutantError(f"{path}: key '{unknown[0]}': unknown top-level key (the only one is 'mutant', an array of tables)")
    entries = table.get("mutant", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise MutantError(f"{path}: key 'mutant': must be an array of tables ([[mutant]]), not {_describe(entries)}")
    mutants: list[Mutant] = []
    first_seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        name = entry.get("id")
        label = f"mutant '{name}'" if isinstance(name, str) and name and "\n" not in name else f"mutant #{number}"
        unknown = sorted(set(entry) - set(KEYS))
        if unknown:
            raise _fail(path, label, unknown[0], f"unknown key (expected {', '.join(KEYS)})")
        for key, required in KEYS.items():
            if key not in entry:
                if required:
                    raise _fail(path, label, key, "missing")
                continue
            problem = _problem(key, entry[key])
            if problem:
                raise _fail(path, label, key, problem)
        if entry["id"] in first_seen:
            raise _fail(path, label, "id", f"duplicate: mutant #{first_seen[entry['id']]} has the same id")
        first_seen[entry["id"]] = number
        mutants.append(
            Mutant(
                lesson=lesson_id,
                id=entry["id"],
                old=entry["old"],
                new=entry["new"],
                breaks=frozenset(entry["breaks"]),
                file=entry.get("file", default_file),
            )
        )
    return mutants


def course_mutants(root: Path, lessons: Iterable[LessonLike]) -> list[Mutant]:
    """Every lesson's mutants, lesson by lesson: ``root/<lesson id>/mutants.toml`` (``root`` is
    the course's ``reference/`` folder; a lesson without the file has none). ``lessons`` are
    objects with ``.id`` and ``.filename``, e.g. ``grader.course.catalogue.LESSONS.values()``."""
    root = Path(root)
    return [mutant for lesson in lessons for mutant in load_mutants(root / lesson.id / FILENAME, lesson.id, lesson.filename)]
