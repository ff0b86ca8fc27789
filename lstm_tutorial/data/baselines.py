"""Baselines that need no training, one home for all of them: naive forecasts and n-gram models.

- Forecasting: :func:`naive_forecast` (the last value), :func:`seasonal_naive_forecast` (the value
  one period back), their errors (:func:`forecast_errors`, :func:`baseline_errors`).
- Language: :func:`uniform_cross_entropy`, the unigram and the bigram model of a character stream
  (:func:`unigram_cross_entropy`, :func:`bigram_cross_entropy`), and :func:`ngram_cross_entropy`
  for batches of separate sequences (melodies), in nats per token; :func:`char_ngram_cross_entropy`,
  the n-gram of any order on a character stream (the language-model ladder's baselines).
"""

from __future__ import annotations

import math

import numpy as np

from lstm_tutorial._checks import check_ids, check_int, check_vocab_size
from lstm_tutorial.data.music import VOCAB

__all__ = [
    "uniform_cross_entropy",
    "unigram_probabilities",
    "unigram_cross_entropy",
    "bigram_probabilities",
    "bigram_cross_entropy",
    "ngram_cross_entropy",
    "char_ngram_cross_entropy",
    "naive_forecast",
    "seasonal_naive_forecast",
    "forecast_errors",
    "baseline_errors",
]


def uniform_cross_entropy(V: int) -> float:
    """Cross-entropy of the uniform guess over ``V`` characters: ``ln V`` nats per character."""
    return math.log(check_vocab_size(V))


def unigram_probabilities(train_ids, V: int, alpha: float = 1.0) -> np.ndarray:
    """Character frequencies of ``train_ids`` with add-``alpha`` smoothing: ``(V,)``, sums to 1.

    ``p_v = (count_v + alpha) / (n + alpha V)``; smoothing keeps a character that never occurs
    in the training text from getting probability 0 (and an infinite loss on held-out text).
    """
    V = check_vocab_size(V)
    ids = check_ids("train_ids", train_ids, V)
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
    ev = check_ids("eval_ids", eval_ids, len(p))
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
    V = check_vocab_size(V)
    ids = check_ids("train_ids", train_ids, V)
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
    ev = check_ids("eval_ids", eval_ids, len(P))
    if ev.size < 2:
        raise ValueError("eval_ids must hold at least 2 characters (one prediction)")
    return float(-np.mean(np.log(P[ev[:-1], ev[1:]])))


def ngram_cross_entropy(train, test, order: int, vocab_size: int = len(VOCAB), alpha: float = 0.1) -> float:
    """Mean cross-entropy (nats per token) of an n-gram model on next-token prediction.

    ``order = 1`` is the unigram (token frequencies), ``order = 2`` the bigram (the next token
    given the current one). Counts come from ``train`` ``(N, T)`` with add-``alpha`` smoothing;
    the score is over every position ``t = 1 .. T-1`` of ``test`` ``(M, T)``, the positions a
    next-token model predicts from ``x_1 .. x_t``.
    """
    train, test = np.asarray(train), np.asarray(test)
    if train.ndim != 2 or test.ndim != 2:
        raise ValueError(f"train and test must be (N, T) arrays, got {train.shape} and {test.shape}")
    if order not in (1, 2):
        raise ValueError(f"order must be 1 (unigram) or 2 (bigram), got {order!r}")
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    V = vocab_size
    if order == 1:
        counts = np.bincount(train[:, 1:].ravel(), minlength=V) + alpha
        logp = np.log(counts / counts.sum())
        return float(-logp[test[:, 1:]].mean())
    counts = np.full((V, V), alpha)
    np.add.at(counts, (train[:, :-1].ravel(), train[:, 1:].ravel()), 1.0)
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    return float(-logp[test[:, :-1], test[:, 1:]].mean())


def char_ngram_cross_entropy(train_ids, eval_ids, V: int, order: int, alpha: float = 1.0) -> float:
    """Cross-entropy (nats per character) on ``eval_ids`` of the add-``alpha`` n-gram of ``train_ids``.

    The model predicts a character from the ``order - 1`` characters before it:
    ``p(v | u) = (count(u v) + alpha) / (count(u) + alpha V)``, where ``u`` is a context of
    ``order - 1`` characters, ``count(u v)`` counts its occurrences followed by ``v`` in the
    training stream and ``count(u)`` those followed by anything. Every position
    ``p >= order - 1`` of ``eval_ids`` is scored (the first ``order - 1`` are only read).
    ``order = 1`` is :func:`unigram_cross_entropy` and ``order = 2`` :func:`bigram_cross_entropy`.
    """
    V = check_vocab_size(V)
    order = check_int("order", order)
    tr, ev = check_ids("train_ids", train_ids, V), check_ids("eval_ids", eval_ids, V)
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    if tr.size < order or ev.size < order:
        raise ValueError(f"train_ids and eval_ids need at least order = {order} ids, got {tr.size} and {ev.size}")

    def codes(ids):  # context code (base V) of every position p >= order - 1, and the id at p
        n = ids.size - order + 1
        ctx = np.zeros(n, dtype=np.int64)
        for k in range(order - 1):
            ctx = ctx * V + ids[k : k + n]
        return ctx, ids[order - 1 :]

    ctx_tr, nxt_tr = codes(tr)
    ctx_ev, nxt_ev = codes(ev)
    ctx_keys, ctx_counts = np.unique(ctx_tr, return_counts=True)
    pair_keys, pair_counts = np.unique(ctx_tr * V + nxt_tr, return_counts=True)

    def lookup(keys, counts, query):
        pos = np.clip(np.searchsorted(keys, query), 0, len(keys) - 1)
        return np.where(keys[pos] == query, counts[pos], 0).astype(np.float64)

    p = (lookup(pair_keys, pair_counts, ctx_ev * V + nxt_ev) + alpha) / (
        lookup(ctx_keys, ctx_counts, ctx_ev) + alpha * V
    )
    return float(-np.mean(np.log(p)))


def naive_forecast(X, horizon: int = 1) -> np.ndarray:
    """Repeat the last input value: ``X`` ``(N, T_in, 1)`` or ``(N, T_in)`` -> ``(N, horizon)``."""
    X = np.asarray(X)
    last = X[:, -1, 0] if X.ndim == 3 else X[:, -1]
    return np.repeat(last[:, None], check_int("horizon", horizon), axis=1)


def seasonal_naive_forecast(X, horizon: int = 1, period: int = 12) -> np.ndarray:
    """Repeat the value one season back: ``y_hat[:, h] = X[:, T_in - period + (h % period)]``.

    Needs ``T_in >= period``; returns ``(N, horizon)``.
    """
    X = np.asarray(X)
    X2 = X[..., 0] if X.ndim == 3 else X
    period, horizon = check_int("period", period), check_int("horizon", horizon)
    if X2.shape[1] < period:
        raise ValueError(f"seasonal naive needs input_len >= period = {period}, got {X2.shape[1]}")
    cols = X2.shape[1] - period + (np.arange(horizon) % period)
    return X2[:, cols]


def forecast_errors(y, y_hat) -> dict:
    """``mse``, ``rmse`` and ``mae`` between arrays of the same shape."""
    y, y_hat = np.asarray(y, np.float64), np.asarray(y_hat, np.float64)
    if y.shape != y_hat.shape:
        raise ValueError(f"y and y_hat must have the same shape, got {y.shape} and {y_hat.shape}")
    mse = float(np.mean((y - y_hat) ** 2))
    return {"mse": mse, "rmse": float(np.sqrt(mse)), "mae": float(np.mean(np.abs(y - y_hat)))}


def baseline_errors(X, y, period: int = 12) -> dict:
    """Errors of the last-value and seasonal-naive forecasts on windows ``(X, y)``:
    ``{"last_value": {...}, "seasonal_naive": {...}}`` (the second only if ``T_in >= period``)."""
    y = np.asarray(y)
    h = y.shape[1]
    out = {"last_value": forecast_errors(y, naive_forecast(X, h))}
    if np.asarray(X).shape[1] >= period:
        out["seasonal_naive"] = forecast_errors(y, seasonal_naive_forecast(X, h, period))
    return out
