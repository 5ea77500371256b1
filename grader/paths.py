"""Where the course lives: reference solutions, generated assignments and hidden suites.

The course root is the folder holding ``reference/`` and ``assignments/`` (the repository for
an instructor's editable install), or ``$GRADER_COURSE_ROOT`` when set. A student
distribution carries its assignments inside the package, under ``grader/_course/``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def course_root() -> Path:
    """The folder with ``reference/`` and ``assignments/``."""
    configured = os.environ.get("GRADER_COURSE_ROOT")
    return Path(configured).resolve() if configured else PACKAGE_DIR.parent


def reference_dir(lesson_id: str) -> Path:
    """``reference/<lesson>/``: the solution with its markers, public checks and README."""
    return course_root() / "reference" / lesson_id


def reference_file(lesson_id: str, module: str) -> Path:
    """The reference of ``module`` for ``lesson_id``: ``reference/<lesson>/<module>.py``, or,
    for a module the lesson takes from the lesson that teaches it (the optimizers lesson's
    ``backprop``), that lesson's: one copy of each solution, and no links in a submission."""
    own = reference_dir(lesson_id) / f"{module}.py"
    if own.is_file():
        return own
    from grader.lessons import LESSONS

    home = next((lesson for lesson in LESSONS.values() if lesson.module == module), None)
    return reference_dir(home.id) / f"{module}.py" if home is not None else own


def reference_submission(lesson_id: str):
    """The reference solution of ``lesson_id`` as a submission (a
    :class:`grader.intake.SubmissionFiles`): its folder's files and the modules it takes
    from earlier lessons (see :func:`reference_file`)."""
    from grader.intake import read_submission
    from grader.lessons import get_lesson

    lesson = get_lesson(lesson_id)
    files = read_submission(reference_dir(lesson_id), first=(lesson.filename,))
    for module in lesson.extra_modules:
        files.files.setdefault(f"{module}.py", reference_file(lesson_id, module).read_bytes())
    return files


def assignments_root() -> Path:
    """The generated ``assignments/`` (packaged copy first, for the student distribution)."""
    packaged = PACKAGE_DIR / "_course" / "assignments"
    return packaged if packaged.is_dir() else course_root() / "assignments"


def assignment_dir(lesson_id: str) -> Path:
    """``assignments/<lesson>/``: stubs, public checks and the student's README."""
    return assignments_root() / lesson_id


def hidden_dir(lesson_id: str) -> Path:
    """``grader/hidden/<lesson>/``: the hidden pytest suite of a lesson."""
    return PACKAGE_DIR / "hidden" / lesson_id


def has_hidden_suites() -> bool:
    """False in the student distribution, which ships no hidden checks."""
    return (PACKAGE_DIR / "hidden").is_dir()


def load_reference(lesson_id: str, module: str):
    """Import the reference of ``module`` (:func:`reference_file`) under a private name (cached)."""
    name = f"_grader_reference_{lesson_id}_{module}"
    if name in sys.modules:
        return sys.modules[name]
    path = reference_file(lesson_id, module)
    if not path.is_file():
        raise FileNotFoundError(f"reference solution {path} is missing (is this the student distribution?)")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the reference solution {path}")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded
