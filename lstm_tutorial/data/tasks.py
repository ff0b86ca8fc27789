"""Synthetic long-time-lag problems with known answers, and their chance baselines.

Every generator takes ``seed`` and draws from its own ``numpy.random.default_rng(seed)``,
so the same call returns the same arrays and never touches global random state. Arrays are
batch-first NumPy arrays: float32 for real-valued inputs and targets, int64 for symbol ids,
so ``torch.from_numpy(X)`` and ``keras.Model.fit(X, y)`` take them as they are. Symbol ids
become one-hot vectors with :func:`one_hot`.

Letters: ``N`` sequences, ``T`` time steps, ``D`` input features; ``S = n_symbols`` is the size of
a task's alphabet (``K`` is kept for the chunk length of truncated BPTT, as in the book's notation).

Each task states its *chance baseline*: the best loss a model without memory of the
relevant inputs can reach, in closed form, with a function that computes it, so a learning
curve can be drawn next to it.

==========================  =====================================  ==============================
task                        what must be remembered                 chance baseline
==========================  =====================================  ==============================
adding problem, modern      two marked values, lag >= T/2           MSE 1/6 ~ 0.167 (predict 1)
adding problem, 1997        two marked values in the first half     MSE 1/24 ~ 0.042 (predict 0.5)
copy task                   ``n_copy`` symbols across ``T`` blanks  CE n_copy ln S / (T + 2 n_copy)
temporal order              order of 2 (or 3) X/Y symbols           accuracy 1/4 (1/8), CE ln 4 (ln 8)
embedded Reber grammar      the 2nd symbol, until the penultimate   penultimate symbol right 1/2
delayed recall              one symbol across ``lag`` distractors   accuracy 1/S, CE ln S
echo stream                 the bit ``delay`` steps back            accuracy 1/2
==========================  =====================================  ==============================
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lstm_tutorial._checks import as_generator, check_int

__all__ = [
    "adding_problem",
    "adding_problem_baseline",
    "adding_nearer_value_baseline",
    "adding_solved_fraction",
    "copy_task",
    "copy_task_baseline",
    "memoryless_cross_entropy",
    "TEMPORAL_ORDER_SYMBOLS",
    "temporal_order",
    "temporal_order_baseline",
    "REBER_SYMBOLS",
    "reber_string",
    "embedded_reber",
    "reber_next_symbols",
    "encode_reber",
    "delayed_recall",
    "delayed_recall_baseline",
    "echo_streams",
    "one_hot",
    "vocab_size",
    "reason_recall",
    "balanced_test_set",
]


def adding_problem(n: int, T: int, *, variant: str = "modern", seed: int = 0):
    """The adding problem: add the two marked numbers of a long sequence.

    Each step carries two features: a random value and a marker that is 1 at exactly two
    steps and 0 elsewhere. The target is computed from the two marked values ``x1, x2`` only.

    ``variant="modern"`` (the form used since Le, Jaitly and Hinton 2015): values uniform in
    [0, 1], target ``x1 + x2``; one marker in the first half and one in the second half, so
    the first marked value lies at least ``T/2`` steps before the end.

    ``variant="1997"`` (after Hochreiter and Schmidhuber 1997, experiment 4): values uniform
    in [-1, 1], target ``0.5 + (x1 + x2) / 4`` (always within [0, 1]); a sequence counts as
    solved when its absolute error is below 0.04 (:func:`adding_solved_fraction`). This
    project places the first marker in the first 10 steps and the second among the remaining
    steps of the first half, so both lie at least ``T/2`` steps before the end; the paper's
    further details (marker -1 at the ends, its exact ranges) are not reproduced.

    Args:
        n: number of sequences ``N`` (>= 1).
        T: sequence length (>= 4 for "modern", >= 22 for "1997").
        variant: ``"modern"`` or ``"1997"``.
        seed: seed of the generator.

    Returns:
        ``(X, y)``: ``X`` float32 ``(N, T, 2)`` with values in ``X[..., 0]`` and markers in
        ``X[..., 1]``; ``y`` float32 ``(N,)``.
    """
    n = check_int("n", n, 1)
    rng = as_generator(seed)
    rows = np.arange(n)
    if variant == "modern":
        T = check_int("T", T, 4)
        values = rng.uniform(0.0, 1.0, size=(n, T))
        half = T // 2
        first = rng.integers(0, half, size=n)
        second = rng.integers(half, T, size=n)
    elif variant == "1997":
        T = check_int("T", T, 22)
        values = rng.uniform(-1.0, 1.0, size=(n, T))
        first = rng.integers(0, 10, size=n)
        second = rng.integers(10, T // 2, size=n)
    else:
        raise ValueError(f"variant must be 'modern' or '1997', got {variant!r}")
    markers = np.zeros((n, T))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    total = values[rows, first] + values[rows, second]
    y = total if variant == "modern" else 0.5 + total / 4.0
    X = np.stack([values, markers], axis=-1).astype(np.float32)
    return X, y.astype(np.float32)


def adding_problem_baseline(variant: str = "modern", y=None) -> float:
    """Mean squared error of the best constant prediction (a model that ignores the inputs).

    Closed forms (``y=None``): "modern" predicts ``E[y] = 1`` and its MSE is
    ``Var(x1 + x2) = 2 * 1/12 = 1/6 ~ 0.1667``; "1997" predicts 0.5 and its MSE is
    ``Var((x1 + x2) / 4) = 2 * (1/3) / 16 = 1/24 ~ 0.0417``.

    With targets ``y`` given, returns the empirical MSE of that same constant on them.
    """
    const = {"modern": (1.0, 1.0 / 6.0), "1997": (0.5, 1.0 / 24.0)}
    if variant not in const:
        raise ValueError(f"variant must be 'modern' or '1997', got {variant!r}")
    c, mse = const[variant]
    if y is None:
        return mse
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        raise ValueError("y must not be empty")
    return float(np.mean((y - c) ** 2))


def adding_nearer_value_baseline(X=None, y=None, variant: str = "modern") -> float:
    """Mean squared error of a model that remembers only the *nearer* (later) marked value.

    The best prediction from the second marked value ``x2`` alone is ``E[y | x2]``:
    ``x2 + 0.5`` for "modern" and ``0.5 + x2 / 4`` for "1997" (``E[x1]`` is 0.5 and 0). Its
    MSE is the variance of the forgotten first value's share of the target: ``1/12 ~ 0.0833``
    for "modern", half of chance (:func:`adding_problem_baseline`), and
    ``(1/3) / 16 = 1/48 ~ 0.0208`` for "1997".

    With ``X`` ``(N, T, 2)`` and ``y`` ``(N,)`` from :func:`adding_problem` given, returns the
    empirical MSE of that prediction on them (``x2`` read at each sequence's later marker);
    with neither, the closed form.
    """
    if variant not in ("modern", "1997"):
        raise ValueError(f"variant must be 'modern' or '1997', got {variant!r}")
    if X is None and y is None:
        return 1.0 / 12.0 if variant == "modern" else 1.0 / 48.0
    if X is None or y is None:
        raise ValueError("give both X and y (the empirical level) or neither (the closed form)")
    X = np.asarray(X)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 3 or X.shape[-1] != 2 or y.shape != X.shape[:1]:
        raise ValueError(f"X must be (N, T, 2) and y (N,), got X {X.shape} and y {y.shape}")
    n_marks = (X[..., 1] != 0).sum(axis=1)
    if not np.all(n_marks == 2):
        raise ValueError(f"every sequence of X must have exactly 2 markers, found counts {sorted(set(n_marks))}")
    T = X.shape[1]
    second = T - 1 - np.argmax(X[:, ::-1, 1] != 0, axis=1)  # index of the later marker
    x2 = X[np.arange(len(X)), second, 0].astype(np.float64)
    pred = x2 + 0.5 if variant == "modern" else 0.5 + x2 / 4.0
    return float(np.mean((y - pred) ** 2))


def adding_solved_fraction(y_true, y_pred, tol: float = 0.04) -> float:
    """Fraction of sequences whose absolute error is below ``tol`` (the 1997 criterion).

    For reference: the constant 0.5 meets it on ``P(|x1 + x2| < 0.16) = 0.1536`` of the
    "1997" sequences (``x1 + x2`` has a triangular density on [-2, 2]).
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
    return float(np.mean(np.abs(y_true - y_pred) < tol))


def copy_task(n: int, T: int, *, n_symbols: int = 8, n_copy: int = 10, seed: int = 0):
    """The copy (delayed-recall) task: reproduce ``n_copy`` symbols after ``T`` quiet steps.

    Ids: 0 is the blank, ``1..n_symbols`` are the data symbols, ``n_symbols + 1`` is the
    delimiter ("now copy"). With the common setup (8 symbols, 10 to copy) a sequence has
    ``T + 20`` steps::

        input : s1 .. s10  blank x (T - 1)  delimiter  blank x 10
        target: blank x (T + 10)                       s1 .. s10

    Returns:
        ``(X, Y)``: int64 ``(N, T + 2 n_copy)`` input ids and int64 ``(N, T + 2 n_copy)``
        target ids. One-hot inputs: ``one_hot(X, n_symbols + 2)``.
    """
    n = check_int("n", n, 1)
    T = check_int("T", T, 1)
    n_symbols = check_int("n_symbols", n_symbols, 2)
    n_copy = check_int("n_copy", n_copy, 1)
    rng = as_generator(seed)
    L = T + 2 * n_copy
    data = rng.integers(1, n_symbols + 1, size=(n, n_copy))
    X = np.zeros((n, L), dtype=np.int64)
    Y = np.zeros((n, L), dtype=np.int64)
    X[:, :n_copy] = data
    X[:, n_copy + T - 1] = n_symbols + 1
    Y[:, T + n_copy :] = data
    return X, Y


def copy_task_baseline(T: int, *, n_symbols: int = 8, n_copy: int = 10) -> float:
    """Mean cross-entropy (nats per step) of the best memoryless predictor on :func:`copy_task`.

    A model that knows only the position outputs "blank" with certainty for the first
    ``T + n_copy`` steps (loss 0) and a uniform guess over the ``n_symbols`` for the last
    ``n_copy`` (loss ``ln n_symbols`` each), so the mean over all steps is
    ``n_copy * ln(n_symbols) / (T + 2 * n_copy)``; with 8 symbols and 10 to copy,
    ``10 ln 8 / (T + 20)``.
    """
    T = check_int("T", T, 1)
    return n_copy * math.log(n_symbols) / (T + 2 * n_copy)


def memoryless_cross_entropy(Y) -> float:
    """Empirical cross-entropy of the best predictor that sees only the time step.

    For each step it predicts the empirical distribution of the targets ``Y`` (int
    ``(N, T)``) at that step, and returns the mean cross-entropy in nats per step: the
    sample version of :func:`copy_task_baseline` (slightly below it, since it is fitted to
    the same sample).
    """
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.size == 0:
        raise ValueError(f"Y must be a non-empty 2-D array of ids, got shape {Y.shape}")
    total = 0.0
    for t in range(Y.shape[1]):
        p = np.bincount(Y[:, t]) / Y.shape[0]
        p = p[p > 0]
        total += -(p * np.log(p)).sum()
    return float(total / Y.shape[1])


TEMPORAL_ORDER_SYMBOLS = ("a", "b", "c", "d", "B", "E", "X", "Y")


def temporal_order(n: int, T: int = 100, *, n_relevant: int = 2, seed: int = 0):
    """The temporal order problem (Hochreiter and Schmidhuber 1997, experiments 6a/6b).

    A sequence starts with ``B`` (id 4), ends with ``E`` (id 5) and is filled with random
    distractors ``a, b, c, d`` (ids 0-3), except at ``n_relevant`` positions holding ``X``
    (id 6) or ``Y`` (id 7). The class is the ordered pattern of those symbols: with two,
    XX, XY, YX, YY are classes 0-3; with three, 8 classes (X = bit 0, Y = bit 1, first
    symbol most significant). Positions are drawn as fractions of ``T``: the paper's 10-20
    and 50-60 of 100 for two symbols; 10-20, 33-43 and 66-76 for three.

    Returns:
        ``(X, y)``: int64 ids ``(N, T)`` (one-hot with ``one_hot(X, 8)``), int64 classes ``(N,)``.
    """
    n = check_int("n", n, 1)
    T = check_int("T", T, 20)
    windows = {2: [(0.10, 0.20), (0.50, 0.60)], 3: [(0.10, 0.20), (0.33, 0.43), (0.66, 0.76)]}
    if n_relevant not in windows:
        raise ValueError(f"n_relevant must be 2 or 3, got {n_relevant!r}")
    rng = as_generator(seed)
    X = rng.integers(0, 4, size=(n, T))
    X[:, 0], X[:, -1] = 4, 5
    bits = rng.integers(0, 2, size=(n, n_relevant))
    rows = np.arange(n)
    for j, (lo, hi) in enumerate(windows[n_relevant]):
        pos = rng.integers(int(lo * T), int(hi * T) + 1, size=n)
        X[rows, pos] = 6 + bits[:, j]
    y = (bits * (2 ** np.arange(n_relevant - 1, -1, -1))).sum(axis=1)
    return X.astype(np.int64), y.astype(np.int64)


def temporal_order_baseline(n_relevant: int = 2) -> dict:
    """Chance level: classes are equally likely, so accuracy ``1 / 2**n_relevant`` and
    cross-entropy ``ln 2**n_relevant`` (predicting the uniform distribution)."""
    if n_relevant not in (2, 3):
        raise ValueError(f"n_relevant must be 2 or 3, got {n_relevant!r}")
    k = 2**n_relevant
    return {"accuracy": 1.0 / k, "cross_entropy": math.log(k)}


REBER_SYMBOLS = "BTPSXVE"


# Reber grammar as a finite automaton: state -> [(symbol, next state), ...]; state 6 emits E.
_REBER = {
    1: [("T", 2), ("P", 3)],
    2: [("S", 2), ("X", 4)],
    3: [("T", 3), ("V", 5)],
    4: [("X", 3), ("S", 6)],
    5: [("P", 4), ("V", 6)],
}


def reber_string(rng: np.random.Generator) -> str:
    """One string of the Reber grammar, each branch taken with probability 1/2 (e.g. ``BTXSE``)."""
    out, state = ["B"], 1
    while state != 6:
        symbol, state = _REBER[state][rng.integers(2)]
        out.append(symbol)
    out.append("E")
    return "".join(out)


def embedded_reber(n: int, *, seed: int = 0) -> list[str]:
    """Strings of the embedded Reber grammar: ``B``, then ``T`` or ``P``, a Reber string,
    the same ``T`` or ``P`` again, and ``E`` (e.g. ``BTBPVVETE``).

    The task is next-symbol prediction. Everything is predictable from the grammar and the
    last few symbols except the penultimate symbol, which repeats the second: a model that
    has forgotten it is right only half of the time there. Lengths vary (9 and up).
    """
    n = check_int("n", n, 1)
    rng = as_generator(seed)
    out = []
    for _ in range(n):
        branch = "TP"[rng.integers(2)]
        out.append("B" + branch + reber_string(rng) + branch + "E")
    return out


def reber_next_symbols(s: str) -> list[str]:
    """For each position of an embedded Reber string, the set of symbols allowed next.

    Returns a list of ``len(s) - 1`` strings (sorted symbols). A prediction is correct at a
    position when the symbols it rates likely are exactly this set.
    """
    if len(s) < 9 or s[0] != "B" or s[-1] != "E" or s[1] not in "TP" or s[-2] != s[1]:
        raise ValueError(f"not an embedded Reber string: {s!r}")
    allowed = ["PT", "B", "PT"]  # after the outer B, the branch symbol, the inner B
    state = 1
    for ch in s[3:-3]:  # inner symbols between the inner B and the inner E
        nxt = dict(_REBER[state]).get(ch) if state in _REBER else None
        if nxt is None:
            raise ValueError(f"symbol {ch!r} not allowed in state {state} of {s!r}")
        state = nxt
        allowed.append("E" if state == 6 else "".join(sorted(sym for sym, _ in _REBER[state])))
    if state != 6:
        raise ValueError(f"inner Reber string incomplete in {s!r}")
    return allowed + [s[1], "E"]  # after the inner E only the remembered branch is allowed


def encode_reber(strings: Sequence[str]) -> list[np.ndarray]:
    """Map each string to int64 ids over :data:`REBER_SYMBOLS` (variable lengths; pad with
    :func:`lstm_tutorial.data.classification.pad_sequences`). Unknown symbols raise ``ValueError``."""
    out = []
    for k, s in enumerate(strings):
        bad = [c for c in s if c not in REBER_SYMBOLS]
        if bad:
            raise ValueError(f"string {k} contains {bad[0]!r}, expected only {REBER_SYMBOLS!r}")
        out.append(np.array([REBER_SYMBOLS.index(c) for c in s], dtype=np.int64))
    return out


def delayed_recall(n: int, lag: int, *, n_symbols: int = 8, n_distractors: int = 0, seed: int = 0):
    """Remember the symbol shown at step 0 and name it ``lag`` steps later.

    The task with a dial: the same model can be run at lags 10, 50, 100, 200 and nothing else
    changes. Ids ``0..n_symbols-1`` are the symbols; step 0 shows the one to remember and
    steps ``1..lag`` are distractors. With ``n_distractors=0`` (default) the distractors are
    random symbols of the same alphabet, so the model must hold on to the *first* symbol and
    ignore the later ones; with ``n_distractors > 0`` they are drawn from that many extra
    ids ``n_symbols..n_symbols+n_distractors-1`` that never need remembering (an easier
    variant). The answer is read from the output at the last step, ``lag`` steps after the cue.

    Returns:
        ``(X, y)``: int64 ids ``(N, lag + 1)`` (one-hot with
        ``one_hot(X, n_symbols + n_distractors)``) and int64 targets ``(N,)`` in
        ``0..n_symbols-1``. Chance: :func:`delayed_recall_baseline`.
    """
    n = check_int("n", n, 1)
    lag = check_int("lag", lag, 1)
    n_symbols = check_int("n_symbols", n_symbols, 2)
    n_distractors = check_int("n_distractors", n_distractors, 0)
    rng = as_generator(seed)
    y = rng.integers(0, n_symbols, size=n)
    X = np.empty((n, lag + 1), dtype=np.int64)
    X[:, 0] = y
    lo = 0 if n_distractors == 0 else n_symbols
    X[:, 1:] = rng.integers(lo, n_symbols + n_distractors, size=(n, lag))
    return X, y.astype(np.int64)


def delayed_recall_baseline(n_symbols: int = 8) -> dict:
    """Chance level without memory: accuracy ``1 / n_symbols``, cross-entropy ``ln n_symbols``."""
    n_symbols = check_int("n_symbols", n_symbols, 2)
    return {"accuracy": 1.0 / n_symbols, "cross_entropy": math.log(n_symbols)}


def echo_streams(n: int, T: int, delay: int, *, seed: int = 0):
    """Streams of random bits, each step's target the bit ``delay`` steps back (many-to-many).

    Returns ``(x, y)``: ``x`` float64 ``(n, T, 1)``, the bits as -1/+1; ``y`` int64 ``(n, T)``,
    ``y[:, t] = bit[t - delay]`` for ``t >= delay`` and 0 before (no source yet: score from
    ``delay`` on). Chance accuracy 1/2. A model trained with truncated BPTT in chunks of ``K``
    steps learns it only when ``K > delay``: the gradient from a target never reaches an input
    ``delay`` steps back across a chunk boundary otherwise.
    """
    n, T, delay = check_int("n", n, 1), check_int("T", T, 2), check_int("delay", delay, 1)
    if delay >= T:
        raise ValueError(f"delay must be shorter than the stream, got delay={delay} with T={T}")
    bits = as_generator(seed).integers(0, 2, size=(n, T))
    x = (2.0 * bits - 1.0)[..., None]
    y = np.zeros((n, T), dtype=np.int64)
    y[:, delay:] = bits[:, :-delay]
    return x, y


def one_hot(ids, depth: int) -> np.ndarray:
    """One-hot float32 array of shape ``ids.shape + (depth,)``; ids outside ``0..depth-1`` raise."""
    depth = check_int("depth", depth, 1)
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"ids must be integers, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= depth):
        raise ValueError(f"ids must lie in 0..{depth - 1}, got range {ids.min()}..{ids.max()}")
    return np.eye(depth, dtype=np.float32)[ids]


def vocab_size(n_reasons: int = 8, n_distractors: int = 4) -> int:
    """``V = S + N + 1``: reasons, distractors and the query token."""
    return n_reasons + n_distractors + 1


def _check(k: int, n_reasons: int, n_distractors: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k must be an int >= 0, got {k!r}")
    if n_reasons < 2 or n_distractors < 1:
        raise ValueError(f"need n_reasons >= 2 and n_distractors >= 1, got {n_reasons}, {n_distractors}")


def reason_recall(n: int, k: int, *, n_reasons: int = 8, n_distractors: int = 4, seed: int = 0):
    """``n`` sequences of ``T = k + 2`` ids (reason, ``k`` distractors, query) and their reasons.

    Returns:
        ``(X, y)``: int64 ids ``(n, k + 2)`` and int64 targets ``(n,)`` in ``0..n_reasons-1``
        (``y == X[:, 0]``). Fully determined by ``seed``.
    """
    _check(k, n_reasons, n_distractors)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_reasons, size=n)
    X = np.empty((n, k + 2), dtype=np.int64)
    X[:, 0] = y
    X[:, 1 : k + 1] = rng.integers(n_reasons, n_reasons + n_distractors, size=(n, k))
    X[:, k + 1] = n_reasons + n_distractors  # the query
    return X, y.astype(np.int64)


def balanced_test_set(n_tails: int, k: int, *, n_reasons: int = 8, n_distractors: int = 4, seed: int = 999):
    """Every one of ``n_tails`` random distractor tails paired with every reason.

    ``(X, y)`` with ``n_tails * n_reasons`` rows. Rows ``j * n_reasons + r`` share tail ``j``
    and have reason ``r``. A model whose input does not include position 0 gives the same
    answer for all ``n_reasons`` rows of a tail, right for exactly one of them: its accuracy is
    ``1 / n_reasons`` exactly, whatever it learned.
    """
    X, _ = reason_recall(n_tails, k, n_reasons=n_reasons, n_distractors=n_distractors, seed=seed)
    X = np.repeat(X, n_reasons, axis=0)  # (n_tails * S, T)
    y = np.tile(np.arange(n_reasons, dtype=np.int64), n_tails)
    X[:, 0] = y
    return X, y
