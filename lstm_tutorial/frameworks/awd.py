"""The regularisers of an AWD-LSTM language model (Merity, Keskar and Socher 2018), in PyTorch.

Sizes: ``B`` batch, ``T`` time steps, ``H`` hidden units (also the embedding width), ``V``
vocabulary size. Sequences are batch-first.

- :func:`weight_drop`: DropConnect (Wan et al. 2013) on a weight matrix: each entry is zeroed
  with probability ``p`` and the survivors are scaled by ``1 / (1 - p)``. Applied to the
  recurrent matrix ``U`` once per forward call, so one mask serves every time step and every
  sequence of the batch.
- :func:`embedding_dropout`: drops whole rows of the embedding matrix, that is every occurrence
  of a character type in the batch, and scales the kept rows by ``1 / (1 - p)``.
- :func:`activation_penalty` (AR) and :func:`temporal_activation_penalty` (TAR): L2 penalties on
  the LSTM's outputs ``h_t`` and on their changes ``h_t - h_{t-1}``.
- :class:`AWDLanguageModel`: embedding, one ``nn.LSTM``, a softmax layer, with each regulariser
  switched on by its argument; weight tying shares the ``(V, H)`` embedding matrix with the
  softmax layer, which is why the embedding width equals ``H``.
- :func:`awd_loss`: the training objective, cross-entropy plus the two penalties.

All regularisers act only in training mode (``model.train()``); in ``model.eval()`` every one of
them is the identity, so validation and test losses are plain cross-entropies.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

__all__ = [
    "weight_drop",
    "embedding_dropout",
    "activation_penalty",
    "temporal_activation_penalty",
    "AWDOutput",
    "AWDLanguageModel",
    "awd_loss",
]


def _check_p(name: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
        raise ValueError(f"{name} must be a probability in [0, 1), got {p!r}")
    return float(p)


def weight_drop(U: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """DropConnect on a weight: ``U * m / (1 - p)`` with ``m_jk ~ Bernoulli(1 - p)``, one draw per entry.

    The mask is drawn here, once per call; the caller calls it once per batch, so every time step
    of the batch multiplies by the same dropped matrix. At evaluation (``training=False``) or with
    ``p = 0`` it returns ``U`` itself.
    """
    p = _check_p("p", p)
    if not training or p == 0:
        return U
    return F.dropout(U, p, training=True)  # an entry-wise mask on the weight, not on activations


def embedding_dropout(E: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Drop whole rows of the embedding matrix ``E (V, H)``: ``E * m[:, None] / (1 - p)``, ``m_v ~ Bernoulli(1 - p)``.

    A dropped row removes one character type from the whole batch (every occurrence reads a zero
    vector), which is what distinguishes it from dropout on the embedded inputs. Identity at
    evaluation or with ``p = 0``.
    """
    p = _check_p("p", p)
    if not training or p == 0:
        return E
    keep = torch.empty(E.shape[0], 1, dtype=E.dtype, device=E.device).bernoulli_(1 - p)  # (V, 1)
    return E * keep / (1 - p)


def activation_penalty(h: torch.Tensor, alpha: float) -> torch.Tensor:
    """AR: ``alpha * mean(h ** 2)`` over every batch row, time step and unit of ``h (B, T, H)``."""
    return alpha * h.pow(2).mean()


def temporal_activation_penalty(h: torch.Tensor, beta: float) -> torch.Tensor:
    """TAR: ``beta * mean((h_t - h_{t-1}) ** 2)`` over ``t = 2..T``, every row and unit of ``h (B, T, H)``."""
    if h.shape[1] < 2:
        raise ValueError(f"TAR needs at least 2 time steps, got h of shape {tuple(h.shape)}")
    return beta * (h[:, 1:] - h[:, :-1]).pow(2).mean()


class AWDOutput(NamedTuple):
    """What :meth:`AWDLanguageModel.forward` returns."""

    logits: torch.Tensor  # (B, T, V) next-character scores
    h: torch.Tensor  # (B, T, H) the LSTM's outputs h_t, which AR and TAR penalise


class AWDLanguageModel(nn.Module):
    """Character language model: embedding, one LSTM layer, softmax layer, with AWD's regularisers.

    Args:
        vocab_size: ``V``.
        hidden_size: ``H``; the embedding width is ``H`` too, so that tying needs no projection.
        tie_weights: share the embedding matrix ``E (V, H)`` with the softmax layer's weight
            (Press and Wolf 2017; Inan et al. 2017); the softmax keeps its own bias.
        weight_dropout: DropConnect probability on the recurrent matrix ``U`` (``weight_hh_l0``).
        embedding_dropout: probability of dropping a character type (a row of ``E``).

    The LSTM is ``torch.nn.LSTM``; with weight dropout, ``forward`` calls it through
    ``torch.func.functional_call`` with ``weight_hh_l0`` replaced by its dropped copy, so the
    fused kernel runs with one mask for all ``T`` steps. The input matrix ``W``
    (``weight_ih_l0``) and the biases are never dropped.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        *,
        tie_weights: bool = False,
        weight_dropout: float = 0.0,
        embedding_dropout: float = 0.0,
    ):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.weight_dropout = _check_p("weight_dropout", weight_dropout)
        self.embedding_dropout = _check_p("embedding_dropout", embedding_dropout)
        self.tie_weights = bool(tie_weights)
        self.embed = nn.Embedding(vocab_size, hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)
        if self.tie_weights:
            self.head.weight = self.embed.weight  # one (V, H) parameter, two uses

    def recurrent_weight(self) -> torch.Tensor:
        """The ``U`` this forward pass uses: ``weight_hh_l0`` ``(4H, H)``, dropped in training mode."""
        return weight_drop(self.lstm.weight_hh_l0, self.weight_dropout, self.training)

    def forward(self, ids: torch.Tensor) -> AWDOutput:
        """``ids (B, T)`` int64, read from a zero state -> :class:`AWDOutput`."""
        if ids.ndim != 2:
            raise ValueError(f"ids must be (B, T), got shape {tuple(ids.shape)}")
        E = embedding_dropout(self.embed.weight, self.embedding_dropout, self.training)  # (V, H)
        x = F.embedding(ids, E)  # (B, T, H)
        if self.training and self.weight_dropout > 0:
            h, _ = functional_call(self.lstm, {"weight_hh_l0": self.recurrent_weight()}, (x,))
        else:
            h, _ = self.lstm(x)  # (B, T, H)
        return AWDOutput(self.head(h), h)


def awd_loss(out: AWDOutput, targets: torch.Tensor, *, ar_alpha: float = 0.0, tar_beta: float = 0.0) -> torch.Tensor:
    """Mean next-character cross-entropy (nats) plus ``AR(alpha)`` and ``TAR(beta)`` on ``out.h``.

    ``targets (B, T)`` are the ids that follow the inputs. With both coefficients 0 this is the
    plain cross-entropy, the number reported as the loss of every rung.
    """
    V = out.logits.shape[-1]
    loss = F.cross_entropy(out.logits.reshape(-1, V), targets.reshape(-1))
    if ar_alpha:
        loss = loss + activation_penalty(out.h, ar_alpha)
    if tar_beta:
        loss = loss + temporal_activation_penalty(out.h, tar_beta)
    return loss
