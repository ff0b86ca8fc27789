"""Regenerate ``lstm_tutorial/resources/seq2seq_attention_results.json``, the cached attention runs.

    python scripts/make_seq2seq_attention_results.py            # both scores, 3 seeds each
    python scripts/make_seq2seq_attention_results.py --jobs 2   # the two scores side by side, on two cores
    python scripts/make_seq2seq_attention_results.py --seeds 0  # fewer seeds, if time is short

It runs :func:`lstm_tutorial.experiments.seq2seq_attention.main` under the budget of chapter 1's
``reverse`` config, printing one line per (config, seed) as it finishes (float64, one thread per
run; the additive decoder loops over the target steps, so it is the slower one). Measured on a
shared 2-core machine: 519 s with ``--jobs 2`` (the two scores side by side), 15 minutes of
run time in all, so about 15 minutes without ``--jobs``.
"""

from __future__ import annotations

import sys
import time

from lstm_tutorial.experiments.seq2seq_attention import main as attention_main

if __name__ == "__main__":
    start = time.perf_counter()
    rc = attention_main(sys.argv[1:])
    print(
        f"attention results: {'done' if rc == 0 else 'FAILED'} in {time.perf_counter() - start:.0f} s", file=sys.stderr
    )
    sys.exit(rc)
