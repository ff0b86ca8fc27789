"""Finite-difference checks of every backward pass, in float64, and of the checker itself."""

import numpy as np
import pytest

from lstm_tutorial.engine.fast import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)
from lstm_tutorial.engine.gradcheck import gradient_check
from lstm_tutorial.engine.gradcheck import gradient_check as reexported
from lstm_tutorial.engine.params import init_gru_params, init_lstm_params, init_rnn_params

B, T, D, H = 2, 4, 3, 3


def cell_loss(forward, backward, n_state):
    """f(params) for gradient_check: a random linear function of the outputs and the final state.

    ``params`` also holds the input ``x`` and the initial state, so their gradients are checked too.
    """
    rng = np.random.default_rng(1)
    R = rng.standard_normal((B, T, H))
    S = [rng.standard_normal((B, H)) for _ in range(n_state)]

    def f(p):
        state = (p["h0"], p["c0"]) if n_state == 2 else p["h0"]
        out, final, cache = forward(p["x"], p, state)
        finals = final if n_state == 2 else (final,)
        loss = (out * R).sum() + sum((s * w).sum() for s, w in zip(finals, S))
        dx, grads, d0 = backward(R, cache, tuple(S) if n_state == 2 else S[0])
        d0 = d0 if n_state == 2 else (d0,)
        grads.update(x=dx, h0=d0[0])
        if n_state == 2:
            grads["c0"] = d0[1]
        return loss, grads

    return f


def with_inputs(p, n_state, seed=0):
    rng = np.random.default_rng(seed)
    p = {k: v + rng.normal(0, 0.3, v.shape) for k, v in p.items()}  # nonzero biases
    p["x"] = rng.standard_normal((B, T, D))
    p["h0"] = rng.standard_normal((B, H)) * 0.5
    if n_state == 2:
        p["c0"] = rng.standard_normal((B, H))
    return p


@pytest.mark.parametrize(
    "forward, backward, init, n_state",
    [
        (lstm_forward, lstm_backward, init_lstm_params, 2),
        (gru_forward, gru_backward, init_gru_params, 1),
        (rnn_forward, rnn_backward, init_rnn_params, 1),
    ],
    ids=["lstm", "gru", "rnn"],
)
def test_backward_passes_agree_with_finite_differences(forward, backward, init, n_state):
    p = with_inputs(init(D, H, seed=0, dtype=np.float64), n_state)
    result = gradient_check(cell_loss(forward, backward, n_state), p)
    assert result.n_checked == sum(v.size for v in p.values())
    assert result.max_rel_error < 1e-7, str(result)


def test_gradient_check_catches_a_wrong_gradient():
    p = {"w": np.array([1.0, -2.0, 3.0])}

    def f(q):
        return float((q["w"] ** 2).sum()), {"w": 2 * q["w"] * np.array([1.0, 1.0, 1.1])}

    result = gradient_check(f, p)
    assert result.worst_key == "w" and result.worst_index == (2,)
    assert 0.04 < result.max_rel_error < 0.06
    np.testing.assert_array_equal(p["w"], [1.0, -2.0, 3.0])  # restored after perturbing


def test_gradient_check_samples_entries_and_validates_arguments():
    p = {"w": np.linspace(-1, 1, 50).reshape(5, 10)}
    result = gradient_check(lambda q: (float((q["w"] ** 3).sum()), {"w": 3 * q["w"] ** 2}), p, max_entries=7)
    assert result.n_checked == 7 and result.max_rel_error < 1e-8
    with pytest.raises(TypeError, match="float ndarray"):
        gradient_check(lambda q: (0.0, {}), {"w": [1, 2]})
    with pytest.raises(ValueError, match="shape"):
        gradient_check(lambda q: (0.0, {"w": np.zeros(3)}), {"w": np.zeros(2)})
    assert reexported is gradient_check
