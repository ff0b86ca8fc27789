"""Updating a parameter dict in place: gradient-norm clipping, SGD with momentum, and Adam.

Optimisers take ``params`` and ``grads`` dicts with the same keys (the layout of
:mod:`lstm_tutorial.engine.params`, plus a model's own keys) and update ``params`` in place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = ["grad_norm", "clip_grad_norm", "SGD", "Adam"]



def grad_norm(grads: Mapping[str, np.ndarray]) -> float:
    """The joint L2 norm of every gradient in ``grads``, as one vector."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_grad_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> float:
    """Scale all gradients in place so that their joint L2 norm is at most ``max_norm``.

    Returns the norm before clipping (worth logging: spikes show exploding gradients).
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    norm = grad_norm(grads)
    if norm > max_norm:
        scale = max_norm / (norm + 1e-12)
        for g in grads.values():
            g *= scale
    return norm


class SGD:
    """Stochastic gradient descent with momentum: ``v = μ v + g``, ``θ = θ - lr v``."""

    def __init__(self, lr: float = 0.1, momentum: float = 0.0):
        if not lr > 0 or not 0 <= momentum < 1:
            raise ValueError(f"need lr > 0 and 0 <= momentum < 1, got lr={lr}, momentum={momentum}")
        self.lr, self.momentum = lr, momentum
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict, grads: Mapping[str, np.ndarray]) -> None:
        """Update every ``params[k]`` that has a gradient, in place."""
        for k, g in grads.items():
            if self.momentum:
                v = self.velocity.setdefault(k, np.zeros_like(params[k]))
                v *= self.momentum
                v += g
                g = v
            params[k] -= self.lr * g


class Adam:
    """Adam (Kingma and Ba 2015): moment estimates ``m``, ``v`` with bias correction."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        if not lr > 0 or not 0 <= beta1 < 1 or not 0 <= beta2 < 1:
            raise ValueError(f"need lr > 0 and betas in [0, 1), got lr={lr}, beta1={beta1}, beta2={beta2}")
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.t = 0

    def step(self, params: dict, grads: Mapping[str, np.ndarray]) -> None:
        """Update every ``params[k]`` that has a gradient, in place."""
        self.t += 1
        correct1, correct2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        for k, g in grads.items():
            m = self.m.setdefault(k, np.zeros_like(params[k]))
            v = self.v.setdefault(k, np.zeros_like(params[k]))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * (g * g)
            # θ -= lr m̂ / (sqrt(v̂) + eps) with m̂ = m / correct1, v̂ = v / correct2
            params[k] -= (self.lr / correct1) * m / (np.sqrt(v / correct2) + self.eps)
