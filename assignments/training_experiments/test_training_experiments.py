"""Public checks of training_experiments.py: each experiment once on a small made-up data set
(random images, a few epochs), in your own Python: whether the interfaces work, the histories
have a value per epoch, the logs are written, and augment behaves.

Run them with `grade check training_experiments` (or `pytest` in this folder). The hidden checks
run each experiment on slices of the real Fashion-MNIST and grade what happens in them: the logs
agree with the history at steps 0..N-1, every optimizer starts from the same loss and lowers it,
the overfit run's validation loss rises while its training loss falls, augmentation narrows the
train/validation gap.
"""

import numpy as np
import pytest

from grader.checks import CheckFailed

RNG = np.random.default_rng(0)
X = RNG.integers(0, 256, size=(160, 28, 28), dtype=np.uint8)
Y = RNG.integers(0, 10, size=160)
X_VAL, Y_VAL = X[:40], Y[:40]
EPOCHS = 2
CURVES = ("loss", "accuracy", "val_loss", "val_accuracy")


def check_history(history, what, epochs=EPOCHS):
    if not isinstance(history, dict):
        raise CheckFailed(f"{what} returned a {type(history).__name__}; expected a dict of per-epoch lists")
    for name in CURVES:
        values = np.asarray(history.get(name, []), dtype=float).reshape(-1)
        if values.shape != (epochs,) or not np.all(np.isfinite(values)):
            raise CheckFailed(f"{what}: history[{name!r}] must hold {epochs} finite values, one per epoch (got {values.tolist()[:5]})")


@pytest.mark.task("train_with_tensorboard")
def test_train_with_tensorboard_returns_a_history_and_writes_logs(student, tmp_path):
    """train_with_tensorboard returns a history and writes event files into log_dir"""
    history = student.train_with_tensorboard(X, Y, X_VAL, Y_VAL, log_dir=str(tmp_path / "logs"), epochs=EPOCHS, seed=0)
    check_history(history, "train_with_tensorboard")
    if not any("tfevents" in path.name for path in (tmp_path / "logs").rglob("*")):
        raise CheckFailed("no TensorBoard event file (events.out.tfevents...) under log_dir")


@pytest.mark.task("compare_optimizers")
def test_compare_optimizers_returns_a_history_per_optimizer_from_the_same_start(student):
    """compare_optimizers returns a history per optimizer, all starting from the same loss"""
    runs = student.compare_optimizers(X, Y, X_VAL, Y_VAL, optimizers=["sgd", "adam"], epochs=EPOCHS, seed=0)
    if not isinstance(runs, dict) or sorted(runs) != ["adam", "sgd"]:
        raise CheckFailed(f"compare_optimizers must return {{name: history}} for the names asked for, got {type(runs).__name__}")
    for name, history in runs.items():
        check_history(history, f"compare_optimizers' {name}")
    if not np.isclose(float(runs["sgd"]["initial_loss"]), float(runs["adam"]["initial_loss"]), rtol=1e-3):
        raise CheckFailed("the optimizers' initial_loss differ: train each from the same initial weights")


@pytest.mark.task("train_to_overfit")
def test_train_to_overfit_returns_a_history(student):
    """train_to_overfit returns a history of one value per epoch"""
    check_history(student.train_to_overfit(X, Y, X_VAL, Y_VAL, epochs=EPOCHS, seed=0), "train_to_overfit")


@pytest.mark.task("augment")
def test_augment_keeps_what_it_must_and_is_seeded(student):
    """augment keeps shape, dtype and labels, changes the images, repeats itself for a seed, and does nothing at inference"""
    images, labels = student.augment(X[:16], Y[:16], seed=1)
    if np.asarray(images).shape != (16, 28, 28) or np.asarray(images).dtype != np.uint8 or not np.array_equal(labels, Y[:16]):
        raise CheckFailed("augment must return (images of the input's shape and dtype, the same labels)")
    if np.array_equal(images, X[:16]):
        raise CheckFailed("augment did not change the images")
    if not np.array_equal(student.augment(X[:16], Y[:16], seed=1)[0], images):
        raise CheckFailed("augment gave different images for the same seed")
    if not np.array_equal(student.augment(X[:16], Y[:16], seed=1, training=False)[0], X[:16]):
        raise CheckFailed("augment(..., training=False) must return the images unchanged")


@pytest.mark.task("train_with_augmentation")
def test_train_with_augmentation_returns_a_history_either_way(student):
    """train_with_augmentation returns a history with and without augmentation"""
    for flag in (False, True):
        check_history(student.train_with_augmentation(X, Y, X_VAL, Y_VAL, epochs=EPOCHS, seed=0, augmented=flag), f"train_with_augmentation(augmented={flag})")
