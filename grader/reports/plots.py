"""Figures for the feedback pages and dashboards, drawn with matplotlib (imported only when needed)."""

from __future__ import annotations

from pathlib import Path


def _curves_figure(history: dict[str, list[float]], title: str = ""):
    """Each per-epoch curve of ``history`` against the epoch. Losses share one panel,
    everything else (accuracies) another, so that the scales fit."""
    from matplotlib.ticker import MaxNLocator

    losses = {name: values for name, values in history.items() if "loss" in name.lower() and values}
    others = {name: values for name, values in history.items() if "loss" not in name.lower() and values}
    panels = [group for group in (losses, others) if group]
    figure, axes = _figure(5.5 * max(1, len(panels)), 3.8, columns=max(1, len(panels)))
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
    return figure


def training_curves_png(history: dict[str, list[float]], path: Path, title: str = "") -> Path:
    """The training curves of ``history`` (:func:`_curves_figure`) saved as a PNG at ``path``."""
    import matplotlib.pyplot as plt

    figure = _curves_figure(history, title)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def _svg(figure) -> str:
    """``figure`` as an inline ``<svg>`` element (no XML prologue), then closed."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(width: float, height: float, columns: int = 0):
    """A matplotlib figure on the Agg backend: one axis, or a row of ``columns`` (2-D array)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: selectable, read by screen readers
    if columns:
        return plt.subplots(1, columns, figsize=(width, height), squeeze=False)
    return plt.subplots(figsize=(width, height))


def training_curves_svg(history: dict[str, list[float]], title: str) -> str:
    """The training curves of ``history`` (:func:`_curves_figure`) as inline SVG."""
    return _svg(_curves_figure(history, title))


def score_histogram_svg(percents: list[float], title: str) -> str:
    """A histogram of scores in percent of full marks, bins of 10 points (100 in the last)."""
    figure, axis = _figure(6.0, 3.2)
    axis.hist(percents, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001], color="#3465a4", edgecolor="white")
    axis.set(title=title, xlabel="score (% of full marks)", ylabel="students", xlim=(0, 100))
    axis.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    return _svg(figure)


def similarity_histogram_svg(scores: list[float], threshold: float, title: str) -> str:
    """A histogram of pair similarity scores in [0, 1] (bins of 0.05), the report's threshold
    marked; counts on a log scale once a bin holds more than 100 pairs."""
    figure, axis = _figure(6.0, 3.2)
    counts, _, _ = axis.hist(scores, bins=[i / 20 for i in range(21)], color="#3465a4", edgecolor="white")
    if len(counts) and max(counts) > 100:
        axis.set_yscale("log")
    else:
        axis.yaxis.get_major_locator().set_params(integer=True)
    axis.axvline(threshold, color="#b00020", linestyle="--", label=f"threshold {threshold:g}")
    axis.set(title=title, xlabel="similarity of a pair", ylabel="pairs", xlim=(0, 1))
    axis.legend(loc="upper right")
    figure.tight_layout()
    return _svg(figure)


def submissions_over_time_svg(times: list, deadline, title: str) -> str:
    """Cumulative submissions against their receipt time, the deadline as a vertical line."""
    figure, axis = _figure(6.0, 3.2)
    ordered = sorted(times)
    axis.step(ordered, range(1, len(ordered) + 1), where="post", label="submissions")
    if deadline is not None:
        axis.axvline(deadline, color="#c00", linestyle="--", label="deadline")
    import matplotlib.dates as dates

    locator = dates.AutoDateLocator()
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    axis.yaxis.get_major_locator().set_params(integer=True)
    axis.set(title=title, xlabel="received (UTC)", ylabel="submissions so far")
    axis.legend()
    figure.tight_layout()
    return _svg(figure)
