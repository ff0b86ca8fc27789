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


def test_limit_threads_sets_and_restores_torch_and_blas():
    import torch
    from threadpoolctl import threadpool_info

    from lstm_tutorial.repro import limit_threads

    def blas_threads():
        return max(i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas")

    before_torch, before_blas = torch.get_num_threads(), blas_threads()
    with limit_threads(1):
        assert torch.get_num_threads() == 1 and blas_threads() == 1
    assert (torch.get_num_threads(), blas_threads()) == (before_torch, before_blas)
    with limit_threads(1, blas=False):
        assert torch.get_num_threads() == 1 and blas_threads() == before_blas
    assert torch.get_num_threads() == before_torch
    with limit_threads(None):
        assert (torch.get_num_threads(), blas_threads()) == (before_torch, before_blas)
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n must be a positive int"):
            with limit_threads(bad):
                pass
