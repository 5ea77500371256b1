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

from grader.course.catalogue import FRAMEWORKS, Lesson, get_lesson
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


def start_lesson(lesson_id: str, target: Path, *, force: bool = False, notebook: bool = False) -> list[Path]:
    """Copy the released stubs and public checks of the lesson into ``target`` (not its
    manifest, which is the engine's), and with ``notebook`` the lesson as ``LESSON.ipynb``
    (:func:`lesson_notebook_for_student`); the files written. :class:`FileExistsError` names
    the files already there, unless ``force``."""
    lesson = get_lesson(lesson_id)
    source = assignment_dir(lesson.id)
    released = sorted(path for path in source.iterdir() if path.is_file() and path.name != MANIFEST)
    notebooks = student_notebooks(lesson.id) if notebook else {}
    names = [path.name for path in released] + list(notebooks)
    existing = [name for name in names if (target / name).exists()] if target.exists() else []
    if existing and not force:
        raise FileExistsError(f"{target} already has {', '.join(existing)}; use --force to overwrite")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in released:
        written.append(Path(shutil.copy2(path, target / path.name)))
    if notebooks:
        import nbformat

        for name, stub_file in notebooks.items():
            nbformat.write(lesson_notebook_for_student(lesson.id, stub_file), str(target / name))
            written.append(target / name)
    return written


def student_notebooks(lesson_id: str) -> dict[str, str]:
    """The notebooks ``grade start --notebook`` writes, each with the released stub it is made
    from: ``LESSON.ipynb`` from the lesson's file, and for a model lesson that releases a stub
    per framework (``model_keras.py`` beside ``model.py``) ``LESSON_keras.ipynb`` from it."""
    lesson = get_lesson(lesson_id)
    notebooks = {f"{lesson.id}.ipynb": lesson.filename}
    for framework in FRAMEWORKS:
        variant = f"{lesson.module}_{framework}.py"
        if (assignment_dir(lesson.id) / variant).is_file():
            notebooks[f"{lesson.id}_{framework}.ipynb"] = variant
    return notebooks


def lesson_notebook_for_student(lesson_id: str, stub_file: str | None = None):
    """The lesson as a notebook for the student (``grade start --notebook``): its README as
    markdown, the setup cell, then per function of the released stub (``stub_file``, default
    the lesson's file) a code cell tagged ``task:NAME`` (the imports' cell ``task:_imports``)
    and, for a task, a check cell after it; the last cells check everything and submit. Built
    with nbformat."""
    import ast

    import nbformat.v4 as nbf

    lesson = get_lesson(lesson_id)
    folder = assignment_dir(lesson.id)
    stub = (folder / (stub_file or lesson.filename)).read_text()
    readme = (folder / "README.md").read_text() if (folder / "README.md").is_file() else f"# {lesson.title}"
    lines = stub.splitlines()
    preamble, definitions = [], []
    for node in ast.parse(stub).body:
        first = min([node.lineno, *(decorator.lineno for decorator in getattr(node, "decorator_list", []))])
        text = "\n".join(lines[first - 1 : node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions.append((node.name, text))
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # the module's docstring stays out
            preamble.append(text)
    cells = [
        nbf.new_markdown_cell(readme),
        nbf.new_code_cell(f'from grader.jupyter import Lesson\n\nlesson = Lesson("{lesson.id}")  # checks and submits the code of the cells tagged task:...'),
        nbf.new_code_cell("\n".join(preamble), metadata={"tags": ["task:_imports"]}),
    ]
    for name, text in definitions:
        cells.append(nbf.new_code_cell(text, metadata={"tags": [f"task:{name}"]}))
        if name in lesson.tasks:
            cells.append(nbf.new_code_cell(f'lesson.check("{name}")'))
    cells += [
        nbf.new_markdown_cell(
            "## All public checks, then submit\nThe hidden checks run when you submit: `lesson.submit()` sends the code this notebook "
            "defines to the grading service of your last `grade login`."
        ),
        nbf.new_code_cell("lesson.check()"),
        nbf.new_code_cell("# lesson.submit()"),
    ]
    notebook = nbf.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def submit_lesson(lesson_id: str, folder: Path, student: str, exchange: Exchange) -> Submitted:
    """Check ``folder`` by the intake's rules, run the public checks, then deliver it to the
    exchange as ``student``'s submission (even when some checks fail: the receipt says so)."""
    from grader.core.public_checks import run_public_checks

    lesson = get_lesson(lesson_id)
    files = files_to_submit(lesson, folder)
    if files.notebook == f"{lesson.id}.ipynb":  # the student's notebook leaves the name to nbgrader's (its grade cells)
        files.files[f"{lesson.id}.student.ipynb"] = files.files.pop(files.notebook)
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
