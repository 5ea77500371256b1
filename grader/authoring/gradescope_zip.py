"""Courses on Gradescope: the autograder zip (``grade release --gradescope LESSON``).

The zip follows Gradescope's autograder specification: ``setup.sh`` and ``run_autograder`` at
its root, unpacked by Gradescope into ``/autograder/source``. ``setup.sh`` (run once, as root,
when Gradescope builds the image) makes a virtual environment and installs into it the grader's
wheel built from this project (the engine, the same for every lesson), the base dependencies,
and for a model lesson its frameworks and data set. ``run_autograder`` runs ``grade
gradescope-run`` (:mod:`grader.platforms.gradescope`) for each submission. Both take the root
from ``$GRADER_AUTOGRADER_ROOT`` (default ``/autograder``), so the zip can be tried anywhere.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from grader import __version__
from grader.authoring.distribution import main_pyproject
from grader.authoring.release import ReleaseError, lesson_files
from grader.course.catalogue import Lesson, get_lesson
from grader.course.paths import MANIFEST, PACKAGE_DIR, course_root, reference_dir
from grader.course.references import reference_file
from grader.platforms.gradescope import GRADER_FAULT_OUTPUT, VISIBILITIES

#: The frameworks a model lesson's autograder can install: ``{FRAMEWORK: requirement prefix}``
#: of the instructor extra in ``pyproject.toml`` (the pins come from there).
FRAMEWORK_REQUIREMENTS = {"torch": "torch", "keras": "tensorflow-cpu"}
#: PyTorch's own index of CPU builds (PyPI's Linux wheel of torch is the multi-GB CUDA build).
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def framework_requirements(frameworks: tuple[str, ...]) -> list[str]:
    """The pinned requirements of ``frameworks`` (keys of :data:`FRAMEWORK_REQUIREMENTS`), as
    the instructor extra of ``pyproject.toml`` pins them."""
    unknown = [framework for framework in frameworks if framework not in FRAMEWORK_REQUIREMENTS]
    if unknown:
        raise ReleaseError(f"unknown framework {unknown[0]!r} (one of {', '.join(FRAMEWORK_REQUIREMENTS)})")
    return [pinned_requirement(FRAMEWORK_REQUIREMENTS[framework]) for framework in frameworks]


def pinned_requirement(name: str) -> str:
    """The requirement of package ``name`` in the instructor extra of ``pyproject.toml`` (or
    another of its extras, such as ``experiments``)."""
    extras = main_pyproject()["project"]["optional-dependencies"]
    ordered = [*extras["instructor"], *(req for key, reqs in extras.items() if key != "instructor" for req in reqs)]
    match = [req for req in ordered if re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0] == name]
    if not match:
        raise ReleaseError(f"pyproject.toml's extras do not pin {name}")
    return match[0]


def lesson_requirement(requirement: str) -> str:
    """A lesson's ``requires`` entry as pip installs it: the instructor extra's pin of that
    package where it has one (``scikit-learn`` -> ``scikit-learn>=1.3``), else as written."""
    name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
    try:
        return pinned_requirement(name) if name == requirement else requirement
    except ReleaseError:
        return requirement


def setup_script(lesson: Lesson, frameworks: tuple[str, ...]) -> str:
    """``setup.sh``: a virtual environment with the grader and what ``lesson`` needs."""
    installs = ['"$VENV/bin/python" -m pip install --quiet "$SOURCE"/wheels/*.whl']
    for requirement in lesson.requires:  # what the hidden suite imports in the grader's process
        installs.append(f'"$VENV/bin/python" -m pip install --quiet "{lesson_requirement(requirement)}"')
    if lesson.framework_sized:
        for requirement in framework_requirements(tuple(f for f in frameworks if not lesson.frameworks or f in lesson.frameworks)):
            index = f" --extra-index-url {TORCH_CPU_INDEX}" if requirement.startswith("torch") else ""
            installs.append(f'"$VENV/bin/python" -m pip install --quiet "{requirement}"{index}')
    if lesson.data_set is not None:
        installs.append(f'GRADER_COURSE_ROOT="$SOURCE/course" "$VENV/bin/grade" data fetch {lesson.data_set} --data-dir "$ROOT/data"')
    return _SETUP.format(lesson=lesson.id, installs="\n".join(installs), version=__version__)


def run_script(lesson: Lesson, visibility: str) -> str:
    """``run_autograder``: grade the submission, write results.json (or say why it could not)."""
    return _RUN.format(lesson=lesson.id, visibility=visibility, fault=shlex.quote(json.dumps(GRADER_FAULT_OUTPUT)))


def build_autograder(lesson_id: str, out_dir: Path, *, visibility: str = "visible", frameworks: tuple[str, ...] = tuple(FRAMEWORK_REQUIREMENTS)) -> Path:
    """Write ``out_dir/autograder-LESSON.zip`` (see the module docstring) and return its path.

    Holds: ``setup.sh``, ``run_autograder``, ``wheels/`` (the engine's wheel, the same for
    every lesson), ``course/`` (the lesson's folder, its released files and data-set manifest:
    what the hidden checks run and compare against). Nothing of other lessons but the modules
    this one uses and the references it compares with (``oracles``)."""
    lesson = get_lesson(lesson_id)
    if visibility not in VISIBILITIES:
        raise ReleaseError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / f"autograder-{lesson.id}.zip"
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as scratch:
        wheel = build_engine_wheel(Path(scratch))
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            _add(zipped, "setup.sh", setup_script(lesson, frameworks), executable=True)
            _add(zipped, "run_autograder", run_script(lesson, visibility), executable=True)
            zipped.write(wheel, f"wheels/{wheel.name}")
            for name, path in course_files(lesson).items():
                zipped.write(path, f"course/{name}")
            for name, content in lesson_files(lesson).items():
                _add(zipped, f"course/assignments/{lesson.id}/{name}", content)
    return archive


def course_files(lesson: Lesson) -> dict[str, Path]:
    """The course's files that grading ``lesson`` reads: ``{path under the course root: file}``:
    its whole lesson folder (manifest, reference, public and hidden checks), the manifest and
    module of each lesson it uses a module from or compares with, its data-set manifest."""
    folder = reference_dir(lesson.id)
    files = {
        f"reference/{lesson.id}/{path.relative_to(folder).as_posix()}": path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    for module, home in lesson.uses.items():
        files[f"reference/{home}/{MANIFEST}"] = reference_dir(home) / MANIFEST
        source = reference_file(lesson.id, module)
        files[f"reference/{home}/{source.name}"] = source
    for oracle in map(get_lesson, lesson.oracles):
        files[f"reference/{oracle.id}/{MANIFEST}"] = reference_dir(oracle.id) / MANIFEST
        files[f"reference/{oracle.id}/{oracle.filename}"] = reference_dir(oracle.id) / oracle.filename
    if lesson.data_set is not None:
        manifest = course_root() / "datasets" / f"{lesson.data_set}.json"
        files[f"datasets/{manifest.name}"] = manifest
    return files


def build_engine_wheel(scratch: Path) -> Path:
    """The engine's wheel, the same for every lesson and course (the package holds no lesson),
    built by pip from a copy of this project (its ``pyproject.toml``, the ``grader`` package)
    in ``scratch``."""
    project = scratch / "project"
    shutil.copytree(PACKAGE_DIR, project / "grader", ignore=shutil.ignore_patterns("__pycache__", "_course"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PACKAGE_DIR.parent / name, project / name)
    # Without setuptools here, pip fetches it into an isolated build environment.
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation, "-w", str(scratch / "wheel"), str(project)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise ReleaseError(f"pip could not build the grader's wheel: {done.stderr.strip()[-500:]}")
    wheels = list((scratch / "wheel").glob("*.whl"))
    if len(wheels) != 1 or not wheels[0].name.startswith(f"nn_grader-{__version__}-"):
        raise ReleaseError(f"pip built {[w.name for w in wheels]}, not the grader's wheel nn_grader-{__version__} (setuptools 64 or later is needed)")
    return wheels[0]


def _add(zipped: zipfile.ZipFile, name: str, content: str, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zipped.writestr(info, content)


_SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (nn-grader {version}).
# It makes a virtual environment with the grader and what lesson {lesson} needs.
set -euo pipefail
ROOT="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"
# System packages only inside Gradescope's image (its /autograder/source holds this script), or
# when asked with GRADER_INSTALL_SYSTEM_PACKAGES=1: Python's venv, and bubblewrap for the sandbox.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && {{ [ "$SOURCE" = /autograder/source ] || [ "${{GRADER_INSTALL_SYSTEM_PACKAGES:-0}}" = 1 ]; }}; then
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null || ! command -v bwrap >/dev/null; then
    echo "installing the Debian packages python3 python3-venv python3-pip bubblewrap"
    (apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip bubblewrap) >/dev/null || echo "note: apt-get could not install python3-venv or bubblewrap"
  fi
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
{installs}
echo "nn-grader autograder for {lesson} installed in $VENV"
"""

_RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade $ROOT/submission with the hidden checks of
# {lesson} and write $ROOT/results/results.json. Student code runs in the grader's sandbox.
set -uo pipefail
ROOT="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
mkdir -p "$ROOT/results"
export GRADER_COURSE_ROOT="$ROOT/source/course" GRADER_DATA_DIR="$ROOT/data"
export GRADER_SECRET_PATHS="$ROOT/source${{GRADER_SECRET_PATHS:+:$GRADER_SECRET_PATHS}}"
cd "$ROOT"
"$ROOT/venv/bin/grade" gradescope-run {lesson} --root "$ROOT" --visibility {visibility}
code=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  # The grader could not even start: say so, with no score (never a zero).
  printf '{{"output": %s, "visibility": "visible", "tests": [], "extra_data": {{"status": "grader-error", "exit_code": %d}}}}\\n' {fault} "$code" > "$ROOT/results/results.json"
fi
exit 0
"""
