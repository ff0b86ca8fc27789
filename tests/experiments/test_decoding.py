"""The decoding experiment: its config, the stored weights, the measurements and the cached results."""

from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.experiments import decoding as de
from lstm_tutorial.experiments import seq2seq as ex

pytestmark = pytest.mark.disable_socket

TINY_TRAIN = ex.Seq2SeqConfig(task="reverse", steps=150, warmup=10, train_lengths=(1, 4), test_lengths=(1, 5), n_test=8)


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(ex.CONFIGS, "tiny", TINY_TRAIN)
    return de.DecodingConfig(
        train="tiny", seeds=(0,), per_length=4, beam_widths=(1, 3), sample_lengths=(3,), n_samples=3
    )


@pytest.mark.parametrize(
    "change, match",
    [
        ({"train": "sort"}, "train must be a label"),
        ({"seeds": ()}, "at least one seed"),
        ({"per_length": 0}, "per_length must be a positive int"),
        ({"beam_widths": (0, 2)}, "beam_widths must be positive"),
    ],
)
def test_config_refuses_bad_settings(change, match):
    with pytest.raises(ValueError, match=match):
        replace(de.DecodingConfig(), **change)


def test_the_decoded_slice_is_the_first_pairs_of_each_length_of_chapter_1s_test_set():
    pairs = de.decode_test_set()
    lo, hi = de.CONFIG.seq2seq.test_lengths
    assert [len(s) for s, _ in pairs] == [L for L in range(lo, hi + 1) for _ in range(de.CONFIG.per_length)]
    assert pairs[0] == ex.make_test_set(de.CONFIG.seq2seq)[0]


def test_weights_round_trip_exactly_without_pickle(tmp_path, tiny):
    models = {seed: ex.build_model(tiny.seq2seq, seed) for seed in (0, 5)}
    path = tmp_path / "w.npz"
    de.save_weights(models, path)
    weights = de.load_weights(path)
    assert sorted(weights) == [0, 5]
    for seed, m in models.items():
        back = de.load_model(seed, tiny, weights)
        for (k, a), (k2, b) in zip(m.state_dict().items(), back.state_dict().items(), strict=True):
            assert k == k2 and a.dtype == b.dtype == torch.float64 and torch.equal(a, b), k
    with pytest.raises(ValueError, match="seed 3 has no stored weights"):
        de.load_model(3, tiny, weights)
    np.savez(tmp_path / "bad.npz", **{"seed0/x": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="allow_pickle"):
        de.load_weights(tmp_path / "bad.npz")


def test_measurements_on_a_tiny_model_are_consistent(tiny):
    model = ex.train_seq2seq(tiny.seq2seq, 0, return_model=True)["model"]
    pairs = de.decode_test_set(tiny)
    rows = de.beam_rows(model, pairs, tiny)
    assert rows["greedy_equals_beam1"] == len(pairs)
    g, b1 = rows["greedy"], rows["beam"][0]
    assert (b1["beam_width"], b1["alpha"]) == (1, 0.0)
    assert {k: v for k, v in b1.items() if k not in ("beam_width", "alpha")} == g
    for r in [g, *rows["beam"]]:
        assert r["search_errors"] + r["model_errors"] + round(r["seq_acc"] * r["n"]) == r["n"]
    # A wider beam never finds an output less likely than a narrower one's, on average, here.
    raw = [r for r in rows["beam"] if r["alpha"] == 0.0]
    assert raw[1]["mean_logp_out"] >= raw[0]["mean_logp_out"]
    samples = de.sampling_rows(model, [p for p in pairs if len(p[0]) == 3], tiny)
    assert [(s["temperature"], s["top_k"]) for s in samples] == [
        (0.5, None),
        (1.0, None),
        (1.5, None),
        (1.0, 2),
        (1.0, 3),
    ]
    for s in samples:
        assert 1 <= s["distinct"] <= tiny.n_samples and 0 <= s["sample_acc"] <= s["any_correct"] <= 1


def test_cached_results_cover_the_config_and_beam_one_is_greedy_on_every_source():
    res = de.load_decoding_results()
    assert res["config"] == de.config_as_dict(de.CONFIG)
    assert res["train_config"] == ex.config_as_dict(de.CONFIG.seq2seq)
    assert [r["seed"] for r in res["runs"]] == list(de.CONFIG.seeds)
    for r in res["runs"]:
        assert r["greedy_equals_beam1"] == res["n_pairs"] == len(de.decode_test_set())
        assert [(b["beam_width"], b["alpha"]) for b in r["beam"]] == [
            (K, a) for a in de.CONFIG.alphas for K in de.CONFIG.beam_widths
        ]
    assert sorted(de.load_weights()) == list(de.CONFIG.seeds)


@pytest.mark.slow
def test_cached_decoding_matches_a_recomputed_slice():
    """Decode a slice again from the stored weights of seed 0 (lengths 10 to 13, widths 1 and 4, both alphas).

    The model is fixed and everything runs in float64, so only a near-tie between two tokens
    could let another CPU's kernels change an output. Accuracies are compared exactly, and mean
    log-probabilities (sums of about 20 float64 log-softmax terms, whose kernel-to-kernel rounding
    is of order 1e-15 each) to an absolute 1e-9. The chapter's portability run (AVX2 and SSE4.2
    kernels forced, ``scripts/portability.py test``) reproduced every accuracy and log-probability
    it prints from this model, decoded live.
    """
    res = de.load_decoding_results()
    stored = res["runs"][0]
    model = de.load_model(stored["seed"])
    lengths = (10, 11, 12, 13)
    pairs = [p for p in de.decode_test_set() if len(p[0]) in lengths]
    config = replace(de.CONFIG, beam_widths=(1, 4))
    for alpha in config.alphas:
        for K in config.beam_widths:
            got = de.decode_pairs(model, pairs, "beam", config, beam_width=K, alpha=alpha)
            per = {r["length"]: r for r in de._by_length(got)}
            row = next(b for b in stored["beam"] if b["beam_width"] == K and b["alpha"] == alpha)
            for r in (r for r in row["by_length"] if r["length"] in lengths):
                assert per[r["length"]]["seq_acc"] == r["seq_acc"], (K, alpha, r["length"])
                assert per[r["length"]]["mean_logp_out"] == pytest.approx(r["mean_logp_out"], abs=1e-9)
