"""The check library: what a lesson's checks import, and nothing that holds an answer.

- :mod:`grader.kit.checks` (also importable as ``grader.checks``, the name public checks use): comparisons with
  tolerances, finite differences, type and shape checks; the public checks use it too.
- :mod:`grader.kit.numeric`: seeded inputs and the standard checks of a numpy lesson's hidden
  suite (values, dtype kept, stability, vectorization, inputs left unchanged).
- :mod:`grader.kit.model_checks`: a model lesson's hidden suite (train in the sandbox under the
  budget, accuracy tiers on the test split).
- :mod:`grader.kit.child_kit`: trusted helpers run in the child beside student code.

A hidden suite finds its own lesson with :func:`this_lesson`, its lesson's child helpers
with :func:`lesson_helpers`, and the reference of a lesson it compares with (its manifest's
``oracles``) with :func:`reference_of`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from grader.course.catalogue import Lesson, get_lesson
from grader.course.paths import CHILD_HELPERS
from grader.course.references import load_reference

__all__ = ["CHILD_HELPERS", "lesson_helpers", "reference_of", "this_lesson"]


def _lesson_folder(suite_file: str | Path) -> Path:
    """The lesson folder of a file in its ``hidden/`` folder."""
    return Path(suite_file).resolve().parent.parent


def this_lesson(suite_file: str | Path) -> Lesson:
    """The lesson whose hidden suite is ``suite_file`` (pass ``__file__``)."""
    return get_lesson(_lesson_folder(suite_file).name)


def lesson_helpers(suite_file: str | Path) -> ModuleType:
    """The lesson's ``hidden/child_helpers.py`` imported in the grader's process (under a
    private name, cached), so a check computes expected values with the very functions that
    it hands to student code in the child."""
    path = Path(suite_file).resolve().parent / CHILD_HELPERS
    name = f"_grader_child_helpers_{_lesson_folder(suite_file).name}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the lesson's hidden suite needs its child helpers")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def reference_of(suite_file: str | Path, lesson_id: str) -> ModuleType:
    """The reference solution of lesson ``lesson_id``, which the manifest of the suite's lesson
    names in ``oracles`` (so that every place that grades it, Gradescope's zip too, has it)."""
    lesson = this_lesson(suite_file)
    if lesson_id not in lesson.oracles:
        raise LookupError(f"reference/{lesson.id}/lesson.toml must list '{lesson_id}' in oracles to compare with its reference")
    return load_reference(lesson_id, get_lesson(lesson_id).module)
