"""Real data sets, loaded from installed packages or from this package: nothing downloads.

==================  =================================================  ===========================
data set            source                                             licence
==================  =================================================  ===========================
CO2, monthly and    Mauna Loa flask samples, Scripps (Keeling and      public domain (as shipped
weekly              Whorf 2004), weekly 1958-2001, ``statsmodels``     by statsmodels)
sunspots, yearly    Wolf/Zurich yearly sunspot numbers 1700-2008,      public domain (as shipped
                    NOAA NGDC, ``statsmodels``                         by statsmodels)
book corpus         ``resources/corpus.txt``, English prose written    the book's licence
                    for this project                                   (MIT code / CC-BY text)
digits              8x8 handwritten digit images, UCI "Optical         BSD-3-Clause
                    Recognition of Handwritten Digits", ``sklearn``    (scikit-learn)
==================  =================================================  ===========================

Three jobs: forecasting (:func:`load_co2`, :func:`load_co2_weekly`, :func:`make_windows`, :func:`time_split`,
:class:`Scaler`, naive baselines), character-level predictive text (:func:`load_corpus`,
:class:`CharVocab`, :func:`tbptt_batches`) and sequence classification
(:func:`load_digit_sequences`, :func:`pad_sequences`, :func:`stratified_split`).
Cached experiment results (the small JSON files in ``resources/`` written by ``scripts/``)
load with :func:`load_results`; :func:`available_results` lists them.
Bad input raises ``ValueError`` or ``TypeError`` naming the argument; nothing is truncated
silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lstm_tutorial._checks import check_int

__all__ = [
    "TimeSeries",
    "load_co2",
    "load_co2_weekly",
    "load_sunspots",
    "make_windows",
    "time_split",
    "Scaler",
    "ForecastData",
    "make_forecasting_data",
]


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
    return TimeSeries(
        monthly.to_numpy(dtype=np.float64),
        monthly.index.to_numpy().astype("datetime64[M]"),
        filled,
        "CO2 at Mauna Loa, monthly mean",
        "ppm",
    )


def load_co2_weekly() -> TimeSeries:
    """Weekly atmospheric CO2 at Mauna Loa, 29 March 1958 - 29 December 2001 (2,284 weeks).

    Source: ``statsmodels.datasets.co2`` (Scripps flask samples, Keeling and Whorf 2004;
    public domain), the record :func:`load_co2` averages into months. 59 weeks have no
    observation; they are filled by linear interpolation in time and flagged in ``filled``.
    Long enough for windows of 1000 steps, which the 526 months of :func:`load_co2` are not.
    Unit: ppm (mole fraction).
    """
    import statsmodels.api as sm

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    filled = weekly.isna().to_numpy()
    weekly = weekly.interpolate(method="time")
    return TimeSeries(
        weekly.to_numpy(dtype=np.float64),
        weekly.index.to_numpy().astype("datetime64[D]"),
        filled,
        "CO2 at Mauna Loa, weekly",
        "ppm",
    )


def load_sunspots() -> TimeSeries:
    """Yearly mean sunspot number, 1700-2008 (309 years), no gaps.

    Source: ``statsmodels.datasets.sunspots`` (NOAA National Geophysical Data Center;
    public domain). The solar cycle is about 11 years long.
    """
    import statsmodels.api as sm

    d = sm.datasets.sunspots.load_pandas().data
    years = d["YEAR"].to_numpy().astype(int)
    return TimeSeries(
        d["SUNACTIVITY"].to_numpy(dtype=np.float64),
        np.array([f"{y:04d}" for y in years], dtype="datetime64[Y]"),
        np.zeros(len(years), dtype=bool),
        "yearly sunspot number",
        "count",
    )


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
    input_len = check_int("input_len", input_len)
    horizon = check_int("horizon", horizon)
    s = np.asarray(series, dtype=np.float64)
    if s.ndim not in (1, 2):
        raise ValueError(f"series must be 1-D (n,) or 2-D (n, D), got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("series contains NaN or infinite values; fill gaps first")
    n = s.shape[0]
    N = n - input_len - horizon + 1
    if N < 1:
        raise ValueError(
            f"input_len + horizon = {input_len + horizon} is longer than the series (n = {n}); no window fits"
        )
    s2 = s[:, None] if s.ndim == 1 else s
    idx = np.arange(N)[:, None]
    X = s2[idx + np.arange(input_len)]  # (N, T_in, D)
    y = s2[idx + input_len + np.arange(horizon)]  # (N, T_out, D)
    if s.ndim == 1:
        y = y[..., 0]  # (N, T_out)
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
    n = check_int("data", data) if isinstance(data, (int, np.integer)) and not isinstance(data, bool) else len(data)
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

    def fit(self, x) -> Scaler:
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


def make_forecasting_data(
    series, input_len: int, horizon: int = 1, fractions: Sequence[float] = (0.7, 0.15, 0.15)
) -> ForecastData:
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
        X, y = make_windows(z[lo : p.stop], input_len, horizon) if p.stop - lo >= input_len + horizon else (None, None)
        if X is None:
            raise ValueError(
                f"the {name} part ({p.stop - p.start} steps) has no complete window of "
                f"input_len={input_len} + horizon={horizon}"
            )
        out += [X, y]
    return ForecastData(*out, scaler=scaler)
