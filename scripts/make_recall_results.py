"""Write ``lstm_tutorial/resources/recall_results.json``: the reason-recall sweep of Part IV.

An LSTM and a Transformer encoder with matched parameter counts train on reason recall
(``lstm_tutorial.recall``) at several lags ``k`` under one budget (``DEFAULT_BUDGET``), several
seeds each; an LSTM with an open forget gate runs the same sweep. Then, at the lags where the
default LSTM fails, one budget field at a time is changed (more hidden units, forget-gate bias,
more steps) to see what restores recall; at the longest lags, where even forget bias 3 fails, a
wider-open gate (bias 5) is tried alone and with four times the steps. The chapter
``book/part4/breakup.ipynb`` loads the file; ``tests/test_recall.py`` recomputes three runs and
compares them with it.

Usage (about 9 minutes with ``--workers 1`` on a 2-core CPU shared with other jobs; each run uses one
thread)::

    python scripts/make_recall_results.py [--seeds 3] [--ks 5 10 20 50 100 200] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

from lstm_tutorial.recall import DEFAULT_BUDGET, RECALL_RESULTS, budget_as_dict, train_recall

OUT = Path(__file__).resolve().parents[1] / "lstm_tutorial" / "resources" / RECALL_RESULTS

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
# At the longest lags (``--long-ks``), where forget bias 3 is not enough.
LONG_RESTORE = {
    "forget bias 5": {"forget_bias": 5.0},
    "forget bias 5 + 4x steps": {"forget_bias": 5.0, "steps": 1200, "warmup": 120},
}
SWEEP_MODELS = {"lstm": ("lstm", {}), "lstm, forget bias 3": ("lstm", {"forget_bias": 3.0}),
                "transformer": ("transformer", {})}


def _run(job):
    label, model, change, k, seed, key = job
    r = train_recall(model, k, seed, replace(DEFAULT_BUDGET, **change))
    r.update({key: label, "budget_change": change})
    print(f"{label:28s} k={k:4d} seed={seed}  acc={r['test_accuracy']:.3f}  loss={r['final_loss']:.3f}  "
          f"{r['wall_time_s']:.1f}s", flush=True)
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--ks", type=int, nargs="+", default=[5, 10, 20, 50, 100, 200])
    parser.add_argument("--restore-ks", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--long-ks", type=int, nargs="+", default=[100, 200])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    t0 = time.perf_counter()
    sweep_jobs = [(label, model, change, k, seed, "label")
                  for label, (model, change) in SWEEP_MODELS.items() for k in args.ks for seed in range(args.seeds)]
    restore_ks = {**{label: args.restore_ks for label in RESTORE}, **{label: args.long_ks for label in LONG_RESTORE}}
    changes = {**RESTORE, **LONG_RESTORE}
    restore_jobs = [(label, "lstm", changes[label], k, seed, "change")
                    for label, ks in restore_ks.items() for k in ks for seed in range(args.seeds)]
    # longest first (rough cost: steps x k, attention counted 4x), so the pool ends on short jobs
    jobs = sorted(sweep_jobs + restore_jobs,
                  key=lambda j: -j[3] * j[2].get("steps", DEFAULT_BUDGET.steps) * (4 if j[1] == "transformer" else 1))
    with Pool(args.workers) as pool:
        done = pool.map(_run, jobs, chunksize=1)
    by_job = {(j[0], j[3], j[4], j[5]): r for j, r in zip(jobs, done)}
    sweep = [by_job[(j[0], j[3], j[4], j[5])] for j in sweep_jobs]
    restore = [by_job[(j[0], j[3], j[4], j[5])] for j in restore_jobs]
    for r in sweep:
        r["model"] = r.pop("label")
    result = {
        "description": "Reason recall: reason at position 0, k distractors, query at k + 1; accuracy of the "
                       "answer at the query on a balanced test set (every tail with every reason).",
        "budget": budget_as_dict(DEFAULT_BUDGET),
        "chance_accuracy": 1.0 / DEFAULT_BUDGET.n_reasons,
        "ks": args.ks, "restore_ks": args.restore_ks, "long_ks": args.long_ks, "seeds": list(range(args.seeds)),
        "restore_changes": {label: {"budget_change": changes[label], "ks": ks} for label, ks in restore_ks.items()},
        "sweep_models": {label: {"model": m, "budget_change": c} for label, (m, c) in SWEEP_MODELS.items()},
        "n_parameters": {r["model"]: r["n_parameters"] for r in sweep},
        "versions": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "sweep": sweep,
        "restore": restore,
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out} in {result['total_wall_time_s']} s", file=sys.stderr)


if __name__ == "__main__":
    main()
