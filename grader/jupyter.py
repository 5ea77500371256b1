"""Checking and submitting from a notebook (Jupyter, VS Code, Colab)::

    from grader.jupyter import Lesson
    lesson = Lesson("activations")
    lesson.check("sigmoid")      # the public checks of one task, on the functions this kernel defined
    lesson.check()               # every public check of the lesson
    lesson.submit()              # to the grading service of your last `grade login`

What is checked and submitted is the lesson's module as this kernel holds it: the imports, the
constants and the functions and classes defined in the notebook (their source as the kernel
ran it, so an unsaved notebook, or Colab's, is what counts), written as the lesson's file and
run through the same public checks as ``grade check``: the same messages. Passing them says
that the public checks pass; the hidden checks run when you submit.
"""

from __future__ import annotations

import ast
import html
import inspect
import sys
import tempfile
import types
from pathlib import Path

from grader.core.public_checks import run_public_checks
from grader.core.results import GradingResult
from grader.course.catalogue import get_lesson
from grader.reports.reading import points

#: Packages whose names a notebook imports to check and submit, never part of the lesson's file.
ENGINE_PACKAGES = frozenset({"grader"})
PASSED_NOTE = "public checks passed; the hidden checks run when you submit"


def kernel_module_source(namespace: dict) -> str:
    """The lesson's module from a kernel's ``namespace`` (its ``__main__``): ``import`` lines for
    the modules it bound, literal constants, then the source of each function and class the
    notebook defined (in the order they were defined)."""
    imports, constants, definitions = [], [], []
    for name, value in namespace.items():
        own_definition = (inspect.isfunction(value) or inspect.isclass(value)) and getattr(value, "__module__", "") == "__main__"
        if name.startswith("__") or name in {"In", "Out", "exit", "quit", "get_ipython"} or (name.startswith("_") and not own_definition):
            continue  # IPython's own names (_, _i3, _oh, ...); a student's private helper function stays
        if isinstance(value, types.ModuleType):
            if value.__name__.split(".")[0] in ENGINE_PACKAGES:
                continue
            imports.append(f"import {value.__name__}" if value.__name__ == name else f"import {value.__name__} as {name}")
        elif (origin := _imported_from(value)) is not None:
            imports.append(f"from {origin} import {value.__name__}" + ("" if value.__name__ == name else f" as {name}"))
        elif isinstance(value, (int, float, str, bool, tuple)) and _literal(value):
            constants.append(f"{name} = {value!r}")
        elif own_definition:
            try:
                definitions.append(inspect.getsource(value).rstrip() + "\n")
            except (OSError, TypeError):
                continue  # defined where no source is kept (exec of a string): not the student's cell
    return "\n".join([*imports, "", *constants, "", *definitions])


def _imported_from(value) -> str | None:
    """The module a function, class or other named object was imported from (``from torch.nn
    import Linear``: ``torch.nn.modules.linear``, where ``Linear`` is that module's own), else None."""
    module, name = getattr(value, "__module__", None), getattr(value, "__name__", None)
    if not isinstance(module, str) or not isinstance(name, str) or module in ("__main__", "builtins") or not name.isidentifier():
        return None
    if module.split(".")[0] in ENGINE_PACKAGES:
        return None  # the notebook's own `from grader.jupyter import Lesson`: not the student's code
    try:
        return module if getattr(sys.modules.get(module), name, None) is value else None
    except Exception:  # a module whose attributes raise on access
        return None


def _literal(value) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False


class Lesson:
    """A lesson as seen from a notebook (see the module docstring)."""

    def __init__(self, lesson_id: str, namespace: dict | None = None):
        self.lesson = get_lesson(lesson_id)
        self._namespace = namespace

    def _kernel_namespace(self) -> dict:
        """The notebook's names: IPython's user namespace in a kernel, else ``__main__``'s."""
        if self._namespace is not None:
            return self._namespace
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:
            shell = None
        return shell.user_ns if shell is not None else vars(sys.modules["__main__"])

    def module_source(self) -> str:
        """The lesson's file as this kernel would hand it in."""
        return kernel_module_source(self._kernel_namespace())

    def check(self, task: str | None = None) -> CheckReport:
        """Run the lesson's public checks (of ``task``, or all) on this kernel's code; the report
        shows as a table in the notebook (plain text where there is no HTML)."""
        if task is not None and task not in self.lesson.tasks:
            raise ValueError(f"{self.lesson.id} has no task {task!r} (its tasks: {', '.join(self.lesson.tasks)})")
        with tempfile.TemporaryDirectory(prefix="grader-notebook-check-") as scratch:
            folder = Path(scratch)
            (folder / self.lesson.filename).write_text(self.module_source())
            result = run_public_checks(self.lesson.id, folder, task=task)
        tests = [test for test in result.tests if task is None or test.task == task]
        return CheckReport(self.lesson.id, task, GradingResult(result.lesson, result.submission, result.student, tests))

    def submit(self, server: str | None = None, token: str | None = None) -> dict:
        """Send this kernel's code to the grading service (``server``: default the one of your
        last ``grade login``; with none, asked for once, with your token, and saved as
        ``grade login`` saves them) and print the receipt, then the result; the result's JSON."""
        import hashlib

        from grader.platforms.service_client import Client
        from grader.platforms.student import submit_to_server

        server, token = _server_and_token(server, token)
        source = self.module_source()
        print(f"submitting {self.lesson.filename} as this kernel defines it (sha256 {hashlib.sha256(source.encode()).hexdigest()[:16]})")
        with tempfile.TemporaryDirectory(prefix="grader-notebook-submit-") as scratch:
            folder = Path(scratch)
            (folder / self.lesson.filename).write_text(source)
            _, receipt, final = submit_to_server(self.lesson.id, folder, Client(server, token))
        print(f"receipt: {receipt['id']} (sha256 {receipt['sha256'][:16]})")
        result = (final or {}).get("result") or {}
        if result:
            print(f"{self.lesson.id}: {points(result.get('score', 0))} / {points(result.get('max_score', 0))}")
        return result


def _server_and_token(server: str | None, token: str | None) -> tuple[str, str]:
    """The service and token to submit with: those given, else those of ``grade login``, else
    asked for (the token without echo) and saved, so that a notebook asks once."""
    from getpass import getpass

    from grader.platforms.service_client import ServiceError, default_server, find_token, sign_in

    if server and token:
        return server, token
    server = server or default_server()
    if token is None and server:
        try:
            return server, find_token(server)
        except ServiceError:
            pass  # no token saved for it: ask
    server = server or input("The URL of your grading service (from your instructor): ").strip()
    token = token or getpass("Your token: ").strip()
    if not server or not token:
        raise RuntimeError("no grading service or token: run `grade login URL` once, or pass lesson.submit(server, token)")
    try:
        saved = sign_in(server, token)
    except ServiceError as error:
        raise RuntimeError(f"this token is not valid for {server}: check it with your instructor" if error.status == 401 else str(error)) from None
    print(f"signed in to {server}; token saved in {saved}")
    return server, token


class CheckReport:
    """What :meth:`Lesson.check` found: a table of the checks that did not pass (HTML, escaped;
    text elsewhere), or the line that they all passed."""

    def __init__(self, lesson: str, task: str | None, result: GradingResult):
        self.lesson, self.task, self.result = lesson, task, result

    @property
    def passed(self) -> bool:
        return bool(self.result.tests) and all(test.status == "passed" for test in self.result.tests)

    def _heading(self) -> str:
        what = self.task or self.lesson
        counts = sum(test.status == "passed" for test in self.result.tests)
        return f"{what}: {counts} of {len(self.result.tests)} {PASSED_NOTE}" if self.passed else f"{what}: {counts} of {len(self.result.tests)} public checks passed"

    def __repr__(self) -> str:
        lines = [self._heading()]
        lines += [f"- [{test.status}] {test.task}: {test.name}: {test.message}" for test in self.result.tests if test.status != "passed"]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(test.task)}</td><td>{html.escape(test.name)}</td><td>{html.escape(test.status)}</td><td><pre>{html.escape(test.message)}</pre></td></tr>"
            for test in self.result.tests
            if test.status != "passed"
        )
        table = f"<table><thead><tr><th>task</th><th>check</th><th>status</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>" if rows else ""
        return f"<p><b>{html.escape(self._heading())}</b></p>{table}"
