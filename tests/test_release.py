"""Stubs from solution markers, assignments in sync, and a student distribution without answers."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from conftest import REPO

from grader import __version__
from grader.cli import INSTRUCTOR_COMMANDS
from grader.distribution import SCRIPT_MODULES, build_student_distribution, student_modules, student_pyproject
from grader.lessons import LESSONS
from grader.paths import assignment_dir, reference_dir
from grader.release import ReleaseError, out_of_date, solution_lines, strip_solutions

SOURCE = '''import numpy as np

### BEGIN SOLUTION
def _helper(x):
    return x * 2
### END SOLUTION


def double(x):
    """Twice x: f(x) = 2x."""
    ### BEGIN SOLUTION
    return _helper(x)
    ### END SOLUTION
'''


def test_strip_solutions_replaces_blocks_and_drops_module_level_helpers():
    stub = strip_solutions(SOURCE)
    assert "_helper" not in stub
    assert '    raise NotImplementedError("double: your code here")' in stub
    assert '"""Twice x: f(x) = 2x."""' in stub
    assert "import numpy as np" in stub
    compile(stub, "stub.py", "exec")


@pytest.mark.parametrize(
    "broken, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
    ],
)
def test_unbalanced_markers_are_refused(broken, problem):
    with pytest.raises(ReleaseError, match=problem):
        strip_solutions(broken)


def test_assignments_are_in_sync_with_reference():
    assert out_of_date() == []


MARKED = [lesson for lesson in LESSONS.values() if not lesson.is_model]  # model lessons' stubs are baselines (test_models.py)


@pytest.mark.parametrize("lesson", MARKED, ids=[lesson.id for lesson in MARKED])
def test_no_solution_line_leaks_into_the_stub(lesson):
    solution = solution_lines((reference_dir(lesson.id) / lesson.filename).read_text())
    assert len(solution) > len(lesson.tasks)
    released = {line.strip() for path in assignment_dir(lesson.id).iterdir() if path.suffix == ".py" for line in path.read_text().splitlines()}
    assert released.isdisjoint(solution), sorted(released & set(solution))


def test_student_distribution_has_no_hidden_checks_or_reference(tmp_path):
    archive = build_student_distribution(tmp_path / "dist")
    names = zipfile.ZipFile(archive).namelist()
    assert any(name.endswith("grader/cli.py") for name in names)
    assert any(name.endswith("_course/assignments/activations/activations.py") for name in names)
    assert not any("hidden" in name or "reference" in name or "grading.py" in name or "release.py" in name for name in names)
    shipped = {line.strip() for name in names if name.endswith(".py") for line in zipfile.ZipFile(archive).read(name).decode().splitlines()}
    for lesson in LESSONS.values():
        solution = {line for line in solution_lines((reference_dir(lesson.id) / lesson.filename).read_text()) if len(line) > 12}
        assert shipped.isdisjoint(solution), f"{lesson.id}: solution lines shipped: {sorted(shipped & solution)[:5]}"


def test_student_distribution_runs_check_but_not_autograde(tmp_path):
    build_student_distribution(tmp_path / "dist")
    project = tmp_path / "dist" / "nn-grader-student"
    env = {**os.environ, "PYTHONPATH": str(project), "COLUMNS": "200"}  # wide enough that no message wraps
    env.pop("GRADER_COURSE_ROOT", None)

    def grade(*args):
        return subprocess.run([sys.executable, "-m", "grader", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    assert grade("start", "tensors", "mine").returncode == 0
    check = grade("check", "tensors", "mine")
    assert check.returncode == 1 and "not implemented yet" in check.stdout
    refused = grade("autograde", "tensors", "mine")
    assert refused.returncode == 2 and "student distribution has no hidden checks" in refused.stderr


@pytest.fixture(scope="module")
def distribution(tmp_path_factory):
    """The student distribution, built once: ``(zip archive, unpacked project folder)``."""
    dest = tmp_path_factory.mktemp("dist")
    archive = build_student_distribution(dest)
    return archive, dest / "nn-grader-student"


def _main_pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_student_pyproject_is_derived_from_the_main_one(distribution):
    archive, project = distribution
    main = _main_pyproject()["project"]
    generated = tomllib.loads(zipfile.ZipFile(archive).read("nn-grader-student/pyproject.toml").decode())
    assert generated == tomllib.loads((project / "pyproject.toml").read_text())
    student = generated["project"]
    assert student["dependencies"] == main["dependencies"]
    assert "pytest>=8,<10" in student["dependencies"]
    for key in ("name", "requires-python", "license", "scripts", "entry-points"):
        assert student[key] == main[key], key
    assert student["entry-points"]["pytest11"] == {"grader": "grader.plugin"}
    assert student["version"] == __version__
    assert "optional-dependencies" not in student and "dynamic" not in student
    assert generated["build-system"] == _main_pyproject()["build-system"]
    data = generated["tool"]["setuptools"]["package-data"]["grader"]
    assert data == ["_course/assignments/*/*", "_course/datasets/*"]


def test_student_pyproject_has_no_pytest_plugin_unless_the_main_one_does():
    main = _main_pyproject()
    del main["project"]["entry-points"]
    main["project"]["dependencies"].append('tomli>=1; python_version < "3.11"')
    student = tomllib.loads(student_pyproject(main))["project"]
    assert "entry-points" not in student
    assert student["dependencies"] == main["project"]["dependencies"]
    assert student["scripts"] == {"grade": "grader.cli:main"}


def test_student_pyproject_refuses_what_it_cannot_derive():
    main = _main_pyproject()
    main["project"]["dynamic"] = ["version", "dependencies"]
    with pytest.raises(ReleaseError, match="dependencies dynamic"):
        student_pyproject(main)


def _shipped_modules(archive) -> set[str]:
    prefix = "nn-grader-student/grader/"
    names = zipfile.ZipFile(archive).namelist()
    return {name[len(prefix) :] for name in names if name.startswith(prefix) and name.endswith(".py") and not name.startswith(prefix + "_course/")}


def names_of_public_check_imports() -> set[str]:
    """The files of the ``grader`` modules that the released assignments import (an ``ast`` read)."""
    found = set()
    for path in sorted(REPO.glob("assignments/*/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found |= {module.removeprefix("grader.").replace(".", "/") + ".py" for module in modules if module.startswith("grader.")}
    return found


def test_shipped_modules_are_what_the_import_walk_finds(distribution):
    archive, _ = distribution
    walked = student_modules()
    shipped = _shipped_modules(archive)
    assert shipped == set(walked)
    # entry modules, modules the CLI's student commands import lazily (submit, status, data,
    # the notebook of submit), and what those import in turn, module level or lazily
    for needed in ("__init__.py", "__main__.py", "cli.py", "plugin.py", "runner/child.py", "runner/protocol.py", "checking.py",
                   "exchange.py", "notebook.py", "report.py", "data/store.py", "data/loaders.py", "models.py", "intake.py"):  # fmt: skip
        assert needed in shipped, needed
    # what the released public checks import (the model lessons' smoke run, the numeric checks)
    assert "smoke.py" in shipped and "checks.py" in shipped
    for name in names_of_public_check_imports():
        assert name in shipped, name
    # the instructor's commands (autograde, release, validate) and the grading of hidden checks stay out
    for instructor in ("grading.py", "release.py", "validation.py", "course.py", "feedback.py", "plots.py"):
        assert instructor not in shipped, instructor
    names = zipfile.ZipFile(archive).namelist()
    assert not any("/hidden/" in name or "reference" in name for name in names)


def test_every_shipped_module_imports_in_the_distribution(distribution):
    archive, project = distribution
    modules = ["grader." + name.removesuffix(".py").replace("/", ".") for name in sorted(_shipped_modules(archive))]
    modules = [name.removesuffix(".__init__") for name in modules if name not in ("grader.__main__", *SCRIPT_MODULES)]
    script = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    module = importlib.import_module(name)\n"
        f"    assert module.__file__.startswith({str(project)!r}), module.__file__\n"
        "print('imported', len(sys.argv) - 1)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("GRADER_COURSE_ROOT", None)
    run = subprocess.run([sys.executable, "-c", script, *modules], cwd=project.parent, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert f"imported {len(modules)}" in run.stdout


def test_student_pyproject_builds_a_wheel_with_the_modules_and_the_course(distribution, tmp_path):
    pytest.importorskip("setuptools")
    archive, project = distribution
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(project)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"grader/{name}" for name in _shipped_modules(archive)} <= names
    assert "grader/_course/assignments/activations/activations.py" in names and "grader/_course/datasets/imdb.json" in names
    metadata = next(zipfile.ZipFile(wheel).read(name).decode() for name in names if name.endswith(".dist-info/METADATA"))
    assert "Requires-Dist: pytest<10,>=8" in metadata or "Requires-Dist: pytest>=8,<10" in metadata


def test_the_student_distribution_installed_in_a_fresh_venv_runs_each_of_its_commands(tmp_path):
    archive = build_student_distribution(tmp_path / "dist")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(archive)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]
    env = {key: value for key, value in os.environ.items() if key not in ("GRADER_COURSE_ROOT", "PYTHONPATH", "VIRTUAL_ENV")}
    env["COLUMNS"] = "200"

    def grade(*args):
        done = subprocess.run([str(venv / "bin" / "grade"), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert "Traceback" not in done.stdout + done.stderr, f"grade {' '.join(args)}:\n{done.stderr[-2000:]}"
        return done

    listed = grade("--help")
    assert listed.returncode == 0
    for command in ("list", "start", "check", "submit", "status", "login", "data"):
        assert f"  {command} " in listed.stdout, command
    for command in INSTRUCTOR_COMMANDS:
        assert f"  {command} " not in listed.stdout, command
        refused = grade(command, "activations")
        assert refused.returncode == 2 and refused.stderr.strip() == f"grade: error: 'grade {command}' is for instructors; the student distribution has no hidden checks"
    assert grade("list").returncode == 0
    assert grade("start", "activations").returncode == 0 and (tmp_path / "activations" / "activations.py").is_file()
    assert grade("check", "activations").returncode == 1
    assert grade("data", "list").returncode == 0
    for command in ("submit", "status", "login"):
        assert grade(command, "--help").returncode == 0
    readme = zipfile.ZipFile(archive).read("nn-grader-student/README.md").decode()
    assert "grade submit" in readme and "grade status" in readme and '"torch==2.13.0"' in readme
