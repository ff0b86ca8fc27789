"""Initialising PyTorch recurrent layers the way the book's experiments need: the forget-gate bias.

PyTorch initialises every weight and bias of ``nn.LSTM`` from ``U(-1/sqrt(H), 1/sqrt(H))``, so
its forget gate starts near half closed, ``sigma(b_f) ~ 0.5``; Keras sets the forget block to 1
(see the forget-bias section of the book's ``forward`` chapter). :func:`set_forget_bias` sets it
to any value, the one home for that in the package.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["set_forget_bias"]


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
