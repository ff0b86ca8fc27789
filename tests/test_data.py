"""Real data loaders: offline loading, windowing, time-ordered splits, scaling, text, padding."""

import socket

import numpy as np
import pytest
from pytest_socket import SocketBlockedError

from lstm_tutorial import data as dt
from lstm_tutorial.tasks import embedded_reber, encode_reber

pytestmark = pytest.mark.disable_socket


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_are_disabled():
    with pytest.raises(SocketBlockedError):
        socket.create_connection(("127.0.0.1", 9))


# ---------------------------------------------------------------- time series

def test_co2_monthly():
    s = dt.load_co2()
    assert s.values.shape == s.dates.shape == s.filled.shape == (526,)
    assert s.values.dtype == np.float64 and np.all(np.isfinite(s.values))
    assert str(s.dates[0]) == "1958-03" and str(s.dates[-1]) == "2001-12"
    assert np.all(np.diff(s.dates).astype(int) == 1)             # consecutive months
    filled = [str(d) for d in s.dates[s.filled]]
    assert filled == ["1958-06", "1958-10", "1964-02", "1964-03", "1964-04"]
    assert 310 < s.values.min() < s.values.max() < 375
    # a filled month lies between its neighbours (linear interpolation)
    k = int(np.flatnonzero(s.filled)[0])
    assert min(s.values[k - 1], s.values[k + 1]) <= s.values[k] <= max(s.values[k - 1], s.values[k + 1])


def test_sunspots_yearly():
    s = dt.load_sunspots()
    assert s.values.shape == (309,) and not s.filled.any()
    assert str(s.dates[0]) == "1700" and str(s.dates[-1]) == "2008"
    assert s.values.min() >= 0


def test_make_windows_1d_and_2d():
    x = np.arange(20.0)
    X, y = dt.make_windows(x, input_len=5, horizon=3)
    assert X.shape == (13, 5, 1) and y.shape == (13, 3) and X.dtype == np.float32
    np.testing.assert_array_equal(X[4, :, 0], x[4:9])
    np.testing.assert_array_equal(y[4], x[9:12])
    X2, y2 = dt.make_windows(np.stack([x, -x], axis=1), 4, 2)
    assert X2.shape == (15, 4, 2) and y2.shape == (15, 2, 2)
    np.testing.assert_array_equal(y2[0, :, 1], [-4, -5])
    assert dt.make_windows(x, 19, 1)[0].shape == (1, 19, 1)


def test_make_windows_bad_input():
    with pytest.raises(ValueError, match=r"input_len \+ horizon = 21 is longer than the series \(n = 20\)"):
        dt.make_windows(np.arange(20.0), 20, 1)
    with pytest.raises(ValueError, match="NaN"):
        dt.make_windows(np.array([1.0, np.nan, 2, 3]), 2, 1)
    with pytest.raises(TypeError, match="input_len must be an int"):
        dt.make_windows(np.arange(20.0), 2.5, 1)
    with pytest.raises(ValueError, match="horizon must be >= 1"):
        dt.make_windows(np.arange(20.0), 2, 0)


def test_time_split():
    parts = dt.time_split(100, (0.7, 0.15, 0.15))
    assert parts == (slice(0, 70), slice(70, 85), slice(85, 100))
    a, b = dt.time_split(np.arange(10), (0.5, 0.5))
    np.testing.assert_array_equal(a, np.arange(5))
    np.testing.assert_array_equal(b, np.arange(5, 10))
    assert sum(p.stop - p.start for p in dt.time_split(7, (0.3, 0.3, 0.4))) == 7
    with pytest.raises(ValueError, match="part 1 .* would be empty"):
        dt.time_split(5, (0.9, 0.05, 0.05))
    with pytest.raises(ValueError, match="summing to 1"):
        dt.time_split(100, (0.5, 0.3))
    with pytest.raises(ValueError, match="positive"):
        dt.time_split(100, (1.2, -0.2))


def test_scaler_fitted_on_train_only():
    x = np.concatenate([np.random.default_rng(0).normal(3, 2, 200), np.full(50, 100.0)])
    train, test = dt.time_split(x, (0.8, 0.2))
    sc = dt.Scaler().fit(train)
    z = sc.transform(train)
    assert abs(z.mean()) < 1e-6 and abs(z.std() - 1) < 1e-6
    assert sc.mean == pytest.approx(train.mean())                 # the test part does not leak in
    np.testing.assert_allclose(sc.inverse_transform(sc.transform(test)), test, rtol=1e-6)
    with pytest.raises(RuntimeError, match="not fitted"):
        dt.Scaler().transform(x)
    with pytest.raises(ValueError, match="constant"):
        dt.Scaler().fit(np.ones(10))


def test_forecasting_data_on_co2():
    s = dt.load_co2()
    fd = dt.make_forecasting_data(s.values, input_len=24, horizon=1)
    parts = dt.time_split(len(s.values), (0.7, 0.15, 0.15))
    assert fd.scaler.mean == pytest.approx(s.values[parts[0]].mean())
    assert fd.X_train.shape == (parts[0].stop - 24, 24, 1)
    assert fd.X_val.shape == (parts[1].stop - parts[1].start, 24, 1)
    # the first validation window predicts the first validation month, reading the 24 before it
    assert fd.scaler.inverse_transform(fd.y_val[0, 0]) == pytest.approx(s.values[parts[1].start], abs=1e-3)
    errs = dt.baseline_errors(fd.X_test, fd.y_test)
    assert set(errs) == {"last_value", "seasonal_naive"}
    # one month ahead, the last value beats last year's value: the trend adds about 1.5 ppm a year
    assert 0 < errs["last_value"]["mse"] < errs["seasonal_naive"]["mse"]
    with pytest.raises(ValueError, match=r"the val part \(15 steps\) has no complete window"):
        dt.make_forecasting_data(np.arange(100.0), input_len=20, horizon=20)


def test_naive_baselines_known_answers():
    t = np.arange(60)
    season = np.sin(2 * np.pi * t / 12)
    X, y = dt.make_windows(season, 12, 3)
    assert dt.forecast_errors(y, dt.seasonal_naive_forecast(X, 3, 12))["mse"] < 1e-10
    X, y = dt.make_windows(np.full(30, 2.0), 5, 2)
    np.testing.assert_array_equal(dt.naive_forecast(X, 2), y)
    with pytest.raises(ValueError, match="input_len >= period = 12"):
        dt.seasonal_naive_forecast(np.zeros((3, 6, 1)), 1, 12)


# ---------------------------------------------------------------- text

def test_corpus_and_vocab():
    text = dt.load_corpus()
    assert 40_000 <= len(text) <= 60_000 and text.isascii()
    vocab = dt.CharVocab(text)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),) and ids.max() == len(vocab) - 1
    assert vocab.decode(ids) == text
    assert vocab.decode(vocab.encode("memory")) == "memory"
    with pytest.raises(ValueError, match=r"unknown character '@' at position 3"):
        vocab.encode("abc@d")
    with pytest.raises(ValueError, match="ids must be integers"):
        vocab.decode([len(vocab)])
    train, val = dt.split_text(text, 0.1)
    assert train + val == text and len(val) == pytest.approx(0.1 * len(text), abs=1)


def test_tbptt_batches_carry_state_across_chunks():
    ids = np.arange(1003)
    b = dt.tbptt_batches(ids, batch_size=4, seq_len=10)
    # 1002 pairs, 250 per row, 25 chunks of 10 per row: 1000 used, 2 trailing pairs unused
    assert b.inputs.shape == b.targets.shape == (25, 4, 10) and len(b) == 25
    assert b.n_unused == 2
    np.testing.assert_array_equal(b.targets, b.inputs + 1)
    for j in range(len(b) - 1):     # row b of chunk j+1 continues row b of chunk j
        np.testing.assert_array_equal(b.inputs[j + 1][:, 0], b.inputs[j][:, -1] + 1)
    np.testing.assert_array_equal(b.inputs[:, 1, :].ravel(), np.arange(250, 500))
    x0, y0 = next(iter(b))
    assert x0.shape == (4, 10)
    with pytest.raises(ValueError, match=r"too short for batch_size \* seq_len = 4 \* 10"):
        dt.tbptt_batches(np.arange(40), 4, 10)
    with pytest.raises(ValueError, match="1-D integer"):
        dt.tbptt_batches(np.zeros(100), 2, 5)


# ---------------------------------------------------------------- classification

def test_digit_sequences():
    X, y = dt.load_digit_sequences()
    assert X.shape == (1797, 8, 8) and X.dtype == np.float32 and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 1 and set(np.unique(y)) == set(range(10))


def test_pad_sequences_variable_length():
    seqs = encode_reber(embedded_reber(20, seed=0))
    padded, lengths, mask = dt.pad_sequences(seqs, pad_value=-1)
    assert padded.shape == (20, max(map(len, seqs))) and padded.dtype == np.int64
    np.testing.assert_array_equal(lengths, [len(s) for s in seqs])
    np.testing.assert_array_equal(mask.sum(axis=1), lengths)
    for s, row, m in zip(seqs, padded, mask):
        np.testing.assert_array_equal(row[m], s)
        assert np.all(row[~m] == -1)
    p2, _, _ = dt.pad_sequences([np.ones((2, 3)), np.ones((4, 3))])
    assert p2.shape == (2, 4, 3) and p2[0, 2:].sum() == 0
    with pytest.raises(ValueError, match=r"sequence 1 has shape \(4, 2\)"):
        dt.pad_sequences([np.ones((2, 3)), np.ones((4, 2))])
    with pytest.raises(ValueError, match="sequence 0 is empty"):
        dt.pad_sequences([np.ones(0)])
    with pytest.raises(ValueError, match="at least one"):
        dt.pad_sequences([])


def test_stratified_split():
    _, y = dt.load_digit_sequences()
    tr, te = dt.stratified_split(y, 0.2, seed=0)
    assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == len(y)
    for c in range(10):
        assert abs(np.mean(y[te] == c) - np.mean(y == c)) < 0.01
    tr2, te2 = dt.stratified_split(y, 0.2, seed=0)
    np.testing.assert_array_equal(te, te2)
    assert not np.array_equal(te, dt.stratified_split(y, 0.2, seed=1)[1])
    with pytest.raises(ValueError, match="class 1 has 1 items"):
        dt.stratified_split(np.array([0, 0, 0, 1]), 0.5)


# ---------------------------------------------------------------- cached results

def test_load_results_reads_every_cached_json_file():
    names = dt.available_results()
    assert {"part1_adding_rnn", "part3_regularisation", "recall_results", "reproduction_table"} <= set(names)
    assert names == sorted(names) and not any(n.endswith(".json") for n in names)
    for n in names:
        assert isinstance(dt.load_results(n), dict)
    p1 = dt.load_results("part1_adding_rnn")
    assert p1 == dt.load_results("part1_adding_rnn.json") and "table" in p1


@pytest.mark.parametrize("bad", ["nope", "corpus", "corpus.txt", "mlm_weights", "../resources/part1_adding_rnn",
                                 "resources/part1_adding_rnn", "/etc/passwd", ""])
def test_load_results_refuses_names_that_are_not_results_files(bad):
    with pytest.raises(ValueError, match=r"no cached results named .*available: .*part1_adding_rnn"):
        dt.load_results(bad)


def test_load_results_type_check():
    with pytest.raises(TypeError, match="name must be a str"):
        dt.load_results(None)
