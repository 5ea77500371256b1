"""IMDB sentiment, reference solution in Keras (TensorFlow backend): a bag of uni- and bigrams.

The same model as the PyTorch reference (``model.py``): each review becomes the ids of its
words and word pairs that occur in at least ``MIN_COUNT`` training reviews (at most
``LENGTH`` of them); their embeddings are averaged (masked padding) and a dense layer gives
the two class scores. A callback stops training when the next epoch would not fit in the
budget. To use it, rename it to ``model.py``. Reaches about 0.89 test accuracy within 90 s on
two CPU cores.
"""

import os
import re
import time
from collections import Counter

import numpy as np
import keras
from keras import layers

FRAMEWORK = "keras"
MIN_COUNT = 5
LENGTH = 800
DIMENSION = 16
BATCH = 64
MAX_EPOCHS = 5
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> list[str]:
    """Lower-case words of ``text`` (HTML line breaks removed)."""
    return _WORD.findall(text.lower().replace("<br />", " "))


def ngrams(words: list[str]) -> list[str]:
    """The words followed by every pair of neighbouring words."""
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


class StopBeforeBudget(keras.callbacks.Callback):
    """Stops training when one more epoch would run past the deadline."""

    def __init__(self, deadline: float, clock):
        super().__init__()
        self.deadline, self.clock = deadline, clock
        self.epoch_started = clock()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        now = self.clock()
        if now + (now - self.epoch_started) > self.deadline:
            self.model.stop_training = True


def budget_clock(device):
    """The clock ``time_budget_s`` counts (see the lesson README): on CPU this process's CPU
    time over the cores, which a busy machine does not run down; on a GPU the wall clock."""
    cores = os.cpu_count() or 1
    return (lambda: time.process_time() / cores) if device == "cpu" else time.perf_counter


def encode(texts, vocabulary: dict[str, int]) -> np.ndarray:
    """Each text as the ids of its known n-grams, padded with 0 to ``LENGTH`` (int32)."""
    ids = np.zeros((len(texts), LENGTH), dtype=np.int32)
    for row, text in enumerate(texts):
        known = [vocabulary[g] for g in ngrams(tokens(text)) if g in vocabulary][:LENGTH]
        ids[row, : len(known)] = known
    return ids


def train(x_train, y_train, *, device, time_budget_s, seed):
    """Build the vocabulary from the training reviews and train within ``time_budget_s``."""
    clock = budget_clock(device)
    deadline = clock() + 0.9 * time_budget_s
    keras.utils.set_random_seed(seed)
    counts = Counter()
    for text in x_train:
        counts.update(set(ngrams(tokens(text))))
    kept = sorted(gram for gram, count in counts.items() if count >= MIN_COUNT)
    vocabulary = {gram: number for number, gram in enumerate(kept, start=1)}
    inputs = keras.Input((LENGTH,), dtype="int32")
    embedded = layers.Embedding(len(vocabulary) + 1, DIMENSION, mask_zero=True)(inputs)
    outputs = layers.Dense(2)(layers.GlobalAveragePooling1D()(embedded))
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(5e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        encode(x_train, vocabulary), np.asarray(y_train), batch_size=BATCH, epochs=MAX_EPOCHS,
        callbacks=[StopBeforeBudget(deadline, clock)], verbose=0,
    )  # fmt: skip
    model.vocabulary = vocabulary
    return model


def predict(model, x):
    """Labels (N,): 1 for a positive review, 0 for a negative one."""
    return model.predict(encode(list(x), model.vocabulary), batch_size=1000, verbose=0).argmax(axis=1)
