"""Experiments: gradient norms against lag, and the honesty of the cached reproduction table."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.data.tasks import adding_problem_baseline
from lstm_tutorial.experiments import adding_numpy, delayed_recall, gradient_flow, reproduction

pytestmark = pytest.mark.disable_socket


def _by(rows, **kw):
    return [r for r in rows if all(r[k] == v for k, v in kw.items())]


def test_gradient_rows_shape_and_normalisation():
    rows = gradient_flow.gradient_norm_vs_lag(
        "rnn", hidden_size=16, T=31, lags=[0, 10, 30], spectral_radius=[0.5, 1.5], seeds=range(2)
    )
    assert len(rows) == 2 * 2 * 3
    assert set(rows[0]) == {"cell", "spectral_radius", "forget_bias", "seed", "k", "grad_norm", "ratio"}
    assert all(r["ratio"] == 1.0 for r in _by(rows, k=0))
    for seed in range(2):  # a contracting RNN forgets monotonically along these lags
        small = [r["ratio"] for r in _by(rows, spectral_radius=0.5, seed=seed)]
        assert small[0] > small[1] > small[2]
        assert small[2] < 1e-6
    again = gradient_flow.gradient_norm_vs_lag(
        "rnn", hidden_size=16, T=31, lags=[0, 10, 30], spectral_radius=[0.5, 1.5], seeds=range(2)
    )
    assert again == rows


def test_lstm_forget_bias_keeps_gradient_alive():
    rows = gradient_flow.gradient_norm_vs_lag(
        "lstm", hidden_size=32, T=51, lags=[0, 50], forget_bias=[0.0, 3.0], seeds=range(3)
    )
    summary = {(s["forget_bias"], s["k"]): s for s in gradient_flow.summarise_gradient_rows(rows)}
    assert summary[(0.0, 50)]["n_seeds"] == 3
    # at k = 50 the open forget gate keeps many orders of magnitude more of the gradient
    assert summary[(3.0, 50)]["min"] > 1e4 * summary[(0.0, 50)]["max"]


def test_gradient_bad_input():
    with pytest.raises(ValueError, match="cell must be 'rnn' or 'lstm', got 'gru'"):
        gradient_flow.gradient_norm_vs_lag("gru")
    with pytest.raises(ValueError, match=r"lags must lie in 0..T-1 = 0..9"):
        gradient_flow.gradient_norm_vs_lag("rnn", T=10, lags=[0, 10])


def test_make_model_shapes_and_forget_bias():
    for name in ("rnn", "gru", "lstm"):
        net = reproduction.make_model(name, 8)
        assert net(torch.zeros(3, 11, 2)).shape == (3, 1)
    lstm = reproduction.make_model("lstm", 8, forget_bias=2.0).rnn
    total = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose(total[8:16], 2.0)
    with pytest.raises(ValueError, match="model must be one of"):
        reproduction.make_model("transformer", 8)


def test_reproduction_table_file_is_consistent():
    table = reproduction.load_reproduction_table()
    assert table["budget"] == reproduction.budget_as_dict()  # the file used today's budget
    assert table["baseline_mse"] == pytest.approx(1 / 6)
    runs = table["runs"]
    assert len(runs) == len(table["models"]) * len(table["Ts"]) * len(table["seeds"])
    for r in runs:
        assert r["solved"] == (r["steps_to_solve"] is not None)
        if r["solved"]:
            assert r["final_test_mse"] < table["budget"]["threshold"]
            assert r["steps_to_solve"] % table["budget"]["eval_every"] == 0
    assert reproduction.aggregate_cells(runs) == table["table"]


@pytest.mark.slow
def test_reproduction_table_recompute_one_cell():
    """Recompute the cheapest run (LSTM, T = 50, seed 0) and compare it with the file.

    Float32 training is reproducible on one machine but not bit for bit across CPUs: the
    matrix-multiply kernels differ in rounding. Measured: the fresh and stored test-MSE curves
    agree to about 1e-7 until the model starts to learn (the MSE leaves the 1/6 plateau near
    step 700), then the two runs take off a few dozen steps apart. So the plateau part of the
    curve is compared tightly, and the outcome (solved within the budget, and when) loosely.
    """
    stored = next(
        r for r in reproduction.load_reproduction_table()["runs"] if (r["model"], r["T"], r["seed"]) == ("lstm", 50, 0)
    )
    fresh = reproduction.train_adding("lstm", 50, 0)
    n = next(i for i, (s, m) in enumerate(stored["curve"]) if m <= 0.13)
    assert n >= 10, "the stored run should sit on the plateau for at least 500 steps"
    for (s_old, m_old), (s_new, m_new) in zip(stored["curve"][:n], fresh["curve"][:n]):
        assert s_old == s_new
        assert math.isclose(m_new, m_old, rel_tol=1e-4), (s_old, m_old, m_new)
    assert fresh["solved"] == stored["solved"]
    assert abs(fresh["steps_to_solve"] - stored["steps_to_solve"]) <= 300
    assert fresh["final_test_mse"] < reproduction.DEFAULT_BUDGET.threshold


def test_delayed_recall_lstm_remembers_where_rnn_does_not():
    """Same budget, lag 20: the LSTM (forget gate open at init) recalls; the tanh RNN stays
    near chance (1/8). Measured: LSTM 1.00, RNN about 0.1."""
    lstm = delayed_recall.train_delayed_recall("lstm", lag=20, seed=0)
    assert set(lstm) == {
        "model",
        "lag",
        "seed",
        "test_accuracy",
        "test_cross_entropy",
        "chance_accuracy",
        "wall_time_s",
    }
    assert lstm["chance_accuracy"] == 1 / 8
    assert lstm["test_accuracy"] > 0.9
    assert delayed_recall.train_delayed_recall("rnn", lag=20, seed=0)["test_accuracy"] < 0.3


def test_train_adding_numpy_curve_model_and_data_contract():
    from lstm_tutorial.data.tasks import adding_problem
    from lstm_tutorial.engine.model import SequenceModel
    from lstm_tutorial.engine.optim import Adam
    from lstm_tutorial.engine.training import fit

    res = adding_numpy.train_adding_numpy("gru", 6, hidden_size=4, steps=20, eval_every=10, n_test=50, seed=1)
    assert set(res) == {"kind", "T", "seed", "steps", "test_mse", "model", "n_params", "X_test", "y_test"}
    np.testing.assert_array_equal(res["steps"], [0, 10, 20])
    assert res["test_mse"].shape == (3,) and np.all(np.isfinite(res["test_mse"]))
    assert res["X_test"].shape == (50, 6, 2) and res["y_test"].shape == (50,)
    assert res["X_test"].dtype == res["model"].params["W"].dtype == np.float64
    assert res["n_params"] == 3 * 4 * (2 + 4 + 2) + 4 + 1  # GRU cell + read-out
    # the last entry is the returned model's test MSE
    pred = res["model"].predict(res["X_test"])[:, 0]
    assert res["test_mse"][-1] == pytest.approx(np.mean((pred - res["y_test"]) ** 2), rel=1e-12)
    again = adding_numpy.train_adding_numpy("gru", 6, hidden_size=4, steps=20, eval_every=10, n_test=50, seed=1)
    np.testing.assert_array_equal(again["test_mse"], res["test_mse"])

    # fixed training set: one round is one pass of ceil(N / B) steps; the same as calling fit by hand
    fixed = adding_numpy.train_adding_numpy(
        "lstm", 5, hidden_size=3, steps=8, batch_size=8, n_train=30, train_seed=1, n_test=20, test_seed=2, seed=0
    )
    np.testing.assert_array_equal(fixed["steps"], [0, 4, 8])
    X, y = adding_problem(30, 5, seed=1)
    Xt, yt = adding_problem(20, 5, seed=2)
    model, opt = SequenceModel("lstm", 2, 3, 1, seed=0, dtype=np.float64), Adam(lr=1e-2)
    for r in range(2):
        fit(
            model,
            X.astype(np.float64),
            y[:, None].astype(np.float64),
            optimizer=opt,
            batch_size=8,
            clip=1.0,
            seed=r,
            progress=False,
        )
    mse = np.mean((model.predict(Xt.astype(np.float64))[:, 0] - yt.astype(np.float64)) ** 2)
    assert fixed["test_mse"][-1] == pytest.approx(mse, rel=1e-12)


def test_train_adding_numpy_learns_a_short_lag():
    from lstm_tutorial.data.tasks import adding_problem_baseline

    res = adding_numpy.train_adding_numpy("lstm", 4, hidden_size=8, steps=300, n_test=200, seed=0)
    # well below predicting the mean (MSE 1/6): it uses the marked values
    assert res["test_mse"][-1] < 0.1 * adding_problem_baseline("modern")


def test_train_adding_numpy_bad_input():
    with pytest.raises(ValueError, match="whole number of rounds of 50 steps"):
        adding_numpy.train_adding_numpy("lstm", 5, steps=70)
    with pytest.raises(ValueError, match="one pass of 4 steps"):
        adding_numpy.train_adding_numpy("lstm", 5, steps=8, batch_size=8, n_train=30, eval_every=5)


# ---- the plain tanh RNN of Part I (part1_adding_rnn.json), the same budget


def test_part1_file_is_consistent():
    stored = reproduction.load_part1()
    assert stored["budget"] == reproduction.budget_as_dict(reproduction.DEFAULT_BUDGET)
    assert stored["baseline_mse"] == pytest.approx(adding_problem_baseline("modern"))
    assert {(r["T"], r["seed"]) for r in stored["runs"]} == {(T, s) for T in stored["Ts"] for s in stored["seeds"]}
    assert all(r["model"] == "rnn" for r in stored["runs"])
    assert stored["table"] == reproduction.aggregate_cells(stored["runs"])
    for r in stored["runs"]:
        assert r["final_test_mse"] == r["curve"][-1][1]
        assert r["solved"] == (r["final_test_mse"] < reproduction.DEFAULT_BUDGET.threshold)


@pytest.mark.slow
@pytest.mark.parametrize("T, seed", [(50, 0)])
def test_part1_recompute_one_run(T, seed):
    stored = next(r for r in reproduction.load_part1()["runs"] if r["T"] == T and r["seed"] == seed)
    fresh = reproduction.train_adding("rnn", T, seed, reproduction.DEFAULT_BUDGET)
    assert fresh["solved"] == stored["solved"]
    assert fresh["steps_run"] == stored["steps_run"]
    # This run never leaves the chance plateau, so float32 rounding does not get amplified: with the
    # kernels of three CPUs forced (scripts/portability.py) its whole test-MSE curve stayed within
    # 2e-7 (relative) of the stored one. The test allows 50 times that.
    assert [s for s, _ in fresh["curve"]] == [s for s, _ in stored["curve"]]
    assert [m for _, m in fresh["curve"]] == pytest.approx([m for _, m in stored["curve"]], rel=1e-5)
    assert fresh["final_test_mse"] == pytest.approx(stored["final_test_mse"], rel=1e-5)
