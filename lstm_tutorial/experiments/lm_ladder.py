"""The regularisation ladder of an LSTM language model (AWD-LSTM's regularisers, one rung at a time).

Five configurations of :class:`lstm_tutorial.frameworks.awd.AWDLanguageModel`, each adding one
regulariser to the one before (Merity, Keskar and Socher 2018): the plain LSTM, weight tying,
weight dropout on ``U``, embedding dropout, activation regularisation (AR and TAR). Each trains
on the book's corpus over several seeds with one budget, and is scored in nats per character on
a validation and a test part, next to add-``alpha`` n-gram baselines of orders 1 to 5.

The split is the one of the predictive-text and applications chapters: the first 90% of the
corpus trains, the last 10% is held out; here the held-out text is cut in two, its first half
for validation (model selection: the epoch, the n-grams' ``alpha``) and its second half for test.
Text is read as the applications chapter reads it (:func:`~lstm_tutorial.data.text.next_char_chunks`,
chunks of 64 characters, each from a zero state).

Training is float32 and chaotic (another CPU's kernels land the same seed elsewhere), so
``python -m lstm_tutorial.experiments.lm_ladder`` runs it once into
``resources/part3_lm_ladder.json`` and the chapter prints from the file;
``tests/experiments/test_lm_ladder.py`` retrains one rung and seed and compares.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from lstm_tutorial.data import baselines
from lstm_tutorial.data.text import CharVocab, load_corpus, next_char_chunks, split_text
from lstm_tutorial.experiments.results import load_checked, script_main, versions

__all__ = [
    "RESULTS",
    "RUNGS",
    "LadderConfig",
    "DEFAULT_CONFIG",
    "LadderData",
    "load_data",
    "rung_settings",
    "ngram_baselines",
    "train_one",
    "run",
    "load",
    "summarise",
    "main",
]

RESULTS = "part3_lm_ladder"

#: the rungs, in order; each adds one regulariser to the previous one
RUNGS = ("plain", "tied", "weight_drop", "embed_drop", "ar_tar")


@dataclass(frozen=True)
class LadderConfig:
    """Data, model, budget and regularisation strengths of the ladder (all stored with the results)."""

    heldout_fraction: float = 0.1  # the last 10% of the corpus, as in the other chapters
    seq_len: int = 64  # characters per training chunk (applications chapter)
    hidden_size: int = 128  # H, and the embedding width (so tying needs no projection)
    batch_size: int = 32
    epochs: int = 30  # the budget: every rung gets the same number of passes
    learning_rate: float = 3e-3  # Adam
    clip: float = 1.0  # gradient-norm clipping
    weight_dropout: float = 0.25  # DropConnect on U
    embedding_dropout: float = 0.1  # probability of dropping a character type
    ar_alpha: float = 2.0  # AR coefficient (AWD-LSTM's default)
    tar_beta: float = 1.0  # TAR coefficient (AWD-LSTM's default)
    seeds: tuple[int, ...] = field(default=(0, 1, 2))
    ngram_orders: tuple[int, ...] = (1, 2, 3, 4, 5)
    ngram_alphas: tuple[float, ...] = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003)  # chosen on validation


DEFAULT_CONFIG = LadderConfig()


@dataclass(frozen=True)
class LadderData:
    """The vocabulary, the three id streams, and their ``(inputs, targets)`` chunks ``(N, L)``."""

    vocab: CharVocab
    streams: dict  # "train" / "valid" / "test" -> 1-D int64 ids
    chunks: dict  # same keys -> (inputs, targets)


def load_data(config: LadderConfig = DEFAULT_CONFIG) -> LadderData:
    """The corpus split into train (first 90%), valid and test (the two halves of the last 10%)."""
    text = load_corpus()
    vocab = CharVocab(text)
    train, heldout = split_text(text, config.heldout_fraction)
    valid, test = split_text(heldout, 0.5)
    streams = {k: vocab.encode(s) for k, s in (("train", train), ("valid", valid), ("test", test))}
    chunks = {k: next_char_chunks(ids, config.seq_len) for k, ids in streams.items()}
    return LadderData(vocab, streams, chunks)


def rung_settings(rung: str, config: LadderConfig = DEFAULT_CONFIG) -> dict:
    """The model and loss settings of ``rung``: everything the rungs before it switched on, plus its own."""
    if rung not in RUNGS:
        raise ValueError(f"rung must be one of {RUNGS}, got {rung!r}")
    level = RUNGS.index(rung)
    return {
        "tie_weights": level >= 1,
        "weight_dropout": config.weight_dropout if level >= 2 else 0.0,
        "embedding_dropout": config.embedding_dropout if level >= 3 else 0.0,
        "ar_alpha": config.ar_alpha if level >= 4 else 0.0,
        "tar_beta": config.tar_beta if level >= 4 else 0.0,
    }


def ngram_baselines(data: LadderData, config: LadderConfig = DEFAULT_CONFIG) -> dict:
    """Add-``alpha`` n-grams of each order: ``alpha`` chosen on valid, scored on valid, test and train."""
    V = len(data.vocab)
    s = data.streams
    out = {}
    for order in config.ngram_orders:
        valid = {
            a: baselines.char_ngram_cross_entropy(s["train"], s["valid"], V, order, a) for a in config.ngram_alphas
        }
        alpha = min(valid, key=valid.get)
        out[str(order)] = {
            "alpha": alpha,
            "valid": valid[alpha],
            "test": baselines.char_ngram_cross_entropy(s["train"], s["test"], V, order, alpha),
            "train": baselines.char_ngram_cross_entropy(s["train"], s["train"], V, order, alpha),
        }
    return out


def _evaluate(model, inputs, targets, batch_size: int) -> float:
    """Mean cross-entropy (nats per character) of ``model`` in eval mode over all chunks."""
    import torch
    import torch.nn.functional as F

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            x = torch.from_numpy(inputs[start : start + batch_size])
            y = torch.from_numpy(targets[start : start + batch_size])
            logits = model(x).logits
            total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"))
            count += y.numel()
    return total / count


def train_one(rung: str, seed: int, config: LadderConfig = DEFAULT_CONFIG, *, data: LadderData | None = None) -> dict:
    """Train ``rung`` from ``seed`` for ``config.epochs`` passes on one thread.

    After each pass the model is scored (eval mode, so without any regulariser) on train, valid
    and test. Returns the curves ``train``/``valid``/``test`` (nats per character, one value per
    pass), ``best_epoch`` (1-based, lowest valid: early stopping as model selection), and the
    three losses at that epoch and at the last one.
    """
    import torch

    from lstm_tutorial import seed_everything
    from lstm_tutorial.frameworks.awd import AWDLanguageModel, awd_loss
    from lstm_tutorial.repro import limit_threads

    settings = rung_settings(rung, config)
    data = data or load_data(config)
    x_tr, y_tr = (torch.from_numpy(a) for a in data.chunks["train"])
    curves = {"train": [], "valid": [], "test": []}
    t0 = time.perf_counter()
    with limit_threads(1):
        seed_everything(seed)
        model = AWDLanguageModel(
            len(data.vocab),
            config.hidden_size,
            tie_weights=settings["tie_weights"],
            weight_dropout=settings["weight_dropout"],
            embedding_dropout=settings["embedding_dropout"],
        )
        opt = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        for _ in range(config.epochs):
            model.train()
            order = torch.randperm(len(x_tr))
            for start in range(0, len(order), config.batch_size):
                idx = order[start : start + config.batch_size]
                loss = awd_loss(
                    model(x_tr[idx]), y_tr[idx], ar_alpha=settings["ar_alpha"], tar_beta=settings["tar_beta"]
                )
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
                opt.step()
            for part in curves:
                curves[part].append(_evaluate(model, *data.chunks[part], 256))
    best = int(np.argmin(curves["valid"]))
    return {
        "rung": rung,
        "seed": seed,
        "n_params": sum(p.numel() for p in model.parameters()),
        "best_epoch": best + 1,
        "best": {k: v[best] for k, v in curves.items()},
        "last": {k: v[-1] for k, v in curves.items()},
        "curves": curves,
        "wall_time_s": round(time.perf_counter() - t0, 2),
    }


def run(config: LadderConfig = DEFAULT_CONFIG, *, progress: bool = True) -> dict:
    """Every rung and seed of ``config``, with the n-gram baselines; JSON-ready."""
    data = load_data(config)
    runs = []
    for rung in RUNGS:
        for seed in config.seeds:
            r = train_one(rung, seed, config, data=data)
            runs.append(r)
            if progress:
                print(
                    f"  {rung:12s} seed {seed}: valid {r['best']['valid']:.4f} (epoch {r['best_epoch']}), "
                    f"test {r['best']['test']:.4f}, train {r['best']['train']:.4f} nats/char "
                    f"({r['wall_time_s']:.0f} s; {len(runs)}/{len(RUNGS) * len(config.seeds)})",
                    file=sys.stderr,
                    flush=True,
                )
    sizes = {k: int(v[1].size) for k, v in data.chunks.items()}
    return {
        "config": asdict(config),
        "vocab_size": len(data.vocab),
        "n_predicted": sizes,
        "runs": runs,
        "ngram": ngram_baselines(data, config),
        "versions": versions(),
    }


def load() -> dict:
    """The stored results (``resources/part3_lm_ladder.json``), checked against :data:`DEFAULT_CONFIG`."""
    return load_checked(RESULTS, DEFAULT_CONFIG, made_by="lstm_tutorial.experiments.lm_ladder")


def summarise(results: dict, at: str = "best") -> list[dict]:
    """One row per rung: mean, min and max over seeds of valid, test, train and the gap valid - train.

    ``at`` is ``"best"`` (the epoch of lowest valid loss) or ``"last"`` (the end of the budget).
    """
    if at not in ("best", "last"):
        raise ValueError(f"at must be 'best' or 'last', got {at!r}")
    rows = []
    for rung in RUNGS:
        runs = [r for r in results["runs"] if r["rung"] == rung]
        if not runs:
            continue
        row = {"rung": rung, "n_seeds": len(runs)}
        for key in ("valid", "test", "train", "gap"):
            v = np.array([r[at]["valid"] - r[at]["train"] if key == "gap" else r[at][key] for r in runs])
            row[key] = {"mean": float(v.mean()), "min": float(v.min()), "max": float(v.max())}
        row["best_epoch"] = [r["best_epoch"] for r in runs]
        rows.append(row)
    return rows


def main(argv=None) -> int:
    return script_main(
        RESULTS, run, description="Train the LM regularisation ladder and store part3_lm_ladder.json.", argv=argv
    )


if __name__ == "__main__":
    sys.exit(main())
