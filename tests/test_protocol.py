"""The wire format between grader and child: plain data and .npy arrays, never pickles."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from grader.runner import protocol


def roundtrip(value):
    blobs: list = []
    data = protocol.encode(value, blobs)
    stream = io.BytesIO()
    protocol.write_message(stream, {"v": data}, blobs)
    stream.seek(0)
    header, read_blobs = protocol.read_message(stream)
    return protocol.decode(header["v"], read_blobs)


def test_values_survive_the_round_trip():
    value = {"a": [1, 2.5, None, True, "s"], "t": (np.float32(1.5), np.arange(6.0).reshape(2, 3)), "nan": float("nan")}
    back = roundtrip(value)
    assert back["a"] == [1, 2.5, None, True, "s"]
    assert isinstance(back["t"], tuple) and back["t"][0].dtype == np.float32
    np.testing.assert_array_equal(back["t"][1], np.arange(6.0).reshape(2, 3))
    assert np.isnan(back["nan"])


def test_ndarray_subclass_arrives_as_plain_array():
    class Lying(np.ndarray):
        def __eq__(self, other):
            return True

    back = roundtrip(np.zeros(3).view(Lying))
    assert type(back) is np.ndarray


@pytest.mark.parametrize("value", [np.array([object()], dtype=object), object(), {1: 2}, {1, 2}])
def test_objects_are_refused(value):
    with pytest.raises(protocol.Unencodable):
        protocol.encode(value, [])


def test_a_pickled_array_is_never_loaded():
    stream = io.BytesIO()
    payload = io.BytesIO()
    np.save(payload, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    data = payload.getvalue()
    stream.write(b"".join([len(b"{}").to_bytes(4, "little"), b"{}", (1).to_bytes(4, "little"), b"n", len(data).to_bytes(8, "little"), data]))
    stream.seek(0)
    with pytest.raises(ValueError, match="allow_pickle"):
        protocol.read_message(stream)


def _raw_message(description: dict, data: bytes) -> io.BytesIO:
    meta = json.dumps(description).encode()
    head = [len(b"{}").to_bytes(4, "little"), b"{}", (1).to_bytes(4, "little"), b"r", len(meta).to_bytes(2, "little"), meta]
    return io.BytesIO(b"".join([*head, len(data).to_bytes(8, "little"), data]))


@pytest.mark.parametrize(
    "description, data, problem",
    [
        ({"d": "|O", "s": [1]}, b"\0" * 8, "objects"),
        ({"d": "<f8", "s": [3]}, b"\0" * 8, "size"),
        ({"d": "<f8", "s": [-1]}, b"", "shape"),
        ({"d": "no such dtype", "s": [1]}, b"\0" * 8, "description"),
    ],
)
def test_a_bad_raw_array_is_refused(description, data, problem):
    with pytest.raises(protocol.ProtocolError, match=problem):
        protocol.read_message(_raw_message(description, data))


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.float32).reshape(3, 4).T,  # not C-contiguous
        np.array(2.5),
        np.zeros((0, 4)),
        np.array(["ab", "c"]),
        np.array([1, 2], dtype="datetime64[ns]"),
        np.array([1 + 2j]),
        np.array([True, False]),
        np.zeros(2, dtype=[("x", "<f8"), ("y", "<i4")]),
    ],
)
def test_arrays_of_every_plain_dtype_survive(array):
    back = roundtrip(array)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    if back.size:
        back.reshape(-1)[0] = back.reshape(-1)[-1]  # writable, as the student's code may need
