"""Where the course lives: its root, its lesson folders and their released copies.

The course root is the folder holding ``reference/`` and ``assignments/``: ``--course-root``
or ``$GRADER_COURSE_ROOT`` when set (a course repository of one's own, graded by the
installed engine), else the course packaged inside a student distribution
(``grader/_course/``), else the folder beside the package (this repository, for an
instructor's editable install). ``reference/<id>/`` is the whole lesson and is never shipped to
students; ``assignments/<id>/`` is what ``grade release`` writes from it.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: Where a student distribution carries its course (the released assignments).
PACKAGED_COURSE = PACKAGE_DIR / "_course"
#: The environment variable that points the engine at another course.
COURSE_ROOT_VARIABLE = "GRADER_COURSE_ROOT"
MANIFEST = "lesson.toml"
#: The file of a lesson's own trusted helpers for the child, in its ``hidden/`` folder.
CHILD_HELPERS = "child_helpers.py"


def course_root() -> Path:
    """The folder with ``reference/`` and ``assignments/`` (see the module docstring)."""
    configured = os.environ.get(COURSE_ROOT_VARIABLE)
    if configured:
        return Path(configured).expanduser().resolve()
    return PACKAGED_COURSE if PACKAGED_COURSE.is_dir() else PACKAGE_DIR.parent


def reference_root() -> Path:
    """``reference/``: the lesson folders (instructors only)."""
    return course_root() / "reference"


def instructor_side() -> bool:
    """Whether this is an instructor's course: it has ``reference/`` (its lesson folders), or
    nothing yet (a new course, before ``grade new``). False for a student, who has only the
    released ``assignments/``: no hidden checks, no reference."""
    return reference_root().is_dir() or not assignments_root().is_dir()


def lessons_dir() -> Path:
    """Where the catalogue's manifests are read: ``reference/`` on an instructor's side, else
    the released ``assignments/``."""
    return reference_root() if instructor_side() else assignments_root()


def reference_dir(lesson_id: str) -> Path:
    """``reference/<lesson>/``: the lesson folder (manifest, solution, checks, hidden suite)."""
    return reference_root() / lesson_id


def hidden_dir(lesson_id: str) -> Path:
    """``reference/<lesson>/hidden/``: the lesson's hidden pytest suite and child helpers."""
    return reference_dir(lesson_id) / "hidden"


def assignments_root() -> Path:
    """The released ``assignments/``."""
    return course_root() / "assignments"


def assignment_dir(lesson_id: str) -> Path:
    """``assignments/<lesson>/``: stubs, public checks, the student's README and manifest."""
    return assignments_root() / lesson_id


#: The environment variable naming the folder where the grader keeps what it computed from a
#: lesson's files (the hidden checks' inputs and the reference's answers);
#: ``off`` keeps nothing across runs.
CACHE_VARIABLE = "GRADER_CACHE_DIR"


def cache_root() -> Path | None:
    """``$GRADER_CACHE_DIR``, else ``$XDG_CACHE_HOME/nn-grader``, else ``~/.cache/nn-grader``;
    None when it is ``off``. It holds answers: only the grader reads it (the child never sees
    it, :func:`grader.core.session.answer_paths`)."""
    configured = os.environ.get(CACHE_VARIABLE)
    if configured == "off":
        return None
    if configured:
        return Path(configured).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser().resolve() / "nn-grader"
