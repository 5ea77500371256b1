"""Students in notebooks: ``grade start --notebook`` writes the lesson as a notebook, a real
kernel checks the code its cells define with the same public checks as ``grade check``, and
the notebook itself grades like the ``.py`` file."""

from __future__ import annotations

import ast

import nbformat
import pytest
from click.testing import CliRunner

from grader.api import GradeRequest, grade
from grader.cli import main
from grader.course.references import reference_file

nbclient = pytest.importorskip("nbclient", reason="needs nbclient and ipykernel: pip install -e '.[dev]'")
pytest.importorskip("ipykernel", reason="needs ipykernel: pip install -e '.[dev]'")

LESSON = "tensors"


def reference_functions() -> dict[str, str]:
    source = reference_file(LESSON, LESSON).read_text()
    lines = source.splitlines()
    return {node.name: "\n".join(lines[node.lineno - 1 : node.end_lineno]) for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def outputs(cell) -> str:
    texts = []
    for output in cell.get("outputs", []):
        texts.append(output.get("text", ""))
        texts.append(output.get("data", {}).get("text/plain", ""))
        texts.append(output.get("evalue", ""))
    return "\n".join(texts)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The started notebook, its task cells filled with the reference (tensor_sum broken), run
    in a real kernel."""
    folder = tmp_path_factory.mktemp("nb")
    run = CliRunner().invoke(main, ["start", LESSON, str(folder / LESSON), "--notebook"])
    assert run.exit_code == 0, run.output
    path = folder / LESSON / f"{LESSON}.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    functions = reference_functions()
    for cell in notebook.cells:
        tags = [tag for tag in cell.metadata.get("tags", []) if tag.startswith("task:")]
        if tags and tags[0][5:] in functions:
            cell.source = functions[tags[0][5:]]
            if tags[0] == "task:tensor_sum":
                cell.source = cell.source.replace("return a + b", "return a - b")
    nbformat.write(notebook, str(path))
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(path.parent)}}).execute()
    return path, notebook


def test_the_started_notebook_has_a_tagged_cell_and_a_check_per_task(executed):
    _, notebook = executed
    tagged = [tag for cell in notebook.cells for tag in cell.metadata.get("tags", [])]
    assert "task:tensor_sum" in tagged and "task:_imports" in tagged
    checks = [cell.source for cell in notebook.cells if cell.source.startswith("lesson.check(")]
    assert 'lesson.check("tensor_sum")' in checks and "lesson.check()" in checks


def test_checks_in_the_kernel_pass_for_correct_cells_and_say_what_grade_check_says_for_a_broken_one(executed, tmp_path):
    _, notebook = executed
    by_source = {cell.source: outputs(cell) for cell in notebook.cells if cell.cell_type == "code"}
    broken = by_source['lesson.check("tensor_sum")']
    from grader.core.public_checks import run_public_checks

    py = tmp_path / "py"
    py.mkdir()
    (py / f"{LESSON}.py").write_text(reference_file(LESSON, LESSON).read_text().replace("return a + b", "return a - b"))
    said = [test.message for test in run_public_checks(LESSON, py).tests if test.task == "tensor_sum" and test.status != "passed"]
    assert said and all(message in broken for message in said), broken
    assert "public checks passed;" not in broken
    other = next(source for source in by_source if source.startswith('lesson.check("') and "tensor_sum" not in source)
    assert "public checks passed; the hidden checks run when you submit" in by_source[other], by_source[other]
    assert "all tests passed" not in "\n".join(by_source.values()).lower()


def test_the_notebook_grades_like_the_py_file_with_the_same_code(executed, tmp_path):
    path, notebook = executed
    from_notebook = grade(GradeRequest(LESSON, path))
    py = tmp_path / "py"
    py.mkdir()
    (py / f"{LESSON}.py").write_text(reference_file(LESSON, LESSON).read_text().replace("return a + b", "return a - b"))
    from_py = grade(GradeRequest(LESSON, py))
    assert from_notebook.score == from_py.score and 0 < from_py.score < from_py.max_score
