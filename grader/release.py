"""Authoring: ``reference/<lesson>/`` -> ``assignments/<lesson>/`` and the student distribution.

A reference file marks each solution with ``### BEGIN SOLUTION`` / ``### END SOLUTION``. In the
stub, a block inside a function becomes ``raise NotImplementedError(...)``; a block at module
level (helpers of the solution) disappears. Docstrings, signatures and imports stay.
The generated files of a lesson are: the stub, the public checks ``test_<module>.py``, the
student's ``README.md`` and a ``pytest.ini`` that lets plain ``pytest`` run the checks.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import sys
import textwrap
from pathlib import Path

from grader import __version__
from grader.lessons import LESSONS, Lesson
from grader.notebook import lesson_notebook
from grader.paths import PACKAGE_DIR, assignments_root, course_root, reference_dir, reference_file
from grader.stubs import stub_raise

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)")

#: Where the student distribution's import walk starts (:func:`student_modules`), besides the
#: ``[project.scripts]`` and entry points of the main ``pyproject.toml`` (``grade``, the pytest
#: plugin): the package itself, ``python -m grader``, and the sandbox's child, which is run by path.
STUDENT_ENTRY_MODULES = ("grader", "grader.__main__", "grader.runner.child")
#: Entry modules that run as scripts: their plain ``import x`` may name a module beside them.
SCRIPT_MODULES = ("grader.runner.child",)
#: A function of the CLI whose body calls this is an instructor's command: the walk skips it.
INSTRUCTOR_GUARD = "_instructor_only"
#: What grades the hidden checks: a module that imports one of these at module level (itself or
#: through its own module-level imports) is never shipped; a lazy import of it is an instructor's path.
HIDDEN_MARKERS = ("grader.hidden", "grader.paths.hidden_dir")
#: Files the student distribution ships besides its modules, under ``grader/``.
STUDENT_PACKAGE_DATA = ["_course/assignments/*/*", "_course/datasets/*"]
#: ``[project]`` keys of the main pyproject that the student's does not take over as they are.
_NOT_INHERITED = ("name", "version", "dynamic", "description", "readme", "optional-dependencies")
#: ``[project]`` keys whose tables are written as sections (the others' tables inline).
_PROJECT_SECTIONS = ("scripts", "gui-scripts", "entry-points", "urls")
STUDENT_DESCRIPTION = "The course's `grade` command for students: lessons, stubs and public checks."


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


def main_pyproject() -> dict:
    """The grader's own ``pyproject.toml`` (beside the package), parsed."""
    path = PACKAGE_DIR.parent / "pyproject.toml"
    if not path.is_file():
        raise ReleaseError(f"no {path}: build the student distribution from a checkout of the grader")
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise ReleaseError("reading pyproject.toml on Python 3.10 needs tomli (pip install tomli)") from None
    return tomllib.loads(path.read_text())


def student_pyproject(main: dict | None = None) -> str:
    """The student distribution's ``pyproject.toml``, derived from the main one: its name,
    requires-python, license, base ``dependencies`` (pins included), scripts and entry points;
    no optional (instructor) extras; setuptools packaging of ``grader*`` with the course's files."""
    main = main_pyproject() if main is None else main
    project = main["project"]
    backend = main.get("build-system", {}).get("build-backend")
    if backend != "setuptools.build_meta":
        raise ReleaseError(f"the student pyproject.toml is written for setuptools, but the main one builds with {backend!r}")
    dynamic = [field for field in project.get("dynamic", []) if field != "version"]
    if dynamic:
        raise ReleaseError(f"cannot derive the student pyproject.toml: {', '.join(dynamic)} dynamic in the main one")
    student = {
        "name": project["name"],
        "version": project.get("version", __version__),
        "description": STUDENT_DESCRIPTION,
        "readme": "README.md",
        **{key: value for key, value in project.items() if key not in _NOT_INHERITED},
    }
    find = main.get("tool", {}).get("setuptools", {}).get("packages", {}).get("find", {"include": ["grader*"]})
    document = {
        "build-system": main["build-system"],
        "project": student,
        "tool": {"setuptools": {"packages": {"find": find}, "package-data": {"grader": STUDENT_PACKAGE_DATA}}},
    }
    header = "# Generated by grader.release from the grader's pyproject.toml: edit that one, not this.\n"
    return header + _toml(document)


def _toml(document: dict) -> str:
    lines: list[str] = []

    def table(path: tuple[str, ...], content: dict) -> None:
        inline = {key: value for key, value in content.items() if not isinstance(value, dict) or (path == ("project",) and key not in _PROJECT_SECTIONS)}
        if path and (inline or len(inline) == len(content)):
            lines.extend(["", f"[{'.'.join(_toml_key(part) for part in path)}]"])
        lines.extend(f"{_toml_key(key)} = {_toml_value(value)}" for key, value in inline.items())
        for key, value in content.items():
            if key not in inline:
                table((*path, key), value)

    table((), document)
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(key)} = {_toml_value(item)}" for key, item in value.items()) + " }" if value else "{}"
    raise ReleaseError(f"cannot write {value!r} into the student pyproject.toml")


def student_modules(main: dict | None = None, released: dict[str, dict[str, str]] | None = None) -> list[str]:
    """The files of the ``grader`` package that the student distribution ships (paths relative to
    the package), found by walking the ``grader`` imports of its entry modules
    (:data:`STUDENT_ENTRY_MODULES` and the main pyproject's scripts and entry points) and of the
    released lessons' files (``released``: ``{lesson: {name: content}}``, default every lesson's
    :func:`lesson_files`; their public checks import ``grader.checks``, ``grader.smoke``...),
    module-level and lazy imports alike, and stopping at the instructor's code: the CLI's commands
    guarded by :data:`INSTRUCTOR_GUARD` and whatever grades the hidden checks (:data:`HIDDEN_MARKERS`).
    Raises :class:`ReleaseError` when a shipped module needs the hidden checks at import time.
    """
    main = main_pyproject() if main is None else main
    released = {lesson.id: lesson_files(lesson) for lesson in LESSONS.values()} if released is None else released
    project = main["project"]
    targets = [*project.get("scripts", {}).values(), *project.get("gui-scripts", {}).values()]
    targets += [target for group in project.get("entry-points", {}).values() for target in group.values()]
    roots: list[tuple[str, str | None]] = [(name, None) for name in (*STUDENT_ENTRY_MODULES, *(target.split(":")[0].strip() for target in targets))]
    for lesson_id, files in released.items():
        for name, content in files.items():
            if name.endswith(".py"):
                where = f"assignments/{lesson_id}/{name}"
                visitor = _Imports([], script=False)
                visitor.visit(ast.parse(content, where))
                roots += [(module, where) for module, _ in visitor.modules]
    return _ImportWalk().run(roots)


class _ImportWalk:
    """The ``grader`` modules reached from entry modules (see :func:`student_modules`)."""

    def __init__(self):
        self._imports: dict[str, tuple[list[tuple[str, bool]], set[str]]] = {}
        self._hidden: dict[str, str | None] = {}

    def run(self, roots: list[tuple[str, str | None]]) -> list[str]:
        """The files of the modules reached from ``roots`` (``(module, who imports it)``)."""
        shipped: dict[str, Path] = {}
        queue = list(reversed(roots))
        while queue:
            name, importer = queue.pop()
            if name in shipped:
                continue
            path = _module_file(name)
            if path is None:
                raise ReleaseError(f"{importer or 'the student distribution'} imports {name}, which is not a module of the grader")
            why = self.needs_hidden(name)
            if why:
                raise ReleaseError(f"{importer or 'the student distribution'} imports {name} at module level, but {why}; the student distribution has no hidden checks")
            shipped[name] = path
            modules, _ = self.imports(name)
            for module, lazy in modules:
                if lazy and self.needs_hidden(module):
                    continue  # an instructor's path: grading the hidden checks
                queue.append((module, name))
        return sorted(path.relative_to(PACKAGE_DIR).as_posix() for path in shipped.values())

    def imports(self, name: str) -> tuple[list[tuple[str, bool]], set[str]]:
        """``([(grader module, imported lazily?)], {names imported at module level})``."""
        if name not in self._imports:
            path = _module_file(name)
            parts = name.split(".")
            visitor = _Imports(parts if path is not None and path.name == "__init__.py" else parts[:-1], name in SCRIPT_MODULES)
            if path is not None:
                visitor.visit(ast.parse(path.read_text(), str(path)))
            parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
            self._imports[name] = ([(parent, False) for parent in parents] + visitor.modules, visitor.names)
        return self._imports[name]

    def needs_hidden(self, name: str) -> str | None:
        """Why importing ``name`` needs the hidden checks (None when it does not)."""
        if name not in self._hidden:
            self._hidden[name] = None  # an import cycle does not make a module hidden
            marker = next((m for m in HIDDEN_MARKERS if name == m or name.startswith(m + ".")), None)
            if marker:
                self._hidden[name] = f"{name} is the hidden checks"
            else:
                modules, names = self.imports(name)
                marker = next((m for m in HIDDEN_MARKERS for n in names if n == m or n.startswith(m + ".")), None)
                if marker:
                    self._hidden[name] = f"{name} imports {marker}"
                else:
                    self._hidden[name] = next((self.needs_hidden(module) for module, lazy in modules if not lazy and self.needs_hidden(module)), None)
        return self._hidden[name]


def _module_file(name: str) -> Path | None:
    """``grader.a.b`` -> ``grader/a/b.py`` or ``grader/a/b/__init__.py``; None when no such file."""
    parts = name.split(".")
    if parts[0] != "grader" or not all(part.isidentifier() for part in parts):
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for path in (base / "__init__.py", base.with_name(base.name + ".py")):
        if path.is_file():
            return path
    return None


class _Imports(ast.NodeVisitor):
    """The ``grader`` imports of one module: lazy when inside a function; the CLI's instructor
    commands (calling :data:`INSTRUCTOR_GUARD`) and ``if TYPE_CHECKING:`` blocks left out."""

    def __init__(self, package: list[str], script: bool):
        self.package = package  # the package a relative import starts from
        self.script = script
        self.depth = 0
        self.modules: list[tuple[str, bool]] = []
        self.names: set[str] = set()  # dotted names imported at module level (modules and their attributes)

    def _add(self, module: str, attribute: str | None = None) -> None:
        if attribute and _module_file(f"{module}.{attribute}"):
            module, attribute = f"{module}.{attribute}", None
        self.modules.append((module, self.depth > 0))
        if self.depth == 0:
            self.names.add(f"{module}.{attribute}" if attribute else module)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        calls = (call.func for call in ast.walk(node) if isinstance(call, ast.Call))
        if any(isinstance(func, ast.Name) and func.id == INSTRUCTOR_GUARD for func in calls):
            return
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = alias.name
            if self.script and name.split(".")[0] != "grader" and _module_file(".".join([*self.package, name])):
                name = ".".join([*self.package, name])  # a script's sibling (its folder is on sys.path)
            if name.split(".")[0] == "grader":
                self._add(name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package[: len(self.package) - (node.level - 1)] if node.level > 1 else self.package
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        if module.split(".")[0] != "grader":
            return
        for alias in node.names:
            self._add(module, None if alias.name == "*" else alias.name)


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
    main = main_pyproject()
    released = {lesson.id: lesson_files(lesson) for lesson in LESSONS.values()}
    for name in student_modules(main, released):
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PACKAGE_DIR / name, target)
    assignments = package / "_course" / "assignments"
    for lesson_id, files in released.items():
        folder = assignments / lesson_id
        folder.mkdir(parents=True)
        for name, content in files.items():
            (folder / name).write_text(content)
    manifests = package / "_course" / "datasets"
    manifests.mkdir(parents=True)
    for manifest in sorted((course_root() / "datasets").glob("*.json")):
        shutil.copy2(manifest, manifests / manifest.name)
    (project / "pyproject.toml").write_text(student_pyproject(main))
    (project / "README.md").write_text(_STUDENT_README)
    archive = shutil.make_archive(str(dest / f"nn-grader-student-{__version__}"), "zip", project.parent, project.name)
    return Path(archive)


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


# -- nbgrader: each lesson as an nbgrader source assignment ---------------------------------
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
