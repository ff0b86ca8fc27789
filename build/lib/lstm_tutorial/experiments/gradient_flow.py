"""How much of the loss gradient survives ``k`` steps back, at initialisation (Parts I, II and IV).

:func:`gradient_norm_vs_lag` measures, for a tanh RNN at chosen spectral radii of ``U`` and for
an LSTM at chosen forget-gate biases, the norm of ``dL/dx_{T-1-k}`` relative to ``k = 0``, over
several seeds, in float64 with PyTorch's autograd. Rows are tidy dicts, one per measurement.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import torch

from lstm_tutorial.frameworks.init import set_forget_bias

__all__ = ["gradient_norm_vs_lag", "summarise_gradient_rows", "set_spectral_radius"]


def set_spectral_radius(rnn: torch.nn.RNN, radius: float, seed: int) -> torch.nn.RNN:
    """Replace the recurrent matrix of ``rnn`` by a Gaussian one rescaled to spectral radius ``radius``."""
    H = rnn.hidden_size
    U = np.random.default_rng(seed).standard_normal((H, H))
    U *= radius / np.max(np.abs(np.linalg.eigvals(U)))
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.from_numpy(U))
    return rnn


def gradient_norm_vs_lag(cell: str = "rnn", *, hidden_size: int = 64, input_size: int = 8,
                         T: int = 101, lags: Iterable[int] = (0, 1, 2, 5, 10, 20, 50, 100),
                         spectral_radius: Iterable[float | None] = (None,),
                         forget_bias: Iterable[float | None] = (None,),
                         seeds: Iterable[int] = range(5), batch_size: int = 32) -> list[dict]:
    """Norm of ``dL/dx_{T-1-k}`` relative to ``k = 0``, as a function of the lag ``k``.

    A network at initialisation (float64) reads ``B`` random sequences ``x ~ N(0, 1)`` of
    shape ``(B, T, D)``; the loss is ``L = sum_b v . h_{T-1}`` with a fixed random unit
    vector ``v``. Backpropagation gives ``dL/dx_t`` for every step ``t``; its Frobenius norm
    over the batch ``k`` steps before the last step, divided by the norm at the last step,
    is the fraction of the error signal that survives ``k`` steps.

    Args:
        cell: ``"rnn"`` (tanh) or ``"lstm"``.
        spectral_radius: for the RNN, recurrent matrices ``U`` drawn Gaussian and rescaled to
            these spectral radii; ``None`` keeps PyTorch's default init
            ``U(-1/sqrt(H), 1/sqrt(H))`` (radius about ``1/sqrt(3) ~ 0.58``).
        forget_bias: for the LSTM, the forget-gate bias (``bias_ih`` block set to the value,
            ``bias_hh`` block to 0, so their sum is the value); ``None`` keeps the default.
        lags: the ``k`` to report, each ``< T``.
        seeds: one network and one batch per seed.

    Returns:
        One dict per (configuration, seed, k): ``cell, spectral_radius, forget_bias, seed,
        k, grad_norm, ratio``.
    """
    if cell not in ("rnn", "lstm"):
        raise ValueError(f"cell must be 'rnn' or 'lstm', got {cell!r}")
    lags = [int(k) for k in lags]
    if not lags or min(lags) < 0 or max(lags) >= T:
        raise ValueError(f"lags must lie in 0..T-1 = 0..{T - 1}, got {lags}")
    configs = ([(r, None) for r in spectral_radius] if cell == "rnn"
               else [(None, b) for b in forget_bias])
    rows = []
    for rho, fb in configs:
        for seed in seeds:
            torch.manual_seed(seed)
            cls = torch.nn.RNN if cell == "rnn" else torch.nn.LSTM
            net = cls(input_size, hidden_size, batch_first=True).double()
            if cell == "rnn" and rho is not None:
                set_spectral_radius(net, rho, seed)
            if cell == "lstm" and fb is not None:
                set_forget_bias(net, fb)
            g = torch.Generator().manual_seed(10_000 + seed)
            x = torch.randn(batch_size, T, input_size, generator=g, dtype=torch.float64,
                            requires_grad=True)
            v = torch.randn(hidden_size, generator=g, dtype=torch.float64)
            out, _ = net(x)                                   # (B, T, H)
            (out[:, -1] @ (v / v.norm())).sum().backward()
            norms = x.grad.norm(dim=(0, 2)).numpy()           # (T,)
            for k in lags:
                rows.append({"cell": cell, "spectral_radius": rho, "forget_bias": fb,
                             "seed": int(seed), "k": k, "grad_norm": float(norms[T - 1 - k]),
                             "ratio": float(norms[T - 1 - k] / norms[T - 1])})
    return rows


def summarise_gradient_rows(rows: list[dict]) -> list[dict]:
    """Median, min and max of ``ratio`` over seeds, per (cell, configuration, k)."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["cell"], r["spectral_radius"], r["forget_bias"], r["k"]), []).append(r["ratio"])
    return [{"cell": c, "spectral_radius": s, "forget_bias": f, "k": k, "n_seeds": len(v),
             "median": float(np.median(v)), "min": float(np.min(v)), "max": float(np.max(v))}
            for (c, s, f, k), v in groups.items()]
