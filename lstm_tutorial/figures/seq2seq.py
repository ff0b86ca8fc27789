"""The plot of the encoder-decoder chapter: accuracy against source length, with its baselines.

Takes plain arrays (as read from the cached results), draws inside
:func:`~lstm_tutorial.figures.style.use_book_style` and returns the figure; nothing calls ``plt.show``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lstm_tutorial.figures.plots import _as_runs, _check_mapping, _colour, _median_band, _new_axes
from lstm_tutorial.figures.style import use_book_style

__all__ = ["plot_accuracy_vs_length"]


def plot_accuracy_vs_length(
    lengths,
    curves: Mapping[str, np.ndarray],
    *,
    chance: float | None = None,
    baselines: Mapping[str, np.ndarray] | None = None,
    trained_up_to: int | None = None,
    ylabel: str = "token accuracy",
    ax=None,
):
    """Accuracy against source length: median over seeds with a min-max band, per curve.

    Args:
        lengths: ``(n,)`` source lengths, the x axis.
        curves: label -> ``(n_seeds, n)`` (or ``(n,)``) accuracies.
        chance: if given, a dashed horizontal line at chance accuracy.
        baselines: label -> ``(n,)`` accuracies of a baseline, drawn dotted.
        trained_up_to: if given, the lengths above it are shaded: the model never saw them.
        ylabel: the y axis label.
        ax: draw into this axes instead of a new figure.
    """
    x = np.asarray(lengths, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"lengths must be a non-empty 1-D array, got shape {x.shape}")
    curves = _check_mapping("curves", curves)
    with use_book_style():
        fig, ax = _new_axes(ax, figsize=(7.0, 4.6))
        if trained_up_to is not None:
            ax.axvspan(trained_up_to + 0.5, x.max() + 0.5, color="0.5", alpha=0.12, linewidth=0)
            ax.text(trained_up_to + 1, 1.02, "longer than any training source", fontsize=9, va="bottom", color="0.3")
        for k, (label, runs) in enumerate(curves.items()):
            _median_band(ax, x, _as_runs(f"curves[{label!r}]", runs, x.size), _colour(k), label, marker="o", ms=3)
        for label, values in (baselines or {}).items():
            ax.plot(x, _as_runs(f"baselines[{label!r}]", values, x.size)[0], color="0.3", ls=":", lw=1.5, label=label)
        if chance is not None:
            ax.axhline(chance, color="0.4", ls="--", lw=1.2, label=f"chance per token, {chance:.2f}")
        ax.set_xlabel("source length (tokens)")
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, 1.08)
        ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False, fontsize=9)
    return fig
