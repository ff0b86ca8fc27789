"""Reproducibility: one helper seeds every random number generator the book uses.

Call :func:`seed_everything` at the top of every chapter, *after* importing the frameworks
the chapter uses: it seeds Python, NumPy, and every one of PyTorch and TensorFlow/Keras that
is already imported (importing TensorFlow only to seed it would cost about ten seconds in
chapters that never use it), and switches those frameworks to deterministic kernels.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from collections.abc import Iterator

import numpy as np

__all__ = ["seed_everything", "limit_threads", "limit_threads_tensorflow", "DEFAULT_SEED", "NOTEBOOK_ENV"]

DEFAULT_SEED = 0


def seed_everything(seed: int = DEFAULT_SEED, *, frameworks: bool | None = None) -> np.random.Generator:
    """Seed Python, NumPy, PyTorch and TensorFlow/Keras, and turn on deterministic ops.

    Args:
        seed: a non-negative integer.
        frameworks: ``None`` (default) seeds only the frameworks already imported;
            ``True`` imports PyTorch and Keras first; ``False`` seeds Python and NumPy only.

    Returns:
        A fresh ``numpy.random.Generator`` seeded with ``seed``, for code that prefers an
        explicit generator to the global state.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    random.seed(seed)
    np.random.seed(seed)

    if frameworks:
        import keras  # noqa: F401
        import torch  # noqa: F401
    if frameworks is not False and "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
    if frameworks is not False and ("keras" in sys.modules or "tensorflow" in sys.modules):
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)


#: Environment every notebook runs in, both when an author refreshes the stored outputs
#: (``make notebooks``) and when nbval re-runs them (``make test``): quiet TensorFlow, no GPU,
#: a fixed hash seed, Keras on TensorFlow, inline figures and sparse progress bars. Threads are
#: limited per function with :func:`limit_threads`, not here. It makes
#: no kernel choice (CONTRIBUTING.md, rule 4): TensorFlow's oneDNN operations stay at their
#: default, as in a reader's JupyterLab, so the tests run the kernels a reader runs.
NOTEBOOK_ENV = {
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "CUDA_VISIBLE_DEVICES": "",
    "KERAS_BACKEND": "tensorflow",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "TQDM_MININTERVAL": "5",
}


@contextlib.contextmanager
def limit_threads(n: int | None, *, blas: bool = True) -> Iterator[None]:
    """Run the block with ``n`` threads for PyTorch (if imported) and NumPy's BLAS, then restore.

    Small models train faster on one thread and, more important here, add up their sums in
    one fixed order, so a result does not depend on how many cores a machine has. ``None``
    changes nothing; ``blas=False`` leaves NumPy's BLAS alone (for PyTorch-only work).
    TensorFlow's thread pools are fixed once it has run an op: see
    :func:`limit_threads_tensorflow`.
    """
    if n is None:
        yield
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int or None, got {n!r}")
    torch = sys.modules.get("torch")
    old_torch = torch.get_num_threads() if torch is not None else None
    blas_limits = contextlib.nullcontext()
    if blas:
        from threadpoolctl import threadpool_limits

        blas_limits = threadpool_limits(limits=n)
    try:
        with blas_limits:
            if torch is not None:
                torch.set_num_threads(n)
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(old_torch)


def limit_threads_tensorflow(n: int) -> bool:
    """Ask TensorFlow to use ``n`` threads per op and between ops; return whether it took effect.

    TensorFlow fixes its thread pools when it runs its first operation, so call this right after
    ``import tensorflow``; later calls change nothing and return ``False`` (unless the setting
    already is ``n``).
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    except RuntimeError:
        pass
    return tf.config.threading.get_intra_op_parallelism_threads() == n
