"""Text for the character-level models: the book's corpus, its vocabulary, and batches of it.

- :func:`load_corpus`: the public-domain text shipped in ``lstm_tutorial/resources/corpus.txt``.
- :class:`CharVocab` (characters to ids and back) and :class:`MaskedVocab` (plus BERT's mask token).
- :func:`split_text`, :func:`corpus_ids`: training and held-out parts.
- :func:`tbptt_batches` (streams for truncated BPTT) and :func:`random_windows`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import numpy as np

from lstm_tutorial._checks import check_int

__all__ = [
    "load_corpus",
    "CharVocab",
    "split_text",
    "TBPTTBatches",
    "tbptt_batches",
    "MaskedVocab",
    "corpus_ids",
    "random_windows",
    "next_char_chunks",
]


def load_corpus() -> str:
    """The book's own corpus for character-level predictive text (about 50 KB, ASCII).

    Provenance: original English prose written for this project (sequences, memory,
    weather, rivers, music, clocks, reading, ...), distributed under the book's licence.
    It ships as package data in ``lstm_tutorial/resources/corpus.txt``.
    """
    return (resources.files("lstm_tutorial") / "resources" / "corpus.txt").read_text(encoding="ascii")


class CharVocab:
    """Characters <-> integer ids. ``chars`` is the sorted set of characters of the text it
    was built from; ``id`` order follows it. ``len(vocab)`` is the vocabulary size ``V``."""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError("CharVocab needs a non-empty str")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """int64 ids ``(len(text),)``; an unknown character raises ``ValueError`` naming it."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            pos = next(i for i, c in enumerate(text) if c not in self.index)
            raise ValueError(
                f"unknown character {err.args[0]!r} at position {pos}; the vocabulary has {len(self)} characters"
            ) from None

    def decode(self, ids) -> str:
        """The string for int ids; an id outside ``0..V-1`` raises ``ValueError``."""
        ids = np.asarray(ids).ravel()
        if ids.size and (not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must be integers in 0..{len(self) - 1}")
        return "".join(self.chars[i] for i in ids)


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """``(train, val)``: the first ``1 - val_fraction`` of the text, and the rest."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(round(len(text) * (1 - val_fraction)))
    if cut == 0 or cut == len(text):
        raise ValueError(f"text of length {len(text)} is too short to split at {val_fraction}")
    return text[:cut], text[cut:]


@dataclass(frozen=True)
class TBPTTBatches:
    """Chunks for truncated backpropagation through time.

    ``inputs`` and ``targets`` are int64 ``(n_chunks, B, L)``; ``targets`` is ``inputs``
    shifted by one character. Row ``b`` of chunk ``j + 1`` continues row ``b`` of chunk
    ``j``, so the final hidden state of one chunk is the right initial state for the next.
    ``n_unused`` input positions at the end of the stream fit no full chunk and are left
    out. Iterating yields ``(inputs[j], targets[j])``.
    """

    inputs: np.ndarray
    targets: np.ndarray
    n_unused: int

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return iter(zip(self.inputs, self.targets))


def tbptt_batches(ids, batch_size: int, seq_len: int) -> TBPTTBatches:
    """Lay a stream of ids out as ``B`` parallel streams cut into chunks of ``L`` steps.

    The stream of ``n`` ids gives ``n - 1`` (input, next id) pairs. Each of the ``B`` rows
    takes a contiguous stretch of ``n_chunks * L`` pairs, row after row, with
    ``n_chunks = ((n - 1) // B) // L``; the last ``n_unused = n - 1 - B * n_chunks * L``
    pairs are not used (reported, not hidden). Raises if not even one chunk fits.
    """
    B, L = check_int("batch_size", batch_size), check_int("seq_len", seq_len)
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a 1-D integer array, got shape {ids.shape}, dtype {ids.dtype}")
    n_pairs = len(ids) - 1
    n_chunks = (max(n_pairs, 0) // B) // L
    if n_chunks == 0:
        raise ValueError(
            f"a stream of {len(ids)} ids is too short for batch_size * seq_len = {B} * {L} (needs at least {B * L + 1})"
        )
    used = B * n_chunks * L
    x = ids[:used].reshape(B, n_chunks, L).transpose(1, 0, 2)  # (n_chunks, B, L)
    y = ids[1 : used + 1].reshape(B, n_chunks, L).transpose(1, 0, 2)
    return TBPTTBatches(
        np.ascontiguousarray(x, dtype=np.int64), np.ascontiguousarray(y, dtype=np.int64), n_pairs - used
    )


class MaskedVocab(CharVocab):
    """A :class:`~lstm_tutorial.data.text.CharVocab` plus the mask token ``[M]`` with id ``V``.

    ``len(vocab)`` is ``V`` (real characters, the classes a model predicts); ``vocab.size``
    is ``V + 1`` (the ids a model reads). ``encode`` turns the ``blank`` character (``"_"``, not
    in the corpus) into the mask id; ``decode`` shows the mask id as ``blank``.
    """

    def __init__(self, text: str, blank: str = "_"):
        super().__init__(text)
        if blank in self.index:
            raise ValueError(f"blank {blank!r} occurs in the text; choose another character")
        self.blank = blank
        self.mask_id = len(self.chars)
        self.size = len(self.chars) + 1

    def encode(self, text: str) -> np.ndarray:
        parts = text.split(self.blank)
        ids = [super(MaskedVocab, self).encode(p) for p in parts]
        out = []
        for n, p in enumerate(ids):
            if n:
                out.append(np.array([self.mask_id], dtype=np.int64))
            out.append(p)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def decode(self, ids) -> str:
        ids = np.asarray(ids).ravel()
        return "".join(self.blank if i == self.mask_id else super(MaskedVocab, self).decode([i]) for i in ids)


def corpus_ids(val_fraction: float = 0.1):
    """``(vocab, train_ids, val_ids)`` for the book corpus: the last ``val_fraction`` is held out."""
    text = load_corpus()
    vocab = MaskedVocab(text)
    train, val = split_text(text, val_fraction)
    return vocab, vocab.encode(train), vocab.encode(val)


def random_windows(ids, n: int, T: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` windows of ``T`` consecutive ids from ``ids``, at uniformly random starts: ``(n, T)``."""
    ids = np.asarray(ids)
    if len(ids) < T:
        raise ValueError(f"text of {len(ids)} ids is shorter than the window T={T}")
    starts = rng.integers(0, len(ids) - T + 1, size=n)
    return ids[starts[:, None] + np.arange(T)[None, :]]


def next_char_chunks(ids, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``ids`` into non-overlapping training pairs for a next-character model.

    Returns ``(inputs, targets)``, each ``(N, length)`` with ``N = (len(ids) - 1) // length``:
    ``targets[n, t] = ids[n * length + t + 1]``, the character after ``inputs[n, t]``. The last
    ``len(ids) - 1 - N * length`` ids, too few for a whole chunk, are not used.
    """
    ids = np.asarray(ids)
    length = check_int("length", length)
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {ids.shape}")
    n = (len(ids) - 1) // length
    if n == 0:
        raise ValueError(f"ids of length {len(ids)} hold no chunk of length={length} plus its next character")
    return ids[: n * length].reshape(n, length), ids[1 : n * length + 1].reshape(n, length)
