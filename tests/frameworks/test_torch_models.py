"""The PyTorch models: shapes, padding, state passing, determinism, and autograd vs hand BPTT."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstm_tutorial import seed_everything
from lstm_tutorial.engine.fast import lstm_backward, lstm_forward
from lstm_tutorial.engine.params import init_lstm_params
from lstm_tutorial.frameworks import convert
from lstm_tutorial.frameworks.torch_models import (
    CharLanguageModel,
    ScratchLSTMCell,
    SequenceClassifier,
    SequenceRegressor,
    sample_from_logits,
    scratch_lstm,
)
from lstm_tutorial.frameworks.training import train_torch

B, T, D, H = 3, 6, 4, 5


@pytest.fixture(autouse=True)
def _seed():
    seed_everything(0)


def test_scratch_cell_starts_from_the_engine_initialiser():
    cell = ScratchLSTMCell(D, H, seed=7)
    p = init_lstm_params(D, H, seed=7)
    assert {k: v.shape for k, v in cell.params().items()} == {"W": (D, 4 * H), "U": (H, 4 * H), "b": (4 * H,)}
    assert all(np.array_equal(cell.params()[k], p[k]) for k in p)


def test_scratch_lstm_autograd_equals_hand_written_bptt():
    """Autograd on the book's equations derives exactly the engine's gradients (float64)."""
    rng = np.random.default_rng(1)
    p = {k: v + rng.normal(0, 0.3, v.shape) for k, v in init_lstm_params(D, H, seed=1, dtype=np.float64).items()}
    x, G = rng.normal(size=(B, T, D)), rng.normal(size=(B, T, H))
    h0, c0, dh_T, dc_T = (rng.normal(size=(B, H)) for _ in range(4))

    cell = ScratchLSTMCell.from_params(p)
    assert cell.W.dtype == torch.float64
    x_t, h0_t, c0_t = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    out, (h_T, c_T) = scratch_lstm(x_t, cell, (h0_t, c0_t))
    loss = sum((a * torch.from_numpy(g)).sum() for a, g in ((out, G), (h_T, dh_T), (c_T, dc_T)))
    loss.backward()

    ref_out, (ref_h, ref_c), cache = lstm_forward(x, p, (h0, c0))
    dx, grads, (dh0, dc0) = lstm_backward(G, cache, (dh_T, dc_T))
    np.testing.assert_allclose(out.detach().numpy(), ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_T.detach().numpy(), ref_c, rtol=1e-12, atol=1e-12)
    for name in ("W", "U", "b"):
        np.testing.assert_allclose(getattr(cell, name).grad.numpy(), grads[name], rtol=1e-9, atol=1e-9, err_msg=name)
    for got, want in ((x_t, dx), (h0_t, dh0), (c0_t, dc0)):
        np.testing.assert_allclose(got.grad.numpy(), want, rtol=1e-9, atol=1e-9)


def test_scratch_lstm_equals_torch_lstm_with_the_same_weights():
    cell = ScratchLSTMCell(D, H, seed=2)
    module = convert.params_to_torch(cell.params(), torch.nn.LSTM(D, H, batch_first=True))
    x = torch.randn(B, T, D)
    with torch.no_grad():
        out, (h_T, c_T) = scratch_lstm(x, cell)
        ref, (ref_h, ref_c) = module(x)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-6)
    np.testing.assert_allclose(c_T.numpy(), ref_c[0].numpy(), atol=1e-6)


def test_scratch_cell_refuses_wrong_shapes():
    with pytest.raises(ValueError, match=r"params\['U'\] has shape \(4, 20\).*\(5, 20\)"):
        ScratchLSTMCell(D, H).load_params({"W": np.zeros((D, 4 * H)), "U": np.zeros((4, 4 * H)), "b": np.zeros(4 * H)})


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_sequence_regressor_shapes(cell):
    model = SequenceRegressor(D, H, num_layers=2, dropout=0.1, cell=cell, output_size=2)
    assert model(torch.randn(B, T, D)).shape == (B, 2)


def test_sequence_regressor_rejects_unknown_cell():
    with pytest.raises(ValueError, match="cell must be one of"):
        SequenceRegressor(D, H, cell="transformer")


@pytest.mark.parametrize("bidirectional", [False, True])
def test_sequence_classifier_ignores_padding(bidirectional):
    model = SequenceClassifier(D, H, num_classes=3, num_layers=2, bidirectional=bidirectional).eval()
    lengths = torch.tensor([6, 2, 4])
    x = torch.randn(B, T, D)
    x[torch.arange(T)[None, :] >= lengths[:, None]] = 99.0  # padding that would wreck the state if read
    with torch.no_grad():
        logits = model(x, lengths)
        alone = torch.cat([model(x[k : k + 1, : lengths[k]]) for k in range(B)])
    assert logits.shape == (B, 3)
    np.testing.assert_allclose(logits.numpy(), alone.numpy(), atol=1e-6)


def test_sequence_classifier_on_token_ids():
    model = SequenceClassifier(8, H, num_classes=2, vocab_size=20, cell="gru")
    ids = torch.randint(1, 20, (B, T))
    assert model(ids, torch.tensor([6, 3, 1])).shape == (B, 2)


def test_language_model_state_carries_across_chunks():
    model = CharLanguageModel(vocab_size=11, embed_dim=6, hidden_size=H, num_layers=2).eval()
    ids = torch.randint(0, 11, (B, T))
    with torch.no_grad():
        whole, _ = model(ids)
        first, state = model(ids[:, :2])
        rest, _ = model(ids[:, 2:], state)
    assert whole.shape == (B, T, 11)
    np.testing.assert_allclose(torch.cat([first, rest], dim=1).numpy(), whole.numpy(), atol=1e-6)


def test_generate_is_seeded_and_greedy_at_zero_temperature():
    model = CharLanguageModel(vocab_size=11, embed_dim=6, hidden_size=H)
    a = model.generate([1, 2], 8, temperature=0.8, generator=torch.Generator().manual_seed(3))
    b = model.generate([1, 2], 8, temperature=0.8, generator=torch.Generator().manual_seed(3))
    assert a == b and len(a) == 10 and a[:2] == [1, 2] and all(0 <= i < 11 for i in a)
    greedy = model.generate([1, 2], 4, temperature=0)
    with torch.no_grad():
        logits, _ = model(torch.tensor([greedy[:-1]]))
    assert greedy[2:] == logits[0, 1:].argmax(-1).tolist()
    assert model.training


def test_sample_from_logits_shapes_and_argmax():
    logits = torch.tensor([[0.0, 5.0, 1.0], [2.0, 0.0, 0.0]])
    assert sample_from_logits(logits, 0).tolist() == [1, 0]
    assert sample_from_logits(logits[None], 1.0).shape == (1, 2)
    with pytest.raises(ValueError, match="temperature"):
        sample_from_logits(logits, -1.0)


def _regression_data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, T, D)).astype(np.float32)
    y = x[:, :, :1].mean(axis=1, dtype=np.float64)  # (n, 1) float64: train_torch casts it
    return x, y


def test_train_torch_is_deterministic_quiet_and_learns(capsys):
    x, y = _regression_data()
    histories = []
    for _ in range(2):
        seed_everything(0)
        model = SequenceRegressor(D, H)
        histories.append(train_torch(model, (x, y), F.mse_loss, epochs=4, lr=0.02, clip=1.0, progress=False))
    assert histories[0] == histories[1]
    losses = histories[0]["loss"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert all(round(v, 4) == v for v in losses)
    assert capsys.readouterr().err == ""


def test_train_torch_steps_mode_with_lengths_and_tuple_outputs():
    ids = torch.randint(0, 7, (10, T))
    model = CharLanguageModel(7, 4, H)
    hist = train_torch(
        model,
        (ids[:, :-1], ids[:, 1:]),
        lambda p, y: F.cross_entropy(p.flatten(0, 1), y.flatten()),
        steps=5,
        batch_size=4,
        progress=False,
    )
    assert len(hist["loss"]) == 5
    clf = SequenceClassifier(D, H, num_classes=2)
    data = (torch.randn(8, T, D), torch.full((8,), T), torch.randint(0, 2, (8,)))
    assert len(train_torch(clf, data, F.cross_entropy, steps=3, batch_size=4, progress=False)["loss"]) == 3
    with pytest.raises(ValueError, match="exactly one"):
        train_torch(clf, data, F.cross_entropy, progress=False)


def test_trained_torch_model_ported_to_numpy_predicts_the_same():
    x, y = _regression_data()
    model = SequenceRegressor(D, H, num_layers=2)
    train_torch(model, (x, y), F.mse_loss, steps=6, lr=0.02, progress=False)
    model.eval()
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    h = x
    for layer in range(2):
        h, _, _ = lstm_forward(h, convert.params_from_torch(model.rnn, layer))
    W_y, b_y = model.head.weight.detach().numpy(), model.head.bias.detach().numpy()
    np.testing.assert_allclose(h[:, -1] @ W_y.T + b_y, expected, atol=1e-5)
