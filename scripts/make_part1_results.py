"""Write ``lstm_tutorial/resources/part1_adding_rnn.json``: the plain RNN on the adding problem.

The chapter on vanishing gradients (``book/part1/vanishing.ipynb``) ends on the failure that
motivates the LSTM: a tanh RNN trained on the modern adding problem at lags T = 10, 50 and
100, five seeds each, under the one fixed budget the book's reproduction table uses
(``lstm_tutorial.experiments.DEFAULT_BUDGET``: up to 2000 Adam steps of 32 fresh sequences,
H = 32, learning rate 3e-3, gradient-norm clip 1.0, stop once the test MSE is below 0.01).
Fifteen runs take a minute or two, more than the chapter's time budget, so this script runs
them once and the chapter loads the file. ``tests/test_part1_results.py`` recomputes one run
and checks it against the file; the chapter itself re-runs the T = 10, seed 0 cell live.

Usage (one to three minutes on a 2-core CPU)::

    python scripts/make_part1_results.py
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from lstm_tutorial.experiments import DEFAULT_BUDGET, aggregate_cells, budget_as_dict, train_adding
from lstm_tutorial.tasks import adding_problem_baseline

OUT = Path(__file__).resolve().parents[1] / "lstm_tutorial" / "resources" / "part1_adding_rnn.json"
TS = (10, 50, 100)
SEEDS = tuple(range(5))


def main() -> None:
    runs, t0 = [], time.perf_counter()
    for T in TS:
        for seed in SEEDS:
            r = train_adding("rnn", T, seed, DEFAULT_BUDGET)
            runs.append(r)
            print(f"rnn T={T:4d} seed={seed}  solved={r['solved']!s:5s} steps={r['steps_to_solve']}  "
                  f"mse={r['final_test_mse']:.4f}  {r['wall_time_s']:.1f}s", flush=True)
    b = DEFAULT_BUDGET
    result = {
        "description": "Plain tanh RNN (torch.nn.RNN, one layer, linear read-out of the last state) on the "
                       "modern adding problem (values in [0, 1], target x1 + x2) under one fixed budget.",
        "criterion": f"solved = test MSE < {b.threshold} on {b.n_test} fixed test sequences, "
                     f"checked every {b.eval_every} steps; training stops there",
        "baseline_mse": adding_problem_baseline("modern"),
        "budget": budget_as_dict(b),
        "model": "rnn", "Ts": list(TS), "seeds": list(SEEDS),
        "versions": {"torch": torch.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "table": aggregate_cells(runs),
        "runs": runs,
    }
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    for row in result["table"]:
        print(row, flush=True)
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
