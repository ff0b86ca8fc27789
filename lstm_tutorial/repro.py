"""Reproducibility: one helper seeds every random number generator the book uses.

Call :func:`seed_everything` at the top of every chapter, *after* importing the frameworks
the chapter uses: it seeds Python, NumPy, and every one of PyTorch and TensorFlow/Keras that
is already imported (importing TensorFlow only to seed it would cost about ten seconds in
chapters that never use it), and switches those frameworks to deterministic kernels.
"""

from __future__ import annotations

import os
import random
import sys

import numpy as np

__all__ = ["seed_everything", "DEFAULT_SEED", "NOTEBOOK_ENV"]

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
        import torch  # noqa: F401
        import keras  # noqa: F401
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
#: a fixed hash seed, and a fixed thread count so reductions add up in the same order.
NOTEBOOK_ENV = {
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "CUDA_VISIBLE_DEVICES": "",
    "KERAS_BACKEND": "tensorflow",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "TQDM_MININTERVAL": "5",
}
