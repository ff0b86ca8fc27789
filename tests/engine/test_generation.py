"""Predictive-text helpers: baselines, perplexity, stream layout, evaluation and sampling."""

import math

import numpy as np
import pytest

from lstm_tutorial.data import baselines
from lstm_tutorial.data.text import CharVocab
from lstm_tutorial.engine import activations, generation
from lstm_tutorial.engine.losses import softmax_cross_entropy
from lstm_tutorial.engine.model import SequenceModel

pytestmark = pytest.mark.disable_socket


def test_uniform_and_perplexity():
    assert baselines.uniform_cross_entropy(57) == pytest.approx(math.log(57))
    assert generation.perplexity(baselines.uniform_cross_entropy(57)) == pytest.approx(57)
    assert generation.perplexity(0.0) == 1.0
    with pytest.raises(ValueError):
        generation.perplexity(-0.1)
    with pytest.raises(ValueError):
        baselines.uniform_cross_entropy(0)


def test_unigram_matches_hand_computation():
    train = np.array([0, 0, 0, 1], dtype=np.int64)  # counts 3, 1, 0 over V = 3
    p = baselines.unigram_probabilities(train, 3, alpha=1.0)
    np.testing.assert_allclose(p, [4 / 7, 2 / 7, 1 / 7])
    ce = baselines.unigram_cross_entropy(train, np.array([0, 2]), 3, alpha=1.0)
    assert ce == pytest.approx(-(math.log(4 / 7) + math.log(1 / 7)) / 2)
    # without smoothing, the training text's own entropy, never above ln V
    p0 = baselines.unigram_probabilities(train, 3, alpha=0.0)
    np.testing.assert_allclose(p0, [0.75, 0.25, 0.0])
    assert baselines.unigram_cross_entropy(train, train, 3, alpha=0.0) <= math.log(3)


def test_unigram_bad_input():
    with pytest.raises(ValueError, match="ids in 0..2"):
        baselines.unigram_probabilities(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="1-D integer"):
        baselines.unigram_probabilities(np.array([0.5]), 3)
    with pytest.raises(ValueError, match="empty"):
        baselines.unigram_cross_entropy(np.array([0, 1]), np.array([], dtype=np.int64), 3)


def test_stream_layout_rows_are_contiguous_and_shifted():
    ids = np.arange(23) % 5
    x, y = generation.stream_layout(ids, 5, batch_size=4)
    assert x.shape == (4, 5, 5) and y.shape == (4, 5) and y.dtype == np.int64
    inputs = x.argmax(-1)
    np.testing.assert_array_equal(inputs.ravel(), ids[:20])
    np.testing.assert_array_equal(y.ravel(), ids[1:21])
    assert np.all(x.sum(-1) == 1)
    with pytest.raises(ValueError, match="too short"):
        generation.stream_layout(ids[:3], 5, batch_size=4)


def _model(V, seed=0):
    return SequenceModel("lstm", V, 8, V, many_to_one=False, loss="xent", seed=seed, dtype=np.float64)


def test_evaluate_stream_equals_one_forward_pass_and_is_chunk_independent():
    rng = np.random.default_rng(0)
    V = 6
    ids = rng.integers(0, V, size=41)
    m = _model(V)
    logits = m.predict(np.eye(V)[ids[:-1]][None])
    full, _ = softmax_cross_entropy(logits, ids[1:][None])
    for chunk in (1, 7, 40, 500):
        assert generation.evaluate_stream(m, ids, V, chunk=chunk) == pytest.approx(full, rel=1e-12)


def test_softmax_with_temperature():
    logits = np.array([1.0, 2.0, 3.0])
    p1 = activations.softmax_with_temperature(logits, 1.0)
    np.testing.assert_allclose(p1, np.exp(logits) / np.exp(logits).sum())
    cold, hot = activations.softmax_with_temperature(logits, 0.1), activations.softmax_with_temperature(logits, 100.0)
    assert cold[2] > 0.999 and np.allclose(hot, 1 / 3, atol=0.01)
    assert activations.softmax_with_temperature(np.array([1000.0, 0.0]), 0.5)[0] == 1.0  # no overflow
    with pytest.raises(ValueError):
        activations.softmax_with_temperature(logits, 0.0)


def test_sample_text_is_repeatable_and_in_vocabulary():
    vocab = CharVocab("abc de")
    m = _model(len(vocab), seed=1)
    a = generation.sample_text(m, vocab, "ab", 30, temperature=1.0, seed=3)
    b = generation.sample_text(m, vocab, "ab", 30, temperature=1.0, seed=3)
    assert a == b and len(a) == 30 and set(a) <= set(vocab.chars)
    assert generation.sample_text(m, vocab, "a", 0) == ""
    with pytest.raises(ValueError):
        generation.sample_text(m, vocab, "", 5)
    with pytest.raises(ValueError, match="unknown character"):
        generation.sample_text(m, vocab, "z", 5)


def test_sampling_follows_the_model_distribution():
    """With all weights zero except the output bias, every step's distribution is softmax(b_y)."""
    vocab = CharVocab("ab")
    m = _model(2)
    for k in m.params:
        m.params[k][...] = 0.0
    m.params["b_y"][:] = [math.log(3.0), 0.0]  # p(a) = 3/4
    text = generation.sample_text(m, vocab, "a", 4000, temperature=1.0, seed=0)
    assert abs(text.count("a") / 4000 - 0.75) < 0.03
    cold = generation.sample_text(m, vocab, "a", 2000, temperature=0.25, seed=0)  # p(a) = 81/82
    assert cold.count("a") / 2000 > 0.97


def test_bigram_matches_hand_computation():
    train = np.array([0, 1, 0, 1, 1], dtype=np.int64)  # pairs 01, 10, 01, 11 over V = 3
    P = baselines.bigram_probabilities(train, 3, alpha=1.0)
    np.testing.assert_allclose(P[0], [1 / 5, 3 / 5, 1 / 5])  # after 0: 1 is seen twice
    np.testing.assert_allclose(P[1], [2 / 5, 2 / 5, 1 / 5])  # after 1: 0 and 1 once each
    np.testing.assert_allclose(P[2], [1 / 3, 1 / 3, 1 / 3])  # 2 never seen: uniform
    ce = baselines.bigram_cross_entropy(train, np.array([0, 1, 2]), 3, alpha=1.0)
    assert ce == pytest.approx(-(math.log(3 / 5) + math.log(1 / 5)) / 2)


def test_bigram_beats_unigram_when_context_matters():
    rng = np.random.default_rng(0)
    # each character is followed by the next one (mod 4) 90% of the time: frequencies are flat
    ids = [0]
    for _ in range(3000):
        ids.append((ids[-1] + 1) % 4 if rng.random() < 0.9 else int(rng.integers(4)))
    ids = np.array(ids, dtype=np.int64)
    train, held_out = ids[:2000], ids[2000:]
    uni = baselines.unigram_cross_entropy(train, held_out, 4)
    bi = baselines.bigram_cross_entropy(train, held_out, 4)
    assert uni == pytest.approx(math.log(4), abs=0.01)
    assert bi < 0.5 * uni


def test_bigram_bad_input():
    with pytest.raises(ValueError, match="ids in 0..2"):
        baselines.bigram_probabilities(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="at least 2"):
        baselines.bigram_cross_entropy(np.array([0, 1]), np.array([1]), 3)
    with pytest.raises(ValueError, match="never followed"):
        baselines.bigram_probabilities(np.array([0, 1]), 3, alpha=0.0)
