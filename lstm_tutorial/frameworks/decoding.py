"""Decoding a trained decoder: greedy, beam search with length normalisation, and sampling.

Every function here drives a *step function*, the interface of
:func:`lstm_tutorial.frameworks.seq2seq.greedy_loop`::

    step(y_prev (N,), state) -> (logits (N, V), state)

``N`` rows are decoded side by side (sources, or the hypotheses of a beam), ``V`` is the target
vocabulary. The step function knows nothing of the search, so the same code decodes the plain
:class:`~lstm_tutorial.frameworks.seq2seq.Decoder` and the
:class:`~lstm_tutorial.frameworks.seq2seq.AttentionDecoder`, and a test can replace the model
by a hand-made step function whose log-probabilities are known. Beam search also needs
``reorder(state, index) -> state``, which keeps the rows ``index (N',)`` of a state (a beam
drops some hypotheses and copies others); :func:`seq2seq_start` gives the step function, the
start state and the reorder of a :class:`~lstm_tutorial.frameworks.seq2seq.Seq2Seq` model.

- :func:`greedy_decode`: the most likely token at every step (``greedy_loop``, re-exported here).
- :func:`beam_search`: the ``K`` best hypotheses found, ranked by ``log p(y | x) / |y|^alpha``
  (``alpha = 0``: the raw log-probability; ``alpha = 1``: the mean log-probability per token).
- :func:`sample`: ancestral sampling with a temperature and an optional top-``k`` cut, from a
  seeded ``torch.Generator`` (never the global generator).
- :func:`sequence_log_prob`: ``log p(y | x)`` of given outputs under teacher forcing, to score a
  reference and a decoded output with the same model.
- :func:`table_step`: a hand-made step function that reads its next-token probabilities from a
  table, for tests and worked examples whose every probability is known.

All log-probabilities are computed in float64 (``log_softmax`` of the logits), whatever the
model's dtype. Ids follow :mod:`lstm_tutorial.data.seq2seq`: ``PAD = 0``, ``BOS = 1``, ``EOS = 2``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch

from lstm_tutorial._checks import check_int
from lstm_tutorial.frameworks.seq2seq import BOS_ID, EOS_ID, PAD_ID, EncoderOutput, Seq2Seq, greedy_loop

__all__ = [
    "StepFn",
    "Hypothesis",
    "seq2seq_start",
    "reorder_seq2seq_state",
    "greedy_decode",
    "length_penalty",
    "beam_search",
    "sample",
    "sequence_log_prob",
    "table_step",
]

#: ``step(y_prev (N,), state) -> (logits (N, V), state)``
StepFn = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]

#: greedy decoding of ``N`` rows at once: ``greedy_decode(step, state, N, max_len) -> ids (N, max_len)``
greedy_decode = greedy_loop


class Hypothesis(NamedTuple):
    """One output of :func:`beam_search`.

    ``tokens``: the generated ids, ending with ``EOS`` if ``finished`` (``BOS`` not included);
    ``log_prob``: ``log p(tokens | x)``, the sum of the step log-probabilities; ``score``: the
    rank key, ``log_prob / len(tokens) ** alpha``; ``finished``: False if the search reached
    ``max_len`` before this hypothesis produced ``EOS``.
    """

    tokens: tuple[int, ...]
    log_prob: float
    score: float
    finished: bool


def _select(state: Any, index: torch.Tensor, dim: int) -> Any:
    """Rows ``index`` (along ``dim``) of every tensor in a tensor or a (named) tuple of them."""
    if isinstance(state, torch.Tensor):
        return state.index_select(dim, index)
    if isinstance(state, tuple):
        parts = [_select(s, index, dim) for s in state]
        return type(state)(*parts) if hasattr(state, "_fields") else tuple(parts)
    raise TypeError(f"state must hold tensors and tuples only, got {type(state).__name__}")


def reorder_seq2seq_state(state: tuple, index: torch.Tensor) -> tuple:
    """Keep rows ``index (N',)`` of the state of :func:`seq2seq_start`: ``((h, c), enc)``.

    ``h`` and ``c`` are ``(1, N, H)`` (rows on dim 1); the :class:`EncoderOutput` is batch-first
    (rows on dim 0), except its ``state``, which is ``(1, N, H)`` too.
    """
    (h, c), enc = state
    kept = EncoderOutput(_select(enc.outputs, index, 0), _select(enc.lengths, index, 0), _select(enc.state, index, 1))
    return (_select((h, c), index, 1), kept)


@torch.no_grad()
def seq2seq_start(model: Seq2Seq, src: torch.Tensor, src_lengths) -> tuple[StepFn, tuple, Callable]:
    """``(step, state, reorder)`` to decode ``src (B, S)`` with a trained :class:`Seq2Seq`.

    The encoder runs once here (so an empty source or an id outside the source vocabulary
    raises its ``ValueError`` at once); the state is ``((h, c), enc)``, carrying the encoder's
    output along, so an attention decoder reads the right source rows after a beam reorders.
    """
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model must be a Seq2Seq, got {type(model).__name__}")
    model.eval()
    enc = model.encoder(src, src_lengths)

    def step(y_prev: torch.Tensor, state: tuple) -> tuple[torch.Tensor, tuple]:
        dec_state, enc = state
        with torch.no_grad():
            logits, dec_state = model.decoder.step(y_prev, dec_state, enc)  # (N, V)
        return logits, (dec_state, enc)

    return step, (model.decoder.init_state(enc), enc), reorder_seq2seq_state


def length_penalty(length: int, alpha: float) -> float:
    """``|y|^alpha``, the divisor of a hypothesis' log-probability in :func:`beam_search`.

    ``alpha = 0`` ranks by ``log p(y | x)`` itself, which favours short outputs (every token
    multiplies in a probability below 1); ``alpha = 1`` ranks by the mean log-probability per
    token. Wu et al. (2016) use ``((5 + |y|) / 6)^alpha`` instead, a gentler curve of the same idea.
    """
    return float(length) ** alpha


def _check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 10:
        raise ValueError(f"alpha must be a number in [0, 10] (0 = no length normalisation), got {alpha!r}")
    return float(alpha)


def _log_probs(logits: torch.Tensor, rows: int, name: str = "the step function's logits") -> torch.Tensor:
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] != rows:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"{name} must be a tensor (N, V) with N = {rows} rows, got {shape}")
    return torch.log_softmax(logits.to(torch.float64), dim=-1)


@torch.no_grad()
def beam_search(
    step: StepFn,
    state: Any,
    max_len: int,
    beam_width: int,
    *,
    reorder: Callable[[Any, torch.Tensor], Any],
    alpha: float = 0.0,
    bos_id: int = BOS_ID,
    eos_id: int = EOS_ID,
) -> list[Hypothesis]:
    """Beam search for one source: the ``beam_width`` best hypotheses found, best first.

    ``state`` is the start state of one row (``N = 1``). At each step every live hypothesis
    is extended by every token; the extensions are ranked by their summed log-probability
    ``log p(y_1..y_t | x)`` (a stable sort, so ties go to the lower hypothesis index, then
    the lower token id, as ``argmax`` does). Among the ``beam_width`` best, an extension by
    ``EOS`` is set aside as finished, scored ``log p(y | x) / |y|^alpha`` (``|y|`` counts
    the ``EOS``); the best other extensions, up to ``beam_width``, live on.

    The search stops when ``beam_width`` hypotheses have finished and no live one can still
    beat the worst of them (a live log-probability ``s <= 0`` only falls, so its best
    possible score is ``s / max_len^alpha``), or after ``max_len`` steps; then the live
    hypotheses join the finished ones marked ``finished=False``. With ``beam_width = 1`` and
    ``alpha = 0`` the result is exactly the greedy output.

    Args:
        step: the step function ``step(y_prev (N,), state) -> (logits (N, V), state)``.
        state: its start state for one source.
        max_len: the most tokens an output may have, ``EOS`` included.
        beam_width: ``K``, hypotheses kept at each step (at least 1).
        reorder: ``reorder(state, index (N',)) -> state`` keeping the rows ``index``.
        alpha: the length-normalisation exponent (:func:`length_penalty`).
    """
    K = check_int("beam_width", beam_width, 1)
    max_len = check_int("max_len", max_len, 1)
    alpha = _check_alpha(alpha)
    alive: list[tuple[int, ...]] = [()]
    alive_lp = torch.zeros(1, dtype=torch.float64)  # (n,) log p of each live prefix
    y = torch.tensor([bos_id])
    finished: list[Hypothesis] = []
    V = None
    for _ in range(max_len):
        logits, state = step(y, state)
        logp = _log_probs(logits, len(alive))  # (n, V)
        if V is None:
            V = logp.shape[1]
            if not 0 <= eos_id < V:
                raise ValueError(f"eos_id is {eos_id}, outside the step function's vocabulary 0..{V - 1}")
        flat = (alive_lp[:, None] + logp).flatten()  # (n V,)
        order = torch.sort(flat, descending=True, stable=True).indices[: K + len(alive)]
        keep_rows, keep_tokens, keep_lp = [], [], []
        for rank, j in enumerate(order.tolist()):
            row, token = divmod(j, V)
            lp = float(flat[j])
            if token == eos_id:
                if rank < K:  # it would have been in a beam of K: it ends here
                    tokens = (*alive[row], token)
                    finished.append(Hypothesis(tokens, lp, lp / length_penalty(len(tokens), alpha), True))
            elif len(keep_rows) < K:
                keep_rows.append(row)
                keep_tokens.append(token)
                keep_lp.append(lp)
        alive = [(*alive[r], tok) for r, tok in zip(keep_rows, keep_tokens)]
        alive_lp = torch.tensor(keep_lp, dtype=torch.float64)
        if len(finished) >= K and alive:
            worst = sorted(h.score for h in finished)[-K]
            if float(alive_lp.max()) / length_penalty(max_len, alpha) <= worst:
                alive = []
                break
        index = torch.tensor(keep_rows, dtype=torch.long)
        state = reorder(state, index)
        y = torch.tensor(keep_tokens, dtype=torch.long)
    for tokens, lp in zip(alive, alive_lp.tolist()):
        finished.append(Hypothesis(tokens, lp, lp / length_penalty(len(tokens), alpha), False))
    finished.sort(key=lambda h: -h.score)  # sort is stable: equal scores keep the order they were found in
    return finished[:K]


@torch.no_grad()
def sample(
    step: StepFn,
    state: Any,
    batch_size: int,
    max_len: int,
    *,
    generator: torch.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    bos_id: int = BOS_ID,
    eos_id: int = EOS_ID,
    pad_id: int = PAD_ID,
) -> torch.Tensor:
    """Ancestral sampling of ``batch_size`` rows: each token drawn from ``softmax(logits / temperature)``.

    With ``top_k``, only the ``k`` most likely tokens of each step keep their probability
    (renormalised); ``top_k = 1`` is greedy decoding, and so is the limit ``temperature -> 0``.
    Each draw inverts the cumulative distribution at one uniform number from ``generator``
    (``torch.rand``, float64), so a seeded generator repeats the samples exactly. Returns ids
    ``(batch_size, max_len)`` in the layout of :func:`greedy_decode`: each row up to and
    including its ``EOS``, then ``pad_id``.

    Args:
        generator: a seeded ``torch.Generator`` (required: the global generator is never used).
        temperature: ``> 0``; below 1 sharpens the distribution, above 1 flattens it.
        top_k: ``1 <= top_k <= V``, or ``None`` for the whole vocabulary.
    """
    batch_size = check_int("batch_size", batch_size, 1)
    max_len = check_int("max_len", max_len, 1)
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a seeded torch.Generator, got {type(generator).__name__}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"temperature must be a number > 0 (use greedy_decode for the limit 0), got {temperature!r}")
    if top_k is not None:
        top_k = check_int("top_k", top_k, 1)
    y = torch.full((batch_size,), bos_id, dtype=torch.long)
    out = torch.full((batch_size, max_len), pad_id, dtype=torch.long)
    done = torch.zeros(batch_size, dtype=torch.bool)
    for t in range(max_len):
        logits, state = step(y, state)
        logp = _log_probs(logits / temperature, batch_size)  # (B, V), float64
        V = logp.shape[1]
        if top_k is not None:
            if top_k > V:
                raise ValueError(f"top_k must be <= the vocabulary size V = {V}, got {top_k}")
            kth = torch.sort(logp, dim=-1, descending=True, stable=True).values[:, top_k - 1 : top_k]  # (B, 1)
            logp = logp.masked_fill(logp < kth, float("-inf"))
        p = torch.exp(logp - logp.max(dim=-1, keepdim=True).values)  # (B, V), unnormalised
        cdf = torch.cumsum(p, dim=-1)  # (B, V)
        u = torch.rand(batch_size, 1, generator=generator, dtype=torch.float64) * cdf[:, -1:]  # (B, 1)
        y = torch.searchsorted(cdf, u, right=True)[:, 0].clamp(max=V - 1)  # first index with cdf > u
        out[:, t] = torch.where(done, pad_id, y)
        done |= y == eos_id
        if bool(done.all()):
            break
    return out


@torch.no_grad()
def sequence_log_prob(
    model: Seq2Seq,
    src: torch.Tensor,
    src_lengths,
    tgt_in: torch.Tensor,
    tgt_out: torch.Tensor,
    tgt_lengths: torch.Tensor | None = None,
    *,
    pad_id: int = PAD_ID,
) -> torch.Tensor:
    """``log p(y | x)`` of each row under teacher forcing: ``(B,)`` float64.

    ``tgt_in (B, T)`` is ``BOS`` + the output, ``tgt_out (B, T)`` the output + ``EOS`` (as
    :func:`lstm_tutorial.data.seq2seq.make_batch` builds them). The sum runs over the first
    ``tgt_lengths[b]`` positions of row ``b`` (default: the positions of ``tgt_out`` that are not
    ``pad_id``; pass the lengths for decoded outputs, which may hold a ``PAD`` id of their own).
    The same numbers as the summed step log-probabilities of a decoder that produced ``tgt_out`` (tested).
    """
    if tgt_in.shape != tgt_out.shape or tgt_in.dim() != 2:
        raise ValueError(f"tgt_in {tuple(tgt_in.shape)} and tgt_out {tuple(tgt_out.shape)} must have one shape (B, T)")
    if tgt_lengths is None:
        real = tgt_out != pad_id
    else:
        real = torch.arange(tgt_out.shape[1])[None, :] < torch.as_tensor(tgt_lengths)[:, None]  # (B, T)
    model.eval()
    logits = model(src, src_lengths, tgt_in)  # (B, T, V)
    logp = torch.log_softmax(logits.to(torch.float64), dim=-1)
    picked = logp.gather(-1, tgt_out[..., None])[..., 0]  # (B, T)
    return torch.where(real, picked, 0.0).sum(dim=1)


def table_step(table: dict, vocab_size: int, default: dict | None = None) -> tuple[StepFn, torch.Tensor, Callable]:
    """A step function with no model: ``table[prefix] = {token: probability}`` gives the next-token distribution.

    ``prefix`` is the tuple of tokens generated so far (``BOS`` not included); a prefix missing
    from the table uses ``default``. Tokens not listed share no probability: each gets 1e-6 and
    the row is renormalised, so every log-probability is finite. The state is the ``(N, t)``
    tensor of the tokens generated so far, so ``reorder`` is a row selection.

    Returns ``(step, state, reorder)`` for one row, as :func:`seq2seq_start` does for a model.
    """
    V = check_int("vocab_size", vocab_size, 2)
    default = {} if default is None else default

    def probs(prefix: tuple) -> torch.Tensor:
        p = torch.full((V,), 1e-6, dtype=torch.float64)
        for token, q in table.get(prefix, default).items():
            p[token] = q
        return p / p.sum()

    def step(y_prev: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if state.shape[1] or int(y_prev[0]) != BOS_ID:  # the first input is BOS, which is not part of the prefix
            state = torch.cat([state, y_prev[:, None]], dim=1)  # (N, t)
        logits = torch.stack([probs(tuple(row)) for row in state.tolist()]).log()  # (N, V)
        return logits, state

    def reorder(state: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return state.index_select(0, index)

    return step, torch.zeros(1, 0, dtype=torch.long), reorder
