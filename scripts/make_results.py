"""Regenerate the cached results of the experiments, for authors: each is ``python -m`` of its module.

    python scripts/make_results.py                 # every results file, one after another
    python scripts/make_results.py recall mlm      # just these

Each experiment module writes its own file in ``lstm_tutorial/resources/`` and prints progress;
this script runs them in turn, with the time each took. Afterwards, re-execute the chapters that
read them (``make notebooks``) and commit both.
"""

from __future__ import annotations

import subprocess
import sys
import time

#: results name -> the command that writes it (module and arguments)
EXPERIMENTS = {
    "part1": ["lstm_tutorial.experiments.reproduction", "part1"],
    "reproduction": ["lstm_tutorial.experiments.reproduction", "table"],
    "tbptt_echo": ["lstm_tutorial.experiments.tbptt_echo"],
    "regularisation": ["lstm_tutorial.experiments.regularisation"],
    "weekly_forecaster": ["lstm_tutorial.experiments.weekly_forecaster"],
    "seq2seq": ["lstm_tutorial.experiments.seq2seq"],
    "seq2seq_attention": ["lstm_tutorial.experiments.seq2seq_attention", "--jobs", "2"],
    "decoding": ["lstm_tutorial.experiments.decoding"],
    "melody": ["lstm_tutorial.experiments.melody"],
    "lm_ladder": ["lstm_tutorial.experiments.lm_ladder"],
    "recall": ["lstm_tutorial.experiments.recall"],
    "mlm": ["lstm_tutorial.experiments.mlm"],
    "where_each_wins": ["lstm_tutorial.experiments.where_each_wins"],
    "where_each_wins_slstm": ["lstm_tutorial.experiments.where_each_wins", "slstm"],
    "long_lag": ["lstm_tutorial.experiments.long_lag"],
    "paper_1997": ["lstm_tutorial.experiments.paper_1997"],
    "architectures": ["lstm_tutorial.experiments.architectures"],
    "gate_ablation": ["lstm_tutorial.experiments.gate_ablation"],
}


def main(argv: list[str]) -> int:
    names = argv or list(EXPERIMENTS)
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        print(f"unknown experiments {unknown}; choose from {sorted(EXPERIMENTS)}", file=sys.stderr)
        return 2
    for name in names:
        module, *args = EXPERIMENTS[name]
        start = time.perf_counter()
        print(f"== {name}: python -m {module} {' '.join(args)}", flush=True)
        rc = subprocess.run([sys.executable, "-m", module, *args]).returncode
        print(f"== {name}: {'done' if rc == 0 else 'FAILED'} in {time.perf_counter() - start:.0f} s", flush=True)
        if rc:
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
