"""Authoring: ``reference/<lesson>/`` -> ``assignments/<lesson>/`` and the student distribution.

A reference file marks each solution with ``### BEGIN SOLUTION`` / ``### END SOLUTION``. In the
stub, a block inside a function becomes ``raise NotImplementedError(...)``; a block at module
level (helpers of the solution) disappears. Docstrings, signatures and imports stay.
The generated files of a lesson are: the stub, the public checks ``test_<module>.py``, the
student's ``README.md`` and a ``pytest.ini`` that lets plain ``pytest`` run the checks.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

from grader import __version__
from grader.lessons import LESSONS, Lesson
from grader.paths import PACKAGE_DIR, assignments_root, course_root, reference_dir, reference_file

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)")

#: What of the ``grader`` package a student receives: the CLI, public-check machinery, no
#: hidden suites, no grading of hidden checks, no release tooling.
STUDENT_MODULES = (
    "__init__.py", "__main__.py", "cli.py", "lessons.py", "paths.py", "results.py", "checks.py",
    "plugin.py", "suite.py", "checking.py", "report.py", "runner/__init__.py",
    "runner/protocol.py", "runner/proxy.py", "runner/child.py", "runner/sandbox.py", "runner/zygote.py", "exchange.py", "notebook.py",
    "models.py", "smoke.py", "data/__init__.py", "data/store.py", "data/loaders.py",
)  # fmt: skip


#: A model lesson's stubs are its baselines, complete and runnable (no markers):
#: ``{released name: file in reference/<lesson>/}``.
MODEL_STUBS = {"model.py": "baseline.py", "model_keras.py": "baseline_keras.py"}


class ReleaseError(ValueError):
    """A reference file whose solution markers do not pair up."""


def strip_solutions(source: str, filename: str = "<source>") -> str:
    """The stub of ``source``: every solution block replaced (see the module docstring)."""
    out: list[str] = []
    inside_since = None
    current = top = None
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside_since is not None:
                raise ReleaseError(f"{filename}, line {number}: {BEGIN} inside another solution (opened line {inside_since})")
            inside_since = number
            indent = line[: len(line) - len(line.lstrip())]
            if indent:
                out.append(f'{indent}raise NotImplementedError("{current or "this"}: your code here")')
            continue
        if marker == END:
            if inside_since is None:
                raise ReleaseError(f"{filename}, line {number}: {END} without {BEGIN}")
            inside_since = None
            continue
        if inside_since is None:
            match = _DEF.match(line)
            if match:
                if not line[0].isspace():
                    top = current = match.group(1)
                else:
                    current = f"{top}.{match.group(1)}"
            out.append(line)
    if inside_since is not None:
        raise ReleaseError(f"{filename}: {BEGIN} on line {inside_since} is never closed")
    return _squeeze_blank_lines("\n".join(out)) + "\n"


def solution_lines(source: str) -> list[str]:
    """The code lines inside solution blocks (stripped, non-empty): what must never leak."""
    lines, inside = [], False
    for line in source.splitlines():
        marker = line.strip()
        if marker in (BEGIN, END):
            inside = marker == BEGIN
        elif inside and marker and not marker.startswith("#"):
            lines.append(marker)
    return lines


def _squeeze_blank_lines(text: str) -> str:
    return re.sub(r"\n{4,}", "\n\n\n", text).rstrip("\n")


def lesson_files(lesson: Lesson) -> dict[str, str]:
    """The generated files of ``lesson``: ``{name: content}``."""
    source_dir = reference_dir(lesson.id)
    checks = f"test_{lesson.module}.py"
    if lesson.is_model:
        stubs = {name: (source_dir / baseline).read_text() for name, baseline in MODEL_STUBS.items() if (source_dir / baseline).is_file()}
    else:
        solution = (source_dir / lesson.filename).read_text()
        stubs = {lesson.filename: strip_solutions(solution, str(source_dir / lesson.filename))}
    files = {
        **stubs,
        checks: (source_dir / checks).read_text(),
        "README.md": (source_dir / "README.md").read_text(),
        "pytest.ini": textwrap.dedent(
            f"""\
            # Lets `pytest` in this folder run the public checks (`grade check {lesson.id}` does the same).
            [pytest]
            grader_lesson = {lesson.id}
            addopts = -p no:cacheprovider
            """
        ),
    }
    for module in lesson.extra_modules:
        source = reference_file(lesson.id, module)
        files[f"{module}.py"] = strip_solutions(source.read_text(), str(source))
    if BEGIN in files[checks] or END in files[checks]:
        raise ReleaseError(f"{checks} of '{lesson.id}' must not contain solution markers")
    return files


def write_assignments(root: Path | None = None) -> list[Path]:
    """Regenerate ``assignments/`` from ``reference/``; remove files no longer generated.

    Returns the paths written or removed.
    """
    root = Path(root) if root else course_root() / "assignments"
    touched = []
    for lesson in LESSONS.values():
        folder = root / lesson.id
        folder.mkdir(parents=True, exist_ok=True)
        files = lesson_files(lesson)
        for name, content in files.items():
            path = folder / name
            if not path.exists() or path.read_text() != content:
                path.write_text(content)
                touched.append(path)
        for path in folder.iterdir():
            if path.name not in files:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
                touched.append(path)
    return touched


def out_of_date(root: Path | None = None) -> list[str]:
    """Human-readable differences between ``assignments/`` and what ``reference/`` generates."""
    root = Path(root) if root else assignments_root()
    problems = []
    for lesson in LESSONS.values():
        folder = root / lesson.id
        files = lesson_files(lesson)
        for name, content in files.items():
            path = folder / name
            if not path.exists():
                problems.append(f"{lesson.id}/{name} is missing")
            elif path.read_text() != content:
                problems.append(f"{lesson.id}/{name} differs from what reference/{lesson.id} generates")
        if folder.is_dir():
            problems += [f"{lesson.id}/{p.name} is not generated from reference/" for p in folder.iterdir() if p.name not in files and p.name != "__pycache__"]
    return problems


def build_student_distribution(dest: Path) -> Path:
    """Write the student distribution to ``dest``: an installable project with the ``grade`` CLI,
    the public checks and the stubs, and a zip of it. No hidden checks, no reference code.

    Returns the path of the zip archive.
    """
    dest = Path(dest)
    project = dest / "nn-grader-student"
    if project.exists():
        shutil.rmtree(project)
    package = project / "grader"
    for name in STUDENT_MODULES:
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PACKAGE_DIR / name, target)
    assignments = package / "_course" / "assignments"
    for lesson in LESSONS.values():
        folder = assignments / lesson.id
        folder.mkdir(parents=True)
        for name, content in lesson_files(lesson).items():
            (folder / name).write_text(content)
    manifests = package / "_course" / "datasets"
    manifests.mkdir(parents=True)
    for manifest in sorted((course_root() / "datasets").glob("*.json")):
        shutil.copy2(manifest, manifests / manifest.name)
    (project / "pyproject.toml").write_text(_STUDENT_PYPROJECT.format(version=__version__))
    (project / "README.md").write_text(_STUDENT_README)
    archive = shutil.make_archive(str(dest / f"nn-grader-student-{__version__}"), "zip", project.parent, project.name)
    return Path(archive)


_STUDENT_PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "nn-grader-student"
version = "{version}"
description = "The course's `grade` command for students: lessons, stubs and public checks."
requires-python = ">=3.10"
dependencies = ["numpy>=1.26", "scipy>=1.11", "click>=8.1", "rich>=13", "pytest>=8", "nbformat>=5.9"]

[project.scripts]
grade = "grader.cli:main"

[project.entry-points.pytest11]
grader = "grader.plugin"

[tool.setuptools.packages.find]
include = ["grader*"]

[tool.setuptools.package-data]
grader = ["_course/assignments/*/*", "_course/datasets/*"]
"""

_STUDENT_README = """\
# The course's `grade` command

    pip install nn-grader-student-*.zip
    grade list                     # lessons, tasks and points
    grade start activations        # copy the stubs into ./activations
    grade check activations        # run the public checks on ./activations
    grade data fetch fashion_mnist # the data set of a model lesson (or: grade data import)

The model lessons (fashion_mnist, imdb) need PyTorch or TensorFlow/Keras, which you install
yourself (pip install torch, or pip install tensorflow).
"""
