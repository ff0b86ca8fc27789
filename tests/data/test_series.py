"""Real time series shipped inside installed packages: loading, windows, splits, scaling, offline."""

import socket

import numpy as np
import pytest
from pytest_socket import SocketBlockedError

from lstm_tutorial.data import baselines, series

pytestmark = pytest.mark.disable_socket  # every loader here works offline


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_are_disabled():
    with pytest.raises(SocketBlockedError):
        socket.create_connection(("127.0.0.1", 9))


def test_co2_monthly():
    s = series.load_co2()
    assert s.values.shape == s.dates.shape == s.filled.shape == (526,)
    assert s.values.dtype == np.float64 and np.all(np.isfinite(s.values))
    assert str(s.dates[0]) == "1958-03" and str(s.dates[-1]) == "2001-12"
    assert np.all(np.diff(s.dates).astype(int) == 1)  # consecutive months
    filled = [str(d) for d in s.dates[s.filled]]
    assert filled == ["1958-06", "1958-10", "1964-02", "1964-03", "1964-04"]
    assert 310 < s.values.min() < s.values.max() < 375
    # a filled month lies between its neighbours (linear interpolation)
    k = int(np.flatnonzero(s.filled)[0])
    assert min(s.values[k - 1], s.values[k + 1]) <= s.values[k] <= max(s.values[k - 1], s.values[k + 1])


def test_co2_weekly():
    s = series.load_co2_weekly()
    assert s.values.shape == s.dates.shape == s.filled.shape == (2284,)
    assert s.values.dtype == np.float64 and np.all(np.isfinite(s.values))
    assert str(s.dates[0]) == "1958-03-29" and str(s.dates[-1]) == "2001-12-29"
    assert np.all(np.diff(s.dates).astype(int) == 7)  # consecutive weeks
    assert s.filled.sum() == 59
    assert 310 < s.values.min() < s.values.max() < 375
    # a filled week lies between the nearest observed weeks around it (linear interpolation)
    for k in np.flatnonzero(s.filled)[:10]:
        lo = k - 1 - np.argmax(~s.filled[k - 1 :: -1])
        hi = k + np.argmax(~s.filled[k:])
        assert min(s.values[lo], s.values[hi]) <= s.values[k] <= max(s.values[lo], s.values[hi])
    # its monthly means are load_co2's where no month was filled
    monthly = series.load_co2()
    month = s.dates.astype("datetime64[M]")
    for m in monthly.dates[~monthly.filled][:24]:
        assert s.values[(month == m) & ~s.filled].mean() == pytest.approx(
            monthly.values[monthly.dates == m][0], abs=1e-9
        )


def test_sunspots_yearly():
    s = series.load_sunspots()
    assert s.values.shape == (309,) and not s.filled.any()
    assert str(s.dates[0]) == "1700" and str(s.dates[-1]) == "2008"
    assert s.values.min() >= 0


def test_make_windows_1d_and_2d():
    x = np.arange(20.0)
    X, y = series.make_windows(x, input_len=5, horizon=3)
    assert X.shape == (13, 5, 1) and y.shape == (13, 3) and X.dtype == np.float32
    np.testing.assert_array_equal(X[4, :, 0], x[4:9])
    np.testing.assert_array_equal(y[4], x[9:12])
    X2, y2 = series.make_windows(np.stack([x, -x], axis=1), 4, 2)
    assert X2.shape == (15, 4, 2) and y2.shape == (15, 2, 2)
    np.testing.assert_array_equal(y2[0, :, 1], [-4, -5])
    assert series.make_windows(x, 19, 1)[0].shape == (1, 19, 1)


def test_make_windows_bad_input():
    with pytest.raises(ValueError, match=r"input_len \+ horizon = 21 is longer than the series \(n = 20\)"):
        series.make_windows(np.arange(20.0), 20, 1)
    with pytest.raises(ValueError, match="NaN"):
        series.make_windows(np.array([1.0, np.nan, 2, 3]), 2, 1)
    with pytest.raises(TypeError, match="input_len must be an int"):
        series.make_windows(np.arange(20.0), 2.5, 1)
    with pytest.raises(ValueError, match="horizon must be >= 1"):
        series.make_windows(np.arange(20.0), 2, 0)


def test_time_split():
    parts = series.time_split(100, (0.7, 0.15, 0.15))
    assert parts == (slice(0, 70), slice(70, 85), slice(85, 100))
    a, b = series.time_split(np.arange(10), (0.5, 0.5))
    np.testing.assert_array_equal(a, np.arange(5))
    np.testing.assert_array_equal(b, np.arange(5, 10))
    assert sum(p.stop - p.start for p in series.time_split(7, (0.3, 0.3, 0.4))) == 7
    with pytest.raises(ValueError, match="part 1 .* would be empty"):
        series.time_split(5, (0.9, 0.05, 0.05))
    with pytest.raises(ValueError, match="summing to 1"):
        series.time_split(100, (0.5, 0.3))
    with pytest.raises(ValueError, match="positive"):
        series.time_split(100, (1.2, -0.2))


def test_scaler_fitted_on_train_only():
    x = np.concatenate([np.random.default_rng(0).normal(3, 2, 200), np.full(50, 100.0)])
    train, test = series.time_split(x, (0.8, 0.2))
    sc = series.Scaler().fit(train)
    z = sc.transform(train)
    assert abs(z.mean()) < 1e-6 and abs(z.std() - 1) < 1e-6
    assert sc.mean == pytest.approx(train.mean())  # the test part does not leak in
    np.testing.assert_allclose(sc.inverse_transform(sc.transform(test)), test, rtol=1e-6)
    with pytest.raises(RuntimeError, match="not fitted"):
        series.Scaler().transform(x)
    with pytest.raises(ValueError, match="constant"):
        series.Scaler().fit(np.ones(10))


def test_forecasting_data_on_co2():
    s = series.load_co2()
    fd = series.make_forecasting_data(s.values, input_len=24, horizon=1)
    parts = series.time_split(len(s.values), (0.7, 0.15, 0.15))
    assert fd.scaler.mean == pytest.approx(s.values[parts[0]].mean())
    assert fd.X_train.shape == (parts[0].stop - 24, 24, 1)
    assert fd.X_val.shape == (parts[1].stop - parts[1].start, 24, 1)
    # the first validation window predicts the first validation month, reading the 24 before it
    assert fd.scaler.inverse_transform(fd.y_val[0, 0]) == pytest.approx(s.values[parts[1].start], abs=1e-3)
    errs = baselines.baseline_errors(fd.X_test, fd.y_test)
    assert set(errs) == {"last_value", "seasonal_naive"}
    # one month ahead, the last value beats last year's value: the trend adds about 1.5 ppm a year
    assert 0 < errs["last_value"]["mse"] < errs["seasonal_naive"]["mse"]
    with pytest.raises(ValueError, match=r"the val part \(15 steps\) has no complete window"):
        series.make_forecasting_data(np.arange(100.0), input_len=20, horizon=20)
