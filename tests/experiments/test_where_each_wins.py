"""Where each model wins: matched models, the test sets, the cached results, and a recomputed slice."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.data import formal_languages as fl
from lstm_tutorial.experiments import where_each_wins as w

pytestmark = pytest.mark.disable_socket


def test_gru_width_matches_the_lstm_layer():
    for E in (16, 32, 64):
        H = w.gru_hidden_size(E)
        lstm_layer, gru_layer = 8 * E * E + 8 * E, 3 * (H * E + H * H + 2 * H)
        assert abs(gru_layer - lstm_layer) / lstm_layer < 0.05
        gru = torch.nn.GRU(E, H, batch_first=True)
        assert sum(p.numel() for p in gru.parameters()) == gru_layer


def test_models_have_close_parameter_counts_and_per_position_outputs():
    counts = {}
    X = torch.from_numpy(fl.parity_strings(3, 11)[0])
    for kind in w.MODELS:
        net, counts[kind] = w.make_model(kind, vocab_size=2, n_outputs=3)
        assert net(X).shape == (3, 11, 3)
    assert max(counts.values()) / min(counts.values()) < 1.03
    Xr, _ = fl.associative_recall(4, 5)
    net, _ = w.make_model("transformer", input_size=Xr.shape[-1], n_outputs=16)
    assert net(torch.from_numpy(Xr)).shape == (4, 6, 16)
    with pytest.raises(ValueError, match="kind must be one of"):
        w.make_model("rnn", vocab_size=2, n_outputs=2)


def test_slstm_models_match_the_lstm_in_size_and_shapes():
    X = torch.from_numpy(fl.parity_strings(3, 11)[0])
    _, n_lstm = w.make_model("lstm", vocab_size=2, n_outputs=3)
    for kind in w.SLSTM_MODELS:
        net, n = w.make_model(kind, vocab_size=2, n_outputs=3)
        assert net.lstm.forget == kind.removeprefix("slstm_")
        assert net(X).shape == (3, 11, 3)
        assert n_lstm - n == 4 * 32  # one bias vector instead of PyTorch's two
    with pytest.raises(ValueError, match="budget.n_layers must be 1"):
        w.make_model("slstm_exp", w.Budget(n_layers=2), vocab_size=2, n_outputs=3)


def test_every_model_is_causal():
    X = torch.from_numpy(fl.parity_strings(2, 20, seed=1)[0])
    Y = X.clone()
    Y[:, 12:] = 1 - Y[:, 12:]  # change the future of position 11
    for kind in w.MODEL_KINDS:
        torch.manual_seed(0)
        net, _ = w.make_model(kind, vocab_size=2, n_outputs=2)
        net.eval()
        with torch.no_grad():
            gap = (net(X)[:, :12] - net(Y)[:, :12]).abs().max().item()
        assert gap < 1e-6, kind


def test_formal_test_set_and_bad_task():
    X, y = w.formal_test_set("count", 40, 5)
    assert X.shape == (15, 40) and list(np.bincount(y)) == [5, 5, 5]
    X, y = w.formal_test_set("parity", 41, 5)
    assert X.shape == (10, 41) and y.sum() == 5
    with pytest.raises(ValueError, match="task must be 'parity' or 'count'"):
        w.formal_test_set("dyck", 40, 5)


def test_summarise_expands_lengths():
    runs = [
        {"task": "parity", "model": "lstm", "seed": s, "accuracy": {"40": a, "64": b}}
        for s, (a, b) in enumerate([(1.0, 0.5), (0.8, 0.7)])
    ]
    rows = w.summarise(runs, ("task", "model"), value="accuracy")
    by_T = {r["test_length"]: r for r in rows}
    assert by_T[40]["mean"] == pytest.approx(0.9) and by_T[64]["min"] == 0.5 and by_T[64]["n_seeds"] == 2


def test_cached_results_are_complete():
    res = w.load_where_each_wins()
    lc, rc, sc = res["length_config"], res["recall_config"], res["small_data_config"]
    assert len(res["length"]) == len(lc["tasks"]) * len(w.MODELS) * len(lc["seeds"])
    assert all(list(map(int, r["accuracy"])) == lc["test_lengths"] for r in res["length"])
    assert len(res["recall"]) == len(rc["models"]) * len(rc["pairs"]) * len(rc["seeds"])
    assert len(res["small_data"]) == len(sc["models"]) * len(sc["train_sizes"]) * len(sc["seeds"])
    counts = list(res["n_parameters"]["formal"].values())
    assert max(counts) / min(counts) < 1.03


def test_cached_slstm_runs_are_complete_and_checked(tmp_path, monkeypatch):
    res = w.load_slstm_runs()
    cfg = w.SLSTMConfig()
    lc, rc = cfg.length, cfg.recall
    assert len(res["length"]) == len(lc.tasks) * len(cfg.models) * len(lc.seeds)
    assert all(list(map(int, r["accuracy"])) == list(lc.test_lengths) for r in res["length"])
    assert len(res["recall"]) == len(cfg.models) * len(rc.pairs) * len(rc.seeds)
    assert {r["model"] for r in res["length"] + res["recall"]} == set(w.SLSTM_MODELS)
    # a file made with another configuration is refused, naming the command that remakes it
    import json

    from lstm_tutorial.experiments import results

    stale = dict(res, budget=dict(res["budget"], steps=10))
    (tmp_path / f"{w.SLSTM_RESULTS}.json").write_text(json.dumps(stale), encoding="utf-8")
    monkeypatch.setattr(results, "_resources", lambda: tmp_path)
    with pytest.raises(ValueError, match="another budget.*where_each_wins slstm"):
        w.load_slstm_runs()


@pytest.mark.slow
def test_recomputed_slstm_run_agrees_with_the_cache():
    """Recompute seed 0 of the sLSTM (exponential forget gate) on parity, about 30 s.

    Measured with the kernels forced (``scripts/portability.py`` settings), the recomputed
    accuracies equalled the cached ones at every length natively (AMD EPYC, AVX-512), under AVX2
    and under SSE4.2; the final training loss moved by 4e-7 of itself under SSE4.2. The tolerance
    follows the rule of the test below: each recomputed accuracy within the spread of the three
    cached seeds of that cell, widened by 0.05.
    """
    res = w.load_slstm_runs()
    r = w.train_formal("parity", "slstm_exp", 0, w.Budget(**res["budget"]), w.SLSTMConfig().length)
    for T, acc in r["accuracy"].items():
        cached = [c["accuracy"][T] for c in res["length"] if c["task"] == "parity" and c["model"] == "slstm_exp"]
        assert min(cached) - 0.05 <= acc <= max(cached) + 0.05, (T, acc, cached)


@pytest.mark.slow
def test_recomputed_slice_agrees_with_the_cache():
    """Recompute seed 0 of three cells (LSTM parity, Transformer count comparison, Transformer recall
    with 8 pairs; about 20 s) and compare with the file.

    One thread makes a run repeat exactly on one machine; another CPU's kernels change float32
    sums in the last bits, which training can amplify. Measured with the kernels forced
    (``scripts/portability.py`` settings), the largest |recomputed - cached| over the three cells
    and all test lengths was 0 natively, 0.005 under AVX2 and 0.031 under SSE4.2 (the
    Transformer on count comparison, 6 strings in 192 at one length; the LSTM on parity and the
    Transformer on recall did not move). The tolerance is therefore the spread over the three
    cached seeds of the same cell, widened by 0.05: each recomputed accuracy must lie in
    ``[min - 0.05, max + 0.05]`` over seeds.
    """
    res = w.load_where_each_wins()
    budget = w.Budget(**res["budget"])
    lc = w.LengthConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in res["length_config"].items()})
    rc = w.RecallConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in res["recall_config"].items()})

    def within(new, cached):
        assert min(cached) - 0.05 <= new <= max(cached) + 0.05, (new, cached)

    for task, model in (("parity", "lstm"), ("count", "transformer")):
        r = w.train_formal(task, model, 0, budget, lc)
        for T, acc in r["accuracy"].items():
            within(acc, [c["accuracy"][T] for c in res["length"] if c["task"] == task and c["model"] == model])
    r = w.train_recall("transformer", 8, 0, budget, rc)
    within(
        r["test_accuracy"],
        [c["test_accuracy"] for c in res["recall"] if c["model"] == "transformer" and c["n_pairs"] == 8],
    )
