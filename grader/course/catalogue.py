"""The course catalogue: the lessons are the folders with a ``lesson.toml`` under the course root.

An instructor's course root holds ``reference/<id>/`` (the whole lesson: manifest, solution,
checks, hidden suite); a student's holds only the released ``assignments/<id>/``, whose
``lesson.toml`` is a copy of the reference's (nothing in it is secret). The catalogue is read
from ``reference/`` where it has lessons, else from ``assignments/``
(:func:`grader.course.paths.lessons_dir`), and read again when a manifest changes. Beyond
each manifest's own checks (:mod:`grader.course.manifest`), the catalogue checks what needs
the other lessons: a module used ``from`` a lesson that does not exist or does not teach it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, MutableMapping
from pathlib import Path

from grader.course.manifest import FRAMEWORKS, MANIFEST, Lesson, ManifestError, ModelSpec, read_manifest
from grader.course.paths import lessons_dir
from grader.errors import RequestError

__all__ = ["FRAMEWORKS", "LESSONS", "Lesson", "ManifestError", "ModelSpec", "UnknownLesson", "get_lesson", "load_catalogue"]


class UnknownLesson(RequestError, LookupError):
    """A lesson id that is not in the catalogue."""

    def __init__(self, lesson_id: str):
        close = difflib.get_close_matches(lesson_id, list(LESSONS), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        super().__init__(f"unknown lesson '{lesson_id}'{hint} (grade list shows all lessons)")


def manifest_paths(folder: Path) -> list[Path]:
    """The ``lesson.toml`` of every lesson folder directly under ``folder``."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob(f"*/{MANIFEST}") if path.is_file())


def load_catalogue(folder: Path) -> dict[str, Lesson]:
    """Every lesson under ``folder``, in the manifests' ``order`` (then by id), validated
    together. Raises :class:`ManifestError` (one line) for the first fault found."""
    lessons = [read_manifest(path) for path in manifest_paths(folder)]
    lessons.sort(key=lambda lesson: (lesson.order, lesson.id))
    catalogue = {lesson.id: lesson for lesson in lessons}
    for lesson in lessons:
        for module, home in lesson.uses.items():
            path = Path(folder) / lesson.id / MANIFEST
            if home not in catalogue:
                raise ManifestError(path, f"uses.{module}", f"lesson '{home}' does not exist (lessons: {', '.join(catalogue)})")
            if catalogue[home].module != module:
                raise ManifestError(path, f"uses.{module}", f"lesson '{home}' teaches '{catalogue[home].module}', not '{module}'")
        for oracle in lesson.oracles:
            if oracle not in catalogue:
                raise ManifestError(Path(folder) / lesson.id / MANIFEST, "oracles", f"lesson '{oracle}' does not exist (lessons: {', '.join(catalogue)})")
    return catalogue


class _Catalogue(MutableMapping[str, Lesson]):
    """The current course's lessons, read again when the course root or a manifest changes.

    Setting an entry overrides that lesson in this process until it is deleted (a test's
    variant of a lesson: ``monkeypatch.setitem(LESSONS, ...)``); the manifests are never written."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._lessons: dict[str, Lesson] = {}
        self._overrides: dict[str, Lesson] = {}

    def _current(self) -> dict[str, Lesson]:
        folder = lessons_dir()
        paths = manifest_paths(folder)
        key = (str(folder), tuple((str(path), path.stat().st_mtime_ns) for path in paths))
        if key != self._key:
            self._lessons = load_catalogue(folder)
            self._key = key
        return {**self._lessons, **self._overrides} if self._overrides else self._lessons

    def __getitem__(self, lesson_id: str) -> Lesson:
        return self._current()[lesson_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __setitem__(self, lesson_id: str, lesson: Lesson) -> None:
        self._overrides[lesson_id] = lesson

    def __delitem__(self, lesson_id: str) -> None:
        del self._overrides[lesson_id]


#: ``{id: Lesson}`` of the current course, in order (a live view: see :class:`_Catalogue`).
LESSONS: MutableMapping[str, Lesson] = _Catalogue()


def get_lesson(lesson_id: str) -> Lesson:
    """The lesson called ``lesson_id``; raises :class:`UnknownLesson` with a suggestion."""
    try:
        return LESSONS[lesson_id]
    except KeyError:
        raise UnknownLesson(lesson_id) from None
