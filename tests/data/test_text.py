"""The book's corpus, its vocabulary and truncated-BPTT batches."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_tutorial.data import text
from lstm_tutorial.data.text import CharVocab, load_corpus, split_text, tbptt_batches

pytestmark = pytest.mark.disable_socket  # every loader here works offline


def test_corpus_and_vocab():
    text = load_corpus()
    assert 40_000 <= len(text) <= 60_000 and text.isascii()
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),) and ids.max() == len(vocab) - 1
    assert vocab.decode(ids) == text
    assert vocab.decode(vocab.encode("memory")) == "memory"
    with pytest.raises(ValueError, match=r"unknown character '@' at position 3"):
        vocab.encode("abc@d")
    with pytest.raises(ValueError, match="ids must be integers"):
        vocab.decode([len(vocab)])
    train, val = split_text(text, 0.1)
    assert train + val == text and len(val) == pytest.approx(0.1 * len(text), abs=1)


def test_tbptt_batches_carry_state_across_chunks():
    ids = np.arange(1003)
    b = tbptt_batches(ids, batch_size=4, seq_len=10)
    # 1002 pairs, 250 per row, 25 chunks of 10 per row: 1000 used, 2 trailing pairs unused
    assert b.inputs.shape == b.targets.shape == (25, 4, 10) and len(b) == 25
    assert b.n_unused == 2
    np.testing.assert_array_equal(b.targets, b.inputs + 1)
    for j in range(len(b) - 1):  # row b of chunk j+1 continues row b of chunk j
        np.testing.assert_array_equal(b.inputs[j + 1][:, 0], b.inputs[j][:, -1] + 1)
    np.testing.assert_array_equal(b.inputs[:, 1, :].ravel(), np.arange(250, 500))
    x0, y0 = next(iter(b))
    assert x0.shape == (4, 10)
    with pytest.raises(ValueError, match=r"too short for batch_size \* seq_len = 4 \* 10"):
        tbptt_batches(np.arange(40), 4, 10)
    with pytest.raises(ValueError, match="1-D integer"):
        tbptt_batches(np.zeros(100), 2, 5)


def test_next_char_chunks_pairs_each_id_with_the_next():
    ids = np.arange(23)
    x, y = text.next_char_chunks(ids, 5)
    assert x.shape == y.shape == (4, 5)  # (23 - 1) // 5 chunks; ids 20..22 unused
    assert np.array_equal(x.ravel(), ids[:20]) and np.array_equal(y.ravel(), ids[1:21])


@given(n=st.integers(2, 200), length=st.integers(1, 50))
def test_next_char_chunks_any_length(n, length):
    ids = np.arange(n) * 7 % 11
    if (n - 1) // length == 0:
        with pytest.raises(ValueError, match="no chunk"):
            text.next_char_chunks(ids, length)
        return
    x, y = text.next_char_chunks(ids, length)
    assert x.shape == y.shape == ((n - 1) // length, length)
    assert np.array_equal(y[:, :-1], x[:, 1:]) and np.array_equal(y.ravel()[:-1], x.ravel()[1:])


def test_next_char_chunks_bad_input():
    with pytest.raises(ValueError, match="length"):
        text.next_char_chunks(np.arange(10), 0)
    with pytest.raises(ValueError, match="1-D"):
        text.next_char_chunks(np.zeros((2, 5), int), 2)
