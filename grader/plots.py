"""Figures for the model lessons' feedback, drawn with matplotlib (imported only when needed)."""

from __future__ import annotations

from pathlib import Path


def training_curves_png(history: dict[str, list[float]], path: Path, title: str = "") -> Path:
    """Plot each per-epoch curve of ``history`` against the epoch and save a PNG at ``path``.

    Losses share one panel, everything else (accuracies) another, so that the scales fit.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    losses = {name: values for name, values in history.items() if "loss" in name.lower() and values}
    others = {name: values for name, values in history.items() if "loss" not in name.lower() and values}
    panels = [group for group in (losses, others) if group]
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8), squeeze=False)
    for axis, group in zip(axes[0], panels):
        for name, values in group.items():
            axis.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=name)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel("loss" if group is losses else "value")
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)
