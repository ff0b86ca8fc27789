"""The comparisons of the architectures chapter, several seeds each, under stated budgets.

Two experiments, each with a frozen config that is stored with the results:

- **Depth, width and direction** (:class:`TaggerConfig`): word segmentation of the book's
  corpus (:mod:`lstm_tutorial.data.segmentation`). Every architecture of :data:`ARCHITECTURES`
  (1, 2 or 3 stacked layers, one direction or both) gets the width ``H`` that brings its
  :class:`~lstm_tutorial.frameworks.architectures.Tagger` nearest to one parameter budget, is
  trained for the same number of steps on the same batches, and is scored on the held-out
  words; the count-context baselines are scored on the same letters.
- **Variable lengths** (:class:`VowelsConfig`): speaker recognition on the Japanese Vowels
  records (:mod:`lstm_tutorial.data.vowels`), a PyTorch classifier that packs the padded batch
  and a Keras classifier that masks it, both one LSTM layer of ``H`` units trained for the same
  epochs, against the majority class and two order-blind baselines on each sequence's mean frame.

:func:`run` / :func:`main` write ``resources/architectures_results.json``
(``python -m lstm_tutorial.experiments.architectures``, about four minutes on one core);
:func:`load_architectures_results` reads it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lstm_tutorial.data import segmentation as seg
from lstm_tutorial.data.classification import pad_sequences
from lstm_tutorial.data.vowels import N_COEFFICIENTS, N_SPEAKERS, load_japanese_vowels, mean_frame_features
from lstm_tutorial.experiments.results import load_results, save_results, versions
from lstm_tutorial.frameworks.architectures import Tagger, tagger_parameter_count, width_for_budget
from lstm_tutorial.frameworks.torch_models import SequenceClassifier
from lstm_tutorial.repro import limit_threads, seed_everything

__all__ = [
    "ARCHITECTURES_RESULTS",
    "ARCHITECTURES",
    "TaggerConfig",
    "VowelsConfig",
    "tagger_widths",
    "train_tagger",
    "tagger_baselines",
    "vowels_arrays",
    "train_vowels_torch",
    "train_vowels_keras",
    "vowels_baselines",
    "summarise",
    "run",
    "main",
    "load_architectures_results",
]

ARCHITECTURES_RESULTS = "architectures_results"

#: label -> (stacked layers L, bidirectional)
ARCHITECTURES = {
    "1 layer": (1, False),
    "2 layers": (2, False),
    "3 layers": (3, False),
    "bidirectional, 1 layer": (1, True),
    "bidirectional, 2 layers": (2, True),
}


@dataclass(frozen=True)
class TaggerConfig:
    """The budget of the segmentation runs: one parameter count, one number of steps."""

    budget: int = 29_800  # parameters of every tagger (each within 1% of it; see tagger_widths)
    embed_dim: int = 16  # E
    seq_len: int = 64  # T, letters per training and test window
    batch_size: int = 32  # windows per step, drawn at random from the training windows
    steps: int = 800  # Adam steps, the same for every architecture
    lr: float = 3e-3  # Adam learning rate
    clip: float = 1.0  # global gradient-norm clip
    seeds: tuple[int, ...] = (0, 1, 2)  # initial weights and batches
    num_threads: int = 1  # torch threads


@dataclass(frozen=True)
class VowelsConfig:
    """The budget of the Japanese Vowels runs, the same in PyTorch and in Keras."""

    hidden_size: int = 32  # H
    epochs: int = 40  # passes over the 270 training utterances
    batch_size: int = 30  # utterances per step (9 steps per epoch)
    lr: float = 3e-3  # Adam learning rate
    seeds: tuple[int, ...] = (0, 1, 2)  # initial weights and shuffling
    num_threads: int = 1  # torch threads


def tagger_widths(config: TaggerConfig) -> dict[str, dict]:
    """For each architecture: ``{"layers", "bidirectional", "H", "params"}`` at ``config.budget``."""
    out = {}
    for label, (L, bi) in ARCHITECTURES.items():
        H = width_for_budget(config.budget, len(seg.LETTERS), config.embed_dim, 2, L, bi)
        out[label] = {
            "layers": L,
            "bidirectional": bi,
            "H": H,
            "params": tagger_parameter_count(len(seg.LETTERS), config.embed_dim, H, 2, L, bi),
        }
    return out


def _predict(model: Tagger, ids: np.ndarray) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(ids)).argmax(-1).numpy()  # (n, T)


def train_tagger(config: TaggerConfig, label: str, seed: int) -> dict:
    """Train architecture ``label`` with ``seed``; score it on the test windows.

    Returns ``{"label", "seed", "H", "params", "accuracy", "f1", "final_loss"}``.
    """
    L, bi = ARCHITECTURES[label]
    H = tagger_widths(config)[label]["H"]
    data = seg.segmentation_data()
    X, Y = seg.windows(data.train_ids, config.seq_len), seg.windows(data.train_tags, config.seq_len)
    X_test, Y_test = seg.windows(data.test_ids, config.seq_len), seg.windows(data.test_tags, config.seq_len)
    with limit_threads(config.num_threads, blas=False):
        seed_everything(seed)
        model = Tagger(len(seg.LETTERS), config.embed_dim, H, 2, L, bi)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        rng = np.random.default_rng(seed)
        for _ in range(config.steps):
            idx = rng.integers(0, len(X), config.batch_size)
            logits = model(torch.from_numpy(X[idx]))  # (B, T, 2)
            loss = F.cross_entropy(logits.flatten(0, 1), torch.from_numpy(Y[idx]).flatten())
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
        scores = seg.tag_scores(Y_test, _predict(model, X_test))
    params = sum(p.numel() for p in model.parameters())
    return {"label": label, "seed": seed, "H": H, "params": params, **scores, "final_loss": float(loss.detach())}


def tagger_baselines(config: TaggerConfig) -> dict[str, dict]:
    """Majority tag and count-context baselines, scored on the same test windows as the taggers."""
    data = seg.segmentation_data()
    n = len(seg.windows(data.test_ids, config.seq_len)) * config.seq_len  # the letters the taggers see
    out = {}
    for label, (left, right) in {
        "majority tag": (0, 0),
        "counts, 3 letters before": (3, 0),
        "counts, 2 before and 2 after": (2, 2),
    }.items():
        if (left, right) == (0, 0):
            pred = np.full(n, int(np.bincount(data.train_tags).argmax()))
        else:
            pred = seg.context_count_baseline(data.train_ids, data.train_tags, data.test_ids, left=left, right=right)[
                :n
            ]
        out[label] = seg.tag_scores(data.test_tags[:n], pred)
    return out


def vowels_arrays():
    """Padded, standardised Japanese Vowels data: ``(x_train, len_train, y_train, x_test, len_test, y_test)``.

    Each coefficient is standardised with the mean and standard deviation of the training frames;
    padding (after each utterance) is exactly 0.0, which no real frame is (checked).
    """
    train, y_train = load_japanese_vowels("train")
    test, y_test = load_japanese_vowels("test")
    frames = np.concatenate(train)
    mean, std = frames.mean(axis=0), frames.std(axis=0)
    x_train, len_train, _ = pad_sequences([(s - mean) / std for s in train])
    x_test, len_test, _ = pad_sequences([(s - mean) / std for s in test])
    for x, lengths in ((x_train, len_train), (x_test, len_test)):
        real = np.arange(x.shape[1])[None, :] < lengths[:, None]
        if np.any(np.all(x[real] == 0.0, axis=-1)):
            raise ValueError("a real frame is all zeros and would be masked as padding")
    return x_train, len_train, y_train, x_test, len_test, y_test


def train_vowels_torch(config: VowelsConfig, seed: int) -> dict:
    """A packing ``SequenceClassifier`` trained with ``seed``: ``{"seed", "accuracy", "final_loss"}``."""
    from lstm_tutorial.frameworks.training import train_torch

    x_train, len_train, y_train, x_test, len_test, y_test = vowels_arrays()
    with limit_threads(config.num_threads, blas=False):
        seed_everything(seed)
        model = SequenceClassifier(N_COEFFICIENTS, config.hidden_size, N_SPEAKERS)
        history = train_torch(
            model,
            (x_train.astype(np.float32), len_train, y_train),
            F.cross_entropy,
            epochs=config.epochs,
            batch_size=config.batch_size,
            lr=config.lr,
            progress=False,
        )
        model.eval()
        with torch.no_grad():
            pred = model(torch.from_numpy(x_test.astype(np.float32)), torch.from_numpy(len_test)).argmax(-1).numpy()
    return {"seed": seed, "accuracy": float(np.mean(pred == y_test)), "final_loss": history["loss"][-1]}


def train_vowels_keras(config: VowelsConfig, seed: int) -> dict:
    """A masking Keras ``sequence_classifier`` trained with ``seed``: ``{"seed", "accuracy", "final_loss"}``."""
    from lstm_tutorial.frameworks.keras_models import quiet_keras, sequence_classifier

    quiet_keras()
    x_train, _, y_train, x_test, _, y_test = vowels_arrays()
    seed_everything(seed)
    model = sequence_classifier(
        N_SPEAKERS,
        input_shape=(None, N_COEFFICIENTS),
        units=config.hidden_size,
        mask_value=0.0,
        learning_rate=config.lr,
    )
    history = model.fit(
        x_train.astype(np.float32), y_train, epochs=config.epochs, batch_size=config.batch_size, shuffle=True, verbose=0
    )
    pred = model.predict(x_test.astype(np.float32), verbose=0).argmax(-1)
    return {"seed": seed, "accuracy": float(np.mean(pred == y_test)), "final_loss": float(history.history["loss"][-1])}


def vowels_baselines() -> dict[str, float]:
    """Test accuracy of the majority training class and of two classifiers on the mean frame."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import NearestCentroid

    train, y_train = load_japanese_vowels("train")
    test, y_test = load_japanese_vowels("test")
    a, b = mean_frame_features(train), mean_frame_features(test)
    logistic = LogisticRegression(max_iter=5000).fit(a, y_train)
    return {
        "majority class": float(np.mean(y_test == np.bincount(y_train).argmax())),
        "nearest centroid, mean frame": float(NearestCentroid().fit(a, y_train).score(b, y_test)),
        "logistic regression, mean frame": float(logistic.score(b, y_test)),
    }


def summarise(values) -> dict:
    """``{"mean", "min", "max"}`` of a list of numbers."""
    values = np.asarray(values, dtype=np.float64)
    return {"mean": float(values.mean()), "min": float(values.min()), "max": float(values.max())}


def run(tagger: TaggerConfig = TaggerConfig(), vowels: VowelsConfig = VowelsConfig(), *, parts=("tagger", "vowels")):
    """Every run of both experiments, with progress on stderr; the results file's dict."""
    out = {"versions": {}, "seconds": {}}
    if "tagger" in parts:
        start = time.perf_counter()
        runs = []
        for label in ARCHITECTURES:
            for seed in tagger.seeds:
                runs.append(train_tagger(tagger, label, seed))
                print(f"tagger {label!r} seed {seed}: f1 {runs[-1]['f1']:.3f}", file=sys.stderr)
        out["tagger"] = {
            "config": asdict(tagger),
            "widths": tagger_widths(tagger),
            "runs": runs,
            "baselines": tagger_baselines(tagger),
        }
        out["seconds"]["tagger"] = round(time.perf_counter() - start, 1)
    if "vowels" in parts:
        start = time.perf_counter()
        runs = {"pytorch, packed": [], "keras, masked": []}
        for seed in vowels.seeds:
            runs["pytorch, packed"].append(train_vowels_torch(vowels, seed))
            runs["keras, masked"].append(train_vowels_keras(vowels, seed))
            print(f"vowels seed {seed}: {[r[-1]['accuracy'] for r in runs.values()]}", file=sys.stderr)
        out["vowels"] = {"config": asdict(vowels), "runs": runs, "baselines": vowels_baselines()}
        out["seconds"]["vowels"] = round(time.perf_counter() - start, 1)
    out["versions"] = versions()  # after the runs, so that every framework they imported is named
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the architectures chapter's runs and store architectures_results.json (minutes on one core)."
    )
    parser.parse_args(argv)
    path = save_results(ARCHITECTURES_RESULTS, run())
    print(f"wrote {path}", file=sys.stderr)
    return 0


def load_architectures_results() -> dict:
    """The cached results of :func:`run`."""
    return load_results(ARCHITECTURES_RESULTS, made_by="lstm_tutorial.experiments.architectures")


if __name__ == "__main__":
    sys.exit(main())
