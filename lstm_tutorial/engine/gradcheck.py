"""Finite-difference gradient checks: does a hand-written backward pass match the forward pass?

For every checked entry θ of every parameter, the central difference

.. math:: \frac{L(θ + ε) - L(θ - ε)}{2ε}

is compared with the analytic gradient ``a`` by the relative error
``|a - n| / max(|a| + |n|, floor)``. The error of the central difference shrinks like ε², so in
float64 with ε = 1e-5 a correct backward pass gives relative errors around 1e-9 or below; a
wrong one gives errors near 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

__all__ = ["GradCheckResult", "relative_error", "gradient_check"]


class GradCheckResult(NamedTuple):
    """Outcome of :func:`gradient_check`.

    ``max_rel_error`` is the worst relative error over all checked entries, found at
    ``params[worst_key][worst_index]``; ``per_key`` maps each parameter to its own worst error;
    ``n_checked`` counts the entries compared.
    """

    max_rel_error: float
    worst_key: str | None
    worst_index: tuple
    per_key: dict
    n_checked: int

    def __str__(self) -> str:
        per = ", ".join(f"{k}: {v:.1e}" for k, v in self.per_key.items())
        return f"worst relative error {self.max_rel_error:.2e} at {self.worst_key}{list(self.worst_index)} ({per})"


def relative_error(a, n, floor: float = 1e-10) -> np.ndarray:
    """Element-wise ``|a - n| / max(|a| + |n|, floor)``; the floor keeps exact zeros from dividing by 0."""
    a, n = np.asarray(a, np.float64), np.asarray(n, np.float64)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)


def gradient_check(
    f: Callable[[dict], tuple[float, Mapping[str, np.ndarray]]],
    params: Mapping[str, np.ndarray],
    *,
    eps: float = 1e-5,
    keys=None,
    max_entries: int | None = None,
    seed: int = 0,
    floor: float = 1e-10,
) -> GradCheckResult:
    """Compare analytic gradients with central finite differences.

    Args:
        f: ``f(params) -> (loss, grads)``; ``loss`` a scalar, ``grads`` a dict with an array of
            the same shape as ``params[k]`` for every checked key ``k``. Inputs and initial states
            can be checked too: put them in ``params`` and return their gradients in ``grads``.
        params: dict of float arrays (use float64: float32 differences are too coarse). The
            arrays are perturbed in place and restored before returning.
        eps: the step ε.
        keys: which keys to check; all of ``params`` by default.
        max_entries: check at most this many randomly chosen entries per key (all if ``None``).
        seed: for choosing entries.
        floor: lower bound of the relative error's denominator.

    Returns:
        A :class:`GradCheckResult`; ``result.max_rel_error`` is the number to look at.
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
    keys = list(params) if keys is None else list(keys)
    for k in keys:
        if k not in params:
            raise ValueError(f"keys names {k!r}, which is not in params (keys {list(params)})")
        if not isinstance(params[k], np.ndarray) or params[k].dtype.kind != "f":
            raise TypeError(
                f"params[{k!r}] must be a float ndarray to be perturbed in place, got "
                f"{type(params[k]).__name__} {getattr(params[k], 'dtype', '')}"
            )
    _, grads = f(params)
    grads = {k: np.array(grads[k], dtype=np.float64) for k in keys}
    for k in keys:
        if grads[k].shape != params[k].shape:
            raise ValueError(f"grads[{k!r}] has shape {grads[k].shape}, params[{k!r}] has shape {params[k].shape}")
    rng = np.random.default_rng(seed)
    worst, worst_key, worst_index = -1.0, None, ()
    per_key, n_checked = {}, 0
    for k in keys:
        p = params[k]
        idx = np.arange(p.size)
        if max_entries is not None and p.size > max_entries:
            idx = np.sort(rng.choice(p.size, size=max_entries, replace=False))
        key_worst = 0.0
        for j in idx:
            pos = tuple(int(v) for v in np.unravel_index(j, p.shape))
            old = p[pos]
            p[pos] = old + eps
            plus = float(f(params)[0])
            p[pos] = old - eps
            minus = float(f(params)[0])
            p[pos] = old
            numeric = (plus - minus) / (2 * eps)
            err = float(relative_error(grads[k][pos], numeric, floor))
            key_worst = max(key_worst, err)
            if err > worst:
                worst, worst_key, worst_index = err, k, pos
            n_checked += 1
        per_key[k] = key_worst
    return GradCheckResult(max(worst, 0.0), worst_key, worst_index, per_key, n_checked)
