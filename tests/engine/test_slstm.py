"""The NumPy sLSTM: one step by hand, the stabilised form against the plain one, no overflow."""

import numpy as np
import pytest

from lstm_tutorial.engine.params import init_lstm_params
from lstm_tutorial.engine.slstm import SLSTMState, slstm_forward


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_two_steps_by_hand():
    # D = H = 1, U = 0, b = 0: the pre-activations are x_t times W's four entries
    a = np.array([0.5, -0.3, 0.8, 0.2])
    p = {"W": a[None, :], "U": np.zeros((1, 4)), "b": np.zeros(4)}
    x = np.array([[[1.0], [2.0]]])
    out, s = slstm_forward(x, p)
    i1, z1, o1 = np.exp(0.5), np.tanh(0.8), _sigmoid(0.2)  # f_1 multiplies c_0 = n_0 = 0
    c1, n1 = i1 * z1, i1
    i2, f2, z2, o2 = np.exp(1.0), np.exp(-0.6), np.tanh(1.6), _sigmoid(0.4)
    c2, n2 = f2 * c1 + i2 * z2, f2 * n1 + i2
    assert out[0, 0, 0] == pytest.approx(o1 * z1, abs=1e-15)  # first step: c/n is z itself
    assert out[0, 1, 0] == pytest.approx(o2 * c2 / n2, abs=1e-15)
    # the stabilised states are the plain ones times exp(-m)
    assert s.m[0, 0] == pytest.approx(max(-0.6 + 0.5, 1.0))  # m_1 = i~_1 = 0.5 (nothing stored before)
    assert s.c[0, 0] * np.exp(s.m[0, 0]) == pytest.approx(c2, rel=1e-14)
    assert s.n[0, 0] * np.exp(s.m[0, 0]) == pytest.approx(n2, rel=1e-14)


@pytest.mark.parametrize("forget", ["exp", "sigmoid"])
def test_stabilised_equals_plain_wherever_the_plain_form_is_finite(forget):
    rng = np.random.default_rng(0)
    p = init_lstm_params(3, 5, seed=1, dtype=np.float64)
    x = rng.standard_normal((4, 60, 3))
    stab, s = slstm_forward(x, p, forget=forget)
    plain, s_plain = slstm_forward(x, p, forget=forget, stabilised=False)
    assert np.all(np.isfinite(plain))
    assert np.max(np.abs(stab - plain)) < 1e-12
    np.testing.assert_allclose(s.c * np.exp(s.m), s_plain.c, rtol=1e-10)
    np.testing.assert_allclose(s.n * np.exp(s.m), s_plain.n, rtol=1e-10)


def test_no_overflow_at_huge_pre_activations():
    rng = np.random.default_rng(0)
    p = init_lstm_params(3, 5, seed=1, dtype=np.float64)
    p = {k: 2000.0 * v for k, v in p.items()}  # pre-activations in the thousands: exp overflows float64
    x = rng.standard_normal((4, 30, 3))
    with np.errstate(all="ignore"):
        plain, _ = slstm_forward(x, p, stabilised=False)
    assert not np.all(np.isfinite(plain))  # the plain form breaks down here
    out, s = slstm_forward(x, p)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(s.c)) and np.all(s.n >= 1)
    assert np.max(np.abs(out)) <= 1.0  # c/n is a weighted average of tanh values, and |o| < 1


def test_a_given_state_continues_the_sequence_exactly():
    rng = np.random.default_rng(2)
    p = init_lstm_params(2, 4, seed=3, dtype=np.float64)
    x = rng.standard_normal((3, 20, 2))
    full, s_full = slstm_forward(x, p)
    first, s1 = slstm_forward(x[:, :8], p)
    second, s2 = slstm_forward(x[:, 8:], p, state=s1)
    assert np.array_equal(np.concatenate([first, second], axis=1), full)
    assert all(np.array_equal(a, b) for a, b in zip(s2, s_full))
    assert isinstance(s2, SLSTMState)


def test_bad_inputs_are_named():
    p = init_lstm_params(2, 4, seed=0)
    x = np.zeros((1, 3, 2), np.float32)
    with pytest.raises(ValueError, match="forget must be one of"):
        slstm_forward(x, p, forget="relu")
    with pytest.raises(TypeError, match=r"4-tuple \('h_0', 'c_0', 'n_0', 'm_0'\)"):
        slstm_forward(x, p, state=(np.zeros((1, 4)),) * 2)
    with pytest.raises(ValueError, match="n_0"):
        slstm_forward(x, p, state=(np.zeros((1, 4), np.float32),) * 2 + (np.zeros((2, 4), np.float32),) * 2)
