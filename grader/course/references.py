"""The reference solutions of a lesson: their files, as a submission, and imported.

A lesson that uses a module taught by another lesson (the optimizers lesson's ``backprop``,
``uses`` in its manifest) takes that lesson's reference of it: one copy of each solution, and
no links in a submission.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from grader.course.catalogue import get_lesson
from grader.course.paths import reference_dir
from grader.runner.intake import SubmissionFiles, read_submission


def reference_file(lesson_id: str, module: str) -> Path:
    """The reference of ``module`` for ``lesson_id``: ``reference/<lesson>/<module>.py``, or,
    for a module the lesson uses from another lesson, that lesson's."""
    own = reference_dir(lesson_id) / f"{module}.py"
    if own.is_file():
        return own
    home = get_lesson(lesson_id).uses.get(module)
    return reference_dir(home) / f"{module}.py" if home is not None else own


def reference_submission(lesson_id: str) -> SubmissionFiles:
    """The reference solution of ``lesson_id`` as a submission: its folder's files and the
    modules it uses from other lessons (see :func:`reference_file`)."""
    lesson = get_lesson(lesson_id)
    files = read_submission(reference_dir(lesson_id), first=(lesson.filename,))
    for module in lesson.extra_modules:
        files.files.setdefault(f"{module}.py", reference_file(lesson_id, module).read_bytes())
    return files


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
