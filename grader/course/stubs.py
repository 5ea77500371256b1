"""The words a released stub raises: written by :mod:`grader.authoring.release`, recognised in results.

A stub's body is ``raise NotImplementedError("NAME: your code here")``. When a check meets that
exact message, the student has not written NAME yet, and the result says so in those words;
any other ``NotImplementedError`` is the student's own and is shown as it is.
"""

from __future__ import annotations

STUB_SUFFIX = ": your code here"


def stub_message(name: str) -> str:
    """The message of the ``NotImplementedError`` that the stub of ``name`` raises."""
    return f"{name}{STUB_SUFFIX}"


def stub_raise(name: str) -> str:
    """The stub's body line (without indentation) for function or method ``name``."""
    return f'raise NotImplementedError("{stub_message(name)}")'


def unwritten(message: str) -> str | None:
    """The function a stub's message names (``stub_message(NAME)`` -> NAME), or None when
    ``message`` is not exactly a stub's. ``message`` may be the child's report: its first line
    is compared, after what precedes ``NotImplementedError: `` (the traceback follows)."""
    lines = message.strip().splitlines()
    text = lines[0].rpartition("NotImplementedError: ")[2] if lines else ""
    name = text.removesuffix(STUB_SUFFIX)
    if name == text or not name or not all(part.isidentifier() for part in name.split(".")):
        return None
    return name
