"""The wire format between grader and child: plain data and .npy arrays, never pickles."""

from __future__ import annotations

import io

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
    stream.write(b"".join([len(b"{}").to_bytes(4, "little"), b"{}", (1).to_bytes(4, "little"), len(data).to_bytes(8, "little"), data]))
    stream.seek(0)
    with pytest.raises(ValueError, match="allow_pickle"):
        protocol.read_message(stream)
