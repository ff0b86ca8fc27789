"""Sequence-to-sequence tasks: the generators, the vocabulary, padded batches and their errors."""

import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tutorial.data import seq2seq as s2s

pytestmark = pytest.mark.disable_socket


def test_vocab_reserves_the_special_ids_and_round_trips():
    v = s2s.Vocab(["x", "y", "z"])
    assert (v.pad_id, v.bos_id, v.eos_id) == (0, 1, 2) and len(v) == 6
    assert v.tokens[:3] == [s2s.PAD, s2s.BOS, s2s.EOS]
    np.testing.assert_array_equal(v.encode(["z", "x"]), [5, 3])
    assert v.decode([1, 5, 3, 2, 4, 0]) == ["z", "x"]  # BOS dropped, stops at EOS
    assert v.decode([5, 0, 3], strip=False) == ["z", s2s.PAD, "x"]


@pytest.mark.parametrize(
    "tokens, error, match",
    [
        ([], ValueError, "at least one token"),
        (["a", "a"], ValueError, "distinct"),
        (["a", s2s.EOS], ValueError, "special token"),
        (["a", 3], TypeError, r"tokens\[1\]"),
    ],
)
def test_vocab_refuses_bad_tokens(tokens, error, match):
    with pytest.raises(error, match=match):
        s2s.Vocab(tokens)


def test_unknown_token_and_bad_ids_are_named():
    v = s2s.symbol_vocab(3)
    with pytest.raises(ValueError, match=r"tokens\[1\] = 'q' is not in the vocabulary"):
        v.encode(["a", "q"])
    with pytest.raises(TypeError, match="split it first"):
        v.encode("abc")
    with pytest.raises(ValueError, match="ids must be integers in 0..5"):
        v.decode([0, 6])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 30),
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    n_symbols=st.integers(2, 26),
)
def test_copy_and_reverse_pairs(seed, n, lengths, n_symbols):
    copies = s2s.copy_pairs(np.random.default_rng(seed), n, lengths, n_symbols=n_symbols)
    reverses = s2s.reverse_pairs(np.random.default_rng(seed), n, lengths, n_symbols=n_symbols)
    vocab = s2s.symbol_vocab(n_symbols)
    assert len(copies) == len(reverses) == n
    for (src, tgt), (src_r, tgt_r) in zip(copies, reverses):
        assert len(src) in lengths and tgt == src
        assert src_r == src and tgt_r == src[::-1]  # same generator state: same sources
        assert vocab.encode(src).max() < len(vocab)


def test_pairs_are_seeded_and_use_every_length_and_symbol():
    a = s2s.copy_pairs(3, 500, [2, 7], n_symbols=4)
    assert a == s2s.copy_pairs(np.random.default_rng(3), 500, [2, 7], n_symbols=4)
    assert a != s2s.copy_pairs(4, 500, [2, 7], n_symbols=4)
    assert {len(s) for s, _ in a} == {2, 7}
    assert {t for s, _ in a for t in s} == {"a", "b", "c", "d"}


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n": 0, "lengths": 3}, ValueError, "n must be >= 1"),
        ({"n": 2, "lengths": 0}, ValueError, "empty source"),
        ({"n": 2, "lengths": []}, ValueError, "non-empty sequence"),
        ({"n": 2, "lengths": 3, "n_symbols": 1}, ValueError, "n_symbols must be >= 2"),
        ({"n": 2, "lengths": 3, "n_symbols": 27}, ValueError, "n_symbols must be <= 26"),
        ({"n": 2.0, "lengths": 3}, TypeError, "n must be an int"),
    ],
)
def test_symbol_pairs_refuse_bad_sizes(kwargs, error, match):
    with pytest.raises(error, match=match):
        s2s.reverse_pairs(0, **kwargs)


@pytest.mark.parametrize(
    "date, words",
    [
        (datetime.date(1997, 3, 3), "the third of march nineteen ninety seven"),
        (datetime.date(1905, 11, 21), "the twenty first of november nineteen oh five"),
        (datetime.date(1900, 7, 30), "the thirtieth of july nineteen hundred"),
        (datetime.date(2000, 1, 1), "the first of january two thousand"),
        (datetime.date(2008, 2, 29), "the twenty ninth of february two thousand eight"),
        (datetime.date(2012, 12, 12), "the twelfth of december twenty twelve"),
        (datetime.date(2049, 10, 20), "the twentieth of october twenty forty nine"),
    ],
)
def test_dates_in_words(date, words):
    assert s2s.date_in_words(date) == words.split()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_date_pairs_are_real_dates_and_fit_the_vocabularies(seed):
    src_vocab, tgt_vocab = s2s.date_vocabs()
    for src, tgt in s2s.date_pairs(seed, 20):
        date = datetime.date.fromisoformat("".join(tgt))  # a real calendar day
        assert datetime.date(1950, 1, 1) <= date <= datetime.date(2049, 12, 31)
        assert src == s2s.date_in_words(date)
        src_vocab.encode(src), tgt_vocab.encode(tgt)


def test_date_errors():
    with pytest.raises(ValueError, match="last must not be before first"):
        s2s.date_pairs(0, 3, first=datetime.date(2000, 1, 2), last=datetime.date(2000, 1, 1))
    with pytest.raises(ValueError, match="year must be <= 2099"):
        s2s.date_pairs(0, 3, last=datetime.date(2100, 1, 1))
    with pytest.raises(TypeError, match="date must be a datetime.date"):
        s2s.date_in_words("1997-03-03")
    with pytest.raises(ValueError, match="day must be <= 31"):
        s2s.ordinal_in_words(32)


@settings(max_examples=50, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    extra=st.integers(0, 3),
)
def test_pad_batch_keeps_every_token_and_pads_the_rest(lengths, extra):
    seqs = [np.arange(3, 3 + L) for L in lengths]
    ids, got = s2s.pad_batch(seqs, max(lengths) + extra)
    assert ids.shape == (len(lengths), max(lengths) + extra) and ids.dtype == np.int64
    np.testing.assert_array_equal(got, lengths)
    for row, L in zip(ids, lengths):
        np.testing.assert_array_equal(row[:L], np.arange(3, 3 + L))
        assert np.all(row[L:] == 0)


def test_pad_batch_errors():
    with pytest.raises(ValueError, match=r"seqs\[1\] has 3 tokens, longer than the padded length 2"):
        s2s.pad_batch([[3], [3, 4, 5]], 2)
    with pytest.raises(ValueError, match=r"seqs\[0\] is empty"):
        s2s.pad_batch([[], [3]])
    with pytest.raises(ValueError, match="at least one sequence"):
        s2s.pad_batch([])
    with pytest.raises(ValueError, match="length must be >= 1"):
        s2s.pad_batch([[3]], 0)


def test_make_batch_shifts_the_target_by_one():
    v = s2s.symbol_vocab(5)
    b = s2s.make_batch([(["a", "b", "c"], ["c", "b", "a"]), (["d"], ["d"])], v, v, src_length=4)
    np.testing.assert_array_equal(b.src, [[3, 4, 5, 0], [6, 0, 0, 0]])
    np.testing.assert_array_equal(b.src_lengths, [3, 1])
    np.testing.assert_array_equal(b.tgt_in, [[1, 5, 4, 3], [1, 6, 0, 0]])  # BOS + target
    np.testing.assert_array_equal(b.tgt_out, [[5, 4, 3, 2], [6, 2, 0, 0]])  # target + EOS
    np.testing.assert_array_equal(b.tgt_lengths, [4, 2])


def test_make_batch_errors_name_the_pair():
    v = s2s.symbol_vocab(5)
    with pytest.raises(ValueError, match=r"pairs\[1\] has an empty source"):
        s2s.make_batch([(["a"], ["a"]), ([], ["a"])], v, v)
    with pytest.raises(ValueError, match=r"pairs\[0\] target\[1\] = 'z' is not in the vocabulary"):
        s2s.make_batch([(["a"], ["a", "z"])], v, v)
    with pytest.raises(ValueError, match="longer than the padded length 2"):
        s2s.make_batch([(["a", "b", "c"], ["a"])], v, v, src_length=2)
    with pytest.raises(ValueError, match="decoder inputs"):
        s2s.make_batch([(["a"], ["a", "b"])], v, v, tgt_length=2)
    with pytest.raises(ValueError, match="at least one"):
        s2s.make_batch([], v, v)
    with pytest.raises(TypeError, match=r"pairs\[0\] must be a \(source, target\) pair"):
        s2s.make_batch([["a"]], v, v)


def test_majority_output():
    targets = [list("12-3"), list("14-3"), list("12-"), list("92")]
    assert s2s.majority_output(targets) == list("12-3")
    assert s2s.majority_output([["a"], ["b", "c"], []]) == ["a"]  # ties go to the first seen; EOS wins at 1
    with pytest.raises(ValueError, match="at least one target"):
        s2s.majority_output([])
