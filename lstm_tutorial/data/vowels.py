"""The Japanese Vowels speaker records: real multivariate sequences of different lengths.

Nine Japanese men each said the vowel pair /ae/ several times; every utterance was cut into
frames and each frame described by 12 linear-prediction (LPC) cepstrum coefficients
(Kudo, Toyama and Shimbo 1999, UCI Machine Learning Repository). The task is to name the
speaker. Utterances last 7 to 29 frames, so a batch must be padded, and a model must not read
the padding: the data set of the book's masking and packing section.

Source: the ``.ts`` files that ship inside the ``sktime`` wheel
(``sktime/datasets/data/JapaneseVowels/``; ``aeon`` ships identical copies). This module reads
them with a small parser of its own, so it does not import sktime (nor pandas): it only asks
Python where the package lies. The split is the original one, 270 training utterances (30 per
speaker) and 370 test utterances (24 to 88 per speaker).

- :func:`load_japanese_vowels`: ``(sequences, labels)`` of one split.
- :func:`parse_ts`: the parser of the ``.ts`` text format (multivariate, unequal length).
- :func:`mean_frame_features`: each sequence summarised by its mean frame, for the baselines.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

__all__ = ["N_SPEAKERS", "N_COEFFICIENTS", "vowels_file", "parse_ts", "load_japanese_vowels", "mean_frame_features"]

N_SPEAKERS = 9  # C, the classes
N_COEFFICIENTS = 12  # D, LPC cepstrum coefficients per frame
_PACKAGES = ("sktime", "aeon")  # either ships the files; sktime is the declared dependency


def vowels_file(split: str) -> Path:
    """Path of the shipped ``JapaneseVowels_{TRAIN,TEST}.ts`` for ``split`` in ``{"train", "test"}``.

    Looks in the installed ``sktime`` (or else ``aeon``) without importing it. Raises
    ``ModuleNotFoundError`` naming the package to install when neither is there.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    for name in _PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        path = Path(spec.origin).parent / "datasets" / "data" / "JapaneseVowels" / f"JapaneseVowels_{split.upper()}.ts"
        if path.is_file():
            return path
    raise ModuleNotFoundError(
        "the Japanese Vowels data ship inside sktime: pip install 'sktime>=1.2' (aeon works too); "
        "no package with JapaneseVowels_*.ts was found"
    )


def parse_ts(text: str) -> tuple[list[np.ndarray], list[str]]:
    """Parse a multivariate ``.ts`` file: ``(sequences, labels)``.

    After the ``#`` comments and ``@`` header lines, each data line is ``D`` comma-separated
    channels joined by ``:``, then the class label after a final ``:``. Channels of one line
    must have one length ``T_i``; each sequence is returned as float64 ``(T_i, D)``.
    """
    seqs, labels = [], []
    in_data = False
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            in_data = line.lower() == "@data"
            continue
        *channels, label = line.split(":")
        rows = [np.array(ch.split(","), dtype=np.float64) for ch in channels]
        if not rows or len({len(r) for r in rows}) != 1:
            raise ValueError(f"line {number}: channels have lengths {[len(r) for r in rows]}, expected one length")
        seqs.append(np.stack(rows, axis=1))  # (T_i, D)
        labels.append(label)
    if not seqs:
        raise ValueError("no @data section with sequences found")
    return seqs, labels


def load_japanese_vowels(split: str = "train") -> tuple[list[np.ndarray], np.ndarray]:
    """The Japanese Vowels records of ``split`` (``"train"``: 270, ``"test"``: 370).

    Returns:
        ``(sequences, y)``: a list of float64 arrays ``(T_i, 12)`` with ``7 <= T_i <= 29``,
        in file order, and int64 speaker labels ``(N,)`` in ``0..8`` (the file's 1..9, minus 1).
    """
    seqs, labels = parse_ts(vowels_file(split).read_text(encoding="utf-8"))
    y = np.array([int(s) - 1 for s in labels], dtype=np.int64)
    return seqs, y


def mean_frame_features(seqs) -> np.ndarray:
    """Each sequence's mean frame: ``(N, D)``, the input of the order-blind baselines."""
    return np.stack([np.asarray(s, dtype=np.float64).mean(axis=0) for s in seqs])
