"""The small PyTorch models the chapters train, and an LSTM cell written with tensor ops.

Sizes: ``B`` batch, ``T`` time steps, ``D`` input features, ``H`` hidden units, ``V``
vocabulary size, ``C`` classes. All sequences are batch-first, ``(B, T, ...)``.

- :class:`ScratchLSTMCell` and :func:`scratch_lstm`: the book's LSTM equations with torch
  operations and the engine's parameter layout, so autograd can be compared with the
  hand-written backward pass of :func:`lstm_tutorial.engine.fast.lstm_backward`.
- :class:`SequenceRegressor` (many-to-one), :class:`SequenceClassifier` (padded batches
  with lengths), :class:`CharLanguageModel` (many-to-many, with :meth:`~CharLanguageModel.generate`).
- :class:`LastStepReadout` (a per-position model read at the last step) and :class:`TokenLSTM`
  (embedding, LSTM, a head at every position; the masked-language-model baselines).
- The Transformer models are in :mod:`lstm_tutorial.frameworks.transformer`; every model trains
  through :func:`lstm_tutorial.frameworks.training.train_torch`.

Call :func:`lstm_tutorial.seed_everything` after importing torch and before building a
model: initial weights, dropout masks and data shuffling then repeat exactly on CPU.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_tutorial._checks import check_lengths
from lstm_tutorial.engine.params import init_lstm_params

__all__ = [
    "ScratchLSTMCell",
    "scratch_lstm",
    "SequenceRegressor",
    "SequenceClassifier",
    "sample_from_logits",
    "CharLanguageModel",
    "LastStepReadout",
    "TokenLSTM",
]

_RNNS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def _recurrent(
    cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float, bidirectional: bool = False
) -> nn.RNNBase:
    if cell not in _RNNS:
        raise ValueError(f"cell must be one of {sorted(_RNNS)}, got {cell!r}")
    # PyTorch warns when dropout is set on a single layer (it only acts between layers).
    return _RNNS[cell](
        input_size,
        hidden_size,
        num_layers=num_layers,
        batch_first=True,
        dropout=dropout if num_layers > 1 else 0.0,
        bidirectional=bidirectional,
    )


class ScratchLSTMCell(nn.Module):
    """One LSTM step written with torch operations, in the NumPy engine's layout.

    With the pre-activation ``a_t = x_t W + h_{t-1} U + b`` split into four blocks of ``H``::

        i_t = sigmoid(a_i)    f_t = sigmoid(a_f)    g_t = tanh(a_g)    o_t = sigmoid(a_o)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    ``*`` is the element-wise product. Parameters: ``W (D, 4H)``, ``U (H, 4H)``, ``b (4H,)``,
    blocks ordered ``i, f, g, o``: the dictionary of
    :func:`lstm_tutorial.engine.params.init_lstm_params` loads into it unchanged. Nothing here
    computes a gradient: autograd derives them, and the tests check that they equal the
    ones :func:`lstm_tutorial.engine.fast.lstm_backward` computes by hand.

    Args:
        input_size: ``D``.
        hidden_size: ``H``.
        forget_bias: initial value of the forget block of ``b``.
        seed: seed of the engine initialiser, so ``ScratchLSTMCell(D, H, seed=s)`` starts
            from exactly ``init_lstm_params(D, H, seed=s)``.
        dtype: ``torch.float32`` or ``torch.float64``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        forget_bias: float = 1.0,
        seed: int | None = None,
        dtype: torch.dtype = torch.float32,
    ):
        super().__init__()
        np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
        p = init_lstm_params(input_size, hidden_size, forget_bias=forget_bias, seed=seed, dtype=np_dtype)
        self.input_size, self.hidden_size = input_size, hidden_size
        self.W = nn.Parameter(torch.from_numpy(np.array(p["W"])))
        self.U = nn.Parameter(torch.from_numpy(np.array(p["U"])))
        self.b = nn.Parameter(torch.from_numpy(np.array(p["b"])))

    @classmethod
    def from_params(cls, params: dict, dtype: torch.dtype | None = None) -> ScratchLSTMCell:
        """Build a cell holding copies of engine params ``W (D, 4H)``, ``U (H, 4H)``, ``b (4H,)``.

        ``dtype`` defaults to the dtype of ``params['W']``.
        """
        W = np.asarray(params["W"])
        if W.ndim != 2 or W.shape[1] % 4:
            raise ValueError(f"params['W'] must have shape (D, 4H), got {W.shape}")
        dtype = dtype or torch.from_numpy(W[:0]).dtype
        cell = cls(W.shape[0], W.shape[1] // 4, dtype=dtype)
        cell.load_params(params)
        return cell

    def load_params(self, params: dict) -> ScratchLSTMCell:
        """Copy engine params ``W (D, 4H)``, ``U (H, 4H)``, ``b (4H,)`` into this cell; returns ``self``."""
        with torch.no_grad():
            for name in ("W", "U", "b"):
                target = getattr(self, name)
                value = np.asarray(params[name])
                if value.shape != tuple(target.shape):
                    raise ValueError(
                        f"params[{name!r}] has shape {value.shape} but "
                        f"ScratchLSTMCell.{name} needs shape {tuple(target.shape)}"
                    )
                target.copy_(torch.from_numpy(np.array(value)).to(target.dtype))
        return self

    def params(self) -> dict[str, np.ndarray]:
        """Copies of the parameters as NumPy arrays: ``W (D, 4H)``, ``U (H, 4H)``, ``b (4H,)``."""
        return {name: getattr(self, name).detach().cpu().numpy().copy() for name in ("W", "U", "b")}

    def forward(
        self, x_t: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: ``x_t (B, D)``, ``state = (h_prev, c_prev)`` each ``(B, H)`` or ``None`` (zeros).

        Returns ``(h_t, c_t)``, each ``(B, H)``.
        """
        B, H = x_t.shape[0], self.hidden_size
        if state is None:
            zeros = x_t.new_zeros(B, H)
            state = (zeros, zeros)
        h_prev, c_prev = state
        a = x_t @ self.W + h_prev @ self.U + self.b  # (B, 4H), gates-preact
        a_i, a_f, a_g, a_o = a.split(H, dim=1)  # each (B, H)
        i, f, g, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)  # gates-gates
        c = f * c_prev + i * g  # (B, H), gates-cell
        h = o * torch.tanh(c)  # (B, H), gates-hidden
        return h, c


def scratch_lstm(
    x: torch.Tensor, cell: ScratchLSTMCell, state: tuple[torch.Tensor, torch.Tensor] | None = None
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Unroll ``cell`` over ``x (B, T, D)`` from ``state = (h_0, c_0)`` (each ``(B, H)``, default zeros).

    Returns ``(outputs, (h_T, c_T))``: ``outputs (B, T, H)`` stacks every ``h_t``; the same
    contract as :func:`lstm_tutorial.engine.fast.lstm_forward` minus the cache, which autograd
    keeps for itself.
    """
    outputs = []
    for t in range(x.shape[1]):
        state = cell(x[:, t], state)
        outputs.append(state[0])
    return torch.stack(outputs, dim=1), state


class SequenceRegressor(nn.Module):
    """Many-to-one regression: a recurrent stack, then a linear map of the last hidden state.

    ``forward(x)`` maps ``x (B, T, D)`` to ``y (B, output_size)``; ``y = h_T W_y + b_y``
    with ``h_T`` the top layer's last hidden state.

    Args:
        input_size: ``D``.
        hidden_size: ``H``.
        num_layers: stacked recurrent layers.
        dropout: dropout between stacked layers (PyTorch's ``nn.LSTM`` semantics; ignored
            when ``num_layers == 1``).
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"`` (tanh).
        output_size: width of the prediction.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        cell: str = "lstm",
        output_size: int = 1,
    ):
        super().__init__()
        self.rnn = _recurrent(cell, input_size, hidden_size, num_layers, dropout)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (B, T, D)`` -> predictions ``(B, output_size)``."""
        outputs, _ = self.rnn(x)  # (B, T, H)
        return self.head(outputs[:, -1])  # (B, output_size)


class SequenceClassifier(nn.Module):
    """Sequence classification over padded batches of different lengths.

    The padded batch is packed with ``pack_padded_sequence``, so each sequence stops at its
    own length and the classifier reads the hidden state after its last real step (both
    directions' final states, concatenated, if ``bidirectional``). Logits ``(B, C)``.

    Args:
        input_size: ``D``, the feature size of each step (the embedding size if
            ``vocab_size`` is given).
        hidden_size: ``H``.
        num_classes: ``C``.
        num_layers, dropout, cell: as in :class:`SequenceRegressor`.
        bidirectional: read each sequence in both directions.
        vocab_size: if given, inputs are token ids ``(B, T)`` embedded to ``input_size``
            (id 0 is padding).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_classes: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        cell: str = "lstm",
        bidirectional: bool = False,
        vocab_size: int | None = None,
    ):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, input_size, padding_idx=0) if vocab_size else None
        self.rnn = _recurrent(cell, input_size, hidden_size, num_layers, dropout, bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``x (B, T, D)`` (or ids ``(B, T)``) and ``lengths (B,)`` -> logits ``(B, C)``.

        ``lengths=None`` treats every sequence as full length ``T``.
        """
        expected = 2 if self.embed is not None else 3
        if x.ndim != expected:
            raise ValueError(f"x must be {'ids (B, T)' if expected == 2 else '(B, T, D)'}, got shape {tuple(x.shape)}")
        if expected == 3 and x.shape[2] != self.rnn.input_size:
            raise ValueError(f"x must have D = {self.rnn.input_size} features per step, got shape {tuple(x.shape)}")
        if self.embed is not None:
            x = self.embed(x)  # (B, T, D)
        B, T = x.shape[:2]
        if lengths is None:
            lengths = torch.full((B,), T, dtype=torch.long)
        lengths = torch.from_numpy(check_lengths("lengths", lengths, B, T))  # each in 1..T
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state  # (layers * directions, B, H)
        last = h_n[-2:].transpose(0, 1).reshape(B, -1) if self.rnn.bidirectional else h_n[-1]  # (B, H or 2H)
        return self.head(last)


def sample_from_logits(
    logits: torch.Tensor, temperature: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw one id per row from ``softmax(logits / temperature)``; ``logits (..., V)`` -> ids ``(...)``.

    ``temperature -> 0`` approaches greedy decoding (``temperature == 0`` is exactly argmax);
    ``temperature > 1`` flattens the distribution.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])


class CharLanguageModel(nn.Module):
    """Many-to-many language model: embedding, recurrent stack, logits at every step.

    ``forward(ids, state)`` returns the next-token logits at every position and the final
    state, which the caller passes back in (detached) for truncated BPTT over a long text.

    Args:
        vocab_size: ``V``.
        embed_dim: size of the embedding (the recurrent layer's ``D``).
        hidden_size: ``H``.
        num_layers, dropout, cell: as in :class:`SequenceRegressor`.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        cell: str = "lstm",
    ):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.rnn = _recurrent(cell, embed_dim, hidden_size, num_layers, dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """``ids (B, T)`` -> ``(logits (B, T, V), state)``.

        ``state`` is the framework's: ``(h, c)`` each ``(num_layers, B, H)`` for an LSTM, a
        single ``(num_layers, B, H)`` tensor for a GRU or RNN; ``None`` means zeros.
        """
        outputs, state = self.rnn(self.embed(ids), state)  # (B, T, H)
        return self.head(outputs), state

    @torch.no_grad()
    def generate(
        self, prompt: Iterable[int], steps: int, *, temperature: float = 1.0, generator: torch.Generator | None = None
    ) -> list[int]:
        """Continue ``prompt`` (a non-empty sequence of ids) by ``steps`` sampled ids.

        The prompt is read once to warm up the state, then each sampled id is fed back.
        Returns the prompt followed by the new ids, as a list of ``len(prompt) + steps`` ints.
        """
        ids = [int(i) for i in prompt]
        if not ids:
            raise ValueError("prompt must hold at least one id")
        was_training = self.training
        self.eval()
        device = self.head.weight.device
        logits, state = self(torch.tensor([ids], device=device))  # (1, len(prompt), V)
        for _ in range(steps):
            nxt = int(sample_from_logits(logits[0, -1], temperature, generator))
            ids.append(nxt)
            logits, state = self(torch.tensor([[nxt]], device=device), state)
        self.train(was_training)
        return ids


class LastStepReadout(nn.Module):
    """The output of a per-position model at the last position: ``(B, T, ...) -> (B, ...)``.

    Wraps a model that maps ids ``(B, T)`` to logits at every step (``core``), for tasks whose
    answer is due at the final token (reason recall: the query).
    """

    def __init__(self, core: nn.Module):
        super().__init__()
        self.core = core

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (B, T)`` ids -> ``(B, n_outputs)``, the core's output at step ``T``."""
        return self.core(x)[:, -1]


class TokenLSTM(nn.Module):
    """Embedding, one LSTM layer (both directions if ``bidirectional``), a linear head at every position.

    ``forward(ids)`` maps ids ``(B, T)`` to logits ``(B, T, n_outputs)``. Left to right, the output
    at ``t`` has read positions ``0..t``; bidirectional, it has read the whole window (the two
    directions' states at ``t`` are concatenated, ``2H`` features). The masked-language-model
    baselines of ``bert``.
    """

    def __init__(
        self, vocab_size: int, embed_dim: int, hidden_size: int, n_outputs: int, *, bidirectional: bool = False
    ):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), n_outputs)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """``ids (B, T)`` -> logits ``(B, T, n_outputs)``."""
        out, _ = self.lstm(self.embed(ids))  # (B, T, H) or (B, T, 2H)
        return self.head(out)
