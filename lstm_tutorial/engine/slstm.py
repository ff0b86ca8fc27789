"""The sLSTM cell of xLSTM (Beck et al. 2024), forward pass: exponential gates, a normaliser, a stabiliser.

The classic cell squashes its input gate into (0, 1). The sLSTM lets the input gate, and
optionally the forget gate, be *exponential*, so a new input can outweigh everything stored
before it, and divides the cell state by a *normaliser* state that sums the same gate weights.
With pre-activations ``a_t = x_t W + h_{t-1} U + b`` in the LSTM's blocks ``i, f, g, o`` (the
paper writes the candidate ``z_t``, the normaliser ``n_t`` and the stabiliser ``m_t``; the book
keeps ``z_t`` and ``n_t`` for the GRU, so here they are ``g_t``, ``\\nu_t`` and ``\\mu_t``, held in
the code as ``SLSTMState.n`` and ``SLSTMState.m``):

.. math::

    g_t &= \\tanh(a_t^{(g)}), \\quad i_t = \\exp(a_t^{(i)}), \\quad
    f_t = \\exp(a_t^{(f)}) \\text{ or } \\sigma(a_t^{(f)}), \\quad o_t = \\sigma(a_t^{(o)}) \\\\
    c_t &= f_t c_{t-1} + i_t g_t, \\qquad \\nu_t = f_t \\nu_{t-1} + i_t \\\\
    h_t &= o_t \\odot c_t / \\nu_t

(slstm-cell). ``exp`` overflows float64 past a pre-activation of about 709, and products of
many forget gates underflow. The *stabiliser* state ``\\mu_t`` keeps the running maximum of
the log gate weights and divides it out of ``c`` and ``\\nu`` alike, which leaves ``c_t / \\nu_t``
unchanged:

.. math::

    \\mu_t &= \\max(\\log f_t + \\mu_{t-1}, a_t^{(i)}) \\\\
    i'_t &= \\exp(a_t^{(i)} - \\mu_t), \\qquad f'_t = \\exp(\\log f_t + \\mu_{t-1} - \\mu_t) \\\\
    c_t &= f'_t c_{t-1} + i'_t g_t, \\qquad \\nu_t = f'_t \\nu_{t-1} + i'_t

(slstm-stabilised). Both ``i'_t`` and ``f'_t`` lie in [0, 1] and one of them is 1, so nothing
overflows, and ``nu_t >= 1`` at every step. While nothing is stored yet (``nu_{t-1} = 0``, the
first step from a zero state) the forget term has nothing to keep, and ``mu_t = a_t^(i)``
(as in the paper's reference code): taking the maximum with ``log f_t`` there would let a large
forget pre-activation push ``i'_t`` to an underflowed 0 and ``c_t / nu_t`` to 0/0. The
stabilised ``c`` and ``nu`` are the plain ones times ``exp(-mu_t)``; :func:`slstm_forward` with
``stabilised=False`` computes the plain form, so a test can check that the two agree wherever the plain form is finite.

Simplifications against the paper, stated: one head (a full ``U`` instead of block-diagonal
heads), no convolution or up-projection of the xLSTM block around the cell. ``c_0 = nu_0 = 0``,
``mu_0 = 0``, ``h_0 = 0`` unless a state is given. Sizes ``B, T, D, H``, batch-first; parameters
``{"W": (D, 4H), "U": (H, 4H), "b": (4H,)}`` as for the LSTM (:data:`~lstm_tutorial.engine.params.LSTM_PARAM_SHAPES`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_tutorial._checks import check_state
from lstm_tutorial.engine._inputs import check_forward_inputs
from lstm_tutorial.engine.activations import sigmoid
from lstm_tutorial.engine.params import LSTM_PARAM_SHAPES

__all__ = ["SLSTMState", "slstm_step", "slstm_forward", "FORGET_GATES"]

#: the two forget gates of the paper: exponential, or the LSTM's sigmoid
FORGET_GATES = ("exp", "sigmoid")


class SLSTMState(NamedTuple):
    """The four states of the sLSTM, each ``(B, H)``."""

    h: np.ndarray  # hidden state (the output)
    c: np.ndarray  # cell state c_t (stabilised: times exp(-mu_t))
    n: np.ndarray  # normaliser state nu_t (stabilised alike)
    m: np.ndarray  # stabiliser mu_t: running max of the log gate weights (0 in the plain form)


def _log_forget(a_f: np.ndarray, forget: str) -> np.ndarray:
    if forget == "exp":
        return a_f
    # log sigmoid(a) = -log(1 + exp(-a)), computed without overflow for large |a|
    return -np.logaddexp(0.0, -a_f)


def slstm_step(x_t, state: SLSTMState, params, *, forget: str = "exp", stabilised: bool = True) -> SLSTMState:
    """One sLSTM step: ``x_t`` ``(B, D)``, the previous :class:`SLSTMState`, returns the next one.

    ``stabilised=True`` applies (slstm-stabilised); ``False`` applies (slstm-cell) directly,
    which overflows to ``inf`` (and ``nan``) at large pre-activations: it exists to be compared with.
    """
    H = state.h.shape[1]
    a = x_t @ params["W"] + state.h @ params["U"] + params["b"]  # (B, 4H), slstm-cell
    a_i, a_f, a_g, a_o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
    g, o = np.tanh(a_g), sigmoid(a_o)
    log_f = _log_forget(a_f, forget)
    if stabilised:
        empty = state.n == 0  # nothing stored yet (the first step from a zero state): mu_t = a_t^(i)
        m = np.where(empty, a_i, np.maximum(log_f + state.m, a_i))  # slstm-stabilised: mu_t
        i = np.exp(a_i - m)  # i'_t in (0, 1]
        f = np.where(empty, 0.0, np.exp(np.minimum(log_f + state.m - m, 0.0)))  # f'_t in [0, 1]
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            m = state.m
            i, f = np.exp(a_i), np.exp(log_f)  # slstm-cell: may overflow
    with np.errstate(over="ignore", invalid="ignore"):
        c = f * state.c + i * g  # slstm-cell / slstm-stabilised: c_t
        n = f * state.n + i  # nu_t
        h = o * (c / n)  # h_t = o_t c_t / nu_t
    return SLSTMState(h, c, n, m)


def slstm_forward(x, params, state=None, *, forget: str = "exp", stabilised: bool = True):
    """Run the sLSTM over a batch of sequences.

    Args:
        x: ``(B, T, D)`` inputs.
        params: ``{"W": (D, 4H), "U": (H, 4H), "b": (4H,)}``, blocks ``i, f, g, o``.
        state: an :class:`SLSTMState` (or 4-tuple ``(h, c, n, m)``) of ``(B, H)`` arrays; zeros
            when ``None``.
        forget: ``"exp"`` (exponential forget gate) or ``"sigmoid"``.
        stabilised: use the stabiliser state (the default, and what to train with).

    Returns:
        ``(outputs, final_state)``: ``outputs`` ``(B, T, H)`` holds ``h_1 .. h_T``, and the final
        :class:`SLSTMState`.
    """
    if forget not in FORGET_GATES:
        raise ValueError(f"forget must be one of {FORGET_GATES}, got {forget!r}")
    x, p, _, B, T, D, H, dtype = check_forward_inputs(x, params, None, LSTM_PARAM_SHAPES, 1)
    if state is None:
        s = SLSTMState(*(np.zeros((B, H), dtype) for _ in range(4)))
    else:
        s = SLSTMState(*check_state("state", tuple(state), n=4, batch=B, hidden=H, dtype=dtype))
    outputs = np.empty((B, T, H), dtype)
    for t in range(T):
        s = slstm_step(x[:, t], s, p, forget=forget, stabilised=stabilised)
        outputs[:, t] = s.h
    return outputs, s
