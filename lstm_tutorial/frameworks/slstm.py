"""The sLSTM cell of xLSTM (Beck et al. 2024) as a PyTorch module, for training.

The equations, labels and simplifications are those of :mod:`lstm_tutorial.engine.slstm`
(one head, no surrounding xLSTM block); the parameters have the engine's layout
``W (D, 4H)``, ``U (H, 4H)``, ``b (4H,)`` in the blocks ``i, f, g, o``, so
:func:`slstm_params_from_torch` is a plain copy and the two forward passes agree to rounding
(tested in float64). Sizes ``B, T, D, H``; batch-first.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from lstm_tutorial.engine.slstm import FORGET_GATES

__all__ = ["SLSTM", "slstm_params_from_torch"]


class SLSTM(nn.Module):
    """An sLSTM layer: ``forward(x)`` with ``x`` ``(B, T, D)`` returns ``(outputs (B, T, H), (h, c, n, m))``.

    Args:
        input_size: ``D``. hidden_size: ``H``.
        forget: ``"exp"`` or ``"sigmoid"`` forget gate.
        forget_bias: initial value of the forget block of ``b`` (the other biases start at 0);
            weights start in PyTorch's LSTM range ``U(-1/sqrt(H), 1/sqrt(H))``.
    """

    def __init__(self, input_size: int, hidden_size: int, *, forget: str = "exp", forget_bias: float = 0.0):
        super().__init__()
        if forget not in FORGET_GATES:
            raise ValueError(f"forget must be one of {FORGET_GATES}, got {forget!r}")
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        self.input_size, self.hidden_size, self.forget = input_size, hidden_size, forget
        k = 1.0 / math.sqrt(hidden_size)
        self.W = nn.Parameter(torch.empty(input_size, 4 * hidden_size).uniform_(-k, k))
        self.U = nn.Parameter(torch.empty(hidden_size, 4 * hidden_size).uniform_(-k, k))
        b = torch.zeros(4 * hidden_size)
        b[hidden_size : 2 * hidden_size] = forget_bias
        self.b = nn.Parameter(b)

    def forward(self, x: torch.Tensor, state=None):
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"x must have shape (B, T, D={self.input_size}), got {tuple(x.shape)}")
        B, T, _ = x.shape
        H = self.hidden_size
        if state is None:
            h, c, n, m = (x.new_zeros(B, H) for _ in range(4))
        else:
            if len(state) != 4 or any(tuple(s.shape) != (B, H) for s in state):
                raise ValueError(f"state must be 4 tensors (h, c, n, m) of shape (B, H) = ({B}, {H})")
            h, c, n, m = state
        xw = x @ self.W + self.b  # (B, T, 4H): the input products of every step at once
        outputs = []
        for t in range(T):
            a = xw[:, t] + h @ self.U  # slstm-cell: pre-activations
            a_i, a_f, a_g, a_o = a.split(H, dim=1)
            log_f = a_f if self.forget == "exp" else nn.functional.logsigmoid(a_f)
            empty = n == 0  # nothing stored yet: mu_t = a_t^(i) (engine.slstm explains why)
            m_new = torch.where(empty, a_i, torch.maximum(log_f + m, a_i))  # slstm-stabilised
            i = torch.exp(a_i - m_new)
            f = torch.where(empty, torch.zeros_like(a_i), torch.exp(torch.clamp(log_f + m - m_new, max=0.0)))
            c = f * c + i * torch.tanh(a_g)
            n = f * n + i
            h = torch.sigmoid(a_o) * (c / n)
            m = m_new
            outputs.append(h)
        return torch.stack(outputs, dim=1), (h, c, n, m)


def slstm_params_from_torch(module: SLSTM) -> dict[str, np.ndarray]:
    """The module's ``W``, ``U``, ``b`` as NumPy arrays for :func:`lstm_tutorial.engine.slstm.slstm_forward`."""
    if not isinstance(module, SLSTM):
        raise TypeError(f"module must be an SLSTM, got {type(module).__name__}")
    return {k: getattr(module, k).detach().cpu().numpy().copy() for k in ("W", "U", "b")}
