"""The reason-recall experiment: an LSTM and a Transformer encoder under one stated budget.

The task behind the book's joke. A *reason* token (one of ``S`` symbols) is shown at step 0,
then ``k`` distractor steps follow, then a *query* token; at the query the model must name the
reason. A sequence has ``T = k + 2`` tokens::

    position   0        1 .. k          k + 1
    token      reason   distractors     QUERY

Token ids: ``0..S-1`` reasons, ``S..S+N-1`` distractors (``N = n_distractors``), ``S + N`` the
query; vocabulary ``V = S + N + 1``. Chance accuracy is ``1 / S``.

- :func:`reason_recall` draws a batch; :func:`balanced_test_set` pairs every distractor tail
  with every reason, so a model that cannot see position 0 scores *exactly* ``1 / S``.
- :class:`RecallBudget` is the one budget both models train under (steps, batch, optimiser,
  learning-rate schedule, clipping, threads); :func:`make_recall_model` builds the LSTM or the
  Transformer encoder (from :func:`lstm_tutorial.transformer.comparable_models`, so their
  parameter counts match); :func:`train_recall` trains one (model, k, seed) cell and returns a
  tidy dict.
- :func:`window_accuracy` evaluates a model that sees only the last ``W`` tokens: the context
  window experiment.
- :func:`load_recall_results` reads ``resources/recall_results.json``, written by
  ``scripts/make_recall_results.py``; :func:`longest_solved` finds the longest lag every seed
  recalls; :func:`plot_recall_vs_k` draws accuracy against ``k``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from lstm_tutorial.repro import limit_threads

__all__ = [
    "reason_recall", "balanced_test_set", "vocab_size", "RecallBudget", "DEFAULT_BUDGET",
    "make_recall_model", "train_recall", "evaluate", "window_accuracy", "lr_at",
    "RECALL_RESULTS", "load_recall_results", "longest_solved", "summarise", "plot_recall_vs_k",
]

RECALL_RESULTS = "recall_results.json"


def _torch():
    import torch

    return torch


# --------------------------------------------------------------------------- data

def vocab_size(n_reasons: int = 8, n_distractors: int = 4) -> int:
    """``V = S + N + 1``: reasons, distractors and the query token."""
    return n_reasons + n_distractors + 1


def _check(k: int, n_reasons: int, n_distractors: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k must be an int >= 0, got {k!r}")
    if n_reasons < 2 or n_distractors < 1:
        raise ValueError(f"need n_reasons >= 2 and n_distractors >= 1, got {n_reasons}, {n_distractors}")


def reason_recall(n: int, k: int, *, n_reasons: int = 8, n_distractors: int = 4, seed: int = 0):
    """``n`` sequences of ``T = k + 2`` ids (reason, ``k`` distractors, query) and their reasons.

    Returns:
        ``(X, y)``: int64 ids ``(n, k + 2)`` and int64 targets ``(n,)`` in ``0..n_reasons-1``
        (``y == X[:, 0]``). Fully determined by ``seed``.
    """
    _check(k, n_reasons, n_distractors)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_reasons, size=n)
    X = np.empty((n, k + 2), dtype=np.int64)
    X[:, 0] = y
    X[:, 1:k + 1] = rng.integers(n_reasons, n_reasons + n_distractors, size=(n, k))
    X[:, k + 1] = n_reasons + n_distractors  # the query
    return X, y.astype(np.int64)


def balanced_test_set(n_tails: int, k: int, *, n_reasons: int = 8, n_distractors: int = 4, seed: int = 999):
    """Every one of ``n_tails`` random distractor tails paired with every reason.

    ``(X, y)`` with ``n_tails * n_reasons`` rows. Rows ``j * n_reasons + r`` share tail ``j``
    and have reason ``r``. A model whose input does not include position 0 gives the same
    answer for all ``n_reasons`` rows of a tail, right for exactly one of them: its accuracy is
    ``1 / n_reasons`` exactly, whatever it learned.
    """
    X, _ = reason_recall(n_tails, k, n_reasons=n_reasons, n_distractors=n_distractors, seed=seed)
    X = np.repeat(X, n_reasons, axis=0)  # (n_tails * S, T)
    y = np.tile(np.arange(n_reasons, dtype=np.int64), n_tails)
    X[:, 0] = y
    return X, y


# --------------------------------------------------------------------------- budget and models

@dataclass(frozen=True)
class RecallBudget:
    """The one budget both models train under; every field is printed by the chapter."""

    d_model: int = 32            # E: embedding width = LSTM hidden size H = Transformer width
    n_heads: int = 4             # Transformer heads (dk = E / h)
    n_layers: int = 1            # one LSTM layer against one encoder layer
    steps: int = 300             # optimiser steps, a fresh batch each step
    batch_size: int = 32         # sequences per step
    lr: float = 3e-3             # Adam peak learning rate
    warmup: int = 30             # linear warm-up steps, then cosine decay to 0 at `steps`
    clip: float = 1.0            # global gradient-norm clip
    n_reasons: int = 8           # S: chance accuracy 1 / S
    n_distractors: int = 4       # N distractor symbols
    n_test_tails: int = 64       # balanced test set: 64 tails x S reasons
    forget_bias: float | None = None  # LSTM forget-gate bias at init; None = PyTorch default (near 0)
    num_threads: int = 1         # torch threads: one keeps results identical run to run


DEFAULT_BUDGET = RecallBudget()


def lr_at(step: int, budget: RecallBudget) -> float:
    """Learning rate at optimiser step ``step`` (1-based): linear warm-up, then cosine to 0."""
    if step <= budget.warmup:
        return budget.lr * step / max(budget.warmup, 1)
    progress = (step - budget.warmup) / max(budget.steps - budget.warmup, 1)
    return budget.lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def make_recall_model(model: str, budget: RecallBudget = DEFAULT_BUDGET):
    """``"lstm"`` or ``"transformer"``: ids ``(B, T)`` -> reason logits ``(B, S)`` read at the last step.

    Both come from :func:`lstm_tutorial.transformer.comparable_models` (same embedding, same
    linear head, core parameters within 1%); the Transformer uses sinusoidal positions and
    bidirectional attention, the LSTM reads left to right. Returns ``(net, n_parameters)``.
    """
    torch = _torch()
    from lstm_tutorial.transformer import comparable_models, count_parameters

    if model not in ("lstm", "transformer"):
        raise ValueError(f"model must be 'lstm' or 'transformer', got {model!r}")
    lstm, transformer, _ = comparable_models(
        vocab_size=vocab_size(budget.n_reasons, budget.n_distractors), d_model=budget.d_model,
        n_heads=budget.n_heads, n_layers=budget.n_layers, head="token", n_outputs=budget.n_reasons)
    core = lstm if model == "lstm" else transformer
    if model == "lstm" and budget.forget_bias is not None:
        H = core.lstm.hidden_size
        with torch.no_grad():  # gate order i|f|g|o; PyTorch adds two biases, so set one, zero the other
            for n in range(budget.n_layers):
                getattr(core.lstm, f"bias_ih_l{n}")[H:2 * H] = budget.forget_bias
                getattr(core.lstm, f"bias_hh_l{n}")[H:2 * H] = 0.0

    class LastStep(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.core = core

        def forward(self, x):                 # x: (B, T) ids
            return self.core(x)[:, -1]        # (B, T, S) -> (B, S): the output at the query

    net = LastStep()
    return net, count_parameters(net)


def evaluate(net, X, y) -> float:
    """Accuracy of ``net`` on ids ``X (n, T)`` with targets ``y (n,)``."""
    torch = _torch()
    net.eval()
    with torch.no_grad():
        pred = net(torch.from_numpy(np.ascontiguousarray(X))).argmax(-1).numpy()
    net.train()
    return float(np.mean(pred == y))


def window_accuracy(net, k: int, W: int, budget: RecallBudget = DEFAULT_BUDGET) -> float:
    """Accuracy on the balanced test set at lag ``k`` when the model sees only the last ``W`` tokens.

    The query is the last token, so the reason (position 0) is inside the window exactly when
    ``W >= k + 2``. Below that, the input does not depend on the reason and the accuracy is
    exactly ``1 / S`` (see :func:`balanced_test_set`).
    """
    if W < 1:
        raise ValueError(f"W must be >= 1, got {W}")
    X, y = balanced_test_set(budget.n_test_tails, k, n_reasons=budget.n_reasons,
                             n_distractors=budget.n_distractors)
    return evaluate(net, X[:, -W:], y)


def train_recall(model: str = "lstm", k: int = 50, seed: int = 0, budget: RecallBudget = DEFAULT_BUDGET,
                 *, return_model: bool = False, eval_every: int | None = None) -> dict:
    """Train one model on reason recall at lag ``k`` under ``budget``: one cell, one seed.

    Step ``s`` draws a fresh batch with seed ``1_000_000 * seed + s`` (the same batches for
    both models); the weights start from ``torch.manual_seed(seed)``. Adam, the schedule of
    :func:`lr_at`, cross-entropy at the query, gradient clipping. The test set is
    :func:`balanced_test_set` (fixed seed).

    Returns:
        ``{"model", "k", "seed", "n_parameters", "test_accuracy", "final_loss", "curve",
        "wall_time_s"}`` (``curve``: ``[step, test_accuracy]`` every ``eval_every`` steps if
        given), plus ``"net"`` if ``return_model``.
    """
    torch = _torch()
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        net, n_params = make_recall_model(model, budget)
        opt = torch.optim.Adam(net.parameters(), lr=budget.lr)
        X_test, y_test = balanced_test_set(budget.n_test_tails, k, n_reasons=budget.n_reasons,
                                           n_distractors=budget.n_distractors)
        curve, losses, t0 = [], [], time.perf_counter()
        for step in range(1, budget.steps + 1):
            for group in opt.param_groups:
                group["lr"] = lr_at(step, budget)
            X, y = reason_recall(budget.batch_size, k, n_reasons=budget.n_reasons,
                                 n_distractors=budget.n_distractors, seed=1_000_000 * seed + step)
            loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), budget.clip)
            opt.step()
            losses.append(float(loss.detach()))
            if eval_every and step % eval_every == 0:
                curve.append([step, evaluate(net, X_test, y_test)])
        out = {"model": model, "k": k, "seed": seed, "n_parameters": n_params,
               "test_accuracy": evaluate(net, X_test, y_test),
               "final_loss": float(np.mean(losses[-20:])), "curve": curve,
               "wall_time_s": round(time.perf_counter() - t0, 2)}
        if return_model:
            out["net"] = net
        return out


def budget_as_dict(budget: RecallBudget = DEFAULT_BUDGET) -> dict:
    """The budget as a plain dict, as stored in the results file."""
    return asdict(budget)


def budget_from_dict(d: dict) -> RecallBudget:
    """Inverse of :func:`budget_as_dict`."""
    return replace(DEFAULT_BUDGET, **d)


# --------------------------------------------------------------------------- results

def load_recall_results() -> dict:
    """The cached sweep (``lstm_tutorial/resources/recall_results.json``).

    Keys: ``budget`` (:class:`RecallBudget` fields), ``chance_accuracy``, ``ks``, ``seeds``,
    ``versions``, ``n_parameters`` per sweep model, ``sweep_models`` (label -> model and budget
    change), ``sweep`` (one dict per model label, k and seed, as returned by
    :func:`train_recall`, without the net), ``restore_changes`` (label -> ``budget_change`` and
    the lags ``ks`` it was run at) and ``restore`` (LSTM runs at lags where the default fails,
    with the budget changed as named in ``"change"``).
    """
    from lstm_tutorial.data import available_results, load_results

    if RECALL_RESULTS.removesuffix(".json") not in available_results():
        raise FileNotFoundError(f"{RECALL_RESULTS} not found; run scripts/make_recall_results.py")
    return load_results(RECALL_RESULTS)


def longest_solved(runs: list[dict], label: str, threshold: float = 0.99) -> int | None:
    """The longest lag recalled by *every* seed, with no failure at a shorter lag.

    Args:
        runs: run dicts as in :func:`load_recall_results` (``"sweep"`` or ``"restore"``), each
            with ``"k"``, ``"test_accuracy"``, ``"model"`` and, for restore runs, ``"change"``.
        label: which runs to look at, matched like :func:`summarise` does: a run's label is
            its ``"change"`` if it has one, else its ``"model"``.
        threshold: a seed "solves" lag ``k`` if its test accuracy is ``>= threshold``.

    Returns:
        The largest ``k`` such that at every lag up to and including it, the minimum test
        accuracy over that label's runs is ``>= threshold``; ``None`` if the shortest lag
        already fails. Raises ``ValueError`` if no run has ``label``.
    """
    accs: dict = {}
    for r in runs:
        if r.get("change", r["model"]) == label:
            accs.setdefault(r["k"], []).append(r["test_accuracy"])
    if not accs:
        labels = sorted({r.get("change", r["model"]) for r in runs})
        raise ValueError(f"no run has label {label!r}; labels present: {labels}")
    best = None
    for k in sorted(accs):
        if min(accs[k]) < threshold:
            break
        best = k
    return best


def summarise(runs: list[dict], key: str = "k") -> list[dict]:
    """Per (model, ``key``): median, min and max test accuracy over seeds."""
    groups: dict = {}
    for r in runs:
        groups.setdefault((r.get("change", r["model"]), r[key]), []).append(r["test_accuracy"])
    return [{"model": m, key: v, "n_seeds": len(a), "median": float(np.median(a)),
             "min": float(np.min(a)), "max": float(np.max(a))} for (m, v), a in groups.items()]


def plot_recall_vs_k(runs: list[dict], chance: float, ax=None, labels: dict | None = None):
    """Test accuracy against lag ``k`` per model: median over seeds, min-max band, chance line."""
    import matplotlib.pyplot as plt

    from lstm_tutorial.plots import PALETTE, use_book_style

    labels = labels or {}
    colours = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["vermillion"]]
    with use_book_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.0, 4.0), layout="constrained")
        fig = ax.figure
        models = list(dict.fromkeys(r["model"] for r in runs))
        for n, m in enumerate(models):
            rows = sorted((r for r in summarise(runs) if r["model"] == m), key=lambda r: r["k"])
            ks = [r["k"] for r in rows]
            ax.plot(ks, [r["median"] for r in rows], marker="os^D"[n % 4], color=colours[n % 4],
                    label=labels.get(m, m) + " (median over seeds)")
            ax.fill_between(ks, [r["min"] for r in rows], [r["max"] for r in rows],
                            color=colours[n % 4], alpha=0.2, linewidth=0)
        ax.axhline(chance, color="0.4", ls="--", lw=1.2, label=f"chance, 1/S = {chance:.3f}")
        ax.set_xscale("log")
        ks = sorted({r["k"] for r in runs})
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.minorticks_off()
        ax.set_xlabel("distractor steps $k$ between reason and query (log scale)")
        ax.set_ylabel("recall accuracy on the test set")
        ax.set_ylim(0, 1.05)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    return fig
