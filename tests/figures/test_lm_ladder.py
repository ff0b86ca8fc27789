"""The ladder figure: two panels, baselines on both, and a clear error on mismatched rungs."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lstm_tutorial.figures.lm_ladder import plot_ladder


def test_plot_ladder_draws_both_panels_and_checks_labels():
    e = np.arange(1, 6)
    runs = {"plain": np.ones((3, 5)), "tied": np.full((3, 5), 0.9)}
    fig = plot_ladder(e, runs, runs, valid_baselines={"4-gram": 1.2}, train_baselines={"4-gram, train": 0.8})
    left, right = fig.axes
    assert left.get_title() == "validation text" and right.get_title() == "training text (eval mode)"
    assert len(left.get_lines()) == 3 and len(right.get_lines()) == 3
    assert len(left.get_legend().get_texts()) == 3
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["4-gram, train"]
    assert right.get_lines()[-1].get_ydata()[0] == 0.8
    plt.close(fig)
    with pytest.raises(ValueError, match="same rung labels"):
        plot_ladder(e, runs, {"plain": np.ones(5)})
