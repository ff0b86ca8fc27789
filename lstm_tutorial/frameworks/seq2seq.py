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

Attention (the NumPy forward pass of the same scores is :mod:`lstm_tutorial.engine.rnn_attention`):

- :class:`AdditiveAttention` (Bahdanau, Cho and Bengio 2015) and :class:`MultiplicativeAttention`
  (Luong, Pham and Manning 2015, the "general" score): ``(query, keys, mask) -> (context, weights)``,
  weights exactly 0 on padded source positions; :func:`attention_params_from_torch` reads their
  weights out in the engine's ``x W`` layout.
- :class:`AttentionDecoder`: a :class:`Decoder` whose every step reads all the encoder states
  ``enc.outputs``, one design per score (see the class); :meth:`AttentionDecoder.forward_with_weights`
  and :meth:`AttentionDecoder.step_with_weights` also return the attention weights, and
  :func:`teacher_forced_attention` gives a model's ``(B, T, S)`` alignment for heatmaps.
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
    "source_mask",
    "AdditiveAttention",
    "MultiplicativeAttention",
    "attention_params_from_torch",
    "AttentionDecoder",
    "teacher_forced_attention",
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


# --------------------------------------------------------------------------------------------
# Attention: the decoder looks back at every encoder state.


def source_mask(lengths: torch.Tensor, S: int) -> torch.Tensor:
    """``(B, S)`` boolean, True at the real source positions ``s < lengths[b]``."""
    return torch.arange(S, device=lengths.device)[None, :] < lengths[:, None]


def _masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis (source positions); padded positions get -inf, so weight exactly 0."""
    if mask.dtype != torch.bool or mask.shape != (scores.shape[0], scores.shape[-1]):
        raise ValueError(
            f"mask must be a boolean tensor (B, S) = {(scores.shape[0], scores.shape[-1])}, True = real source "
            f"position, got {mask.dtype} of shape {tuple(mask.shape)}"
        )
    if not bool(mask.any(dim=1).all()):
        b = int(torch.argmin(mask.any(dim=1).to(torch.int8)))
        raise ValueError(f"mask row {b} has no True entry: source {b} has no position to attend to")
    if scores.dim() == 3:
        mask = mask[:, None, :]  # the same source positions for every decoder step
    return scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)


def _read(weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """``context = sum_s weights_s values_s``: ``(B, [T,] S)`` and ``(B, S, Dv)`` -> ``(B, [T,] Dv)``."""
    if weights.dim() == 2:
        return torch.bmm(weights[:, None, :], values)[:, 0]
    return torch.bmm(weights, values)


def _check_query(query: torch.Tensor, keys: torch.Tensor) -> None:
    if query.dim() not in (2, 3) or keys.dim() != 3 or query.shape[0] != keys.shape[0]:
        raise ValueError(
            f"query must be (B, Hq) or (B, T, Hq) and keys (B, S, Hk) with the same B, got query "
            f"{tuple(query.shape)} and keys {tuple(keys.shape)}"
        )


class AdditiveAttention(nn.Module):
    """Bahdanau's additive attention: ``e_s = v^T tanh(q W_q + k_s W_k)``, a softmax over the real positions.

    Args:
        query_size: ``Hq``, the decoder state's size.
        key_size: ``Hk``, the encoder state's size.
        attn_size: ``A``, the width of the score's hidden layer.

    ``W_q``, ``W_k`` and ``v`` are ``nn.Linear`` layers without bias (the engine's ``W_q`` is
    ``W_q.weight.T``; :func:`attention_params_from_torch`).
    """

    def __init__(self, query_size: int, key_size: int, attn_size: int):
        super().__init__()
        self.W_q = nn.Linear(check_int("query_size", query_size), check_int("attn_size", attn_size), bias=False)
        self.W_k = nn.Linear(check_int("key_size", key_size), attn_size, bias=False)
        self.v = nn.Linear(attn_size, 1, bias=False)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """``keys W_k`` ``(B, S, A)``: the same at every decoder step, so a decoder computes it once."""
        return self.W_k(keys)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor, *, projected_keys: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``query (B, [T,] Hq)``, ``keys (B, S, Hk)``, ``mask (B, S)`` (True = real position).

        Returns ``(context (B, [T,] Hk), weights (B, [T,] S))``.
        """
        _check_query(query, keys)
        k = self.project_keys(keys) if projected_keys is None else projected_keys  # (B, S, A)
        q = self.W_q(query)  # (B, [T,] A)
        hidden = torch.tanh(q[:, None, :] + k if q.dim() == 2 else q[:, :, None, :] + k[:, None])  # (B, [T,] S, A)
        scores = self.v(hidden)[..., 0]  # Bahdanau eq. 6 / A.1.2: (B, [T,] S)
        weights = _masked_softmax(scores, mask)
        return _read(weights, keys), weights  # Bahdanau eq. 5


class MultiplicativeAttention(nn.Module):
    """Luong's "general" multiplicative attention: ``e_s = q W k_s^T``, a softmax over the real positions.

    ``W (Hq, Hk)`` is stored as ``nn.Linear(Hq, Hk, bias=False)``, whose ``weight`` is ``W^T``;
    the query is projected once (``q W``) and dotted with every key.
    """

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        self.W = nn.Linear(check_int("query_size", query_size), check_int("key_size", key_size), bias=False)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``query (B, [T,] Hq)``, ``keys (B, S, Hk)``, ``mask (B, S)`` (True = real position).

        Returns ``(context (B, [T,] Hk), weights (B, [T,] S))``.
        """
        _check_query(query, keys)
        qW = self.W(query)  # (B, [T,] Hk)
        scores = _read(qW, keys.transpose(1, 2))  # Luong eq. 8, general: (B, [T,] S)
        weights = _masked_softmax(scores, mask)  # Luong eq. 7
        return _read(weights, keys), weights


def attention_params_from_torch(module: nn.Module) -> dict:
    """The weights of an attention module as NumPy arrays in the layout of :mod:`lstm_tutorial.engine.rnn_attention`."""

    def arr(t):
        return t.detach().cpu().numpy().copy()

    if isinstance(module, AdditiveAttention):
        return {"W_q": arr(module.W_q.weight.T), "W_k": arr(module.W_k.weight.T), "v": arr(module.v.weight[0])}
    if isinstance(module, MultiplicativeAttention):
        return {"W": arr(module.W.weight.T)}
    raise TypeError(f"module must be an AdditiveAttention or MultiplicativeAttention, got {type(module).__name__}")


class AttentionDecoder(Decoder):
    """A :class:`Decoder` that looks back at every encoder state at every step.

    It still starts from the encoder's final state (:meth:`Decoder.init_state`), and reads
    ``enc.outputs`` ``(B, S, H)`` through one of two designs, each the one of its paper:

    - ``score="additive"`` (Bahdanau et al. 2015): *before* the LSTM step, the previous state
      ``h_{t-1}`` asks; the context ``c_t`` is concatenated to the input embedding, so the LSTM
      reads ``[embed(y_{t-1}); c_t]`` (their eq. 4, ``s_t = f(s_{t-1}, y_{t-1}, c_t)``), and the
      head reads ``[h_t; c_t]`` (their ``g(y_{t-1}, s_t, c_t)`` without the ``y_{t-1}`` term).
      The steps must run one after another, so teacher forcing loops over ``T``.
    - ``score="multiplicative"`` (Luong et al. 2015): *after* the LSTM step, ``h_t`` asks; the
      attentional state ``h~_t = tanh([c_t; h_t] W_c)`` (their eq. 5) feeds the head (eq. 6).
      The LSTM never reads the context (no "input feeding"), so under teacher forcing the LSTM
      runs over all ``T`` steps in one call and attention reads them all at once.

    Args:
        vocab_size, embed_dim, hidden_size, pad_id: as :class:`Decoder` (``H`` is also the key size).
        score: ``"additive"`` or ``"multiplicative"``.
        attn_size: ``A`` of the additive score (default ``H``); not used by the multiplicative one.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        *,
        score: str = "additive",
        attn_size: int | None = None,
        pad_id: int = PAD_ID,
    ):
        super().__init__(vocab_size, embed_dim, hidden_size, pad_id=pad_id)
        if score not in ("additive", "multiplicative"):
            raise ValueError(f"score must be 'additive' or 'multiplicative', got {score!r}")
        self.score = score
        H = hidden_size
        if score == "additive":
            self.attention = AdditiveAttention(H, H, H if attn_size is None else attn_size)
            self.lstm = nn.LSTM(embed_dim + H, H, batch_first=True)  # reads [embed(y_{t-1}); c_t]
            self.head = nn.Linear(2 * H, vocab_size)  # reads [h_t; c_t]
        else:
            self.attention = MultiplicativeAttention(H, H)
            self.combine = nn.Linear(2 * H, H, bias=False)  # W_c of Luong eq. 5, on [c_t; h_t]

    def _additive_step(self, emb, state, enc, mask, projected_keys):
        h_prev = state[0][0]  # (B, H): the state before this step asks
        context, weights = self.attention(h_prev, enc.outputs, mask, projected_keys=projected_keys)  # (B, H), (B, S)
        out, state = self.lstm(torch.cat([emb, context], dim=-1)[:, None], state)  # (B, 1, H)
        logits = self.head(torch.cat([out[:, 0], context], dim=-1))  # (B, V)
        return logits, state, weights

    def _multiplicative(self, emb, state, enc, mask):
        out, state = self.lstm(emb, state)  # (B, T, H): no context enters the LSTM
        context, weights = self.attention(out, enc.outputs, mask)  # h_t asks: (B, T, H), (B, T, S)
        h_tilde = torch.tanh(self.combine(torch.cat([context, out], dim=-1)))  # Luong eq. 5
        return self.head(h_tilde), state, weights  # Luong eq. 6 (logits; the softmax is in the loss)

    def step_with_weights(
        self, y_prev: torch.Tensor, state: State, enc: EncoderOutput
    ) -> tuple[torch.Tensor, State, torch.Tensor]:
        """One step: ``(logits (B, V), state, weights (B, S))``, the weights over the source of this step."""
        y_prev = _check_ids("y_prev", y_prev, self.vocab_size, ndim=1)
        mask = source_mask(enc.lengths, enc.outputs.shape[1])
        emb = self.embed(y_prev)  # (B, E)
        if self.score == "additive":
            return self._additive_step(emb, state, enc, mask, None)
        logits, state, weights = self._multiplicative(emb[:, None], state, enc, mask)
        return logits[:, 0], state, weights[:, 0]

    def step(self, y_prev: torch.Tensor, state: State, enc: EncoderOutput) -> tuple[torch.Tensor, State]:
        """One step, as :meth:`Decoder.step`: ``(logits (B, V), state)``."""
        logits, state, _ = self.step_with_weights(y_prev, state, enc)
        return logits, state

    def forward_with_weights(
        self, tgt_in: torch.Tensor, state: State, enc: EncoderOutput
    ) -> tuple[torch.Tensor, State, torch.Tensor]:
        """Teacher forcing over ``tgt_in (B, T)``: ``(logits (B, T, V), state, weights (B, T, S))``.

        The same numbers as :meth:`step_with_weights` on each column in turn (tested).
        """
        tgt_in = _check_ids("tgt_in", tgt_in, self.vocab_size, ndim=2)
        mask = source_mask(enc.lengths, enc.outputs.shape[1])
        emb = self.embed(tgt_in)  # (B, T, E)
        if self.score == "multiplicative":
            return self._multiplicative(emb, state, enc, mask)
        projected = self.attention.project_keys(enc.outputs)  # (B, S, A), once for all steps
        logits, weights = [], []
        for t in range(tgt_in.shape[1]):
            lt, state, wt = self._additive_step(emb[:, t], state, enc, mask, projected)
            logits.append(lt)
            weights.append(wt)
        return torch.stack(logits, dim=1), state, torch.stack(weights, dim=1)

    def forward(self, tgt_in: torch.Tensor, state: State, enc: EncoderOutput) -> tuple[torch.Tensor, State]:
        """Teacher forcing, as :meth:`Decoder.forward`: ``(logits (B, T, V), state)``."""
        logits, state, _ = self.forward_with_weights(tgt_in, state, enc)
        return logits, state


@torch.no_grad()
def teacher_forced_attention(model: Seq2Seq, src: torch.Tensor, src_lengths, tgt_in: torch.Tensor) -> torch.Tensor:
    """The attention weights ``(B, T, S)`` of a :class:`Seq2Seq` with an :class:`AttentionDecoder`,
    reading ``tgt_in`` (the true target, or the model's own greedy output, after ``BOS``)."""
    if not isinstance(model.decoder, AttentionDecoder):
        raise TypeError(f"model.decoder must be an AttentionDecoder, got {type(model.decoder).__name__}")
    enc = model.encoder(src, src_lengths)
    _, _, weights = model.decoder.forward_with_weights(tgt_in, model.decoder.init_state(enc), enc)
    return weights
