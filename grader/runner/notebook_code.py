"""A notebook submitted as a lesson's module: its code read as data, never run here.

The notebook is parsed as JSON (nbformat); nothing in it is executed by the grader. From the
cells tagged with a task (``task:NAME`` in the cell's tags, as ``grade start --notebook``
writes them), or, where no cell is tagged, from every code cell, the module keeps what a
module file would hold: imports, ``def`` and ``class`` statements, and assignments of
constants. Magics (``%matplotlib``), shell escapes (``!pip``) and statements that run code
(training, plotting, printing) are left out. A cell that does not compile is kept as it is, so
that the module fails to compile as the notebook did, and the note names the cell.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

#: The tag prefix of a cell that holds a task's code.
TASK_TAG = "task:"
#: Statements kept from a cell: what defines names without running the student's code.
KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class NotebookCode:
    """The module made from a notebook, and what was taken and left out (for the result's note)."""

    source: str
    cells: list[int] = field(default_factory=list)
    left_out: int = 0
    broken: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        """One line on what was taken: ``the code of your notebook's cells 2, 4, 5 was graded as the lesson's file (3 statements ... left out)``."""
        numbers = ", ".join(str(number) for number in self.cells)
        if len(self.cells) == 1:
            text = f"the code of your notebook's cell {numbers} was graded as the lesson's file"
        else:
            text = f"the code of your notebook's cells {numbers or '(none)'} was graded as the lesson's file"
        if self.left_out:
            text += f" ({self.left_out} statement{'s' if self.left_out != 1 else ''} that run code, magics or shell commands left out)"
        if self.broken:
            text += "; " + "; ".join(self.broken)
        return text


class NotebookError(ValueError):
    """A file that is not a notebook (not JSON, or no cells)."""


def notebook_code(content: bytes) -> NotebookCode:
    """The lesson's module from a notebook's bytes (see the module docstring)."""
    import nbformat

    try:
        notebook = nbformat.reads(content.decode("utf-8"), as_version=4)
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except Exception as error:  # nbformat raises its own kinds for JSON, versions and schema
        raise NotebookError(f"not a Jupyter notebook ({type(error).__name__}: {str(error)[:200]})") from None
    code_cells = [(number, cell) for number, cell in enumerate(cells, start=1) if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    tagged = [(number, cell) for number, cell in code_cells if any(str(tag).startswith(TASK_TAG) for tag in _tags(cell))]
    chosen = tagged or code_cells
    made = NotebookCode("")
    parts = []
    for number, cell in chosen:
        source = _cell_source(cell)
        kept, left_out, problem = _module_part(source, number)
        if kept.strip():
            parts.append(f"# cell {number}\n{kept.rstrip()}\n")
            made.cells.append(number)
        made.left_out += left_out
        if problem:
            made.broken.append(problem)
    made.source = "\n\n".join(parts)
    return made


def _tags(cell: dict) -> list:
    metadata = cell.get("metadata")
    tags = metadata.get("tags", []) if isinstance(metadata, dict) else []
    return tags if isinstance(tags, list) else []


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip()
        # magics and shell escapes are IPython's, not Python: blank them (keeping line numbers)
        lines.append("" if stripped.startswith(("%", "!")) or stripped.startswith("get_ipython(") else line)
    return "\n".join(lines)


def _module_part(source: str, number: int) -> tuple[str, int, str]:
    """``(kept source, statements left out, problem)`` of one cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return source, 0, f"cell {number} does not compile (line {error.lineno}: {error.msg})"
    lines = source.splitlines()
    kept, left_out = [], 0
    for node in tree.body:
        if isinstance(node, KEPT) or _constant_assignment(node):
            first = min([node.lineno, *(decorator.lineno for decorator in getattr(node, "decorator_list", []))])
            kept.append("\n".join(lines[first - 1 : node.end_lineno]))
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # a docstring does nothing
            left_out += 1
    return "\n".join(kept), left_out, ""


def _constant_assignment(node: ast.stmt) -> bool:
    """``NAME = <a literal>`` (numbers, strings, tuples and lists of them): a module constant."""
    if isinstance(node, ast.Assign) and all(isinstance(target, ast.Name) for target in node.targets):
        value = node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        value = node.value
    else:
        return False
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
