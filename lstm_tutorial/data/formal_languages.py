"""Formal-language and retrieval tasks for comparing recurrent models with attention.

Three generators, each with per-position labels for training and a *balanced* test set read at
the last position, so that chance accuracy is known exactly:

==========================  =========================================  ===================
task                        label at position ``t`` (prefix ``0..t``)    chance (test)
==========================  =========================================  ===================
parity                      number of 1s so far, mod 2                   1/2
count comparison            sign(#a - #b) so far: 0 fewer a's, 1 equal,  1/3
                            2 more a's
associative recall          (last position only) the value stored        1/V
                            under the query's key
==========================  =========================================  ===================

Parity is a regular language that no star-free expression describes; count comparison (the
class "equal" is the language of strings with as many a's as b's) needs an unbounded counter,
so it is not regular at all: the two sit at the two lowest levels of the hierarchy used by
Delétang et al. (2023).

Symbols: ``0`` and ``1`` for parity; ``0 = a`` and ``1 = b`` for count comparison. Arrays are
int64, batch-first ``(N, T)``. Every generator takes ``seed`` and draws from its own
``numpy.random.default_rng(seed)``.

Associative recall is given as feature vectors, ``(N, P + 1, K + V + 1)`` float32: position
``j < P`` is pair ``j`` (key one-hot in the first ``K`` features, value one-hot in the next
``V``), and the last position is the query (key one-hot, and the final feature set to 1).
"""

from __future__ import annotations

import numpy as np

from lstm_tutorial._checks import as_generator, check_int

__all__ = [
    "PARITY_CLASSES",
    "COUNT_CLASSES",
    "running_parity",
    "parity_strings",
    "parity_test_set",
    "count_comparison_labels",
    "count_strings",
    "count_test_set",
    "associative_recall",
    "recall_feature_size",
    "recall_value_baseline",
]

PARITY_CLASSES = 2
COUNT_CLASSES = 3


def _bits(name: str, X) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2 or not np.issubdtype(X.dtype, np.integer) or X.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D integer array (N, T), got shape {X.shape} {X.dtype}")
    if not np.isin(X, (0, 1)).all():
        raise ValueError(f"{name} must hold only the symbols 0 and 1, got values {sorted(np.unique(X))[:5]}")
    return X.astype(np.int64)


def running_parity(X) -> np.ndarray:
    """``y[n, t]`` = parity of ``X[n, 0..t]``: the label of every prefix. ``X`` holds 0s and 1s."""
    X = _bits("X", X)
    return np.cumsum(X, axis=1) % 2


def parity_strings(n: int, T: int, *, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform random bit strings of length ``T`` and their running parity, both ``(n, T)``."""
    n, T = check_int("n", n), check_int("T", T)
    X = as_generator(seed).integers(0, 2, size=(n, T))
    return X, running_parity(X)


def parity_test_set(n: int, T: int, *, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` strings of length ``T`` whose final parity is 0 for the first half and 1 for the rest.

    Random bits, then the last bit is set so that the parity of the whole string is the label:
    ``(X (n, T), y (n,))``, exactly balanced when ``n`` is even.
    """
    n, T = check_int("n", n), check_int("T", T)
    rng = as_generator(seed)
    X = rng.integers(0, 2, size=(n, T))
    y = (np.arange(n) >= n // 2).astype(np.int64)
    X[:, -1] = (y + X[:, :-1].sum(axis=1)) % 2
    return X, y


def count_comparison_labels(X) -> np.ndarray:
    """``y[n, t]`` = 0 if the prefix ``X[n, 0..t]`` has fewer a's (0) than b's (1), 1 if as many, 2 if more."""
    X = _bits("X", X)
    balance = np.cumsum(1 - 2 * X, axis=1)  # #a - #b of each prefix
    return np.sign(balance) + 1


def count_strings(n: int, T: int, *, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform random strings over {a, b} of length ``T`` and their per-prefix labels ``(n, T)``."""
    n, T = check_int("n", n), check_int("T", T)
    X = as_generator(seed).integers(0, 2, size=(n, T))
    return X, count_comparison_labels(X)


def count_test_set(n_per_class: int, T: int, *, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Strings of even length ``T`` with ``#a - #b`` equal to -2, 0 and +2, ``n_per_class`` each.

    Each string is a random ordering of its a's and b's. The three classes differ by one symbol
    swapped, so a model must count exactly (a rough share of a's does not separate them at large
    ``T``). Returns ``(X (3 n_per_class, T), y)`` with ``y`` = 0, 1, 2 in blocks.
    """
    n_per_class, T = check_int("n_per_class", n_per_class), check_int("T", T, 2)
    if T % 2:
        raise ValueError(f"T must be even (a string of odd length cannot be balanced), got {T}")
    rng = as_generator(seed)
    rows, labels = [], []
    for label, diff in enumerate((-2, 0, 2)):
        n_a = (T + diff) // 2
        base = np.array([0] * n_a + [1] * (T - n_a), dtype=np.int64)
        rows.append(np.stack([rng.permutation(base) for _ in range(n_per_class)]))
        labels.append(np.full(n_per_class, label, dtype=np.int64))
    return np.concatenate(rows), np.concatenate(labels)


def recall_feature_size(n_keys: int, n_values: int) -> int:
    """``D = K + V + 1``: key one-hot, value one-hot, query flag."""
    return n_keys + n_values + 1


def associative_recall(n: int, n_pairs: int, *, n_keys: int = 16, n_values: int = 16, seed=0):
    """``n`` sequences of ``n_pairs`` key-value pairs and a query for one of the keys.

    Keys within a sequence are distinct (drawn without replacement from ``n_keys``); values are
    drawn with replacement from ``n_values``; the queried pair is uniform. Returns
    ``(X (n, n_pairs + 1, K + V + 1) float32, y (n,) int64)``, ``y`` the value stored under the
    query's key. Chance accuracy is ``1 / n_values``; see :func:`recall_value_baseline` for a
    guesser that knows which values were shown.
    """
    n, P = check_int("n", n), check_int("n_pairs", n_pairs)
    K, V = check_int("n_keys", n_keys, 2), check_int("n_values", n_values, 2)
    if P > K:
        raise ValueError(f"n_pairs must be <= n_keys={K} (keys are distinct), got {P}")
    rng = as_generator(seed)
    keys = np.argsort(rng.random((n, K)), axis=1)[:, :P]  # (n, P) distinct keys
    values = rng.integers(0, V, size=(n, P))  # (n, P)
    which = rng.integers(0, P, size=n)  # (n,) the queried pair
    rows = np.arange(n)
    X = np.zeros((n, P + 1, K + V + 1), dtype=np.float32)
    X[rows[:, None], np.arange(P)[None, :], keys] = 1.0
    X[rows[:, None], np.arange(P)[None, :], K + values] = 1.0
    X[rows, P, keys[rows, which]] = 1.0
    X[rows, P, K + V] = 1.0
    return X, values[rows, which].astype(np.int64)


def recall_value_baseline(n_pairs: int, n_values: int = 16) -> float:
    """Accuracy of guessing, uniformly, the value of one of the ``n_pairs`` pairs shown.

    The guessed pair holds the right value if it is the queried pair (probability ``1/P``) or
    another pair that happens to share the value (``(P - 1)/P`` times ``1/V``):
    ``(1 + (P - 1)/V) / P``. No memory of which key went with which value is needed for it.
    """
    P, V = check_int("n_pairs", n_pairs), check_int("n_values", n_values, 2)
    return (1 + (P - 1) / V) / P
