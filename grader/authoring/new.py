"""``grade new``: a working lesson folder, from a template or copied from another lesson.

A new numpy lesson (the default) has one task with its solution, one public check, one hidden
check and one typical bug, all of which ``grade validate`` exercises; a new model lesson
(``--model --dataset D``) has a runnable baseline for each framework (for a data set whose format
has a template baseline), the smoke run as its public checks and the engine's model checks as
its hidden suite. ``--from LESSON`` copies that lesson's folder under the new id. The folder is
written under the course's ``reference/`` and released to ``assignments/`` at once.
"""

from __future__ import annotations

import json
import re
import shutil
import string
from dataclasses import dataclass
from pathlib import Path

from grader.authoring.release import ReleaseError, write_assignments
from grader.course.catalogue import LESSONS, get_lesson, load_catalogue
from grader.course.manifest import MANIFEST, ManifestError, read_manifest
from grader.course.paths import PACKAGE_DIR, assignments_root, course_root, reference_root

TEMPLATES = Path(__file__).resolve().parent / "templates"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


class NewLessonError(ReleaseError):
    """A lesson that cannot be written (a bad id, an existing folder, an unknown data set)."""


@dataclass
class NewLesson:
    """What :func:`new_lesson` wrote: the lesson folder, its files, and the released folder."""

    id: str
    folder: Path
    files: list[Path]
    released: Path

    def next_steps(self) -> str:
        """What the instructor does next, in order."""
        return "\n".join(
            [
                f"Wrote {self.folder} ({len(self.files)} files) and released it to {self.released}.",
                "Next:",
                f"  1. edit {self.folder / MANIFEST} (title, tasks and points) and the solution between ### BEGIN/END SOLUTION",
                f"  2. write the public checks (test_*.py) and the hidden checks ({self.folder / 'hidden'}), one or more per task",
                f"  3. list typical bugs in {self.folder / 'mutants.toml'}",
                f"  4. grade validate {self.id:<17}# the reference earns full marks, the stubs zero, each bug loses its tasks",
                "  5. grade release                # regenerate assignments/ for students",
            ]
        )


def new_lesson(lesson_id: str, *, model: bool = False, dataset: str | None = None, source: str | None = None, title: str | None = None) -> NewLesson:
    """Write ``reference/<lesson_id>/`` (see the module docstring) and release it."""
    if not _IDENTIFIER.fullmatch(lesson_id):
        raise NewLessonError(f"'{lesson_id}' cannot be a lesson id: use lower-case letters, digits and _, starting with a letter")
    folder = reference_root() / lesson_id
    if folder.exists():
        raise NewLessonError(f"{folder} already exists: choose another id, or edit that lesson")
    if model and source:
        raise NewLessonError("--from copies a lesson as it is: leave out --model")
    if model != bool(dataset):
        raise NewLessonError("a model lesson needs --model and --dataset together (grade data list shows the data sets)")
    order = max((lesson.order for lesson in LESSONS.values()), default=0) + 1
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        if source:
            files = _copy_lesson(get_lesson(source).id, lesson_id, folder, order, title)
        else:
            values = {"lesson": lesson_id, "title": title or f"{lesson_id.replace('_', ' ').capitalize()}", "order": str(order), "module": lesson_id}
            files = _model_template(folder, values, str(dataset)) if model else _numpy_template(folder, values)
        lesson = read_manifest(folder / MANIFEST)
        load_catalogue(reference_root())
        write_assignments(lessons=[lesson])
    except (ManifestError, ReleaseError, OSError):
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return NewLesson(lesson_id, folder, files, assignments_root() / lesson_id)


def _render(template: Path, target: Path, values: dict[str, str]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(string.Template(template.read_text()).substitute(values))
    return target


def _numpy_template(folder: Path, values: dict[str, str]) -> list[Path]:
    source, module = TEMPLATES / "numpy", values["module"]
    names = {"module.py": f"{module}.py", "test_module.py": f"test_{module}.py", "hidden/test_module_hidden.py": f"hidden/test_{values['lesson']}_hidden.py"}
    return [_render(path, folder / names.get(path.relative_to(source).as_posix(), path.relative_to(source).as_posix()), values) for path in _files(source)]


def _model_template(folder: Path, values: dict[str, str], dataset: str) -> list[Path]:
    from grader.data.store import DataError, load_manifest

    try:
        manifest = load_manifest(dataset)
    except DataError as error:
        known = PACKAGE_DIR.parent / "datasets" / f"{dataset}.json"  # the engine's own course knows it
        if not known.is_file():
            raise NewLessonError(str(error)) from None
        (course_root() / "datasets").mkdir(parents=True, exist_ok=True)
        shutil.copy2(known, course_root() / "datasets" / known.name)
        manifest = load_manifest(dataset)
    baselines = TEMPLATES / "model" / manifest.format
    if not baselines.is_dir():
        formats = ", ".join(sorted(path.name for path in (TEMPLATES / "model").iterdir() if path.is_dir() and path.name != "hidden"))
        raise NewLessonError(f"no template baseline for data sets of format '{manifest.format}' (templates: {formats}); copy a lesson of that data set with --from")
    if len(manifest.classes) < 2:
        raise NewLessonError(f"the manifest of data set '{dataset}' names no classes (its \"classes\" list)")
    values = {**values, "module": "model", "dataset": dataset, "classes": json.dumps(list(manifest.classes), ensure_ascii=False)}
    source = TEMPLATES / "model"
    files = []
    for path in _files(source):
        relative = path.relative_to(source)
        if relative.parts[0] == manifest.format:
            relative = Path(*relative.parts[1:])
        elif len(relative.parts) > 1 and relative.parts[0] != "hidden":
            continue  # another format's baselines
        name = f"hidden/test_{values['lesson']}_hidden.py" if relative.as_posix() == "hidden/test_model_hidden.py" else relative.as_posix()
        files.append(_render(path, folder / name, values))
        if name == "baseline.py":  # the reference model starts as the baseline: improve it, then set the tiers
            files.append(_render(path, folder / "model.py", values))
    return files


def _copy_lesson(source: str, lesson_id: str, folder: Path, order: int, title: str | None) -> list[Path]:
    """Copy ``reference/<source>/`` as ``folder``: the manifest's id (and order, and title when
    given) rewritten, the hidden suite's file and quoted mentions of the old id in the checks
    renamed."""
    shutil.copytree(reference_root() / source, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path in sorted((folder / "hidden").glob(f"*{source}*")):  # the student's module keeps its name
        path.rename(path.with_name(path.name.replace(source, lesson_id)))
    manifest = folder / MANIFEST
    text = re.sub(r'(?m)^id\s*=\s*"[^"]*"', f'id = "{lesson_id}"', manifest.read_text())
    text = re.sub(r"(?m)^order\s*=\s*\d+", f"order = {order}", text)
    if title:
        text = re.sub(r'(?m)^title\s*=\s*"[^"]*"', f"title = {json.dumps(title)}", text)
    manifest.write_text(text)
    for path in folder.rglob("test_*.py"):
        path.write_text(path.read_text().replace(f'"{source}"', f'"{lesson_id}"').replace(f"`{source}`", f"`{lesson_id}`"))
    readme = folder / "README.md"
    if readme.is_file():
        readme.write_text(re.sub(rf"(grade \w+(?: \w+)? ){re.escape(source)}\b", rf"\g<1>{lesson_id}", readme.read_text()))
    return _files(folder)


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
