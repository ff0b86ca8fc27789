"""Synthetic long-lag tasks: shapes, seeding, and chance baselines against their closed forms.

Tolerances on sampled quantities follow from their standard errors (4 standard errors, a
chance of about 6e-5 of failing for a correct generator).
"""

import math
import socket

import numpy as np
import pytest
from pytest_socket import SocketBlockedError

from lstm_tutorial.data import tasks

pytestmark = pytest.mark.disable_socket

N_BIG = 20_000


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_are_disabled():
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


# ---------------------------------------------------------------- adding problem


@pytest.mark.parametrize("variant", ["modern", "1997"])
def test_adding_shapes_markers_and_targets(variant):
    X, y = tasks.adding_problem(64, 40, variant=variant, seed=3)
    assert X.shape == (64, 40, 2) and X.dtype == np.float32
    assert y.shape == (64,) and y.dtype == np.float32
    marks = X[..., 1]
    assert np.all(marks.sum(axis=1) == 2)
    assert np.all(np.isin(marks, [0.0, 1.0]))
    total = (X[..., 0] * marks).sum(axis=1)
    expected = total if variant == "modern" else 0.5 + total / 4
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)
    first = marks.argmax(axis=1)
    second = 39 - marks[:, ::-1].argmax(axis=1)
    if variant == "modern":
        assert np.all(first < 20) and np.all(second >= 20)
        assert X[..., 0].min() >= 0 and X[..., 0].max() <= 1
    else:
        assert np.all(first < 10) and np.all(second < 20) and np.all(second >= 10)
        assert X[..., 0].min() >= -1 and X[..., 0].max() <= 1


@pytest.mark.parametrize("variant,const,closed", [("modern", 1.0, 1 / 6), ("1997", 0.5, 1 / 24)])
def test_adding_baseline_matches_closed_form(variant, const, closed):
    assert tasks.adding_problem_baseline(variant) == pytest.approx(closed)
    _, y = tasks.adding_problem(N_BIG, 30, variant=variant, seed=1)
    sq = (y.astype(np.float64) - const) ** 2
    se = sq.std() / math.sqrt(N_BIG)
    assert abs(tasks.adding_problem_baseline(variant, y) - closed) < 4 * se


@pytest.mark.parametrize("variant,closed", [("modern", 1 / 12), ("1997", 1 / 48)])
def test_adding_nearer_value_baseline_matches_closed_form(variant, closed):
    assert tasks.adding_nearer_value_baseline(variant=variant) == pytest.approx(closed)
    assert closed == pytest.approx(tasks.adding_problem_baseline(variant) / 2)  # one of two equal shares
    X, y = tasks.adding_problem(N_BIG, 30, variant=variant, seed=4)
    level = tasks.adding_nearer_value_baseline(X, y, variant=variant)
    se = closed * math.sqrt(0.8 / N_BIG)  # sd of a squared uniform deviation is sqrt(4/5) times its mean
    assert abs(level - closed) < 4 * se


def test_adding_nearer_value_baseline_reads_the_later_marker():
    X = np.zeros((2, 6, 2), dtype=np.float32)
    X[0, [1, 4], 1] = 1.0
    X[0, [1, 4], 0] = [0.25, 0.75]  # x2 = 0.75 at the later marker
    X[1, [0, 5], 1] = 1.0
    X[1, [0, 5], 0] = [1.0, 0.0]
    y = np.array([1.0, 1.0])
    # predictions x2 + 0.5: 1.25 and 0.5; errors -0.25 and 0.5
    assert tasks.adding_nearer_value_baseline(X, y) == pytest.approx((0.25**2 + 0.5**2) / 2)
    # "1997": 0.5 + x2 / 4 = 0.6875 and 0.5
    assert tasks.adding_nearer_value_baseline(X, y, variant="1997") == pytest.approx((0.3125**2 + 0.5**2) / 2)


def test_adding_nearer_value_baseline_bad_input():
    X, y = tasks.adding_problem(4, 10, seed=0)
    with pytest.raises(ValueError, match="both X and y"):
        tasks.adding_nearer_value_baseline(X)
    with pytest.raises(ValueError, match=r"X must be \(N, T, 2\) and y \(N,\)"):
        tasks.adding_nearer_value_baseline(X, y[:3])
    with pytest.raises(ValueError, match="variant"):
        tasks.adding_nearer_value_baseline(X, y, variant="1998")
    X_bad = X.copy()
    X_bad[0, :, 1] = 0.0
    with pytest.raises(ValueError, match="exactly 2 markers"):
        tasks.adding_nearer_value_baseline(X_bad, y)


def test_adding_1997_chance_solved_fraction():
    _, y = tasks.adding_problem(N_BIG, 30, variant="1997", seed=2)
    frac = tasks.adding_solved_fraction(y, np.full_like(y, 0.5))
    p = 2 * 0.16 / 2 - 0.16**2 / 4  # P(|x1 + x2| < 0.16) for the triangular density
    assert p == pytest.approx(0.1536)
    assert abs(frac - p) < 4 * math.sqrt(p * (1 - p) / N_BIG)


# ---------------------------------------------------------------- copy task


def test_copy_task_layout():
    T, n_copy, K = 30, 10, 8
    X, Y = tasks.copy_task(50, T, seed=0)
    L = T + 2 * n_copy
    assert X.shape == Y.shape == (50, L) and X.dtype == Y.dtype == np.int64
    np.testing.assert_array_equal(Y[:, -n_copy:], X[:, :n_copy])
    assert np.all((X[:, :n_copy] >= 1) & (X[:, :n_copy] <= K))
    assert np.all(X[:, n_copy + T - 1] == K + 1)
    assert np.all(np.delete(X, list(range(n_copy)) + [n_copy + T - 1], axis=1) == 0)
    assert np.all(Y[:, : T + n_copy] == 0)


@pytest.mark.parametrize("T", [10, 100])
def test_copy_task_memoryless_baseline(T):
    assert tasks.copy_task_baseline(T) == pytest.approx(10 * math.log(8) / (T + 20))
    n = N_BIG
    _, Y = tasks.copy_task(n, T, seed=5)
    L = T + 20
    gap = (tasks.copy_task_baseline(T) - tasks.memoryless_cross_entropy(Y)) * L
    # The plug-in entropy of the fitted memoryless predictor is biased low: over the 10
    # symbol positions, 2n * gap is about chi-squared with 10 * 7 = 70 degrees of freedom.
    assert 0 <= 2 * n * gap < 70 + 5 * math.sqrt(2 * 70)


# ---------------------------------------------------------------- temporal order


@pytest.mark.parametrize("n_relevant", [2, 3])
def test_temporal_order(n_relevant):
    T, n = 100, N_BIG
    X, y = tasks.temporal_order(n, T, n_relevant=n_relevant, seed=0)
    assert X.shape == (n, T) and y.shape == (n,) and X.dtype == y.dtype == np.int64
    assert np.all(X[:, 0] == 4) and np.all(X[:, -1] == 5)
    relevant = X >= 6
    assert np.all(relevant.sum(axis=1) == n_relevant)
    bits = X[relevant].reshape(n, n_relevant) - 6
    np.testing.assert_array_equal(y, bits @ (2 ** np.arange(n_relevant - 1, -1, -1)))
    first = relevant.argmax(axis=1)
    assert first.min() >= 10 and first.max() <= 20
    k = 2**n_relevant
    freq = np.bincount(y, minlength=k) / n
    assert np.all(np.abs(freq - 1 / k) < 4 * math.sqrt((1 / k) * (1 - 1 / k) / n))
    assert tasks.temporal_order_baseline(n_relevant) == {"accuracy": 1 / k, "cross_entropy": math.log(k)}


# ---------------------------------------------------------------- Reber grammar


def test_reber_strings_follow_the_grammar():
    strings = tasks.embedded_reber(500, seed=0)
    for s in strings:
        allowed = tasks.reber_next_symbols(s)
        assert len(allowed) == len(s) - 1
        assert all(s[i + 1] in allowed[i] for i in range(len(s) - 1))
        assert allowed[-2] == s[1]  # the long-lag prediction: one symbol allowed
    share_T = np.mean([s[1] == "T" for s in strings])
    assert abs(share_T - 0.5) < 4 * math.sqrt(0.25 / 500)
    assert min(map(len, strings)) >= 9


def test_reber_known_strings_and_errors():
    assert tasks.reber_next_symbols("BTBTXSETE")[-2] == "T"
    assert tasks.reber_next_symbols("BPBPVVEPE")[3:6] == ["TV", "PV", "E"]
    for bad in ["BTBTXSEPE", "BTBTSSEPE", "BTBTXSE"]:
        with pytest.raises(ValueError):
            tasks.reber_next_symbols(bad)
    ids = tasks.encode_reber(["BTBTXSETE"])
    np.testing.assert_array_equal(ids[0], [0, 1, 0, 1, 4, 3, 6, 1, 6])
    with pytest.raises(ValueError, match="'Q'"):
        tasks.encode_reber(["BQ"])


# ---------------------------------------------------------------- delayed recall


@pytest.mark.parametrize("lag", [10, 50, 100, 200])
def test_delayed_recall(lag):
    X, y = tasks.delayed_recall(300, lag, seed=1)  # distractors: same alphabet
    assert X.shape == (300, lag + 1) and y.shape == (300,) and X.dtype == y.dtype == np.int64
    np.testing.assert_array_equal(X[:, 0], y)
    assert X.min() == 0 and X.max() == 7
    X4, y4 = tasks.delayed_recall(300, lag, n_distractors=4, seed=1)  # distractors: 4 extra ids
    np.testing.assert_array_equal(X4[:, 0], y4)
    assert X4[:, 1:].min() >= 8 and X4[:, 1:].max() < 12
    assert tasks.one_hot(X4, 12).shape == (300, lag + 1, 12)


def test_delayed_recall_chance_level():
    n = N_BIG
    _, y = tasks.delayed_recall(n, 5, seed=2)
    freq = np.bincount(y, minlength=8) / n
    # the best memoryless guess is the most frequent class: accuracy 1/8 up to sampling error
    assert abs(freq.max() - 1 / 8) < 4 * math.sqrt((1 / 8) * (7 / 8) / n)
    assert tasks.delayed_recall_baseline(8)["cross_entropy"] == pytest.approx(math.log(8))


# ---------------------------------------------------------------- seeding and bad input

GENERATORS = [
    lambda s: tasks.adding_problem(8, 30, seed=s),
    lambda s: tasks.adding_problem(8, 30, variant="1997", seed=s),
    lambda s: tasks.copy_task(8, 12, seed=s),
    lambda s: tasks.temporal_order(8, 50, seed=s),
    lambda s: (np.array(tasks.embedded_reber(8, seed=s)),),
    lambda s: tasks.delayed_recall(8, 20, seed=s),
]


@pytest.mark.parametrize("gen", GENERATORS)
def test_seeding(gen):
    a, b, c = gen(7), gen(7), gen(8)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert any(not np.array_equal(u, w) for u, w in zip(a, c))


def test_bad_input():
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        tasks.adding_problem(0, 10)
    with pytest.raises(TypeError, match="T must be an int"):
        tasks.adding_problem(5, 10.0)
    with pytest.raises(ValueError, match="variant"):
        tasks.adding_problem(5, 50, variant="1998")
    with pytest.raises(ValueError, match="T must be >= 22"):
        tasks.adding_problem(5, 12, variant="1997")
    with pytest.raises(ValueError, match="seed"):
        tasks.copy_task(5, 10, seed=-1)
    with pytest.raises(ValueError, match="lag"):
        tasks.delayed_recall(5, 0)
    with pytest.raises(ValueError, match="n_relevant"):
        tasks.temporal_order(5, 100, n_relevant=4)
    with pytest.raises(ValueError, match="0..3"):
        tasks.one_hot(np.array([0, 4]), 4)
    with pytest.raises(TypeError, match="integers"):
        tasks.one_hot(np.array([0.5]), 4)
    with pytest.raises(ValueError, match="same shape"):
        tasks.adding_solved_fraction([1, 2], [1])


def test_echo_streams_targets_the_bit_delay_steps_back():
    from lstm_tutorial.data.tasks import echo_streams

    x, y = echo_streams(3, 20, 4, seed=5)
    assert x.shape == (3, 20, 1) and y.shape == (3, 20) and x.dtype == np.float64 and y.dtype == np.int64
    bits = (x[..., 0] > 0).astype(np.int64)
    assert np.array_equal(y[:, 4:], bits[:, :-4]) and not y[:, :4].any()
    assert set(np.unique(x)) == {-1.0, 1.0}
    x2, _ = echo_streams(3, 20, 4, seed=5)
    assert np.array_equal(x, x2)
    with pytest.raises(ValueError, match="delay must be shorter than the stream"):
        echo_streams(3, 4, 4)
    with pytest.raises(ValueError, match="delay must be >= 1"):
        echo_streams(3, 10, 0)
