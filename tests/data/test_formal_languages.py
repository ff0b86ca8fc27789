"""Formal languages and associative recall: exact labels on hand-made strings, balance, bad input."""

import numpy as np
import pytest

from lstm_tutorial.data import formal_languages as fl

pytestmark = pytest.mark.disable_socket


def test_running_parity_on_hand_made_strings():
    X = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(fl.running_parity(X), [[1, 1, 0, 1, 1], [0, 0, 0, 0, 1]])


def test_count_comparison_on_hand_made_strings():
    # a = 0, b = 1; labels 0: fewer a's, 1: as many, 2: more a's
    X = np.array([[0, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 1]])
    np.testing.assert_array_equal(fl.count_comparison_labels(X), [[2, 1, 0, 1, 2, 2], [0, 0, 0, 1, 2, 1]])


def test_generators_label_every_prefix_and_repeat_with_the_seed():
    X, y = fl.parity_strings(50, 12, seed=4)
    assert X.shape == y.shape == (50, 12) and X.dtype == np.int64
    np.testing.assert_array_equal(y[:, -1], X.sum(axis=1) % 2)
    np.testing.assert_array_equal(X, fl.parity_strings(50, 12, seed=4)[0])
    X, y = fl.count_strings(50, 12, seed=4)
    np.testing.assert_array_equal(y[:, -1], np.sign((X == 0).sum(1) - (X == 1).sum(1)) + 1)
    assert not np.array_equal(X, fl.count_strings(50, 12, seed=5)[0])


def test_parity_test_set_is_balanced_and_labelled():
    X, y = fl.parity_test_set(100, 257, seed=1)
    assert X.shape == (100, 257) and np.isin(X, (0, 1)).all()
    np.testing.assert_array_equal(y, X.sum(axis=1) % 2)
    assert y.sum() == 50


def test_count_test_set_differences_and_balance():
    X, y = fl.count_test_set(20, 64, seed=2)
    assert X.shape == (60, 64)
    diff = (X == 0).sum(1) - (X == 1).sum(1)
    np.testing.assert_array_equal(diff, np.repeat([-2, 0, 2], 20))
    np.testing.assert_array_equal(y, fl.count_comparison_labels(X)[:, -1])
    np.testing.assert_array_equal(np.bincount(y), [20, 20, 20])


def test_associative_recall_layout():
    X, y = fl.associative_recall(200, 5, n_keys=8, n_values=6, seed=3)
    K, V = 8, 6
    assert X.shape == (200, 6, fl.recall_feature_size(K, V)) == (200, 6, 15) and X.dtype == np.float32
    keys, values = X[:, :5, :K].argmax(-1), X[:, :5, K : K + V].argmax(-1)
    assert np.all(X[:, :5].sum(-1) == 2) and np.all(X[:, :5, -1] == 0)  # one key, one value, no flag
    assert all(len(set(row)) == 5 for row in keys)  # distinct keys
    assert np.all(X[:, 5, -1] == 1) and np.all(X[:, 5, K : K + V] == 0) and np.all(X[:, 5].sum(-1) == 2)
    q = X[:, 5, :K].argmax(-1)
    for n in range(200):
        (j,) = np.flatnonzero(keys[n] == q[n])
        assert y[n] == values[n, j]


def test_recall_value_baseline_matches_simulation():
    assert fl.recall_value_baseline(1, 16) == 1.0
    assert fl.recall_value_baseline(4, 16) == pytest.approx((1 + 3 / 16) / 4)
    X, y = fl.associative_recall(20_000, 4, seed=0)
    rng = np.random.default_rng(0)
    guess = X[np.arange(20_000), rng.integers(0, 4, 20_000), 16:32].argmax(-1)
    assert abs(np.mean(guess == y) - fl.recall_value_baseline(4, 16)) < 0.01


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: fl.running_parity([[0, 2, 1]]), "X must hold only the symbols 0 and 1"),
        (lambda: fl.running_parity([0, 1]), r"X must be a non-empty 2-D integer array"),
        (lambda: fl.count_comparison_labels(np.array([[0.0, 1.0]])), "X must be a non-empty 2-D integer"),
        (lambda: fl.parity_strings(0, 5), "n must be >= 1, got 0"),
        (lambda: fl.count_test_set(4, 7), "T must be even"),
        (lambda: fl.count_test_set(0, 8), "n_per_class must be >= 1"),
        (lambda: fl.associative_recall(4, 9, n_keys=8), "n_pairs must be <= n_keys=8"),
        (lambda: fl.associative_recall(4, 0), "n_pairs must be >= 1"),
        (lambda: fl.recall_value_baseline(3, 1), "n_values must be >= 2"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_wrong_type_names_the_argument():
    with pytest.raises(TypeError, match="T must be an int"):
        fl.parity_strings(3, 4.0)
