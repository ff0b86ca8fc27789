"""The melody experiment of the applications tour: a next-note LSTM in Keras against n-gram baselines.

A small Keras LSTM (:func:`lstm_tutorial.frameworks.keras_models.char_language_model`) learns the
generated melodies of :mod:`lstm_tutorial.data.music` (four bars, A A B A'), and is scored on
held-out melodies in nats per token and by its accuracy on the notes of bar 2, which repeats
bar 1 eight steps earlier: a bigram cannot know them, a model that remembers bar 1 can.

Its float32 training is chaotic: the same seed lands 0.01 nats apart on CPUs whose kernels add
in another order, as far apart as two seeds. So the book does not print a live run's numbers:
:func:`run` trains every configuration over several seeds once, ``python -m
lstm_tutorial.experiments.melody`` stores them in ``resources/part3_melody.json``, and the chapter prints
mean and range from there. ``tests/test_melody.py`` retrains one seed and compares.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from lstm_tutorial.data import baselines, music
from lstm_tutorial.experiments.results import load_checked, script_main, versions

__all__ = [
    "RESULTS",
    "MelodyConfig",
    "DEFAULT_CONFIG",
    "corpus",
    "bar2_accuracy",
    "bigram_bar2_accuracy",
    "train_one",
    "run",
    "load",
    "main",
]

RESULTS = "part3_melody"


BAR2 = slice(7, 15)  # next-token predictions made at steps 8..15 are the notes of bar 2


@dataclass(frozen=True)
class MelodyConfig:
    """Corpus, model and budget of the melody experiment (every field is stored with the results)."""

    n_melodies: int = 600  # generated melodies; the last n_test are held out
    n_test: int = 100
    corpus_seed: int = 0  # seed of music.melody_corpus
    units: int = 32  # H of the LSTM
    embed_dim: int = 8  # token embedding width
    epochs: int = 30
    batch_size: int = 32
    train_sizes: tuple[int, ...] = (500, 50)  # the full training part, and "start small"
    seeds: tuple[int, ...] = field(default=(0, 1, 2))


DEFAULT_CONFIG = MelodyConfig()


def corpus(config: MelodyConfig = DEFAULT_CONFIG) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)`` token ids, ``(n_melodies - n_test, 32)`` and ``(n_test, 32)``."""
    melodies = music.melody_corpus(config.n_melodies, seed=config.corpus_seed)
    return melodies[: -config.n_test], melodies[-config.n_test :]


def bar2_accuracy(pred_next, melodies) -> float:
    """Share of the notes of bar 2 predicted right: ``pred_next (N, 31)`` against ``melodies (N, 32)``."""
    pred_next, melodies = np.asarray(pred_next), np.asarray(melodies)
    if pred_next.shape != (melodies.shape[0], melodies.shape[1] - 1):
        raise ValueError(
            f"pred_next must have shape {(melodies.shape[0], melodies.shape[1] - 1)} "
            f"(one prediction per next token), got {pred_next.shape}"
        )
    return float(np.mean(pred_next[:, BAR2] == melodies[:, 1:][:, BAR2]))


def bigram_bar2_accuracy(train, test, vocab_size: int = len(music.VOCAB)) -> float:
    """Bar-2 accuracy of the bigram's guess: the most frequent successor of each token in ``train``."""
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (train[:, :-1].ravel(), train[:, 1:].ravel()), 1)
    return bar2_accuracy(counts.argmax(1)[test[:, :-1]], test)


def train_one(n_train: int, seed: int, config: MelodyConfig = DEFAULT_CONFIG, *, return_model: bool = False) -> dict:
    """Train the next-note LSTM on the first ``n_train`` training melodies from ``seed``.

    Returns ``{"n_train", "seed", "cross_entropy", "bar2_accuracy", "wall_time_s"}`` (held-out
    nats per token and bar-2 accuracy), plus ``"model"`` if ``return_model``.
    """
    from lstm_tutorial import seed_everything
    from lstm_tutorial.frameworks.keras_models import char_language_model

    train, test = corpus(config)
    if not 1 <= n_train <= len(train):
        raise ValueError(f"n_train must be between 1 and {len(train)} training melodies, got {n_train}")
    seed_everything(seed)
    t0 = time.perf_counter()
    model = char_language_model(len(music.VOCAB), config.units, embed_dim=config.embed_dim)
    model.fit(train[:n_train, :-1], train[:n_train, 1:], epochs=config.epochs, batch_size=config.batch_size, verbose=0)
    ce = float(model.evaluate(test[:, :-1], test[:, 1:], verbose=0))
    pred = np.asarray(model(test[:, :-1], training=False)).argmax(-1)
    out = {
        "n_train": n_train,
        "seed": seed,
        "cross_entropy": ce,
        "bar2_accuracy": bar2_accuracy(pred, test),
        "wall_time_s": round(time.perf_counter() - t0, 2),
    }
    if return_model:
        out["model"] = model
    return out


def run(config: MelodyConfig = DEFAULT_CONFIG, *, progress: bool = True) -> dict:
    """Every training size and seed of ``config``, with the n-gram baselines; JSON-ready."""

    train, test = corpus(config)
    runs = []
    for n in config.train_sizes:
        for seed in config.seeds:
            runs.append(train_one(n, seed, config))
            if progress:
                r = runs[-1]
                print(
                    f"  {n:4d} melodies, seed {seed}: {r['cross_entropy']:.4f} nats/token, bar 2 "
                    f"{r['bar2_accuracy']:.3f} ({r['wall_time_s']:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    baselines = {
        str(n): {
            "unigram": baselines.ngram_cross_entropy(train[:n], test, 1),
            "bigram": baselines.ngram_cross_entropy(train[:n], test, 2),
            "bigram_bar2_accuracy": bigram_bar2_accuracy(train[:n], test),
        }
        for n in config.train_sizes
    }
    return {"config": asdict(config), "runs": runs, "baselines": baselines, "versions": versions()}


def load() -> dict:
    """The stored results (``resources/part3_melody.json``), checked against :data:`DEFAULT_CONFIG`."""
    return load_checked(RESULTS, DEFAULT_CONFIG, made_by="lstm_tutorial.experiments.melody")


def main(argv=None) -> int:
    def quiet():
        from lstm_tutorial.frameworks.keras_models import quiet_keras

        quiet_keras()

    return script_main(
        RESULTS, run, description="Train the melody LSTMs and store part3_melody.json.", argv=argv, setup=quiet
    )


if __name__ == "__main__":
    sys.exit(main())
