"""The encoder-decoder LSTM in PyTorch: an encoder reads the source, its final state starts a decoder.

Sizes: ``B`` batch, ``S`` padded source length, ``T`` decoder steps, ``E`` embedding width,
``H`` hidden units, ``V`` vocabulary size (source and target may differ). Ids are int64,
batch-first; ``PAD = 0``, ``BOS = 1``, ``EOS = 2`` as in :mod:`lstm_tutorial.data.seq2seq`.

- :class:`Encoder`: embedding and ``nn.LSTM``; packs the padded sources with
  ``pack_padded_sequence``, so each source stops at its own length. Returns an
  :class:`EncoderOutput`: every hidden state (for attention, later) and the final state
  ``(h_S, c_S)`` of each source.
- :class:`Decoder`: embedding, ``nn.LSTM`` and a linear head. :meth:`Decoder.init_state`
  takes the encoder's final state as its own initial state; :meth:`Decoder.step` runs one
  step from one input token; :meth:`Decoder.forward` runs all the steps of a teacher-forced
  target at once. Both read the :class:`EncoderOutput`, which this decoder uses only through
  ``init_state``: a decoder with attention overrides ``step`` and ``forward`` and reads
  ``enc.outputs`` there.
- :class:`Seq2Seq`: the two together. ``forward`` is teacher forcing (the decoder reads the
  true previous token); :meth:`Seq2Seq.greedy_decode` runs free (the decoder reads its own
  previous prediction), through :func:`greedy_loop`, which takes any step function.
- :func:`seq2seq_loss`: cross-entropy over the real target tokens (``PAD`` ignored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_tutorial._checks import check_int

__all__ = [
    "PAD_ID",
    "BOS_ID",
    "EOS_ID",
    "EncoderOutput",
    "Encoder",
    "Decoder",
    "Seq2Seq",
    "greedy_loop",
    "seq2seq_loss",
]

PAD_ID, BOS_ID, EOS_ID = 0, 1, 2

State = tuple[torch.Tensor, torch.Tensor]


class EncoderOutput(NamedTuple):
    """What the encoder hands to the decoder.

    ``outputs (B, S, H)``: ``h_1 .. h_S`` of each source, zeros after its length;
    ``lengths (B,)``: the source lengths; ``state``: ``(h, c)``, each ``(1, B, H)``, the state
    after each source's *last real* token.
    """

    outputs: torch.Tensor
    lengths: torch.Tensor
    state: State


def _check_ids(name: str, ids, V: int, *, ndim: int) -> torch.Tensor:
    if not isinstance(ids, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of token ids, got {type(ids).__name__}")
    if ids.dim() != ndim or ids.dtype not in (torch.int64, torch.int32):
        want = "(B, S)" if ndim == 2 else "(B,)"
        raise ValueError(f"{name} must be an integer tensor of shape {want}, got shape {tuple(ids.shape)}, {ids.dtype}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= V):
        bad = ids[(ids < 0) | (ids >= V)][0]
        raise ValueError(f"{name} holds id {int(bad)}, outside the vocabulary 0..{V - 1}")
    return ids


def _check_lengths(name: str, lengths, B: int, S: int) -> torch.Tensor:
    lengths = torch.as_tensor(lengths)
    if lengths.shape != (B,) or lengths.is_floating_point():
        raise ValueError(f"{name} must be an integer tensor of shape ({B},), one length per source, got {lengths}")
    if int(lengths.min()) < 1:
        k = int(torch.argmin(lengths))
        raise ValueError(f"{name}[{k}] is {int(lengths[k])}: source {k} is empty, the encoder needs at least one token")
    if int(lengths.max()) > S:
        k = int(torch.argmax(lengths))
        raise ValueError(f"{name}[{k}] is {int(lengths[k])}, longer than the padded source length S = {S}")
    return lengths


class Encoder(nn.Module):
    """Embedding and one ``nn.LSTM`` layer over padded sources of different lengths.

    Args:
        vocab_size: ``V`` of the source.
        embed_dim: ``E``, the LSTM's input size.
        hidden_size: ``H``.
        pad_id: the padding id; its embedding is held at zero (``padding_idx``), and packing
            keeps padded steps out of the LSTM altogether.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, *, pad_id: int = PAD_ID):
        super().__init__()
        self.vocab_size = check_int("vocab_size", vocab_size, 2)
        self.embed = nn.Embedding(vocab_size, check_int("embed_dim", embed_dim), padding_idx=pad_id)
        self.lstm = nn.LSTM(embed_dim, check_int("hidden_size", hidden_size), batch_first=True)

    def forward(self, src: torch.Tensor, lengths) -> EncoderOutput:
        """``src (B, S)`` ids and ``lengths (B,)`` -> :class:`EncoderOutput`."""
        src = _check_ids("src", src, self.vocab_size, ndim=2)
        B, S = src.shape
        lengths = _check_lengths("src_lengths", lengths, B, S)
        x = self.embed(src)  # (B, S, E)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.lstm(packed)  # state: (h, c) after each source's own last token, (1, B, H)
        outputs, _ = pad_packed_sequence(out, batch_first=True, total_length=S)  # (B, S, H), zeros after L
        return EncoderOutput(outputs, lengths, state)


class Decoder(nn.Module):
    """Embedding, one ``nn.LSTM`` layer and a linear head: next-token logits from the previous token.

    The decoder's initial state is the encoder's final state (:meth:`init_state`); from there,
    each step reads one token ``y_{t-1}`` and gives logits for ``y_t``.

    Args:
        vocab_size: ``V`` of the target.
        embed_dim: ``E``.
        hidden_size: ``H``, equal to the encoder's (the state is handed over as it is).
        pad_id: the padding id (embedding held at zero).
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, *, pad_id: int = PAD_ID):
        super().__init__()
        self.vocab_size = check_int("vocab_size", vocab_size, 3)
        self.embed = nn.Embedding(vocab_size, check_int("embed_dim", embed_dim), padding_idx=pad_id)
        self.lstm = nn.LSTM(embed_dim, check_int("hidden_size", hidden_size), batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def init_state(self, enc: EncoderOutput) -> State:
        """The decoder starts from the encoder's final state ``(h_S, c_S)``: all it knows of the source."""
        return enc.state

    def step(self, y_prev: torch.Tensor, state: State, enc: EncoderOutput) -> tuple[torch.Tensor, State]:
        """One step: ``y_prev (B,)`` ids and ``state`` ``(h, c)`` each ``(1, B, H)`` -> ``(logits (B, V), state)``.

        ``enc`` is unused here (the state already carries the source); an attention decoder reads it.
        """
        y_prev = _check_ids("y_prev", y_prev, self.vocab_size, ndim=1)
        out, state = self.lstm(self.embed(y_prev)[:, None], state)  # (B, 1, H)
        return self.head(out[:, 0]), state  # (B, V)

    def forward(self, tgt_in: torch.Tensor, state: State, enc: EncoderOutput) -> tuple[torch.Tensor, State]:
        """All steps at once: ``tgt_in (B, T)`` ids -> ``(logits (B, T, V), state)``.

        The same numbers as calling :meth:`step` on each column of ``tgt_in`` in turn (tested),
        in one ``nn.LSTM`` call. Positions after a target's end read padding; their logits are
        ignored by :func:`seq2seq_loss` and cannot reach earlier positions.
        """
        tgt_in = _check_ids("tgt_in", tgt_in, self.vocab_size, ndim=2)
        out, state = self.lstm(self.embed(tgt_in), state)  # (B, T, H)
        return self.head(out), state  # (B, T, V)


def greedy_loop(
    step: Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]],
    state: Any,
    batch_size: int,
    max_len: int,
    *,
    bos_id: int = BOS_ID,
    eos_id: int = EOS_ID,
    pad_id: int = PAD_ID,
) -> torch.Tensor:
    """Free-running greedy decoding with any step function ``step(y_prev (B,), state) -> (logits (B, V), state)``.

    Starts from ``BOS``, feeds each step's most likely token back as the next input, and stops
    when every row has produced ``EOS`` or after ``max_len`` steps. Returns ids ``(B, max_len)``:
    each row's tokens up to and including its ``EOS``, then ``pad_id``.
    """
    batch_size = check_int("batch_size", batch_size, 1)
    max_len = check_int("max_len", max_len, 1)
    y = torch.full((batch_size,), bos_id, dtype=torch.long)
    out = torch.full((batch_size, max_len), pad_id, dtype=torch.long)
    done = torch.zeros(batch_size, dtype=torch.bool)
    for t in range(max_len):
        logits, state = step(y, state)  # (B, V)
        y = logits.argmax(dim=-1)  # (B,): the model's own prediction becomes the next input
        out[:, t] = torch.where(done, pad_id, y)
        done |= y == eos_id
        if bool(done.all()):
            break
    return out


class Seq2Seq(nn.Module):
    """An :class:`Encoder` and a :class:`Decoder`, joined by the encoder's final state.

    ``forward(src, src_lengths, tgt_in)`` is teacher forcing: logits ``(B, T, V)`` for every
    position of a known target, from the true previous tokens. :meth:`greedy_decode` runs the
    decoder on its own predictions.
    """

    def __init__(self, encoder: Encoder, decoder: Decoder, *, bos_id: int = BOS_ID, eos_id: int = EOS_ID):
        super().__init__()
        if encoder.lstm.hidden_size != decoder.lstm.hidden_size:
            raise ValueError(
                f"the decoder starts from the encoder's state, so their hidden sizes must match; got encoder "
                f"H = {encoder.lstm.hidden_size}, decoder H = {decoder.lstm.hidden_size}"
            )
        self.encoder, self.decoder = encoder, decoder
        self.bos_id, self.eos_id = bos_id, eos_id

    def forward(self, src: torch.Tensor, src_lengths, tgt_in: torch.Tensor) -> torch.Tensor:
        """``src (B, S)``, ``src_lengths (B,)``, ``tgt_in (B, T)`` (``BOS`` + target) -> logits ``(B, T, V)``."""
        enc = self.encoder(src, src_lengths)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"tgt_in has {tgt_in.shape[0]} rows but src has {src.shape[0]}; one target per source")
        logits, _ = self.decoder(tgt_in, self.decoder.init_state(enc), enc)
        return logits

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, src_lengths, max_len: int) -> torch.Tensor:
        """Encode, then decode greedily from ``BOS`` for at most ``max_len`` steps: ids ``(B, max_len)``.

        Each row holds the predicted tokens up to and including ``EOS``, then ``PAD``.
        """
        enc = self.encoder(src, src_lengths)
        return greedy_loop(
            lambda y, state: self.decoder.step(y, state, enc),
            self.decoder.init_state(enc),
            src.shape[0],
            max_len,
            bos_id=self.bos_id,
            eos_id=self.eos_id,
        )


def seq2seq_loss(logits: torch.Tensor, tgt_out: torch.Tensor, *, pad_id: int = PAD_ID) -> torch.Tensor:
    """Mean cross-entropy over the real target tokens: ``logits (B, T, V)``, ``tgt_out (B, T)``; PAD ignored."""
    if logits.shape[:2] != tgt_out.shape:
        raise ValueError(f"logits (B, T, V) = {tuple(logits.shape)} do not fit tgt_out (B, T) = {tuple(tgt_out.shape)}")
    return nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=pad_id)
