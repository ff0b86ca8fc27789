"""The timing statistics on hand-made timings: quartiles, Tukey's fences, fitted exponents, crossings."""

import numpy as np
import pytest

from lstm_tutorial.experiments.timing import compare_timings, fit_exponent, summarise_times


def test_summary_has_quartiles_and_flags_the_outlier():
    s = summarise_times([1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 9.0])
    assert s["median"] == 1.3 and s["n"] == 7 and s["min"] == 1.0 and s["max"] == 9.0
    assert s["q1"] == pytest.approx(1.15) and s["q3"] == pytest.approx(1.45)
    assert s["outliers"] == [9.0]  # above q3 + 1.5 * 0.3 = 1.9
    assert summarise_times([1.0, 1.1, 1.2])["outliers"] == []


@pytest.mark.parametrize("bad", [[1.0, 2.0], [1.0, float("nan"), 2.0], [1.0, -1.0, 2.0], [[1.0, 2.0, 3.0]]])
def test_summary_rejects_too_few_or_invalid_times(bad):
    with pytest.raises(ValueError, match="times must"):
        summarise_times(bad)


def test_exponent_of_exact_power_laws_and_its_bootstrap_spread():
    sizes = [16, 64, 256, 1024]
    for p in (0.0, 1.0, 2.0):
        times = [[s**p * f for f in (0.9, 1.0, 1.1, 1.0, 0.95)] for s in sizes]
        fit = fit_exponent(sizes, times)
        assert fit["exponent"] == pytest.approx(p, abs=1e-12)
        assert fit["lo"] <= p <= fit["hi"] and fit["hi"] - fit["lo"] < 0.2
    assert fit_exponent(sizes, times) == fit_exponent(sizes, times)  # seeded
    with pytest.raises(ValueError, match="one list of timings per size"):
        fit_exponent(sizes, times[:3])
    with pytest.raises(ValueError, match="sizes must be"):
        fit_exponent([16], times[:1])


def test_crossing_only_where_the_curves_separate_beyond_their_spread():
    sizes = [10, 20, 40, 80]
    a = [[2.0, 2.1, 2.2]] * 4  # flat
    b = [[1.0, 1.1, 1.2], [1.9, 2.1, 2.3], [3.0, 3.1, 3.2], [4.0, 4.1, 4.2]]
    r = compare_timings(sizes, a, b)
    assert r["verdicts"] == ["b", "overlap", "a", "a"]
    assert 10 < r["crossing"] < 40
    # the interpolation runs between the two separated sizes, on the medians
    d10, d40 = np.log(1.1 / 2.1), np.log(3.1 / 2.1)
    assert r["crossing"] == pytest.approx(np.exp(np.log(10) + d10 / (d10 - d40) * np.log(4)))
    assert r["ratio"][0] == pytest.approx(1.1 / 2.1)
    # one noisy size whose median dips below cannot make a crossing when the spreads overlap
    noisy = [[3.0, 3.1, 3.2], [1.5, 2.0, 2.6], [3.0, 3.1, 3.2], [3.0, 3.1, 3.2]]
    r = compare_timings(sizes, a, noisy)
    assert r["verdicts"] == ["a", "overlap", "a", "a"] and r["crossing"] is None
