"""The NumPy cells against PyTorch and Keras, their input checks, and properties over shapes."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tutorial.engine.fast import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)
from lstm_tutorial.engine.params import init_gru_params, init_lstm_params, init_rnn_params

SHAPES = [(1, 1, 1, 1), (2, 5, 3, 4), (3, 7, 1, 6), (1, 4, 5, 1), (4, 1, 2, 3)]  # (B, T, D, H)


def random_lstm(D, H, seed, dtype=np.float64):
    p = init_lstm_params(D, H, seed=seed, dtype=dtype)
    p["b"] += np.random.default_rng(seed + 100).normal(0, 0.5, 4 * H).astype(dtype)
    return p


def random_gru(D, H, seed, dtype=np.float64):
    p = init_gru_params(D, H, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 100)
    p["b"] += rng.normal(0, 0.5, 3 * H).astype(dtype)
    p["b_U"] += rng.normal(0, 0.5, 3 * H).astype(dtype)
    return p


def torch_module(kind, p, dtype=torch.float64):
    """A torch LSTM/GRU/RNN holding the NumPy parameters (the book's layout is torch's, transposed)."""
    D, G = p["W"].shape
    H = p["U"].shape[0]
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
    m = cls(D, H, batch_first=True).to(dtype)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(p["W"].T.copy()))
        m.weight_hh_l0.copy_(torch.from_numpy(p["U"].T.copy()))
        m.bias_ih_l0.copy_(torch.from_numpy(p["b"]))
        m.bias_hh_l0.copy_(torch.from_numpy(p["b_U"]) if kind == "gru" else torch.zeros(G, dtype=dtype))
    return m


def data(B, T, D, H, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in [(B, T, D), (B, H), (B, H), (B, T, H), (B, H), (B, H)]]


@pytest.mark.parametrize("B,T,D,H", SHAPES)
def test_lstm_matches_torch_float64_forward_and_backward(B, T, D, H):
    x, h0, c0, dout, dhT, dcT = data(B, T, D, H, seed=B * 100 + T)
    p = random_lstm(D, H, seed=T)
    out, (hT, cT), cache = lstm_forward(x, p, (h0, c0))
    dx, grads, (dh0, dc0) = lstm_backward(dout, cache, (dhT, dcT))

    m = torch_module("lstm", p)
    xt, h0t, c0t = (torch.tensor(a, requires_grad=True) for a in (x, h0[None], c0[None]))
    ot, (hTt, cTt) = m(xt, (h0t, c0t))
    loss = (
        (ot * torch.from_numpy(dout)).sum()
        + (hTt[0] * torch.from_numpy(dhT)).sum()
        + (cTt[0] * torch.from_numpy(dcT)).sum()
    )
    loss.backward()

    np.testing.assert_allclose(out, ot.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(hT, hTt[0].detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(cT, cTt[0].detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(grads["W"], m.weight_ih_l0.grad.numpy().T, rtol=0, atol=1e-9)
    np.testing.assert_allclose(grads["U"], m.weight_hh_l0.grad.numpy().T, rtol=0, atol=1e-9)
    np.testing.assert_allclose(grads["b"], m.bias_ih_l0.grad.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(dh0, h0t.grad.numpy()[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(dc0, c0t.grad.numpy()[0], rtol=0, atol=1e-9)


@pytest.mark.parametrize("B,T,D,H", [(1, 1, 1, 1), (3, 9, 4, 8), (2, 30, 5, 16)])
def test_lstm_matches_torch_float32(B, T, D, H):
    x, h0, c0, *_ = data(B, T, D, H, seed=7, dtype=np.float32)
    p = random_lstm(D, H, seed=3, dtype=np.float32)
    out, (hT, cT), _ = lstm_forward(x, p, (h0, c0))
    assert out.dtype == np.float32
    m = torch_module("lstm", p, torch.float32)
    with torch.no_grad():
        ot, (hTt, cTt) = m(torch.from_numpy(x), (torch.from_numpy(h0[None]), torch.from_numpy(c0[None])))
    np.testing.assert_allclose(out, ot.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(cT, cTt[0].numpy(), rtol=0, atol=1e-5)


@pytest.mark.parametrize("kind", ["gru", "rnn"])
@pytest.mark.parametrize("B,T,D,H", SHAPES[:3])
def test_gru_and_rnn_match_torch_float64(kind, B, T, D, H):
    x, h0, _, dout, dhT, _ = data(B, T, D, H, seed=11)
    if kind == "gru":
        p, fwd, bwd = random_gru(D, H, seed=5), gru_forward, gru_backward
    else:
        p, fwd, bwd = init_rnn_params(D, H, seed=5, dtype=np.float64), rnn_forward, rnn_backward
        p["b"] += 0.3
    out, hT, cache = fwd(x, p, h0)
    dx, grads, dh0 = bwd(dout, cache, dhT)

    m = torch_module(kind, p)
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0[None], requires_grad=True)
    ot, hTt = m(xt, h0t)
    ((ot * torch.from_numpy(dout)).sum() + (hTt[0] * torch.from_numpy(dhT)).sum()).backward()

    np.testing.assert_allclose(out, ot.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(hT, hTt[0].detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(dh0, h0t.grad.numpy()[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(grads["W"], m.weight_ih_l0.grad.numpy().T, rtol=0, atol=1e-9)
    np.testing.assert_allclose(grads["U"], m.weight_hh_l0.grad.numpy().T, rtol=0, atol=1e-9)
    db_torch = m.bias_ih_l0.grad.numpy()
    if kind == "gru":
        np.testing.assert_allclose(grads["b"], db_torch, rtol=0, atol=1e-9)
        np.testing.assert_allclose(grads["b_U"], m.bias_hh_l0.grad.numpy(), rtol=0, atol=1e-9)
    else:
        np.testing.assert_allclose(grads["b"], db_torch, rtol=0, atol=1e-9)


def test_lstm_and_gru_match_keras_float32():
    keras = pytest.importorskip("keras")
    B, T, D, H = 3, 6, 4, 5
    x, h0, c0, *_ = data(B, T, D, H, seed=2, dtype=np.float32)
    p = random_lstm(D, H, seed=1, dtype=np.float32)
    layer = keras.layers.LSTM(H, return_sequences=True, return_state=True)
    layer.build((B, T, D))
    layer.set_weights([p["W"], p["U"], p["b"]])  # Keras: kernel, recurrent_kernel, bias; gates i, f, c, o
    ok, hk, ck = (np.asarray(a) for a in layer(x, initial_state=[h0, c0]))
    out, (hT, cT), _ = lstm_forward(x, p, (h0, c0))
    np.testing.assert_allclose(out, ok, rtol=0, atol=1e-5)
    np.testing.assert_allclose(cT, ck, rtol=0, atol=1e-5)

    pg = random_gru(D, H, seed=4, dtype=np.float32)
    gru = keras.layers.GRU(H, return_sequences=True, reset_after=True)
    gru.build((B, T, D))

    def zrh(a):  # our r, z, n blocks -> Keras's z, r, h blocks (last axis)
        r, z, n = np.split(a, 3, axis=-1)
        return np.concatenate([z, r, n], axis=-1)

    gru.set_weights([zrh(pg["W"]), zrh(pg["U"]), np.stack([zrh(pg["b"]), zrh(pg["b_U"])])])
    out_g, _, _ = gru_forward(x, pg, h0)
    np.testing.assert_allclose(out_g, np.asarray(gru(x, initial_state=[h0])), rtol=0, atol=1e-5)


def test_empty_sequence_gives_empty_outputs_and_passes_state_through():
    p = init_lstm_params(3, 4, seed=0)
    h0, c0 = np.ones((2, 4), np.float32), np.full((2, 4), 2.0, np.float32)
    out, (hT, cT), cache = lstm_forward(np.zeros((2, 0, 3), np.float32), p, (h0, c0))
    assert out.shape == (2, 0, 4)
    np.testing.assert_array_equal(hT, h0)
    np.testing.assert_array_equal(cT, c0)
    dx, grads, (dh0, dc0) = lstm_backward(np.zeros((2, 0, 4)), cache, (h0, c0))
    assert dx.shape == (2, 0, 3) and grads["W"].shape == (3, 16)
    assert not grads["U"].any()
    np.testing.assert_array_equal(dh0, h0)


def test_default_forget_bias_opens_the_forget_gate():
    p = init_lstm_params(2, 3, seed=0)
    np.testing.assert_array_equal(p["b"][3:6], 1.0)
    np.testing.assert_array_equal(np.delete(p["b"], range(3, 6)), 0.0)
    assert p["W"].dtype == np.float32
    assert not init_lstm_params(2, 3, forget_bias=0.0, seed=0)["b"].any()
    np.testing.assert_array_equal(init_lstm_params(2, 3, seed=5)["U"], init_lstm_params(2, 3, seed=5)["U"])


def test_outputs_are_independent_of_the_cache():
    x = np.random.default_rng(0).standard_normal((2, 3, 2))
    p = random_lstm(2, 3, seed=0)
    dout = np.ones((2, 3, 3))
    out, _, cache = lstm_forward(x, p)
    reference = lstm_backward(dout, cache)[0]
    out *= 0  # a reader scaling the outputs in place must not corrupt the backward pass
    np.testing.assert_array_equal(lstm_backward(dout, cache)[0], reference)


P = init_lstm_params(3, 4, seed=0)
X = np.zeros((2, 5, 3), np.float32)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: lstm_forward(np.zeros((5, 3)), P), ValueError, ["x", "3 dimensions", "(5, 3)"]),
        (lambda: lstm_forward(np.zeros((2, 5, 7)), P), ValueError, ["x", "7", "D=3"]),
        (lambda: lstm_forward(X, {**P, "U": np.zeros((5, 16))}), ValueError, ["params['U']", "(5, 16)", "H=4"]),
        (lambda: lstm_forward(X, {**P, "b": np.zeros(12)}), ValueError, ["params['b']", "(12,)"]),
        (lambda: lstm_forward(X, {**P, "W": np.zeros((3, 10))}), ValueError, ["params['W']", "multiple of 4"]),
        (lambda: lstm_forward(X, {"W": P["W"], "U": P["U"]}), ValueError, ["missing", "'b'"]),
        (lambda: lstm_forward(X, [P["W"], P["U"], P["b"]]), TypeError, ["params", "dict"]),
        (lambda: lstm_forward(X, P, np.zeros((2, 4))), TypeError, ["state", "pair"]),
        (
            lambda: lstm_forward(X, P, (np.zeros((3, 4)), np.zeros((3, 4)))),
            ValueError,
            ["state", "h_0", "(2, 4)", "(3, 4)"],
        ),
        (lambda: lstm_forward(X, P, (np.zeros((2, 4)),)), TypeError, ["state", "length 1"]),
        (lambda: lstm_forward(np.full((2, 5, 3), "a"), P), TypeError, ["x", "numeric"]),
        (lambda: lstm_forward("abc", P), TypeError, ["x", "numeric"]),
        (lambda: lstm_forward(np.full((2, 5, 3), np.nan), P), ValueError, ["x", "finite", "nan"]),
        (lambda: lstm_forward(np.full((2, 5, 3), np.inf), P), ValueError, ["x", "finite", "inf"]),
        (lambda: lstm_forward(X, {**P, "U": np.full((4, 16), np.nan)}), ValueError, ["params['U']", "finite"]),
        (lambda: lstm_forward(np.zeros((0, 5, 3)), P), ValueError, ["x", "B=0"]),
        (lambda: lstm_backward(np.zeros((2, 4, 4)), lstm_forward(X, P)[2]), ValueError, ["d_outputs", "(2, 5, 4)"]),
        (lambda: lstm_backward(np.zeros((2, 5, 4)), lstm_forward(X, P)[2], np.zeros((2, 4))), TypeError, ["d_state"]),
        (lambda: gru_forward(X, init_lstm_params(3, 4)), ValueError, ["missing", "b_U"]),
        (lambda: rnn_forward(X, init_rnn_params(3, 4), np.zeros((2, 5))), ValueError, ["state", "(2, 4)"]),
        (lambda: init_lstm_params(0, 4), ValueError, ["input_size"]),
    ],
)
def test_bad_input_gets_a_clear_error(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    for w in words:
        assert w in message, f"{w!r} not in {message!r}"


CELLS = {
    "lstm": (lstm_forward, lstm_backward, lambda D, H, dt: random_lstm(D, H, 0, dt), 2),
    "gru": (gru_forward, gru_backward, lambda D, H, dt: random_gru(D, H, 0, dt), 1),
    "rnn": (rnn_forward, rnn_backward, lambda D, H, dt: init_rnn_params(D, H, seed=0, dtype=dt), 1),
}


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(sorted(CELLS)),
    B=st.integers(1, 4),
    T=st.integers(0, 6),
    D=st.integers(1, 5),
    H=st.integers(1, 5),
    dtype=st.sampled_from([np.float32, np.float64]),
    x_dtype=st.sampled_from([np.float32, np.float64, np.int64]),
    seed=st.integers(0, 2**16),
)
def test_shapes_dtypes_and_state_chaining(kind, B, T, D, H, dtype, x_dtype, seed):
    fwd, bwd, init, n_state = CELLS[kind]
    p = init(D, H, dtype)
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((B, T, D)) * 2).astype(x_dtype)
    out, final, cache = fwd(x, p)
    expected = np.float64 if (dtype == np.float64 or x_dtype == np.float64) else np.float32
    assert out.shape == (B, T, H) and out.dtype == expected
    finals = final if n_state == 2 else (final,)
    assert all(s.shape == (B, H) and s.dtype == expected for s in finals)
    assert np.isfinite(out).all() and np.abs(out).max(initial=0) <= 1
    dx, grads, d0 = bwd(np.ones((B, T, H)), cache)
    assert dx.shape == (B, T, D) and dx.dtype == expected
    assert {k: g.shape for k, g in grads.items()} == {k: v.shape for k, v in p.items()}
    assert all(np.isfinite(g).all() for g in grads.values())
    # Running the sequence in two pieces, carrying the state, gives the same outputs.
    if T >= 2:
        k = T // 2
        out1, final1, _ = fwd(x[:, :k], p)
        out2, _, _ = fwd(x[:, k:], p, final1)
        tol = 1e-12 if expected == np.float64 else 1e-5
        np.testing.assert_allclose(np.concatenate([out1, out2], axis=1), out, rtol=0, atol=tol)
