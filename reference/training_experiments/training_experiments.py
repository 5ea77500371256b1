"""Training experiments on Fashion-MNIST in PyTorch (`training_experiments_keras.py` is the same
lesson in Keras: copy it over this file to work in Keras).

Each function trains small networks on the slices of Fashion-MNIST it is given (uint8 images
(N, 28, 28), integer labels) and returns what it measured. A history is a dict of per-epoch
lists: "loss" and "accuracy" on the training data, "val_loss" and "val_accuracy" on the
validation data, one value per epoch, as Keras' ``History.history`` holds them.
"""

import numpy as np
import torch
from torch import nn

FRAMEWORK = "torch"
BATCH = 64


### BEGIN SOLUTION
def _network(hidden=128, depth=1):
    layers = [nn.Flatten()]
    width = 28 * 28
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, 10))


def _tensors(x, y):
    return torch.from_numpy(np.asarray(x, dtype=np.float32) / 255.0), torch.from_numpy(np.asarray(y, dtype=np.int64))


def _evaluate(network, x, y):
    network.eval()
    with torch.no_grad():
        logits = network(x)
        loss = nn.functional.cross_entropy(logits, y).item()
        accuracy = (logits.argmax(1) == y).float().mean().item()
    network.train()
    return loss, accuracy


def _fit(network, optimizer, x_train, y_train, x_val, y_val, epochs, seed, transform=None, on_epoch=None):
    """Minibatch training; after each epoch the loss and accuracy of the epoch's batches
    (as Keras reports them) and of the validation data."""
    generator = np.random.default_rng(seed)
    x_val_t, y_val_t = _tensors(x_val, y_val)
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    for epoch in range(epochs):
        x_epoch = transform(x_train, y_train, seed=seed + epoch)[0] if transform else x_train
        x, y = _tensors(x_epoch, y_train)
        order = torch.from_numpy(generator.permutation(len(x)))
        total_loss = correct = 0.0
        for batch in torch.split(order, BATCH):
            optimizer.zero_grad()
            logits = network(x[batch])
            loss = nn.functional.cross_entropy(logits, y[batch])
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(batch)
            correct += (logits.argmax(1) == y[batch]).sum().item()
        history["loss"].append(total_loss / len(x))
        history["accuracy"].append(correct / len(x))
        val_loss, val_accuracy = _evaluate(network, x_val_t, y_val_t)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        if on_epoch is not None:
            on_epoch(epoch, history)
    return history


OPTIMIZERS = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.05),
    "momentum": lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
    "rmsprop": lambda params: torch.optim.RMSprop(params, lr=1e-3),
    "adam": lambda params: torch.optim.Adam(params, lr=1e-3),
}
### END SOLUTION


def train_with_tensorboard(x_train, y_train, x_val, y_val, *, log_dir, epochs, seed):
    """Train a small network for ``epochs`` epochs, logging after each epoch its training and
    validation loss and accuracy to TensorBoard event files under ``log_dir`` (at steps
    0 .. epochs-1); return its history (the values logged)."""
    ### BEGIN SOLUTION
    from torch.utils.tensorboard import SummaryWriter

    torch.manual_seed(seed)
    network = _network()
    writer = SummaryWriter(log_dir)

    def log(epoch, history):
        for name in ("loss", "accuracy"):
            writer.add_scalar(f"{name}/train", history[name][-1], epoch)
            writer.add_scalar(f"{name}/validation", history[f"val_{name}"][-1], epoch)

    history = _fit(network, torch.optim.Adam(network.parameters(), lr=1e-3), x_train, y_train, x_val, y_val, epochs, seed, on_epoch=log)
    writer.close()
    return history
    ### END SOLUTION


def compare_optimizers(x_train, y_train, x_val, y_val, *, optimizers, epochs, seed):
    """``{name: history}``: the same network, from the same initial weights, trained with each
    optimizer named in ``optimizers`` ("sgd", "momentum", "rmsprop", "adam"); each history also
    holds "initial_loss", the training loss before the first step."""
    ### BEGIN SOLUTION
    torch.manual_seed(seed)
    initial = _network().state_dict()
    x, y = _tensors(x_train, y_train)
    histories = {}
    for name in optimizers:
        network = _network()
        network.load_state_dict(initial)
        initial_loss, _ = _evaluate(network, x, y)
        histories[name] = {"initial_loss": initial_loss, **_fit(network, OPTIMIZERS[name](network.parameters()), x_train, y_train, x_val, y_val, epochs, seed)}
    return histories
    ### END SOLUTION


def train_to_overfit(x_train, y_train, x_val, y_val, *, epochs, seed):
    """The history of a network made to overfit: its validation loss rises after its minimum
    while its training loss keeps falling (train on fewer examples if it will not)."""
    ### BEGIN SOLUTION
    torch.manual_seed(seed)
    network = _network(hidden=512, depth=2)
    return _fit(network, torch.optim.Adam(network.parameters(), lr=1e-3), x_train[:500], y_train[:500], x_val, y_val, epochs, seed)
    ### END SOLUTION


def augment(x, y, *, seed, training=True):
    """``(x_augmented, y)``: images (N, 28, 28) uint8 changed as at training time (random shifts,
    flips, ...), reproducibly for a ``seed``; the same shape, dtype, value range and labels.
    With ``training=False`` (inference), the images unchanged."""
    ### BEGIN SOLUTION
    if not training:
        return x, y
    rng = np.random.default_rng(seed)
    out = np.empty_like(x)
    flips = rng.random(len(x)) < 0.5
    shifts = rng.integers(-2, 3, size=(len(x), 2))
    for index, image in enumerate(x):
        image = image[:, ::-1] if flips[index] else image
        out[index] = np.roll(image, tuple(shifts[index]), axis=(0, 1))
    return out, y
    ### END SOLUTION


def train_with_augmentation(x_train, y_train, x_val, y_val, *, epochs, seed, augmented):
    """The history of the network of :func:`train_to_overfit`, trained on images augmented by
    :func:`augment` (a new draw each epoch) when ``augmented``, else on the images as they are."""
    ### BEGIN SOLUTION
    torch.manual_seed(seed)
    network = _network(hidden=512, depth=2)
    transform = augment if augmented else None
    return _fit(network, torch.optim.Adam(network.parameters(), lr=1e-3), x_train[:500], y_train[:500], x_val, y_val, epochs, seed, transform=transform)
    ### END SOLUTION
