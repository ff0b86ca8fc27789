"""The figure of the regularisation-ladder chapter: held-out and training loss per rung, per epoch.

:func:`plot_ladder` draws two panels from plain arrays (as read from the cached results): on the
left the validation loss of every rung against the epoch, on the right the training loss (measured
in eval mode, without the regularisers) on the same axes, so the gap between the panels is the
overfitting. A baseline is a dashed line on each panel, at its loss on that panel's text. It
returns the figure; nothing calls ``plt.show``.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from lstm_tutorial.figures.plots import _check_mapping, plot_learning_curves
from lstm_tutorial.figures.style import use_book_style

__all__ = ["plot_ladder"]


def plot_ladder(
    epochs,
    valid: Mapping[str, np.ndarray],
    train: Mapping[str, np.ndarray],
    *,
    valid_baselines: Mapping[str, float] | None = None,
    train_baselines: Mapping[str, float] | None = None,
    unit: str = "nats per character",
):
    """Validation (left) and training (right) loss per epoch; one curve per rung, median and min-max band over seeds.

    Args:
        epochs: ``(n_epochs,)`` the x values.
        valid, train: rung label -> ``(n_seeds, n_epochs)`` losses; the same labels in both.
        valid_baselines, train_baselines: label -> loss of a baseline (an n-gram) on the validation
            and on the training text, dashed lines on the left and on the right panel.
        unit: the unit of the y axes.
    """
    valid, train = _check_mapping("valid", valid), _check_mapping("train", train)
    if list(valid) != list(train):
        raise ValueError(f"valid and train must have the same rung labels, got {list(valid)} and {list(train)}")
    with use_book_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.4), sharey=True, layout="constrained")
        plot_learning_curves(epochs, valid, baselines=valid_baselines, xlabel="epoch", ylabel=f"loss ({unit})", ax=left)
        plot_learning_curves(
            epochs, train, baselines=train_baselines, xlabel="epoch", ylabel=f"loss ({unit})", ax=right
        )
        left.set_title("validation text")
        right.set_title("training text (eval mode)")
        n_base = len(train_baselines or {})
        right.get_legend().remove()
        if n_base:  # the rungs are named on the left; here only the baselines
            right.legend(handles=right.get_lines()[-n_base:])
    return fig
