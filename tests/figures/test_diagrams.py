"""The cell diagrams: each returns a Figure in the book's notation and rejects bad sizes."""

import matplotlib
import pytest
from matplotlib.figure import Figure

from lstm_tutorial.figures import diagrams


def _texts(fig):
    return {t.get_text() for ax in fig.axes for t in ax.texts} | {ax.get_title() for ax in fig.axes}


def _draw(name, *args):
    fig = getattr(diagrams, name)(*args)
    assert isinstance(fig, Figure)
    return fig


@pytest.mark.parametrize(
    "name, n_axes, labels",
    [
        (
            "draw_lstm_cell",
            1,
            [
                r"$c_{t-1}$",
                r"$c_t$",
                r"$h_{t-1}$",
                r"$h_t$",
                r"$x_t$",
                r"$i_t$",
                r"$f_t$",
                r"$g_t$",
                r"$o_t$",
                r"$\sigma$",
                r"$\odot$",
                "+",
            ],
        ),
        (
            "draw_gru_cell",
            1,
            [
                r"$h_{t-1}$",
                r"$h_t$",
                r"$x_t$",
                r"$r_t$",
                r"$z_t$",
                r"$n_t$",
                r"$h_{t-1} U_n + b_{Un}$",
                r"$x_t W_n + b_n$",
                r"$1-$",
            ],
        ),
        ("draw_rnn_unrolled", 1, [r"$h_0$", r"$x_1$", r"$x_4$", r"$h_4$", r"$U$", r"$W$"]),
        ("draw_attention", 1, [r"$W_Q$", r"$W_K$", r"$W_V$", r"$A V$", r"$q_1$", r"$k_4$", r"$y_4$"]),
        ("draw_sequence_shapes", 3, [r"$y$", r"$y_4$", r"$h_T$", "encoder", "decoder"]),
    ],
)
def test_diagram_has_axes_and_labels(name, n_axes, labels):
    fig = _draw(name)
    assert len(fig.axes) == n_axes
    missing = [label for label in labels if label not in _texts(fig)]
    assert not missing, f"{name} lacks labels {missing}"


def test_lstm_equations_in_book_notation():
    text = " ".join(_texts(_draw("draw_lstm_cell")))
    assert r"c_t = f_t \odot c_{t-1} + i_t \odot g_t" in text
    assert r"h_t = o_t \odot \tanh(c_t)" in text


def test_gru_uses_engine_convention():
    text = " ".join(_texts(_draw("draw_gru_cell")))
    assert r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}" in text
    assert r"r_t \odot (h_{t-1} U_n + b_{Un})" in text


def test_sizes_follow_arguments():
    texts = _texts(_draw("draw_rnn_unrolled", 6))
    assert r"$x_6$" in texts and r"$x_7$" not in texts
    texts = _texts(_draw("draw_attention", 3))
    assert r"$y_3$" in texts and r"$y_4$" not in texts


def test_diagrams_are_deterministic():
    def signature(fig):
        fig.canvas.draw()
        return bytes(fig.canvas.buffer_rgba())

    assert signature(_draw("draw_attention")) == signature(_draw("draw_attention"))


@pytest.mark.parametrize(
    "name, arg", [("draw_rnn_unrolled", 0), ("draw_rnn_unrolled", 2.5), ("draw_attention", 1), ("draw_attention", 9)]
)
def test_bad_sizes_raise(name, arg):
    argname = "steps" if name == "draw_rnn_unrolled" else "n_tokens"
    with pytest.raises(ValueError, match=argname):
        getattr(diagrams, name)(arg)


def test_style_does_not_leak():
    before = dict(matplotlib.rcParams)
    _draw("draw_lstm_cell")
    assert dict(matplotlib.rcParams) == before


def _label_colours(fig):
    import matplotlib.colors as mcolors

    return {t.get_text(): mcolors.to_hex(t.get_color()) for ax in fig.axes for t in ax.texts}


@pytest.mark.parametrize(
    "path, lit, faded",
    [
        ("forget", [r"$f_t$", r"$c_{t-1}$"], [r"$i_t$", r"$g_t$", r"$o_t$", r"$h_t$"]),
        ("input", [r"$i_t$", r"$g_t$", r"$i_t \odot g_t$"], [r"$f_t$", r"$o_t$", r"$h_t$"]),
        ("cell", [r"$c_{t-1}$", r"$c_t$", r"$i_t \odot g_t$"], [r"$f_t$", r"$i_t$", r"$g_t$", r"$o_t$", r"$h_t$"]),
        ("output", [r"$o_t$", r"$h_t$", r"$c_t$"], [r"$f_t$", r"$i_t$", r"$g_t$", r"$c_{t-1}$"]),
    ],
)
def test_lstm_highlight_colours_one_path(path, lit, faded):
    colours = _label_colours(_draw("draw_lstm_cell", path))
    assert {colours[label] for label in lit} == {diagrams._HIGHLIGHT.lower()}
    assert {colours[label] for label in faded} == {diagrams._FADED.lower()}
    # the equations under the cell stay readable in every picture
    assert colours[r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t \qquad h_t = o_t \odot \tanh(c_t)$"] == "#000000"


def test_lstm_highlights_differ_and_plain_is_unchanged():
    def signature(fig):
        fig.canvas.draw()
        return bytes(fig.canvas.buffer_rgba())

    plain = signature(_draw("draw_lstm_cell"))
    assert signature(diagrams.draw_lstm_cell(highlight=None)) == plain
    pictures = [signature(_draw("draw_lstm_cell", path)) for path in diagrams.LSTM_PATHS]
    assert len({plain, *pictures}) == 1 + len(diagrams.LSTM_PATHS)
    plain_colours = set(_label_colours(_draw("draw_lstm_cell")).values())
    assert not plain_colours & {diagrams._HIGHLIGHT.lower(), diagrams._FADED.lower()}


def test_lstm_highlight_rejects_unknown_path():
    with pytest.raises(
        ValueError, match=r"highlight must be None or one of \['forget', 'input', 'cell', 'output'\], got 'gate'"
    ):
        diagrams.draw_lstm_cell("gate")


@pytest.mark.parametrize(
    "path, lit, faded",
    [
        ("reset", [r"$r_t$"], [r"$z_t$", r"$1 - z_t$", r"$h_t$", r"$n_t$"]),
        ("candidate", [r"$n_t$"], [r"$r_t$", r"$z_t$", r"$1 - z_t$", r"$h_t$"]),
        ("update", [r"$z_t$", r"$1 - z_t$", r"$h_t$", r"$n_t$"], [r"$r_t$"]),
    ],
)
def test_gru_highlight_colours_one_path(path, lit, faded):
    colours = _label_colours(_draw("draw_gru_cell", path))
    assert {colours[label] for label in lit} == {diagrams._HIGHLIGHT.lower()}
    assert {colours[label] for label in faded} == {diagrams._FADED.lower()}


def test_gru_highlights_differ_and_plain_is_unchanged():
    def signature(fig):
        fig.canvas.draw()
        return bytes(fig.canvas.buffer_rgba())

    plain = signature(_draw("draw_gru_cell"))
    pictures = [signature(_draw("draw_gru_cell", path)) for path in diagrams.GRU_PATHS]
    assert len({plain, *pictures}) == 1 + len(diagrams.GRU_PATHS)
    plain_colours = set(_label_colours(_draw("draw_gru_cell")).values())
    assert not plain_colours & {diagrams._HIGHLIGHT.lower(), diagrams._FADED.lower()}
    with pytest.raises(ValueError, match=r"highlight must be None or one of \['reset', 'candidate', 'update'\]"):
        diagrams.draw_gru_cell("output")
