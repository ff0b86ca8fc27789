"""Making an LSTM remember: forget-gate initialisations on the adding problem at long lags.

Six starts of the same one-layer LSTM (PyTorch, the model and training loop of
:mod:`lstm_tutorial.experiments.reproduction`) train on the modern adding problem at
T = 100, 200, 500 and 1000 under one budget (:data:`LONG_LAG_BUDGET`), several seeds each:

- ``bias0``, ``bias1``, ``bias3``, ``bias5``: forget-gate bias ``b_f`` 0, 1, 3, 5 (every other
  weight and bias as PyTorch draws them);
- ``chrono``: the chrono initialisation of Tallec and Ollivier (2018) with ``T_max = T``;
- ``no_forget``: the cell of 1997 without a forget gate, ``f_t = 1`` exactly.

A configuration goes on to the next length only if it solved a majority of the seeds at this one
(:attr:`LongLagConfig.skip_after_failure`; the cells it skips are stored with ``"run": False``),
which keeps the whole script at about 8 to 10 minutes on one core.

- :func:`run`: every run, the table and the budget (``resources/long_lag.json``);
  ``python -m lstm_tutorial.experiments.long_lag`` writes it. :func:`load_long_lag` reads it.
- :func:`init_diagnostics`: at initialisation, in float64, the fraction of the loss gradient that
  reaches the first input of a length-T sequence, and how many cell states are saturated.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, field

import torch

from lstm_tutorial.data.tasks import adding_problem, adding_problem_baseline
from lstm_tutorial.experiments.reproduction import AddingBudget, make_model, train_adding
from lstm_tutorial.experiments.results import load_results, save_results, versions
from lstm_tutorial.experiments.seeds import solved_cell
from lstm_tutorial.repro import limit_threads

__all__ = [
    "LONG_LAG",
    "CONFIGS",
    "CONFIG_LABELS",
    "LONG_LAG_BUDGET",
    "LongLagConfig",
    "config_kwargs",
    "train_config",
    "long_lag_table",
    "init_diagnostics",
    "run",
    "load_long_lag",
    "main",
]

LONG_LAG = "long_lag"
_MODULE = "lstm_tutorial.experiments.long_lag"

#: the configurations, in the order of the chapter's table
CONFIGS = ("bias0", "bias1", "bias3", "bias5", "chrono", "no_forget")
#: how the chapter names them
CONFIG_LABELS = {
    "bias0": "b_f = 0",
    "bias1": "b_f = 1",
    "bias3": "b_f = 3",
    "bias5": "b_f = 5",
    "chrono": "chrono",
    "no_forget": "no forget gate",
}

#: the one budget of every run (see :class:`AddingBudget` for each field)
LONG_LAG_BUDGET = AddingBudget(max_steps=1500, batch_size=32, hidden_size=32, lr=1e-2, clip=1.0, eval_every=50)


@dataclass(frozen=True)
class LongLagConfig:
    """What :func:`run` trains."""

    configs: tuple[str, ...] = CONFIGS  # LSTM starts, names from CONFIGS
    Ts: tuple[int, ...] = (100, 200, 500, 1000)  # sequence lengths, shortest first
    seeds: tuple[int, ...] = (0, 1, 2)  # one network and one stream of batches per seed
    budget: AddingBudget = field(default_factory=lambda: LONG_LAG_BUDGET)
    skip_after_failure: bool = True  # go on to the next T only after solving a majority of seeds


def config_kwargs(name: str) -> dict:
    """The keyword arguments of :func:`~lstm_tutorial.experiments.reproduction.train_adding` for a configuration."""
    if name not in CONFIGS:
        raise ValueError(f"name must be one of {list(CONFIGS)}, got {name!r}")
    if name.startswith("bias"):
        return {"forget_bias": float(name[4:])}
    return {"init": name}


def train_config(name: str, T: int, seed: int, budget: AddingBudget = LONG_LAG_BUDGET) -> dict:
    """One run: configuration ``name`` at length ``T``, seed ``seed``; the dict of
    :func:`~lstm_tutorial.experiments.reproduction.train_adding` with ``config`` added."""
    r = train_adding("lstm", T, seed, budget, **config_kwargs(name))
    return {"config": name, **r}


def long_lag_table(runs: list[dict], configs=CONFIGS, Ts=None) -> list[dict]:
    """One row per (configuration, T): seeds run and solved, median and range of steps-to-solve
    over the solved seeds, median final test MSE; ``run`` is False for a skipped cell."""
    Ts = sorted({r["T"] for r in runs}) if Ts is None else list(Ts)
    rows = []
    for name in configs:
        for T in Ts:
            rs = [r for r in runs if (r["config"], r["T"]) == (name, T)]
            cell = solved_cell(
                rs, cost="steps_to_solve", final="final_test_mse", cost_label="steps_to_solve", final_label="final_mse"
            )
            rows.append({"config": name, "T": T, **cell})
    return rows


def init_diagnostics(name: str, T: int, seeds=(0, 1, 2), *, hidden_size: int = 32, batch_size: int = 8) -> list[dict]:
    """At initialisation, in float64: how much gradient reaches the first input, and how full the cell is.

    For each seed, the network of :func:`train_config` (configuration ``name``, seed ``seed``: the
    same initial weights as that run, in float64) reads ``batch_size`` adding-problem sequences of
    length ``T`` (seed ``seed``); the loss is their mean squared error. Returns one dict per seed:

    - ``share``: ``||dL/dx_0|| / ||dL/dx_{T-1}||`` (norms over the batch and the two features),
      the fraction of the error signal at the last step that survives the ``T - 1`` steps back
      to the first input;
    - ``saturated``: the fraction of the final cell states ``c_{T-1}`` (all units and sequences)
      with ``|c| > 2``, where ``tanh'(c) < 0.071``: units whose read-out [h = o tanh(c)] has
      gone flat;
    - ``mean_abs_c``: the mean of ``|c_{T-1}|``.
    """
    out = []
    with limit_threads(1, blas=False):
        for seed in seeds:
            torch.manual_seed(seed)
            kw = config_kwargs(name)
            net = make_model("lstm", hidden_size, kw.get("forget_bias"), init=kw.get("init"), T_max=T).double()
            X, y = adding_problem(batch_size, T, seed=seed)
            x = torch.from_numpy(X).double().requires_grad_(True)
            outputs, (_, c) = net.rnn(x)  # outputs (B, T, H); c (1, B, H)
            loss = torch.mean((net.head(outputs[:, -1])[:, 0] - torch.from_numpy(y).double()) ** 2)
            loss.backward()
            g = x.grad.transpose(0, 1).reshape(T, -1)  # (T, B * D)
            scale = g.abs().amax(dim=1, keepdim=True).clamp_min(torch.finfo(g.dtype).tiny)
            norms = scale[:, 0] * (g / scale).norm(dim=1)  # (T,); scaled, so 1e-200 squared does not underflow
            c = c.detach().abs()
            out.append(
                {
                    "seed": int(seed),
                    "share": float(norms[0] / norms[-1]),
                    "saturated": float((c > 2).double().mean()),
                    "mean_abs_c": float(c.mean()),
                }
            )
    return out


def run(config: LongLagConfig = LongLagConfig(), *, progress: bool = True) -> dict:
    """Train every (configuration, T, seed) of ``config``; the contents of ``long_lag.json``."""
    t0 = time.perf_counter()
    runs, failed = [], set()
    for name in config.configs:
        for T in config.Ts:
            if name in failed:
                if progress:
                    print(
                        f"{name:9s} T={T:4d}  not run: most seeds unsolved at a shorter T", file=sys.stderr, flush=True
                    )
                continue
            cell = []
            for seed in config.seeds:
                r = train_config(name, T, seed, config.budget)
                cell.append(r)
                if progress:
                    print(
                        f"{name:9s} T={T:4d} seed={seed}  solved={r['solved']!s:5s} steps={r['steps_to_solve']}  "
                        f"mse={r['final_test_mse']:.4f}  {r['wall_time_s']:.1f}s  "
                        f"(total {time.perf_counter() - t0:.0f}s)",
                        file=sys.stderr,
                        flush=True,
                    )
            runs += cell
            if config.skip_after_failure and 2 * sum(r["solved"] for r in cell) <= len(cell):
                failed.add(name)
    b = config.budget
    return {
        "description": "Adding problem (modern variant: values in [0, 1], target x1 + x2), one-layer PyTorch "
        "LSTM (linear read-out of the last hidden state), six forget-gate initialisations, one fixed budget.",
        "criterion": f"solved = test MSE < {b.threshold} on {b.n_test} fixed test sequences, checked every "
        f"{b.eval_every} steps; steps_to_solve = first such step",
        "baseline_mse": adding_problem_baseline("modern"),
        "budget": asdict(b),
        "configs": list(config.configs),
        "Ts": list(config.Ts),
        "seeds": list(config.seeds),
        "skip_after_failure": config.skip_after_failure,
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "table": long_lag_table(runs, config.configs, config.Ts),
        "runs": runs,
    }


def load_long_lag() -> dict:
    """The stored results (``resources/long_lag.json``): the keys of :func:`run`."""
    return load_results(LONG_LAG, made_by=_MODULE)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Train the long-lag runs and store them (about 8 minutes, one core).")
    parser.parse_args(argv)
    path = save_results(LONG_LAG, run())
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
