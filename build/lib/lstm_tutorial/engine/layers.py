"""The affine output layer that turns hidden states into predictions: forward and backward.

``y = h W_y + b_y`` on the last axis; shapes ``h (..., H)``, ``W_y (H, O)``, ``b_y (O,)``.
"""

from __future__ import annotations

import numpy as np

from lstm_tutorial._checks import check_array

__all__ = ["dense_forward", "dense_backward"]


def dense_forward(h, W, b):
    """Affine output layer ``y = h W + b`` applied to the last axis.

    Args:
        h: ``(..., H)``, e.g. ``(B, H)`` or ``(B, T, H)``.
        W: ``(H, O)``; b: ``(O,)``.

    Returns:
        ``(y, cache)`` with ``y`` of shape ``(..., O)``.
    """
    h = np.asarray(h)
    W = check_array("W_y", W, ndim=2, labels=("H", "O"))
    b = check_array("b_y", b, shape=(W.shape[1],), labels=("O",))
    if h.shape[-1] != W.shape[0]:
        raise ValueError(f"h has {h.shape[-1]} features (shape {h.shape}) but W_y has shape {W.shape}, expecting H={W.shape[0]}")
    return h @ W + b, (h, W)


def dense_backward(dy, cache):
    """Gradients of :func:`dense_forward`: returns ``(dh, dW, db)`` with the shapes of ``h, W, b``."""
    h, W = cache
    O = W.shape[1]
    h2, dy2 = h.reshape(-1, h.shape[-1]), np.asarray(dy).reshape(-1, O)
    return dy @ W.T, h2.T @ dy2, dy2.sum(axis=0)
