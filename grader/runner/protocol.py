"""The wire format between the grader and the child process that runs student code.

A message is a JSON header followed by binary blobs, each blob one numpy array saved in
``.npy`` format. Arrays are always read back with ``allow_pickle=False`` and JSON is plain
data, so nothing one side sends can make the other side execute code.

Framing: ``u32 header length | header | u32 blob count | (u64 blob length | blob)*``.

This module is imported by the child as a plain file (no ``grader`` package there), so it
depends on the standard library and numpy alone.
"""

from __future__ import annotations

import io
import json
import struct

import numpy as np

MAX_MESSAGE_BYTES = 1 << 30


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


class Unencodable(TypeError):
    """A value of a type that may not cross between the processes."""


class Stored:
    """A reference to a value the child already holds (sent once with a ``store`` request)."""

    def __init__(self, key: str):
        self.key = key


class Ref:
    """In a batch of calls, the result of an earlier call of the same batch."""

    def __init__(self, index: int):
        self.index = index


class Handle:
    """An object that lives in the child, named by its number there."""

    def __init__(self, number: int, type_name: str = "object"):
        self.number = number
        self.type_name = type_name


class Function:
    """One of :data:`TEST_FUNCTIONS` (for student code that takes a function)."""

    def __init__(self, name: str):
        self.name = name


class Rng:
    """A fresh ``numpy.random.default_rng(seed)`` made on the other side."""

    def __init__(self, seed: int):
        self.seed = int(seed)


#: Scalar functions of an array that the grader may hand to student code (never answers).
TEST_FUNCTIONS = {
    "sum_of_squares": lambda x: float(np.sum(x**2)),
    "sum_sin_times_index": lambda x: float(np.sum(np.sin(x) * np.arange(1, x.size + 1).reshape(x.shape))),
    "log_sum_exp": lambda x: float(np.log(np.sum(np.exp(x)))),
    "product_of_cosines": lambda x: float(np.prod(np.cos(x))),
}


def encode(value, blobs: list, keep=None) -> object:
    """Turn ``value`` into JSON-able data, appending its arrays to ``blobs``.

    ``keep(obj) -> number``, when given, turns any other object into a :class:`Handle`
    (the child keeps it); without it such an object is :class:`Unencodable`.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) in (int, float):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unencodable("an array of Python objects (dtype=object)")
        blobs.append(np.array(value, copy=True).view(np.ndarray))  # as it is now: it may change later
        return {"__ndarray__": len(blobs) - 1, "type": _type_name(value)}
    if isinstance(value, np.generic):
        if isinstance(value, np.object_):
            raise Unencodable("a numpy object scalar")
        blobs.append(np.asarray(value))
        return {"__npscalar__": len(blobs) - 1}
    if type(value) is Stored:
        return {"__stored__": value.key}
    if type(value) is Ref:
        return {"__ref__": value.index}
    if type(value) is Handle:
        return {"__handle__": value.number, "type": value.type_name}
    if type(value) is Function:
        return {"__function__": value.name}
    if type(value) is Rng:
        return {"__rng__": value.seed}
    if type(value) in (list, tuple):
        tag = "__list__" if type(value) is list else "__tuple__"
        return {tag: [encode(item, blobs, keep) for item in value]}
    if type(value) is dict and all(type(key) is str for key in value):
        return {"__dict__": {key: encode(item, blobs, keep) for key, item in value.items()}}
    if keep is not None:
        return {"__handle__": keep(value), "type": type(value).__name__}
    if type(value) is dict:
        raise Unencodable("a dict whose keys are not all strings")
    raise Unencodable(f"an object of type {_type_name(value)}")


REFERENCE_TAGS = ("__stored__", "__ref__", "__handle__", "__function__", "__rng__")


def decode(data, blobs: list, resolve=None):
    """Inverse of :func:`encode`. ``resolve(tag, data)`` turns references (stored values,
    batch results, handles, test functions) into values; without it they are refused."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        raise ProtocolError("bare list in message")
    if not isinstance(data, dict) or len(data) == 0:
        raise ProtocolError(f"unexpected value in message: {type(data).__name__}")
    if "__ndarray__" in data:
        return _blob(blobs, data["__ndarray__"])
    if "__npscalar__" in data:
        array = _blob(blobs, data["__npscalar__"])
        if array.shape != ():
            raise ProtocolError("numpy scalar with a shape")
        return array[()]
    for tag in REFERENCE_TAGS:
        if tag in data:
            if resolve is None:
                raise ProtocolError(f"unexpected reference {tag}")
            return resolve(tag, data)
    if "__list__" in data:
        return [decode(item, blobs, resolve) for item in data["__list__"]]
    if "__tuple__" in data:
        return tuple(decode(item, blobs, resolve) for item in data["__tuple__"])
    if "__dict__" in data:
        return {str(key): decode(item, blobs, resolve) for key, item in data["__dict__"].items()}
    raise ProtocolError(f"unknown tag in message: {sorted(data)[:3]}")


def _blob(blobs: list, index) -> np.ndarray:
    if not isinstance(index, int) or not 0 <= index < len(blobs):
        raise ProtocolError("array index out of range")
    return blobs[index]


def _type_name(value) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def write_message(stream, header: dict, blobs: list) -> None:
    """Write one framed message (``header`` plus the arrays in ``blobs``) to a binary stream."""
    payload = json.dumps(header, allow_nan=True).encode()
    stream.write(struct.pack("<I", len(payload)) + payload + struct.pack("<I", len(blobs)))
    for array in blobs:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        view = buffer.getbuffer()
        stream.write(struct.pack("<Q", view.nbytes))
        stream.write(view)
        del view
    stream.flush()


def read_message(stream) -> tuple[dict, list]:
    """Read one framed message; raises EOFError when the other side has gone."""
    (length,) = struct.unpack("<I", _read_exact(stream, 4))
    if length > MAX_MESSAGE_BYTES:
        raise ProtocolError("message header too large")
    header = json.loads(_read_exact(stream, length))
    if not isinstance(header, dict):
        raise ProtocolError("message header is not an object")
    (count,) = struct.unpack("<I", _read_exact(stream, 4))
    blobs, total = [], 0
    for _ in range(count):
        (size,) = struct.unpack("<Q", _read_exact(stream, 8))
        total += size
        if total > MAX_MESSAGE_BYTES:
            raise ProtocolError("message larger than 1 GiB")
        blobs.append(np.load(io.BytesIO(_read_exact(stream, size)), allow_pickle=False))
    return header, blobs


def _read_exact(stream, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other process closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
