"""The figure of the ablation chapter: every seed of every LSTM variant, final error and speed.

:func:`plot_ablation` draws two panels from the run dicts of
:mod:`lstm_tutorial.experiments.gate_ablation`, one row per variant: on the left the final test
MSE of each seed on a log axis, with the chance level and the solved threshold; on the right the
steps each solved seed needed, with the step budget. Solved seeds are filled markers, unsolved
ones open. It returns the figure; nothing calls ``plt.show``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from lstm_tutorial.figures.style import PALETTE, use_book_style

__all__ = ["plot_ablation"]


def plot_ablation(
    runs: Sequence[Mapping],
    variants: Sequence[str],
    *,
    threshold: float,
    chance: float,
    max_steps: int,
    labels: Mapping[str, str] | None = None,
):
    """Final test MSE (left) and steps to solve (right) of every seed, one row per variant.

    Args:
        runs: dicts with ``variant, seed, solved, steps_to_solve, final_test_mse`` (``None`` for a
            diverged run, drawn at the right edge of the left panel as an ``x``).
        variants: the rows, top to bottom; each must have at least one run.
        threshold, chance: the solved threshold and the chance MSE, vertical lines on the left.
        max_steps: the step budget, a vertical line on the right.
        labels: variant -> row label (default: the names).
    """
    labels = dict(labels or {})
    missing = [v for v in variants if not any(r["variant"] == v for r in runs)]
    if missing:
        raise ValueError(f"runs hold no run of variants {missing}")
    with use_book_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 0.45 * len(variants) + 1.6), sharey=True)
        finite = [r["final_test_mse"] for r in runs if r["final_test_mse"] is not None]
        top = max(finite + [chance]) * 3
        for row, v in enumerate(variants):
            rs = [r for r in runs if r["variant"] == v]
            jitter = np.linspace(-0.15, 0.15, len(rs)) if len(rs) > 1 else [0.0]
            for dy, r in zip(jitter, rs):
                y = row + dy
                colour = PALETTE["blue"] if r["solved"] else PALETTE["vermillion"]
                face = colour if r["solved"] else "none"
                if r["final_test_mse"] is None:
                    left.plot(top, y, "x", color=colour)
                else:
                    left.plot(r["final_test_mse"], y, "o", color=colour, markerfacecolor=face)
                if r["solved"]:
                    right.plot(r["steps_to_solve"], y, "o", color=colour)
        left.axvline(threshold, color=PALETTE["green"], ls=":", label=f"solved: MSE < {threshold:g}")
        left.axvline(chance, color=PALETTE["black"], ls="--", label=f"chance: MSE {chance:.3f}")
        left.set_xscale("log")
        left.set_xlabel("final test MSE (log scale)")
        left.set_yticks(range(len(variants)), [labels.get(v, v) for v in variants])
        left.invert_yaxis()
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=9)
        left.set_title("every seed: filled = solved")
        right.axvline(max_steps, color=PALETTE["black"], ls="--", label=f"budget: {max_steps} steps")
        right.set_xlim(0, max_steps * 1.05)
        right.set_xlabel("optimiser steps to solve")
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=9)
        right.set_title("solved seeds only")
        fig.tight_layout()
    return fig
