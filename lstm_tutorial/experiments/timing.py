"""Timing one call, the one home for it: every measured time in the book comes from here.

Measured times go only into cells whose output nbval does not compare; claims are made as
ratios or exponents (``CONTRIBUTING.md``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

__all__ = ["time_once", "summarise_times", "fit_exponent", "compare_timings"]


def time_once(step: Callable[[], object]) -> float:
    """Wall-clock seconds of one call of ``step()`` (``time.perf_counter``)."""
    t0 = time.perf_counter()
    step()
    return time.perf_counter() - t0


def summarise_times(times: Sequence[float]) -> dict:
    """Median and spread of repeated timings, with outliers flagged by Tukey's fences.

    ``q1`` and ``q3`` are the quartiles (linear interpolation, as ``numpy.percentile``); a time
    outside ``[q1 - 1.5 IQR, q3 + 1.5 IQR]`` (``IQR = q3 - q1``) is an outlier: typically a
    moment when another process had the core. Returns ``median``, ``q1``, ``q3``, ``min``,
    ``max``, ``n`` and ``outliers`` (the flagged times, in the order measured). The median is
    what the book compares, and the interquartile range ``[q1, q3]`` is its spread.
    """
    import numpy as np

    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size < 3:
        raise ValueError(f"times must be a flat sequence of at least 3 timings, got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError("times must be positive finite seconds")
    q1, med, q3 = (float(v) for v in np.percentile(t, [25, 50, 75]))
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    return {
        "median": med,
        "q1": q1,
        "q3": q3,
        "min": float(t.min()),
        "max": float(t.max()),
        "n": int(t.size),
        "outliers": [float(v) for v in t if v < lo or v > hi],
    }


def _check_series(sizes, times, name: str):
    import numpy as np

    s = np.asarray(sizes, dtype=float)
    if s.ndim != 1 or s.size < 2 or np.any(s <= 0):
        raise ValueError(f"sizes must be at least 2 positive numbers, got {list(sizes)}")
    if len(times) != s.size:
        raise ValueError(f"{name} must hold one list of timings per size ({s.size}), got {len(times)}")
    return s, [np.asarray(t, dtype=float) for t in times]


def fit_exponent(
    sizes: Sequence[float], times: Sequence[Sequence[float]], *, n_boot: int = 1000, seed: int = 0
) -> dict:
    """The scaling exponent ``p`` of ``time ~ size^p``: the least-squares slope of log median time against log size.

    ``times[i]`` holds the repeated timings at ``sizes[i]``. The spread comes from the repeats
    themselves: ``n_boot`` bootstrap resamples (each size's timings drawn with replacement, a
    seeded generator) give the 5th and 95th percentiles of the slope, ``lo`` and ``hi``. A
    slope of 1 is linear cost, 2 quadratic, 0 constant. Returns ``exponent``, ``lo``, ``hi``.
    """
    import numpy as np

    s, ts = _check_series(sizes, times, "times")
    x = np.log(s)

    def slope(medians):
        return float(np.polyfit(x, np.log(medians), 1)[0])

    rng = np.random.default_rng(seed)
    boot = [slope([np.median(rng.choice(t, t.size)) for t in ts]) for _ in range(n_boot)]
    lo, hi = np.percentile(boot, [5, 95])
    return {"exponent": slope([np.median(t) for t in ts]), "lo": float(lo), "hi": float(hi)}


def compare_timings(
    sizes: Sequence[float], times_a: Sequence[Sequence[float]], times_b: Sequence[Sequence[float]]
) -> dict:
    """Which of two timed curves is faster at each size, counting only separations beyond the spread.

    At a size, ``a`` is faster when its upper quartile lies below ``b``'s lower quartile (the
    interquartile ranges of :func:`summarise_times` do not overlap), and the other way round;
    otherwise the verdict is ``"overlap"``. A crossing is reported only where two consecutive
    *separated* sizes disagree, interpolated between them in log-log on the medians; noise at
    one size can then not invent one. Returns ``verdicts`` (``"a"``, ``"b"`` or ``"overlap"``
    per size), ``crossing`` (the size, or ``None``) and ``ratio`` (median of ``b`` over median of
    ``a`` per size).
    """
    import math

    s, ta = _check_series(sizes, times_a, "times_a")
    _, tb = _check_series(sizes, times_b, "times_b")
    A, Bs = [summarise_times(t) for t in ta], [summarise_times(t) for t in tb]
    verdicts = ["a" if a["q3"] < b["q1"] else "b" if b["q3"] < a["q1"] else "overlap" for a, b in zip(A, Bs)]
    separated = [i for i, v in enumerate(verdicts) if v != "overlap"]
    crossing = None
    for i, j in zip(separated, separated[1:]):
        if verdicts[i] != verdicts[j]:
            d_i = math.log(Bs[i]["median"] / A[i]["median"])
            d_j = math.log(Bs[j]["median"] / A[j]["median"])
            frac = d_i / (d_i - d_j) if d_i != d_j else 0.5
            frac = min(max(frac, 0.0), 1.0)
            crossing = math.exp(math.log(s[i]) + frac * (math.log(s[j]) - math.log(s[i])))
            break
    return {"verdicts": verdicts, "crossing": crossing, "ratio": [b["median"] / a["median"] for a, b in zip(A, Bs)]}
