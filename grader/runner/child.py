"""The child process: imports the student's modules and runs calls sent by the grader.

Started by :mod:`grader.runner.proxy` as ``python -I child.py IN_FD OUT_FD MODULE...`` in a
folder holding a copy of the submission. It speaks :mod:`protocol` over the two pipe file
descriptors; the student's own prints go to standard output and error, which the grader
discards or caps. It never imports the ``grader`` package, so nothing of the grader's
reaches the student's process but this file and the protocol.
"""

import os
import sys
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402

sys.path.pop(0)

import numpy as np  # noqa: E402

MAX_TEXT = 2000
SUBMISSION_DIR = os.getcwd()
STORE: dict = {}


def student_traceback(error: BaseException) -> str:
    """The traceback of ``error`` cut to the frames in the student's own files."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if os.path.abspath(frame.filename).startswith(SUBMISSION_DIR + os.sep)
    ]
    lines = [exception_line(error)]
    if frames:
        lines.append("Traceback (your code, most recent call last):")
    for frame in frames:
        name = os.path.relpath(frame.filename, SUBMISSION_DIR)
        lines.append(f'  File "{name}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return _truncate("\n".join(lines))


def exception_line(error: BaseException) -> str:
    """``Type: message`` for an exception, as Python prints its last line."""
    text = _safe_str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _safe_str(value) -> str:
    try:
        return _truncate(str(value))
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        return "<unprintable>"


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + " ... (cut)"


def import_module(name: str) -> tuple[object | None, dict]:
    """Import the student's ``name``.py; return the module and a status record."""
    path = os.path.join(SUBMISSION_DIR, name + ".py")
    if not os.path.isfile(path):
        return None, {"ok": False, "kind": "missing_file", "message": f"{name}.py not found in the submission"}
    try:
        module = __import__(name)
    except SyntaxError as error:
        where = os.path.relpath(error.filename or path, SUBMISSION_DIR)
        text = f"{where}, line {error.lineno}: {error.msg}"
        return None, {"ok": False, "kind": "syntax", "message": text}
    except SystemExit:
        return None, {"ok": False, "kind": "exit", "message": f"{name}.py called sys.exit() while being imported"}
    except BaseException as error:  # noqa: BLE001 - anything the student raises
        return None, {"ok": False, "kind": "exception", "message": f"importing {name}.py failed:\n" + student_traceback(error)}
    return module, {"ok": True}


def run_call(modules: dict, request: dict, blobs: list, out_blobs: list) -> dict:
    """Run one call of a student function; encode its reply, its arrays into ``out_blobs``."""
    module_name, name = request["module"], request["name"]
    module = modules.get(module_name)
    if module is None:
        return {"ok": False, "kind": "import", "message": f"{module_name}.py could not be imported"}
    function = getattr(module, name, None)
    if function is None or not callable(function):
        message = f"{module_name}.py defines no function '{name}'"
        return {"ok": False, "kind": "missing", "message": message}
    try:
        args = protocol.decode(request["args"], blobs, STORE)
        kwargs = protocol.decode(request["kwargs"], blobs, STORE)
    except protocol.ProtocolError as error:
        return {"ok": False, "kind": "protocol", "message": f"the grader sent a bad request: {error}"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(all="warn", under="ignore"):
                result = function(*args, **kwargs)
        except SystemExit:
            return {"ok": False, "kind": "exception", "message": f"{name} called sys.exit()"}
        except BaseException as error:  # noqa: BLE001
            kind = "not_implemented" if isinstance(error, NotImplementedError) else "exception"
            return {"ok": False, "kind": kind, "message": student_traceback(error), "type": type(error).__name__}
    mark = len(out_blobs)
    try:
        reply = {"ok": True}
        if not request.get("discard_result"):
            reply["result"] = protocol.encode(result, out_blobs)
        if request.get("return_args"):
            reply["args_after"] = protocol.encode(list(args), out_blobs)
    except protocol.Unencodable as error:
        del out_blobs[mark:]
        return {"ok": False, "kind": "type", "message": f"{name} returned {error}"}
    except BaseException as error:  # noqa: BLE001 - a lying __array__ or __len__
        del out_blobs[mark:]
        return {"ok": False, "kind": "type", "message": f"{name} returned a value that could not be read: {exception_line(error)}"}
    reply["warnings"] = [_describe_warning(item) for item in caught[:5]]
    return reply


def _describe_warning(item) -> str:
    where = os.path.relpath(item.filename, SUBMISSION_DIR) if item.filename else "?"
    return _truncate(f"{item.category.__name__}: {_safe_str(item.message)} ({where}, line {item.lineno})")


def main(argv: list[str]) -> None:
    """Serve calls until the grader closes the pipe."""
    inbox = os.fdopen(int(argv[1]), "rb")
    outbox = os.fdopen(int(argv[2]), "wb")
    sys.path.insert(0, SUBMISSION_DIR)
    modules, status = {}, {}
    for name in argv[3:]:
        modules[name], status[name] = import_module(name)
    protocol.write_message(outbox, {"hello": status}, [])
    while True:
        try:
            request, blobs = protocol.read_message(inbox)
        except EOFError:
            return
        out_blobs: list = []
        if request.get("op") == "store":
            STORE[str(request["key"])] = protocol.decode(request["value"], blobs)
            reply = {"ok": True}
        elif request.get("op") == "batch":
            reply = {"replies": [run_call(modules, call, blobs, out_blobs) for call in request["calls"]]}
        else:
            reply = run_call(modules, request, blobs, out_blobs)
        protocol.write_message(outbox, reply, out_blobs)


if __name__ == "__main__":
    main(sys.argv)
