"""Baselines that need no training: known answers."""

import numpy as np
import pytest

from lstm_tutorial.data import baselines, series


def test_naive_baselines_known_answers():
    t = np.arange(60)
    season = np.sin(2 * np.pi * t / 12)
    X, y = series.make_windows(season, 12, 3)
    assert baselines.forecast_errors(y, baselines.seasonal_naive_forecast(X, 3, 12))["mse"] < 1e-10
    X, y = series.make_windows(np.full(30, 2.0), 5, 2)
    np.testing.assert_array_equal(baselines.naive_forecast(X, 2), y)
    with pytest.raises(ValueError, match="input_len >= period = 12"):
        baselines.seasonal_naive_forecast(np.zeros((3, 6, 1)), 1, 12)


def test_char_ngram_matches_the_unigram_and_bigram_and_a_hand_count():
    rng = np.random.default_rng(0)
    train, test = rng.integers(0, 5, 300), rng.integers(0, 5, 80)
    assert baselines.char_ngram_cross_entropy(train, test, 5, 1) == pytest.approx(
        baselines.unigram_cross_entropy(train, test, 5), rel=1e-12
    )
    assert baselines.char_ngram_cross_entropy(train, test, 5, 2, 0.5) == pytest.approx(
        baselines.bigram_cross_entropy(train, test, 5, 0.5), rel=1e-12
    )
    # trigram by hand: train "0 1 2 0 1 1", contexts (0,1) -> 2 once and 1 once; eval "0 1 2"
    train3, eval3 = np.array([0, 1, 2, 0, 1, 1]), np.array([0, 1, 2])
    p = (1 + 0.5) / (2 + 0.5 * 3)
    assert baselines.char_ngram_cross_entropy(train3, eval3, 3, 3, 0.5) == pytest.approx(-np.log(p), rel=1e-12)
    # an unseen context gets the uniform guess
    assert baselines.char_ngram_cross_entropy(train3, np.array([2, 2, 0]), 3, 3, 0.5) == pytest.approx(np.log(3))
    with pytest.raises(ValueError, match="alpha must be > 0"):
        baselines.char_ngram_cross_entropy(train3, eval3, 3, 3, 0.0)
    with pytest.raises(ValueError, match="at least order = 4"):
        baselines.char_ngram_cross_entropy(train3, eval3, 3, 4)
