"""The squashing functions of the NumPy engine: sigmoid, softmax, softmax with a temperature.

Each is written so that it cannot overflow: the sigmoid through ``tanh``, the softmax by
subtracting the largest score first (which leaves it unchanged).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "softmax", "softmax_with_temperature"]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function, written through tanh so it never overflows: σ(a) = (1 + tanh(a/2)) / 2."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(a)))


def softmax(z: np.ndarray, axis: int = -1, where: np.ndarray | None = None) -> np.ndarray:
    """Numerically stable softmax along ``axis``, optionally over the entries where ``where`` is True.

    The maximum of each slice is subtracted before exponentiating, so large scores cannot
    overflow (softmax is unchanged by adding a constant to every entry). Entries outside
    ``where`` get weight exactly 0; a slice with no entry inside ``where`` gets all zeros.
    """
    z = np.asarray(z)
    if where is None:
        m = np.max(z, axis=axis, keepdims=True)
        e = np.exp(z - m)
        return e / np.sum(e, axis=axis, keepdims=True)
    where = np.broadcast_to(where, z.shape)
    masked = np.where(where, z, -np.inf)
    m = np.max(masked, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # fully masked slice: any finite shift will do
    e = np.where(where, np.exp(np.where(where, z - m, 0.0)), 0.0)
    total = np.sum(e, axis=axis, keepdims=True)
    return e / np.where(total > 0, total, 1.0)


def softmax_with_temperature(logits, temperature: float = 1.0) -> np.ndarray:
    """Probabilities ``softmax(logits / temperature)`` over the last axis, in float64.

    ``temperature = 1`` gives the model's own distribution; below 1 sharpens it towards the
    most likely character (safer, more repetitive text), above 1 flattens it towards uniform.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)
