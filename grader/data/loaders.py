"""Read the verified data sets into arrays and lists, by the format their manifest names.

``idx-images`` (the MNIST family, Fashion-MNIST among them): the four IDX files, parsed here
(magic number, dimensions and sizes checked) into uint8 arrays. ``aclimdb`` (the Large Movie
Review Dataset): the aclImdb layout read from the tarball (canonical or the labelled repack)
without unpacking it, into lists of texts and 0/1 labels. :func:`load_dataset` picks the
reader from the manifest's ``format``.
"""

from __future__ import annotations

import gzip
import re
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

from grader.data.store import DataError, data_dir, load_manifest, require

IDX_TYPES = {0x08: np.uint8}


def parse_idx(raw: bytes, name: str) -> np.ndarray:
    """An IDX file's array: magic 0x00 0x00 TYPE NDIM, NDIM big-endian u32 sizes, then data."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DataError(f"{name}: not an IDX file of unsigned bytes (magic {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + int(np.prod(shape)):
        raise DataError(f"{name}: {len(raw) - header} bytes of data for shape {shape}")
    return np.frombuffer(raw, dtype=IDX_TYPES[raw[2]], offset=header).reshape(shape)


def load_idx_images(name: str, root: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train (N, 28, 28) uint8, y_train (N,), x_test (M, 28, 28), y_test (M,)) of an
    MNIST-family data set: ``train-images-idx3-ubyte.gz`` and its three companions."""
    files = require(load_manifest(name), data_dir(root))
    arrays = {}
    for name, path in files.items():
        with gzip.open(path, "rb") as handle:
            arrays[name] = parse_idx(handle.read(), name)
    x_train, y_train = arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]
    x_test, y_test = arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]
    if x_train.shape[1:] != (28, 28) or len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DataError(f"{name}: unexpected shapes {x_train.shape}, {y_train.shape}, {x_test.shape}, {y_test.shape}")
    return x_train, y_train, x_test, y_test


_REVIEW = re.compile(r"^aclImdb/(train|test)/(pos|neg)/\d+_\d+\.txt$")


def load_aclimdb(name: str, root: str | Path | None = None) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """(train texts, train labels, test texts, test labels) of the aclImdb layout; labels 1
    positive, 0 negative, in a fixed order (sorted member names)."""
    files = require(load_manifest(name), data_dir(root))
    archive = next(path for name, path in files.items() if name.endswith(".tar.gz"))
    splits: dict[str, list[tuple[str, str, int]]] = {"train": [], "test": []}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            match = _REVIEW.match(member.name)
            if match and member.isfile():
                handle = tar.extractfile(member)
                if handle is None:
                    raise DataError(f"{name}: {archive}: {member.name} cannot be read")
                text = handle.read().decode("utf-8")
                splits[match.group(1)].append((member.name, text, int(match.group(2) == "pos")))
    result: list[Any] = []
    for split in ("train", "test"):
        rows = sorted(splits[split])
        if len(rows) != 25000:
            raise DataError(f"{name}: {archive} holds {len(rows)} labelled {split} reviews, expected 25,000")
        result += [[text for _, text, _ in rows], np.array([label for _, _, label in rows], dtype=np.int64)]
    return result[0], result[1], result[2], result[3]



#: The readers by the ``format`` a data set's manifest names.
FORMATS = {"idx-images": load_idx_images, "aclimdb": load_aclimdb}


def load_dataset(name: str, root: str | Path | None = None):
    """``(x_train, y_train, x_test, y_test)`` of data set ``name``, verified on the way, read
    by the reader of its manifest's ``format``."""
    dataset = load_manifest(name)
    reader = FORMATS.get(dataset.format)
    if reader is None:
        raise DataError(f"{name}: no reader for format {dataset.format!r} (known: {', '.join(FORMATS)})")
    return reader(name, root)
