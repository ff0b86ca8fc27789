"""The architectures figure: one column per architecture, baselines as lines, bad input refused."""

import matplotlib.pyplot as plt
import pytest

from lstm_tutorial.figures.architectures import plot_runs_by_architecture

pytestmark = pytest.mark.disable_socket


def test_columns_dots_and_baselines():
    fig = plot_runs_by_architecture({"a": [0.8, 0.82], "b, c": [0.9]}, baselines={"base": 0.7}, ylabel="F1")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b,\nc"]
    assert ax.get_ylabel() == "F1" and len(ax.collections) >= 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base"]
    plt.close(fig)


def test_empty_scores_are_refused():
    with pytest.raises(ValueError, match="at least one score"):
        plot_runs_by_architecture({"a": []})
