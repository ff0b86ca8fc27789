"""Losses with their gradients in one call: mean squared error and softmax cross-entropy.

Each returns ``(loss, dpred)``: the loss as a Python float and its gradient with respect to the
predictions, shaped like them.
"""

from __future__ import annotations

import numpy as np

from lstm_tutorial._checks import check_array

__all__ = ["mse_loss", "softmax_cross_entropy"]


def mse_loss(pred, target):
    """Mean squared error over all entries, and its gradient with respect to ``pred``.

    Returns ``(loss, dpred)``: ``loss = mean((pred - target)^2)``, ``dpred`` shaped like ``pred``.
    """
    pred = np.asarray(pred)
    target = check_array("target", target, dtype=pred.dtype)
    if target.shape != pred.shape:
        if target.size == pred.size:
            target = target.reshape(pred.shape)
        else:
            raise ValueError(f"target must have the shape of the predictions {pred.shape}, got {target.shape}")
    diff = pred - target
    return float(np.mean(diff * diff)), (2.0 / diff.size) * diff


def softmax_cross_entropy(logits, targets, mask=None):
    """Softmax cross-entropy averaged over the (unmasked) positions, and its gradient.

    Args:
        logits: ``(B, T, V)`` (or ``(B, V)``) unnormalised scores.
        targets: ``(B, T)`` (or ``(B,)``) integer classes in ``[0, V)``.
        mask: optional ``(B, T)`` (or ``(B,)``) weights, 1 where a position counts and 0 where
            it does not (padding). The loss is divided by ``mask.sum()``.

    Returns:
        ``(loss, dlogits)``, ``dlogits`` shaped like ``logits``.
    """
    logits = np.asarray(logits)
    V = logits.shape[-1]
    targets = check_array("targets", targets, shape=logits.shape[:-1], integer=True)
    if targets.size and (targets.min() < 0 or targets.max() >= V):
        raise ValueError(
            f"targets must lie in [0, {V}) for {V} classes, got values from {targets.min()} to {targets.max()}"
        )
    shifted = logits - logits.max(axis=-1, keepdims=True)  # same softmax, no overflow in exp
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # log softmax
    logp_target = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    if mask is None:
        weights = np.ones(targets.shape, logits.dtype)
    else:
        weights = check_array("mask", mask, shape=targets.shape, dtype=logits.dtype)
    total = weights.sum()
    if total <= 0:
        raise ValueError("mask selects no position: the loss would be 0/0")
    loss = float(-(weights * logp_target).sum() / total)
    # d loss / d logits = (softmax - one_hot(target)) * weight / total
    dlogits = np.exp(log_p)
    np.put_along_axis(
        dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1, axis=-1
    )
    dlogits *= (weights / total)[..., None]
    return loss, dlogits
