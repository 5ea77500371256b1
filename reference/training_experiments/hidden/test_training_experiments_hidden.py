"""Hidden checks of ``training_experiments.py`` (PyTorch or Keras, as its ``FRAMEWORK`` says).

Each experiment runs once in the child, on seeded slices of Fashion-MNIST's training split
(2,000 training and 1,000 validation images), under a CPU budget counted as the model lessons
count theirs (CPU time per core, with a ceiling on the clock). The checks grade relations in
what comes back, never fixed curves: the TensorBoard event files (read with tbparse, every
value kept) hold per-epoch loss and accuracy for training and validation at steps 0..N-1 that
agree with the returned history; every optimizer starts from the same loss and lowers it; the
overfit run's validation loss rises after its minimum while its training loss falls on, with a
train/validation accuracy gap of at least :data:`OVERFIT_GAP`; the augmentation keeps shape,
dtype, value range and labels, changes the images, is reproducible with a seed, is a no-op at
inference, and narrows the gap by at least :data:`NARROWER_BY`. The submitted curves are kept
in the result's details, for the feedback page.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close
from grader.core.model_lessons import load_lesson_data
from grader.core.results import DETAILS_PROPERTY, MESSAGE_PROPERTY
from grader.kit import this_lesson
from grader.runner.proxy import Program, StudentError, StudentTimeout

LESSON = this_lesson(__file__)
SEED = 0
TRAIN, VALIDATION = 2000, 1000
#: Epochs of each experiment: more than TensorBoard's default sample of 10 values per tag.
EPOCHS = {"tensorboard": 12, "optimizers": 5, "overfit": 30, "augmentation": 30}
OPTIMIZERS = ["sgd", "rmsprop", "adam"]
#: CPU seconds per core one experiment may use (the clock's ceiling is 4 times that, plus 10 s).
BUDGET_S = 60.0
OVERFIT_RISE = 0.10
OVERFIT_GAP = 0.10
NARROWER_BY = 0.05
CURVES = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass
class Experiment:
    """What one experiment returned, or the error that stopped it."""

    value: object = None
    error: Exception | None = None

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


@pytest.fixture(scope="session")
def slices(grade_request):
    x, y, _, _ = load_lesson_data(LESSON.data_set, grade_request.data_dir)
    order = np.random.default_rng(SEED).permutation(len(x))
    train, validation = order[:TRAIN], order[TRAIN : TRAIN + VALIDATION]
    return x[train], y[train], x[validation], y[validation]


@pytest.fixture(scope="session")
def stored(submission, slices):
    return tuple(submission.store(array, name) for array, name in zip(slices, ("x_train", "y_train", "x_val", "y_val")))


def run(submission, program: Program, what: str) -> list:
    """The answers of ``program``, within the budget; the first error raised."""
    cores = submission.limits.threads or 1
    try:
        with submission.cpu_budget(BUDGET_S * cores, 4 * BUDGET_S + 10):
            answers = submission.run_program(LESSON.module, program)
    except StudentTimeout:
        raise StudentTimeout(f"{what} did not return within its budget of {BUDGET_S:g} s of CPU time per core: train on the slices given, for the epochs asked") from None
    for answer in answers:
        if isinstance(answer, StudentError):
            raise answer
    return answers


def experiment(submission, what: str, build) -> Experiment:
    program = Program()
    wanted = build(program)
    try:
        answers = run(submission, program, what)
    except StudentError as error:
        return Experiment(error=error)
    return Experiment(value=[answers[ref.index] for ref in wanted] if isinstance(wanted, list) else answers[wanted.index])


def history_of(value, what: str, epochs: int) -> dict[str, np.ndarray]:
    """The four curves of a returned history, each ``epochs`` finite numbers."""
    if not isinstance(value, dict):
        raise CheckFailed(f"{what} returned a {type(value).__name__}; expected a history: a dict of per-epoch lists")
    curves = {}
    for name in CURVES:
        if name not in value:
            raise CheckFailed(f"{what}'s history has no {name!r} (it has {', '.join(map(str, value)) or 'nothing'})")
        try:
            values = np.asarray(value[name], dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise CheckFailed(f"{what}'s history[{name!r}] is not a list of numbers") from None
        if values.shape != (epochs,):
            raise CheckFailed(f"{what}'s history[{name!r}] has {values.size} values; expected one per epoch, {epochs}")
        if not np.all(np.isfinite(values)):
            raise CheckFailed(f"{what}'s history[{name!r}] is not finite: {values.tolist()[:6]} ...")
        curves[name] = values
    return curves


def record_curves(record_property, title: str, curves: dict) -> None:
    record_property(DETAILS_PROPERTY, {"curves": {title: {name: [round(float(v), 6) for v in values] for name, values in curves.items()}}})


# -- TensorBoard ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tensorboard_run(submission, stored) -> Experiment:
    def build(program):
        folder = program.helper("new_folder")
        history = program.call("train_with_tensorboard", *stored, log_dir=folder, epochs=EPOCHS["tensorboard"], seed=SEED)
        return [history, program.helper("log_files", folder)]

    return experiment(submission, "train_with_tensorboard", build)


def logged_curves(files: dict) -> dict[str, list]:
    """``{curve name: (steps, values)}`` of the event files ``files`` (``{path: bytes}``), read
    with tbparse (every value, not TensorBoard's sample). A series is named by its run folder and
    tag: the word "val", "valid" or "validation" in them marks validation, else training; a word
    ending in "loss" or starting with "acc" the metric;
    one with "batch" or "iteration" in it is logged per step, not per epoch, and left out, as are
    ``add_hparams``' summaries; of several candidates the one logged at steps 0..N-1 counts."""
    from tbparse import SummaryReader

    with tempfile.TemporaryDirectory(prefix="grader-tensorboard-") as scratch:
        root = Path(scratch)
        for name, content in files.items():
            parts = PurePosixPath(str(name).replace(os.sep, "/")).parts
            if not parts or any(part in ("", ".", "..") or "\0" in part for part in parts) or PurePosixPath(str(name)).is_absolute():
                raise CheckFailed(f"the logs hold a file named {str(name)[:80]!r}")
            target = root.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(np.asarray(content, dtype=np.uint8).tobytes())
        reader = SummaryReader(str(root), pivot=False, extra_columns={"dir_name"})
        frames = [frame for frame in (reader.scalars, reader.tensors) if len(frame)]
    found: dict[str, list] = {}
    for frame in frames:
        for (folder, tag), rows in frame.groupby(["dir_name", "tag"]):
            words = [word for word in re.split(r"[^a-z0-9]+", f"{folder}/{tag}".lower()) if word]
            metric = "loss" if any(word.endswith("loss") for word in words) else "accuracy" if any(word.startswith("acc") for word in words) else None
            if metric is None or any(word.startswith(("batch", "iteration", "hparam")) for word in words):
                continue  # not a loss or accuracy, logged per step (Keras' evaluation_loss_vs_iterations), or add_hparams' summary
            name = f"val_{metric}" if {"val", "valid", "validation"} & set(words) else metric
            rows = rows.sort_values("step")
            found.setdefault(name, []).append((f"{folder}/{tag}".strip("/"), rows["step"].to_numpy(), rows["value"].to_numpy(dtype=float)))
    for name, series in found.items():  # several candidates: the one logged once per epoch counts
        per_epoch = [one for one in series if one[1].tolist() == list(range(EPOCHS["tensorboard"]))]
        if len(series) > 1 and len(per_epoch) == 1:
            found[name] = per_epoch
    return found


@pytest.mark.task("train_with_tensorboard")
def test_the_history_has_each_curve_per_epoch_and_the_loss_falls(tensorboard_run, record_property):
    """train_with_tensorboard returns a history of loss, accuracy, val_loss and val_accuracy per epoch, the training loss falling"""
    history, _ = tensorboard_run.result()
    curves = history_of(history, "train_with_tensorboard", EPOCHS["tensorboard"])
    record_curves(record_property, "train_with_tensorboard", curves)
    if not curves["loss"][-1] < curves["loss"][0]:
        raise CheckFailed(f"the training loss did not fall ({curves['loss'][0]:.4g} after the first epoch, {curves['loss'][-1]:.4g} after the last)")


@pytest.mark.task("train_with_tensorboard")
def test_the_logs_hold_each_curve_at_steps_0_to_n(tensorboard_run):
    """the TensorBoard logs hold training and validation loss and accuracy at steps 0 .. epochs-1"""
    _, files = tensorboard_run.result()
    if not files:
        raise CheckFailed("log_dir is empty: write the TensorBoard logs there (Keras' TensorBoard callback, or torch's SummaryWriter(log_dir))")
    found = logged_curves(files)
    steps = list(range(EPOCHS["tensorboard"]))
    for name in CURVES:
        series = found.get(name, [])
        if not series:
            raise CheckFailed(f"the logs have no {name.replace('val_', 'validation ')} curve (tags found: {', '.join(s[0] for v in found.values() for s in v) or 'none'})")
        if len(series) > 1:
            raise CheckFailed(f"the logs have {len(series)} {name} curves ({', '.join(s[0] for s in series)}): log each once")
        tag, logged_steps, _ = series[0]
        if logged_steps.tolist() != steps:
            raise CheckFailed(f"{tag} is logged at steps {logged_steps.tolist()}; expected one value per epoch at steps {steps[0]}..{steps[-1]}")


@pytest.mark.task("train_with_tensorboard")
def test_the_logged_values_are_the_histories(tensorboard_run):
    """the values in the logs are those of the returned history"""
    history, files = tensorboard_run.result()
    curves = history_of(history, "train_with_tensorboard", EPOCHS["tensorboard"])
    found = logged_curves(files or {})
    for name in CURVES:
        if len(found.get(name, [])) != 1 or len(found[name][0][2]) != len(curves[name]):
            raise CheckFailed(f"the logs do not hold one {name} value per epoch (see the check of the logs' steps)")
        tag, _, values = found[name][0]
        assert_close(values, curves[name], what=f"{tag} in the logs against history[{name!r}]", rtol=1e-4, atol=1e-6)


# -- optimizers -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def optimizer_runs(submission, stored) -> Experiment:
    return experiment(submission, "compare_optimizers", lambda program: program.call("compare_optimizers", *stored, optimizers=OPTIMIZERS, epochs=EPOCHS["optimizers"], seed=SEED))


def optimizer_histories(optimizer_runs) -> dict:
    runs = optimizer_runs.result()
    if not isinstance(runs, dict) or sorted(map(str, runs)) != sorted(OPTIMIZERS):
        got = sorted(map(str, runs)) if isinstance(runs, dict) else type(runs).__name__
        raise CheckFailed(f"compare_optimizers returned {got}; expected a history per optimizer asked for: {OPTIMIZERS}")
    return runs


@pytest.mark.task("compare_optimizers")
def test_every_optimizer_starts_from_the_same_loss(optimizer_runs):
    """every optimizer's run starts from the same training loss (the same initial weights)"""
    runs = optimizer_histories(optimizer_runs)
    initial = {}
    for name in OPTIMIZERS:
        value = runs[name].get("initial_loss") if isinstance(runs[name], dict) else None
        try:
            number = float(value) if np.ndim(value) == 0 and not isinstance(value, (str, bool)) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise CheckFailed(f"the history of {name} has no finite 'initial_loss' (the training loss before the first step)")
        initial[name] = number
    first = OPTIMIZERS[0]
    for name in OPTIMIZERS[1:]:
        if not math.isclose(initial[name], initial[first], rel_tol=1e-3, abs_tol=1e-5):
            raise CheckFailed(f"{name} starts from loss {initial[name]:.6g} and {first} from {initial[first]:.6g}: train each optimizer from the same initial weights")


@pytest.mark.task("compare_optimizers")
def test_each_optimizer_lowers_the_training_loss_in_its_own_way(optimizer_runs, record_property):
    """each optimizer lowers the training loss, and no two runs are the same"""
    runs = optimizer_histories(optimizer_runs)
    curves = {name: history_of(runs[name], f"compare_optimizers' {name}", EPOCHS["optimizers"]) for name in OPTIMIZERS}
    for name, curve in curves.items():
        record_curves(record_property, f"compare_optimizers: {name}", curve)
        try:
            start = float(runs[name].get("initial_loss", curve["loss"][0]))
        except (TypeError, ValueError):
            start = float(curve["loss"][0])
        if not curve["loss"][-1] < min(start, curve["loss"][0]):
            raise CheckFailed(f"{name} did not lower the training loss (from {float(start):.4g} to {curve['loss'][-1]:.4g})")
    for index, name in enumerate(OPTIMIZERS):
        for other in OPTIMIZERS[index + 1 :]:
            if np.allclose(curves[name]["loss"], curves[other]["loss"], rtol=1e-6, atol=1e-9):
                raise CheckFailed(f"{name} and {other} give the same training curve: train each with the optimizer it is named after")


# -- overfitting ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def overfit_run(submission, stored) -> Experiment:
    return experiment(submission, "train_to_overfit", lambda program: program.call("train_to_overfit", *stored, epochs=EPOCHS["overfit"], seed=SEED))


@pytest.mark.task("train_to_overfit")
def test_the_validation_loss_rises_after_its_minimum_while_the_training_loss_falls(overfit_run, record_property):
    """the overfit run's validation loss rises after its minimum while its training loss keeps falling"""
    curves = history_of(overfit_run.result(), "train_to_overfit", EPOCHS["overfit"])
    record_curves(record_property, "train_to_overfit", curves)
    best = int(np.argmin(curves["val_loss"]))
    lowest, last = curves["val_loss"][best], curves["val_loss"][-1]
    if best == EPOCHS["overfit"] - 1 or last < lowest * (1 + OVERFIT_RISE):
        raise CheckFailed(
            f"the validation loss does not rise after its minimum ({lowest:.4g} after epoch {best + 1}, {last:.4g} after the last): "
            f"it must end at least {OVERFIT_RISE:.0%} above it; make the network larger or train on fewer examples"
        )
    if not curves["loss"][-1] < curves["loss"][best]:
        raise CheckFailed(f"the training loss stops falling after epoch {best + 1} ({curves['loss'][best]:.4g}, then {curves['loss'][-1]:.4g} at the end)")


@pytest.mark.task("train_to_overfit")
def test_the_overfit_run_ends_with_a_train_validation_gap(overfit_run, record_property):
    """the overfit run ends with training accuracy at least 0.10 above validation accuracy"""
    curves = history_of(overfit_run.result(), "train_to_overfit", EPOCHS["overfit"])
    gap = curves["accuracy"][-1] - curves["val_accuracy"][-1]
    if gap < OVERFIT_GAP:
        raise CheckFailed(
            f"training accuracy {curves['accuracy'][-1]:.3f} and validation accuracy {curves['val_accuracy'][-1]:.3f} differ by {gap:.3f}; "
            f"an overfit network ends at least {OVERFIT_GAP:.2f} apart"
        )
    record_property(MESSAGE_PROPERTY, f"gap {gap:.3f} (training {curves['accuracy'][-1]:.3f}, validation {curves['val_accuracy'][-1]:.3f})")


# -- augmentation ---------------------------------------------------------------------------

AUGMENT_COUNT = 64


@pytest.fixture(scope="session")
def augmented(submission, stored, slices) -> Experiment:
    x, y = slices[0][:AUGMENT_COUNT], slices[1][:AUGMENT_COUNT]

    def build(program):
        return [
            program.call("augment", x, y, seed=1),
            program.call("augment", x, y, seed=1),
            program.call("augment", x, y, seed=2),
            program.call("augment", x, y, seed=1, training=False),
        ]

    return experiment(submission, "augment", build)


def pair(value, what: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)`` that augment returned, of x's shape and dtype and y's labels."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CheckFailed(f"{what} returned a {type(value).__name__}; expected (images, labels)")
    images, labels = (np.asarray(item) for item in value)
    if images.shape != x.shape or images.dtype != x.dtype:
        raise CheckFailed(f"{what} returned images of shape {images.shape} and dtype {images.dtype}; expected {x.shape} {x.dtype}, as given")
    if labels.shape != y.shape or not np.array_equal(labels, y):
        raise CheckFailed(f"{what} changed the labels: an augmented image keeps its label")
    return images, labels


@pytest.mark.task("augment")
def test_augment_keeps_shape_dtype_range_and_labels_and_changes_the_images(augmented, slices):
    """augment keeps shape, dtype, value range and labels, and changes at least half the images"""
    x, y = slices[0][:AUGMENT_COUNT], slices[1][:AUGMENT_COUNT]
    images, _ = pair(augmented.result()[0], "augment", x, y)
    if images.min() < 0 or images.max() > 255:
        raise CheckFailed(f"augment's pixels span {images.min()}..{images.max()}; keep 0..255")
    changed = np.mean([not np.array_equal(a, b) for a, b in zip(images, x)])
    if changed < 0.5:
        raise CheckFailed(f"augment changed {changed:.0%} of the images; a training-time augmentation changes most of them")


@pytest.mark.task("augment")
def test_augment_is_reproducible_with_a_seed(augmented, slices):
    """augment gives the same images for the same seed and others for another seed"""
    x, y = slices[0][:AUGMENT_COUNT], slices[1][:AUGMENT_COUNT]
    first, again, other, _ = (pair(value, "augment", x, y)[0] for value in augmented.result())
    if not np.array_equal(first, again):
        raise CheckFailed("augment gave different images for the same seed: draw its randomness from the seed")
    if np.array_equal(first, other):
        raise CheckFailed("augment gave the same images for seeds 1 and 2: draw its randomness from the seed")


@pytest.mark.task("augment")
def test_augment_is_a_no_op_at_inference(augmented, slices):
    """augment(..., training=False) returns the images unchanged"""
    x, y = slices[0][:AUGMENT_COUNT], slices[1][:AUGMENT_COUNT]
    images, _ = pair(augmented.result()[3], "augment(..., training=False)", x, y)
    if not np.array_equal(images, x):
        raise CheckFailed("augment changed the images with training=False: at inference it must leave them as they are")


@pytest.fixture(scope="session")
def augmentation_runs(submission, stored) -> Experiment:
    def build(program):
        return [program.call("train_with_augmentation", *stored, epochs=EPOCHS["augmentation"], seed=SEED, augmented=flag) for flag in (False, True)]

    return experiment(submission, "train_with_augmentation", build)


@pytest.mark.task("train_with_augmentation")
def test_augmentation_narrows_the_train_validation_gap(augmentation_runs, record_property):
    """training on augmented images narrows the train/validation accuracy gap by at least 0.05"""
    runs = zip(augmentation_runs.result(), (False, True))
    plain, augmented_history = (history_of(value, f"train_with_augmentation(augmented={flag})", EPOCHS["augmentation"]) for value, flag in runs)
    record_curves(record_property, "train_with_augmentation: plain", plain)
    record_curves(record_property, "train_with_augmentation: augmented", augmented_history)
    gaps = [curves["accuracy"][-1] - curves["val_accuracy"][-1] for curves in (plain, augmented_history)]
    if not gaps[1] <= gaps[0] - NARROWER_BY:
        raise CheckFailed(f"the gap is {gaps[1]:.3f} with augmentation and {gaps[0]:.3f} without: augmentation must narrow it by at least {NARROWER_BY:.2f}")
    record_property(MESSAGE_PROPERTY, f"gap {gaps[0]:.3f} without augmentation, {gaps[1]:.3f} with it")
