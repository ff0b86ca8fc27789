"""The figure of the architectures chapter: a score per architecture, one dot per seed, with baselines.

:func:`plot_runs_by_architecture` draws inside :func:`~lstm_tutorial.figures.style.use_book_style`
and returns the figure; nothing calls ``plt.show``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from lstm_tutorial.figures.plots import _colour, _new_axes
from lstm_tutorial.figures.style import use_book_style

__all__ = ["plot_runs_by_architecture"]


def plot_runs_by_architecture(
    scores: Mapping[str, Sequence[float]],
    *,
    baselines: Mapping[str, float] | None = None,
    ylabel: str = "score",
    ax=None,
):
    """One column per architecture: each seed's score as a dot, the mean as a bar; baselines dotted.

    Args:
        scores: architecture label -> the scores of its seeds (at least one each).
        baselines: label -> one score, drawn as a horizontal dotted line across all columns.
        ylabel: the y axis label.
        ax: draw into this axes instead of a new figure.
    """
    if not scores or any(len(v) == 0 for v in scores.values()):
        raise ValueError("scores must map each architecture label to at least one score")
    with use_book_style():
        fig, ax = _new_axes(ax, figsize=(7.4, 4.2))
        for k, values in enumerate(scores.values()):
            v = np.asarray(values, dtype=float)
            ax.scatter(np.full(v.size, k), v, color=_colour(k), s=28, zorder=3)
            ax.hlines(v.mean(), k - 0.3, k + 0.3, color=_colour(k), lw=2.5)
        styles = (":", "--", "-.")
        for j, (label, value) in enumerate((baselines or {}).items()):
            ax.axhline(value, color="0.3", ls=styles[j % 3], lw=1.3, label=label)
        ax.set_xticks(range(len(scores)), [label.replace(", ", ",\n") for label in scores], fontsize=9)
        ax.set_ylabel(ylabel)
        if baselines:
            ax.legend(loc="lower right", fontsize=9)
    return fig
