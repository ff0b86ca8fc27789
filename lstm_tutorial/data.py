"""Real data sets, loaded from installed packages or from this package: nothing downloads.

==================  =================================================  ===========================
data set            source                                             licence
==================  =================================================  ===========================
CO2, monthly        Mauna Loa flask samples, Scripps (Keeling and      public domain (as shipped
                    Whorf 2004), weekly 1958-2001, ``statsmodels``     by statsmodels)
sunspots, yearly    Wolf/Zurich yearly sunspot numbers 1700-2008,      public domain (as shipped
                    NOAA NGDC, ``statsmodels``                         by statsmodels)
book corpus         ``resources/corpus.txt``, English prose written    the book's licence
                    for this project                                   (MIT code / CC-BY text)
digits              8x8 handwritten digit images, UCI "Optical         BSD-3-Clause
                    Recognition of Handwritten Digits", ``sklearn``    (scikit-learn)
==================  =================================================  ===========================

Three jobs: forecasting (:func:`load_co2`, :func:`make_windows`, :func:`time_split`,
:class:`Scaler`, naive baselines), character-level predictive text (:func:`load_corpus`,
:class:`CharVocab`, :func:`tbptt_batches`) and sequence classification
(:func:`load_digit_sequences`, :func:`pad_sequences`, :func:`stratified_split`).
Cached experiment results (the small JSON files in ``resources/`` written by ``scripts/``)
load with :func:`load_results`; :func:`available_results` lists them.
Bad input raises ``ValueError`` or ``TypeError`` naming the argument; nothing is truncated
silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Iterator, Sequence

import numpy as np

__all__ = [
    "TimeSeries", "load_co2", "load_sunspots", "make_windows", "time_split", "Scaler",
    "ForecastData", "make_forecasting_data", "naive_forecast", "seasonal_naive_forecast",
    "forecast_errors", "baseline_errors",
    "load_corpus", "CharVocab", "split_text", "TBPTTBatches", "tbptt_batches",
    "load_digit_sequences", "pad_sequences", "stratified_split",
    "available_results", "load_results",
]


def _positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


# --------------------------------------------------------------------------- time series

@dataclass(frozen=True)
class TimeSeries:
    """A univariate series: ``values`` float64 ``(n,)``, ``dates`` datetime64 ``(n,)``,
    ``filled`` bool ``(n,)`` (True where a gap was filled by interpolation), ``name``, ``unit``."""

    values: np.ndarray
    dates: np.ndarray
    filled: np.ndarray
    name: str
    unit: str


def load_co2() -> TimeSeries:
    """Monthly mean atmospheric CO2 at Mauna Loa, March 1958 - December 2001 (526 months).

    Source: ``statsmodels.datasets.co2`` (Scripps flask samples, Keeling and Whorf 2004;
    public domain). The weekly record has 59 missing weeks; weekly values are averaged into
    calendar months (a month's mean uses the weeks present). Five months have no
    observation at all (1958-06, 1958-10, 1964-02 to 1964-04); they are filled by linear
    interpolation in time and flagged in ``filled``. Unit: ppm (mole fraction).
    """
    import statsmodels.api as sm

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean()
    filled = monthly.isna().to_numpy()
    monthly = monthly.interpolate(method="time")
    return TimeSeries(monthly.to_numpy(dtype=np.float64), monthly.index.to_numpy().astype("datetime64[M]"),
                      filled, "CO2 at Mauna Loa, monthly mean", "ppm")


def load_sunspots() -> TimeSeries:
    """Yearly mean sunspot number, 1700-2008 (309 years), no gaps.

    Source: ``statsmodels.datasets.sunspots`` (NOAA National Geophysical Data Center;
    public domain). The solar cycle is about 11 years long.
    """
    import statsmodels.api as sm

    d = sm.datasets.sunspots.load_pandas().data
    years = d["YEAR"].to_numpy().astype(int)
    return TimeSeries(d["SUNACTIVITY"].to_numpy(dtype=np.float64),
                      np.array([f"{y:04d}" for y in years], dtype="datetime64[Y]"),
                      np.zeros(len(years), dtype=bool), "yearly sunspot number", "count")


def make_windows(series, input_len: int, horizon: int = 1):
    """Cut a series into (input window, horizon) pairs, one per start position.

    Args:
        series: ``(n,)`` or ``(n, D)`` array in time order.
        input_len: steps the model reads, ``T_in``.
        horizon: steps to predict right after each window, ``T_out``.

    Returns:
        ``(X, y)`` with ``N = n - input_len - horizon + 1`` windows: for a 1-D series
        ``X`` is ``(N, T_in, 1)`` and ``y`` is ``(N, T_out)``; for ``(n, D)`` they are
        ``(N, T_in, D)`` and ``(N, T_out, D)``. Window ``j`` reads ``series[j : j + T_in]``
        and predicts ``series[j + T_in : j + T_in + T_out]``. float32.
    """
    input_len = _positive_int("input_len", input_len)
    horizon = _positive_int("horizon", horizon)
    s = np.asarray(series, dtype=np.float64)
    if s.ndim not in (1, 2):
        raise ValueError(f"series must be 1-D (n,) or 2-D (n, D), got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("series contains NaN or infinite values; fill gaps first")
    n = s.shape[0]
    N = n - input_len - horizon + 1
    if N < 1:
        raise ValueError(f"input_len + horizon = {input_len + horizon} is longer than the series "
                         f"(n = {n}); no window fits")
    s2 = s[:, None] if s.ndim == 1 else s
    idx = np.arange(N)[:, None]
    X = s2[idx + np.arange(input_len)]                        # (N, T_in, D)
    y = s2[idx + input_len + np.arange(horizon)]              # (N, T_out, D)
    if s.ndim == 1:
        y = y[..., 0]                                         # (N, T_out)
    return X.astype(np.float32), y.astype(np.float32)


def time_split(data, fractions: Sequence[float] = (0.7, 0.15, 0.15)):
    """Split in time order into consecutive parts (no shuffling: the future stays unseen).

    Args:
        data: an int ``n`` (returns ``slice`` objects) or an array split along axis 0.
        fractions: positive, summing to 1; part sizes are ``floor(cumulative * n)``
            differences, so every one of the ``n`` items lands in exactly one part.

    Returns:
        A tuple with one slice (or array) per fraction. A part that would be empty raises.
    """
    fr = np.asarray(fractions, dtype=np.float64)
    if fr.ndim != 1 or len(fr) < 2 or np.any(fr <= 0) or not np.isclose(fr.sum(), 1.0):
        raise ValueError(f"fractions must be >= 2 positive numbers summing to 1, got {tuple(fractions)}")
    n = _positive_int("data", data) if isinstance(data, (int, np.integer)) and not isinstance(data, bool) else len(data)
    edges = np.floor(np.cumsum(fr) * n + 1e-9).astype(int)
    edges[-1] = n
    starts = np.concatenate([[0], edges[:-1]])
    for k, (a, b) in enumerate(zip(starts, edges)):
        if b <= a:
            raise ValueError(f"time_split: part {k} (fraction {fr[k]}) of n = {n} items would be empty")
    slices = tuple(slice(int(a), int(b)) for a, b in zip(starts, edges))
    if isinstance(data, (int, np.integer)):
        return slices
    return tuple(data[s] for s in slices)


class Scaler:
    """Standardise with the mean and standard deviation of the training part only.

    ``fit(train)`` then ``transform(x) = (x - mean) / std`` and ``inverse_transform``.
    Statistics are per feature (last axis for 2-D input, a scalar for 1-D input).
    """

    def __init__(self):
        self.mean = None
        self.std = None

    def fit(self, x) -> "Scaler":
        x = np.asarray(x, dtype=np.float64)
        if x.size < 2 or not np.all(np.isfinite(x)):
            raise ValueError(f"Scaler.fit needs >= 2 finite values, got shape {x.shape}")
        axis = 0 if x.ndim == 1 else tuple(range(x.ndim - 1))
        self.mean, self.std = x.mean(axis=axis), x.std(axis=axis)
        if np.any(self.std == 0):
            raise ValueError("Scaler.fit: a feature is constant on the training part (std = 0)")
        return self

    def _check(self):
        if self.mean is None:
            raise RuntimeError("Scaler is not fitted: call fit(train) first")

    def transform(self, x) -> np.ndarray:
        self._check()
        return ((np.asarray(x, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def inverse_transform(self, z) -> np.ndarray:
        self._check()
        return np.asarray(z, dtype=np.float64) * self.std + self.mean


@dataclass
class ForecastData:
    """Windows for each part (``X_*`` ``(N, T_in, 1)``, ``y_*`` ``(N, T_out)``, scaled) and
    the ``scaler`` fitted on the training part of the series."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    scaler: Scaler


def make_forecasting_data(series, input_len: int, horizon: int = 1,
                          fractions: Sequence[float] = (0.7, 0.15, 0.15)) -> ForecastData:
    """Split a 1-D series in time order, scale with training statistics, window each part.

    A window belongs to the part that holds its *first target*; its inputs may reach back
    into the previous part (they are past observations, so nothing leaks from the future).
    Raises if a part has no complete window.
    """
    s = np.asarray(series, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {s.shape}")
    parts = time_split(len(s), fractions)
    if len(parts) != 3:
        raise ValueError(f"fractions must have 3 entries (train, val, test), got {len(parts)}")
    scaler = Scaler().fit(s[parts[0]])
    z = scaler.transform(s)
    out = []
    for name, p in zip(("train", "val", "test"), parts):
        lo = max(p.start - input_len, 0)
        X, y = make_windows(z[lo:p.stop], input_len, horizon) if p.stop - lo >= input_len + horizon else (None, None)
        if X is None:
            raise ValueError(f"the {name} part ({p.stop - p.start} steps) has no complete window of "
                             f"input_len={input_len} + horizon={horizon}")
        out += [X, y]
    return ForecastData(*out, scaler=scaler)


def naive_forecast(X, horizon: int = 1) -> np.ndarray:
    """Repeat the last input value: ``X`` ``(N, T_in, 1)`` or ``(N, T_in)`` -> ``(N, horizon)``."""
    X = np.asarray(X)
    last = X[:, -1, 0] if X.ndim == 3 else X[:, -1]
    return np.repeat(last[:, None], _positive_int("horizon", horizon), axis=1)


def seasonal_naive_forecast(X, horizon: int = 1, period: int = 12) -> np.ndarray:
    """Repeat the value one season back: ``y_hat[:, h] = X[:, T_in - period + (h % period)]``.

    Needs ``T_in >= period``; returns ``(N, horizon)``.
    """
    X = np.asarray(X)
    X2 = X[..., 0] if X.ndim == 3 else X
    period, horizon = _positive_int("period", period), _positive_int("horizon", horizon)
    if X2.shape[1] < period:
        raise ValueError(f"seasonal naive needs input_len >= period = {period}, got {X2.shape[1]}")
    cols = X2.shape[1] - period + (np.arange(horizon) % period)
    return X2[:, cols]


def forecast_errors(y, y_hat) -> dict:
    """``mse``, ``rmse`` and ``mae`` between arrays of the same shape."""
    y, y_hat = np.asarray(y, np.float64), np.asarray(y_hat, np.float64)
    if y.shape != y_hat.shape:
        raise ValueError(f"y and y_hat must have the same shape, got {y.shape} and {y_hat.shape}")
    mse = float(np.mean((y - y_hat) ** 2))
    return {"mse": mse, "rmse": float(np.sqrt(mse)), "mae": float(np.mean(np.abs(y - y_hat)))}


def baseline_errors(X, y, period: int = 12) -> dict:
    """Errors of the last-value and seasonal-naive forecasts on windows ``(X, y)``:
    ``{"last_value": {...}, "seasonal_naive": {...}}`` (the second only if ``T_in >= period``)."""
    y = np.asarray(y)
    h = y.shape[1]
    out = {"last_value": forecast_errors(y, naive_forecast(X, h))}
    if np.asarray(X).shape[1] >= period:
        out["seasonal_naive"] = forecast_errors(y, seasonal_naive_forecast(X, h, period))
    return out


# --------------------------------------------------------------------------- text

def load_corpus() -> str:
    """The book's own corpus for character-level predictive text (about 50 KB, ASCII).

    Provenance: original English prose written for this project (sequences, memory,
    weather, rivers, music, clocks, reading, ...), distributed under the book's licence.
    It ships as package data in ``lstm_tutorial/resources/corpus.txt``.
    """
    return (resources.files("lstm_tutorial") / "resources" / "corpus.txt").read_text(encoding="ascii")


class CharVocab:
    """Characters <-> integer ids. ``chars`` is the sorted set of characters of the text it
    was built from; ``id`` order follows it. ``len(vocab)`` is the vocabulary size ``V``."""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError("CharVocab needs a non-empty str")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """int64 ids ``(len(text),)``; an unknown character raises ``ValueError`` naming it."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            pos = next(i for i, c in enumerate(text) if c not in self.index)
            raise ValueError(f"unknown character {err.args[0]!r} at position {pos}; "
                             f"the vocabulary has {len(self)} characters") from None

    def decode(self, ids) -> str:
        """The string for int ids; an id outside ``0..V-1`` raises ``ValueError``."""
        ids = np.asarray(ids).ravel()
        if ids.size and (not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must be integers in 0..{len(self) - 1}")
        return "".join(self.chars[i] for i in ids)


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """``(train, val)``: the first ``1 - val_fraction`` of the text, and the rest."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(round(len(text) * (1 - val_fraction)))
    if cut == 0 or cut == len(text):
        raise ValueError(f"text of length {len(text)} is too short to split at {val_fraction}")
    return text[:cut], text[cut:]


@dataclass(frozen=True)
class TBPTTBatches:
    """Chunks for truncated backpropagation through time.

    ``inputs`` and ``targets`` are int64 ``(n_chunks, B, L)``; ``targets`` is ``inputs``
    shifted by one character. Row ``b`` of chunk ``j + 1`` continues row ``b`` of chunk
    ``j``, so the final hidden state of one chunk is the right initial state for the next.
    ``n_unused`` input positions at the end of the stream fit no full chunk and are left
    out. Iterating yields ``(inputs[j], targets[j])``.
    """

    inputs: np.ndarray
    targets: np.ndarray
    n_unused: int

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return iter(zip(self.inputs, self.targets))


def tbptt_batches(ids, batch_size: int, seq_len: int) -> TBPTTBatches:
    """Lay a stream of ids out as ``B`` parallel streams cut into chunks of ``L`` steps.

    The stream of ``n`` ids gives ``n - 1`` (input, next id) pairs. Each of the ``B`` rows
    takes a contiguous stretch of ``n_chunks * L`` pairs, row after row, with
    ``n_chunks = ((n - 1) // B) // L``; the last ``n_unused = n - 1 - B * n_chunks * L``
    pairs are not used (reported, not hidden). Raises if not even one chunk fits.
    """
    B, L = _positive_int("batch_size", batch_size), _positive_int("seq_len", seq_len)
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a 1-D integer array, got shape {ids.shape}, dtype {ids.dtype}")
    n_pairs = len(ids) - 1
    n_chunks = (max(n_pairs, 0) // B) // L
    if n_chunks == 0:
        raise ValueError(f"a stream of {len(ids)} ids is too short for batch_size * seq_len = {B} * {L} "
                         f"(needs at least {B * L + 1})")
    used = B * n_chunks * L
    x = ids[:used].reshape(B, n_chunks, L).transpose(1, 0, 2)        # (n_chunks, B, L)
    y = ids[1:used + 1].reshape(B, n_chunks, L).transpose(1, 0, 2)
    return TBPTTBatches(np.ascontiguousarray(x, dtype=np.int64), np.ascontiguousarray(y, dtype=np.int64),
                        n_pairs - used)


# --------------------------------------------------------------------------- classification

def load_digit_sequences():
    """The scikit-learn digits read row by row: each 8x8 image is a sequence of 8 steps of
    8 pixel intensities, top row first.

    Source: ``sklearn.datasets.load_digits`` (bundled, no download; 1797 images of 10
    classes from the UCI "Optical Recognition of Handwritten Digits" data; scikit-learn is
    BSD-3-Clause). Fixed length: every sequence has ``T = 8`` steps.

    Returns:
        ``(X, y)``: float32 ``(1797, 8, 8)`` scaled to [0, 1] (intensities are 0-16), int64 ``(1797,)``.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)


def pad_sequences(seqs: Sequence, pad_value: float = 0.0):
    """Stack variable-length sequences into one padded batch, with lengths and a mask.

    Args:
        seqs: list of ``N`` arrays of shape ``(T_i,)`` or ``(T_i, D)`` (same ``D`` and
            number of dims), each with ``T_i >= 1``.

    Returns:
        ``(padded, lengths, mask)``: ``padded`` ``(N, T_max)`` or ``(N, T_max, D)`` with the
        dtype of the inputs, ``pad_value`` after each sequence's end; ``lengths`` int64
        ``(N,)``; ``mask`` bool ``(N, T_max)``, True on real steps.
    """
    if len(seqs) == 0:
        raise ValueError("pad_sequences needs at least one sequence")
    arrs = [np.asarray(s) for s in seqs]
    tail = arrs[0].shape[1:]
    for k, a in enumerate(arrs):
        if a.ndim not in (1, 2) or a.shape[1:] != tail:
            raise ValueError(f"sequence {k} has shape {a.shape}; expected (T_i,) + {tail}")
        if a.shape[0] == 0:
            raise ValueError(f"sequence {k} is empty")
    lengths = np.array([a.shape[0] for a in arrs], dtype=np.int64)
    dtype = np.result_type(*arrs)
    padded = np.full((len(arrs), int(lengths.max())) + tail, pad_value, dtype=dtype)
    for k, a in enumerate(arrs):
        padded[k, :len(a)] = a
    mask = np.arange(lengths.max())[None, :] < lengths[:, None]
    return padded, lengths, mask


def stratified_split(y, test_fraction: float = 0.2, seed: int = 0):
    """Seeded split that keeps each class's share: ``(train_idx, test_idx)``, sorted int64.

    Each class contributes ``round(test_fraction * n_class)`` test items; a class with
    fewer than 2 items, or a fraction that leaves a part empty, raises.
    """
    y = np.asarray(y)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(_positive_int("seed", seed, 0))
    test = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(test_fraction * len(idx)))
        if k == 0 or k == len(idx):
            raise ValueError(f"class {c.item()!r} has {len(idx)} items; test_fraction={test_fraction} "
                             f"would leave its train or test part empty")
        test.append(rng.permutation(idx)[:k])
    test_idx = np.sort(np.concatenate(test))
    train_idx = np.setdiff1d(np.arange(len(y)), test_idx)
    return train_idx.astype(np.int64), test_idx.astype(np.int64)


# --------------------------------------------------------------------------- cached results

def _resources():
    return resources.files("lstm_tutorial") / "resources"


def available_results() -> list[str]:
    """Names of the cached result files: the ``*.json`` files in ``lstm_tutorial/resources/``,
    without the extension, sorted (for example ``"part1_adding_rnn"``)."""
    return sorted(f.name[:-len(".json")] for f in _resources().iterdir()
                  if f.name.endswith(".json") and f.is_file())


def load_results(name: str) -> dict:
    """Read one cached result file, ``lstm_tutorial/resources/<name>.json``, as a dict.

    Args:
        name: one of :func:`available_results` (a trailing ``".json"`` is accepted too).

    Plain JSON only: nothing is unpickled or executed. A name that is not an existing
    results file (a typo, a path, another kind of resource) raises ``ValueError`` listing
    the available names; a non-str raises ``TypeError``.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} ({name!r})")
    stem = name[:-len(".json")] if name.endswith(".json") else name
    available = available_results()
    if stem not in available:
        raise ValueError(f"no cached results named {name!r}; available: {', '.join(available)}")
    data = json.loads((_resources() / f"{stem}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{stem}.json holds a {type(data).__name__}, not a dict of results")
    return data
