"""The student's verbs: start a lesson in a folder, submit the folder to the course.

``grade start`` and ``grade submit`` print what these return (:mod:`grader.cli`); the Python
API (:mod:`grader.api`) exposes them as :func:`~grader.api.start` and
:func:`~grader.api.submit`.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.catalogue import Lesson, get_lesson
from grader.course.paths import MANIFEST, assignment_dir
from grader.platforms.exchange import Exchange, deliver, files_to_submit

if TYPE_CHECKING:
    from grader.core.results import GradingResult
    from grader.platforms.exchange import Receipt


@dataclass
class Submitted:
    """What :func:`submit` did: the files it left out, the public checks' result, the receipt."""

    left_out: list[str]
    checks: GradingResult
    receipt: Receipt


def start_lesson(lesson_id: str, target: Path, *, force: bool = False) -> list[Path]:
    """Copy the released stubs and public checks of the lesson into ``target`` (not its
    manifest, which is the engine's); the files written. :class:`FileExistsError` names the
    files already there, unless ``force``."""
    source = assignment_dir(get_lesson(lesson_id).id)
    released = sorted(path for path in source.iterdir() if path.is_file() and path.name != MANIFEST)
    existing = [path.name for path in released if (target / path.name).exists()] if target.exists() else []
    if existing and not force:
        raise FileExistsError(f"{target} already has {', '.join(existing)}; use --force to overwrite")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in released:
        written.append(Path(shutil.copy2(path, target / path.name)))
    return written


def submit_lesson(lesson_id: str, folder: Path, student: str, exchange: Exchange) -> Submitted:
    """Check ``folder`` by the intake's rules, run the public checks, then deliver it to the
    exchange as ``student``'s submission (even when some checks fail: the receipt says so)."""
    from grader.core.public_checks import run_public_checks

    lesson = get_lesson(lesson_id)
    files = files_to_submit(lesson, folder)
    checks = run_public_checks(lesson.id, folder)
    with tempfile.TemporaryDirectory() as scratch:
        receipt = deliver(lesson, files, student, exchange, extra_files=_lesson_notebook_file(lesson, Path(scratch)))
    return Submitted(left_out=[refusal.message for refusal in files.refused], checks=checks, receipt=receipt)


def _lesson_notebook_file(lesson: Lesson, scratch: Path) -> dict[str, Path]:
    """The lesson's nbgrader notebook, for courses that autograde with nbgrader (needs nbformat)."""
    try:
        import nbformat
    except ImportError:
        return {}
    from grader.platforms.grade_cells import lesson_notebook

    path = scratch / f"{lesson.id}.ipynb"
    nbformat.write(lesson_notebook(lesson), str(path))
    return {path.name: path}


def submit_to_server(lesson_id: str, folder: Path, client, *, wait: bool = True, on_status=lambda data: None):
    """Pack ``folder`` by the intake's rules and upload it for the lesson through ``client`` (a
    :class:`grader.platforms.service_client.Client`); ``(left out, receipt, final state or None)``."""
    from grader.platforms.service_client import pack

    lesson = get_lesson(lesson_id)
    files = files_to_submit(lesson, folder)
    receipt = client.upload(lesson.id, pack(files))
    final = client.wait(receipt["id"], on_status=on_status) if wait else None
    return [refusal.message for refusal in files.refused], receipt, final
