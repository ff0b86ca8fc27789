"""The figures of the encoder-decoder chapter: its diagram, and accuracy against source length.

- :func:`draw_encoder_decoder`: the two LSTMs unrolled on one example, the encoder's final state
  handed to the decoder, and the decoder's inputs (teacher forcing) and outputs.
- :func:`plot_accuracy_vs_length`: plain arrays (as read from the cached results) drawn with their
  baselines.

Both draw inside :func:`~lstm_tutorial.figures.style.use_book_style` and return the figure;
nothing calls ``plt.show``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.patches import FancyArrowPatch

from lstm_tutorial.figures.diagrams import _LINE, _LINEAR, _MUTED, _STATE, _TANH, _arrow, _box, _canvas, _label
from lstm_tutorial.figures.plots import _as_runs, _check_mapping, _colour, _median_band, _new_axes
from lstm_tutorial.figures.style import use_book_style

__all__ = ["draw_encoder_decoder", "plot_accuracy_vs_length"]


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


def draw_encoder_decoder(source=("c", "a", "b"), target=("b", "a", "c")):
    """The encoder-decoder LSTM unrolled on one pair (default: reverse ``c a b``).

    The encoder reads ``x_1 .. x_S`` from a zero state; its final state ``(h_S, c_S)`` is the
    decoder's initial state; the decoder reads ``BOS, y_1 .. y_{T-1}`` (teacher forcing) and
    outputs ``y_1 .. y_T`` and then ``EOS``. Dashed arrows: in free-running decoding, each output is
    the next input instead.

    Args:
        source, target: short sequences of token strings (1 to 6 tokens each).
    """
    source, target = [str(t) for t in source], [str(t) for t in target]
    for name, seq in (("source", source), ("target", target)):
        if not 1 <= len(seq) <= 6:
            raise ValueError(f"{name} must hold 1 to 6 tokens, got {len(seq)}")
    gap, x0 = 1.55, 1.3
    S, T = len(source), len(target) + 1
    x_dec0 = x0 + gap * (S - 1) + 2.6
    width = x_dec0 + gap * (T - 1) + 1.1
    y_in, y_cell, y_out = 0.75, 2.3, 3.85
    with use_book_style():
        fig, ax = _canvas(width, 4.9, inches=min(1.0 + 0.95 * (S + T), 11.0))
        prev = (x0 - 1.0, y_cell)
        _label(ax, prev[0] - 0.05, y_cell, "$0$", ha="right", fontsize=11)
        for k, tok in enumerate(source):
            x = x0 + gap * k
            box = _box(ax, x, y_cell, "LSTM", w=1.05, h=0.8, fill=_TANH, note="encoder", fontsize=11)
            _arrow(ax, prev, box.left)
            _arrow(ax, (x, y_in + 0.3), box.bottom)
            _label(ax, x, y_in, f"$x_{k + 1}$ = {tok}", fontsize=11)
            prev = box.right
        hand = _box(ax, x_dec0 - 1.3, y_cell, "$h_S, c_S$", w=0.95, h=0.55, fill="white", edge=_STATE, fontsize=11)
        _arrow(ax, prev, hand.left, color=_STATE, lw=2.0)
        prev = hand.right
        inputs = ["BOS", *target]
        outputs = [*target, "EOS"]
        for k in range(T):
            x = x_dec0 + gap * k
            box = _box(ax, x, y_cell, "LSTM", w=1.05, h=0.8, fill=_LINEAR, note="decoder", fontsize=11)
            _arrow(ax, prev, box.left, color=_STATE if k == 0 else _LINE, lw=2.0 if k == 0 else 1.4)
            _arrow(ax, (x, y_in + 0.3), box.bottom)
            _label(ax, x, y_in, inputs[k], fontsize=11)
            _arrow(ax, box.top, (x, y_out - 0.3))
            _label(ax, x, y_out, outputs[k], fontsize=11)
            if k + 1 < T:
                ax.add_patch(
                    FancyArrowPatch(
                        (x + 0.3, y_out - 0.2),
                        (x + gap - 0.35, y_in + 0.25),
                        arrowstyle="-|>",
                        mutation_scale=11,
                        color=_MUTED,
                        linewidth=1.0,
                        linestyle=(0, (3, 3)),
                        zorder=1,
                    )
                )
            prev = box.right
        _label(ax, x0 + gap * (S - 1) / 2, 4.6, "encoder: reads the source", fontsize=10, color=_MUTED)
        _label(ax, x_dec0 + gap * (T - 1) / 2, 4.6, "decoder: writes the target", fontsize=10, color=_MUTED)
        _label(ax, x_dec0 - 1.3, y_cell - 0.6, "the one\nhand-over", fontsize=9, color=_STATE)
        _label(
            ax,
            width / 2,
            0.15,
            "decoder inputs: the true tokens (teacher forcing); dashed: its own outputs fed back (free running)",
            fontsize=9,
            color=_MUTED,
        )
    return fig
