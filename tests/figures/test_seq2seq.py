"""The accuracy-against-length plot: what it draws, and its errors."""

import numpy as np
import pytest

from lstm_tutorial.figures.seq2seq import draw_encoder_decoder, plot_accuracy_vs_length

pytestmark = pytest.mark.disable_socket


def test_draws_each_curve_the_baselines_and_chance():
    x = np.arange(1, 6)
    runs = np.linspace(0.2, 1.0, 15).reshape(3, 5)
    fig = plot_accuracy_vs_length(
        x, {"reverse": runs, "copy": runs[0]}, chance=0.1, baselines={"template": np.full(5, 0.15)}, trained_up_to=3
    )
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["reverse", "copy", "template", "chance per token, 0.10"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.median(runs, axis=0))
    assert ax.get_xlabel() == "source length (tokens)"


def test_errors():
    with pytest.raises(ValueError, match="lengths must be a non-empty 1-D array"):
        plot_accuracy_vs_length([], {"a": []})
    with pytest.raises(ValueError, match="points along its last axis"):
        plot_accuracy_vs_length([1, 2], {"a": [0.5, 0.5, 0.5]})
    with pytest.raises(TypeError, match="curves must be a dict"):
        plot_accuracy_vs_length([1, 2], [0.5, 0.5])


def test_encoder_decoder_diagram_labels_every_token():
    fig = draw_encoder_decoder(("c", "a", "b"), ("b", "a", "c"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("LSTM") == 3 + 4  # S encoder steps, T = target + 1 decoder steps
    assert {"$x_1$ = c", "$x_3$ = b", "BOS", "EOS", "$h_S, c_S$"} <= set(texts)
    with pytest.raises(ValueError, match="target must hold 1 to 6 tokens"):
        draw_encoder_decoder(("a",), ())
