import random

import numpy as np
import pytest
import torch

from lstm_tutorial import seed_everything


def test_same_seed_same_draws():
    seed_everything(3)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    rng_first = seed_everything(3).normal(size=3)
    seed_everything(3)
    second = (random.random(), np.random.rand(), torch.rand(1).item())
    rng_second = seed_everything(3).normal(size=3)
    assert first == second
    np.testing.assert_array_equal(rng_first, rng_second)


def test_different_seeds_differ():
    seed_everything(1)
    a = np.random.rand(4)
    seed_everything(2)
    assert not np.array_equal(a, np.random.rand(4))


def test_deterministic_torch_algorithms_switched_on():
    seed_everything(0)
    assert torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError)])
def test_bad_seed_is_refused(bad, exc):
    with pytest.raises(exc, match="seed"):
        seed_everything(bad)
