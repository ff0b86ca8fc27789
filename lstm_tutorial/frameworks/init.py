"""Initialising PyTorch recurrent layers the way the book's experiments need: the forget-gate bias.

PyTorch initialises every weight and bias of ``nn.LSTM`` from ``U(-1/sqrt(H), 1/sqrt(H))``, so
its forget gate starts near half closed, ``sigma(b_f) ~ 0.5``; Keras sets the forget block to 1
(see the forget-bias section of the book's ``forward`` chapter). :func:`set_forget_bias` sets it
to any value, the one home for that in the package. :func:`set_chrono_bias` is the chrono
initialisation of Tallec and Ollivier (2018), and :func:`fix_forget_gate_open` turns the layer into
the 1997 cell without a forget gate (``f_t = 1`` exactly).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["set_forget_bias", "set_chrono_bias", "fix_forget_gate_open", "FORGET_GATE_OPEN_BIAS"]

#: forget pre-activation of :func:`fix_forget_gate_open`: sigma(100) rounds to exactly 1.0 in
#: float32 and float64 (exp(-100) ~ 4e-44 is below half an ulp of 1 in both)
FORGET_GATE_OPEN_BIAS = 100.0


def _check_lstm(lstm) -> None:
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"lstm must be a torch.nn.LSTM, got {type(lstm).__name__}")
    if not lstm.bias:
        raise ValueError("lstm was built with bias=False: it has no forget-gate bias to set")


def _suffixes(lstm: nn.LSTM) -> list[str]:
    return [f"_l{n}{d}" for n in range(lstm.num_layers) for d in ("", "_reverse")[: 2 if lstm.bidirectional else 1]]


def set_forget_bias(lstm: nn.LSTM, value: float) -> nn.LSTM:
    """Set the forget-gate bias of every layer and direction of ``lstm`` to ``value``; returns ``lstm``.

    PyTorch adds two bias vectors, ``bias_ih`` and ``bias_hh``. With the gate order i | f | g | o
    the forget block is rows ``H:2H``: it is set to ``value`` in ``bias_ih`` and to 0 in
    ``bias_hh``, so the bias the gate sees is exactly ``value``.
    """
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"lstm must be a torch.nn.LSTM, got {type(lstm).__name__}")
    if not lstm.bias:
        raise ValueError("lstm was built with bias=False: it has no forget-gate bias to set")
    H = lstm.hidden_size
    suffixes = [f"_l{n}{d}" for n in range(lstm.num_layers) for d in ("", "_reverse")[: 2 if lstm.bidirectional else 1]]
    with torch.no_grad():
        for s in suffixes:
            getattr(lstm, f"bias_ih{s}")[H : 2 * H] = value
            getattr(lstm, f"bias_hh{s}")[H : 2 * H] = 0.0
    return lstm


def set_chrono_bias(lstm: nn.LSTM, T_max: float, generator: torch.Generator | None = None) -> nn.LSTM:
    """Chrono initialisation (Tallec and Ollivier 2018): ``b_f ~ log U(1, T_max - 1)``, ``b_i = -b_f``.

    Each unit's forget gate then starts at ``sigma(b_f)``, a memory time scale
    ``1 / (1 - sigma(b_f)) = 1 + e^{b_f}`` spread between 2 and ``T_max`` steps, and its input
    gate at ``sigma(-b_f) = 1 - sigma(b_f)``. As in :func:`set_forget_bias` the values go into
    ``bias_ih`` (blocks ``0:H`` for ``i``, ``H:2H`` for ``f``) and the same blocks of ``bias_hh``
    are set to 0. Draws use ``generator`` (torch's global one when ``None``). Returns ``lstm``.
    """
    _check_lstm(lstm)
    if isinstance(T_max, bool) or not isinstance(T_max, (int, float)) or not T_max > 2:
        raise ValueError(f"T_max must be a number > 2 (the longest dependency, in steps), got {T_max!r}")
    H = lstm.hidden_size
    with torch.no_grad():
        for s in _suffixes(lstm):
            b_ih, b_hh = getattr(lstm, f"bias_ih{s}"), getattr(lstm, f"bias_hh{s}")
            u = torch.rand(H, generator=generator, dtype=torch.float64) * (T_max - 2) + 1  # U(1, T_max - 1)
            b_f = torch.log(u).to(b_ih.dtype)
            b_ih[H : 2 * H] = b_f
            b_ih[:H] = -b_f
            b_hh[: 2 * H] = 0.0
    return lstm


def _zero_forget_rows(H: int):
    def hook(grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        grad[H : 2 * H] = 0.0
        return grad

    return hook


def fix_forget_gate_open(lstm: nn.LSTM) -> nn.LSTM:
    """Make every layer of ``lstm`` the 1997 cell without a forget gate: ``f_t = 1`` exactly.

    ``torch.nn.LSTM`` always computes ``f_t = sigma(x_t W_f + h_{t-1} U_f + b_f)``. Here the
    forget rows ``H:2H`` of ``weight_ih`` and ``weight_hh`` are set to 0 and the forget block of
    the bias to :data:`FORGET_GATE_OPEN_BIAS` (``bias_ih``; ``bias_hh`` 0), so the pre-activation
    is exactly 100 whatever the input and ``sigma(100)`` rounds to 1.0: ``c_t = c_{t-1} + i_t g_t``.
    The gate's gradient ``f (1 - f)`` is then exactly 0; gradient hooks also zero those rows of
    the four parameters' gradients, so no optimiser can move them. Returns ``lstm``.
    """
    _check_lstm(lstm)
    H = lstm.hidden_size
    with torch.no_grad():
        for s in _suffixes(lstm):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                p = getattr(lstm, f"{name}{s}")
                p[H : 2 * H] = FORGET_GATE_OPEN_BIAS if name == "bias_ih" else 0.0
                p.register_hook(_zero_forget_rows(H))
    return lstm
