"""Attention on the encoder-decoder LSTM: accuracy against source length, with and without attention.

The runs of :mod:`lstm_tutorial.experiments.seq2seq` are repeated on the reverse task under
*exactly* the budget of its ``"reverse"`` config (same steps, batches, sizes, learning-rate
schedule, test set and seeds, the same training loop :func:`~lstm_tutorial.experiments.seq2seq.train_seq2seq`),
with one change: the decoder is an :class:`~lstm_tutorial.frameworks.seq2seq.AttentionDecoder`,
additive (Bahdanau et al. 2015) or multiplicative (Luong et al. 2015, "general"). The runs
*without* attention are chapter 1's cached ``"reverse"`` runs
(:func:`~lstm_tutorial.experiments.seq2seq.load_seq2seq_results`); :func:`length_table` puts
the three side by side, per source length, as median, min and max over the seeds.

Attention adds parameters (the score's weights; the additive decoder's LSTM also reads the
context, and its head reads ``[h_t; c_t]``): each run stores its parameter count next to the
count of the model without attention.

- :data:`CONFIGS`: label -> ``(score, config)``; :func:`build_attention_model`.
- :func:`alignment`: one source's attention weights ``(T, S)`` from a trained model, for heatmaps.
- :func:`run` (or :func:`run_parallel`, one process per config) / :func:`main` write
  ``resources/seq2seq_attention_results.json`` (``python -m lstm_tutorial.experiments.seq2seq_attention``, or
  ``scripts/make_seq2seq_attention_results.py``); :func:`load_attention_results` reads it.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial

import torch

from lstm_tutorial.data import seq2seq as tasks
from lstm_tutorial.experiments import seq2seq as ex
from lstm_tutorial.experiments.results import load_results, save_results, versions
from lstm_tutorial.frameworks.seq2seq import AttentionDecoder, Encoder, Seq2Seq, teacher_forced_attention

__all__ = [
    "ATTENTION_RESULTS",
    "WITHOUT",
    "CONFIGS",
    "ALIGNMENT_LENGTHS",
    "build_attention_model",
    "n_parameters",
    "alignment",
    "train_attention",
    "length_table",
    "run",
    "run_parallel",
    "main",
    "load_attention_results",
]

ATTENTION_RESULTS = "seq2seq_attention_results"

#: The label, in chapter 1's results, of the runs without attention: the budget every run here shares.
WITHOUT = "reverse"

#: The runs of the results file: label -> (score, config); the config is chapter 1's, unchanged.
CONFIGS = {
    "reverse + additive attention": ("additive", ex.CONFIGS[WITHOUT]),
    "reverse + multiplicative attention": ("multiplicative", ex.CONFIGS[WITHOUT]),
}

#: Source lengths of the stored alignments: the first test source of each (inside and beyond training).
ALIGNMENT_LENGTHS = (8, 16, 20)


def build_attention_model(config: ex.Seq2SeqConfig, seed: int, score: str) -> Seq2Seq:
    """A fresh model with an attention decoder, in ``config.dtype``, weights drawn after ``torch.manual_seed(seed)``."""
    task = ex.make_task(config)
    torch.manual_seed(seed)
    model = Seq2Seq(
        Encoder(len(task.src_vocab), config.embed_dim, config.hidden_size),
        AttentionDecoder(len(task.tgt_vocab), config.embed_dim, config.hidden_size, score=score),
    )
    return model.to(getattr(torch, config.dtype))


def n_parameters(model: torch.nn.Module) -> int:
    """The number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def alignment(model: Seq2Seq, src: list[str], tgt: list[str], config: ex.Seq2SeqConfig) -> dict:
    """One source's attention weights, teacher-forced on the true target.

    Returns ``{"src", "tgt", "greedy", "weights"}``: the tokens, the model's greedy output (up to
    its ``EOS``, which is left out), and ``weights`` ``(T, S)`` as nested lists, row ``t`` the weights over the source
    while the decoder predicts target token ``t`` (the last row predicts ``EOS``).
    """
    task = ex.make_task(config)
    b = tasks.make_batch([(src, tgt)], task.src_vocab, task.tgt_vocab)
    s, lengths, tgt_in, _ = (torch.from_numpy(a) for a in (b.src, b.src_lengths, b.tgt_in, b.tgt_out))
    model.eval()
    weights = teacher_forced_attention(model, s, lengths, tgt_in)[0]  # (T, S)
    out = model.greedy_decode(s, lengths, len(tgt) + 1)[0].tolist()
    model.train()
    greedy = task.tgt_vocab.decode(out)  # up to, not including, its EOS
    return {"src": list(src), "tgt": list(tgt), "greedy": greedy, "weights": weights.tolist()}


def train_attention(score: str, config: ex.Seq2SeqConfig, seed: int, *, return_model: bool = False) -> dict:
    """One run: :func:`~lstm_tutorial.experiments.seq2seq.train_seq2seq` with the attention model, plus its size."""
    r = ex.train_seq2seq(config, seed, return_model=True, build=partial(build_attention_model, score=score))
    r["n_parameters"] = n_parameters(r["model"])
    if not return_model:
        r.pop("model")
    return r


def length_table(key: str = "free_seq_acc", results: dict | None = None, without: dict | None = None) -> dict:
    """Per source length, median / min / max of ``key`` over the seeds: ``{label: summarise rows}``.

    The first entry, ``WITHOUT`` (``"reverse"``), is chapter 1's cached runs without attention;
    then every config of the attention results.
    """
    results = load_attention_results() if results is None else results
    without = ex.load_seq2seq_results() if without is None else without
    table = {WITHOUT: ex.summarise(without["configs"][WITHOUT]["runs"], key)}
    for label, entry in results["configs"].items():
        table[label] = ex.summarise(entry["runs"], key)
    return table


def run(configs: dict | None = None, seeds: tuple[int, ...] | None = None) -> dict:
    """Every config of ``configs`` (default :data:`CONFIGS`) with each of its seeds (or ``seeds``), with progress."""
    configs = CONFIGS if configs is None else configs
    t0 = time.perf_counter()
    out = {
        "description": "The reverse task of the encoder-decoder chapter under its exact budget, with an additive or "
        "multiplicative attention decoder; token and sequence accuracy per source length (the runs without attention "
        "are seq2seq_results.json's 'reverse').",
        "versions": versions(),
        "without": WITHOUT,
        "configs": {},
    }
    plan = {label: (score, c, c.seeds if seeds is None else seeds) for label, (score, c) in configs.items()}
    total = sum(len(s) for _, _, s in plan.values())
    done = 0
    for label, (score, config, run_seeds) in plan.items():
        runs, alignments = [], []
        for seed in run_seeds:
            r = train_attention(score, config, seed, return_model=True)
            model = r.pop("model")
            if seed == run_seeds[0]:
                test = ex.make_test_set(config)
                for L in ALIGNMENT_LENGTHS:
                    pair = next((p for p in test if len(p[0]) == L), None)
                    if pair is not None:  # a short test set (in tests) has no source this long
                        alignments.append(alignment(model, *pair, config))
            runs.append(r)
            done += 1
            o = r["overall"]
            print(
                f"[{done}/{total}] {label:36s} seed={seed}  loss={r['final_loss']:.4f}  "
                f"token acc tf={o['tf_token_acc']:.3f} free={o['free_token_acc']:.3f}  "
                f"seq acc={o['free_seq_acc']:.3f}  {r['wall_time_s']:.0f}s",
                file=sys.stderr,
                flush=True,
            )
        without = ex.build_model(config, run_seeds[0])
        out["configs"][label] = {
            "score": score,
            "config": ex.config_as_dict(config),
            "seeds": list(run_seeds),
            "n_parameters_without": n_parameters(without),
            "runs": runs,
            "alignments": alignments,
        }
    out["total_wall_time_s"] = round(time.perf_counter() - t0, 1)
    return out


def run_parallel(configs: dict | None = None, seeds: tuple[int, ...] | None = None, jobs: int = 2) -> dict:
    """:func:`run`, one config per process (``jobs`` at a time, each on one thread), merged in ``configs`` order.

    Each run is float64 on one thread with its own batches, so running configs side by side
    changes no number, only the wall time.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    configs = CONFIGS if configs is None else configs
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(run, [{label: c} for label, c in configs.items()], [seeds] * len(configs)))
    out = {**parts[0], "configs": {}}
    for part in parts:
        out["configs"].update(part["configs"])
    out["total_wall_time_s"] = round(time.perf_counter() - t0, 1)
    out["cpu_time_s"] = round(sum(p["total_wall_time_s"] for p in parts), 1)
    return out


def load_attention_results() -> dict:
    """The cached runs (``lstm_tutorial/resources/seq2seq_attention_results.json``), as :func:`run` returns them."""
    return load_results(ATTENTION_RESULTS, made_by="lstm_tutorial.experiments.seq2seq_attention")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the attention runs of CONFIGS and store seq2seq_attention_results.json (minutes, one core)."
    )
    parser.add_argument("--only", nargs="*", default=None, help="labels of CONFIGS to run (default: all)")
    parser.add_argument("--seeds", nargs="*", type=int, default=None, help="seeds (default: the config's, 0 1 2)")
    parser.add_argument("--jobs", type=int, default=1, help="configs trained side by side, one process each")
    args = parser.parse_args(argv)
    configs = CONFIGS if not args.only else {k: CONFIGS[k] for k in args.only}
    seeds = None if args.seeds is None else tuple(args.seeds)
    results = run(configs, seeds) if args.jobs == 1 else run_parallel(configs, seeds, args.jobs)
    path = save_results(ATTENTION_RESULTS, results)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
