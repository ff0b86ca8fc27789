import importlib.util
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_tutorial import seed_everything
from lstm_tutorial.repro import NOTEBOOK_ENV

ROOT = Path(__file__).resolve().parents[1]


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


def _portability_configs() -> dict:
    spec = importlib.util.spec_from_file_location("portability", ROOT / "scripts" / "portability.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CONFIGS


def test_normal_runs_make_no_kernel_choice():
    """CONTRIBUTING.md, rule 4: the variables that force kernels (those of scripts/portability.py,
    and TensorFlow's switch between its oneDNN and Eigen kernels) appear nowhere that a reader's
    run or ``make test`` reads: not in NOTEBOOK_ENV, the package, the notebooks, conftest.py,
    pytest.ini or the Makefile."""
    forcing = {name for _, variables, _ in _portability_configs().values() for name in variables}
    assert {"OPENBLAS_CORETYPE", "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"} <= forcing
    forcing |= {"TF_ENABLE_ONEDNN_OPTS", "MKL_CBWR", "MKL_DEBUG_CPU_TYPE"}
    assert not forcing & set(NOTEBOOK_ENV)
    read = [*(ROOT / "lstm_tutorial").rglob("*.py"), *(ROOT / "book").rglob("*.ipynb")]
    read += [ROOT / "conftest.py", ROOT / "pytest.ini", ROOT / "Makefile"]
    for path in read:
        text = path.read_text(encoding="utf-8")
        found = sorted(name for name in forcing if name in text)
        assert not found, f"{path.relative_to(ROOT)} mentions {found}: kernel forcing belongs in scripts/portability.py"
