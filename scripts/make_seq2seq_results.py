"""Regenerate ``lstm_tutorial/resources/seq2seq_results.json``, the cached runs of the encoder-decoder chapter.

    python scripts/make_seq2seq_results.py                    # every config of CONFIGS, 3 seeds each
    python scripts/make_seq2seq_results.py --only reverse     # just some (the file then holds only those)

It runs :func:`lstm_tutorial.experiments.seq2seq.main`, printing one line per (config, seed) as it
finishes: about 10 minutes on one core of a 2-core machine (float64, one thread per run).
Afterwards re-execute ``book/part4/encoder_decoder.ipynb`` and commit both.
"""

from __future__ import annotations

import sys
import time

from lstm_tutorial.experiments.seq2seq import main as seq2seq_main

if __name__ == "__main__":
    start = time.perf_counter()
    rc = seq2seq_main(sys.argv[1:])
    print(f"seq2seq results: {'done' if rc == 0 else 'FAILED'} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    sys.exit(rc)
