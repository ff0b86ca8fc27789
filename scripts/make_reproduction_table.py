"""Write ``lstm_tutorial/resources/reproduction_table.json``: the long-lag reproduction table.

A tanh RNN, a GRU and an LSTM train on the modern adding problem at several lags under one
fixed budget (``lstm_tutorial.experiments.DEFAULT_BUDGET``), several seeds each. The chapter
loads the file with ``load_reproduction_table()``; ``tests/test_experiments.py`` recomputes
one run and checks it against the file.

Usage (about 10-20 minutes on a 2-core CPU)::

    python scripts/make_reproduction_table.py [--seeds 5] [--Ts 50 100 200]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from lstm_tutorial.experiments import (DEFAULT_BUDGET, REPRODUCTION_TABLE, aggregate_cells,
                                       budget_as_dict, train_adding)
from lstm_tutorial.tasks import adding_problem_baseline

OUT = Path(__file__).resolve().parents[1] / "lstm_tutorial" / "resources" / REPRODUCTION_TABLE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--Ts", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--models", nargs="+", default=["rnn", "gru", "lstm"])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    runs, t0 = [], time.perf_counter()
    for model in args.models:
        for T in args.Ts:
            for seed in range(args.seeds):
                r = train_adding(model, T, seed, DEFAULT_BUDGET)
                runs.append(r)
                print(f"{model:4s} T={T:4d} seed={seed}  solved={r['solved']!s:5s} "
                      f"steps={r['steps_to_solve']}  mse={r['final_test_mse']:.4f}  "
                      f"{r['wall_time_s']:.1f}s", flush=True)
    b = DEFAULT_BUDGET
    result = {
        "description": "Adding problem (modern variant: values in [0, 1], target x1 + x2), "
                       "one-layer models trained with Adam under one fixed budget.",
        "criterion": f"solved = test MSE < {b.threshold} on {b.n_test} fixed test sequences, "
                     f"checked every {b.eval_every} steps; steps_to_solve = first such step",
        "baseline_mse": adding_problem_baseline("modern"),
        "budget": budget_as_dict(b),
        "models": args.models, "Ts": args.Ts, "seeds": list(range(args.seeds)),
        "versions": {"torch": torch.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "table": aggregate_cells(runs),
        "runs": runs,
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for row in result["table"]:
        print(row, flush=True)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
