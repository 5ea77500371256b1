"""Training experiments on Fashion-MNIST in Keras (`training_experiments.py` is the same lesson
in PyTorch). Copy this file over `training_experiments.py` to work in Keras.

Each function trains small networks on the slices of Fashion-MNIST it is given (uint8 images
(N, 28, 28), integer labels) and returns what it measured. A history is a dict of per-epoch
lists: "loss" and "accuracy" on the training data, "val_loss" and "val_accuracy" on the
validation data, one value per epoch: ``History.history`` of ``model.fit``.
"""

import keras
import numpy as np

FRAMEWORK = "keras"
BATCH = 64


def train_with_tensorboard(x_train, y_train, x_val, y_val, *, log_dir, epochs, seed):
    """Train a small network for ``epochs`` epochs, logging after each epoch its training and
    validation loss and accuracy to TensorBoard event files under ``log_dir`` (at steps
    0 .. epochs-1); return its history (the values logged)."""
    raise NotImplementedError("train_with_tensorboard: your code here")


def compare_optimizers(x_train, y_train, x_val, y_val, *, optimizers, epochs, seed):
    """``{name: history}``: the same network, from the same initial weights, trained with each
    optimizer named in ``optimizers`` ("sgd", "momentum", "rmsprop", "adam"); each history also
    holds "initial_loss", the training loss before the first step."""
    raise NotImplementedError("compare_optimizers: your code here")


def train_to_overfit(x_train, y_train, x_val, y_val, *, epochs, seed):
    """The history of a network made to overfit: its validation loss rises after its minimum
    while its training loss keeps falling (train on fewer examples if it will not)."""
    raise NotImplementedError("train_to_overfit: your code here")


def augment(x, y, *, seed, training=True):
    """``(x_augmented, y)``: images (N, 28, 28) uint8 changed as at training time (random shifts,
    flips, ...), reproducibly for a ``seed``; the same shape, dtype, value range and labels.
    With ``training=False`` (inference), the images unchanged."""
    raise NotImplementedError("augment: your code here")


def train_with_augmentation(x_train, y_train, x_val, y_val, *, epochs, seed, augmented):
    """The history of the network of :func:`train_to_overfit`, trained on images augmented by
    :func:`augment` (a new draw each epoch) when ``augmented``, else on the images as they are."""
    raise NotImplementedError("train_with_augmentation: your code here")
