"""Regenerate ``lstm_tutorial/resources/seq2seq_attention_results.json``, the cached attention runs.

    python scripts/make_seq2seq_attention_results.py            # both scores, 3 seeds each
    python scripts/make_seq2seq_attention_results.py --jobs 2   # the two scores side by side, on two cores
    python scripts/make_seq2seq_attention_results.py --seeds 0  # fewer seeds, if time is short

It runs :func:`lstm_tutorial.experiments.seq2seq_attention.main` under the budget of chapter 1's
``reverse`` config, printing one line per (config, seed) as it finishes: about 7 minutes on one
core of a 2-core machine (float64, one thread per run; the additive decoder loops over the
target steps, so it takes about twice as long as the multiplicative one); with ``--jobs 2`` the
wall time is that of the additive runs alone.
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
