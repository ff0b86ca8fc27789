"""Figures of the chapter "Where each model wins": accuracy curves per model, with seeds and baselines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from lstm_tutorial.figures.style import CYCLE, MARKERS, use_book_style

__all__ = ["plot_accuracy_by", "plot_length_generalisation"]

LABELS = {"lstm": "LSTM", "gru": "GRU", "transformer": "Transformer (causal, sinusoidal)"}


def plot_accuracy_by(
    rows: Sequence[Mapping],
    x: str,
    *,
    baselines: Mapping[str, float | Sequence[float]] | None = None,
    ax=None,
    xlabel: str | None = None,
    ylabel: str = "test accuracy",
    logx: bool = True,
    title: str | None = None,
):
    """Mean accuracy over seeds against ``rows[i][x]`` per model, with the min-max band over seeds.

    ``rows``: dicts with ``"model"``, ``x``, ``"mean"``, ``"min"``, ``"max"`` (as
    :func:`lstm_tutorial.experiments.where_each_wins.summarise` returns them). ``baselines``:
    label -> a constant or one value per ``x`` (sorted), drawn dashed.
    """
    if not rows:
        raise ValueError("rows must not be empty")
    missing = {"model", x, "mean", "min", "max"} - set(rows[0])
    if missing:
        raise ValueError(f"rows must have the fields model, {x}, mean, min, max; missing {sorted(missing)}")
    with use_book_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.0, 4.0), layout="constrained")
        elif not isinstance(ax, mpl.axes.Axes):
            raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
        fig = ax.figure
        models = list(dict.fromkeys(r["model"] for r in rows))
        xs = sorted({r[x] for r in rows})
        for n, m in enumerate(models):
            mine = sorted((r for r in rows if r["model"] == m), key=lambda r: r[x])
            xv = [r[x] for r in mine]
            ax.plot(
                xv,
                [r["mean"] for r in mine],
                marker=MARKERS[n % len(MARKERS)],
                color=CYCLE[n % len(CYCLE)],
                label=LABELS.get(m, m),
            )
            ax.fill_between(
                xv,
                [r["min"] for r in mine],
                [r["max"] for r in mine],
                color=CYCLE[n % len(CYCLE)],
                alpha=0.2,
                linewidth=0,
            )
        for k, (label, value) in enumerate((baselines or {}).items()):
            style = ("--", ":", "-.")[k % 3]
            if np.ndim(value) == 0:
                ax.axhline(float(value), color="0.4", ls=style, lw=1.2, label=label)
            else:
                ax.plot(xs, list(value), color="0.4", ls=style, lw=1.2, label=label)
        if logx:
            ax.set_xscale("log")
            ax.set_xticks(xs, [str(v) for v in xs])
            ax.minorticks_off()
        ax.set_xlabel(xlabel or x)
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, 1.05)
        if title:
            ax.set_title(title)
        ax.legend(loc="lower left", fontsize=9)
    return fig


def plot_length_generalisation(rows: Sequence[Mapping], chance: Mapping[str, float], train_length: int):
    """One panel per task: accuracy against test length per model, chance dashed, training length dotted.

    ``rows``: dicts with ``"task"``, ``"model"``, ``"test_length"``, ``"mean"``, ``"min"``, ``"max"``;
    ``chance``: task -> chance accuracy.
    """
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    titles = {"parity": "parity (2 classes)", "count": "count comparison (3 classes)"}
    with use_book_style():
        fig, axes = plt.subplots(1, len(tasks), figsize=(10.0, 4.0), layout="constrained", sharey=True)
        for ax, task in zip(np.atleast_1d(axes), tasks):
            plot_accuracy_by(
                [r for r in rows if r["task"] == task],
                "test_length",
                baselines={f"chance, {chance[task]:.2f}": chance[task]},
                ax=ax,
                xlabel="test string length (log scale)",
                title=titles.get(task, task),
            )
            ax.axvline(train_length, color="0.6", ls=":", lw=1.2)
            ax.text(train_length * 1.03, 0.08, "longest\ntrained", fontsize=9, color="0.4")
    return fig
