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
