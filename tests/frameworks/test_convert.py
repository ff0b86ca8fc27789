"""NumPy engine <-> PyTorch: exact round trips, equal outputs, equal gradients."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from lstm_tutorial import seed_everything
from lstm_tutorial.engine.fast import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)
from lstm_tutorial.engine.params import init_gru_params, init_lstm_params, init_rnn_params
from lstm_tutorial.frameworks import convert

B, T, D, H = 3, 7, 5, 4
TORCH = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
FORWARD = {"lstm": lstm_forward, "gru": gru_forward, "rnn": rnn_forward}
BACKWARD = {"lstm": lstm_backward, "gru": gru_backward, "rnn": rnn_backward}
INIT = {"lstm": init_lstm_params, "gru": init_gru_params, "rnn": init_rnn_params}
KINDS = sorted(TORCH)


@pytest.fixture(autouse=True)
def _seed():
    seed_everything(0)


def random_params(kind, d=D, h=H, seed=0, dtype=np.float32):
    """Engine params with every entry random, biases included, so no block hides a mistake."""
    rng = np.random.default_rng(seed)
    p = INIT[kind](d, h, seed=seed, dtype=dtype)
    return {k: (v + rng.normal(0, 0.3, v.shape)).astype(dtype) for k, v in p.items()}


def engine(kind, x, params, state=None):
    """Run the engine; return ``(outputs, h_T)`` whatever the cell."""
    out, final, _ = FORWARD[kind](x, params, state)
    return out, (final[0] if kind == "lstm" else final)


def numpy_stack(module, kind, x):
    """Evaluate a stacked, possibly bidirectional torch module layer by layer with the engine.

    Direction 1 reads the sequence backwards: flip time, run, flip the outputs back.
    Returns ``(outputs (B, T, H * dirs), h_n (layers * dirs, B, H))`` like the module.
    """
    dirs = 2 if module.bidirectional else 1
    finals = []
    for layer in range(module.num_layers):
        outs = []
        for direction in range(dirs):
            p = convert.params_from_torch(module, layer, direction)
            seq = x[:, ::-1] if direction else x
            out, h_T = engine(kind, np.ascontiguousarray(seq), p)
            outs.append(out[:, ::-1] if direction else out)
            finals.append(h_T)
        x = np.concatenate(outs, axis=-1)
    return x, np.stack(finals)


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_numpy_torch_numpy_is_exact(kind):
    p = random_params(kind)
    module = TORCH[kind](D, H, batch_first=True)
    back = convert.params_from_torch(convert.params_to_torch(p, module))
    assert sorted(back) == sorted(p)
    for key in p:
        assert back[key].dtype == np.float32
        assert np.array_equal(back[key], p[key]), key


def test_lstm_to_torch_puts_whole_bias_in_bias_ih():
    p = random_params("lstm")
    module = convert.params_to_torch(p, torch.nn.LSTM(D, H))
    assert np.array_equal(module.bias_ih_l0.detach().numpy(), p["b"])
    assert not module.bias_hh_l0.detach().numpy().any()


def test_torch_to_numpy_sums_the_two_biases_and_round_trip_keeps_the_model():
    module = torch.nn.LSTM(D, H, batch_first=True)
    p = convert.params_from_torch(module)
    expected = (module.bias_ih_l0 + module.bias_hh_l0).detach().numpy()
    assert np.array_equal(p["b"], expected)
    twin = convert.params_to_torch(p, torch.nn.LSTM(D, H, batch_first=True))
    x = torch.randn(B, T, D)
    np.testing.assert_allclose(twin(x)[0].detach(), module(x)[0].detach(), atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_ported_torch_module_gives_engine_outputs(kind):
    p = random_params(kind)
    module = convert.params_to_torch(p, TORCH[kind](D, H, batch_first=True))
    rng = np.random.default_rng(1)
    x = rng.normal(size=(B, T, D)).astype(np.float32)
    h0 = rng.normal(size=(B, H)).astype(np.float32)
    if kind == "lstm":
        c0 = rng.normal(size=(B, H)).astype(np.float32)
        out, (h_T, c_T), _ = lstm_forward(x, p, (h0, c0))
        t_out, (t_h, t_c) = module(torch.from_numpy(x), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
        np.testing.assert_allclose(t_c[0].detach().numpy(), c_T, atol=1e-5)
    else:
        out, h_T, _ = FORWARD[kind](x, p, h0)
        t_out, t_h = module(torch.from_numpy(x), torch.from_numpy(h0)[None])
    np.testing.assert_allclose(t_out.detach().numpy(), out, atol=1e-5)
    np.testing.assert_allclose(t_h[0].detach().numpy(), h_T, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_ported_torch_module_gives_engine_gradients(kind):
    """Autograd through torch's fused kernels equals the engine's hand-written BPTT (float64)."""
    p = random_params(kind, dtype=np.float64)
    module = convert.params_to_torch(p, TORCH[kind](D, H, batch_first=True).double())
    rng = np.random.default_rng(2)
    x, G = rng.normal(size=(B, T, D)), rng.normal(size=(B, T, H))
    n_state = 2 if kind == "lstm" else 1
    state = [rng.normal(size=(B, H)) for _ in range(n_state)]
    d_state = [rng.normal(size=(B, H)) for _ in range(n_state)]

    x_t = torch.tensor(x, requires_grad=True)
    state_t = [torch.tensor(s[None], requires_grad=True) for s in state]
    out_t, final_t = module(x_t, tuple(state_t) if kind == "lstm" else state_t[0])
    final_t = final_t if kind == "lstm" else (final_t,)
    loss = (out_t * torch.from_numpy(G)).sum()
    loss = loss + sum((f[0] * torch.from_numpy(g)).sum() for f, g in zip(final_t, d_state))
    loss.backward()

    _, _, cache = FORWARD[kind](x, p, tuple(state) if kind == "lstm" else state[0])
    dx, grads, d0 = BACKWARD[kind](G, cache, tuple(d_state) if kind == "lstm" else d_state[0])
    d0 = d0 if kind == "lstm" else (d0,)
    torch_grads = convert.grads_from_torch(module)
    assert sorted(torch_grads) == sorted(grads)
    for key in grads:
        np.testing.assert_allclose(torch_grads[key], grads[key], rtol=1e-9, atol=1e-9, err_msg=key)
    np.testing.assert_allclose(x_t.grad.numpy(), dx, rtol=1e-9, atol=1e-9)
    for s_t, d in zip(state_t, d0):
        np.testing.assert_allclose(s_t.grad[0].numpy(), d, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers,bidirectional", [(2, False), (1, True), (3, True)])
def test_stacked_and_bidirectional_torch_equals_chained_engine(kind, num_layers, bidirectional):
    module = TORCH[kind](D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=True)
    x = np.random.default_rng(3).normal(size=(B, T, D)).astype(np.float32)
    out, h_n = numpy_stack(module, kind, x)
    with torch.no_grad():
        t_out, t_final = module(torch.from_numpy(x))
    t_h = t_final[0] if kind == "lstm" else t_final
    assert out.shape == (B, T, H * (2 if bidirectional else 1))
    np.testing.assert_allclose(t_out.numpy(), out, atol=1e-5)
    np.testing.assert_allclose(t_h.numpy(), h_n, atol=1e-5)


def test_every_layer_and_direction_round_trips_exactly():
    src = torch.nn.LSTM(D, H, num_layers=2, bidirectional=True)
    dst = torch.nn.LSTM(D, H, num_layers=2, bidirectional=True)
    x = torch.randn(T, B, D)
    for layer in range(2):
        for direction in range(2):
            p = convert.params_from_torch(src, layer, direction)
            assert p["W"].shape == ((D if layer == 0 else 2 * H), 4 * H)
            convert.params_to_torch(p, dst, layer, direction)
            assert all(np.array_equal(a, convert.params_from_torch(dst, layer, direction)[k]) for k, a in p.items())
    with torch.no_grad():
        np.testing.assert_allclose(dst(x)[0].numpy(), src(x)[0].numpy(), atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_torch_cells_convert_like_layers(kind):
    cell = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell, "rnn": torch.nn.RNNCell}[kind](D, H)
    p = random_params(kind)
    back = convert.params_from_torch(convert.params_to_torch(p, cell))
    assert all(np.array_equal(back[k], p[k]) for k in p)
    x = np.random.default_rng(4).normal(size=(B, 1, D)).astype(np.float32)
    with torch.no_grad():
        h = cell(torch.from_numpy(x[:, 0]))
    h = h[0] if kind == "lstm" else h
    np.testing.assert_allclose(h.numpy(), engine(kind, x, p)[1], atol=1e-5)


def test_shape_mismatch_names_tensor_and_both_shapes():
    p = init_lstm_params(3, H)
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(3, 16\).*weight_ih_l0.*\(5, 16\)"):
        convert.params_to_torch(p, torch.nn.LSTM(D, H))
    wide = torch.nn.LSTM(D, H, num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(5, 16\).*weight_ih_l1_reverse.*\(8, 16\)"):
        convert.params_to_torch(init_lstm_params(D, H), wide, layer=1, direction=1)
    p = init_gru_params(D, H)
    p["U"] = p["U"][:, :-1]
    with pytest.raises(ValueError, match=r"params\['U'\] has shape \(4, 11\) but GRU.weight_hh_l0.*\(4, 12\)"):
        convert.params_to_torch(p, torch.nn.GRU(D, H))
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(5, 16\).*\(5, 12\)"):
        convert.params_to_torch(init_lstm_params(D, H), torch.nn.GRU(D, H))


def test_bad_targets_are_refused():
    with pytest.raises(IndexError, match="layer=1"):
        convert.params_from_torch(torch.nn.LSTM(D, H), layer=1)
    with pytest.raises(ValueError, match="unidirectional"):
        convert.params_from_torch(torch.nn.LSTM(D, H), direction=1)
    with pytest.raises(ValueError, match="relu"):
        convert.params_from_torch(torch.nn.RNN(D, H, nonlinearity="relu"))
    with pytest.raises(ValueError, match="proj_size"):
        convert.params_from_torch(torch.nn.LSTM(D, H, proj_size=2))
    with pytest.raises(TypeError, match="Linear"):
        convert.params_from_torch(torch.nn.Linear(D, H))
    with pytest.raises(KeyError, match="b_U"):
        convert.params_to_torch({k: v for k, v in init_gru_params(D, H).items() if k != "b_U"}, torch.nn.GRU(D, H))
    with pytest.raises(ValueError, match="no gradient"):
        convert.grads_from_torch(torch.nn.LSTM(D, H))


def test_bias_free_module_reads_zero_bias_and_refuses_a_nonzero_one():
    module = torch.nn.LSTM(D, H, bias=False)
    p = convert.params_from_torch(module)
    assert p["b"].shape == (4 * H,) and not p["b"].any()
    convert.params_to_torch(p, module)
    with pytest.raises(ValueError, match="bias=False"):
        convert.params_to_torch(init_lstm_params(D, H), module)


def test_gru_block_swap_between_keras_and_torch_order_is_an_involution():
    a = np.arange(3 * H)
    swapped = convert.torch_gru_from_keras_order(a)
    assert np.array_equal(swapped[:H], a[H : 2 * H]) and np.array_equal(swapped[2 * H :], a[2 * H :])
    assert np.array_equal(convert.torch_gru_from_keras_order(swapped), a)


def test_importing_convert_imports_neither_torch_nor_tensorflow():
    code = "import sys, lstm_tutorial.frameworks.convert; print('torch' in sys.modules, 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# ---- round trips over random shapes (hypothesis)

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(KINDS), d=st.integers(1, 6), h=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_engine_torch_engine_round_trip_is_exact_for_any_shape(kind, d, h, seed):
    p = random_params(kind, d, h, seed=seed, dtype=np.float64)
    module = convert.params_to_torch(p, TORCH[kind](d, h, batch_first=True).double())
    back = convert.params_from_torch(module)
    assert set(back) == set(p)
    for k in p:
        np.testing.assert_array_equal(back[k], p[k])


@settings(max_examples=15, deadline=None)
@given(kind=st.sampled_from(["lstm", "gru"]), d=st.integers(1, 5), h=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_engine_keras_engine_round_trip_is_exact_for_any_shape(kind, d, h, seed):
    keras = pytest.importorskip("keras")
    layer = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[kind](h)
    layer.build((None, None, d))
    p = random_params(kind, d, h, seed=seed, dtype=np.float32)
    convert.params_to_keras(p, layer)
    back = convert.params_from_keras(layer)
    for k in p:
        np.testing.assert_array_equal(back[k], p[k])
