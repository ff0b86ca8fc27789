"""Character-level predictive text with the NumPy engine: baselines, evaluation, sampling.

A character language model reads a text one character at a time and, at every step, gives a
probability to each of the ``V`` characters that could come next. This module holds what the
predictive-text chapter needs around :class:`lstm_tutorial.training.SequenceModel`:

- :func:`uniform_cross_entropy`, :func:`unigram_cross_entropy`: the two baselines a model must
  beat, in nats per character (a guess that ignores everything, and one that knows only how
  often each character occurs); :func:`bigram_cross_entropy` is a third, one character of context.
- :func:`perplexity`: ``exp(cross-entropy)``, "as uncertain as a fair choice among this many".
- :func:`stream_layout`: one long id stream laid out as ``B`` parallel rows for
  :func:`~lstm_tutorial.training.fit_tbptt`, inputs one-hot ``(B, T, V)`` and next-character
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

from lstm_tutorial.training import softmax_cross_entropy

__all__ = [
    "uniform_cross_entropy",
    "unigram_probabilities",
    "unigram_cross_entropy",
    "bigram_probabilities",
    "bigram_cross_entropy",
    "perplexity",
    "stream_layout",
    "evaluate_stream",
    "softmax_with_temperature",
    "sample_text",
]


def _ids(name: str, ids, V: int | None = None) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D integer array of character ids, got shape {ids.shape}, "
                         f"dtype {ids.dtype}")
    if V is not None and ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"{name} must hold ids in 0..{V - 1}, got {ids.min()}..{ids.max()}")
    return ids


def _vocab_size(V) -> int:
    if isinstance(V, bool) or not isinstance(V, (int, np.integer)) or V < 1:
        raise ValueError(f"V must be a positive integer vocabulary size, got {V!r}")
    return int(V)


def uniform_cross_entropy(V: int) -> float:
    """Cross-entropy of the uniform guess over ``V`` characters: ``ln V`` nats per character."""
    return math.log(_vocab_size(V))


def unigram_probabilities(train_ids, V: int, alpha: float = 1.0) -> np.ndarray:
    """Character frequencies of ``train_ids`` with add-``alpha`` smoothing: ``(V,)``, sums to 1.

    ``p_v = (count_v + alpha) / (n + alpha V)``; smoothing keeps a character that never occurs
    in the training text from getting probability 0 (and an infinite loss on held-out text).
    """
    V = _vocab_size(V)
    ids = _ids("train_ids", train_ids, V)
    if not alpha >= 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    counts = np.bincount(ids, minlength=V).astype(np.float64) + alpha
    if counts.sum() == 0:
        raise ValueError("train_ids is empty and alpha is 0: no probabilities to estimate")
    return counts / counts.sum()


def unigram_cross_entropy(train_ids, eval_ids, V: int, alpha: float = 1.0) -> float:
    """Cross-entropy (nats per character) on ``eval_ids`` of the unigram model fitted on
    ``train_ids``: a predictor that knows how often each character occurs but not what came
    before it. ``-mean(log p[eval_ids])`` with ``p`` from :func:`unigram_probabilities`."""
    p = unigram_probabilities(train_ids, V, alpha)
    ev = _ids("eval_ids", eval_ids, len(p))
    if ev.size == 0:
        raise ValueError("eval_ids must not be empty")
    return float(-np.mean(np.log(p[ev])))


def bigram_probabilities(train_ids, V: int, alpha: float = 1.0) -> np.ndarray:
    """Next-character probabilities given the current character, from the pairs of ``train_ids``.

    Returns ``P`` ``(V, V)`` with ``P[u, v] = (count(u v) + alpha) / (count(u .) + alpha V)``,
    where ``count(u v)`` counts the positions at which ``v`` follows ``u``; every row sums to 1.
    Add-``alpha`` smoothing gives unseen pairs (and characters never seen before another one)
    a probability above 0.
    """
    V = _vocab_size(V)
    ids = _ids("train_ids", train_ids, V)
    if not alpha >= 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    counts = np.full((V, V), float(alpha))
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    totals = counts.sum(axis=1, keepdims=True)
    if np.any(totals == 0):
        raise ValueError("alpha is 0 and some character is never followed by another in train_ids")
    return counts / totals


def bigram_cross_entropy(train_ids, eval_ids, V: int, alpha: float = 1.0) -> float:
    """Cross-entropy (nats per character) on ``eval_ids`` of the bigram model fitted on
    ``train_ids``: a predictor that sees the current character only,
    ``-mean(log P[eval_ids[:-1], eval_ids[1:]])`` with ``P`` from :func:`bigram_probabilities`.
    The first character of ``eval_ids`` is only read, never predicted."""
    P = bigram_probabilities(train_ids, V, alpha)
    ev = _ids("eval_ids", eval_ids, len(P))
    if ev.size < 2:
        raise ValueError("eval_ids must hold at least 2 characters (one prediction)")
    return float(-np.mean(np.log(P[ev[:-1], ev[1:]])))


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
    V = _vocab_size(V)
    ids = _ids("ids", ids, V)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    T = (len(ids) - 1) // batch_size
    if T < 1:
        raise ValueError(f"a stream of {len(ids)} ids is too short for {batch_size} rows")
    used = batch_size * T
    inputs = ids[:used].reshape(batch_size, T)
    targets = ids[1:used + 1].reshape(batch_size, T).astype(np.int64)
    return np.eye(V, dtype=dtype)[inputs], targets


def evaluate_stream(model, ids, V: int, chunk: int = 200) -> float:
    """Mean cross-entropy (nats per character) of ``model`` predicting each next id of ``ids``.

    The text is read as one row (``B = 1``), ``chunk`` characters at a time, carrying the
    state from chunk to chunk, so every prediction sees all the text before it, as in
    generation. ``model`` is a many-to-many ``SequenceModel`` with ``loss="xent"`` and ``V``
    inputs and outputs; the first character is only read, never predicted.
    """
    V = _vocab_size(V)
    ids = _ids("ids", ids, V)
    if len(ids) < 2:
        raise ValueError("ids must hold at least 2 characters (one prediction)")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    dtype = model.params["W"].dtype
    eye = np.eye(V, dtype=dtype)
    state, total, n = None, 0.0, 0
    for start in range(0, len(ids) - 1, chunk):
        x_ids = ids[start:min(start + chunk, len(ids) - 1)]
        y_ids = ids[start + 1:start + 1 + len(x_ids)]
        logits, state, _ = model.forward(eye[x_ids][None], state)
        loss, _ = softmax_cross_entropy(logits, y_ids[None].astype(np.int64))
        total += loss * len(x_ids)
        n += len(x_ids)
    return total / n


def softmax_with_temperature(logits, temperature: float = 1.0) -> np.ndarray:
    """Probabilities ``softmax(logits / temperature)`` over the last axis, in float64.

    ``temperature = 1`` gives the model's own distribution; below 1 sharpens it towards the
    most likely character (safer, more repetitive text), above 1 flattens it towards uniform.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


def sample_text(model, vocab, prompt: str, length: int, *, temperature: float = 1.0, seed: int = 0) -> str:
    """Generate ``length`` characters after ``prompt``, one at a time.

    The model reads the prompt (its state after the last prompt character is the starting
    point), then repeatedly draws the next character from
    :func:`softmax_with_temperature` of its output, and feeds that character back in as the
    next input. Draws come from ``numpy.random.default_rng(seed)``, so a call is repeatable.

    Args:
        model: many-to-many ``SequenceModel`` over ``V = len(vocab)`` characters.
        vocab: a :class:`~lstm_tutorial.data.CharVocab`.
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
