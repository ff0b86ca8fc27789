"""Delayed recall under one budget: can a model repeat a symbol it saw ``lag`` steps earlier?

:func:`train_delayed_recall` trains one PyTorch model on
:func:`~lstm_tutorial.data.tasks.delayed_recall` at one lag with fresh batches; the same model,
budget and seed at every lag, so only the lag changes.
"""

from __future__ import annotations

import time

import torch

from lstm_tutorial.data.tasks import delayed_recall, one_hot
from lstm_tutorial.experiments.reproduction import make_model
from lstm_tutorial.repro import limit_threads

__all__ = ["train_delayed_recall"]


def train_delayed_recall(
    model: str = "lstm",
    lag: int = 50,
    seed: int = 0,
    *,
    steps: int = 1000,
    batch_size: int = 32,
    hidden_size: int = 32,
    lr: float = 3e-3,
    clip: float = 1.0,
    n_symbols: int = 8,
    n_distractors: int = 0,
    n_test: int = 500,
    forget_bias: float = 3.0,
    num_threads: int = 1,
) -> dict:
    """Train one model on :func:`~lstm_tutorial.data.tasks.delayed_recall` at one lag.

    The same model, budget and seed at every lag, so only the lag changes. Inputs are one-hot
    ``(B, lag + 1, n_symbols + n_distractors)``; the read-out of the last hidden state gives
    ``n_symbols`` logits, trained with cross-entropy on fresh batches. Chance accuracy is
    ``1 / n_symbols``. ``forget_bias`` applies to the LSTM only; its default 3 starts the
    forget gate open (about 0.95), which :func:`gradient_norm_vs_lag` shows is what keeps the
    gradient alive over tens of steps at initialisation.

    Returns:
        dict with ``model, lag, seed, test_accuracy, test_cross_entropy, chance_accuracy,
        wall_time_s``.
    """
    depth = n_symbols + n_distractors
    with limit_threads(num_threads, blas=False):
        torch.manual_seed(seed)
        net = make_model(model, hidden_size, forget_bias, input_size=depth, output_size=n_symbols)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        t0 = time.perf_counter()
        for step in range(1, steps + 1):
            X, y = delayed_recall(
                batch_size, lag, n_symbols=n_symbols, n_distractors=n_distractors, seed=1_000_000 * seed + step
            )
            loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(one_hot(X, depth))), torch.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
            opt.step()
        X, y = delayed_recall(n_test, lag, n_symbols=n_symbols, n_distractors=n_distractors, seed=999_999_999)
        with torch.no_grad():
            logits = net(torch.from_numpy(one_hot(X, depth)))
            y = torch.from_numpy(y)
            ce = float(torch.nn.functional.cross_entropy(logits, y))
            acc = float((logits.argmax(-1) == y).double().mean())
        return {
            "model": model,
            "lag": lag,
            "seed": seed,
            "test_accuracy": acc,
            "test_cross_entropy": ce,
            "chance_accuracy": 1.0 / n_symbols,
            "wall_time_s": round(time.perf_counter() - t0, 2),
        }
