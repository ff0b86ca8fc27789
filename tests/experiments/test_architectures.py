"""The architectures experiment: its widths fit the budget, and the cached runs repeat."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.experiments import architectures as ex
from tests.data.test_vowels import needs_vowels

pytestmark = pytest.mark.disable_socket

TAGGER_ABS = 1e-3  # see the slow test's docstring
VOWELS_ABS = 3e-3  # one test utterance is 1 / 370 = 2.7e-3


def test_every_architecture_is_within_one_percent_of_the_budget():
    for w in ex.tagger_widths(ex.TaggerConfig()).values():
        assert 100 * abs(w["params"] - ex.TaggerConfig().budget) <= ex.TaggerConfig().budget


def test_summarise():
    assert ex.summarise([1, 2, 6]) == {"mean": 3.0, "min": 1.0, "max": 6.0}


def test_vowels_padding_is_zero_and_lengths_are_real():
    needs_vowels()
    x_train, len_train, y_train, x_test, len_test, y_test = ex.vowels_arrays()
    assert x_train.shape == (270, 26, 12) and x_test.shape == (370, 29, 12)
    pad = np.arange(x_test.shape[1])[None, :] >= len_test[:, None]
    assert np.all(x_test[pad] == 0.0) and len_test.min() == 7


@pytest.mark.slow
def test_cached_results_match_recomputed_runs():
    """Retrain the one-layer tagger and the PyTorch vowels classifier with seed 0 (about 12 s).

    Both train in float32 on one thread with seeded batches, so on the machine that wrote the
    file they repeat bit for bit. Measured on that machine with older kernels forced (AVX2, and
    SSE4.2-era ``default``): the tagger's test F1 moved by at most 1.3e-4 (one word start) and its
    accuracy not at all, the final training loss by a relative 6e-3; the vowels classifier's
    accuracy and loss did not move. So the tagger's scores are compared to 1e-3 absolute (about
    seven times the largest measured move) and the vowels accuracy to 3e-3, less than two
    utterances of the 370.
    """
    needs_vowels()
    results = ex.load_architectures_results()
    stored = next(r for r in results["tagger"]["runs"] if r["label"] == "1 layer" and r["seed"] == 0)
    got = ex.train_tagger(ex.TaggerConfig(), "1 layer", 0)
    assert (got["H"], got["params"]) == (stored["H"], stored["params"])
    assert got["f1"] == pytest.approx(stored["f1"], abs=TAGGER_ABS)
    assert got["accuracy"] == pytest.approx(stored["accuracy"], abs=TAGGER_ABS)
    stored_v = results["vowels"]["runs"]["pytorch, packed"][0]
    got_v = ex.train_vowels_torch(ex.VowelsConfig(), 0)
    assert got_v["accuracy"] == pytest.approx(stored_v["accuracy"], abs=VOWELS_ABS)
