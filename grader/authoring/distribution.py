"""The student distribution (``grade release --dist``): the engine as it is, plus the released
assignments.

The engine package ``grader/`` holds no lesson, no hidden suite and no answer (those live in the
course's ``reference/``), so a student gets it whole, with the grader's own ``pyproject.toml``
unchanged, and the course it grades packaged beside it in ``grader/_course/``: the released
``assignments/<lesson>/`` (:func:`grader.authoring.release.lesson_files`) and the data-set manifests.
Without ``reference/`` the engine knows it is a student's install and refuses the instructor's
commands (:func:`grader.course.paths.instructor_side`).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from grader import __version__
from grader.authoring.release import ReleaseError, lesson_files
from grader.course.catalogue import LESSONS
from grader.course.paths import PACKAGE_DIR, PACKAGED_COURSE, course_root

#: The name of the distribution's folder, inside its zip archive too.
STUDENT_PROJECT = "nn-grader-student"


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


def build_student_distribution(dest: Path) -> Path:
    """Write the student distribution to ``dest/nn-grader-student/`` and zip it: the ``grader``
    package as it is, the grader's ``pyproject.toml`` unchanged, the student's ``README.md``, and
    in ``grader/_course/`` every lesson's released files and the data-set manifests. No hidden
    checks, no reference code: the package has none.

    Returns the path of the zip archive.
    """
    dest = Path(dest)
    project = dest / STUDENT_PROJECT
    if project.exists():
        shutil.rmtree(project)
    main = main_pyproject()
    package = project / "grader"
    shutil.copytree(PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__", PACKAGED_COURSE.name))
    shutil.copy2(PACKAGE_DIR.parent / "pyproject.toml", project / "pyproject.toml")
    (project / "README.md").write_text(student_readme(main))
    course = package / PACKAGED_COURSE.name
    for lesson in LESSONS.values():
        folder = course / "assignments" / lesson.id
        folder.mkdir(parents=True)
        for name, content in lesson_files(lesson).items():
            (folder / name).write_text(content)
    manifests = course / "datasets"
    manifests.mkdir(parents=True)
    for manifest in sorted((course_root() / "datasets").glob("*.json")):
        shutil.copy2(manifest, manifests / manifest.name)
    archive = shutil.make_archive(str(dest / f"{STUDENT_PROJECT}-{__version__}"), "zip", project.parent, project.name)
    return Path(archive)


def student_readme(main: dict | None = None) -> str:
    """The student distribution's README: install, the student's commands (with the course's
    first lesson as the example), and, when the course has model lessons, their frameworks with
    the pins of the main ``pyproject.toml``'s instructor extra."""
    main = main_pyproject() if main is None else main
    extra = main["project"].get("optional-dependencies", {}).get("instructor", [])
    torch = next((req for req in extra if req.startswith("torch")), "torch")
    keras = next((req for req in extra if req.startswith("tensorflow")), "tensorflow")
    lessons = list(LESSONS.values())
    first = lessons[0].id if lessons else "LESSON"
    models = [lesson for lesson in lessons if lesson.framework_sized]
    text = _STUDENT_README.format(lesson=f"{first:<14}", plain=first)
    if models:
        datasets = "`, `grade data fetch ".join(dict.fromkeys(lesson.data_set for lesson in models if lesson.data_set)) or "NAME"
        text += _MODEL_LESSONS.format(names=", ".join(lesson.id for lesson in models), dataset=datasets, torch=torch, keras=keras)
    return text


_STUDENT_README = """\
# The course's `grade` command

    pip install nn-grader-student-*.zip   # or the wheel your course's grading service serves
    grade list                     # lessons, tasks and points
    grade start {lesson} # copy the stubs into ./{plain}
    grade check {lesson} # run the public checks on ./{plain}

Submitting, to the course's grading service (its front page shows the address):

    grade login https://grader.example.edu       # asks for the token your instructor gave you
    grade submit {plain} --server https://grader.example.edu
    grade status --server https://grader.example.edu

or, on the course's JupyterHub (nbgrader's exchange), after the instructor has released the
lesson: `grade submit {plain} --student ID` and `grade status --student ID`.
"""

_MODEL_LESSONS = """
The lessons written with a framework ({names}) need PyTorch or TensorFlow/Keras, which you
install yourself, at the course's versions, and those that train on a data set need it
(`grade data fetch {dataset}`, or `grade data import`):

    pip install "{torch}" --index-url https://download.pytorch.org/whl/cpu
    pip install "{keras}"
    pip install tensorboard        # training_experiments in PyTorch: torch's SummaryWriter writes with it
"""
