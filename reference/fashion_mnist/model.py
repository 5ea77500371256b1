"""Fashion-MNIST, reference solution in PyTorch: a small convolutional network.

Two 3x3 convolution blocks (batch norm, ReLU, max-pool), a dense layer with dropout, and
softmax cross-entropy, trained with AdamW under a one-cycle learning-rate schedule that runs
on the budget's clock: it warms up over the first 15 % of the budget and anneals to zero as the budget
runs out, where training stops (a slower machine only means fewer steps). Random horizontal
flips augment the images. Reaches about 0.92 test accuracy in 120 s on two CPU cores.
"""

import math
import os
import time

import numpy as np
import torch
from torch import nn

FRAMEWORK = "torch"
MEAN, STD = 0.286, 0.353  # of Fashion-MNIST's training pixels, scaled to [0, 1]
BATCH = 128
MAX_LR = 3e-3
#: Fraction of the budget spent in training steps; the rest is slack for the last step.
BUDGET_USE = 0.88


def build_network() -> nn.Module:
    """conv(32) -> conv(64) -> dense(128) -> 10 logits."""

    def block(channels_in, channels_out):
        return [
            nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels_out),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        ]

    return nn.Sequential(
        *block(1, 32),
        *block(32, 64),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128),
        nn.ReLU(inplace=True),
        nn.Dropout(0.3),
        nn.Linear(128, 10),
    )


def one_cycle(progress: float, warm: float = 0.15) -> float:
    """The learning rate at ``progress`` (0..1) of the training time."""
    if progress < warm:
        return MAX_LR * (0.04 + 0.96 * progress / warm)
    return MAX_LR * 0.5 * (1 + math.cos(math.pi * (progress - warm) / (1 - warm)))


def to_tensor(x: np.ndarray, device: str) -> torch.Tensor:
    """uint8 (N, 28, 28) -> standardised float32 (N, 1, 28, 28) on ``device``."""
    images = torch.from_numpy(np.array(x, dtype=np.uint8)).to(device=device, dtype=torch.float32)
    return ((images / 255.0 - MEAN) / STD).unsqueeze(1)


def budget_clock(device):
    """The clock ``time_budget_s`` counts (see the lesson README): on CPU this process's CPU
    time over the cores, which a busy machine does not run down; on a GPU the wall clock."""
    cores = os.cpu_count() or 1
    return (lambda: time.process_time() / cores) if device == "cpu" else time.perf_counter


def train(x_train, y_train, *, device, time_budget_s, seed):
    """Train the network on ``(x_train, y_train)`` within ``time_budget_s`` seconds."""
    clock = budget_clock(device)
    started = clock()
    torch.manual_seed(seed)
    torch.set_num_threads(os.cpu_count() or 1)
    generator = torch.Generator().manual_seed(seed)
    x = to_tensor(x_train, device)
    y = torch.from_numpy(np.asarray(y_train, dtype=np.int64)).to(device)
    network = build_network().to(device)
    optimizer = torch.optim.AdamW(network.parameters(), lr=MAX_LR, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    history = {"loss": [], "accuracy": []}
    deadline = started + BUDGET_USE * time_budget_s
    network.train()
    while clock() < deadline:
        order = torch.randperm(len(x), generator=generator).to(device)
        epoch_loss, epoch_correct, seen = 0.0, 0, 0
        for start in range(0, len(x) - BATCH + 1, BATCH):
            now = clock()
            if now >= deadline:
                break
            for group in optimizer.param_groups:
                group["lr"] = one_cycle((now - started) / (deadline - started))
            index = order[start : start + BATCH]
            images, labels = x[index], y[index]
            flip = torch.rand(len(index), generator=generator).to(device) < 0.5
            images = torch.where(flip[:, None, None, None], images.flip(3), images)
            logits = network(images)
            loss = loss_fn(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item() * len(index)
            epoch_correct += int((logits.argmax(1) == labels).sum())
            seen += len(index)
        if seen:
            history["loss"].append(epoch_loss / seen)
            history["accuracy"].append(epoch_correct / seen)
    network.eval()
    network.history = history
    network.device = device
    return network


def predict(model, x):
    """Class labels (N,) for uint8 images ``x`` (N, 28, 28)."""
    labels = []
    with torch.no_grad():
        for start in range(0, len(x), 1000):
            batch = to_tensor(x[start : start + 1000], model.device)
            labels.append(model(batch).argmax(1).cpu().numpy())
    return np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64)
