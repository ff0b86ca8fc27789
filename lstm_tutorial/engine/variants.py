"""Two historical LSTM variants, forward pass only: peephole connections and the 1997 cell.

The standard cell is :func:`lstm_tutorial.engine.fast.lstm_forward` (gates ``i, f, g, o``,
``c_t = f_t c_{t-1} + i_t g_t``, ``h_t = o_t tanh(c_t)``). :func:`lstm_variant_forward` runs
the same cell with two optional changes, so a chapter can switch one on and compare:

- ``forget_gate=False``: the cell of Hochreiter and Schmidhuber (1997), which had no forget
  gate: ``c_t = c_{t-1} + i_t g_t`` (``f_t = 1`` fixed; the forget block of ``W``, ``U``, ``b``
  is ignored).
- ``peepholes``: the connections of Gers and Schmidhuber (2000), "Recurrent nets that time and
  count": each gate also reads the cell state through a diagonal weight vector. The input and
  forget gates see ``c_{t-1}``, the output gate sees the new ``c_t``:

  .. math::

      i_t &= \\sigma(x_t W_i + h_{t-1} U_i + b_i + p_i \\odot c_{t-1}) \\\\
      f_t &= \\sigma(x_t W_f + h_{t-1} U_f + b_f + p_f \\odot c_{t-1}) \\\\
      o_t &= \\sigma(x_t W_o + h_{t-1} U_o + b_o + p_o \\odot c_t)

Sizes as in :mod:`lstm_tutorial.engine.fast`: ``B, T, D, H``; arrays are batch-first. This is a
plain, readable step loop for small demonstrations; there is no backward pass.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_tutorial.engine._inputs import check_forward_inputs
from lstm_tutorial.engine.activations import sigmoid
from lstm_tutorial.engine.params import LSTM_PARAM_SHAPES

__all__ = ["VariantTrace", "lstm_variant_forward"]


class VariantTrace(NamedTuple):
    """What :func:`lstm_variant_forward` records, batch-first."""

    gates: np.ndarray  # (B, T, 4H): activated i_t, f_t, g_t, o_t (f_t = 1 without a forget gate)
    c: np.ndarray  # (B, T + 1, H): c[:, 0] = c_0


def lstm_variant_forward(x, params, state=None, *, peepholes=None, forget_gate=True):
    """Run an LSTM with optional peepholes and an optional forget gate.

    Args:
        x: ``(B, T, D)`` inputs.
        params: ``{"W": (D, 4H), "U": (H, 4H), "b": (4H,)}``, blocks ``i, f, g, o`` as in
            :func:`lstm_tutorial.engine.fast.lstm_forward`.
        state: ``(h_0, c_0)``, each ``(B, H)``; zeros when ``None``.
        peepholes: ``None`` (no peepholes) or an array ``(3H,)`` holding ``p_i, p_f, p_o``.
        forget_gate: if ``False``, ``f_t = 1`` at every step (the 1997 cell).

    Returns:
        ``(outputs, (h_T, c_T), trace)``: ``outputs`` ``(B, T, H)``, the final state, and a
        :class:`VariantTrace`. With ``peepholes=None`` and ``forget_gate=True`` the outputs are
        those of :func:`lstm_tutorial.engine.fast.lstm_forward`.
    """
    x, p, (h, c), B, T, D, H, dtype = check_forward_inputs(x, params, state, LSTM_PARAM_SHAPES, 2)
    if peepholes is None:
        p_i = p_f = p_o = np.zeros(H, dtype)
    else:
        peep = np.asarray(peepholes, dtype=dtype)
        if peep.shape != (3 * H,):
            raise ValueError(f"peepholes must have shape (3H,) = ({3 * H},) holding p_i, p_f, p_o; got {peep.shape}")
        p_i, p_f, p_o = peep[:H], peep[H : 2 * H], peep[2 * H :]
    gates = np.empty((B, T, 4 * H), dtype)
    cs = np.empty((B, T + 1, H), dtype)
    outputs = np.empty((B, T, H), dtype)
    cs[:, 0] = c
    for t in range(T):
        z = x[:, t] @ p["W"] + h @ p["U"] + p["b"]  # (B, 4H)
        z_i, z_f, z_g, z_o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        i = sigmoid(z_i + p_i * c)
        f = sigmoid(z_f + p_f * c) if forget_gate else np.ones_like(c)
        g = np.tanh(z_g)
        c = f * c + i * g
        o = sigmoid(z_o + p_o * c)  # the output gate peeks at the *new* cell state
        h = o * np.tanh(c)
        gates[:, t] = np.concatenate([i, f, g, o], axis=1)
        cs[:, t + 1] = c
        outputs[:, t] = h
    return outputs, (h, c), VariantTrace(gates, cs)
