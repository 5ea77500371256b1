"""The wire format between the grader and the child process that runs student code.

A message is a JSON header followed by binary blobs, each blob one numpy array: its raw bytes
after a small JSON description (dtype and shape), or, for structured dtypes, the ``.npy``
format read with ``allow_pickle=False``. Object dtypes are refused and JSON is plain data, so
nothing one side sends can make the other side execute code.

Framing: ``u32 header length | header | u32 blob count | blob*``, where a blob is
``b"r" | u16 meta length | meta | u64 length | raw bytes`` or ``b"n" | u64 length | .npy bytes``.

This module is imported by the child as a plain file (no ``grader`` package there), so it
depends on the standard library and numpy alone.
"""

from __future__ import annotations

import fcntl
import functools
import io
import json
import math
import os
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
    """A function of the child's helpers, by name (for student code that takes a function)."""

    def __init__(self, name: str):
        self.name = name


class Rng:
    """A fresh ``numpy.random.default_rng(seed)`` made on the other side."""

    def __init__(self, seed: int):
        self.seed = int(seed)


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


PIPE_BYTES = 1 << 20


def make_pipe() -> tuple[int, int]:
    """``os.pipe()`` with a 1 MiB buffer where the system allows (large arrays then cross in
    few wake-ups rather than one per 64 KiB)."""
    read_end, write_end = os.pipe()
    try:
        fcntl.fcntl(write_end, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except OSError:
        pass
    return read_end, write_end


def write_message(stream, header: dict, blobs: list) -> None:
    """Write one framed message (``header`` plus the arrays in ``blobs``) to a binary stream."""
    payload = json.dumps(header, allow_nan=True).encode()
    stream.write(struct.pack("<I", len(payload)) + payload + struct.pack("<I", len(blobs)))
    for array in blobs:
        if array.dtype.fields is not None:
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            view = buffer.getbuffer()
            stream.write(b"n" + struct.pack("<Q", view.nbytes))
            stream.write(view)
            del view
            continue
        if not array.flags.c_contiguous:
            array = array.copy(order="C")
        stream.write(_raw_prefix(array.dtype.str, array.shape) + struct.pack("<Q", array.nbytes))
        if array.nbytes:
            stream.write(array.reshape(-1).view(np.uint8))
    stream.flush()


@functools.lru_cache(maxsize=4096)
def _raw_prefix(dtype: str, shape: tuple) -> bytes:
    """``b"r" | u16 meta length | meta`` of a raw array (a message carries many arrays of few shapes)."""
    meta = json.dumps({"d": dtype, "s": list(shape)}).encode()
    return b"r" + struct.pack("<H", len(meta)) + meta


def read_message(stream) -> tuple[dict, list]:
    """Read one framed message; raises EOFError when the other side has gone."""
    (length,) = struct.unpack("<I", _read_exact(stream, 4))
    if length > MAX_MESSAGE_BYTES:
        raise ProtocolError("message header too large")
    try:
        header = json.loads(_read_exact(stream, length))
    except RecursionError:
        raise ProtocolError("message header nested too deeply") from None
    if not isinstance(header, dict):
        raise ProtocolError("message header is not an object")
    (count,) = struct.unpack("<I", _read_exact(stream, 4))
    blobs, total = [], 0
    for _ in range(count):
        kind = _read_exact(stream, 1)
        if kind == b"n":
            (size,) = struct.unpack("<Q", _read_exact(stream, 8))
            total += size
            if total > MAX_MESSAGE_BYTES:
                raise ProtocolError("message larger than 1 GiB")
            blobs.append(np.load(io.BytesIO(_read_exact(stream, size)), allow_pickle=False))
        elif kind == b"r":
            (meta_length,) = struct.unpack("<H", _read_exact(stream, 2))
            dtype, shape = _described(_read_exact(stream, meta_length))
            (size,) = struct.unpack("<Q", _read_exact(stream, 8))
            total += size
            if total > MAX_MESSAGE_BYTES:
                raise ProtocolError("message larger than 1 GiB")
            if size != dtype.itemsize * math.prod(shape):
                raise ProtocolError("array size does not match its shape")
            if size == 0:
                blobs.append(np.empty(shape, dtype))
            else:
                blobs.append(np.frombuffer(_read_into(stream, size), dtype).reshape(shape))
        else:
            raise ProtocolError("unknown kind of array in message")
    return header, blobs


def _described(meta: bytes) -> tuple[np.dtype, tuple]:
    """The dtype and shape of a raw array; plain dtypes only (no objects, no fields). Short
    descriptions are read once each (a message carries many arrays of few shapes)."""
    return _described_short(meta) if len(meta) <= SHORT_DESCRIPTION else _read_description(meta)


#: Descriptions up to this many bytes are kept once read (4,096 of them: at most 1 MiB).
SHORT_DESCRIPTION = 256


def _read_description(meta: bytes) -> tuple[np.dtype, tuple]:
    try:
        description = json.loads(meta)
        dtype = np.dtype(str(description["d"]))
        shape = tuple(description["s"])
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise ProtocolError(f"bad array description: {error}") from None
    if dtype.hasobject or dtype.fields is not None:
        raise ProtocolError("arrays of Python objects may not cross")
    if len(shape) > 64 or not all(type(n) is int and n >= 0 for n in shape):
        raise ProtocolError("bad array shape")
    return dtype, shape


_described_short = functools.lru_cache(maxsize=4096)(_read_description)  # what is refused raises, and is not kept


def _read_into(stream, size: int) -> bytearray:
    buffer = bytearray(size)
    view, done = memoryview(buffer), 0
    while done < size:
        got = stream.readinto(view[done:])
        if not got:
            raise EOFError("the other process closed the connection")
        done += got
    return buffer


def _read_exact(stream, size: int) -> bytes:
    first = stream.read(size) or b""
    if len(first) == size:  # a buffered stream reads until it has them all, or the end
        return first
    chunks, left = [first], size - len(first)
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other process closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
