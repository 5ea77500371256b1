"""What the model lessons share between grading, the smoke check and the reports.

The data of a lesson, the sandbox limits its training gets, how predicted labels are checked
and how accuracy and the confusion matrix are computed. The frameworks themselves (torch,
TensorFlow) are never imported here: only the student's process loads them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from grader.errors import CheckFailed

if TYPE_CHECKING:
    from grader.course.catalogue import ModelSpec


def load_lesson_data(dataset: str, data_dir=None):
    """``(x_train, y_train, x_test, y_test)`` of the data set ``dataset`` (a lesson's
    :attr:`~grader.course.manifest.Lesson.data_set`), verified on the way."""
    from grader.data.loaders import load_dataset

    return load_dataset(dataset, data_dir)


def require_lesson_data(dataset: str, data_dir=None) -> None:
    """Raise :class:`grader.data.store.DataError` naming the fix when the data set ``dataset``
    is missing or fails its checksums."""
    from grader.data.store import data_dir as resolve
    from grader.data.store import load_manifest, require

    require(load_manifest(dataset), resolve(data_dir))


def child_limits(gpu: bool):
    """Sandbox limits for training a model: every core, room for a framework, and the GPU
    when asked for (CUDA needs its address space unlimited)."""
    from grader.runner.sandbox import Limits

    return Limits(
        memory_bytes=None if gpu else 12 << 30,
        cpu_seconds=24 * 3600,
        processes=4096,
        file_bytes=1 << 30,
        open_files=4096,
        threads=os.cpu_count() or 1,
        gpu=gpu,
    )


def take(x, index: np.ndarray):
    """Rows ``index`` of an array or of a list (the IMDB texts)."""
    if isinstance(x, np.ndarray):
        return x[index]
    return [x[i] for i in index]


def smoke_split(spec: ModelSpec, x, y, seed: int = 0):
    """A small training set and a held-out set, both from the training split:
    ``(x_small, y_small, x_holdout, y_holdout)``."""
    order = np.random.default_rng(seed).permutation(len(y))
    train, holdout = order[: spec.smoke_train], order[spec.smoke_train : spec.smoke_train + spec.smoke_holdout]
    return take(x, train), y[train], take(x, holdout), y[holdout]


def validate_labels(predicted, count: int, classes: int) -> np.ndarray:
    """``predicted`` as an int64 array of ``count`` labels in ``0 .. classes - 1``; raises
    :class:`CheckFailed` naming the shape and dtype returned and the ones expected otherwise."""
    try:
        labels = np.asarray(predicted)
    except Exception as error:  # noqa: BLE001 - whatever the student returned
        raise CheckFailed(f"predict returned something that is not an array of labels ({error})") from None
    expected = f"expected one integer label per example: shape ({count},), an integer dtype, values 0..{classes - 1}"
    returned = f"predict returned an array of shape {labels.shape} and dtype {labels.dtype}; {expected}"
    scores = labels.ndim == 2 and labels.shape[0] == count
    integral = labels.dtype.kind in "iub" or (
        labels.dtype.kind == "f" and labels.size and np.all(np.isfinite(labels)) and np.all(labels == np.round(labels))
    )
    if labels.dtype == object or not integral or labels.shape != (count,):
        raise CheckFailed(returned + (" (scores or probabilities per class? take the argmax over the classes)" if scores else ""))
    labels = labels.astype(np.int64)
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        raise CheckFailed(f"labels must be in 0..{classes - 1}; {int(bad.sum())} are not (e.g. {int(labels[bad][0])})")
    return labels


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of correct labels: mean(y_pred == y_true)."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if len(y_true) else 0.0


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """``C[i, j]``: how many examples of true class i were labelled j."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return matrix
