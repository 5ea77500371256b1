"""${title}: the lesson's baseline, in PyTorch. Improve it.

Softmax regression on the flattened images (Flatten -> Linear), trained with Adam for one
epoch. Keep the interface: ``FRAMEWORK``; ``train(x_train, y_train, *, device, time_budget_s,
seed) -> model`` (x_train uint8 images (N, H, W), y_train int labels (N,)); ``predict(model, x)
-> labels``. Give the model a ``history`` dict of per-epoch lists to see your training curves.
"""

import time

import numpy as np
import torch
from torch import nn

FRAMEWORK = "torch"
BATCH = 128


def to_tensor(x, device):
    """uint8 images -> float32 in [0, 1] on ``device``."""
    return torch.from_numpy(np.array(x, dtype=np.float32) / 255.0).to(device)


def train(x_train, y_train, *, device, time_budget_s, seed):
    """One epoch of softmax regression; stops early if the budget runs out."""
    deadline = time.perf_counter() + 0.8 * time_budget_s
    torch.manual_seed(seed)
    x, y = to_tensor(x_train, device), torch.from_numpy(np.asarray(y_train, dtype=np.int64)).to(device)
    model = nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(x.shape[1:])), int(y.max()) + 1)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.history = {"loss": []}
    total = 0.0
    for start in range(0, len(x), BATCH):
        loss = nn.functional.cross_entropy(model(x[start : start + BATCH]), y[start : start + BATCH])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x[start : start + BATCH])
        if time.perf_counter() > deadline:
            break
    model.history["loss"].append(total / len(x))
    model.device = device
    return model.eval()


def predict(model, x):
    """The most likely class of each image."""
    with torch.no_grad():
        return model(to_tensor(x, model.device)).argmax(dim=1).cpu().numpy()
