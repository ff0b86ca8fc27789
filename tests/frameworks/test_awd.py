"""The AWD-LSTM regularisers: each does what its docstring says, and only in training mode.

Weight dropout is checked against an LSTM written out step by step with one dropped ``U`` for
every time step and the undropped ``W``: equal outputs show that the mask is drawn once per
batch, that it lands on ``U`` only, and that the fused ``nn.LSTM`` kernel really used it.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstm_tutorial.frameworks import awd

V, H, B, T = 11, 8, 3, 7


def _model(**kwargs):
    torch.manual_seed(0)
    return awd.AWDLanguageModel(V, H, **kwargs).double()


def _manual_lstm(x, W, U, b):
    """The LSTM equations with fixed W (4H, D), U (4H, H) and b for every step: h (B, T, H)."""
    h = x.new_zeros(x.shape[0], H)
    c = x.new_zeros(x.shape[0], H)
    out = []
    for t in range(x.shape[1]):
        z = x[:, t] @ W.T + h @ U.T + b  # the same U at every t
        i, f, g, o = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        out.append(h)
    return torch.stack(out, dim=1)


def test_weight_drop_zeroes_and_scales_entries_of_the_weight():
    U = torch.randn(400, 50, dtype=torch.float64)
    torch.manual_seed(1)
    d = awd.weight_drop(U, 0.25, training=True)
    kept = d != 0
    assert 0.72 < kept.double().mean() < 0.78  # 20,000 entries, keep probability 0.75
    torch.testing.assert_close(d[kept], U[kept] / 0.75, rtol=1e-15, atol=0)
    assert awd.weight_drop(U, 0.25, training=False) is U
    assert awd.weight_drop(U, 0.0, training=True) is U
    with pytest.raises(ValueError, match="p must be a probability"):
        awd.weight_drop(U, 1.0, training=True)


def test_weight_dropout_uses_one_mask_on_U_only_for_every_time_step():
    model = _model(weight_dropout=0.5)
    model.train()
    ids = torch.randint(0, V, (B, T))
    torch.manual_seed(5)
    out = model(ids)
    torch.manual_seed(5)
    U_dropped = model.recurrent_weight()  # the same draw the forward pass made
    lstm = model.lstm
    assert (U_dropped == 0).any() and not torch.equal(U_dropped, lstm.weight_hh_l0)
    expected = _manual_lstm(
        F.embedding(ids, model.embed.weight), lstm.weight_ih_l0, U_dropped, lstm.bias_ih_l0 + lstm.bias_hh_l0
    )
    torch.testing.assert_close(out.h, expected, rtol=0, atol=1e-12)
    # a fresh mask at each step would have given something else
    torch.manual_seed(5)
    per_step = [model.recurrent_weight() for _ in range(T)]
    assert not all(torch.equal(per_step[0], u) for u in per_step[1:])


def test_weight_dropout_gradient_is_zero_exactly_where_U_was_dropped():
    model = _model(weight_dropout=0.5)
    model.train()
    ids, targets = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))
    torch.manual_seed(7)
    awd.awd_loss(model(ids), targets).backward()
    torch.manual_seed(7)
    dropped = model.recurrent_weight() == 0
    grad = model.lstm.weight_hh_l0.grad
    assert dropped.any() and torch.all(grad[dropped] == 0) and torch.all(grad[~dropped] != 0)
    assert torch.all(model.lstm.weight_ih_l0.grad != 0)  # W is never dropped


def test_every_regulariser_is_the_identity_at_evaluation():
    reg = _model(tie_weights=True, weight_dropout=0.5, embedding_dropout=0.5)
    plain = _model(tie_weights=True)
    plain.load_state_dict(reg.state_dict())
    reg.eval()
    assert reg.recurrent_weight() is reg.lstm.weight_hh_l0
    ids = torch.randint(0, V, (B, T))
    a, b = reg(ids), reg(ids)
    torch.testing.assert_close(a.logits, b.logits, rtol=0, atol=0)
    torch.testing.assert_close(a.logits, plain.eval()(ids).logits, rtol=0, atol=0)
    reg.train()
    assert not torch.equal(reg(ids).logits, a.logits)


def test_embedding_dropout_drops_whole_rows_and_scales_the_rest():
    E = torch.randn(200, 16, dtype=torch.float64) + 3.0  # no entry is 0 by chance
    torch.manual_seed(3)
    d = awd.embedding_dropout(E, 0.3, training=True)
    zero_rows = (d == 0).all(dim=1)
    assert torch.equal((d == 0).any(dim=1), zero_rows)  # a row is dropped whole or not at all
    assert 0.2 < zero_rows.double().mean() < 0.4
    torch.testing.assert_close(d[~zero_rows], E[~zero_rows] / 0.7, rtol=1e-15, atol=0)
    assert awd.embedding_dropout(E, 0.3, training=False) is E


def test_embedding_dropout_removes_a_character_type_everywhere_in_the_batch():
    model = _model(embedding_dropout=0.5)
    model.train()
    ids = torch.arange(V).repeat(B, 1)  # every character at several positions
    torch.manual_seed(2)
    E = awd.embedding_dropout(model.embed.weight, 0.5, True)
    dropped = (E == 0).all(dim=1)
    x = F.embedding(ids, E)
    assert dropped.any() and torch.all(x[:, dropped] == 0) and torch.all(x[:, ~dropped] != 0)


def test_ar_and_tar_on_a_hand_made_tensor():
    h = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [3.0, 2.0]]], dtype=torch.float64)  # (B=1, T=3, H=2)
    # AR: mean of 1, 4, 9, 16, 9, 4 = 43 / 6; TAR: differences (2, 2), (0, -2) -> mean of 4, 4, 0, 4 = 3
    assert float(awd.activation_penalty(h, 2.0)) == pytest.approx(2.0 * 43 / 6, rel=1e-15)
    assert float(awd.temporal_activation_penalty(h, 0.5)) == pytest.approx(0.5 * 3.0, rel=1e-15)
    with pytest.raises(ValueError, match="at least 2 time steps"):
        awd.temporal_activation_penalty(h[:, :1], 1.0)


def test_awd_loss_is_cross_entropy_plus_the_penalties():
    model = _model()
    ids, targets = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))
    out = model(ids)
    ce = F.cross_entropy(out.logits.reshape(-1, V), targets.reshape(-1))
    torch.testing.assert_close(awd.awd_loss(out, targets), ce, rtol=0, atol=0)
    full = awd.awd_loss(out, targets, ar_alpha=2.0, tar_beta=1.0)
    expected = ce + 2.0 * out.h.pow(2).mean() + (out.h[:, 1:] - out.h[:, :-1]).pow(2).mean()
    torch.testing.assert_close(full, expected, rtol=1e-14, atol=0)


def test_tying_shares_one_matrix():
    tied, untied = _model(tie_weights=True), _model()
    assert tied.head.weight is tied.embed.weight
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(untied) - n(tied) == V * H
    assert tied.embed.weight.shape == (V, H) and tied.head.bias.shape == (V,)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        awd.AWDLanguageModel(V, 0)
    with pytest.raises(ValueError, match="weight_dropout must be a probability"):
        awd.AWDLanguageModel(V, H, weight_dropout=-0.1)
    with pytest.raises(ValueError, match="ids must be"):
        _model()(torch.zeros(T, dtype=torch.int64))
    assert np.isclose(float(awd.activation_penalty(torch.zeros(2, 3, 4), 5.0)), 0.0)
