"""The package's architecture holds: import-linter's contracts in pyproject.toml pass, no module
of ``grader`` takes part in an import cycle, and a cycle added between two layers fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.argv[0] = 'lint-imports'; lint_imports_command()"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with ``root``'s pyproject.toml, on the ``grader`` package under ``root``:
    Python without ``site`` (so an editable install of this checkout cannot take precedence),
    with ``root`` and then the installed packages on its path."""
    packages = [path for path in sys.path if path.endswith(("site-packages", "dist-packages"))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *packages])}
    command = [sys.executable, "-S", "-c", LINT_IMPORTS, "--config", str(root / "pyproject.toml"), "--no-cache"]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def import_cycles(package: str) -> list[list[str]]:
    """The strongly connected groups of more than one module in ``package``'s import graph
    (every import counts: lazy ones inside functions and those only for type checking)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=False, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_import_linter_contracts_pass():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_no_module_of_the_package_is_in_an_import_cycle():
    assert import_cycles("grader") == []


def test_a_cycle_between_layers_fails_the_contract(tmp_path):
    shutil.copytree(ROOT / "grader", tmp_path / "grader", ignore=shutil.ignore_patterns("__pycache__", "_course"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    results = tmp_path / "grader" / "core" / "results.py"
    results.write_text(results.read_text() + "\n\ndef _terminal():\n    from grader.reports import terminal\n\n    return terminal\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "Each layer imports only from the layers below it BROKEN" in done.stdout
    assert "grader.core.results -> grader.reports.terminal" in done.stdout
