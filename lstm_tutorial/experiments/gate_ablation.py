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

from lstm_tutorial.data.tasks import adding_problem_baseline
from lstm_tutorial.experiments.long_lag import LONG_LAG_BUDGET
from lstm_tutorial.experiments.reproduction import AddingBudget, fit_adding
from lstm_tutorial.experiments.results import load_results, save_results, versions
from lstm_tutorial.frameworks.lstm_variants import VARIANTS, VariantRegressor

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


def train_variant(
    variant: str, T: int = 100, seed: int = 0, budget: AddingBudget = LONG_LAG_BUDGET, *, input_bias=None
) -> dict:
    """Train one :class:`~lstm_tutorial.frameworks.lstm_variants.VariantRegressor` on the adding problem.

    The run is :func:`~lstm_tutorial.experiments.reproduction.fit_adding` (the data, test set,
    criterion and stopping rule of ``train_adding``) of a variant with forget bias
    ``budget.forget_bias``; ``input_bias`` sets the input-gate bias ``b_i`` at the start
    (``None``: PyTorch's draw).

    Returns:
        dict with ``variant, input_bias, T, seed`` and the keys of ``fit_adding``.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {list(VARIANTS)}, got {variant!r}")

    def build() -> VariantRegressor:
        return VariantRegressor(2, budget.hidden_size, variant, forget_bias=budget.forget_bias, input_bias=input_bias)

    return {"variant": variant, "input_bias": input_bias, "T": T, "seed": seed, **fit_adding(build, T, seed, budget)}


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
