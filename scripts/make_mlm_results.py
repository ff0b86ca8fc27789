"""Write ``lstm_tutorial/resources/mlm_results.json`` and ``mlm_weights.npz``: BERT in miniature.

The chapter ``book/part4/bert.ipynb`` compares three masked-language models trained with one
budget (:data:`lstm_tutorial.mlm.PRETRAIN_BUDGET`: same batches, same masks, same steps, same
optimiser and schedule) on the training part of the book's corpus: a small Transformer encoder
("bert"), a left-to-right LSTM ("lstm") and a bidirectional LSTM ("bilstm"). Training the three
takes several minutes on a 2-core CPU, more than the chapter's budget, so this script trains them
once; the chapter loads the weights (plain float32 arrays in ``.npz``, no pickle) and measures
everything it shows on held-out text itself. A fourth run, "bert_learned", is the same
Transformer with BERT's learned position vectors instead of fixed sinusoidal ones; only its
curves and accuracy are kept. ``tests/test_mlm_results.py`` recomputes the first steps of each
run and checks them against the file.

Usage (each model in its own process, one thread each)::

    python scripts/make_mlm_results.py [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import platform
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from lstm_tutorial import mlm

RESOURCES = Path(__file__).resolve().parents[1] / "lstm_tutorial" / "resources"
RUNS = {"bert": ("bert", {}), "lstm": ("lstm", {}), "bilstm": ("bilstm", {}),
        "bert_learned": ("bert", {"positions": "learned"})}
EVAL_EVERY = 100
BLOCK = 50          # training losses are stored as means over blocks of this many steps
N_RAW = 50          # ... and the first N_RAW per-step losses raw, for the test
ACC_DRAWS = 8       # maskings of the held-out text scored for the accuracy


def run(name: str, steps: int | None = None) -> dict:
    kind, change = RUNS[name]
    budget = replace(mlm.PRETRAIN_BUDGET, **change)
    if steps:  # a quick smoke run of the script, never written into the package
        budget = replace(budget, steps=steps, warmup=steps // 10)
    data = mlm.corpus_ids()
    vocab, _, val = data
    r = mlm.train_mlm(kind, budget=budget, data=data, eval_every=EVAL_EVERY)
    acc = mlm.masked_accuracy(r["net"], vocab, val, T=budget.T, n_draws=ACC_DRAWS)
    loss = np.asarray(r["loss"])
    record = {"kind": kind, "budget": asdict(budget), "n_parameters": r["n_parameters"],
              "loss_first": r["loss"][:N_RAW],
              "loss_blocks": [round(float(b.mean()), 4) for b in loss.reshape(-1, BLOCK)],
              "val_loss": r["val_loss"], "accuracy": round(acc["accuracy"], 4),
              "accuracy_by_input": {k: round(v, 4) for k, v in acc["by_input"].items()},
              "n_predicted": acc["n_predicted"], "wall_time_s": r["wall_time_s"]}
    state = {k: v.detach().numpy().copy() for k, v in r["net"].state_dict().items()}
    return {"name": name, "record": record, "state": state}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--steps", type=int, default=None, help="smoke test: fewer steps (needs --out)")
    ap.add_argument("--out", type=Path, default=RESOURCES, help="output folder")
    args = ap.parse_args()
    if args.steps and args.out.resolve() == RESOURCES:
        ap.error("--steps is for smoke runs: give --out another folder")
    args.out.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(args.workers) as pool:
        out = list(pool.map(run, RUNS, [args.steps] * len(RUNS)))
    results = {"budget": asdict(mlm.PRETRAIN_BUDGET), "eval_every": EVAL_EVERY, "block": BLOCK,
               "acc_draws": ACC_DRAWS, "machine": f"{platform.machine()} {platform.processor()}".strip(),
               "runs": {o["name"]: o["record"] for o in out}}
    arrays = {f"{o['name']}/{k}": v for o in out if o["name"] in ("bert", "lstm", "bilstm")
              for k, v in o["state"].items()}
    np.savez_compressed(args.out / mlm.WEIGHTS_FILE, **arrays)
    (args.out / mlm.RESULTS_FILE).write_text(json.dumps(results, indent=1) + "\n")
    for name, rec in results["runs"].items():
        print(f"{name:>13}: {rec['n_parameters']:7d} parameters, held-out accuracy {rec['accuracy']:.3f}, "
              f"{rec['wall_time_s']:.0f} s")


if __name__ == "__main__":
    main()
