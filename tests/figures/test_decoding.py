"""The beam-width plot: what it draws, and its errors."""

import numpy as np
import pytest

from lstm_tutorial.figures.decoding import plot_beam_sweep

pytestmark = pytest.mark.disable_socket


def test_draws_two_panels_with_each_curve_and_the_greedy_baseline():
    widths = [1, 2, 4]
    acc = {"alpha = 0": np.full((3, 3), 0.5), "alpha = 1": np.array([0.4, 0.5, 0.6])}
    lp = {"alpha = 0": np.full((3, 3), -2.0), "alpha = 1": np.array([-3.0, -2.5, -2.0])}
    fig = plot_beam_sweep(widths, acc, lp, greedy={"accuracy": [0.4, 0.5, 0.45], "log_prob": [-3.0, -3.1, -2.9]})
    left, right = fig.axes
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["alpha = 0", "alpha = 1", "greedy (baseline)"]
    assert left.get_xlabel() == "beam width K" and "log p" in right.get_ylabel()
    assert left.lines[-1].get_ydata()[0] == pytest.approx(0.45)


def test_refuses_bad_widths_and_mismatched_labels():
    with pytest.raises(ValueError, match="widths must be"):
        plot_beam_sweep([0, 1], {"a": [0, 1]}, {"a": [0, 1]})
    with pytest.raises(ValueError, match="the same labels"):
        plot_beam_sweep([1, 2], {"a": [0, 1]}, {"b": [0, 1]})
