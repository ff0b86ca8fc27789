"""The long-lag reproduction table: a tanh RNN, a GRU and an LSTM on the adding problem, one budget.

Each model (PyTorch, one recurrent layer and a linear read-out of the last state) trains on the
modern adding problem at several lags under :data:`DEFAULT_BUDGET`, several seeds each. A run is
*solved* at the first evaluation where the test MSE drops below the budget's threshold, and
stops there.

- :func:`fit_adding`: one run of a given network on the adding problem, one seed.
- :func:`train_adding`: one cell of the table, one seed.
- :func:`aggregate_cells`: success rate and medians per (model, T).
- :func:`run_table` / :func:`run_part1`: the table of Part II (``reproduction_table.json``) and
  the tanh RNN runs of Part I (``part1_adding_rnn.json``);
  ``python -m lstm_tutorial.experiments.reproduction [table|part1]`` writes them.
- :func:`load_reproduction_table` / :func:`load_part1`: the stored files.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch

from lstm_tutorial.data.tasks import adding_problem, adding_problem_baseline
from lstm_tutorial.experiments.results import load_results, save_results, versions
from lstm_tutorial.frameworks.init import fix_forget_gate_open, set_chrono_bias, set_forget_bias
from lstm_tutorial.frameworks.torch_models import SequenceRegressor
from lstm_tutorial.frameworks.training import train_torch
from lstm_tutorial.repro import limit_threads

__all__ = [
    "REPRODUCTION_TABLE",
    "PART1_RESULTS",
    "AddingBudget",
    "DEFAULT_BUDGET",
    "LSTM_INITS",
    "make_model",
    "fit_adding",
    "train_adding",
    "aggregate_cells",
    "run_table",
    "run_part1",
    "load_reproduction_table",
    "load_part1",
    "budget_as_dict",
    "main",
]

REPRODUCTION_TABLE = "reproduction_table"
PART1_RESULTS = "part1_adding_rnn"
_MODULE = "lstm_tutorial.experiments.reproduction"


@dataclass(frozen=True)
class AddingBudget:
    """The fixed training budget of every cell of the reproduction table."""

    max_steps: int = 2000  # optimiser steps; training stops early once solved
    batch_size: int = 32  # fresh sequences per step
    hidden_size: int = 32  # H, one recurrent layer, linear read-out of h_{T-1}
    lr: float = 3e-3  # Adam learning rate
    clip: float = 1.0  # global gradient-norm clip
    eval_every: int = 50  # steps between evaluations on the fixed test set
    n_test: int = 500  # test sequences (their own seed, same for every cell)
    threshold: float = 0.01  # "solved": test MSE below this (6% of the 1/6 baseline)
    forget_bias: float = 1.0  # LSTM forget-gate bias at init (the usual practice)
    num_threads: int = 1  # torch threads: one keeps results identical run to run


DEFAULT_BUDGET = AddingBudget()


#: LSTM initialisations beyond a plain forget bias (``init=`` of :func:`make_model`)
LSTM_INITS = ("chrono", "no_forget")


def make_model(
    model: str,
    hidden_size: int,
    forget_bias: float | None = 1.0,
    input_size: int = 2,
    output_size: int = 1,
    *,
    init: str | None = None,
    T_max: int | None = None,
) -> SequenceRegressor:
    """A one-layer ``"rnn"`` (tanh), ``"gru"`` or ``"lstm"`` with a linear read-out of the last
    hidden state, ``(B, T, D) -> (B, output_size)``; an LSTM gets ``forget_bias`` (``None``:
    PyTorch's default).

    ``init`` (LSTM only) replaces the forget bias: ``"chrono"`` draws the chrono biases for
    dependencies of up to ``T_max`` steps (:func:`~lstm_tutorial.frameworks.init.set_chrono_bias`,
    from torch's global generator), ``"no_forget"`` fixes ``f_t = 1``, the 1997 cell
    (:func:`~lstm_tutorial.frameworks.init.fix_forget_gate_open`)."""
    if model not in ("rnn", "gru", "lstm"):
        raise ValueError(f"model must be one of ['gru', 'lstm', 'rnn'], got {model!r}")
    if init is not None and (model != "lstm" or init not in LSTM_INITS):
        raise ValueError(
            f"init must be None or, for model 'lstm', one of {list(LSTM_INITS)}; got {init!r} for {model!r}"
        )
    if init == "chrono" and T_max is None:
        raise ValueError("init='chrono' needs T_max, the longest dependency in steps")
    net = SequenceRegressor(input_size, hidden_size, cell=model, output_size=output_size)
    if init == "chrono":
        set_chrono_bias(net.rnn, T_max)
    elif init == "no_forget":
        fix_forget_gate_open(net.rnn)
    elif model == "lstm" and forget_bias is not None:
        set_forget_bias(net.rnn, forget_bias)
    return net


def _mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.mean((pred[:, 0] - y) ** 2)


def fit_adding(build: Callable[[], torch.nn.Module], T: int, seed: int, budget: AddingBudget) -> dict:
    """Train the network ``build()`` returns on the modern adding problem of length ``T``, one seed.

    ``torch.manual_seed(seed)`` runs just before ``build()``, so the seed fixes the
    initialisation. Every step draws a fresh batch (``adding_problem`` with seed
    ``1_000_000 * seed + step``); the test set is fixed (seed 999_999_999). Every
    ``budget.eval_every`` steps the test MSE is measured; the run is *solved* at the first
    evaluation with test MSE below ``budget.threshold`` and stops there (``steps_to_solve``);
    otherwise it runs ``budget.max_steps`` and ``steps_to_solve`` is ``None``. A run whose
    training loss turns non-finite cannot recover: it stops there, unsolved, and its non-finite
    test MSEs are stored as ``None``. One torch thread (``budget.num_threads``), so a run repeats
    exactly on one machine.

    Returns:
        dict with ``solved, steps_to_solve, final_test_mse, best_test_mse, steps_run,
        wall_time_s, curve`` (list of ``[step, test_mse]``).
    """
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        net = build()
        X_test, y_test = map(torch.from_numpy, adding_problem(budget.n_test, T, seed=999_999_999))
        curve, t0 = [], time.perf_counter()

        def evaluate(step: int) -> float:
            with torch.no_grad():
                mse = float(_mse(net(X_test), y_test))
            curve.append([step, mse])
            return mse

        def solved(step: int, loss: float) -> bool:
            if not np.isfinite(loss):
                evaluate(step)
                return True
            return step % budget.eval_every == 0 and evaluate(step) < budget.threshold

        batches = (
            tuple(map(torch.from_numpy, adding_problem(budget.batch_size, T, seed=1_000_000 * seed + s)))
            for s in range(1, budget.max_steps + 1)
        )
        evaluate(0)
        done = train_torch(
            net, batches, _mse, steps=budget.max_steps, lr=budget.lr, clip=budget.clip, on_step=solved, progress=False
        )
        mses = [m for _, m in curve]
        final = mses[-1]
        solved_at = curve[-1][0] if final < budget.threshold else None
        return {
            "solved": solved_at is not None,
            "steps_to_solve": solved_at,
            "final_test_mse": final if np.isfinite(final) else None,
            "best_test_mse": float(np.nanmin(mses)),
            "steps_run": done["steps"],
            "wall_time_s": round(time.perf_counter() - t0, 2),
            "curve": [[step, m if np.isfinite(m) else None] for step, m in curve],
        }


def train_adding(
    model: str = "lstm",
    T: int = 50,
    seed: int = 0,
    budget: AddingBudget = DEFAULT_BUDGET,
    *,
    init: str | None = None,
    forget_bias: float | None = None,
) -> dict:
    """Train one model on the modern adding problem under ``budget``; one table cell, one seed.

    The network is :func:`make_model` ``(model, ...)``; the LSTM starts with ``forget_bias``
    (``budget.forget_bias`` when ``None``), or with ``init`` (``"chrono"`` with ``T_max = T``, or
    ``"no_forget"``). Data, test set, solved criterion and stopping rule: :func:`fit_adding`.

    Returns:
        dict with ``model, T, seed`` and the keys of :func:`fit_adding`.
    """
    fb = budget.forget_bias if forget_bias is None else forget_bias
    run = fit_adding(lambda: make_model(model, budget.hidden_size, fb, init=init, T_max=T), T, seed, budget)
    return {"model": model, "T": T, "seed": seed, **run}


def aggregate_cells(runs: list[dict]) -> list[dict]:
    """Per (model, T): success rate, median steps-to-solve of the solved runs, median final
    MSE, next to the chance baseline MSE 1/6."""
    groups: dict = {}
    for r in runs:
        groups.setdefault((r["model"], r["T"]), []).append(r)
    out = []
    for (m, T), rs in sorted(groups.items(), key=lambda kv: (["rnn", "gru", "lstm"].index(kv[0][0]), kv[0][1])):
        solved = [r["steps_to_solve"] for r in rs if r["solved"]]
        out.append(
            {
                "model": m,
                "T": T,
                "n_seeds": len(rs),
                "n_solved": len(solved),
                "success_rate": len(solved) / len(rs),
                "median_steps_to_solve": float(np.median(solved)) if solved else None,
                "median_final_mse": float(np.median([r["final_test_mse"] for r in rs])),
                "baseline_mse": adding_problem_baseline("modern"),
            }
        )
    return out


def budget_as_dict(budget: AddingBudget = DEFAULT_BUDGET) -> dict:
    """The budget as a plain dict, as stored in the results file."""
    return asdict(budget)


def _criterion(b: AddingBudget) -> str:
    return (
        f"solved = test MSE < {b.threshold} on {b.n_test} fixed test sequences, "
        f"checked every {b.eval_every} steps; steps_to_solve = first such step"
    )


def _runs(models, Ts, seeds, budget, progress: bool) -> list[dict]:
    runs = []
    for model in models:
        for T in Ts:
            for seed in seeds:
                r = train_adding(model, T, seed, budget)
                runs.append(r)
                if progress:
                    print(
                        f"{model:4s} T={T:4d} seed={seed}  solved={r['solved']!s:5s} steps={r['steps_to_solve']}  "
                        f"mse={r['final_test_mse']:.4f}  {r['wall_time_s']:.1f}s",
                        file=sys.stderr,
                        flush=True,
                    )
    return runs


def run_table(
    models=("rnn", "gru", "lstm"),
    Ts=(50, 100, 200),
    seeds=range(5),
    *,
    budget: AddingBudget = DEFAULT_BUDGET,
    progress: bool = True,
) -> dict:
    """The reproduction table (``reproduction_table.json``): every model, lag and seed."""
    t0 = time.perf_counter()
    runs = _runs(models, Ts, seeds, budget, progress)
    return {
        "description": "Adding problem (modern variant: values in [0, 1], target x1 + x2), "
        "one-layer models trained with Adam under one fixed budget.",
        "criterion": _criterion(budget),
        "baseline_mse": adding_problem_baseline("modern"),
        "budget": budget_as_dict(budget),
        "models": list(models),
        "Ts": list(Ts),
        "seeds": list(seeds),
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "table": aggregate_cells(runs),
        "runs": runs,
    }


def run_part1(
    Ts=(10, 50, 100), seeds=range(5), *, budget: AddingBudget = DEFAULT_BUDGET, progress: bool = True
) -> dict:
    """The plain tanh RNN of Part I on the same budget (``part1_adding_rnn.json``)."""
    t0 = time.perf_counter()
    runs = _runs(("rnn",), Ts, seeds, budget, progress)
    return {
        "description": "Plain tanh RNN (torch.nn.RNN, one layer, linear read-out of the last state) on the "
        "modern adding problem (values in [0, 1], target x1 + x2) under one fixed budget.",
        "criterion": _criterion(budget).replace("; steps_to_solve = first such step", "; training stops there"),
        "baseline_mse": adding_problem_baseline("modern"),
        "budget": budget_as_dict(budget),
        "model": "rnn",
        "Ts": list(Ts),
        "seeds": list(seeds),
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "table": aggregate_cells(runs),
        "runs": runs,
    }


def load_reproduction_table() -> dict:
    """The stored reproduction table (``resources/reproduction_table.json``).

    Keys: ``budget`` (:class:`AddingBudget` fields), ``criterion``, ``baseline_mse``,
    ``seeds``, ``Ts``, ``models``, ``versions``, ``runs`` (one dict per model, T and seed, as
    returned by :func:`train_adding`) and ``table`` (:func:`aggregate_cells` rows).
    """
    return load_results(REPRODUCTION_TABLE, made_by=_MODULE)


def load_part1() -> dict:
    """The stored tanh RNN runs of Part I (``resources/part1_adding_rnn.json``)."""
    return load_results(PART1_RESULTS, made_by=f"{_MODULE} part1")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the adding-problem runs and store their results "
        "(10-20 minutes on 2 cores for the table, 5 for part1)."
    )
    parser.add_argument("which", choices=["table", "part1"], nargs="?", default="table")
    args = parser.parse_args(argv)
    results = run_table() if args.which == "table" else run_part1()
    path = save_results(REPRODUCTION_TABLE if args.which == "table" else PART1_RESULTS, results)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
