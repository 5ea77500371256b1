"""Authoring: ``reference/<lesson>/`` -> ``assignments/<lesson>/``, and nbgrader's source folders.

A reference file marks each solution with ``### BEGIN SOLUTION`` / ``### END SOLUTION``. In the
stub, a block inside a function becomes ``raise NotImplementedError(...)``; a block at module
level (helpers of the solution) disappears. Docstrings, signatures and imports stay.
The generated files of a lesson are: the stub (or, for a file the manifest's ``[release]``
maps, a copy of another file of the folder: a model lesson's baseline), the public checks
``test_<module>.py``, the student's ``README.md``, a copy of ``lesson.toml`` (nothing in it is
secret: a student's catalogue is read from it) and a ``pytest.ini`` that lets plain ``pytest``
run the checks. Nothing else of the lesson folder is released (``hidden/``, ``mutants.toml``).
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

from grader.course.catalogue import LESSONS, Lesson
from grader.course.paths import MANIFEST, assignments_root, course_root, reference_dir
from grader.course.references import reference_file
from grader.course.stubs import stub_raise
from grader.platforms.grade_cells import lesson_notebook

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)")


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
                out.append(f"{indent}{stub_raise(current or 'this')}")
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
    missing = [name for name in (*lesson.release.values(), checks, "README.md") if not (source_dir / name).is_file()]
    if lesson.filename not in lesson.release and not (source_dir / lesson.filename).is_file():
        missing.insert(0, lesson.filename)
    if missing:
        raise ReleaseError(f"{source_dir}: {', '.join(missing)} missing (the lesson folder needs its solution, public checks and README)")
    if lesson.release:
        stubs = {name: _released_copy(source_dir / source) for name, source in lesson.release.items()}
    else:
        solution = (source_dir / lesson.filename).read_text()
        stubs = {lesson.filename: strip_solutions(solution, str(source_dir / lesson.filename))}
    files = {
        **stubs,
        checks: (source_dir / checks).read_text(),
        "README.md": (source_dir / "README.md").read_text(),
        MANIFEST: (source_dir / MANIFEST).read_text(),
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


def _released_copy(path: Path) -> str:
    """A ``[release]`` source as released: stripped of its solutions where it has solution
    blocks (one reference per framework), else as it is (a model lesson's baseline)."""
    text = path.read_text()
    return strip_solutions(text, str(path)) if BEGIN in text else text


def write_assignments(root: Path | None = None, lessons: list[Lesson] | None = None) -> list[Path]:
    """Regenerate ``assignments/`` from ``reference/`` (every lesson, or ``lessons``); remove
    files no longer generated. Returns the paths written or removed.
    """
    root = Path(root) if root else course_root() / "assignments"
    touched = []
    for lesson in LESSONS.values() if lessons is None else lessons:
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


def write_sources(course_dir: Path, lessons: list[Lesson] | None = None) -> list[Path]:
    """Write ``source/<lesson>/`` (stubs and notebook) for each lesson; returns the folders."""
    import nbformat

    folders = []
    for lesson in lessons or list(LESSONS.values()):
        folder = Path(course_dir) / "source" / lesson.id
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in lesson_files(lesson).items():
            if name.endswith(".py") and not name.startswith("test_"):
                (folder / name).write_text(content)
        nbformat.write(lesson_notebook(lesson), str(folder / f"{lesson.id}.ipynb"))
        folders.append(folder)
    return folders


def config_lines(lessons: list[Lesson] | None = None) -> str:
    """The ``nbgrader_config.py`` line that keeps nbgrader autograde from copying the stubs over
    the students' files."""
    keep = {lesson.id: [f"{module}.py" for module in lesson.modules] for lesson in lessons or LESSONS.values()}
    return f"c.Autograde.exclude_overwriting = {keep!r}\n"
