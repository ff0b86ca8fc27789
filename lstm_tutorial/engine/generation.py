"""Character-level predictive text with the NumPy engine: baselines, evaluation, sampling.

A character language model reads a text one character at a time and, at every step, gives a
probability to each of the ``V`` characters that could come next. This module holds what the
predictive-text chapter needs around :class:`lstm_tutorial.engine.model.SequenceModel`:

- :func:`uniform_cross_entropy`, :func:`unigram_cross_entropy`: the two baselines a model must
  beat, in nats per character (a guess that ignores everything, and one that knows only how
  often each character occurs); :func:`bigram_cross_entropy` is a third, one character of context.
- :func:`perplexity`: ``exp(cross-entropy)``, "as uncertain as a fair choice among this many".
- :func:`stream_layout`: one long id stream laid out as ``B`` parallel rows for
  :func:`~lstm_tutorial.engine.training.fit_tbptt`, inputs one-hot ``(B, T, V)`` and next-character
  targets ``(B, T)``.
- :func:`evaluate_stream`: the model's cross-entropy on held-out text, read in chunks with the
  state carried across them.
- :func:`softmax_with_temperature`, :func:`sample_text`: generate text, one character at a
  time, feeding each drawn character back in.

Units: natural logarithms throughout (nats); divide by ``ln 2`` for bits.
"""

from __future__ import annotations

import math

import numpy as np

from lstm_tutorial._checks import check_ids, check_vocab_size
from lstm_tutorial.engine.activations import softmax_with_temperature
from lstm_tutorial.engine.losses import softmax_cross_entropy

__all__ = ["perplexity", "stream_layout", "evaluate_stream", "sample_text"]


def perplexity(cross_entropy: float) -> float:
    """``exp(cross_entropy)`` for a cross-entropy in nats: the number of equally likely
    characters that would leave the model as uncertain as it is (``V`` for the uniform guess)."""
    if not math.isfinite(cross_entropy) or cross_entropy < 0:
        raise ValueError(f"cross_entropy must be a finite number >= 0, got {cross_entropy}")
    return math.exp(cross_entropy)


def stream_layout(ids, V: int, batch_size: int, dtype=np.float64):
    """Lay one id stream out as ``B`` parallel rows for truncated BPTT.

    The ``n`` ids give ``n - 1`` (input, next id) pairs. Row ``b`` takes the contiguous stretch
    of ``T = (n - 1) // B`` pairs starting at ``b T``; the last ``(n - 1) - B T`` pairs are
    unused. Walking the rows in chunks (``fit_tbptt(..., chunk=L)``) then reads every row in
    order, so the state carried from one chunk to the next belongs to the same text.

    Returns:
        ``(x, y)``: ``x`` one-hot ``(B, T, V)`` in ``dtype``, ``y`` int64 ``(B, T)`` with
        ``y[b, t]`` the id that follows ``x[b, t]``.
    """
    V = check_vocab_size(V)
    ids = check_ids("ids", ids, V)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    T = (len(ids) - 1) // batch_size
    if T < 1:
        raise ValueError(f"a stream of {len(ids)} ids is too short for {batch_size} rows")
    used = batch_size * T
    inputs = ids[:used].reshape(batch_size, T)
    targets = ids[1 : used + 1].reshape(batch_size, T).astype(np.int64)
    return np.eye(V, dtype=dtype)[inputs], targets


def evaluate_stream(model, ids, V: int, chunk: int = 200) -> float:
    """Mean cross-entropy (nats per character) of ``model`` predicting each next id of ``ids``.

    The text is read as one row (``B = 1``), ``chunk`` characters at a time, carrying the
    state from chunk to chunk, so every prediction sees all the text before it, as in
    generation. ``model`` is a many-to-many ``SequenceModel`` with ``loss="xent"`` and ``V``
    inputs and outputs; the first character is only read, never predicted.
    """
    V = check_vocab_size(V)
    ids = check_ids("ids", ids, V)
    if len(ids) < 2:
        raise ValueError("ids must hold at least 2 characters (one prediction)")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    dtype = model.params["W"].dtype
    eye = np.eye(V, dtype=dtype)
    state, total, n = None, 0.0, 0
    for start in range(0, len(ids) - 1, chunk):
        x_ids = ids[start : min(start + chunk, len(ids) - 1)]
        y_ids = ids[start + 1 : start + 1 + len(x_ids)]
        logits, state, _ = model.forward(eye[x_ids][None], state)
        loss, _ = softmax_cross_entropy(logits, y_ids[None].astype(np.int64))
        total += loss * len(x_ids)
        n += len(x_ids)
    return total / n


def sample_text(model, vocab, prompt: str, length: int, *, temperature: float = 1.0, seed: int = 0) -> str:
    """Generate ``length`` characters after ``prompt``, one at a time.

    The model reads the prompt (its state after the last prompt character is the starting
    point), then repeatedly draws the next character from
    :func:`softmax_with_temperature` of its output, and feeds that character back in as the
    next input. Draws come from ``numpy.random.default_rng(seed)``, so a call is repeatable.

    Args:
        model: many-to-many ``SequenceModel`` over ``V = len(vocab)`` characters.
        vocab: a :class:`~lstm_tutorial.data.text.CharVocab`.
        prompt: at least one character, all in the vocabulary.
        length: number of characters to generate (>= 0).

    Returns:
        The generated characters only (without the prompt), a ``str`` of ``length`` characters.
    """
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a non-empty str")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be a non-negative integer, got {length!r}")
    V = len(vocab)
    dtype = model.params["W"].dtype
    eye = np.eye(V, dtype=dtype)
    rng = np.random.default_rng(seed)
    logits, state, _ = model.forward(eye[vocab.encode(prompt)][None])  # (1, len(prompt), V)
    out = []
    for _ in range(int(length)):
        p = softmax_with_temperature(logits[0, -1], temperature)
        nxt = int(rng.choice(V, p=p))
        out.append(nxt)
        logits, state, _ = model.forward(eye[[nxt]][None], state)
    return vocab.decode(np.array(out, dtype=np.int64))
