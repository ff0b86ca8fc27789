"""Where each model wins: the LSTM, the GRU and a Transformer encoder under one budget.

Three experiments, one :class:`Budget` (width, layers, optimiser, steps, batch, schedule,
clipping, threads) for every model:

1. **Length generalisation** (:func:`train_formal`): train on strings of length 40 with a label
   at every prefix (so every length from 1 to 40 is trained), then read the label at the last
   position of balanced test strings of length 40 to 256. Tasks: running parity and count
   comparison (:mod:`lstm_tutorial.data.formal_languages`). Models: LSTM, GRU and a causal
   Transformer encoder with sinusoidal positions.
2. **Associative recall** (:func:`train_recall`): ``P`` key-value pairs then a query; the answer
   at the query. LSTM against the Transformer, one run per number of pairs.
3. **Small data** (:func:`train_formal` with ``n_train``): count comparison at the training
   length, trained on finite training sets of growing size, same steps.

Models (:func:`make_model`): the LSTM and the Transformer are
:class:`~lstm_tutorial.frameworks.transformer.LSTMEncoderModel` and
:class:`~lstm_tutorial.frameworks.transformer.TransformerEncoderModel` (``E = 32``, one layer,
the same input layer and linear head); the GRU replaces the LSTM layer by an ``nn.GRU`` whose
hidden size is chosen so its parameter count is closest to the LSTM's. The Transformer is
causal (position ``t`` attends to ``0..t``) in all three experiments, so every model answers a
prefix from that prefix alone.

``python -m lstm_tutorial.experiments.where_each_wins`` writes
``lstm_tutorial/resources/where_each_wins.json`` (about 7 minutes on one core);
:func:`load_where_each_wins` reads it and :func:`summarise` makes the tables.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from functools import partial

import numpy as np
import torch
from torch import nn

from lstm_tutorial.data import formal_languages as fl
from lstm_tutorial.experiments.results import load_results, save_results, versions
from lstm_tutorial.frameworks.slstm import SLSTM
from lstm_tutorial.frameworks.torch_models import LastStepReadout
from lstm_tutorial.frameworks.training import train_torch, warmup_cosine
from lstm_tutorial.frameworks.transformer import LSTMEncoderModel, TransformerEncoderModel, count_parameters
from lstm_tutorial.repro import limit_threads

__all__ = [
    "RESULTS",
    "SLSTM_RESULTS",
    "MODELS",
    "SLSTM_MODELS",
    "MODEL_KINDS",
    "Budget",
    "LengthConfig",
    "RecallConfig",
    "SmallDataConfig",
    "gru_hidden_size",
    "make_model",
    "formal_test_set",
    "train_formal",
    "train_recall",
    "SLSTMConfig",
    "run",
    "run_slstm",
    "load_where_each_wins",
    "load_slstm_runs",
    "summarise",
    "main",
]

RESULTS = "where_each_wins"
SLSTM_RESULTS = "where_each_wins_slstm"
MODELS = ("lstm", "gru", "transformer")
#: the sLSTM of xLSTM (Beck et al. 2024), with its exponential or its sigmoid forget gate
SLSTM_MODELS = ("slstm_exp", "slstm_sigmoid")
MODEL_KINDS = MODELS + SLSTM_MODELS


@dataclass(frozen=True)
class Budget:
    """The one budget every model trains under; the chapter prints every field."""

    d_model: int = 32  # E: embedding width = LSTM hidden size = Transformer width
    n_heads: int = 4  # Transformer heads (dk = E / h = 8)
    n_layers: int = 1  # one recurrent layer against one encoder layer
    steps: int = 1000  # optimiser steps
    batch_size: int = 32  # sequences per step
    lr: float = 3e-3  # Adam peak learning rate
    warmup: int = 50  # linear warm-up steps, then cosine decay to 0 at `steps`
    clip: float = 1.0  # global gradient-norm clip
    num_threads: int = 1  # torch threads: one keeps a run identical run to run


@dataclass(frozen=True)
class LengthConfig:
    """Length generalisation: train at one length with per-prefix labels, test longer."""

    tasks: tuple[str, ...] = ("parity", "count")
    train_length: int = 40  # every prefix is labelled, so lengths 1..40 are all trained
    test_lengths: tuple[int, ...] = (40, 64, 96, 128, 192, 256)
    n_test_per_class: int = 64  # balanced: 128 parity strings, 192 count strings per length
    seeds: tuple[int, ...] = (0, 1, 2)


@dataclass(frozen=True)
class RecallConfig:
    """Associative recall: accuracy against the number of pairs."""

    n_keys: int = 16  # K
    n_values: int = 16  # V: chance 1 / V
    pairs: tuple[int, ...] = (2, 4, 8, 16)
    n_test: int = 512
    models: tuple[str, ...] = ("lstm", "transformer")
    seeds: tuple[int, ...] = (0, 1, 2)
    lstm_more_steps: int = 4  # a check outside the budget: the LSTM again with this many times the steps


@dataclass(frozen=True)
class SmallDataConfig:
    """Small data: count comparison at the training length, finite training sets of growing size.

    Both models solve this task at length 40 when every step brings fresh strings (the length
    experiment shows it), so the curve measures how much data each needs, not whether it can.
    """

    task: str = "count"
    train_sizes: tuple[int, ...] = (16, 64, 256, 1024)  # strings of length 40, each with 40 labelled prefixes
    models: tuple[str, ...] = ("lstm", "transformer")
    seeds: tuple[int, ...] = (0, 1, 2)


@dataclass(frozen=True)
class SLSTMConfig:
    """The sLSTM runs: the length and recall experiments again, same budget, data and seeds.

    Stored in a file of their own (:data:`SLSTM_RESULTS`), so the LSTM, GRU and Transformer runs
    they are compared with stay as they were.
    """

    models: tuple[str, ...] = SLSTM_MODELS
    length: LengthConfig = field(default_factory=LengthConfig)
    recall: RecallConfig = field(default_factory=lambda: RecallConfig(models=SLSTM_MODELS))


DEFAULT_BUDGET = Budget()


def gru_hidden_size(d_model: int) -> int:
    """The GRU width whose layer has the parameter count closest to an LSTM layer with ``H = E``.

    A GRU layer on ``E`` inputs has ``3(H E + H^2 + 2H)`` parameters, an LSTM layer
    ``8E^2 + 8E``; the positive root of ``3(H^2 + (E + 2)H) = 8E^2 + 8E``, rounded.
    """
    E = d_model
    return round((-(E + 2) + math.sqrt((E + 2) ** 2 + 4 * (8 * E * E + 8 * E) / 3)) / 2)


def make_model(kind: str, budget: Budget = DEFAULT_BUDGET, *, n_outputs: int, vocab_size=None, input_size=None):
    """One of :data:`MODEL_KINDS`: inputs ``(B, T)`` ids or ``(B, T, D)`` -> ``(B, T, n_outputs)``.

    Returns ``(net, n_parameters)``. All share the input layer and the per-position head shape;
    the Transformer is causal with sinusoidal positions (which, unlike learned ones, exist at
    every length). ``"slstm_exp"`` and ``"slstm_sigmoid"`` replace the LSTM layer by an
    :class:`~lstm_tutorial.frameworks.slstm.SLSTM` of the same width ``H = E`` (one bias vector
    instead of PyTorch's two, so 128 fewer parameters at ``E = 32``), forget bias 0.
    """
    kw = dict(vocab_size=vocab_size, input_size=input_size, d_model=budget.d_model, head="token", n_outputs=n_outputs)
    if kind in ("lstm", "gru"):
        net = LSTMEncoderModel(n_layers=budget.n_layers, **kw)
        if kind == "gru":
            H = gru_hidden_size(budget.d_model)
            net.lstm = nn.GRU(budget.d_model, H, num_layers=budget.n_layers, batch_first=True)  # same (out, h) API
            net.head = nn.Linear(H, n_outputs)
    elif kind in SLSTM_MODELS:
        net = LSTMEncoderModel(n_layers=1, **kw)
        if budget.n_layers != 1:
            raise ValueError(f"the sLSTM model has one layer; budget.n_layers must be 1, got {budget.n_layers}")
        net.lstm = SLSTM(budget.d_model, budget.d_model, forget=kind.removeprefix("slstm_"))  # same (out, state) API
    elif kind == "transformer":
        net = TransformerEncoderModel(
            n_heads=budget.n_heads, n_layers=budget.n_layers, positions="sinusoidal", causal=True, **kw
        )
    else:
        raise ValueError(f"kind must be one of {MODEL_KINDS}, got {kind!r}")
    return net, count_parameters(net)


def _n_classes(task: str) -> int:
    if task == "parity":
        return fl.PARITY_CLASSES
    if task == "count":
        return fl.COUNT_CLASSES
    raise ValueError(f"task must be 'parity' or 'count', got {task!r}")


def formal_test_set(task: str, T: int, n_per_class: int, *, seed: int = 0):
    """The balanced test set of ``task`` at length ``T``: ``(X (n, T), y (n,))``, label of the whole string."""
    if task == "parity":
        return fl.parity_test_set(2 * n_per_class, T, seed=seed)
    _n_classes(task)
    return fl.count_test_set(n_per_class, T, seed=seed)


def _accuracy(net, X, y) -> float:
    net.eval()
    with torch.no_grad():
        pred = net(torch.from_numpy(np.ascontiguousarray(X))).argmax(-1).numpy()
    net.train()
    return float(np.mean(pred == y))


def _train(net, batches, budget: Budget, loss_fn) -> float:
    history = train_torch(
        net,
        batches,
        loss_fn,
        steps=budget.steps,
        lr=budget.lr,
        clip=budget.clip,
        progress=False,
        decimals=None,
        lr_schedule=partial(warmup_cosine, peak=budget.lr, warmup=budget.warmup, total=budget.steps),
    )
    return float(np.mean(history["loss"][-50:]))


def _batches(make, seed: int, budget: Budget, n_train: int | None):
    """The training batches of one run, as tensors; ``make(n, seed)`` returns ``(X, y)`` arrays.

    ``n_train=None``: step ``s`` (from 1) draws fresh data with seed ``1_000_000 * seed + s``.
    ``n_train=n``: one fixed set ``make(n, 2_000_000 + seed)``, from which each step samples
    ``batch_size`` rows with replacement (generator seed ``3_000_000 + seed``).
    """
    if n_train is None:
        return (
            tuple(map(torch.from_numpy, make(budget.batch_size, 1_000_000 * seed + s)))
            for s in range(1, budget.steps + 1)
        )
    X_train, y_train = make(n_train, 2_000_000 + seed)
    picks = np.random.default_rng(3_000_000 + seed).integers(0, n_train, size=(budget.steps, budget.batch_size))
    return ((torch.from_numpy(X_train[i]), torch.from_numpy(y_train[i])) for i in picks)


def _per_position_ce(logits, y):
    return nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())


def train_formal(
    task: str,
    model: str,
    seed: int = 0,
    budget: Budget = DEFAULT_BUDGET,
    config: LengthConfig = LengthConfig(),
    *,
    n_train: int | None = None,
) -> dict:
    """Train ``model`` on ``task`` at ``config.train_length`` and test at every ``config.test_lengths``.

    ``n_train=None``: step ``s`` draws fresh strings with seed ``1_000_000 * seed + s`` (the same
    strings for every model). ``n_train=n``: one fixed training set of ``n`` strings (seed
    ``2_000_000 + seed``), from which each step samples ``batch_size`` rows with replacement, for
    the budget's number of steps. Weights start from ``torch.manual_seed(seed)``; the loss is
    cross-entropy at every position. Test sets are fixed (seed ``10_000 + T``) and read at the
    last position.

    Returns ``{"task", "model", "seed", "n_train", "n_parameters", "final_loss", "accuracy": {T: acc}}``.
    """
    gen = fl.parity_strings if task == "parity" else fl.count_strings
    n_classes = _n_classes(task)
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        net, n_params = make_model(model, budget, vocab_size=2, n_outputs=n_classes)
        batches = _batches(lambda n, s: gen(n, config.train_length, seed=s), seed, budget, n_train)
        final_loss = _train(net, batches, budget, _per_position_ce)
        accuracy = {}
        for T in config.test_lengths:
            X, y = formal_test_set(task, T, config.n_test_per_class, seed=10_000 + T)
            net.eval()
            with torch.no_grad():
                pred = net(torch.from_numpy(X))[:, -1].argmax(-1).numpy()
            accuracy[str(T)] = float(np.mean(pred == y))
    return {
        "task": task,
        "model": model,
        "seed": seed,
        "n_train": n_train,
        "n_parameters": n_params,
        "final_loss": final_loss,
        "accuracy": accuracy,
    }


def train_recall(
    model: str,
    n_pairs: int,
    seed: int = 0,
    budget: Budget = DEFAULT_BUDGET,
    config: RecallConfig = RecallConfig(),
    *,
    n_train: int | None = None,
) -> dict:
    """Train ``model`` on associative recall with ``n_pairs`` pairs; test on a fixed set.

    ``n_train=None``: a fresh batch every step (seed ``1_000_000 * seed + s``), as much data as the
    budget can use. ``n_train=n``: one fixed training set of ``n`` sequences (seed
    ``2_000_000 + seed``), from which each step samples ``batch_size`` rows with replacement; the
    number of steps stays the budget's. The test set (``config.n_test`` sequences, seed 12_345)
    is disjoint in seed from all training data.

    Returns ``{"model", "n_pairs", "seed", "n_train", "n_parameters", "final_loss", "test_accuracy"}``.
    """
    K, V = config.n_keys, config.n_values
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        core, _ = make_model(model, budget, input_size=fl.recall_feature_size(K, V), n_outputs=V)
        net = LastStepReadout(core)
        n_params = count_parameters(net)
        batches = _batches(
            lambda n, s: fl.associative_recall(n, n_pairs, n_keys=K, n_values=V, seed=s), seed, budget, n_train
        )
        final_loss = _train(net, batches, budget, nn.functional.cross_entropy)
        X_test, y_test = fl.associative_recall(config.n_test, n_pairs, n_keys=K, n_values=V, seed=12_345)
        acc = _accuracy(net, X_test, y_test)
    return {
        "model": model,
        "n_pairs": n_pairs,
        "seed": seed,
        "n_train": n_train,
        "n_parameters": n_params,
        "final_loss": final_loss,
        "test_accuracy": acc,
    }


@dataclass(frozen=True)
class _Plan:
    budget: Budget = DEFAULT_BUDGET
    length: LengthConfig = field(default_factory=LengthConfig)
    recall: RecallConfig = field(default_factory=RecallConfig)
    small: SmallDataConfig = field(default_factory=SmallDataConfig)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(plan: _Plan = _Plan()) -> dict:
    """All three experiments, one run after another on one thread, with progress on stderr."""
    t0 = time.perf_counter()
    b, lc, rc, sc = plan.budget, plan.length, plan.recall, plan.small
    length_runs, recall_runs, more_steps_runs, small_runs = [], [], [], []
    for task in lc.tasks:
        for model in MODELS:
            for seed in lc.seeds:
                t = time.perf_counter()
                r = train_formal(task, model, seed, b, lc)
                length_runs.append(r)
                accs = " ".join(f"{v:.2f}" for v in r["accuracy"].values())
                _log(
                    f"[{time.perf_counter() - t0:5.0f}s] length {task:6s} {model:11s} seed {seed}: {accs}  "
                    f"({time.perf_counter() - t:.1f}s)"
                )
    for model in rc.models:
        for P in rc.pairs:
            for seed in rc.seeds:
                r = train_recall(model, P, seed, b, rc)
                recall_runs.append(r)
                _log(
                    f"[{time.perf_counter() - t0:5.0f}s] recall {model:11s} P={P:2d} seed {seed}: "
                    f"{r['test_accuracy']:.3f}"
                )
    more = replace(b, steps=rc.lstm_more_steps * b.steps, warmup=rc.lstm_more_steps * b.warmup)
    for P in rc.pairs:
        for seed in rc.seeds:
            r = train_recall("lstm", P, seed, more, rc)
            more_steps_runs.append(r)
            _log(
                f"[{time.perf_counter() - t0:5.0f}s] recall lstm x{rc.lstm_more_steps} steps P={P:2d} seed {seed}: "
                f"{r['test_accuracy']:.3f}"
            )
    for model in sc.models:
        for n in sc.train_sizes:
            for seed in sc.seeds:
                r = train_formal(sc.task, model, seed, b, lc, n_train=n)
                small_runs.append(r)
                _log(
                    f"[{time.perf_counter() - t0:5.0f}s] small  {model:11s} n={n:5d} seed {seed}: "
                    f"{r['accuracy'][str(lc.train_length)]:.3f}"
                )
    recall_params = {r["model"]: r["n_parameters"] for r in recall_runs}
    return {
        "description": "Where each model wins under one budget: length generalisation on parity and count "
        "comparison, associative recall against the number of pairs, and recall learning curves against the "
        "size of a finite training set.",
        "budget": asdict(b),
        "length_config": asdict(lc),
        "recall_config": asdict(rc),
        "small_data_config": asdict(sc),
        "gru_hidden_size": gru_hidden_size(b.d_model),
        "n_parameters": {
            "formal": {r["model"]: r["n_parameters"] for r in length_runs if r["task"] == lc.tasks[0]},
            "recall": recall_params,
        },
        "chance": {
            "parity": 1 / fl.PARITY_CLASSES,
            "count": 1 / fl.COUNT_CLASSES,
            "recall": 1 / rc.n_values,
            "recall_value_guess": {str(P): fl.recall_value_baseline(P, rc.n_values) for P in rc.pairs},
        },
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "length": length_runs,
        "recall": recall_runs,
        "recall_lstm_more_steps": more_steps_runs,
        "small_data": small_runs,
    }


def run_slstm(config: SLSTMConfig = SLSTMConfig(), budget: Budget = DEFAULT_BUDGET) -> dict:
    """The sLSTM models on the length and recall experiments of :func:`run`, progress on stderr."""
    t0 = time.perf_counter()
    lc, rc = config.length, config.recall
    length_runs, recall_runs = [], []
    for task in lc.tasks:
        for model in config.models:
            for seed in lc.seeds:
                r = train_formal(task, model, seed, budget, lc)
                length_runs.append(r)
                accs = " ".join(f"{v:.2f}" for v in r["accuracy"].values())
                _log(f"[{time.perf_counter() - t0:5.0f}s] length {task:6s} {model:13s} seed {seed}: {accs}")
    for model in config.models:
        for P in rc.pairs:
            for seed in rc.seeds:
                r = train_recall(model, P, seed, budget, rc)
                recall_runs.append(r)
                acc = r["test_accuracy"]
                _log(f"[{time.perf_counter() - t0:5.0f}s] recall {model:13s} P={P:2d} seed {seed}: {acc:.3f}")
    return {
        "description": "The sLSTM of xLSTM (exponential and sigmoid forget gates) on the length-generalisation and "
        "associative-recall experiments of where_each_wins, under the same budget, data and seeds.",
        "budget": asdict(budget),
        "config": asdict(config),
        "n_parameters": {
            "formal": {r["model"]: r["n_parameters"] for r in length_runs if r["task"] == lc.tasks[0]},
            "recall": {r["model"]: r["n_parameters"] for r in recall_runs},
        },
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "length": length_runs,
        "recall": recall_runs,
    }


def load_slstm_runs() -> dict:
    """The cached sLSTM runs (``lstm_tutorial/resources/where_each_wins_slstm.json``), keys as :func:`run_slstm`.

    Refuses (``ValueError``, naming the command that remakes it) a file made with another
    :class:`SLSTMConfig` or :class:`Budget` than today's defaults.
    """
    made_by = "lstm_tutorial.experiments.where_each_wins slstm"
    res = load_results(SLSTM_RESULTS, made_by=made_by)
    for key, expected in (("config", SLSTMConfig()), ("budget", DEFAULT_BUDGET)):
        if res.get(key) != json.loads(json.dumps(asdict(expected))):
            raise ValueError(
                f"{SLSTM_RESULTS}.json was made with another {key} ({res.get(key)}); rerun python -m {made_by}"
            )
    return res


def load_where_each_wins() -> dict:
    """The cached results (``lstm_tutorial/resources/where_each_wins.json``), keys as :func:`run` returns."""
    return load_results(RESULTS, made_by="lstm_tutorial.experiments.where_each_wins")


def summarise(runs: list[dict], by: tuple[str, ...], value: str = "test_accuracy") -> list[dict]:
    """Mean, min and max of ``value`` over seeds, per combination of the fields ``by``.

    For length runs, pass ``value="accuracy"``: each run's dict of accuracies per length is
    expanded into one row per ``"test_length"``.
    """
    groups: dict = {}
    for r in runs:
        if value == "accuracy":
            for T, acc in r["accuracy"].items():
                key = tuple(r[k] for k in by) + (int(T),)
                groups.setdefault(key, []).append(acc)
        else:
            groups.setdefault(tuple(r[k] for k in by), []).append(r[value])
    names = list(by) + (["test_length"] if value == "accuracy" else [])
    return [
        {
            **dict(zip(names, key)),
            "n_seeds": len(a),
            "mean": float(np.mean(a)),
            "min": float(np.min(a)),
            "max": float(np.max(a)),
        }
        for key, a in groups.items()
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the where-each-model-wins runs and store where_each_wins.json (about 7 minutes, one "
        "core), or, with 'slstm', the sLSTM runs in where_each_wins_slstm.json (about 12 minutes)."
    )
    parser.add_argument("part", nargs="?", choices=("main", "slstm"), default="main")
    args = parser.parse_args(argv)
    if args.part == "slstm":
        path = save_results(SLSTM_RESULTS, run_slstm())
    else:
        path = save_results(RESULTS, run())
    _log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
