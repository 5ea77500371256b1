"""Gradescope's autograder zip (``grade release --gradescope``), run as Gradescope would run it.

The zip is built, unpacked into a temporary root laid out like ``/autograder``, installed by its
own ``setup.sh`` (a fresh virtual environment, pip from the package registry), and its
``run_autograder`` grades a correct, a stub and a half-correct submission of a numpy lesson.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_autograder  # tests/ is on sys.path (rootdir conftest)

from grader.cli import main
from grader.core.results import GradingResult, TestResult
from grader.course.catalogue import LESSONS, get_lesson
from grader.course.paths import assignment_dir, hidden_dir, reference_dir
from grader.platforms.gradescope import GRADER_FAULT_OUTPUT, autograder_results
from grader.reports.exports import GRADESCOPE_VISIBILITY

LESSON = "activations"
#: The keys of Gradescope's results.json that the autograder writes, at the top and per test.
TOP_KEYS = {"score", "output", "visibility", "stdout_visibility", "tests"}
TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"}


def build(tmp_path: Path, *extra: str, lesson: str = LESSON) -> Path:
    run = CliRunner().invoke(main, ["release", "--gradescope", lesson, "--out", str(tmp_path / "out"), *extra])
    assert run.exit_code == 0, run.output
    return tmp_path / "out" / f"autograder-{lesson}.zip"


def wheel_of(archive: Path) -> dict[str, bytes]:
    """The files of the engine's wheel in the autograder zip ``archive``: ``{name: content}``."""
    with zipfile.ZipFile(archive) as zipped:
        (wheel,) = [name for name in zipped.namelist() if name.startswith("wheels/") and name.endswith(".whl")]
        with zipfile.ZipFile(io.BytesIO(zipped.read(wheel))) as packaged:
            return {name: packaged.read(name) for name in packaged.namelist()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A root like Gradescope's ``/autograder`` with the zip unpacked into ``source/`` and
    installed by ``setup.sh``: ``(root, environment)``."""
    tmp_path = tmp_path_factory.mktemp("gradescope")
    archive = build(tmp_path)
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(root / "source")
        for info in zipped.infolist():  # zipfile drops the mode bits; Gradescope's unzip keeps them
            mode = info.external_attr >> 16
            if mode:
                os.chmod(root / "source" / info.filename, mode & 0o777)
    environment = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root)}
    for name in ("GRADER_COURSE_ROOT", "VIRTUAL_ENV", "PYTHONPATH"):
        environment.pop(name, None)
    environment["PATH"] = os.pathsep.join(p for p in environment["PATH"].split(os.pathsep) if not p.startswith(str(Path(sys.prefix))))
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=environment, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert (root / "venv" / "bin" / "grade").is_file(), "setup.sh did not install the grade command into its venv"
    return root, environment


def check_schema(results: dict) -> None:
    assert TOP_KEYS <= set(results), set(results)
    assert results["visibility"] in GRADESCOPE_VISIBILITY
    for test in results["tests"]:
        assert TEST_KEYS <= set(test), set(test)
        assert test["status"] in ("passed", "failed") and 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
    assert results["score"] == pytest.approx(sum(test["score"] for test in results["tests"]))


def test_the_zip_holds_the_scripts_at_its_root_and_nothing_of_other_lessons(tmp_path):
    archive = build(tmp_path)
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in zipped.infolist()}
    assert {"setup.sh", "run_autograder"} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111, "the scripts must be executable"
    assert all(name.startswith(("wheels/", f"course/reference/{LESSON}/", f"course/assignments/{LESSON}/", "setup.sh", "run_autograder")) for name in names), names
    suite = {path.relative_to(hidden_dir(LESSON)).as_posix() for path in hidden_dir(LESSON).rglob("*.py") if "__pycache__" not in path.parts}
    assert suite and {name.removeprefix(f"course/reference/{LESSON}/hidden/") for name in names if name.startswith(f"course/reference/{LESSON}/hidden/")} == suite
    packaged = wheel_of(archive)
    assert "grader/cli/commands.py" in packaged and "grader/core/suite.ini" in packaged
    assert not any(name.startswith(("grader/hidden/", "grader/_course/")) or "reference" in name.split("/") for name in packaged), "the engine's wheel holds no lesson"
    hidden_suites = {path.name for lesson in LESSONS for path in hidden_dir(lesson).glob("*.py")}
    assert not any(name.split("/")[-1] in hidden_suites and name.split("/")[-1].startswith("test_") for name in packaged)


def test_the_engine_wheel_is_the_same_for_every_lesson(tmp_path):
    activations = wheel_of(build(tmp_path / "activations"))
    other = wheel_of(build(tmp_path / "optimizers", lesson="optimizers"))
    assert sorted(activations) == sorted(other)
    assert [name for name in activations if activations[name] != other[name]] == []


def test_correct_stub_and_half_correct_submissions_score_as_they_should(installed):
    root, environment = installed
    lesson = get_lesson(LESSON)
    reference = (reference_dir(LESSON) / lesson.filename).read_text()

    done, correct = run_autograder(root, environment, {lesson.filename: reference})
    assert done.returncode == 0, done.stderr
    check_schema(correct)
    assert correct["score"] == pytest.approx(lesson.max_score) and correct["tests"], correct["output"]

    done, stub = run_autograder(root, environment, {lesson.filename: (assignment_dir(LESSON) / lesson.filename).read_text()})
    check_schema(stub)
    assert stub["score"] == 0 and all(test["status"] == "failed" for test in stub["tests"])

    half = reference.replace("return np.maximum(x, 0)", "return x").replace("return x / (1 + np.abs(x))", "return x")
    done, partial = run_autograder(root, environment, {lesson.filename: half})
    check_schema(partial)
    assert 0 < partial["score"] < lesson.max_score
    failed_tasks = {tag for test in partial["tests"] if test["status"] == "failed" for tag in test["tags"]}
    assert {"relu", "softsign"} <= failed_tasks and "sigmoid" not in failed_tasks, failed_tasks


def test_a_notebook_submission_scores_as_its_py_file(installed):
    nbf = pytest.importorskip("nbformat.v4", reason="needs nbformat: pip install -e .")
    from nbformat import writes

    root, environment = installed
    lesson = get_lesson(LESSON)
    reference = (reference_dir(LESSON) / lesson.filename).read_text()
    cells = [nbf.new_code_cell("%matplotlib inline\n" + reference), nbf.new_code_cell("print(relu(np.arange(3)))\nraise RuntimeError('the last cell fails')")]
    done, results = run_autograder(root, environment, {f"{LESSON}.ipynb": writes(nbf.new_notebook(cells=cells))})
    assert done.returncode == 0, done.stderr
    check_schema(results)
    assert results["score"] == pytest.approx(lesson.max_score), results["output"]
    assert "notebook's cell 1 was graded" in results["output"] and "2 statements" in results["output"], results["output"]


def test_student_code_reads_neither_the_reference_nor_the_hidden_suite(installed):
    root, environment = installed
    lesson = get_lesson(LESSON)
    course = root / "source" / "course" / "reference" / LESSON
    secrets = [course / lesson.filename, *sorted((course / "hidden").glob("*.py"))]
    assert len(secrets) >= 2 and all(path.is_file() for path in secrets)
    probe = "".join(f"try:\n    open({str(path)!r}).read()\n    raise SystemExit('read {path.name}')\nexcept OSError:\n    pass\n" for path in secrets)
    done, results = run_autograder(root, environment, {lesson.filename: probe + (reference_dir(LESSON) / lesson.filename).read_text()})
    assert results["score"] == pytest.approx(lesson.max_score), "student code read an answer: " + json.dumps(results["tests"][:2])


def test_a_grader_fault_writes_a_results_json_that_says_so_with_no_score(installed):
    root, environment = installed
    reference = root / "source" / "course" / "reference" / LESSON / get_lesson(LESSON).filename
    saved = reference.read_bytes()
    reference.unlink()  # the hidden checks have nothing to compare against: the grader's fault
    try:
        done, results = run_autograder(root, environment, {get_lesson(LESSON).filename: saved.decode()})
    finally:
        reference.write_bytes(saved)
    assert done.returncode == 0, done.stderr
    assert "score" not in results and results["tests"] == [], results
    assert results["output"] == GRADER_FAULT_OUTPUT and results["extra_data"]["status"] == "grader-error"


def test_a_grade_command_that_cannot_start_still_leaves_a_results_json(installed, tmp_path):
    root, environment = installed
    broken = tmp_path / "broken-root"
    shutil.copytree(root / "source", broken / "source")  # no venv: the grade command is missing
    (broken / "submission").mkdir()
    done = subprocess.run([str(broken / "source" / "run_autograder")], env={**environment, "GRADER_AUTOGRADER_ROOT": str(broken)}, capture_output=True, text=True, timeout=60)
    results = json.loads((broken / "results" / "results.json").read_text())
    assert done.returncode == 0 and "score" not in results and results["output"] == GRADER_FAULT_OUTPUT, results


@pytest.mark.parametrize("visibility", GRADESCOPE_VISIBILITY)
def test_the_policy_sets_every_tests_and_the_results_visibility(tmp_path, visibility):
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[lessons.{LESSON}]\ngradescope = "{visibility}"\n')
    with zipfile.ZipFile(build(tmp_path, "--policy", str(policy))) as zipped:
        script = zipped.read("run_autograder").decode()
    assert f"--visibility {visibility}" in script
    result = GradingResult(LESSON, "s", tests=[TestResult("sigmoid is right", "sigmoid", 1.0, 1.0, "passed")])
    data = autograder_results(result, visibility)
    assert data["visibility"] == visibility and [test["visibility"] for test in data["tests"]] == [visibility]


def test_a_policy_with_an_unknown_visibility_is_one_line_and_exit_2(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[default]\ngradescope = "after_published_maybe"\n')
    run = CliRunner().invoke(main, ["release", "--gradescope", LESSON, "--out", str(tmp_path), "--policy", str(policy)])
    assert run.exit_code == 2 and "default.gradescope must be one of visible, after_due_date, hidden" in run.output
    assert not (tmp_path / f"autograder-{LESSON}.zip").exists()


def test_a_model_lessons_setup_installs_its_pinned_frameworks_and_data(tmp_path):
    run = CliRunner().invoke(main, ["release", "--gradescope", "fashion_mnist", "--out", str(tmp_path), "--framework", "torch"])
    assert run.exit_code == 0, run.output
    with zipfile.ZipFile(tmp_path / "autograder-fashion_mnist.zip") as zipped:
        setup = zipped.read("setup.sh").decode()
        names = zipped.namelist()
    assert '"torch==2.13.0" --extra-index-url https://download.pytorch.org/whl/cpu' in setup and "tensorflow" not in setup
    assert 'grade" data fetch fashion_mnist' in setup and "course/datasets/fashion_mnist.json" in names


def test_a_framework_lessons_setup_installs_its_frameworks_and_carries_the_references_it_compares_with(tmp_path):
    run = CliRunner().invoke(main, ["release", "--gradescope", "framework_losses", "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    with zipfile.ZipFile(tmp_path / "autograder-framework_losses.zip") as zipped:
        setup = zipped.read("setup.sh").decode()
        names = set(zipped.namelist())
    assert '"torch==2.13.0"' in setup and '"tensorflow-cpu==2.21.*"' in setup and "data fetch" not in setup
    assert {"course/reference/losses/losses.py", "course/reference/losses/lesson.toml", "course/reference/framework_losses/hidden/child_helpers.py"} <= names
    assert not any(name.startswith("course/reference/losses/hidden/") for name in names), "only the oracle's solution, not its hidden suite"


def test_every_third_party_import_of_a_hidden_suite_is_installed_by_its_setup():
    import ast
    import sys

    base = {"numpy", "scipy", "pytest", "grader", "click", "rich", "nbformat"}
    for lesson in LESSONS.values():
        if lesson.is_model:
            continue  # the student's framework runs in the child, installed by --framework
        frameworks = {"torch", "tensorflow", "keras"} if lesson.framework_sized else set()  # the child helpers' (setup installs them)
        imported = set()
        for path in hidden_dir(lesson.id).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imported.add(node.module.split(".")[0])
        third_party = imported - base - frameworks - set(sys.stdlib_module_names)
        installed = {"sklearn" if name == "scikit-learn" else name for name in lesson.requires}
        assert third_party <= installed, f"{lesson.id}: setup.sh does not install {sorted(third_party - installed)}"


def test_the_optimizers_setup_installs_scikit_learn(tmp_path):
    run = CliRunner().invoke(main, ["release", "--gradescope", "optimizers", "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    with zipfile.ZipFile(tmp_path / "autograder-optimizers.zip") as zipped:
        assert 'pip install --quiet "scikit-learn>=1.3"' in zipped.read("setup.sh").decode()
