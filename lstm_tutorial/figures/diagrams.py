"""Diagrams of the cells in the book's notation, drawn with matplotlib.

Each ``draw_*`` function returns a :class:`~matplotlib.figure.Figure` and draws only with patches,
lines and mathtext labels, with no randomness, so the same call always gives the same picture and a
change of notation is one edit here. The figures are sized to read well at about 700 px wide.

Notation (the book's notation page): inputs ``x_t``, hidden state ``h_t``, cell state ``c_t``;
LSTM gates ``i_t, f_t, g_t, o_t`` (input, forget, candidate, output); GRU gates ``r_t, z_t`` and
candidate ``n_t``; input weights ``W``, recurrent weights ``U``, biases ``b``; ``\\odot`` the
element-wise product, ``\\sigma`` the logistic sigmoid.

The three primitives every diagram uses live at the top: :func:`_box` (a labelled block that knows
its edge midpoints), :func:`_op` (a circle for an element-wise operation) and :func:`_arrow` (a
polyline that ends in an arrow head).
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

from lstm_tutorial.figures.style import PALETTE, use_book_style

__all__ = [
    "draw_rnn_unrolled",
    "LSTM_PATHS",
    "draw_lstm_cell",
    "GRU_PATHS",
    "draw_gru_cell",
    "draw_attention",
    "draw_sequence_shapes",
]

# Fill colours by role: sigmoid gates, tanh blocks, plain linear maps, the cell boundary.
_SIGMOID = "#D6EAF8"


_TANH = "#FDEBD0"


_LINEAR = "#E8F6EF"


_CELL = "#F7F7F7"


_LINE = "#333333"


_STATE = PALETTE["blue"]


_MUTED = "#666666"


class _Anchors(NamedTuple):
    """Centre and edge midpoints of a drawn element, for attaching arrows."""

    x: float
    y: float
    left: tuple[float, float]
    right: tuple[float, float]
    top: tuple[float, float]
    bottom: tuple[float, float]


def _canvas(width: float, height: float, inches: float = 7.0, bottom: float = 0.0):
    """A figure with one frameless axes spanning x in [0, width], y in [bottom, height], equal units."""
    fig = plt.figure(figsize=(inches, inches * (height - bottom) / width))
    ax = fig.add_axes((0, 0, 1, 1))
    _frame(ax, width, height, bottom)
    return fig, ax


def _frame(ax, width: float, height: float, bottom: float = 0.0):
    ax.set_xlim(0, width)
    ax.set_ylim(bottom, height)
    ax.set_aspect("equal")
    ax.axis("off")


def _box(ax, x, y, label, *, w=1.0, h=0.7, fill=_LINEAR, note=None, fontsize=13, edge=_LINE, lw=1.3):
    """A rounded block centred at ``(x, y)`` with a mathtext ``label`` and an optional small ``note``."""
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.12",
            facecolor=fill,
            edgecolor=edge,
            linewidth=lw,
            zorder=3,
        )
    )
    if note is None:
        ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, zorder=4)
    else:
        ax.text(x, y + 0.13 * h, label, ha="center", va="center", fontsize=fontsize, zorder=4)
        ax.text(x, y - 0.27 * h, note, ha="center", va="center", fontsize=8, color=_MUTED, zorder=4)
    return _Anchors(x, y, (x - w / 2, y), (x + w / 2, y), (x, y + h / 2), (x, y - h / 2))


def _op(ax, x, y, symbol, *, r=0.27, fontsize=13, edge=_LINE, lw=1.3):
    """A circle for an element-wise operation: ``r"$\\odot$"``, ``"+"``, ``r"$1-$"``."""
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=edge, linewidth=lw, zorder=3))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=fontsize, zorder=4)
    return _Anchors(x, y, (x - r, y), (x + r, y), (x, y + r), (x, y - r))


def _arrow(ax, *points, color=_LINE, lw=1.4, head=True, zorder=2):
    """A polyline through ``points`` whose last segment carries an arrow head (unless ``head=False``)."""
    pts = np.asarray(points, dtype=float)
    if len(pts) > 2 or not head:
        end = len(pts) - 1 if head else len(pts)
        ax.plot(
            pts[:end, 0],
            pts[:end, 1],
            color=color,
            linewidth=lw,
            solid_capstyle="butt",
            solid_joinstyle="miter",
            zorder=zorder,
        )
    if head:
        ax.add_patch(
            FancyArrowPatch(
                tuple(pts[-2]),
                tuple(pts[-1]),
                arrowstyle="-|>",
                mutation_scale=13,
                color=color,
                linewidth=lw,
                shrinkA=0,
                shrinkB=0,
                zorder=zorder,
            )
        )


def _dot(ax, x, y, color=_LINE):
    """A junction where one line splits into two."""
    ax.add_patch(Circle((x, y), 0.07, color=color, zorder=4))


def _label(ax, x, y, text, *, fontsize=13, color="black", ha="center", va="center", **kw):
    return ax.text(x, y, text, ha=ha, va=va, fontsize=fontsize, color=color, zorder=5, **kw)


def draw_rnn_unrolled(steps: int = 4):
    """The plain RNN folded (a cell with a loop) and unrolled over ``t = 1 .. steps``.

    Each copy computes ``h_t = tanh(x_t W + h_{t-1} U + b)`` with the same ``W`` ``(D, H)``,
    ``U`` ``(H, H)`` and ``b`` ``(H,)``: the unrolled picture is the folded one drawn once per step.

    Args:
        steps: number of time steps to unroll, 1 to 8.

    Returns:
        A figure with one axes.
    """
    if not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 8:
        raise ValueError(f"steps must be an integer from 1 to 8, got {steps!r}")
    gap = 2.3
    x0 = 6.3
    width = x0 + gap * (steps - 1) + 2.2
    height = 5.6
    with use_book_style():
        fig, ax = _canvas(width, height, inches=min(2.0 + 1.25 * steps + 2.0, 11.0))
        y_cell, y_in, y_out = 2.8, 0.95, 4.65

        cell = _box(ax, 1.4, y_cell, r"$\tanh$", w=1.2, h=0.9, fill=_TANH)
        _arrow(ax, (1.4, y_in + 0.3), cell.bottom)
        _label(ax, 1.4, y_in, r"$x_t$")
        _label(ax, 1.58, (y_in + 0.3 + cell.bottom[1]) / 2, r"$W$", fontsize=11, ha="left", color=_MUTED)
        _arrow(ax, cell.top, (1.4, y_out - 0.3))
        _label(ax, 1.4, y_out, r"$h_t$")
        loop = FancyArrowPatch(
            (2.0, y_cell + 0.25),
            (2.0, y_cell - 0.25),
            connectionstyle="arc3,rad=-2.2",
            arrowstyle="-|>",
            mutation_scale=13,
            color=_LINE,
            linewidth=1.4,
            zorder=2,
        )
        ax.add_patch(loop)
        _label(ax, 2.7, y_cell, r"$U$", fontsize=11, ha="left", color=_MUTED)
        _label(ax, 3.6, y_cell, "=", fontsize=20, color=_MUTED)

        prev = (x0 - 1.45, y_cell)
        _label(ax, prev[0] - 0.08, y_cell, r"$h_0$", ha="right")
        for k in range(steps):
            x = x0 + gap * k
            box = _box(ax, x, y_cell, r"$\tanh$", w=1.2, h=0.9, fill=_TANH)
            _arrow(ax, prev, box.left)
            mid = (prev[0] + box.left[0]) / 2
            _label(ax, mid, y_cell + 0.28, r"$U$", fontsize=11, color=_MUTED)
            t = k + 1
            _arrow(ax, (x, y_in + 0.3), box.bottom)
            _label(ax, x, y_in, rf"$x_{t}$")
            _label(ax, x + 0.18, (y_in + 0.3 + box.bottom[1]) / 2, r"$W$", fontsize=11, ha="left", color=_MUTED)
            _arrow(ax, box.top, (x, y_out - 0.3))
            _label(ax, x, y_out, rf"$h_{t}$")
            prev = box.right
        _arrow(ax, prev, (prev[0] + 0.8, y_cell))
        _label(ax, prev[0] + 0.85, y_cell, r"$\cdots$", ha="left", color=_MUTED)

        _label(ax, 1.4, 5.3, "folded", fontsize=11, color=_MUTED)
        _label(ax, x0 + gap * (steps - 1) / 2, 5.3, f"unrolled over $T={steps}$ steps", fontsize=11, color=_MUTED)
        _label(
            ax,
            width / 2,
            0.3,
            r"every copy uses the same $W$, $U$, $b$:   $h_t = \tanh(x_t W + h_{t-1} U + b)$",
            fontsize=11,
        )
    return fig


#: The paths :func:`draw_lstm_cell` can highlight, in the order a reader meets them.
LSTM_PATHS = ("forget", "input", "cell", "output")

_HIGHLIGHT = PALETTE["vermillion"]


_FADED = "#C4C4C4"


def _path_style(highlight, paths, color, lw):
    """Colour and line width of an element on ``paths``: as drawn when nothing is highlighted,
    emphasised when one of its paths is, faded otherwise."""
    if highlight is None:
        return color, lw
    return (_HIGHLIGHT, lw + 1.0) if highlight in paths else (_FADED, lw)


def draw_lstm_cell(highlight: str | None = None):
    """One LSTM step in the book's notation, optionally with one path highlighted.

    The cell state runs along the top from ``c_{t-1}`` to ``c_t``: the forget gate scales it
    (``f_t \\odot c_{t-1}``), the gated candidate is added (``+ i_t \\odot g_t``), and the output
    gate reads a squashed copy (``h_t = o_t \\odot tanh(c_t)``). The four blocks at the bottom each
    take ``x_t W_\\bullet + h_{t-1} U_\\bullet + b_\\bullet`` for their own slice of the fused
    ``W`` ``(D, 4H)``, ``U`` ``(H, 4H)`` and ``b`` ``(4H,)``, in the gate order i, f, g, o.

    Args:
        highlight: ``None`` for the plain diagram, or one of :data:`LSTM_PATHS`, drawn in colour
            with everything else faded: ``"forget"`` (the forget gate ``f_t`` and what it scales,
            ``f_t \\odot c_{t-1}``), ``"input"`` (the input gate ``i_t`` and the candidate ``g_t``,
            multiplied into ``i_t \\odot g_t``), ``"cell"`` (the update
            ``c_t = f_t \\odot c_{t-1} + i_t \\odot g_t`` along the top), ``"output"`` (the output
            gate and ``h_t = o_t \\odot tanh(c_t)``).

    Returns:
        A figure with one axes.
    """
    if highlight is not None and highlight not in LSTM_PATHS:
        raise ValueError(f"highlight must be None or one of {list(LSTM_PATHS)}, got {highlight!r}")

    def ink(*paths, color=_LINE, lw=1.4):
        return dict(zip(("color", "lw"), _path_style(highlight, paths, color, lw)))

    def edge(*paths, lw=1.3):
        return dict(zip(("edge", "lw"), _path_style(highlight, paths, _LINE, lw)))

    def text(*paths, color="black"):
        return _path_style(highlight, paths, color, 0)[0]

    gates = ("forget", "input", "output")  # the paths that start at the gate blocks
    width, height = 13.0, 8.6
    with use_book_style():
        fig, ax = _canvas(width, height)
        y_c, y_bus, y_gate = 7.5, 2.15, 3.6
        ax.add_patch(
            FancyBboxPatch(
                (1.3, 1.6),
                10.1,
                6.55,
                boxstyle="round,pad=0,rounding_size=0.3",
                facecolor=_CELL,
                edgecolor="#BBBBBB",
                linewidth=1.0,
                zorder=0,
            )
        )

        x_f, x_i, x_g, x_o, x_h = 3.0, 5.0, 7.0, 9.0, 10.4
        forget = _op(ax, x_f, y_c, r"$\odot$", **edge("forget", "cell"))
        add = _op(ax, 6.0, y_c, "+", **edge("cell"))
        _arrow(ax, (0.55, y_c), forget.left, **ink("forget", "cell", color=_STATE, lw=2.4))
        _arrow(ax, forget.right, add.left, **ink("forget", "cell", color=_STATE, lw=2.4))
        _arrow(ax, add.right, (12.45, y_c), **ink("cell", "output", color=_STATE, lw=2.4))
        _label(ax, 0.5, y_c + 0.38, r"$c_{t-1}$", ha="left", color=text("forget", "cell", color=_STATE))
        _label(ax, 12.5, y_c + 0.38, r"$c_t$", ha="right", color=text("cell", "output", color=_STATE))

        gate_f = _box(ax, x_f, y_gate, r"$\sigma$", w=1.35, h=0.85, fill=_SIGMOID, note="forget", **edge("forget"))
        gate_i = _box(ax, x_i, y_gate, r"$\sigma$", w=1.35, h=0.85, fill=_SIGMOID, note="input", **edge("input"))
        gate_g = _box(ax, x_g, y_gate, r"$\tanh$", w=1.35, h=0.85, fill=_TANH, note="candidate", **edge("input"))
        gate_o = _box(ax, x_o, y_gate, r"$\sigma$", w=1.35, h=0.85, fill=_SIGMOID, note="output", **edge("output"))

        _arrow(ax, gate_f.top, forget.bottom, **ink("forget"))
        _label(ax, x_f + 0.15, 5.3, r"$f_t$", ha="left", color=text("forget"))

        mul_in = _op(ax, 6.0, 5.3, r"$\odot$", **edge("input"))
        _arrow(ax, gate_i.top, (x_i, 5.3), mul_in.left, **ink("input"))
        _arrow(ax, gate_g.top, (x_g, 5.3), mul_in.right, **ink("input"))
        _label(ax, x_i - 0.15, 4.55, r"$i_t$", ha="right", color=text("input"))
        _label(ax, x_g + 0.15, 4.55, r"$g_t$", ha="left", color=text("input"))
        _arrow(ax, mul_in.top, add.bottom, **ink("input", "cell"))
        _label(ax, 6.15, 6.4, r"$i_t \odot g_t$", ha="left", fontsize=11, color=text("input", "cell", color=_MUTED))

        squash = _box(ax, x_h, 6.15, r"$\tanh$", w=1.0, h=0.6, fill=_TANH, fontsize=12, **edge("output"))
        _dot(ax, x_h, y_c, color=text("cell", "output", color=_STATE))
        _arrow(ax, (x_h, y_c), squash.top, **ink("output", color=_STATE))
        mul_out = _op(ax, x_h, 4.8, r"$\odot$", **edge("output"))
        _arrow(ax, squash.bottom, mul_out.top, **ink("output"))
        _arrow(ax, gate_o.top, (x_o, 4.8), mul_out.left, **ink("output"))
        _label(ax, x_o - 0.15, 4.45, r"$o_t$", ha="right", color=text("output"))
        _arrow(ax, mul_out.right, (12.45, 4.8), **ink("output"))
        _label(ax, 12.5, 5.2, r"$h_t$", ha="right", color=text("output"))

        _arrow(ax, (0.55, y_bus), (x_o, y_bus), head=False, **ink(*gates))
        _label(ax, 0.5, y_bus + 0.38, r"$h_{t-1}$", ha="left", color=text(*gates))
        _arrow(ax, (2.0, 1.0), (2.0, y_bus), head=False, **ink(*gates))
        _dot(ax, 2.0, y_bus, color=text(*gates, color=_LINE))
        _label(ax, 2.0, 0.75, r"$x_t$", color=text(*gates))
        for gate in (gate_f, gate_i, gate_g):
            _dot(ax, gate.x, y_bus, color=text(*gates, color=_LINE))
        for gate, path in ((gate_f, "forget"), (gate_i, "input"), (gate_g, "input"), (gate_o, "output")):
            _arrow(ax, (gate.x, y_bus), gate.bottom, **ink(path))

        _label(
            ax, 7.0, 1.0, r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t \qquad h_t = o_t \odot \tanh(c_t)$", fontsize=12
        )
        _label(
            ax,
            7.0,
            0.35,
            r"each block applies its activation to $x_t W_\bullet + h_{t-1} U_\bullet + b_\bullet$, "
            r"$\bullet \in \{i, f, g, o\}$",
            fontsize=10,
            color=_MUTED,
        )
    return fig


#: The paths :func:`draw_gru_cell` can highlight, in the order of its equations.
GRU_PATHS = ("reset", "candidate", "update")


def draw_gru_cell(highlight: str | None = None):
    """One GRU step in the engine's (and PyTorch's) convention.

    .. math::

        r_t = \\sigma(x_t W_r + b_r + h_{t-1} U_r + b_{Ur}), \\quad
        z_t = \\sigma(x_t W_z + b_z + h_{t-1} U_z + b_{Uz}),

        n_t = \\tanh(x_t W_n + b_n + r_t \\odot (h_{t-1} U_n + b_{Un})), \\quad
        h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}.

    The reset gate scales the recurrent term *after* its matrix product (Cho et al.'s original
    applies it to ``h_{t-1}`` before). The hidden state runs along the top: ``z_t`` keeps the old
    state, ``1 - z_t`` lets the candidate in.

    Args:
        highlight: ``None`` for the plain diagram, or one of :data:`GRU_PATHS`, drawn in colour
            with everything else faded: ``"reset"`` (the reset gate ``r_t`` and the recurrent term
            it scales), ``"candidate"`` (``n_t`` from both inputs, through the reset), ``"update"``
            (the update gate ``z_t`` and the blend ``h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}``).

    Returns:
        A figure with one axes.
    """
    if highlight is not None and highlight not in GRU_PATHS:
        raise ValueError(f"highlight must be None or one of {list(GRU_PATHS)}, got {highlight!r}")

    def ink(*paths, color=_LINE, lw=1.4):
        return dict(zip(("color", "lw"), _path_style(highlight, paths, color, lw)))

    def edge(*paths, lw=1.3):
        return dict(zip(("edge", "lw"), _path_style(highlight, paths, _LINE, lw)))

    def text(*paths, color="black"):
        return _path_style(highlight, paths, color, 0)[0]

    width, height = 14.0, 8.6
    with use_book_style():
        fig, ax = _canvas(width, height, bottom=-0.5)
        y_h, y_bus, y_gate, y_mix, y_cand = 7.5, 2.15, 3.6, 6.1, 4.9
        ax.add_patch(
            FancyBboxPatch(
                (1.3, 1.6),
                11.5,
                6.55,
                boxstyle="round,pad=0,rounding_size=0.3",
                facecolor=_CELL,
                edgecolor="#BBBBBB",
                linewidth=1.0,
                zorder=0,
            )
        )

        x_z, x_r, x_un, x_wn, x_n = 3.4, 5.3, 7.3, 9.6, 11.6
        keep = _op(ax, x_z, y_h, r"$\odot$", **edge("update"))
        add = _op(ax, x_n, y_h, "+", **edge("update"))
        _arrow(ax, (0.55, y_h), keep.left, **ink("update", color=_STATE, lw=2.4))
        _arrow(ax, keep.right, add.left, **ink("update", color=_STATE, lw=2.4))
        _arrow(ax, add.right, (13.45, y_h), **ink("update", color=_STATE, lw=2.4))
        _label(ax, 0.5, y_h + 0.38, r"$h_{t-1}$", ha="left", color=text(*GRU_PATHS, color=_STATE))
        _label(ax, 13.5, y_h + 0.38, r"$h_t$", ha="right", color=text("update", color=_STATE))

        _arrow(ax, (1.9, y_h), (1.9, y_bus), head=False, **ink(*GRU_PATHS, color=_STATE))
        _dot(ax, 1.9, y_h, color=text(*GRU_PATHS, color=_STATE))
        _arrow(ax, (1.9, y_bus), (x_wn, y_bus), head=False, **ink(*GRU_PATHS))
        _dot(ax, 1.9, y_bus, color=text(*GRU_PATHS, color=_LINE))
        _label(ax, 1.75, 4.6, r"$h_{t-1}$", ha="right", fontsize=11, color=text(*GRU_PATHS, color=_STATE))
        _arrow(ax, (2.5, 1.0), (2.5, y_bus), head=False, **ink(*GRU_PATHS))
        _dot(ax, 2.5, y_bus, color=text(*GRU_PATHS, color=_LINE))
        _label(ax, 2.5, 0.75, r"$x_t$", color=text(*GRU_PATHS))

        gate_z = _box(ax, x_z, y_gate, r"$\sigma$", w=1.3, h=0.85, fill=_SIGMOID, note="update", **edge("update"))
        gate_r = _box(ax, x_r, y_gate, r"$\sigma$", w=1.3, h=0.85, fill=_SIGMOID, note="reset", **edge("reset"))
        rec = _box(
            ax, x_un, y_gate, r"$h_{t-1} U_n + b_{Un}$", w=2.2, h=0.75, fontsize=11, **edge("reset", "candidate")
        )
        inp = _box(ax, x_wn, y_gate, r"$x_t W_n + b_n$", w=1.8, h=0.75, fontsize=11, **edge("candidate"))
        for block, paths in (
            (gate_z, ("update",)),
            (gate_r, ("reset",)),
            (rec, ("reset", "candidate")),
            (inp, ("candidate",)),
        ):
            _arrow(ax, (block.x, y_bus), block.bottom, **ink(*paths))
        for block in (gate_z, gate_r, rec):
            _dot(ax, block.x, y_bus, color=text(*GRU_PATHS, color=_LINE))

        flip = _op(ax, 7.3, y_mix, r"$1-$", r=0.34, fontsize=10, **edge("update"))
        mix = _op(ax, x_n, y_mix, r"$\odot$", **edge("update"))
        _dot(ax, x_z, y_mix, color=text("update", color=_LINE))
        _arrow(ax, gate_z.top, keep.bottom, **ink("update"))
        _arrow(ax, (x_z, y_mix), flip.left, **ink("update"))
        _arrow(ax, flip.right, mix.left, **ink("update"))
        _arrow(ax, mix.top, add.bottom, **ink("update"))
        _label(ax, x_z + 0.15, 4.8, r"$z_t$", ha="left", color=text("update"))
        _label(ax, 9.3, y_mix + 0.3, r"$1 - z_t$", fontsize=11, color=text("update", color=_MUTED))

        reset = _op(ax, x_un, y_cand, r"$\odot$", **edge("reset", "candidate"))
        _arrow(ax, gate_r.top, (x_r, y_cand), reset.left, **ink("reset"))
        _label(ax, x_r - 0.15, 4.5, r"$r_t$", ha="right", color=text("reset"))
        _arrow(ax, rec.top, reset.bottom, **ink("reset", "candidate"))
        plus = _op(ax, x_wn, y_cand, "+", **edge("candidate"))
        _arrow(ax, reset.right, plus.left, **ink("candidate"))
        _arrow(ax, inp.top, plus.bottom, **ink("candidate"))
        cand = _box(ax, x_n, y_cand, r"$\tanh$", w=1.1, h=0.7, fill=_TANH, **edge("candidate"))
        _arrow(ax, plus.right, cand.left, **ink("candidate"))
        _arrow(ax, cand.top, mix.bottom, **ink("candidate", "update"))
        _label(
            ax, x_n + 0.15, (cand.top[1] + mix.bottom[1]) / 2, r"$n_t$", ha="left", color=text("candidate", "update")
        )

        _label(
            ax,
            7.5,
            0.3,
            r"$n_t = \tanh(x_t W_n + b_n + r_t \odot (h_{t-1} U_n + b_{Un})) \qquad "
            r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$",
            fontsize=11.5,
        )
        _label(
            ax,
            7.5,
            -0.25,
            r"gates: $r_t, z_t = \sigma(x_t W_\bullet + b_\bullet + h_{t-1} U_\bullet + b_{U\bullet})$, "
            r"$\bullet \in \{r, z\}$",
            fontsize=10,
            color=_MUTED,
        )
    return fig


def draw_attention(n_tokens: int = 4):
    """Scaled dot-product self-attention over ``n_tokens`` inputs.

    From one input ``X`` ``(T, D)`` come queries ``Q = X W_Q``, keys ``K = X W_K`` and values
    ``V = X W_V`` (each ``(T, d)``); the scores ``S = Q K^T / sqrt(d)`` ``(T, T)`` go through a
    softmax along each row to give the weights ``A``, and the outputs are ``Y = A V`` ``(T, d)``:
    row ``i`` of ``Y`` is the average of the values weighted by how well query ``i`` matches each key.
    The shading of ``A`` is a fixed illustrative pattern, not a trained model's weights.

    Args:
        n_tokens: number of input positions ``T``, 2 to 8.

    Returns:
        A figure with one axes.
    """
    if not isinstance(n_tokens, (int, np.integer)) or not 2 <= n_tokens <= 8:
        raise ValueError(f"n_tokens must be an integer from 2 to 8, got {n_tokens!r}")
    n = int(n_tokens)
    cell = 0.62
    grid = n * cell
    top = grid + 1.9
    height = top + 1.8
    gx = 5.8
    wx = gx + grid + 2.1
    mx = wx + grid + 1.5
    ox = mx + 1.6
    width = ox + 0.8
    with use_book_style():
        fig, ax = _canvas(width, height, inches=min(9.0, 0.45 * width + 1.0))
        y_q = top - grid / 2
        y_k = top + 0.8
        y_v = top - grid - 0.6

        def stack(x, letter):
            ys = y_q + (np.arange(n)[::-1] - (n - 1) / 2) * cell
            for k, y in enumerate(ys):
                _box(ax, x, y, rf"${letter}_{k + 1}$", w=0.9, h=cell * 0.85, fill="white", fontsize=11)
            _label(ax, x, ys[0] + 0.6, rf"${letter.upper()}$", fontsize=12)

        stack(0.8, "x")
        x_split = 2.0
        _arrow(ax, (1.25, y_q), (x_split, y_q), head=False)
        _dot(ax, x_split, y_q)
        proj = {}
        for name, y in (("K", y_k), ("Q", y_q), ("V", y_v)):
            _arrow(ax, (x_split, y_q), (x_split, y), (2.6, y))
            proj[name] = _box(ax, 3.2, y, rf"$W_{name}$", w=1.2, h=0.6, fontsize=12)
            _label(ax, 4.4, y + 0.27, rf"${name}$", fontsize=12)

        def matrix(x0, shades=None):
            for i in range(n):
                for j in range(n):
                    fill = "white" if shades is None else shades[i, j]
                    ax.add_patch(
                        Rectangle(
                            (x0 + j * cell, top - (i + 1) * cell),
                            cell,
                            cell,
                            facecolor=fill,
                            edgecolor=_LINE,
                            linewidth=0.8,
                            zorder=3,
                        )
                    )

        matrix(gx)
        for j in range(n):
            _label(ax, gx + (j + 0.5) * cell, top + 0.25, rf"$k_{j + 1}$", fontsize=10, color=_MUTED)
        for i in range(n):
            _label(ax, gx - 0.08, top - (i + 0.5) * cell, rf"$q_{i + 1}$", fontsize=10, color=_MUTED, ha="right")
        _arrow(ax, proj["Q"].right, (gx - 0.5, y_q))
        _arrow(ax, proj["K"].right, (gx + grid / 2, y_k), (gx + grid / 2, top + 0.48))
        _label(ax, gx + grid / 2, top + 1.3, r"scores $S = QK^{\top} / \sqrt{d}$", fontsize=11)

        _arrow(ax, (gx + grid + 0.2, y_q), (wx - 0.2, y_q))
        _label(ax, (gx + grid + wx) / 2, y_q + 0.35, "softmax", fontsize=10)
        _label(ax, (gx + grid + wx) / 2, y_q - 0.35, "each row", fontsize=9, color=_MUTED)
        i_idx, j_idx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        logits = -0.9 * np.abs(i_idx - j_idx) + 1.2 * (j_idx == 0)
        weights = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        shade = plt.get_cmap("Blues")
        matrix(wx, shade(0.1 + 0.8 * weights / weights.max()))
        _label(ax, wx + grid / 2, top + 1.3, r"weights $A$", fontsize=11)
        _label(ax, wx + grid / 2, top + 0.6, "each row sums to 1", fontsize=9, color=_MUTED)

        prod = _box(ax, mx, y_q, r"$A V$", w=1.1, h=0.7, fontsize=12)
        _arrow(ax, (wx + grid + 0.1, y_q), prod.left)
        _arrow(ax, proj["V"].right, (mx, y_v), prod.bottom)
        _arrow(ax, prod.right, (ox - 0.5, y_q))
        stack(ox, "y")

        _label(
            ax,
            width / 2,
            0.5,
            r"$Q = XW_Q,\; K = XW_K,\; V = XW_V \qquad "
            r"y_i = \sum_j A_{ij}\, v_j, \quad A_{ij} = \mathrm{softmax}_j(q_i \cdot k_j / \sqrt{d})$",
            fontsize=11.5,
        )
    return fig


def _chain(ax, xs, y, *, fill, inputs, outputs, in_y, out_y, carry_in=None):
    """A row of recurrent blocks at ``xs`` joined left to right, with optional input and output labels."""
    boxes = [_box(ax, x, y, "", w=0.75, h=0.6, fill=fill) for x in xs]
    if carry_in is not None:
        _arrow(ax, carry_in, boxes[0].left)
    for a, b in zip(boxes, boxes[1:]):
        _arrow(ax, a.right, b.left)
    for box, text in zip(boxes, inputs):
        if text:
            _arrow(ax, (box.x, in_y + 0.28), box.bottom)
            _label(ax, box.x, in_y, text, fontsize=11)
    for box, text in zip(boxes, outputs):
        if text:
            _arrow(ax, box.top, (box.x, out_y - 0.28))
            _label(ax, box.x, out_y, text, fontsize=11)
    return boxes


def draw_sequence_shapes():
    """Three shapes of sequence problems as small unrolled networks, side by side.

    - many-to-one: read ``x_1 .. x_T``, predict one ``y`` from ``h_T`` (classify a review);
    - many-to-many, aligned: one output ``y_t`` per input ``x_t`` (tag each step, forecast the next value);
    - sequence to sequence: an encoder reads ``x_1 .. x_T`` into its final state, a decoder starts
      from it and emits ``y_1 .. y_S`` of another length, reading its previous output (translation).

    Returns:
        A figure with three axes, one per shape.
    """
    with use_book_style():
        fig, axes = plt.subplots(1, 3, figsize=(11.0, 3.3), width_ratios=(4.6, 4.6, 7.4))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.86, wspace=0.08)
        height = 4.0
        y, in_y, out_y = 2.0, 0.55, 3.45
        xs = [0.6 + 1.1 * k for k in range(4)]

        ax = axes[0]
        _frame(ax, 4.6, height)
        _chain(
            ax,
            xs,
            y,
            fill=_TANH,
            inputs=[rf"$x_{k + 1}$" for k in range(4)],
            outputs=["", "", "", r"$y$"],
            in_y=in_y,
            out_y=out_y,
        )
        ax.set_title("many-to-one\n(classify a sequence)", fontsize=11)

        ax = axes[1]
        _frame(ax, 4.6, height)
        _chain(
            ax,
            xs,
            y,
            fill=_TANH,
            inputs=[rf"$x_{k + 1}$" for k in range(4)],
            outputs=[rf"$y_{k + 1}$" for k in range(4)],
            in_y=in_y,
            out_y=out_y,
        )
        ax.set_title("many-to-many, aligned\n(one output per step)", fontsize=11)

        ax = axes[2]
        _frame(ax, 7.4, height)
        enc_xs = [0.6 + 1.1 * k for k in range(3)]
        enc = _chain(
            ax,
            enc_xs,
            y,
            fill=_TANH,
            inputs=[rf"$x_{k + 1}$" for k in range(3)],
            outputs=["", "", ""],
            in_y=in_y,
            out_y=out_y,
        )
        dec_xs = [4.6 + 1.1 * k for k in range(3)]
        dec = _chain(
            ax,
            dec_xs,
            y,
            fill=_SIGMOID,
            inputs=["<s>", r"$y_1$", r"$y_2$"],
            outputs=[rf"$y_{k + 1}$" for k in range(3)],
            in_y=in_y,
            out_y=out_y,
            carry_in=enc[-1].right,
        )
        _label(ax, (enc[-1].right[0] + dec[0].left[0]) / 2, y + 0.3, r"$h_T$", fontsize=10, color=_MUTED)
        _label(ax, enc_xs[1], y + 0.62, "encoder", fontsize=9, color=_MUTED)
        _label(ax, dec_xs[1] - 0.55, y + 0.62, "decoder", fontsize=9, color=_MUTED)
        ax.set_title("sequence to sequence\n(encoder, then decoder; e.g. translation)", fontsize=11)
    return fig
