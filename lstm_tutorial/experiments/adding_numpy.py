"""The NumPy engine trained on the adding problem: the experiments of Part II (training, gru).

:func:`train_adding_numpy` trains :class:`~lstm_tutorial.engine.model.SequenceModel` with the
engine's own loop and Adam, and returns the test-MSE curve; float64 by default, so that the
printed results do not depend on the CPU.
"""

from __future__ import annotations

import math

import numpy as np

from lstm_tutorial.data.tasks import (
    adding_problem,
)
from lstm_tutorial.repro import limit_threads

__all__ = ["train_adding_numpy"]


def train_adding_numpy(
    kind: str = "lstm",
    T: int = 50,
    *,
    hidden_size: int = 32,
    steps: int = 1000,
    lr: float = 1e-2,
    clip: float | None = 1.0,
    batch_size: int = 32,
    seed: int = 0,
    dtype=np.float64,
    eval_every: int | None = None,
    n_train: int | None = None,
    train_seed: int = 1000,
    n_test: int = 500,
    test_seed: int = 999_999_999,
    num_threads: int | None = 1,
) -> dict:
    """Train the NumPy engine's ``SequenceModel(kind, 2, H, 1)`` on the modern adding problem.

    Adam with learning rate ``lr``, batches of ``batch_size``, gradients clipped to joint norm
    ``clip``, through :func:`lstm_tutorial.engine.training.fit`. The test set is fixed:
    ``adding_problem(n_test, T, seed=test_seed)``. Its MSE is measured before training and
    after every round of training; round ``r`` (``r = 0, 1, ...``) calls ``fit`` once with
    ``seed=r`` (its shuffling seed). The training data comes in one of two ways:

    - ``n_train=None`` (fresh data): every round draws ``eval_every * batch_size`` new
      sequences, ``adding_problem(..., seed=train_seed + r)``, and makes one pass over them,
      ``eval_every`` steps (default 50).
    - ``n_train=N``: one fixed training set ``adding_problem(N, T, seed=train_seed)``; every
      round is one pass (epoch) over it, ``ceil(N / batch_size)`` steps, the last batch
      smaller; ``eval_every`` must be ``None`` or that number.

    ``steps`` must be a whole number of rounds. The model is initialised with ``seed`` and
    computes in ``dtype``. ``num_threads`` limits the BLAS threads during the call (one is
    faster for these small matrices and sums in a fixed order); ``None`` leaves them alone.

    Returns:
        dict with ``kind, T, seed``; ``steps`` int array ``(R + 1,)``, the Adam steps done at
        each evaluation ``0, e, 2e, ..., R e``; ``test_mse`` float array ``(R + 1,)``, the test
        MSE at those steps (``test_mse[0]`` before training); ``model`` the trained
        ``SequenceModel``; ``n_params`` its number of parameters (cell and read-out);
        ``X_test`` ``(n_test, T, 2)`` and ``y_test`` ``(n_test,)`` in ``dtype``.
    """
    from lstm_tutorial.engine.losses import mse_loss
    from lstm_tutorial.engine.model import SequenceModel
    from lstm_tutorial.engine.optim import Adam
    from lstm_tutorial.engine.training import fit

    if n_train is None:
        every = 50 if eval_every is None else int(eval_every)
    else:
        every = math.ceil(n_train / batch_size)
        if eval_every is not None and eval_every != every:
            raise ValueError(
                f"with a fixed training set, one round is one pass of {every} steps; got eval_every={eval_every}"
            )
    if every < 1 or steps < 0 or steps % every:
        raise ValueError(f"steps must be a whole number of rounds of {every} steps, got steps={steps}")
    X_test, y_test = adding_problem(n_test, T, seed=test_seed)
    X_test, y_test = X_test.astype(dtype), y_test.astype(dtype)
    if n_train is not None:
        X_fixed, y_fixed = adding_problem(n_train, T, seed=train_seed)
        X_fixed, y_fixed = X_fixed.astype(dtype), y_fixed[:, None].astype(dtype)

    with limit_threads(num_threads):
        model = SequenceModel(kind, 2, hidden_size, 1, seed=seed, dtype=dtype)
        optimizer = Adam(lr=lr)
        curve = [mse_loss(model.predict(X_test), y_test)[0]]
        for r in range(steps // every):
            if n_train is None:
                X, y = adding_problem(every * batch_size, T, seed=train_seed + r)
                X, y = X.astype(dtype), y[:, None].astype(dtype)
            else:
                X, y = X_fixed, y_fixed
            fit(model, X, y, optimizer=optimizer, batch_size=batch_size, clip=clip, seed=r, progress=False)
            curve.append(mse_loss(model.predict(X_test), y_test)[0])
    return {
        "kind": kind,
        "T": T,
        "seed": seed,
        "steps": np.arange(len(curve)) * every,
        "test_mse": np.array(curve),
        "model": model,
        "n_params": int(sum(v.size for v in model.params.values())),
        "X_test": X_test,
        "y_test": y_test,
    }
