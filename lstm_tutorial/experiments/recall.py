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
  Transformer encoder (from :func:`lstm_tutorial.frameworks.transformer.comparable_models`, so their
  parameter counts match); :func:`train_recall` trains one (model, k, seed) cell and returns a
  tidy dict.
- :func:`window_accuracy` evaluates a model that sees only the last ``w`` tokens: the context
  window experiment.
- :func:`load_recall_results` reads ``resources/recall_results.json``, written by
  ``python -m lstm_tutorial.experiments.recall``; :func:`longest_solved` finds the longest lag every seed
  recalls; :func:`plot_recall_vs_k` draws accuracy against ``k``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, replace
from functools import partial
from multiprocessing import Pool

import numpy as np
import torch

from lstm_tutorial.data.tasks import balanced_test_set, reason_recall, vocab_size
from lstm_tutorial.experiments.results import load_results, save_results, versions
from lstm_tutorial.frameworks.init import set_forget_bias
from lstm_tutorial.frameworks.torch_models import LastStepReadout
from lstm_tutorial.frameworks.training import train_torch, warmup_cosine
from lstm_tutorial.frameworks.transformer import comparable_models, count_parameters
from lstm_tutorial.repro import limit_threads

__all__ = [
    "RECALL_RESULTS",
    "RecallBudget",
    "DEFAULT_BUDGET",
    "make_recall_model",
    "evaluate",
    "window_accuracy",
    "train_recall",
    "budget_as_dict",
    "budget_from_dict",
    "load_recall_results",
    "longest_solved",
    "summarise",
    "RESTORE",
    "LONG_RESTORE",
    "SWEEP_MODELS",
    "run",
    "main",
]

RECALL_RESULTS = "recall_results"


@dataclass(frozen=True)
class RecallBudget:
    """The one budget both models train under; every field is printed by the chapter."""

    d_model: int = 32  # E: embedding width = LSTM hidden size H = Transformer width
    n_heads: int = 4  # Transformer heads (dk = E / h)
    n_layers: int = 1  # one LSTM layer against one encoder layer
    steps: int = 300  # optimiser steps, a fresh batch each step
    batch_size: int = 32  # sequences per step
    lr: float = 3e-3  # Adam peak learning rate
    warmup: int = 30  # linear warm-up steps, then cosine decay to 0 at `steps`
    clip: float = 1.0  # global gradient-norm clip
    n_reasons: int = 8  # S: chance accuracy 1 / S
    n_distractors: int = 4  # N distractor symbols
    n_test_tails: int = 64  # balanced test set: 64 tails x S reasons
    forget_bias: float | None = None  # LSTM forget-gate bias at init; None = PyTorch default (near 0)
    num_threads: int = 1  # torch threads: one keeps results identical run to run


DEFAULT_BUDGET = RecallBudget()


def make_recall_model(model: str, budget: RecallBudget = DEFAULT_BUDGET):
    """``"lstm"`` or ``"transformer"``: ids ``(B, T)`` -> reason logits ``(B, S)`` read at the last step.

    Both come from :func:`lstm_tutorial.frameworks.transformer.comparable_models` (same embedding,
    same linear head, core parameters within 1%); the Transformer uses sinusoidal positions and
    bidirectional attention, the LSTM reads left to right. Returns ``(net, n_parameters)``.
    """
    if model not in ("lstm", "transformer"):
        raise ValueError(f"model must be 'lstm' or 'transformer', got {model!r}")
    lstm, transformer, _ = comparable_models(
        vocab_size=vocab_size(budget.n_reasons, budget.n_distractors),
        d_model=budget.d_model,
        n_heads=budget.n_heads,
        n_layers=budget.n_layers,
        head="token",
        n_outputs=budget.n_reasons,
    )
    core = lstm if model == "lstm" else transformer
    if model == "lstm" and budget.forget_bias is not None:
        set_forget_bias(core.lstm, budget.forget_bias)
    net = LastStepReadout(core)
    return net, count_parameters(net)


def evaluate(net, X, y) -> float:
    """Accuracy of ``net`` on ids ``X (n, T)`` with targets ``y (n,)``."""
    net.eval()
    with torch.no_grad():
        pred = net(torch.from_numpy(np.ascontiguousarray(X))).argmax(-1).numpy()
    net.train()
    return float(np.mean(pred == y))


def window_accuracy(net, k: int, w: int, budget: RecallBudget = DEFAULT_BUDGET) -> float:
    """Accuracy on the balanced test set at lag ``k`` when the model sees only the last ``w`` tokens.

    The query is the last token, so the reason (position 0) is inside the window exactly when
    ``w >= k + 2``. Below that, the input does not depend on the reason and the accuracy is
    exactly ``1 / S`` (see :func:`balanced_test_set`).
    """
    if w < 1:
        raise ValueError(f"w (the window length) must be >= 1, got {w}")
    X, y = balanced_test_set(budget.n_test_tails, k, n_reasons=budget.n_reasons, n_distractors=budget.n_distractors)
    return evaluate(net, X[:, -w:], y)


def train_recall(
    model: str = "lstm",
    k: int = 50,
    seed: int = 0,
    budget: RecallBudget = DEFAULT_BUDGET,
    *,
    return_model: bool = False,
    eval_every: int | None = None,
) -> dict:
    """Train one model on reason recall at lag ``k`` under ``budget``: one cell, one seed.

    Step ``s`` draws a fresh batch with seed ``1_000_000 * seed + s`` (the same batches for
    both models); the weights start from ``torch.manual_seed(seed)``. Adam, the schedule of
    :func:`~lstm_tutorial.frameworks.training.warmup_cosine`, cross-entropy at the query, gradient
    clipping. The test set is
    :func:`balanced_test_set` (fixed seed).

    Returns:
        ``{"model", "k", "seed", "n_parameters", "test_accuracy", "final_loss", "curve",
        "wall_time_s"}`` (``curve``: ``[step, test_accuracy]`` every ``eval_every`` steps if
        given), plus ``"net"`` if ``return_model``.
    """
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        net, n_params = make_recall_model(model, budget)
        X_test, y_test = balanced_test_set(
            budget.n_test_tails, k, n_reasons=budget.n_reasons, n_distractors=budget.n_distractors
        )
        curve, t0 = [], time.perf_counter()

        def record(step: int, loss: float) -> None:
            if eval_every and step % eval_every == 0:
                curve.append([step, evaluate(net, X_test, y_test)])

        batches = (
            tuple(
                map(
                    torch.from_numpy,
                    reason_recall(
                        budget.batch_size,
                        k,
                        n_reasons=budget.n_reasons,
                        n_distractors=budget.n_distractors,
                        seed=1_000_000 * seed + s,
                    ),
                )
            )
            for s in range(1, budget.steps + 1)
        )
        history = train_torch(
            net,
            batches,
            torch.nn.functional.cross_entropy,
            steps=budget.steps,
            lr=budget.lr,
            clip=budget.clip,
            on_step=record,
            progress=False,
            decimals=None,
            lr_schedule=partial(warmup_cosine, peak=budget.lr, warmup=budget.warmup, total=budget.steps),
        )
        out = {
            "model": model,
            "k": k,
            "seed": seed,
            "n_parameters": n_params,
            "test_accuracy": evaluate(net, X_test, y_test),
            "final_loss": float(np.mean(history["loss"][-20:])),
            "curve": curve,
            "wall_time_s": round(time.perf_counter() - t0, 2),
        }
        if return_model:
            out["net"] = net
        return out


def budget_as_dict(budget: RecallBudget = DEFAULT_BUDGET) -> dict:
    """The budget as a plain dict, as stored in the results file."""
    return asdict(budget)


def budget_from_dict(d: dict) -> RecallBudget:
    """Inverse of :func:`budget_as_dict`."""
    return replace(DEFAULT_BUDGET, **d)


def load_recall_results() -> dict:
    """The cached sweep (``lstm_tutorial/resources/recall_results.json``).

    Keys: ``budget`` (:class:`RecallBudget` fields), ``chance_accuracy``, ``ks``, ``seeds``,
    ``versions``, ``n_parameters`` per sweep model, ``sweep_models`` (label -> model and budget
    change), ``sweep`` (one dict per model label, k and seed, as returned by
    :func:`train_recall`, without the net), ``restore_changes`` (label -> ``budget_change`` and
    the lags ``ks`` it was run at) and ``restore`` (LSTM runs at lags where the default fails,
    with the budget changed as named in ``"change"``).
    """
    return load_results(RECALL_RESULTS, made_by="lstm_tutorial.experiments.recall")


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
    return [
        {
            "model": m,
            key: v,
            "n_seeds": len(a),
            "median": float(np.median(a)),
            "min": float(np.min(a)),
            "max": float(np.max(a)),
        }
        for (m, v), a in groups.items()
    ]


# One change to the budget at a time, then one combination (name -> fields of RecallBudget).
RESTORE = {
    "more hidden units (H = 64)": {"d_model": 64},
    "more hidden units (H = 128)": {"d_model": 128},
    "forget bias 1": {"forget_bias": 1.0},
    "forget bias 2": {"forget_bias": 2.0},
    "forget bias 3": {"forget_bias": 3.0},
    "4x steps (1200)": {"steps": 1200, "warmup": 120},
    "forget bias 3 + 4x steps": {"forget_bias": 3.0, "steps": 1200, "warmup": 120},
}
# At the longest lags, where forget bias 3 is not enough.
LONG_RESTORE = {
    "forget bias 5": {"forget_bias": 5.0},
    "forget bias 5 + 4x steps": {"forget_bias": 5.0, "steps": 1200, "warmup": 120},
}
SWEEP_MODELS = {
    "lstm": ("lstm", {}),
    "lstm, forget bias 3": ("lstm", {"forget_bias": 3.0}),
    "transformer": ("transformer", {}),
}


def _run_job(job) -> dict:
    label, model, change, k, seed, key = job
    r = train_recall(model, k, seed, replace(DEFAULT_BUDGET, **change))
    r.update({key: label, "budget_change": change})
    print(
        f"{label:28s} k={k:4d} seed={seed}  acc={r['test_accuracy']:.3f}  loss={r['final_loss']:.3f}  "
        f"{r['wall_time_s']:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    return r


def run(
    *, seeds: int = 3, ks=(5, 10, 20, 50, 100, 200), restore_ks=(20, 50), long_ks=(100, 200), workers: int = 1
) -> dict:
    """The sweep (both models and the LSTM with an open forget gate at every lag) and, at the lags
    where the default LSTM fails, one budget change at a time (:data:`RESTORE`, :data:`LONG_RESTORE`).

    ``workers`` processes run the jobs, longest first; each run uses one thread.
    """
    t0 = time.perf_counter()
    sweep_jobs = [
        (label, model, change, k, seed, "label")
        for label, (model, change) in SWEEP_MODELS.items()
        for k in ks
        for seed in range(seeds)
    ]
    restore_ks_of = {
        **{label: list(restore_ks) for label in RESTORE},
        **{label: list(long_ks) for label in LONG_RESTORE},
    }
    changes = {**RESTORE, **LONG_RESTORE}
    restore_jobs = [
        (label, "lstm", changes[label], k, seed, "change")
        for label, lags in restore_ks_of.items()
        for k in lags
        for seed in range(seeds)
    ]
    # longest first (rough cost: steps x k, attention counted 4x), so the pool ends on short jobs
    jobs = sorted(
        sweep_jobs + restore_jobs,
        key=lambda j: -j[3] * j[2].get("steps", DEFAULT_BUDGET.steps) * (4 if j[1] == "transformer" else 1),
    )
    with Pool(workers) as pool:
        done = pool.map(_run_job, jobs, chunksize=1)
    by_job = {(j[0], j[3], j[4], j[5]): r for j, r in zip(jobs, done)}
    sweep = [by_job[(j[0], j[3], j[4], j[5])] for j in sweep_jobs]
    restore = [by_job[(j[0], j[3], j[4], j[5])] for j in restore_jobs]
    for r in sweep:
        r["model"] = r.pop("label")
    return {
        "description": "Reason recall: reason at position 0, k distractors, query at k + 1; accuracy of the "
        "answer at the query on a balanced test set (every tail with every reason).",
        "budget": budget_as_dict(DEFAULT_BUDGET),
        "chance_accuracy": 1.0 / DEFAULT_BUDGET.n_reasons,
        "ks": list(ks),
        "restore_ks": list(restore_ks),
        "long_ks": list(long_ks),
        "seeds": list(range(seeds)),
        "restore_changes": {
            label: {"budget_change": changes[label], "ks": lags} for label, lags in restore_ks_of.items()
        },
        "sweep_models": {label: {"model": m, "budget_change": c} for label, (m, c) in SWEEP_MODELS.items()},
        "n_parameters": {r["model"]: r["n_parameters"] for r in sweep},
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "sweep": sweep,
        "restore": restore,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the reason-recall sweep and store recall_results.json "
        "(about 9 minutes on 2 cores with one worker)."
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    path = save_results(RECALL_RESULTS, run(seeds=args.seeds, workers=args.workers))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
