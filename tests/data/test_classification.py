"""Sequence classification data: digits read row by row, padding, a stratified split."""

import numpy as np
import pytest

from lstm_tutorial.data import classification
from lstm_tutorial.data.tasks import embedded_reber, encode_reber

pytestmark = pytest.mark.disable_socket  # every loader here works offline


def test_digit_sequences():
    X, y = classification.load_digit_sequences()
    assert X.shape == (1797, 8, 8) and X.dtype == np.float32 and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 1 and set(np.unique(y)) == set(range(10))


def test_pad_sequences_variable_length():
    seqs = encode_reber(embedded_reber(20, seed=0))
    padded, lengths, mask = classification.pad_sequences(seqs, pad_value=-1)
    assert padded.shape == (20, max(map(len, seqs))) and padded.dtype == np.int64
    np.testing.assert_array_equal(lengths, [len(s) for s in seqs])
    np.testing.assert_array_equal(mask.sum(axis=1), lengths)
    for s, row, m in zip(seqs, padded, mask):
        np.testing.assert_array_equal(row[m], s)
        assert np.all(row[~m] == -1)
    p2, _, _ = classification.pad_sequences([np.ones((2, 3)), np.ones((4, 3))])
    assert p2.shape == (2, 4, 3) and p2[0, 2:].sum() == 0
    with pytest.raises(ValueError, match=r"sequence 1 has shape \(4, 2\)"):
        classification.pad_sequences([np.ones((2, 3)), np.ones((4, 2))])
    with pytest.raises(ValueError, match="sequence 0 is empty"):
        classification.pad_sequences([np.ones(0)])
    with pytest.raises(ValueError, match="at least one"):
        classification.pad_sequences([])


def test_stratified_split():
    _, y = classification.load_digit_sequences()
    tr, te = classification.stratified_split(y, 0.2, seed=0)
    assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == len(y)
    for c in range(10):
        assert abs(np.mean(y[te] == c) - np.mean(y == c)) < 0.01
    tr2, te2 = classification.stratified_split(y, 0.2, seed=0)
    np.testing.assert_array_equal(te, te2)
    assert not np.array_equal(te, classification.stratified_split(y, 0.2, seed=1)[1])
    with pytest.raises(ValueError, match="class 1 has 1 items"):
        classification.stratified_split(np.array([0, 0, 0, 1]), 0.5)
