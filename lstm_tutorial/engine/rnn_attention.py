"""Attention over the states of a recurrent encoder: additive and multiplicative scores, in NumPy.

A decoder state ``q`` (the *query*) looks at every encoder state ``k_1 .. k_S`` (the *keys*, which
are also the *values* here), gives each a score, turns the scores into weights by a softmax over
the real source positions, and reads the weighted mean of the values (the *context*)::

    e_s = score(q, k_s)                        (B, S)   one score per source position
    alpha = softmax(e) over s with mask[s]     (B, S)   weights: >= 0, sum to 1, exactly 0 on padding
    context = sum_s alpha_s v_s = alpha V      (B, Dv)

Two scores:

- **additive** (Bahdanau, Cho and Bengio 2015, their eq. 6 with the alignment model of their
  appendix A.1.2): ``e_s = v^T tanh(q W_q + k_s W_k)``, a one-hidden-layer network of width ``A``
  that reads the query and the key together;
- **multiplicative**, Luong, Pham and Manning's (2015) "general" score (their eq. 8):
  ``e_s = q W k_s^T``, one bilinear form; with ``W = I`` it is the plain dot product, and with
  ``W = I / sqrt(d)`` the scaled dot product of :mod:`lstm_tutorial.engine.attention`.

Sizes: ``B`` batch, ``S`` source positions, ``T`` decoder steps (queries), ``Hq`` query size,
``Hk`` key size, ``Dv`` value size, ``A`` width of the additive score's hidden layer. A query is
``(B, Hq)`` (one decoder step) or ``(B, T, Hq)`` (every step at once); the scores, weights and
contexts then carry the same ``T`` axis. Products are row vectors times matrices (``x W``), as
everywhere in the book; :func:`lstm_tutorial.frameworks.seq2seq.attention_params_from_torch`
reads these parameters out of the PyTorch modules.

**Mask.** ``mask (B, S)`` is boolean with True = a real source position that may be attended
(the convention of :mod:`lstm_tutorial.engine.attention`); :func:`source_mask` builds it from the
source lengths. Padded positions get weight exactly 0, so their states cannot reach the context.
A source with no real position has nothing to attend to and is refused.
"""

from __future__ import annotations

import numpy as np

from lstm_tutorial._checks import check_array, check_params, float_dtype
from lstm_tutorial.engine.activations import softmax

__all__ = [
    "SCORES",
    "source_mask",
    "additive_scores",
    "multiplicative_scores",
    "masked_softmax",
    "attend",
    "init_attention_params",
]

SCORES = ("additive", "multiplicative")


def source_mask(lengths, S: int) -> np.ndarray:
    """``(B, S)`` boolean mask, True where position ``s < lengths[b]`` (a real source token)."""
    if isinstance(S, bool) or not isinstance(S, (int, np.integer)) or S < 1:
        raise ValueError(f"S must be a positive int (the padded source length), got {S!r}")
    lengths = check_array("lengths", lengths, ndim=1, labels=("B",), integer=True)
    if lengths.size and (lengths.min() < 1 or lengths.max() > S):
        raise ValueError(
            f"lengths must lie in [1, S={S}] (a source has at least one token and fits the padding), "
            f"got values from {lengths.min()} to {lengths.max()}"
        )
    return np.arange(S)[None, :] < lengths[:, None]


def _query_keys(query, keys):
    query = check_array("query", query)
    if query.ndim not in (2, 3):
        raise ValueError(f"query must have shape (B, Hq) or (B, T, Hq), got shape {query.shape}")
    keys = check_array("keys", keys, ndim=3, labels=("B", "S", "Hk"))
    if keys.shape[0] != query.shape[0]:
        raise ValueError(f"keys must have one row per query row: query has B = {query.shape[0]}, keys {keys.shape}")
    return query, keys


def additive_scores(query, keys, params) -> np.ndarray:
    """Bahdanau's additive score ``e_s = v^T tanh(q W_q + k_s W_k)`` for every source position.

    Args:
        query: ``(B, Hq)`` or ``(B, T, Hq)``.
        keys: ``(B, S, Hk)``.
        params: ``W_q (Hq, A)``, ``W_k (Hk, A)``, ``v (A,)``.

    Returns:
        ``(B, S)`` scores, or ``(B, T, S)`` for a query with a time axis (unmasked).
    """
    query, keys = _query_keys(query, keys)
    p, _ = check_params("params", params, {"W_q": (query.shape[-1], "A"), "W_k": (keys.shape[-1], "A"), "v": ("A",)})
    dtype = float_dtype(query.dtype, keys.dtype, *(a.dtype for a in p.values()))
    q = query.astype(dtype, copy=False) @ p["W_q"].astype(dtype, copy=False)  # (B, [T,] A)
    k = keys.astype(dtype, copy=False) @ p["W_k"].astype(dtype, copy=False)  # (B, S, A)
    if q.ndim == 2:
        hidden = np.tanh(q[:, None, :] + k)  # (B, S, A)
    else:
        hidden = np.tanh(q[:, :, None, :] + k[:, None, :, :])  # (B, T, S, A)
    return hidden @ p["v"].astype(dtype, copy=False)  # Bahdanau eq. 6 / A.1.2: (B, [T,] S)


def multiplicative_scores(query, keys, params) -> np.ndarray:
    """Luong's "general" score ``e_s = q W k_s^T`` for every source position.

    Args:
        query: ``(B, Hq)`` or ``(B, T, Hq)``.
        keys: ``(B, S, Hk)``.
        params: ``W (Hq, Hk)``.

    Returns:
        ``(B, S)`` scores, or ``(B, T, S)`` for a query with a time axis (unmasked).
    """
    query, keys = _query_keys(query, keys)
    p, _ = check_params("params", params, {"W": (query.shape[-1], keys.shape[-1])})
    dtype = float_dtype(query.dtype, keys.dtype, p["W"].dtype)
    qW = query.astype(dtype, copy=False) @ p["W"].astype(dtype, copy=False)  # (B, [T,] Hk)
    k = keys.astype(dtype, copy=False)
    if qW.ndim == 2:
        return np.einsum("bh,bsh->bs", qW, k)  # Luong eq. 8, general: (B, S)
    return qW @ np.swapaxes(k, 1, 2)  # (B, T, S)


def masked_softmax(scores, mask) -> np.ndarray:
    """Softmax over the last axis (source positions) where ``mask`` is True; exactly 0 elsewhere.

    Args:
        scores: ``(B, S)`` or ``(B, T, S)``.
        mask: boolean ``(B, S)``, True = real source position; applied to every step ``t``.

    Returns:
        weights of the same shape as ``scores``; each row sums to 1 over its real positions.
    """
    scores = check_array("scores", scores)
    if scores.ndim not in (2, 3):
        raise ValueError(f"scores must have shape (B, S) or (B, T, S), got shape {scores.shape}")
    if isinstance(mask, (str, bytes)) or np.asarray(mask).dtype != np.bool_:
        raise TypeError(
            f"mask must be a boolean array (B, S) with True = real source position, got "
            f"{type(mask).__name__} of dtype {getattr(np.asarray(mask), 'dtype', None)}"
        )
    mask = np.asarray(mask)
    B, S = scores.shape[0], scores.shape[-1]
    if mask.shape != (B, S):
        raise ValueError(f"mask must have shape (B, S) = {(B, S)}, matching the scores, got {mask.shape}")
    if not mask.any(axis=1).all():
        b = int(np.argmin(mask.any(axis=1)))
        raise ValueError(f"mask row {b} has no True entry: source {b} has no position to attend to")
    where = mask if scores.ndim == 2 else mask[:, None, :]
    return softmax(scores, where=np.broadcast_to(where, scores.shape))


def attend(query, keys, mask, params, *, score: str = "additive", values=None) -> tuple[np.ndarray, np.ndarray]:
    """Scores, masked weights and context: one attention read of the encoder states.

    Args:
        query: ``(B, Hq)`` (one decoder step) or ``(B, T, Hq)`` (every step).
        keys: ``(B, S, Hk)``, the encoder states.
        mask: boolean ``(B, S)``, True = real source position (:func:`source_mask`).
        params: the score's parameters (:func:`additive_scores` or :func:`multiplicative_scores`).
        score: ``"additive"`` or ``"multiplicative"``.
        values: ``(B, S, Dv)`` to average; default the keys themselves, as in both papers.

    Returns:
        ``(context, weights)``: ``(B, [T,] Dv)`` and ``(B, [T,] S)``.
    """
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    scores = (additive_scores if score == "additive" else multiplicative_scores)(query, keys, params)
    weights = masked_softmax(scores, mask)  # Bahdanau eq. 6, Luong eq. 7
    values = keys if values is None else values
    values = check_array("values", values, ndim=3, labels=("B", "S", "Dv"))
    if values.shape[:2] != keys.shape[:2]:
        raise ValueError(f"values must have the keys' (B, S) = {keys.shape[:2]}, got shape {values.shape}")
    values = values.astype(float_dtype(values.dtype, weights.dtype), copy=False)
    if weights.ndim == 2:
        context = np.einsum("bs,bsd->bd", weights, values)  # Bahdanau eq. 5: sum_s alpha_s v_s, (B, Dv)
    else:
        context = weights @ values  # (B, T, S) @ (B, S, Dv) -> (B, T, Dv)
    return context, weights


def init_attention_params(
    score: str, Hq: int, Hk: int, A: int | None = None, *, seed: int | None = 0, dtype=np.float64
) -> dict[str, np.ndarray]:
    """Random parameters of one score in this module's ``x W`` layout, from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    ``"additive"``: ``W_q (Hq, A)``, ``W_k (Hk, A)``, ``v (A,)`` (``A`` required);
    ``"multiplicative"``: ``W (Hq, Hk)``.
    """
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    rng = np.random.default_rng(seed)

    def u(fan_in, shape):
        a = 1 / np.sqrt(fan_in)
        return rng.uniform(-a, a, shape).astype(dtype)

    if score == "multiplicative":
        return {"W": u(Hq, (Hq, Hk))}
    if A is None:
        raise ValueError("the additive score needs A, the width of its hidden layer")
    return {"W_q": u(Hq, (Hq, A)), "W_k": u(Hk, (Hk, A)), "v": u(A, (A,))}
