"""The book's plot functions: axes, labels, scales and legends, and clear errors on bad input."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from lstm_tutorial.figures import plots, style


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_gradient_norms_log_scale_labels_and_bands():
    lags = np.arange(1, 6)
    rnn = np.array([[1e-1, 1e-2, 1e-3, 1e-4, 1e-5], [2e-1, 3e-2, 2e-3, 1e-4, 0.0]])
    fig = plots.plot_gradient_norms(lags, {"tanh RNN": rnn, "LSTM": np.full(5, 0.5)}, title="at init")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "time lag $k$ (steps)"
    assert "ratio" in ax.get_ylabel()
    assert ax.get_title() == "at init"
    assert _legend(ax) == ["tanh RNN", "LSTM"]
    assert len(ax.collections) == 1  # a band only where there is more than one seed
    np.testing.assert_allclose(ax.lines[0].get_ydata()[:4], np.median(rnn[:, :4], axis=0))


def test_gradient_norms_bad_input():
    with pytest.raises(ValueError, match=r"curves\['a'\].*lengths must match"):
        plots.plot_gradient_norms(np.arange(5), {"a": np.ones((2, 4))})
    with pytest.raises(ValueError, match=r"curves\['a'\].*negative"):
        plots.plot_gradient_norms(np.arange(3), {"a": [1.0, -1.0, 0.5]})
    with pytest.raises(ValueError, match="curves must not be empty"):
        plots.plot_gradient_norms(np.arange(3), {})
    with pytest.raises(TypeError, match="curves must be a dict"):
        plots.plot_gradient_norms(np.arange(3), [1, 2, 3])


def test_learning_curves_with_baselines_and_given_axes():
    steps = np.arange(10)
    fig, ax = plt.subplots()
    out = plots.plot_learning_curves(
        steps,
        {"LSTM": np.linspace(2, 0.1, 10), "RNN": np.ones((3, 10))},
        baselines={"chance (predict 1): 0.167": 0.167},
        ylabel="loss (nats)",
        logy=True,
        ax=ax,
    )
    assert out is fig
    assert _legend(ax) == ["LSTM", "RNN", "chance (predict 1): 0.167"]
    assert ax.get_ylabel() == "loss (nats)" and ax.get_xlabel() == "training step"
    assert ax.get_yscale() == "log"
    assert ax.lines[-1].get_linestyle() == "--"


def test_learning_curves_bad_input():
    with pytest.raises(ValueError, match=r"curves\['x'\] has 9 points.*x values have 10"):
        plots.plot_learning_curves(np.arange(10), {"x": np.ones(9)})
    with pytest.raises(ValueError, match=r"baselines\['b'\] must be a finite number"):
        plots.plot_learning_curves(np.arange(3), {"x": np.ones(3)}, baselines={"b": float("nan")})


def test_gate_heatmaps_rows_colourbars_and_scales():
    T, H = 12, 20
    t = np.linspace(0, 1, T)[:, None] * np.ones((1, H))
    gates = {"i": t, "f": 1 - t, "o": t * 0.5, "c": 3 * (t - 0.5)}
    fig = plots.plot_gate_heatmaps(gates, inputs=np.sin(np.arange(T)), time_labels=list("abcdefghijkl"))
    assert len(fig.axes) == 1 + 2 * len(gates)  # input trace, then a heatmap and a colour bar per gate
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 4
    assert images[0].get_clim() == (0.0, 1.0)
    assert images[3].get_clim() == pytest.approx((-1.5, 1.5))
    assert images[0].get_array().shape == (16, T)  # max_units=16 of H=20
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert r"forget gate $f_t$" in titles and r"cell state $c_t$" in titles
    bottom = [ax for ax in fig.axes if ax.images][-1]
    assert bottom.get_xlabel() == "time step $t$"
    assert [t.get_text() for t in bottom.get_xticklabels()][:3] == ["a", "b", "c"]


def test_gate_heatmaps_without_inputs():
    fig = plots.plot_gate_heatmaps({"f": np.full((5, 3), 0.9)})
    assert len(fig.axes) == 2


def test_gate_heatmaps_bad_input():
    with pytest.raises(ValueError, match=r"gates\['f'\] has shape \(4, 3\).*first entry has \(5, 3\)"):
        plots.plot_gate_heatmaps({"i": np.zeros((5, 3)), "f": np.zeros((4, 3))})
    with pytest.raises(ValueError, match=r"gates\['i'\] must have 2 dimensions"):
        plots.plot_gate_heatmaps({"i": np.zeros(5)})
    with pytest.raises(ValueError, match="inputs must have shape"):
        plots.plot_gate_heatmaps({"i": np.zeros((5, 3))}, inputs=np.zeros(4))
    with pytest.raises(ValueError, match="time_labels has 2 entries"):
        plots.plot_gate_heatmaps({"i": np.zeros((5, 3))}, time_labels=["a", "b"])
    with pytest.raises(ValueError, match="max_units"):
        plots.plot_gate_heatmaps({"i": np.zeros((5, 3))}, max_units=0)


def test_attention_map_ticks_and_annotations():
    w = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    fig = plots.plot_attention_map(w, ["the", "dog", "its"], title="head 1")
    assert len(fig.axes) == 2  # heatmap and colour bar
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["the", "dog", "its"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["the", "dog", "its"]
    assert len(ax.texts) == 9 and "0.30" in {t.get_text() for t in ax.texts}
    assert ax.get_title() == "head 1"


def test_attention_map_large_is_not_annotated():
    fig = plots.plot_attention_map(np.full((20, 20), 0.05), [str(i) for i in range(20)])
    assert len(fig.axes[0].texts) == 0


def test_attention_map_bad_input():
    with pytest.raises(ValueError, match="weights must have 2 dimensions"):
        plots.plot_attention_map(np.ones(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="tokens_q has 2 labels but weights has Tq=3"):
        plots.plot_attention_map(np.ones((3, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="tokens_k has 3 labels but weights has Tk=2"):
        plots.plot_attention_map(np.ones((3, 2)), ["a", "b", "c"])


def test_timings_log_axes_and_markers():
    xs = np.array([16, 64, 256])
    fig = plots.plot_timings(
        xs,
        {"LSTM": [1.0, 4.0, 16.0], "Transformer": np.array([[2, 3, 30], [2, 4, 40.0]])},
        xlabel="sequence length T (steps)",
    )
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_ylabel() == "time per step (ms)"
    assert _legend(ax) == ["LSTM", "Transformer"]
    assert ax.lines[0].get_marker() != ax.lines[1].get_marker()
    with pytest.raises(ValueError, match=r"series\['LSTM'\] holds values <= 0"):
        plots.plot_timings(xs, {"LSTM": [0.0, 1.0, 2.0]}, xlabel="T")


def test_forecast_split_and_nan_predictions():
    t = np.arange(20.0)
    pred = np.where(t < 5, np.nan, np.sin(t))
    fig = plots.plot_forecast(t, np.sin(t), {"LSTM": pred}, split_index=15)
    ax = fig.axes[0]
    assert _legend(ax) == ["observed", "LSTM", "train | test split"]
    assert ax.lines[-1].get_xdata()[0] == 15.0
    with pytest.raises(ValueError, match=r"predictions\['LSTM'\] must have shape \(20,\)"):
        plots.plot_forecast(t, np.sin(t), {"LSTM": np.zeros(19)})
    with pytest.raises(ValueError, match="split_index"):
        plots.plot_forecast(t, np.sin(t), {}, split_index=20)
    with pytest.raises(ValueError, match="y_true must have shape"):
        plots.plot_forecast(t, np.zeros(3), {})


def test_book_style_is_scoped():
    before = dict(matplotlib.rcParams)
    with style.use_book_style():
        assert matplotlib.rcParams["axes.spines.top"] is False
    plots.plot_learning_curves(np.arange(3), {"a": np.ones(3)})
    assert dict(matplotlib.rcParams) == before


def _steps_row(config, T, run=True, n_solved=2, med=400.0):
    return {
        "config": config,
        "T": T,
        "run": run,
        "n_seeds": 3 if run else 0,
        "n_solved": n_solved,
        "median_steps_to_solve": med if n_solved else None,
        "min_steps_to_solve": med - 100 if n_solved else None,
        "max_steps_to_solve": med + 100 if n_solved else None,
        "median_final_mse": 0.005 if n_solved else 0.16,
    }


def test_plot_steps_to_solve_draws_two_panels_and_skips_cells_not_run():
    rows = [
        _steps_row("a", 100),
        _steps_row("a", 200, n_solved=0),
        _steps_row("b", 100),
        _steps_row("b", 200, run=False),
    ]
    fig = plots.plot_steps_to_solve(rows, max_steps=1500, chance=1 / 6, threshold=0.01, labels={"a": "A"})
    ax, ax_mse = fig.axes
    assert ax.get_xlabel().startswith("sequence length")
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["A", "b"]
    assert len(ax_mse.lines[1].get_xdata()) == 1  # "b" ran only at T = 100
    plt.close(fig)
    with pytest.raises(ValueError, match="rows"):
        plots.plot_steps_to_solve([], max_steps=10, chance=0.1, threshold=0.01)
    with pytest.raises(ValueError, match="missing"):
        plots.plot_steps_to_solve([{"config": "a"}], max_steps=10, chance=0.1, threshold=0.01)
