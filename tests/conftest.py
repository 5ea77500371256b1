"""Shared fixtures of the project's own tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.course.catalogue import get_lesson
from grader.course.paths import reference_dir
from grader.course.references import reference_file

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def own_config_home(tmp_path_factory):
    """``grade login``'s files (the token and the default server) in a folder of the test
    session's, never the home of whoever runs the suite; subprocesses inherit it."""
    saved = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config-home"))
    yield
    if saved is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = saved


def make_submission(tmp_path: Path, lesson_id: str, edit=None, name: str = "submission") -> Path:
    """A copy of the lesson's reference solution as a student folder, optionally edited:
    ``edit(source) -> source``."""
    lesson = get_lesson(lesson_id)
    folder = tmp_path / name
    folder.mkdir()
    source = (reference_dir(lesson_id) / lesson.filename).read_text()
    (folder / lesson.filename).write_text(edit(source) if edit else source)
    for module in lesson.extra_modules:
        (folder / f"{module}.py").write_text(reference_file(lesson_id, module).read_text())
    return folder


@pytest.fixture
def submission_factory(tmp_path):
    """``factory(lesson_id, edit=None, name=...)`` -> a submission folder (see make_submission)."""

    def factory(lesson_id, edit=None, name="submission"):
        return make_submission(tmp_path, lesson_id, edit, name)

    return factory


@pytest.fixture
def raw_submission(tmp_path):
    """``factory(lesson_id, source)`` -> a folder holding the lesson's file with ``source``."""

    def factory(lesson_id, source, name="raw"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / get_lesson(lesson_id).filename).write_text(source)
        return folder

    return factory


@pytest.fixture
def copy_tree(tmp_path):
    """Copy a folder into the test's temporary directory."""

    def copy(path: Path, name: str) -> Path:
        return Path(shutil.copytree(path, tmp_path / name))

    return copy


def inputs_away_from_kinks(seed=0, shape=(4, 25), kinks=(0.0,), margin=1e-3) -> np.ndarray:
    """Uniform values in [-6, 6) moved off the kinks (where one-sided derivatives differ)."""
    x = np.random.default_rng(seed).uniform(-6, 6, size=shape)
    for kink in kinks:
        x = np.where(np.abs(x - kink) < margin, x + 4 * margin, x)
    return x


def bubblewrap_available() -> bool:
    """Whether the sandbox would use bubblewrap here (probed afresh, leaving no cached probe)."""
    from grader.runner import sandbox

    sandbox.detect.cache_clear()
    try:
        return sandbox.detect().bubblewrap
    finally:
        sandbox.detect.cache_clear()


SHARED_DATA = REPO.parent / "shared" / "datasets"
needs_fashion = pytest.mark.skipif(
    not (SHARED_DATA / "fashion-mnist" / "raw").is_dir(), reason="needs the real Fashion-MNIST in ../shared/datasets/fashion-mnist (see README)"
)
needs_imdb = pytest.mark.skipif(not (SHARED_DATA / "imdb" / "raw").is_dir(), reason="needs the real IMDB in ../shared/datasets/imdb (see README)")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """A data directory holding the shared copies of the data sets, imported the way a user
    would (``grade data import``); each test that needs one is marked needs_fashion/needs_imdb."""
    from click.testing import CliRunner

    from grader.cli import main

    root = tmp_path_factory.mktemp("datasets")
    for name, folder in (("fashion_mnist", "fashion-mnist"), ("imdb", "imdb")):
        if (SHARED_DATA / folder / "raw").is_dir():
            run = CliRunner().invoke(main, ["data", "import", name, str(SHARED_DATA / folder / "raw"), "--data-dir", str(root)])
            assert run.exit_code == 0, run.output
    return root


BIN = Path(sys.executable).parent


def nbgrader(*args: str, cwd: Path) -> str:
    """Run an ``nbgrader`` command of this environment in ``cwd``; fail the test if it fails."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # nbgrader runs `alembic` from PATH
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def make_course(tmp_path: Path, lesson_id: str, students: dict[str, Path], exchange: Path | None = None) -> Path:
    """A course whose gradebook knows ``lesson_id`` (its source written and
    ``nbgrader generate_assignment`` run) and whose ``submitted/`` holds each student's folder,
    as ``nbgrader collect`` leaves them; ``exchange``: the course's exchange root."""
    from grader.authoring.release import config_lines, write_sources

    course = tmp_path / "course"
    course.mkdir()
    lesson = get_lesson(lesson_id)
    root = f'c.Exchange.root = "{exchange}"\n' if exchange else ""
    (course / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.course_id = "nn101"\nc.CourseDirectory.root = "{course}"\n{root}' + config_lines([lesson])
    )
    write_sources(course, [lesson])
    nbgrader("generate_assignment", lesson_id, "--force", cwd=course)
    for student, folder in students.items():
        target = course / "submitted" / student / lesson_id
        shutil.copytree(folder, target)
        (target / "timestamp.txt").write_text("2026-12-02 10:00:00.000000 UTC")
    return course


def gradebook_scores(course: Path, lesson_id: str) -> dict[str, float]:
    """The score nbgrader's gradebook holds for each student of ``submitted/`` (none: absent)."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="nn101") as gradebook:
        for student in sorted(path.name for path in (course / "submitted").iterdir()):
            try:
                scores[student] = gradebook.find_submission(lesson_id, student).score
            except MissingEntry:
                pass
    return scores


def run_autograder(root: Path, environment: dict, files: dict[str, str]) -> tuple[subprocess.CompletedProcess, dict]:
    """Run an unpacked Gradescope autograder under ``root`` on a submission of ``files``:
    ``(the run_autograder process, its results.json)``."""
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    submission.mkdir()
    for name, content in files.items():
        (submission / name).write_text(content)
    done = subprocess.run([str(root / "source" / "run_autograder")], env=environment, capture_output=True, text=True, timeout=600, cwd=root)
    return done, json.loads((root / "results" / "results.json").read_text())
