"""The number-aware comparison that a notebook cell may declare (see conftest.py).

It must pass only what the declared tolerance allows: the text around the numbers exactly, and
each number within ``abs + rel * |stored|``.
"""

import pytest

from conftest import align_numbers, cell_tolerance


def compare(stored, fresh, **tol):
    return align_numbers(stored, fresh, **tol) == stored


def test_numbers_within_the_tolerance_match():
    assert compare(
        "max |difference| 2e-16 (claim: below 1e-12)", "max |difference| 9e-16 (claim: below 1e-12)", atol=1e-14
    )
    assert compare("loss 0.8873", "loss 0.8801", atol=0.01)
    assert compare("1.00e+03 steps", "1.01e+03 steps", rtol=0.02)


def test_numbers_beyond_the_tolerance_do_not():
    assert not compare("max |difference| 2e-16", "max |difference| 2e-13", atol=1e-14)
    assert not compare("loss 0.8873", "loss 0.9001", atol=0.01)
    assert not compare("1.00e+03 steps", "1.05e+03 steps", rtol=0.02)


def test_zero_tolerance_is_exact():
    assert compare("a 1.5 b", "a 1.5 b")
    assert not compare("a 1.5 b", "a 1.6 b")
    assert compare("0.1", "0.10")  # numbers are compared as values, not as text


def test_text_around_the_numbers_must_be_identical():
    assert not compare("max |difference| 2e-16", "max difference 2e-16", atol=1.0)
    assert not compare("NumPy vs PyTorch 3e-16", "NumPy vs Keras 3e-16", atol=1.0)


def test_a_different_count_of_numbers_fails():
    assert not compare("values 1 2 3", "values 1 2", atol=10.0)
    assert not compare("values 1 2", "values 1 2 3", atol=10.0)


def test_signs_and_exponents_are_parsed():
    assert compare("-2.5e-07 and +1E3", "-2.4e-07 and +1.0E3", atol=2e-8)
    assert not compare("-2.5e-07", "2.5e-07", atol=1e-8)


def test_a_declared_tolerance_is_validated():
    assert cell_tolerance({"metadata": {}}) is None
    tol = {"abs": 1e-12, "why": "measured 2e-16 to 9e-16 across kernels"}
    assert cell_tolerance({"metadata": {"tolerance": tol}}) == tol
    with pytest.raises(ValueError, match="needs a 'why'"):
        cell_tolerance({"metadata": {"tolerance": {"abs": 1e-12}}})
    with pytest.raises(ValueError, match="non-negative number"):
        cell_tolerance({"metadata": {"tolerance": {"abs": -1, "why": "x"}}})
    with pytest.raises(ValueError, match="'abs' and/or 'rel'"):
        cell_tolerance({"metadata": {"tolerance": {"why": "x"}}})
    with pytest.raises(ValueError, match="'abs' and/or 'rel'"):
        cell_tolerance({"metadata": {"tolerance": {"abs": 1, "tol": 2, "why": "x"}}})
