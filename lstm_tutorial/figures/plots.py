"""Plots the chapters show: gradient norms, learning curves, gate activations, attention maps,
timings and forecasts.

Every function takes plain NumPy arrays (or dicts of them), draws inside
:func:`use_book_style` so the book's look never leaks into the reader's own figures, labels its
axes with units, adds a legend where there is more than one thing to tell apart, and returns the
:class:`~matplotlib.figure.Figure` (the one of ``ax`` when an ``ax`` is passed). Nothing calls
``plt.show``; the notebook's last expression displays the figure. Captions and alt text belong to
the notebook's figure directive, next to the prose that explains what the reader should see.

Bad input raises ``ValueError`` (wrong shape or value) or ``TypeError`` (wrong kind of object)
with a message that names the argument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from lstm_tutorial._checks import check_array
from lstm_tutorial.figures.style import CYCLE, MARKERS, PALETTE, use_book_style

__all__ = [
    "plot_recall_vs_k",
    "plot_gradient_norms",
    "plot_learning_curves",
    "plot_gate_heatmaps",
    "plot_attention_map",
    "plot_timings",
    "plot_forecast",
]


# Gates squashed by a sigmoid live in [0, 1]; everything else gets a symmetric colour scale.
_SIGMOID_KEYS = {"i", "f", "o", "r", "z"}


_GATE_NAMES = {
    "i": r"input gate $i_t$",
    "f": r"forget gate $f_t$",
    "g": r"candidate $g_t$",
    "o": r"output gate $o_t$",
    "c": r"cell state $c_t$",
    "h": r"hidden state $h_t$",
    "r": r"reset gate $r_t$",
    "z": r"update gate $z_t$",
    "n": r"candidate $n_t$",
}


def _colour(k: int) -> str:
    return CYCLE[k % len(CYCLE)]


def _new_axes(ax, figsize=None):
    """Return ``(fig, ax)``: the given axes and its figure, or a fresh figure with one axes."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    if not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax.figure, ax


def _check_mapping(name: str, value, *, allow_empty: bool = False) -> Mapping:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict mapping a label to an array, got {type(value).__name__}")
    if not value and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return value


def _as_runs(name: str, value, n: int, *, finite: bool = True) -> np.ndarray:
    """Return ``value`` as ``(n_runs, n)``: a 1-D array of length ``n`` is one run."""
    arr = check_array(name, value, dtype=np.float64, finite=finite)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape ({n},) or (n_runs, {n}), got {arr.shape}")
    if arr.shape[1] != n:
        raise ValueError(
            f"{name} has {arr.shape[1]} points along its last axis but the x values have {n}; lengths must match"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no runs (shape {arr.shape})")
    return arr


def _median_band(ax, x, runs: np.ndarray, colour: str, label: str, *, band: str = "range", **line_kw):
    """Draw the median over runs as a line and, shaded, the min-max range (``band="range"``) or
    the interquartile range (``band="quartiles"``, the spread of repeated timings)."""
    with np.errstate(all="ignore"):
        mid = np.nanmedian(runs, axis=0) if runs.shape[0] > 1 else runs[0]
        if band == "quartiles":
            lo, hi = np.nanpercentile(runs, 25, axis=0), np.nanpercentile(runs, 75, axis=0)
        else:
            lo, hi = np.nanmin(runs, axis=0), np.nanmax(runs, axis=0)
    ax.plot(x, mid, color=colour, label=label, **line_kw)
    if runs.shape[0] > 1:
        ax.fill_between(x, lo, hi, color=colour, alpha=0.2, linewidth=0)


def plot_gradient_norms(
    lags,
    curves: Mapping[str, np.ndarray],
    *,
    ylabel: str = r"$\|\partial L/\partial x_{T-1-k}\| \,/\, \|\partial L/\partial x_{T-1}\|$ (ratio)",
    title: str | None = None,
    ax=None,
):
    """How the gradient norm shrinks (or grows) with the time lag it travels back over.

    Args:
        lags: ``(n_lags,)`` time lags ``k`` in steps.
        curves: label -> ``(n_seeds, n_lags)`` gradient-norm ratios (a ``(n_lags,)`` array is one
            seed). Each label is drawn as the median over seeds with a band from the smallest to
            the largest seed. Zeros (a gradient that underflowed) are left out of the line, since a
            log scale cannot show them.
        ylabel: the y-axis label; the default is the ratio the book measures.
        title: optional axes title.
        ax: axes to draw into; a new figure when ``None``.

    Returns:
        The figure. The y axis is logarithmic, the x axis reads "time lag k (steps)".
    """
    lags = check_array("lags", lags, ndim=1, dtype=np.float64)
    curves = _check_mapping("curves", curves)
    with use_book_style():
        fig, ax = _new_axes(ax)
        for k, (label, values) in enumerate(curves.items()):
            runs = _as_runs(f"curves[{label!r}]", values, lags.size)
            if (runs < 0).any():
                raise ValueError(f"curves[{label!r}] holds negative values; gradient norms are >= 0")
            runs = np.where(runs > 0, runs, np.nan)
            _median_band(ax, lags, runs, _colour(k), str(label), marker=MARKERS[k % len(MARKERS)], markersize=4)
        ax.set_yscale("log")
        ax.set_xlabel("time lag $k$ (steps)")
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title)
        ax.legend()
    return fig


def plot_learning_curves(
    steps,
    curves: Mapping[str, np.ndarray],
    *,
    baselines: Mapping[str, float] | None = None,
    ylabel: str = "loss",
    xlabel: str = "training step",
    logy: bool = False,
    ax=None,
):
    """Training or validation curves, with reference levels drawn as dashed lines.

    Args:
        steps: ``(n_steps,)`` the x values (steps or epochs; say which with ``xlabel``).
        curves: label -> ``(n_steps,)`` or ``(n_seeds, n_steps)``; several seeds are drawn as the
            median with a min-max band.
        baselines: label -> value, each a horizontal dashed line, e.g.
            ``{"chance (predict 1): 0.167": 0.167}``.
        ylabel: y-axis label with its unit (``"loss (nats)"``, ``"accuracy"``).
        xlabel: x-axis label.
        logy: logarithmic y axis.
        ax: axes to draw into; a new figure when ``None``.

    Returns:
        The figure.
    """
    steps = check_array("steps", steps, ndim=1, dtype=np.float64)
    curves = _check_mapping("curves", curves)
    baselines = _check_mapping("baselines", baselines if baselines is not None else {}, allow_empty=True)
    with use_book_style():
        fig, ax = _new_axes(ax)
        for k, (label, values) in enumerate(curves.items()):
            runs = _as_runs(f"curves[{label!r}]", values, steps.size)
            _median_band(ax, steps, runs, _colour(k), str(label))
        for j, (label, value) in enumerate(baselines.items()):
            if not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
                raise ValueError(f"baselines[{label!r}] must be a finite number, got {value!r}")
            ax.axhline(float(value), color=_colour(len(curves) + j), linestyle="--", linewidth=1.4, label=str(label))
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend()
    return fig


def plot_gate_heatmaps(
    gates: Mapping[str, np.ndarray],
    *,
    inputs=None,
    time_labels: Sequence[str] | None = None,
    max_units: int = 16,
):
    """Gate activations and cell state of one sequence as heatmaps, one row per quantity.

    Args:
        gates: key -> ``(T, H)`` values for one sequence, drawn top to bottom in the dict's order.
            Keys ``"i", "f", "o"`` (and the GRU's ``"r", "z"``) are sigmoid outputs and share the
            scale [0, 1]; any other key (``"g"``, ``"c"``, ``"h"``) gets a scale symmetric around 0.
        inputs: optional ``(T,)`` or ``(T, D)`` input sequence, drawn as a line plot on top.
        time_labels: optional ``T`` tick labels for the time axis (for example the characters read).
        max_units: show at most this many units (the first ones) per row.

    Returns:
        The figure: ``len(gates)`` heatmap axes, one colour-bar axes each, plus one axes for
        ``inputs`` when given.
    """
    gates = _check_mapping("gates", gates)
    if not isinstance(max_units, (int, np.integer)) or max_units < 1:
        raise ValueError(f"max_units must be a positive integer, got {max_units!r}")
    arrays = {}
    for key, value in gates.items():
        arr = check_array(f"gates[{key!r}]", value, ndim=2, labels=("T", "H"), dtype=np.float64)
        first = next(iter(arrays.values()), None)
        if first is not None and arr.shape != first.shape:
            raise ValueError(
                f"gates[{key!r}] has shape {arr.shape} but the first entry has {first.shape}; "
                f"all entries must be (T, H) for the same sequence"
            )
        arrays[key] = arr
    T, H = next(iter(arrays.values())).shape
    if inputs is not None:
        inputs = check_array("inputs", inputs, dtype=np.float64)
        if inputs.ndim not in (1, 2) or inputs.shape[0] != T:
            raise ValueError(f"inputs must have shape (T,) or (T, D) with T={T} like gates, got {inputs.shape}")
        inputs = inputs.reshape(T, -1)
    if time_labels is not None:
        time_labels = [str(s) for s in time_labels]
        if len(time_labels) != T:
            raise ValueError(f"time_labels has {len(time_labels)} entries but gates have T={T} steps")
    shown = min(H, int(max_units))

    n_rows = len(arrays) + (inputs is not None)
    heights = ([0.6] if inputs is not None else []) + [1.0] * len(arrays)
    with use_book_style():
        fig = plt.figure(figsize=(7.0, 1.1 + 1.5 * sum(heights)), layout="constrained")
        grid = fig.add_gridspec(n_rows, 2, width_ratios=(40, 1), height_ratios=heights)
        row = 0
        heat_axes = []
        if inputs is not None:
            ax_in = fig.add_subplot(grid[0, 0])
            for d in range(inputs.shape[1]):
                ax_in.plot(np.arange(T), inputs[:, d], color=_colour(d), marker="o", markersize=3)
            ax_in.set_xlim(-0.5, T - 0.5)
            ax_in.set_ylabel("input $x_t$")
            ax_in.tick_params(labelbottom=False)
            heat_axes.append(ax_in)
            row = 1
        for key, arr in arrays.items():
            ax = fig.add_subplot(grid[row, 0], sharex=heat_axes[0] if heat_axes else None)
            cax = fig.add_subplot(grid[row, 1])
            if key in _SIGMOID_KEYS:
                kw = {"cmap": "cividis", "vmin": 0.0, "vmax": 1.0}
                bar = "activation (0 to 1)"
            else:
                m = float(np.abs(arr).max()) or 1.0
                kw = {"cmap": "RdBu_r", "vmin": -m, "vmax": m}
                bar = "value"
            im = ax.imshow(
                arr[:, :shown].T,
                aspect="auto",
                interpolation="nearest",
                origin="lower",
                extent=(-0.5, T - 0.5, -0.5, shown - 0.5),
                **kw,
            )
            fig.colorbar(im, cax=cax, label=bar)
            ax.grid(False)
            ax.set_ylabel("unit" if shown == H else f"unit\n(first {shown} of {H})")
            ax.set_title(_GATE_NAMES.get(key, f"${key}_t$"), loc="left", fontsize=11)
            if row < n_rows - 1:
                ax.tick_params(labelbottom=False)
            heat_axes.append(ax)
            row += 1
        bottom = heat_axes[-1]
        bottom.set_xlim(-0.5, T - 0.5)
        bottom.set_xlabel("time step $t$")
        if time_labels is not None:
            stride = max(1, int(np.ceil(T / 40)))
            ticks = np.arange(0, T, stride)
            bottom.set_xticks(ticks, [time_labels[t] for t in ticks])
    return fig


def plot_attention_map(
    weights, tokens_q: Sequence[str], tokens_k: Sequence[str] | None = None, ax=None, title: str | None = None
):
    """Attention weights as a heatmap: row ``i`` is how query ``i`` spreads its attention.

    Args:
        weights: ``(Tq, Tk)`` attention weights (each row usually sums to 1).
        tokens_q: ``Tq`` labels of the queries (rows).
        tokens_k: ``Tk`` labels of the keys (columns); defaults to ``tokens_q`` (self-attention).
        ax: axes to draw into; a new figure when ``None``.
        title: optional axes title.

    Returns:
        The figure. Cells are annotated with their value when the map is at most 12 x 12.
    """
    weights = check_array("weights", weights, ndim=2, labels=("Tq", "Tk"), dtype=np.float64)
    Tq, Tk = weights.shape
    if isinstance(tokens_q, str) or isinstance(tokens_k, str):
        raise TypeError("tokens_q and tokens_k must be sequences of strings, not a single string")
    tokens_q = [str(s) for s in tokens_q]
    tokens_k = tokens_q if tokens_k is None else [str(s) for s in tokens_k]
    if len(tokens_q) != Tq:
        raise ValueError(f"tokens_q has {len(tokens_q)} labels but weights has Tq={Tq} rows")
    if len(tokens_k) != Tk:
        raise ValueError(
            f"tokens_k has {len(tokens_k)} labels but weights has Tk={Tk} columns"
            + (" (tokens_k defaults to tokens_q)" if tokens_k is tokens_q else "")
        )
    with use_book_style():
        size = (min(2.0 + 0.5 * Tk, 9.0), min(1.5 + 0.45 * Tq, 9.0))
        fig, ax = _new_axes(ax, figsize=size)
        vmax = max(float(weights.max()), 1e-12)
        im = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=vmax, aspect="auto")
        fig.colorbar(im, ax=ax, label="attention weight")
        ax.grid(False)
        long_labels = max(map(len, tokens_k), default=0) > 3
        ax.set_xticks(
            np.arange(Tk), tokens_k, rotation=45 if long_labels else 0, ha="right" if long_labels else "center"
        )
        ax.set_yticks(np.arange(Tq), tokens_q)
        ax.set_xlabel("key (attended to)")
        ax.set_ylabel("query (attending)")
        if Tq <= 12 and Tk <= 12:
            for i in range(Tq):
                for j in range(Tk):
                    dark = weights[i, j] < 0.6 * vmax
                    ax.text(
                        j,
                        i,
                        f"{weights[i, j]:.2f}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if dark else "black",
                    )
        if title:
            ax.set_title(title)
    return fig


def plot_timings(
    xs,
    series: Mapping[str, np.ndarray],
    *,
    xlabel: str,
    ylabel: str = "time per step (ms)",
    logx: bool = True,
    logy: bool = True,
    ax=None,
):
    """Timing curves with markers, e.g. milliseconds per training step against sequence length.

    Args:
        xs: ``(n,)`` the sizes measured (sequence length ``T``, hidden size ``H``, ...).
        series: label -> ``(n,)`` timings, or ``(n_repeats, n)`` repeated timings, drawn as the
            median with the interquartile range shaded (the spread the book reports).
        xlabel: what was varied, with its unit (``"sequence length T (steps)"``).
        ylabel: the timing's unit.
        logx, logy: logarithmic axes (the default: timings span orders of magnitude).
        ax: axes to draw into; a new figure when ``None``.

    Returns:
        The figure.
    """
    xs = check_array("xs", xs, ndim=1, dtype=np.float64)
    series = _check_mapping("series", series)
    with use_book_style():
        fig, ax = _new_axes(ax)
        for k, (label, values) in enumerate(series.items()):
            runs = _as_runs(f"series[{label!r}]", values, xs.size)
            if logy and (runs <= 0).any():
                raise ValueError(f"series[{label!r}] holds values <= 0, which a log y axis cannot show")
            _median_band(ax, xs, runs, _colour(k), str(label), band="quartiles", marker=MARKERS[k % len(MARKERS)])
        if logx:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend()
    return fig


def plot_forecast(
    t,
    y_true,
    predictions: Mapping[str, np.ndarray],
    *,
    split_index: int | None = None,
    xlabel: str = "time step",
    ylabel: str = "value",
    ax=None,
):
    """A time series, one or more forecasts of it, and the train/test boundary.

    Args:
        t: ``(T,)`` time values.
        y_true: ``(T,)`` the observed series.
        predictions: label -> ``(T,)`` forecasts aligned with ``t``; NaN where a model made no
            prediction (for example before its first full input window).
        split_index: index into ``t`` of the first test point; a vertical line is drawn there and
            the test region is shaded.
        xlabel, ylabel: axis labels with units (``"year"``, ``"CO2 (ppm)"``).
        ax: axes to draw into; a new figure when ``None``.

    Returns:
        The figure.
    """
    t = check_array("t", t, ndim=1, dtype=np.float64)
    y_true = check_array("y_true", y_true, shape=(t.size,), labels=("T",), dtype=np.float64)
    predictions = _check_mapping("predictions", predictions, allow_empty=True)
    with use_book_style():
        fig, ax = _new_axes(ax, figsize=(7.0, 3.5))
        ax.plot(t, y_true, color=PALETTE["black"], linewidth=1.4, label="observed")
        for k, (label, values) in enumerate(predictions.items()):
            pred = check_array(
                f"predictions[{label!r}]", values, shape=(t.size,), labels=("T",), dtype=np.float64, finite=False
            )
            ax.plot(t, pred, color=_colour(k), linewidth=1.6, label=str(label))
        if split_index is not None:
            if not isinstance(split_index, (int, np.integer)) or not 0 < split_index < t.size:
                raise ValueError(f"split_index must be an integer in 1..{t.size - 1}, got {split_index!r}")
            ax.axvline(t[split_index], color="0.3", linestyle=":", linewidth=1.4, label="train | test split")
            ax.axvspan(t[split_index], t[-1], color="0.5", alpha=0.08, linewidth=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend()
    return fig


def plot_recall_vs_k(rows: list[dict], chance: float, ax=None, labels: dict | None = None):
    """Test accuracy against lag ``k`` per model: median over seeds, min-max band, chance line.

    ``rows``: one dict per (model, k) with ``"model"``, ``"k"``, ``"median"``, ``"min"`` and
    ``"max"``, as :func:`lstm_tutorial.experiments.recall.summarise` returns them.
    """
    import matplotlib.pyplot as plt

    labels = labels or {}
    colours = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["vermillion"]]
    with use_book_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.0, 4.0), layout="constrained")
        fig = ax.figure
        models = list(dict.fromkeys(r["model"] for r in rows))
        for n, m in enumerate(models):
            mine = sorted((r for r in rows if r["model"] == m), key=lambda r: r["k"])
            ks = [r["k"] for r in mine]
            ax.plot(
                ks,
                [r["median"] for r in mine],
                marker="os^D"[n % 4],
                color=colours[n % 4],
                label=labels.get(m, m) + " (median over seeds)",
            )
            ax.fill_between(
                ks, [r["min"] for r in mine], [r["max"] for r in mine], color=colours[n % 4], alpha=0.2, linewidth=0
            )
        ax.axhline(chance, color="0.4", ls="--", lw=1.2, label=f"chance, 1/S = {chance:.3f}")
        ax.set_xscale("log")
        ks = sorted({r["k"] for r in rows})
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.minorticks_off()
        ax.set_xlabel("distractor steps $k$ between reason and query (log scale)")
        ax.set_ylabel("recall accuracy on the test set")
        ax.set_ylim(0, 1.05)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    return fig
