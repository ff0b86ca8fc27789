"""The encoder-decoder experiment: exposure bias and the fixed-vector bottleneck, under one budget.

One model (:class:`lstm_tutorial.frameworks.seq2seq.Seq2Seq`, float64, one thread) is trained
with teacher forcing on one task of :mod:`lstm_tutorial.data.seq2seq`, then evaluated on a fixed
test set two ways:

- **teacher-forced**: at every position the decoder reads the true previous token; a token is
  right if the arg-max of its logits is the target;
- **free-running**: :meth:`~lstm_tutorial.frameworks.seq2seq.Seq2Seq.greedy_decode` reads its
  own previous prediction; a token is right if the decoded token at that position is the
  target (a missing or extra token counts as wrong).

Token accuracy counts every target position including the final ``EOS``; sequence accuracy
counts sources whose whole output (and its length) is right. Greedy sequence accuracy equals
teacher-forced sequence accuracy exactly (if every arg-max under teacher forcing is right, the
free-running decoder reads the same tokens), so exposure bias shows in *token* accuracy: after
a first mistake, the free-running decoder continues from a prefix it never saw in training.

Every number is reported per source length, next to two baselines: chance per token
(``1 / n_symbols`` for copy and reverse) and the template baseline
(:func:`lstm_tutorial.data.seq2seq.majority_output`: the same output for every source, the most
frequent token at each position of the training targets).

- :class:`Seq2SeqConfig`: the budget (frozen); :data:`CONFIGS`: the runs of the results file.
- :func:`make_task`, :func:`batches`, :func:`make_test_set`: data; :func:`build_model`.
- :func:`train_seq2seq`: one (config, seed) run through
  :func:`lstm_tutorial.frameworks.training.train_torch`; :func:`score` and :func:`by_length`
  evaluate; :func:`summarise` gives median, min and max over seeds.
- :func:`run` / :func:`main` write ``resources/seq2seq_results.json``
  (``python -m lstm_tutorial.experiments.seq2seq``, or ``scripts/make_seq2seq_results.py``);
  :func:`load_seq2seq_results` reads it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial

import numpy as np
import torch

from lstm_tutorial.data import seq2seq as tasks
from lstm_tutorial.experiments.results import load_results, save_results, versions
from lstm_tutorial.frameworks.seq2seq import Decoder, Encoder, Seq2Seq, seq2seq_loss
from lstm_tutorial.frameworks.training import train_torch, warmup_cosine
from lstm_tutorial.repro import limit_threads

__all__ = [
    "SEQ2SEQ_RESULTS",
    "TASKS",
    "Seq2SeqConfig",
    "CONFIGS",
    "Task",
    "make_task",
    "batches",
    "make_test_set",
    "build_model",
    "score",
    "score_fixed_output",
    "by_length",
    "train_seq2seq",
    "summarise",
    "run",
    "main",
    "load_seq2seq_results",
]

SEQ2SEQ_RESULTS = "seq2seq_results"
TASKS = ("copy", "reverse", "dates")


@dataclass(frozen=True)
class Seq2SeqConfig:
    """The budget of one run; every field is stored with the results and printed by the chapter."""

    task: str = "reverse"  # "copy", "reverse" or "dates"
    steps: int = 1500  # optimiser steps, a fresh batch each step
    batch_size: int = 64  # pairs per step
    embed_dim: int = 32  # E, source and target embeddings
    hidden_size: int = 64  # H, encoder and decoder: the size of the one vector between them
    lr: float = 3e-3  # Adam peak learning rate
    warmup: int = 100  # linear warm-up steps, then cosine decay to 0 at `steps`
    clip: float = 1.0  # global gradient-norm clip
    n_symbols: int = 10  # copy and reverse: symbols per position (chance 1 / n_symbols)
    train_lengths: tuple[int, int] = (1, 16)  # copy and reverse: source lengths drawn uniformly, inclusive
    test_lengths: tuple[int, int] = (1, 24)  # copy and reverse: every length tested, past the trained ones
    n_test: int = 100  # test pairs per length (copy, reverse) or in all (dates: 20 x this)
    seeds: tuple[int, ...] = (0, 1, 2)  # weights and training batches; the test set is fixed
    dtype: str = "float64"  # float64: a rerun on one machine repeats exactly
    num_threads: int = 1  # torch threads

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        for name in ("steps", "batch_size", "embed_dim", "hidden_size", "n_test", "num_threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name in ("train_lengths", "test_lengths"):
            lo, hi = getattr(self, name)
            if not 1 <= lo <= hi:
                raise ValueError(f"{name} must be (min, max) with 1 <= min <= max, got {(lo, hi)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if not self.seeds:
            raise ValueError("seeds must hold at least one seed")


#: The runs of the results file: label -> config (each trained with every one of its seeds).
CONFIGS = {
    "copy": Seq2SeqConfig(task="copy"),
    "reverse": Seq2SeqConfig(task="reverse"),
    "reverse, H = 128": Seq2SeqConfig(task="reverse", hidden_size=128),
    "dates": Seq2SeqConfig(task="dates"),
}


@dataclass(frozen=True)
class Task:
    """A task's vocabularies and its pair generator ``pairs(rng, n, lengths)``."""

    name: str
    src_vocab: tasks.Vocab
    tgt_vocab: tasks.Vocab
    pairs: object = field(repr=False)
    chance: float | None  # chance accuracy per target token, if it has a simple closed form


def make_task(config: Seq2SeqConfig) -> Task:
    """The vocabularies and generator of ``config.task``."""
    if config.task == "dates":
        src_vocab, tgt_vocab = tasks.date_vocabs()
        return Task("dates", src_vocab, tgt_vocab, lambda rng, n, lengths=None: tasks.date_pairs(rng, n), None)
    vocab = tasks.symbol_vocab(config.n_symbols)
    gen = tasks.copy_pairs if config.task == "copy" else tasks.reverse_pairs
    return Task(config.task, vocab, vocab, partial(gen, n_symbols=config.n_symbols), 1 / config.n_symbols)


def _tensors(batch: tasks.Seq2SeqBatch) -> tuple[torch.Tensor, ...]:
    """``(src, src_lengths, tgt_in, tgt_out)``: ``train_torch`` calls ``model(src, src_lengths, tgt_in)``."""
    return tuple(torch.from_numpy(a) for a in (batch.src, batch.src_lengths, batch.tgt_in, batch.tgt_out))


def batches(config: Seq2SeqConfig, seed: int) -> Iterator[tuple[torch.Tensor, ...]]:
    """The training batches of one seed, ``config.steps`` of them, drawn from ``default_rng([1, seed])``."""
    task = make_task(config)
    rng = np.random.default_rng([1, seed])
    lengths = np.arange(config.train_lengths[0], config.train_lengths[1] + 1)
    for _ in range(config.steps):
        yield _tensors(tasks.make_batch(task.pairs(rng, config.batch_size, lengths), task.src_vocab, task.tgt_vocab))


def make_test_set(config: Seq2SeqConfig) -> list[tuple[list[str], list[str]]]:
    """The fixed test pairs (``default_rng([2, 0])``, whatever the seed).

    Copy and reverse: ``n_test`` pairs at every length in ``test_lengths``; dates: ``20 n_test``
    dates, whose source lengths (6 to 8 words) come as they fall.
    """
    task = make_task(config)
    rng = np.random.default_rng([2, 0])
    if config.task == "dates":
        return task.pairs(rng, 20 * config.n_test)
    lo, hi = config.test_lengths
    return [p for L in range(lo, hi + 1) for p in task.pairs(rng, config.n_test, [L])]


def build_model(config: Seq2SeqConfig, seed: int) -> Seq2Seq:
    """A fresh model in ``config.dtype``, its weights drawn after ``torch.manual_seed(seed)``."""
    task = make_task(config)
    torch.manual_seed(seed)
    model = Seq2Seq(
        Encoder(len(task.src_vocab), config.embed_dim, config.hidden_size),
        Decoder(len(task.tgt_vocab), config.embed_dim, config.hidden_size),
    )
    return model.to(getattr(torch, config.dtype))


def score(model: Seq2Seq, pairs, src_vocab: tasks.Vocab, tgt_vocab: tasks.Vocab, *, chunk: int = 500) -> dict:
    """Per-pair counts, teacher-forced and free-running, as int arrays over the pairs.

    ``tokens``: target tokens + 1 (the ``EOS``); ``tf_correct`` / ``free_correct``: how many of
    them are right; ``tf_exact`` / ``free_exact``: 1 if all are; ``src_length``. The greedy
    decoder gets as many steps as the target needs, plus one.
    """
    model.eval()
    out: dict[str, list] = {k: [] for k in ("src_length", "tokens", "tf_correct", "free_correct")}
    with torch.no_grad():
        for start in range(0, len(pairs), chunk):
            b = tasks.make_batch(pairs[start : start + chunk], src_vocab, tgt_vocab)
            src, src_lengths, tgt_in, tgt_out = _tensors(b)
            real = tgt_out != tasks.Vocab.pad_id  # (B, T)
            tf = model(src, src_lengths, tgt_in).argmax(-1) == tgt_out  # (B, T)
            free = model.greedy_decode(src, src_lengths, tgt_out.shape[1])  # (B, T)
            out["src_length"].append(b.src_lengths)
            out["tokens"].append(real.sum(1).numpy())
            out["tf_correct"].append((tf & real).sum(1).numpy())
            out["free_correct"].append(((free == tgt_out) & real).sum(1).numpy())
    model.train()
    res = {k: np.concatenate(v).astype(np.int64) for k, v in out.items()}
    res["tf_exact"] = (res["tf_correct"] == res["tokens"]).astype(np.int64)
    res["free_exact"] = (res["free_correct"] == res["tokens"]).astype(np.int64)
    return res


def score_fixed_output(output: Sequence[str], pairs) -> dict:
    """The counts of :func:`score` for a baseline that answers every source with ``output``."""
    answer = [*output, tasks.EOS]
    tokens, correct = [], []
    for _, tgt in pairs:
        want = [*tgt, tasks.EOS]
        tokens.append(len(want))
        correct.append(sum(a == w for a, w in zip(answer, want)))
    tokens, correct = np.array(tokens), np.array(correct)
    lengths = np.array([len(src) for src, _ in pairs])
    return {"src_length": lengths, "tokens": tokens, "correct": correct, "exact": (correct == tokens).astype(np.int64)}


def by_length(counts: dict) -> list[dict]:
    """Aggregate per-pair counts by source length: token and sequence accuracies, one row per length."""
    rows = []
    for L in np.unique(counts["src_length"]):
        m = counts["src_length"] == L
        row = {"length": int(L), "n": int(m.sum())}
        for key in counts:
            if key.endswith("correct"):
                row[key.replace("correct", "token_acc")] = float(counts[key][m].sum() / counts["tokens"][m].sum())
            elif key.endswith("exact"):
                row[key.replace("exact", "seq_acc")] = float(counts[key][m].mean())
        rows.append(row)
    return rows


def _overall(counts: dict) -> dict:
    out = {}
    for key in counts:
        if key.endswith("correct"):
            out[key.replace("correct", "token_acc")] = float(counts[key].sum() / counts["tokens"].sum())
        elif key.endswith("exact"):
            out[key.replace("exact", "seq_acc")] = float(counts[key].mean())
    return out


def train_seq2seq(
    config: Seq2SeqConfig, seed: int, *, return_model: bool = False, progress: bool = False, build=None
) -> dict:
    """Train one model under ``config`` with one seed and evaluate it on :func:`make_test_set`.

    Adam with the :func:`~lstm_tutorial.frameworks.training.warmup_cosine` schedule, gradient
    clipping, cross-entropy over the real target tokens (teacher forcing), one thread.
    ``build(config, seed)`` makes the model (default :func:`build_model`; the attention
    experiment passes its own, so both train under exactly this loop and budget).

    Returns ``{"seed", "final_loss", "overall", "by_length", "wall_time_s"}`` (``overall`` and each
    row of ``by_length``: ``tf_token_acc``, ``free_token_acc``, ``tf_seq_acc``, ``free_seq_acc``),
    plus ``"model"`` if ``return_model``.
    """
    task = make_task(config)
    t0 = time.perf_counter()
    with limit_threads(config.num_threads, blas=False):
        model = (build_model if build is None else build)(config, seed)
        history = train_torch(
            model,
            batches(config, seed),
            seq2seq_loss,
            steps=config.steps,
            lr=config.lr,
            clip=config.clip,
            lr_schedule=partial(warmup_cosine, peak=config.lr, warmup=config.warmup, total=config.steps),
            progress=progress,
            decimals=None,
        )
        counts = score(model, make_test_set(config), task.src_vocab, task.tgt_vocab)
    out = {
        "seed": seed,
        "final_loss": float(np.mean(history["loss"][-50:])),
        "overall": _overall(counts),
        "by_length": by_length(counts),
        "wall_time_s": round(time.perf_counter() - t0, 1),
    }
    if return_model:
        out["model"] = model
    return out


def baselines(config: Seq2SeqConfig) -> dict:
    """The template baseline (fitted on 2,000 training pairs of seed 0) and chance, on :func:`make_test_set`."""
    task = make_task(config)
    rng = np.random.default_rng([1, 0])
    lengths = np.arange(config.train_lengths[0], config.train_lengths[1] + 1)
    template = tasks.majority_output([t for _, t in task.pairs(rng, 2000, lengths)])
    counts = score_fixed_output(template, make_test_set(config))
    return {
        "template": template,
        "chance_token_acc": task.chance,
        "template_overall": _overall(counts),
        "template_by_length": by_length(counts),
    }


def summarise(runs: list[dict], key: str) -> list[dict]:
    """Per source length: median, min and max of ``key`` (e.g. ``"free_token_acc"``) over the runs (seeds)."""
    table: dict[int, list[float]] = {}
    for r in runs:
        for row in r["by_length"]:
            table.setdefault(row["length"], []).append(row[key])
    return [
        {
            "length": L,
            "n_seeds": len(v),
            "median": float(np.median(v)),
            "min": float(np.min(v)),
            "max": float(np.max(v)),
        }
        for L, v in sorted(table.items())
    ]


def config_as_dict(config: Seq2SeqConfig) -> dict:
    """The config as a JSON-ready dict (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}


def config_from_dict(d: dict) -> Seq2SeqConfig:
    """Inverse of :func:`config_as_dict`."""
    return replace(Seq2SeqConfig(), **{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def run(configs: dict[str, Seq2SeqConfig] | None = None) -> dict:
    """Every config of ``configs`` (default :data:`CONFIGS`) with every one of its seeds, printing progress."""
    configs = CONFIGS if configs is None else configs
    t0 = time.perf_counter()
    out = {
        "description": "Encoder-decoder LSTMs trained with teacher forcing; token and sequence accuracy on a fixed "
        "test set, teacher-forced and free-running (greedy), per source length, with chance and template baselines.",
        "versions": versions(),
        "configs": {},
    }
    total = sum(len(c.seeds) for c in configs.values())
    done = 0
    for label, config in configs.items():
        runs = []
        for seed in config.seeds:
            r = train_seq2seq(config, seed)
            runs.append(r)
            done += 1
            o = r["overall"]
            print(
                f"[{done}/{total}] {label:18s} seed={seed}  loss={r['final_loss']:.4f}  "
                f"token acc tf={o['tf_token_acc']:.3f} free={o['free_token_acc']:.3f}  "
                f"seq acc={o['free_seq_acc']:.3f}  {r['wall_time_s']:.0f}s",
                file=sys.stderr,
                flush=True,
            )
        out["configs"][label] = {"config": config_as_dict(config), **baselines(config), "runs": runs}
    out["total_wall_time_s"] = round(time.perf_counter() - t0, 1)
    return out


def load_seq2seq_results() -> dict:
    """The cached runs (``lstm_tutorial/resources/seq2seq_results.json``), as :func:`run` returns them.

    ``configs`` maps a label of :data:`CONFIGS` to ``config`` (the :class:`Seq2SeqConfig` fields),
    the baselines (``template``, ``chance_token_acc``, ``template_overall``, ``template_by_length``)
    and ``runs`` (one dict per seed, as :func:`train_seq2seq` returns it).
    """
    return load_results(SEQ2SEQ_RESULTS, made_by="lstm_tutorial.experiments.seq2seq")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the encoder-decoder runs of CONFIGS and store seq2seq_results.json (minutes on one core)."
    )
    parser.add_argument("--only", nargs="*", default=None, help="labels of CONFIGS to run (default: all)")
    args = parser.parse_args(argv)
    configs = CONFIGS if not args.only else {k: CONFIGS[k] for k in args.only}
    path = save_results(SEQ2SEQ_RESULTS, run(configs))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
