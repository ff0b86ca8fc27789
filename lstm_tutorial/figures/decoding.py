"""The figure of the decoding chapter: accuracy and log-probability against beam width.

- :func:`plot_beam_sweep`: plain arrays (as read from the cached results), one line per length
  normalisation, the greedy baseline dashed, median over seeds with a min-max band.

It draws inside :func:`~lstm_tutorial.figures.style.use_book_style` and returns the figure;
nothing calls ``plt.show``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lstm_tutorial.figures.plots import _as_runs, _check_mapping, _colour, _median_band
from lstm_tutorial.figures.style import use_book_style

__all__ = ["plot_beam_sweep"]


def plot_beam_sweep(widths, accuracy: Mapping[str, np.ndarray], log_prob: Mapping[str, np.ndarray], *, greedy=None):
    """Two panels against beam width (log scale): sequence accuracy, and mean ``log p(output | x)``.

    Args:
        widths: ``(n,)`` beam widths, the x axis.
        accuracy, log_prob: label -> ``(n_seeds, n)`` values, one curve per label (the same labels).
        greedy: ``{"accuracy": (n_seeds,), "log_prob": (n_seeds,)}`` of greedy decoding, drawn as a
            dashed line at its median.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(widths, dtype=float)
    if x.ndim != 1 or x.size == 0 or np.any(x < 1):
        raise ValueError(f"widths must be a non-empty 1-D array of beam widths >= 1, got {widths!r}")
    accuracy, log_prob = _check_mapping("accuracy", accuracy), _check_mapping("log_prob", log_prob)
    if list(accuracy) != list(log_prob):
        raise ValueError(f"accuracy and log_prob must have the same labels, got {list(accuracy)} and {list(log_prob)}")
    with use_book_style():
        fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.2), layout="constrained")
        for ax, values, ylabel, key in (
            (axes[0], accuracy, "sequence accuracy", "accuracy"),
            (axes[1], log_prob, "mean log p(output | source) (nats)", "log_prob"),
        ):
            for k, (label, runs) in enumerate(values.items()):
                _median_band(ax, x, _as_runs(f"{key}[{label!r}]", runs, x.size), _colour(k), label, marker="o", ms=4)
            if greedy is not None:
                ax.axhline(float(np.median(greedy[key])), color="0.3", ls="--", lw=1.2, label="greedy (baseline)")
            ax.set_xscale("log", base=2)
            ax.set_xticks(x, [str(int(w)) for w in x])
            ax.set_xlabel("beam width K")
            ax.set_ylabel(ylabel)
        axes[0].legend(loc="best", frameon=False, fontsize=9)
    return fig
