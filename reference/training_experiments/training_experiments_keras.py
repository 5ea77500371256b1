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


### BEGIN SOLUTION
def _network(hidden=128, depth=1):
    layers = [keras.Input((28, 28)), keras.layers.Flatten()]
    layers += [keras.layers.Dense(hidden, activation="relu") for _ in range(depth)]
    return keras.Sequential([*layers, keras.layers.Dense(10)])


def _compile(network, optimizer):
    network.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return network


def _scaled(x):
    return np.asarray(x, dtype="float32") / 255.0


OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(learning_rate=0.05),
    "momentum": lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=1e-3),
    "adam": lambda: keras.optimizers.Adam(learning_rate=1e-3),
}
### END SOLUTION


def train_with_tensorboard(x_train, y_train, x_val, y_val, *, log_dir, epochs, seed):
    """Train a small network for ``epochs`` epochs, logging after each epoch its training and
    validation loss and accuracy to TensorBoard event files under ``log_dir`` (at steps
    0 .. epochs-1); return its history (the values logged)."""
    ### BEGIN SOLUTION
    keras.utils.set_random_seed(int(seed))
    network = _compile(_network(), keras.optimizers.Adam(learning_rate=1e-3))
    fitted = network.fit(
        _scaled(x_train), y_train, validation_data=(_scaled(x_val), y_val), epochs=epochs, batch_size=BATCH, verbose=0,
        callbacks=[keras.callbacks.TensorBoard(log_dir=log_dir)],
    )
    return fitted.history
    ### END SOLUTION


def compare_optimizers(x_train, y_train, x_val, y_val, *, optimizers, epochs, seed):
    """``{name: history}``: the same network, from the same initial weights, trained with each
    optimizer named in ``optimizers`` ("sgd", "momentum", "rmsprop", "adam"); each history also
    holds "initial_loss", the training loss before the first step."""
    ### BEGIN SOLUTION
    keras.utils.set_random_seed(int(seed))
    initial = _network().get_weights()
    histories = {}
    for name in optimizers:
        network = _network()
        network.set_weights(initial)
        _compile(network, OPTIMIZERS[name]())
        initial_loss = network.evaluate(_scaled(x_train), y_train, verbose=0)[0]
        fitted = network.fit(_scaled(x_train), y_train, validation_data=(_scaled(x_val), y_val), epochs=epochs, batch_size=BATCH, verbose=0)
        histories[name] = {"initial_loss": initial_loss, **fitted.history}
    return histories
    ### END SOLUTION


def train_to_overfit(x_train, y_train, x_val, y_val, *, epochs, seed):
    """The history of a network made to overfit: its validation loss rises after its minimum
    while its training loss keeps falling (train on fewer examples if it will not)."""
    ### BEGIN SOLUTION
    return train_with_augmentation(x_train, y_train, x_val, y_val, epochs=epochs, seed=seed, augmented=False)
    ### END SOLUTION


def augment(x, y, *, seed, training=True):
    """``(x_augmented, y)``: images (N, 28, 28) uint8 changed as at training time (random shifts,
    flips, ...), reproducibly for a ``seed``; the same shape, dtype, value range and labels.
    With ``training=False`` (inference), the images unchanged."""
    ### BEGIN SOLUTION
    if not training:
        return x, y
    rng = np.random.default_rng(seed)
    flipped = np.where((rng.random(len(x)) < 0.5)[:, None, None], x[:, :, ::-1], x)
    shifts = rng.integers(-2, 3, size=(len(x), 2))
    return np.stack([np.roll(image, tuple(shift), axis=(0, 1)) for image, shift in zip(flipped, shifts)]).astype(x.dtype), y
    ### END SOLUTION


def train_with_augmentation(x_train, y_train, x_val, y_val, *, epochs, seed, augmented):
    """The history of the network of :func:`train_to_overfit`, trained on images augmented by
    :func:`augment` (a new draw each epoch) when ``augmented``, else on the images as they are."""
    ### BEGIN SOLUTION
    keras.utils.set_random_seed(int(seed))
    network = _compile(_network(hidden=512, depth=2), keras.optimizers.Adam(learning_rate=1e-3))
    x, y = x_train[:500], y_train[:500]
    history: dict = {}
    for epoch in range(epochs):
        images = augment(x, y, seed=seed + epoch)[0] if augmented else x
        fitted = network.fit(_scaled(images), y, validation_data=(_scaled(x_val), y_val), epochs=1, batch_size=BATCH, verbose=0)
        for name, values in fitted.history.items():
            history.setdefault(name, []).extend(values)
    return history
    ### END SOLUTION
