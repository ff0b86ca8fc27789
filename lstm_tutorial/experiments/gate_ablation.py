"""A gate ablation in the spirit of Greff et al. (2017): eight LSTM variants on one long-lag task.

Each variant of :mod:`lstm_tutorial.frameworks.lstm_variants` (vanilla, NIG, NFG, NOG, NIAF,
NOAF, PH, CIFG) trains as a one-layer network with a linear read-out of its last hidden state on
the modern adding problem at ``T = 100``, several seeds, under the one budget
:data:`~lstm_tutorial.experiments.long_lag.LONG_LAG_BUDGET` of the ``remember`` chapter (where
the standard LSTM with ``b_f = 1`` solved every seed at this length). The data, the test set, the
solved criterion and the stopping rule are those of
:func:`~lstm_tutorial.experiments.reproduction.train_adding`; only the network differs.

One control rides along (:attr:`AblationConfig.control_input_bias`): CIFG starts its input gate at
``b_i = -forget_bias`` (so that its forget gate ``1 - i_t`` starts where the others' does), and the
vanilla cell trained from that same input bias separates what the start contributes from what the
coupling does.

- :func:`train_variant`: one run (variant, seed).
- :func:`ablation_table`: seeds solved, final test MSE (mean, min, max), steps to solve.
- :func:`run`: every run of :class:`AblationConfig` (``resources/gate_ablation.json``);
  ``python -m lstm_tutorial.experiments.gate_ablation`` writes it (11 to 16 minutes on one core,
  progress on stderr). :func:`load_gate_ablation` reads it and checks its configuration.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from lstm_tutorial.data.tasks import adding_problem, adding_problem_baseline
from lstm_tutorial.experiments.long_lag import LONG_LAG_BUDGET
from lstm_tutorial.experiments.reproduction import AddingBudget
from lstm_tutorial.experiments.results import load_results, save_results, versions
from lstm_tutorial.frameworks.lstm_variants import VARIANTS, VariantRegressor
from lstm_tutorial.frameworks.training import train_torch
from lstm_tutorial.repro import limit_threads

__all__ = [
    "GATE_ABLATION",
    "AblationConfig",
    "train_variant",
    "ablation_table",
    "run",
    "load_gate_ablation",
    "main",
]

GATE_ABLATION = "gate_ablation"
_MODULE = "lstm_tutorial.experiments.gate_ablation"


@dataclass(frozen=True)
class AblationConfig:
    """What :func:`run` trains."""

    variants: tuple[str, ...] = VARIANTS  # names from lstm_variants.VARIANTS, in table order
    T: int = 100  # adding-problem length: the first marked value lies >= 50 steps before the end
    seeds: tuple[int, ...] = (0, 1, 2)  # one initialisation and one stream of batches per seed
    budget: AddingBudget = field(default_factory=lambda: LONG_LAG_BUDGET)  # of the remember chapter
    # a control for CIFG, whose b_i starts at -forget_bias: the vanilla cell with that input bias, same seeds
    control_input_bias: float | None = -1.0


def _mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.mean((pred[:, 0] - y) ** 2)


def train_variant(
    variant: str, T: int = 100, seed: int = 0, budget: AddingBudget = LONG_LAG_BUDGET, *, input_bias=None
) -> dict:
    """Train one :class:`~lstm_tutorial.frameworks.lstm_variants.VariantRegressor` on the adding problem.

    As :func:`~lstm_tutorial.experiments.reproduction.train_adding`: ``torch.manual_seed(seed)``
    before building the network (forget bias ``budget.forget_bias``), a fresh batch per step
    (seed ``1_000_000 * seed + step``), a fixed test set (seed 999_999_999) evaluated every
    ``budget.eval_every`` steps, solved (and stopped) at the first evaluation with test MSE below
    ``budget.threshold``. One torch thread, so a run repeats exactly on one machine.
    ``input_bias`` sets the input-gate bias ``b_i`` at the start (``None``: PyTorch's draw).

    Returns:
        dict with ``variant, T, seed, solved, steps_to_solve, final_test_mse, best_test_mse,
        steps_run, wall_time_s, curve`` (list of ``[step, test_mse]``).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {list(VARIANTS)}, got {variant!r}")
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        net = VariantRegressor(2, budget.hidden_size, variant, forget_bias=budget.forget_bias, input_bias=input_bias)
        X_test, y_test = map(torch.from_numpy, adding_problem(budget.n_test, T, seed=999_999_999))
        curve, t0 = [], time.perf_counter()

        def evaluate(step: int) -> float:
            with torch.no_grad():
                mse = float(_mse(net(X_test), y_test))
            curve.append([step, mse])
            return mse

        def solved(step: int, loss: float) -> bool:
            # a diverged run (NaN loss) cannot recover: stop it and let it count as unsolved
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
            "variant": variant,
            "input_bias": input_bias,
            "T": T,
            "seed": seed,
            "solved": solved_at is not None,
            "steps_to_solve": solved_at,
            "final_test_mse": final if np.isfinite(final) else None,
            "best_test_mse": float(np.nanmin(mses)),
            "steps_run": done["steps"],
            "wall_time_s": round(time.perf_counter() - t0, 2),
            "curve": [[s, m if np.isfinite(m) else None] for s, m in curve],
        }


def ablation_table(runs: list[dict], variants=VARIANTS) -> list[dict]:
    """One row per variant: seeds run and solved; final test MSE mean, min and max over the seeds
    (``None`` for a diverged run counts as unsolved and is left out of the MSE numbers, with
    ``n_diverged`` saying how many); median, min and max steps to solve over the solved seeds."""
    rows = []
    for v in variants:
        rs = [r for r in runs if r["variant"] == v]
        if not rs:
            raise ValueError(f"runs hold no run of variant {v!r}")
        solved = [r["steps_to_solve"] for r in rs if r["solved"]]
        mses = [r["final_test_mse"] for r in rs if r["final_test_mse"] is not None]
        rows.append(
            {
                "variant": v,
                "n_seeds": len(rs),
                "n_solved": len(solved),
                "n_diverged": len(rs) - len(mses),
                "mean_final_mse": float(np.mean(mses)) if mses else None,
                "min_final_mse": min(mses) if mses else None,
                "max_final_mse": max(mses) if mses else None,
                "median_steps_to_solve": float(np.median(solved)) if solved else None,
                "min_steps_to_solve": min(solved) if solved else None,
                "max_steps_to_solve": max(solved) if solved else None,
            }
        )
    return rows


def run(config: AblationConfig = AblationConfig(), *, progress: bool = True) -> dict:
    """Train every (variant, seed) of ``config``; the contents of ``gate_ablation.json``."""
    t0 = time.perf_counter()
    runs = []
    n = len(config.variants) * len(config.seeds)
    for v in config.variants:
        for seed in config.seeds:
            r = train_variant(v, config.T, seed, config.budget)
            runs.append(r)
            if progress:
                mse = "nan" if r["final_test_mse"] is None else f"{r['final_test_mse']:.4f}"
                print(
                    f"[{len(runs):2d}/{n}] {v:7s} seed={seed}  solved={r['solved']!s:5s} steps={r['steps_to_solve']}  "
                    f"mse={mse}  {r['wall_time_s']:.1f}s  (total {time.perf_counter() - t0:.0f}s)",
                    file=sys.stderr,
                    flush=True,
                )
    controls = []
    if config.control_input_bias is not None:
        for seed in config.seeds:
            r = train_variant("vanilla", config.T, seed, config.budget, input_bias=config.control_input_bias)
            controls.append(r)
            if progress:
                print(
                    f"[control] vanilla b_i={config.control_input_bias} seed={seed}  solved={r['solved']!s:5s} "
                    f"steps={r['steps_to_solve']}  {r['wall_time_s']:.1f}s  (total {time.perf_counter() - t0:.0f}s)",
                    file=sys.stderr,
                    flush=True,
                )
    b = config.budget
    return {
        "description": f"Adding problem (modern variant: values in [0, 1], target x1 + x2) at T = {config.T}; "
        "one-layer PyTorch LSTM in eight variants (Greff et al. 2017), linear read-out of the last hidden "
        "state, one fixed budget.",
        "criterion": f"solved = test MSE < {b.threshold} on {b.n_test} fixed test sequences, checked every "
        f"{b.eval_every} steps; steps_to_solve = first such step",
        "baseline_mse": adding_problem_baseline("modern"),
        "config": asdict(config),
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "table": ablation_table(runs, config.variants),
        "runs": runs,
        "control_table": ablation_table(controls, ("vanilla",)) if controls else [],
        "control_runs": controls,
    }


def load_gate_ablation(config: AblationConfig = AblationConfig()) -> dict:
    """The stored results (``resources/gate_ablation.json``), checked to be made with ``config``."""
    results = load_results(GATE_ABLATION, made_by=_MODULE)
    stored = dict(results["config"])
    stored["variants"] = tuple(stored["variants"])
    stored["seeds"] = tuple(stored["seeds"])
    stored["budget"] = AddingBudget(**stored["budget"])
    if AblationConfig(**stored) != config:
        raise ValueError(
            f"{GATE_ABLATION}.json was made with another configuration ({stored}); rerun python -m {_MODULE}"
        )
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the eight LSTM variants on the adding problem and store the results (15 min, 1 core)."
    )
    parser.parse_args(argv)
    path = save_results(GATE_ABLATION, run())
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
