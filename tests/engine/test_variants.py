"""Tests for lstm_tutorial.engine.variants: peephole LSTM and the 1997 (no forget gate) cell."""

import numpy as np
import pytest

from lstm_tutorial.engine.activations import sigmoid
from lstm_tutorial.engine.fast import lstm_forward
from lstm_tutorial.engine.params import init_lstm_params
from lstm_tutorial.engine.variants import lstm_variant_forward

B, T, D, H = 3, 7, 2, 5


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    p = init_lstm_params(D, H, seed=seed, dtype=np.float64)
    x = rng.normal(size=(B, T, D))
    state = (rng.normal(size=(B, H)) * 0.5, rng.normal(size=(B, H)))
    return rng, p, x, state


def test_defaults_equal_the_standard_cell():
    _, p, x, state = _setup()
    out, (h, c), trace = lstm_variant_forward(x, p, state)
    ref, (h_ref, c_ref), cache = lstm_forward(x, p, state)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-13)
    np.testing.assert_allclose(c, c_ref, rtol=0, atol=1e-13)
    np.testing.assert_allclose(trace.gates, cache.gates.transpose(1, 0, 2), rtol=0, atol=1e-13)
    assert trace.c.shape == (B, T + 1, H) and np.array_equal(trace.c[:, 0], state[1])


def test_zero_peepholes_change_nothing():
    _, p, x, state = _setup(1)
    a = lstm_variant_forward(x, p, state)[0]
    b = lstm_variant_forward(x, p, state, peepholes=np.zeros(3 * H))[0]
    assert np.array_equal(a, b)


def test_peephole_step_by_hand():
    rng, p, x, state = _setup(2)
    peep = rng.normal(size=3 * H)
    out, (h1, c1), trace = lstm_variant_forward(x[:, :1], p, state, peepholes=peep)
    h0, c0 = state
    z = x[:, 0] @ p["W"] + h0 @ p["U"] + p["b"]
    i = sigmoid(z[:, :H] + peep[:H] * c0)
    f = sigmoid(z[:, H : 2 * H] + peep[H : 2 * H] * c0)
    g = np.tanh(z[:, 2 * H : 3 * H])
    c = f * c0 + i * g
    o = sigmoid(z[:, 3 * H :] + peep[2 * H :] * c)
    np.testing.assert_allclose(c1, c, rtol=0, atol=1e-14)
    np.testing.assert_allclose(h1, o * np.tanh(c), rtol=0, atol=1e-14)


def test_no_forget_gate_is_f_equal_one():
    _, p, x, state = _setup(3)
    out, (h, c), trace = lstm_variant_forward(x, p, state, forget_gate=False)
    assert np.all(trace.gates[:, :, H : 2 * H] == 1.0)
    i, g = trace.gates[:, :, :H], trace.gates[:, :, 2 * H : 3 * H]
    np.testing.assert_allclose(c, state[1] + np.sum(i * g, axis=1), rtol=0, atol=1e-12)
    # a forget bias so large that sigmoid rounds to 1 gives the same cell
    q = {k: v.copy() for k, v in p.items()}
    q["b"][H : 2 * H] = 40.0
    np.testing.assert_allclose(lstm_forward(x, q, state)[0], out, rtol=0, atol=1e-13)


def test_bad_peephole_shape_is_refused():
    _, p, x, _ = _setup()
    with pytest.raises(ValueError, match=r"\(3H,\) = \(15,\)"):
        lstm_variant_forward(x, p, peepholes=np.zeros(4 * H))
