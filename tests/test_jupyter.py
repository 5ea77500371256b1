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
    one = run_public_checks(LESSON, py, task="tensor_sum")
    assert one.tests and {test.task for test in one.tests} == {"tensor_sum"}, "a task's check runs that task's checks alone"
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


def test_grade_check_of_a_notebook_checks_what_the_grader_reads(executed):
    path, _ = executed
    run = CliRunner().invoke(main, ["check", LESSON, str(path)])
    said = " ".join(run.output.split())
    assert run.exit_code == 1 and "tensor_sum" in said and "max abs error" in said, run.output


def test_lesson_submit_sends_what_the_kernel_defined_and_scores_as_autograde(tmp_path):
    pytest.importorskip("fastapi", reason="needs the service's packages: pip install -e '.[dev]'")
    from service_fixtures import Served

    served = Served(tmp_path, str(tmp_path / "grader.db"))
    token = served.accounts("nina")["nina"]
    served.start()
    try:
        functions = reference_functions()
        source = reference_file(LESSON, LESSON).read_text()
        imports = "\n".join(line for line in source.splitlines() if line.startswith(("import ", "from ")))
        cells = [
            nbformat.v4.new_code_cell(f'from grader.jupyter import Lesson\nlesson = Lesson("{LESSON}")'),
            nbformat.v4.new_code_cell(imports),
            *[nbformat.v4.new_code_cell(text) for text in functions.values()],
            nbformat.v4.new_code_cell(f'result = lesson.submit("{served.url}", "{token}")\nprint("SCORE", result["score"])'),
        ]
        notebook = nbformat.v4.new_notebook(cells=cells)
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
        printed = outputs(notebook.cells[-1])
        (tmp_path / "ref").mkdir()
        (tmp_path / "ref" / f"{LESSON}.py").write_text(source)
        expected = grade(GradeRequest(LESSON, tmp_path / "ref")).score
        assert f"SCORE {expected}" in printed and "receipt:" in printed and "sha256" in printed, printed
    finally:
        served.stop()


def test_the_kernels_module_keeps_private_helpers_and_leaves_out_ipythons_names(tmp_path):
    import runpy

    from grader.jupyter import kernel_module_source

    script = tmp_path / "cells.py"
    script.write_text("import numpy as np\nCONST = 3\n_i3 = 'a cell'\n_ = 41\n\ndef _helper(x):\n    return x + CONST\n\ndef task(x):\n    return np.asarray(_helper(x))\n")
    namespace = runpy.run_path(str(script), run_name="__main__")
    made = kernel_module_source(namespace)
    assert "import numpy as np" in made and "CONST = 3" in made and "def _helper(x):" in made and "def task(x):" in made
    assert "_i3" not in made and "_ = 41" not in made
    scope: dict = {}
    exec(compile(made, "made.py", "exec"), scope)  # the made module stands on its own
    assert scope["task"](1) == 4


def test_lesson_submit_asks_once_for_the_service_and_token_and_saves_them(tmp_path, monkeypatch):
    from grader import jupyter
    from grader.platforms import service_client

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("GRADER_SERVER", "GRADER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    checked = []
    monkeypatch.setattr(service_client.Client, "submissions", lambda self: checked.append((self.server, self.token)) or [])
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "http://127.0.0.1:9/")
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "tok-123")
    assert jupyter._server_and_token(None, None) == ("http://127.0.0.1:9/", "tok-123")
    assert len(asked) == 2 and checked, "asked for the URL and the token, and checked them with the service"
    assert jupyter._server_and_token(None, None) == ("http://127.0.0.1:9", "tok-123")
    assert len(asked) == 2, "the second submit asks nothing: grade login's files hold both"


def test_lesson_submit_says_when_the_token_is_not_valid(tmp_path, monkeypatch):
    from grader import jupyter
    from grader.platforms import service_client

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("GRADER_TOKEN", raising=False)

    def refuse(self):
        raise service_client.ServiceError("unauthorised", status=401)

    monkeypatch.setattr(service_client.Client, "submissions", refuse)
    monkeypatch.setattr("getpass.getpass", lambda prompt: "wrong")
    with pytest.raises(RuntimeError, match="this token is not valid for http://127.0.0.1:9"):
        jupyter._server_and_token("http://127.0.0.1:9", None)
    assert not (tmp_path / "config" / "nn-grader" / "tokens.json").exists(), "a refused token is not saved"


def test_a_model_lesson_starts_a_notebook_per_framework_that_grades_as_its_stub(tmp_path):
    from grader.course.paths import assignment_dir
    from grader.runner.intake import read_submission

    run = CliRunner().invoke(main, ["start", "fashion_mnist", str(tmp_path / "fm"), "--notebook"])
    assert run.exit_code == 0 and "fashion_mnist.ipynb or fashion_mnist_keras.ipynb" in run.output, run.output
    for notebook, stub in (("fashion_mnist.ipynb", "model.py"), ("fashion_mnist_keras.ipynb", "model_keras.py")):
        made = read_submission(tmp_path / "fm" / notebook, first=("model.py",))
        tagged = {tag for cell in nbformat.read(str(tmp_path / "fm" / notebook), as_version=4).cells for tag in cell.metadata.get("tags", [])}
        assert {"task:train", "task:predict"} <= tagged
        definitions = lambda source: {node.name: ast.dump(node) for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}  # noqa: E731
        expected = (assignment_dir("fashion_mnist") / stub).read_text()
        assert definitions(made.files["model.py"].decode()) == definitions(expected), notebook
        assert "FRAMEWORK = " in made.files["model.py"].decode()


def test_the_kernels_module_imports_the_names_a_cell_imported_from_modules(tmp_path):
    import runpy

    from grader.jupyter import kernel_module_source

    script = tmp_path / "cells.py"
    script.write_text("from numpy import exp as e\nfrom collections import OrderedDict\nfrom math import pi\n\ndef task(x):\n    return OrderedDict(v=e(x) + pi)\n")
    made = kernel_module_source(runpy.run_path(str(script), run_name="__main__"))
    scope: dict = {}
    exec(compile(made, "made.py", "exec"), scope)
    assert "from collections import OrderedDict" in made and "import exp as e" in made
    assert abs(scope["task"](0.0)["v"] - (1 + 3.141592653589793)) < 1e-12
