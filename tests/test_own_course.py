"""A course of one's own, graded by the installed engine: the acceptance test of ``grade new``.

In a temporary folder outside this repository, with ``GRADER_COURSE_ROOT`` (or ``--course-root``)
pointing at it and no file of ``grader/`` touched: ``grade new`` writes a lesson from the
template, the instructor turns it into a lesson of two tasks (solution, public check, hidden
check, typical bug), and ``grade release``, ``grade validate`` and ``grade autograde`` treat it
like a lesson of the engine's own course. ``grade validate`` fails on a task without a hidden
check; ``grade new --from`` copies a lesson; a model lesson's manifest is listed and released.
The student distribution and the Gradescope zip of such a course are built and run last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import run_autograder  # tests/ is on sys.path (rootdir conftest)

from grader.course.manifest import MANIFEST, read_manifest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GRADE = BIN / "grade"

SOFTSIGN_SOLUTION = '''

def softsign(x):
    """Softsign: f(x) = x / (1 + |x|), elementwise.

    Keep the dtype of ``x`` and do not modify it; no Python loops.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x)
    return x / (1 + np.abs(x))
    ### END SOLUTION
'''
SOFTSIGN_RIGHT = "return x / (1 + np.abs(x))"
SOFTSIGN_WRONG = "return x / (1 + x)"

SOFTSIGN_PUBLIC_CHECK = '''

@pytest.mark.task("softsign")
def test_softsign_on_a_small_array(student):
    """softsign maps x to x / (1 + |x|)"""
    got = student.softsign(np.array([-3.0, 0.0, 1.0]))
    check_array(got, what="softsign", shape=(3,), dtype=np.float64)
    assert_close(got, [-0.75, 0.0, 0.5], what="softsign", rtol=1e-12, atol=0.0)
'''

SOFTSIGN_HIDDEN_CHECKS = '''

def _softsign_cases(reference, dtype) -> list[Case]:
    cases = []
    for shape in SHAPES:
        x = uniform(rng_for("softsign", shape, dtype), shape, dtype)
        cases.append(Case("softsign", (x,), reference.softsign(x), dtype=dtype))
    return cases


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", [task_param("softsign")])
def test_softsign_values(student, reference, name, dtype):
    """{name} matches the reference on seeded inputs"""
    check_cases(student, _softsign_cases(reference, dtype))


@pytest.mark.parametrize("name", [task_param("softsign")])
def test_softsign_dtype_kept(student, reference, name):
    """{name} keeps float32 inputs in float32"""
    check_dtype_kept(student, _softsign_cases(reference, np.float32))
'''

SOFTSIGN_MUTANT = f'''
[[mutant]]
id = "softsign-without-abs"
note = "x instead of |x| in the denominator"
old = "{SOFTSIGN_RIGHT}"
new = "{SOFTSIGN_WRONG}"
breaks = ["softsign"]
'''

EXTRA_STUB = '''

def extra(x):
    """A task nobody wrote a hidden check for."""
    ### BEGIN SOLUTION
    return x
    ### END SOLUTION
'''


# -- helpers ------------------------------------------------------------------------------------


def _environment(root: Path | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("GRADER_COURSE_ROOT", "PYTHONPATH")}
    env["COLUMNS"] = "200"  # wide enough that no line of rich's output wraps
    if root is not None:
        env["GRADER_COURSE_ROOT"] = str(root)
    return env


def grade(root: Path, *args: str, course_root_option: bool = False, timeout: float = 300) -> subprocess.CompletedProcess:
    """The installed ``grade`` command, in ``root``, pointed at the course ``root`` by
    ``$GRADER_COURSE_ROOT`` (or by ``--course-root``, the variable unset)."""
    command = [str(GRADE), "--course-root", str(root), *args] if course_root_option else [str(GRADE), *args]
    done = subprocess.run(command, cwd=root, env=_environment(None if course_root_option else root), capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in done.stdout + done.stderr, f"grade {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def ok(done: subprocess.CompletedProcess) -> str:
    """The output of a ``grade`` command that must have exited 0."""
    assert done.returncode == 0, f"{' '.join(done.args[1:])} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _repository_state() -> tuple[str, set[str], set[str]]:
    status = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "grader"], capture_output=True, text=True, check=True).stdout
    return status, set(os.listdir(REPO / "reference")), set(os.listdir(REPO / "assignments"))


@contextmanager
def repository_untouched():
    """Asserts that what runs inside changes no file of ``grader/`` (as git sees it) and adds
    nothing to this repository's ``reference/`` or ``assignments/``."""
    status, reference, assignments = _repository_state()
    yield
    status_after, reference_after, assignments_after = _repository_state()
    assert status_after == status, "grader/ changed while the course of one's own was graded"
    assert reference_after - reference == set(), "new entries in the repository's reference/"
    assert assignments_after - assignments == set(), "new entries in the repository's assignments/"


def new_course(tmp_path: Path) -> Path:
    root = tmp_path / "my-course"
    root.mkdir()
    assert REPO not in root.resolve().parents, "the course must lie outside the repository"
    return root


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def add_softsign(root: Path, lesson: str = "demo") -> None:
    """Turn the template's lesson into one of two tasks: solution, public and hidden checks and a
    typical bug of ``softsign``."""
    folder = root / "reference" / lesson
    manifest = folder / MANIFEST
    assert manifest.read_text().count("leaky_relu = 1\n") == 1
    manifest.write_text(manifest.read_text().replace("leaky_relu = 1\n", "leaky_relu = 1\nsoftsign = 1\n"))
    append(folder / f"{lesson}.py", SOFTSIGN_SOLUTION)
    append(folder / f"test_{lesson}.py", SOFTSIGN_PUBLIC_CHECK)
    append(folder / "hidden" / f"test_{lesson}_hidden.py", SOFTSIGN_HIDDEN_CHECKS)
    append(folder / "mutants.toml", SOFTSIGN_MUTANT)


def scores(path: Path) -> dict[str, tuple[float, float]]:
    """``{submission folder name: (score, max_score)}`` of ``grade autograde --json``'s file."""
    results = json.loads(path.read_text())
    assert all(result["status"] == "graded" for result in results), results
    return {Path(result["submission"]).name: (result["score"], result["max_score"]) for result in results}


def failed_tasks(path: Path) -> dict[str, set[str]]:
    return {Path(result["submission"]).name: {test["task"] for test in result["tests"] if test["status"] != "passed"} for result in json.loads(path.read_text())}


# -- the acceptance test ------------------------------------------------------------------------


def test_own_course_new_lesson_of_two_tasks_validates_and_grades(tmp_path):
    with repository_untouched():
        root = new_course(tmp_path)
        created = grade(root, "new", "demo", course_root_option=True)
        steps = ok(created)
        assert "Next:" in steps and "grade validate demo" in steps and "grade release" in steps and "mutants.toml" in steps, steps
        reference, released = root / "reference" / "demo", root / "assignments" / "demo"
        for name in (MANIFEST, "demo.py", "test_demo.py", "hidden/test_demo_hidden.py", "mutants.toml", "README.md"):
            assert (reference / name).is_file(), name
        for name in (MANIFEST, "demo.py", "test_demo.py"):
            assert (released / name).is_file(), name
        assert not (released / "hidden").exists() and not (released / "mutants.toml").exists()

        add_softsign(root)
        assert read_manifest(reference / MANIFEST).tasks == {"leaky_relu": 1.0, "softsign": 1.0}
        ok(grade(root, "release"))
        stub = (released / "demo.py").read_text()
        assert "def softsign(x):" in stub and SOFTSIGN_RIGHT not in stub and "NotImplementedError" in stub
        assert "test_softsign_on_a_small_array" in (released / "test_demo.py").read_text()
        assert "softsign = 1" in (released / MANIFEST).read_text()

        checked = ok(grade(root, "check", "demo", "reference/demo", "--all"))
        assert "softsign" in checked and "leaky_relu" in checked, checked
        stubs = grade(root, "check", "demo", "assignments/demo")
        assert stubs.returncode == 1 and "softsign" in stubs.stdout, stubs.stdout + stubs.stderr

        validated = ok(grade(root, "validate", "demo"))
        assert "course is valid" in validated and "typical bugs 2 / 2" in validated, validated
        assert "reference 2 / 2" in validated and "stubs 0 / 2" in validated, validated

        ok(grade(root, "autograde", "demo", "reference/demo", "assignments/demo", "--json", "out.json"))
        graded = json.loads((root / "out.json").read_text())
        assert [result["status"] for result in graded] == ["graded", "graded"], graded
        assert [(Path(result["submission"]).parent.name, result["score"], result["max_score"]) for result in graded] == [("reference", 2, 2), ("assignments", 0, 2)]

        half = tmp_path / "half"
        half.mkdir()
        solution = (reference / "demo.py").read_text()
        assert solution.count(SOFTSIGN_RIGHT) == 1
        (half / "demo.py").write_text(solution.replace(SOFTSIGN_RIGHT, SOFTSIGN_WRONG))
        ok(grade(root, "autograde", "demo", str(half), "--json", "half.json"))
        assert scores(root / "half.json") == {"half": (1, 2)}
        assert failed_tasks(root / "half.json") == {"half": {"softsign"}}

        copied = ok(grade(root, "new", "demo2", "--from", "demo"))
        assert "grade validate demo2" in copied, copied
        assert read_manifest(root / "reference" / "demo2" / MANIFEST).tasks == {"leaky_relu": 1.0, "softsign": 1.0}
        assert (root / "reference" / "demo2" / "hidden" / "test_demo2_hidden.py").is_file()
        listed = ok(grade(root, "list"))
        assert "demo " in listed and "demo2" in listed, listed
        assert "activations" not in listed, "the engine's own course is listed in a course of one's own"
        assert "course is valid" in ok(grade(root, "validate", "demo2", "--no-bugs"))
    assert sorted(path.name for path in (root / "reference").iterdir()) == ["demo", "demo2"]


def test_own_course_validate_fails_on_a_task_without_a_hidden_check(tmp_path):
    with repository_untouched():
        root = new_course(tmp_path)
        ok(grade(root, "new", "demo"))
        folder = root / "reference" / "demo"
        manifest, module = folder / MANIFEST, folder / "demo.py"
        saved = {manifest: manifest.read_text(), module: module.read_text()}
        manifest.write_text(saved[manifest].replace("leaky_relu = 1\n", "leaky_relu = 1\nextra = 1\n"))
        append(module, EXTRA_STUB)
        ok(grade(root, "release"))

        failed = grade(root, "validate", "demo", "--no-bugs")
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "extra has no hidden check" in failed.stdout and "course is valid" not in failed.stdout, failed.stdout
        assert "reference/demo/lesson.toml: tasks: extra" in failed.stdout, failed.stdout

        for path, text in saved.items():
            path.write_text(text)
        ok(grade(root, "release"))
        assert "course is valid" in ok(grade(root, "validate", "demo"))


def test_own_course_validate_names_a_missing_readme_in_one_line(tmp_path):
    with repository_untouched():
        root = new_course(tmp_path)
        ok(grade(root, "new", "demo"))
        (root / "reference" / "demo" / "README.md").unlink()
        failed = grade(root, "validate", "demo", "--no-bugs")
        assert failed.returncode == 1 and "Traceback" not in failed.stdout + failed.stderr, failed.stdout + failed.stderr
        assert "README.md missing" in failed.stdout, failed.stdout


def test_own_course_model_lesson_manifest_is_listed_and_released(tmp_path):
    with repository_untouched():
        root = new_course(tmp_path)
        ok(grade(root, "new", "img", "--model", "--dataset", "fashion_mnist"))
        lesson = read_manifest(root / "reference" / "img" / MANIFEST)
        assert lesson.id == "img" and lesson.is_model and lesson.spec.dataset == "fashion_mnist"
        assert lesson.spec.tiers[0][0] > lesson.spec.baseline
        assert (root / "datasets" / "fashion_mnist.json").is_file(), "the data set's manifest is not in the course"
        listed = ok(grade(root, "list"))
        assert "img" in listed, listed
        assert "train" in ok(grade(root, "list", "img"))
        ok(grade(root, "release"))
        released = root / "assignments" / "img"
        assert (released / "model.py").read_text() == (root / "reference" / "img" / "baseline.py").read_text()
        assert (released / MANIFEST).is_file() and not (released / "hidden").exists()


# -- what students and Gradescope get (built by another engineer; see the module docstring) ------


def _unpack_with_modes(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(target)
        for info in zipped.infolist():  # zipfile drops the mode bits; Gradescope's unzip keeps them
            mode = info.external_attr >> 16
            if mode:
                os.chmod(target / info.filename, mode & 0o777)


@pytest.mark.slow
def test_own_course_builds_a_student_distribution_and_a_gradescope_zip(tmp_path):
    with repository_untouched():
        root = new_course(tmp_path)
        ok(grade(root, "new", "demo"))
        add_softsign(root)
        ok(grade(root, "release"))
        solution = (root / "reference" / "demo" / "demo.py").read_text()
        wrong = solution.replace(SOFTSIGN_RIGHT, SOFTSIGN_WRONG)

        # The student distribution, installed in a fresh venv: this course's lesson, started and checked.
        built = ok(grade(root, "release", "--dist", str(tmp_path / "dist"), timeout=600))
        (archive,) = [Path(line.split(": ", 1)[1].strip()) for line in built.splitlines() if line.startswith("student distribution:")]
        assert archive.is_file(), built
        readme = zipfile.ZipFile(archive).read("nn-grader-student/README.md").decode()
        assert "grade start demo" in readme and "activations" not in readme, readme
        venv = tmp_path / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(archive)], capture_output=True, text=True, timeout=900)
        assert installed.returncode == 0, installed.stderr[-3000:]
        student = tmp_path / "student"
        student.mkdir()
        env = {key: value for key, value in _environment(None).items() if key != "VIRTUAL_ENV"}

        def student_grade(*args):
            done = subprocess.run([str(venv / "bin" / "grade"), *args], cwd=student, env=env, capture_output=True, text=True, timeout=300)
            assert "Traceback" not in done.stdout + done.stderr, f"grade {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            return done

        listed = student_grade("list")
        assert listed.returncode == 0 and "demo" in listed.stdout and "activations" not in listed.stdout, listed.stdout + listed.stderr
        assert student_grade("start", "demo").returncode == 0 and (student / "demo" / "demo.py").is_file()
        assert student_grade("check", "demo").returncode == 1, "the stubs pass the public checks"
        (student / "demo" / "demo.py").write_text(solution)
        checked = student_grade("check", "demo")
        assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-2000:]
        refused = student_grade("autograde", "demo", "demo")
        assert refused.returncode == 2 and "no hidden checks" in refused.stderr

        # Gradescope's zip, installed by its setup.sh and run on a correct and a wrong submission.
        ok(grade(root, "release", "--gradescope", "demo", "--out", str(tmp_path / "out"), timeout=600))
        zipped = tmp_path / "out" / "autograder-demo.zip"
        assert zipped.is_file()
        autograder = tmp_path / "autograder"
        _unpack_with_modes(zipped, autograder / "source")
        environment = {**_environment(None), "GRADER_AUTOGRADER_ROOT": str(autograder)}
        environment.pop("VIRTUAL_ENV", None)
        environment["PATH"] = os.pathsep.join(p for p in environment["PATH"].split(os.pathsep) if not p.startswith(str(Path(sys.prefix))))
        setup = subprocess.run(["bash", str(autograder / "source" / "setup.sh")], env=environment, capture_output=True, text=True, timeout=900)
        assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-3000:]

        correct = _autograded(autograder, environment, {"demo.py": solution})
        assert correct["score"] == pytest.approx(2) and correct["tests"], correct.get("output")
        partial = _autograded(autograder, environment, {"demo.py": wrong})
        assert partial["score"] == pytest.approx(1), partial.get("output")
        failed = {tag for test in partial["tests"] if test["status"] == "failed" for tag in test["tags"]}
        assert "softsign" in failed and "leaky_relu" not in failed, failed


def _autograded(root: Path, environment: dict, files: dict[str, str]) -> dict:
    done, results = run_autograder(root, environment, files)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return results
