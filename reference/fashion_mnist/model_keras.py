"""Fashion-MNIST, reference solution in Keras (TensorFlow backend): a small convolutional network.

The same network as the PyTorch reference (``model.py``): two 3x3 convolution blocks (batch
norm, ReLU, max-pool), a dense layer with dropout, softmax cross-entropy with label smoothing,
AdamW. A callback sizes a one-cycle learning-rate schedule to the time budget (it times the
first batches, estimates how many steps fit, and anneals to zero at that step) and stops
training there. Random horizontal flips augment the images. To use it, rename it to
``model.py``. Reaches about 0.90-0.91 test accuracy in 180 s on two CPU cores.
"""

import math
import time

import numpy as np
import keras
from keras import layers

FRAMEWORK = "keras"
MEAN, STD = 0.286, 0.353
BATCH = 128
MAX_LR = 3e-3
BUDGET_USE = 0.85
TIMING_FROM, TIMED_STEPS = 10, 30


class BudgetSchedule(keras.callbacks.Callback):
    """One-cycle learning rate over the steps that fit in the budget; stops at the last one."""

    def __init__(self, budget_s: float):
        super().__init__()
        self.started = time.perf_counter()
        self.deadline = self.started + BUDGET_USE * budget_s
        self.step = 0
        self.total = None

    def learning_rate(self) -> float:
        if self.total is None:
            return MAX_LR
        progress = min(1.0, self.step / self.total)
        warm = 0.15
        if progress < warm:
            return MAX_LR * (0.04 + 0.96 * progress / warm)
        return MAX_LR * 0.5 * (1 + math.cos(math.pi * (progress - warm) / (1 - warm)))

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self.learning_rate())

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        now = time.perf_counter()
        if self.step == TIMING_FROM:
            self.timing_start = now
        if self.step == TIMING_FROM + TIMED_STEPS:
            per_step = (now - self.timing_start) / TIMED_STEPS
            self.total = self.step + max(20, int((self.deadline - now) / per_step))
        if (self.total is not None and self.step >= self.total) or now > self.deadline:
            self.model.stop_training = True


def standardise(x) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1), standardised."""
    return ((np.asarray(x, dtype=np.float32) / 255.0 - MEAN) / STD)[..., None]


def build_network() -> keras.Model:
    """conv(32) -> conv(64) -> dense(128) -> 10 logits."""
    inputs = keras.Input((28, 28, 1))
    x = layers.RandomFlip("horizontal")(inputs)
    for channels in (32, 64):
        x = layers.Conv2D(channels, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    return keras.Model(inputs, layers.Dense(10)(x))


def train(x_train, y_train, *, device, time_budget_s, seed):
    """Train the network within ``time_budget_s`` seconds."""
    schedule = BudgetSchedule(time_budget_s)
    keras.utils.set_random_seed(seed)
    model = build_network()
    model.compile(
        optimizer=keras.optimizers.AdamW(MAX_LR, weight_decay=1e-4),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.05),
        metrics=["accuracy"],
    )
    targets = keras.utils.to_categorical(np.asarray(y_train), 10)
    model.fit(standardise(x_train), targets, batch_size=BATCH, epochs=1000, callbacks=[schedule], verbose=0)
    return model


def predict(model, x):
    """Class labels (N,) for uint8 images ``x`` (N, 28, 28)."""
    return model.predict(standardise(x), batch_size=1000, verbose=0).argmax(axis=1)
