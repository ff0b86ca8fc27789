"""BERT-style masking and the miniature masked-LM models: proportions, shapes, determinism."""

import math
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.data import masking, text
from lstm_tutorial.experiments import mlm

pytestmark = pytest.mark.disable_socket


@pytest.fixture(scope="module")
def data():
    return text.corpus_ids()


def test_vocab_round_trip_and_blank(data):
    vocab, train, val = data
    assert vocab.size == len(vocab) + 1 and vocab.mask_id == len(vocab)
    ids = vocab.encode("the _ock")
    assert ids[4] == vocab.mask_id and vocab.decode(ids) == "the _ock"
    assert len(train) > 8 * len(val) > 0


def test_mask_proportions_within_sampling_error(data):
    vocab, train, _ = data
    rng = np.random.default_rng(0)
    x = text.random_windows(train, 400, 64, rng)  # 25,600 positions
    inputs, targets, sel = masking.mask_tokens(x, rng, mask_id=vocab.mask_id, n_real=len(vocab))
    n, s = x.size, sel.sum()
    assert abs(s / n - 0.15) < 4 * math.sqrt(0.15 * 0.85 / n)
    masked = inputs == vocab.mask_id
    assert not masked[~sel].any()  # only selected positions change
    np.testing.assert_array_equal(inputs[~sel], x[~sel])
    np.testing.assert_array_equal(targets[sel], x[sel])
    assert np.all(targets[~sel] == masking.IGNORE)
    se = 4 * math.sqrt(0.1 * 0.9 / s)
    assert abs(masked[sel].mean() - 0.8) < 4 * math.sqrt(0.8 * 0.2 / s)
    changed_random = sel & ~masked & (inputs != x)
    unchanged = sel & (inputs == x)
    # a random draw hits the original character with probability 1/V: expected shares below
    p_unchanged = 0.1 + 0.1 / len(vocab)
    assert abs(unchanged.sum() / s - p_unchanged) < se
    assert abs(changed_random.sum() / s - (0.1 - 0.1 / len(vocab))) < se


def test_masking_is_deterministic_and_checks_input(data):
    vocab, train, _ = data
    x = train[:640].reshape(10, 64)
    a = masking.mask_tokens(x, np.random.default_rng(7), mask_id=vocab.mask_id, n_real=len(vocab))
    b = masking.mask_tokens(x, np.random.default_rng(7), mask_id=vocab.mask_id, n_real=len(vocab))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(ValueError, match="real characters"):
        masking.mask_tokens(
            np.array([vocab.mask_id]), np.random.default_rng(0), mask_id=vocab.mask_id, n_real=len(vocab)
        )


def test_model_shapes_and_left_to_right_causality(data):
    vocab, _, _ = data
    b = mlm.DEFAULT_BUDGET
    x = torch.from_numpy(vocab.encode("the river _ran fast and deep"))[None]
    for kind in ("bert", "lstm", "bilstm"):
        net, n = mlm.make_mlm_model(kind, vocab, b)
        assert net(x).shape == (1, x.shape[1], len(vocab)) and n > 0
    torch.manual_seed(0)
    lstm, _ = mlm.make_mlm_model("lstm", vocab, b)
    a, c = vocab.encode("and th_y went"), vocab.encode("and th_t went")
    with torch.no_grad():
        pa, pc = lstm(torch.from_numpy(a)[None]), lstm(torch.from_numpy(c)[None])
    torch.testing.assert_close(pa[0, :7], pc[0, :7])  # same left context, same output up to the blank
    bert, _ = mlm.make_mlm_model("bert", vocab, b)
    with torch.no_grad():
        assert not torch.allclose(bert(torch.from_numpy(a)[None])[0, 6], bert(torch.from_numpy(c)[None])[0, 6])


def test_training_is_deterministic_and_loss_falls(data):
    b = replace(mlm.DEFAULT_BUDGET, steps=30, warmup=3, T=32)
    r1 = mlm.train_mlm("bilstm", budget=b, data=data)
    r2 = mlm.train_mlm("bilstm", budget=b, data=data)
    assert r1["loss"] == r2["loss"]
    assert np.mean(r1["loss"][-5:]) < np.mean(r1["loss"][:5])
    vocab, _, val = data
    acc = mlm.masked_accuracy(r1["net"], vocab, val, T=32, n_windows=32)
    assert 0 <= acc["accuracy"] <= 1 and acc["n_predicted"] > 0
    top = mlm.fill_in(r1["net"], vocab, "the _lock", top=2)
    assert len(top) == 1 and len(top[0]) == 2 and top[0][0][1] >= top[0][1][1]


def test_masking_fractions_and_accuracy_split(data):
    vocab, train, val = data
    rng = np.random.default_rng(1)
    x = text.random_windows(train, 200, 32, rng)
    inputs, _, sel = masking.mask_tokens(x, rng, mask_id=vocab.mask_id, n_real=len(vocab))
    f = masking.masking_fractions(x, inputs, sel, mask_id=vocab.mask_id)
    assert f["n"] == x.size and f["n_selected"] == sel.sum()
    assert math.isclose(f["mask"] + f["random"] + f["unchanged"], 1.0)
    torch.manual_seed(0)
    net, _ = mlm.make_mlm_model("lstm", vocab, mlm.DEFAULT_BUDGET)
    one = mlm.masked_accuracy(net, vocab, val, T=32, n_windows=16, n_draws=1)
    two = mlm.masked_accuracy(net, vocab, val, T=32, n_windows=16, n_draws=2)
    assert two["n_predicted"] > one["n_predicted"] > 0
    assert set(two["by_input"]) == {"mask", "random", "unchanged"}


def test_save_and_load_round_trip(data, tmp_path):
    vocab, _, val = data
    b = replace(mlm.DEFAULT_BUDGET, T=32)
    torch.manual_seed(0)
    nets = {k: mlm.make_mlm_model(k, vocab, b)[0] for k in ("bert", "lstm", "bilstm")}
    mlm.save_models(nets, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as z:
        assert all(z[k].dtype == np.float32 for k in z.files)
    back = mlm.load_models(tmp_path / "w.npz", vocab, b)
    x = torch.from_numpy(vocab.encode("the c_ock struck"))[None]
    for k, net in nets.items():
        net.eval()
        with torch.no_grad():
            torch.testing.assert_close(back[k](x), net(x), rtol=0, atol=0)
    assert mlm.heldout_loss(back["lstm"], vocab, val, T=32, n_windows=8) == mlm.heldout_loss(
        nets["lstm"], vocab, val, T=32, n_windows=8
    )
