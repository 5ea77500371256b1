"""A notebook is a submission: its code is read as data (never run by the grader), taken from
its task cells (or, untagged, from the definitions of every cell), and graded exactly as the
same code in the lesson's ``.py`` file."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import nbformat.v4 as nbf
import pytest
from nbformat import writes

from grader.api import GradeRequest, grade
from grader.course.references import reference_file
from grader.reports.reading import read_result
from grader.runner.notebook_code import notebook_code
from grader.runner.sandbox import detect

LESSON = "tensors"


def reference_pieces() -> tuple[str, list[tuple[str, str]]]:
    """The reference's preamble (imports, constants) and each top-level function's source."""
    source = reference_file(LESSON, LESSON).read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    preamble, functions = [], []
    for node in tree.body:
        text = "\n".join(lines[node.lineno - 1 - len(getattr(node, "decorator_list", [])) : node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            functions.append((node.name, text))
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign)):
            preamble.append(text)
    return "\n".join(preamble), functions


def write_notebook(folder: Path, cells: list, name: str = f"{LESSON}.ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(writes(nbf.new_notebook(cells=cells)))
    return path


def scores(result) -> tuple[float, list[str]]:
    return result.score, [test.status for test in result.tests]


@pytest.fixture(scope="module")
def as_py(tmp_path_factory):
    folder = tmp_path_factory.mktemp("py")
    (folder / f"{LESSON}.py").write_text(reference_file(LESSON, LESSON).read_text())
    return scores(grade(GradeRequest(LESSON, folder)))


def test_a_tagged_notebook_grades_as_its_py_file(tmp_path, as_py):
    preamble, functions = reference_pieces()
    cells = [nbf.new_markdown_cell("# Tensors"), nbf.new_code_cell(preamble, metadata={"tags": ["task:_imports"]})]
    for name, text in functions:
        cells += [nbf.new_code_cell(text, metadata={"tags": [f"task:{name}"]}), nbf.new_code_cell(f'lesson.check("{name}")')]
    write_notebook(tmp_path / "sub", cells)
    result = grade(GradeRequest(LESSON, tmp_path / "sub"))
    assert scores(result) == as_py and as_py[0] > 0
    assert "was graded as the lesson's file" in result.details["intake_note"]


def test_an_untagged_notebook_with_reordered_cells_magics_plots_and_a_failing_cell_grades_the_same(tmp_path, as_py):
    preamble, functions = reference_pieces()
    cells = [
        nbf.new_code_cell("%matplotlib inline\n!pip install nothing-at-all"),
        *[nbf.new_code_cell(text) for _, text in reversed(functions)],  # a function may use one defined in a later cell
        nbf.new_code_cell(preamble),
        nbf.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nprint(tensor_sum)"),
        nbf.new_code_cell('raise RuntimeError("the last cell fails")'),
    ]
    notebook = write_notebook(tmp_path / "sub", cells)
    result = grade(GradeRequest(LESSON, notebook))  # the notebook file itself as the submission
    assert scores(result) == as_py
    assert "left out" in result.details["intake_note"]


def test_a_cell_that_does_not_compile_is_named_and_graded_as_the_same_py_would_be(tmp_path):
    preamble, functions = reference_pieces()
    cells = [nbf.new_code_cell(preamble), nbf.new_code_cell("def broken(:\n    pass"), *[nbf.new_code_cell(text) for _, text in functions]]
    write_notebook(tmp_path / "sub", cells)
    result = grade(GradeRequest(LESSON, tmp_path / "sub"))
    assert result.score == 0 and read_result(result).banner
    assert "cell 2 does not compile (line 1" in result.details["intake_note"]


def test_nothing_of_the_notebook_runs_in_the_graders_process(tmp_path):
    marker = Path("/tmp") / f"grader-notebook-ran-{uuid.uuid4().hex}"
    preamble, functions = reference_pieces()
    attack = f"import os\nos.system('touch {marker}')\ndef sneaky(x=os.system('touch {marker}')):\n    return x"
    cells = [nbf.new_code_cell(preamble), nbf.new_code_cell(attack), *[nbf.new_code_cell(text) for _, text in functions]]
    made = notebook_code(writes(nbf.new_notebook(cells=cells)).encode())
    assert not marker.exists(), "reading the notebook ran none of it"
    assert "os.system('touch" in made.source and made.source.count("os.system") == 1, "the top-level call is left out, the default stays in the def"


@pytest.mark.skipif(not detect().confined, reason="needs a confined child (root, with bubblewrap or namespaces) to keep its files from this machine")
def test_a_default_argument_that_runs_code_runs_in_the_confined_child(tmp_path):
    marker = Path("/tmp") / f"grader-notebook-ran-{uuid.uuid4().hex}"
    preamble, functions = reference_pieces()
    attack = f"import os\ndef sneaky(x=os.system('touch {marker}')):\n    return x"
    write_notebook(tmp_path / "sub", [nbf.new_code_cell(preamble), nbf.new_code_cell(attack), *[nbf.new_code_cell(text) for _, text in functions]])
    result = grade(GradeRequest(LESSON, tmp_path / "sub"))
    assert not marker.exists(), "the default argument ran in the child, not here"
    assert result.score > 0


def test_a_file_that_is_not_a_notebook_says_so(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / f"{LESSON}.ipynb").write_text("this is not JSON")
    result = grade(GradeRequest(LESSON, folder))
    assert result.score == 0 and "could not be read: not a Jupyter notebook" in result.details["intake_note"]


def test_two_notebooks_and_no_module_file_ask_for_one_notebook(tmp_path):
    preamble, functions = reference_pieces()
    cells = [nbf.new_code_cell(preamble), *[nbf.new_code_cell(text) for _, text in functions]]
    write_notebook(tmp_path / "sub", cells, name="first_try.ipynb")
    write_notebook(tmp_path / "sub", cells, name="second_try.ipynb")
    result = grade(GradeRequest(LESSON, tmp_path / "sub"))
    assert result.score == 0
    assert "2 notebooks (first_try.ipynb, second_try.ipynb) and no tensors.py: submit the one notebook" in result.details["intake_note"]
