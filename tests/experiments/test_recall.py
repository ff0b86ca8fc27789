"""Reason recall: the data generator, the balanced test set, the matched budget, and the cached sweep."""

import math
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.data import tasks
from lstm_tutorial.experiments import recall

pytestmark = pytest.mark.disable_socket


def test_reason_recall_layout_and_seeding():
    X, y = tasks.reason_recall(500, 7, n_reasons=8, n_distractors=4, seed=3)
    assert X.shape == (500, 9) and y.shape == (500,) and X.dtype == np.int64
    np.testing.assert_array_equal(X[:, 0], y)
    assert set(np.unique(X[:, 1:8])) <= set(range(8, 12))
    assert np.all(X[:, -1] == 12) and tasks.vocab_size(8, 4) == 13
    assert set(np.unique(y)) == set(range(8))
    X2, y2 = tasks.reason_recall(500, 7, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, tasks.reason_recall(500, 7, seed=4)[0])
    with pytest.raises(ValueError, match="k must be an int >= 0"):
        tasks.reason_recall(3, -1)


def test_balanced_test_set_pairs_every_tail_with_every_reason():
    X, y = tasks.balanced_test_set(5, 10, n_reasons=4)
    assert X.shape == (20, 12)
    for j in range(5):
        rows = X[4 * j : 4 * j + 4]
        np.testing.assert_array_equal(rows[:, 0], np.arange(4))
        assert np.all(rows[:, 1:] == rows[0, 1:])


def test_blind_model_scores_exactly_chance():
    class Blind(torch.nn.Module):  # answers from the last token only
        def forward(self, x):
            return torch.nn.functional.one_hot(x[:, -1] % 8, 8).float() + x[:, :1].float() * 0

    net = Blind()
    acc = recall.window_accuracy(net, k=20, w=21)
    assert acc == 1 / 8


def test_models_are_parameter_matched_and_read_the_last_step():
    b = recall.DEFAULT_BUDGET
    (lstm, n_l), (tr, n_t) = recall.make_recall_model("lstm", b), recall.make_recall_model("transformer", b)
    assert abs(n_l - n_t) / n_t < 0.10
    X, _ = tasks.reason_recall(4, 6)
    for net in (lstm, tr):
        assert net(torch.from_numpy(X)).shape == (4, b.n_reasons)
    lstm3, _ = recall.make_recall_model("lstm", replace(b, forget_bias=3.0))
    H = b.d_model
    total = (lstm3.core.lstm.bias_ih_l0 + lstm3.core.lstm.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose(total[H : 2 * H], 3.0)
    with pytest.raises(ValueError, match="model must be"):
        recall.make_recall_model("gru")


def test_training_is_deterministic_and_learns_a_short_lag():
    b = replace(recall.DEFAULT_BUDGET, steps=120, warmup=12)
    r1 = recall.train_recall("transformer", 3, 0, b)
    r2 = recall.train_recall("transformer", 3, 0, b)
    assert r1["test_accuracy"] == r2["test_accuracy"] and r1["final_loss"] == r2["final_loss"]
    assert r1["test_accuracy"] > 0.9


@pytest.mark.slow
@pytest.mark.parametrize("label, k, seed", [("lstm", 5, 1), ("lstm, forget bias 3", 20, 1), ("lstm", 50, 1)])
def test_cached_results_match_a_recomputed_cell(label, k, seed):
    """Recompute three cached LSTM runs (a few seconds each) and compare them with the file.

    With one thread and fixed batches the run is bit-identical on the machine that wrote the
    file. On another CPU, float32 rounding in the fused kernels can differ in the last bit, and
    after hundreds of Adam steps that can move a run. The cells are chosen far from the edge (one
    learned at k = 5, one learned with an open forget gate, one stuck at chance at k = 50), so the
    honest tolerance is on the claim: test accuracy within 2 of the 512 test items, and the final
    loss (the mean over the last 20 steps, which does move with rounding) within 25%.
    """
    res = recall.load_recall_results()
    b = recall.budget_from_dict(res["budget"])
    assert b == recall.DEFAULT_BUDGET
    assert set(res["ks"]) >= {5, 20, 50} and len(res["seeds"]) >= 3
    cached = next(r for r in res["sweep"] if r["model"] == label and r["k"] == k and r["seed"] == seed)
    change = res["sweep_models"][label]["budget_change"]
    again = recall.train_recall("lstm", k, seed, replace(b, **change))
    assert again["n_parameters"] == cached["n_parameters"]
    n_test = b.n_test_tails * b.n_reasons
    assert abs(again["test_accuracy"] - cached["test_accuracy"]) <= 2 / n_test + 1e-12
    assert again["final_loss"] == pytest.approx(cached["final_loss"], rel=0.25, abs=0.005)


def test_cached_results_file_is_consistent():
    res = recall.load_recall_results()
    b = recall.budget_from_dict(res["budget"])
    n = res["n_parameters"]
    assert abs(n["lstm"] - n["transformer"]) / n["transformer"] < 0.10
    assert math.isclose(res["chance_accuracy"], 1 / b.n_reasons)
    expected = len(res["sweep_models"]) * len(res["ks"]) * len(res["seeds"])
    assert len(res["sweep"]) == expected
    assert len(res["restore"]) == sum(len(c["ks"]) for c in res["restore_changes"].values()) * len(res["seeds"])
    for r in res["sweep"] + res["restore"]:
        assert 0.0 <= r["test_accuracy"] <= 1.0 and "net" not in r


def test_longest_solved():
    def run(k, acc, model="lstm", **extra):
        return {"model": model, "k": k, "seed": 0, "test_accuracy": acc, **extra}

    runs = [
        run(5, 1.0),
        run(5, 0.995),
        run(10, 1.0),
        run(10, 0.5),
        run(20, 1.0),
        run(5, 0.5, "transformer"),
        run(5, 1.0, change="forget bias 3"),
        run(10, 0.99, change="forget bias 3"),
    ]
    assert recall.longest_solved(runs, "lstm") == 5  # k = 20 is solved, but k = 10 failed first
    assert recall.longest_solved(runs, "lstm", threshold=0.4) == 20
    assert recall.longest_solved(runs, "transformer") is None  # the shortest lag already fails
    assert recall.longest_solved(runs, "forget bias 3") == 10  # labelled by "change", threshold inclusive
    with pytest.raises(ValueError, match="no run has label 'gru'"):
        recall.longest_solved(runs, "gru")
    res = recall.load_recall_results()
    edge = {label: recall.longest_solved(res["sweep"], label) for label in res["sweep_models"]}
    assert edge["transformer"] == max(res["ks"]) and edge["lstm"] < edge["lstm, forget bias 3"] < 50
