"""Word segmentation as tagging: the book's corpus with its spaces removed, a tag per letter.

The corpus (:func:`lstm_tutorial.data.text.load_corpus`) is lower-cased and reduced to its
words of letters ``a-z``; the spaces between them are dropped, and each letter is tagged 1 if a
word starts there, 0 otherwise. Reading ``...thedogchased...`` left to right, a tagger at
``d`` cannot yet know whether ``the`` has ended (``thedog``) or goes on (``theater``): the letters
*after* a position decide its tag as much as the letters before it. That is the property the
bidirectional section needs.

- :func:`segmentation_data`: the text as ids ``(N,)`` and tags ``(N,)``, split in two parts.
- :func:`windows`: cut a stream into fixed-length windows ``(n, T)`` for batches.
- :func:`context_count_baseline`: tag each position by the majority tag of its
  ``(left, right)`` letter context in the training stream, backing off to shorter contexts.
- :func:`tag_scores`: accuracy and boundary F1.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import NamedTuple

import numpy as np

from lstm_tutorial._checks import check_int
from lstm_tutorial.data.text import load_corpus

__all__ = ["LETTERS", "SegmentationData", "segmentation_data", "windows", "context_count_baseline", "tag_scores"]

LETTERS = "abcdefghijklmnopqrstuvwxyz"  # id k is LETTERS[k]; V = 26


class SegmentationData(NamedTuple):
    """Ids and tags of the two parts: int64 ``(N_train,)``, ``(N_train,)``, ``(N_test,)``, ``(N_test,)``."""

    train_ids: np.ndarray
    train_tags: np.ndarray
    test_ids: np.ndarray
    test_tags: np.ndarray


def _ids_and_tags(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    text = "".join(words)
    ids = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64) - ord("a")
    tags = np.zeros(len(text), dtype=np.int64)
    tags[np.cumsum([0] + [len(w) for w in words[:-1]])] = 1  # the first letter of every word
    return ids, tags


def segmentation_data(test_fraction: float = 0.2, text: str | None = None) -> SegmentationData:
    """The segmentation task on ``text`` (default: the book's corpus).

    The words (maximal runs of ``a-z`` after lower-casing) are split in order: the first
    ``1 - test_fraction`` of them train, the rest test, so no word occurrence is in both parts.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    words = re.findall(r"[a-z]+", (load_corpus() if text is None else text).lower())
    cut = int(round(len(words) * (1 - test_fraction)))
    if cut < 1 or cut >= len(words):
        raise ValueError(f"{len(words)} words cannot be split with test_fraction={test_fraction}")
    return SegmentationData(*_ids_and_tags(words[:cut]), *_ids_and_tags(words[cut:]))


def windows(stream, T: int) -> np.ndarray:
    """Non-overlapping windows of ``T`` items, ``(len(stream) // T, T)``; the tail is dropped."""
    T = check_int("T", T)
    stream = np.asarray(stream)
    n = len(stream) // T
    if n == 0:
        raise ValueError(f"a stream of {len(stream)} items holds no window of T={T}")
    return stream[: n * T].reshape(n, T)


def _contexts(ids: np.ndarray, left: int, right: int) -> list[tuple]:
    padded = np.concatenate([np.full(left, -1), ids, np.full(right, -1)])  # -1: outside the text
    return [tuple(padded[t : t + left + right + 1]) for t in range(len(ids))]


def context_count_baseline(train_ids, train_tags, test_ids, *, left: int, right: int) -> np.ndarray:
    """Predict each test tag from counts of letter contexts in the training stream.

    The context of position ``t`` is the letters ``t - left .. t + right``. A test position
    takes the majority training tag of its context; if the context never occurs in training,
    it backs off to the context one letter shorter (dropping the farthest letter on the longer
    side), down to the training majority tag. ``right = 0`` sees only the past, as a
    left-to-right model does.
    """
    left, right = check_int("left", left, 0), check_int("right", right, 0)
    train_ids, train_tags, test_ids = (np.asarray(a, dtype=np.int64) for a in (train_ids, train_tags, test_ids))
    shapes = [(left, right)]
    while shapes[-1] != (0, 0):
        a, b = shapes[-1]
        shapes.append((a - 1, b) if a >= b and a > 0 else (a, b - 1))
    tables = []
    for a, b in shapes:
        counts: dict[tuple, Counter] = defaultdict(Counter)
        for ctx, tag in zip(_contexts(train_ids, a, b), train_tags):
            counts[ctx][int(tag)] += 1
        tables.append({ctx: c.most_common(1)[0][0] for ctx, c in counts.items()})
    fallback = int(np.bincount(train_tags).argmax())
    contexts = [_contexts(test_ids, a, b) for a, b in shapes]
    out = np.empty(len(test_ids), dtype=np.int64)
    for t in range(len(test_ids)):
        out[t] = next((tab[ctx[t]] for tab, ctx in zip(tables, contexts) if ctx[t] in tab), fallback)
    return out


def tag_scores(tags, predicted) -> dict:
    """``{"accuracy", "f1"}``: share of positions right, and the F1 of the word-start tag 1."""
    tags, predicted = np.asarray(tags).ravel(), np.asarray(predicted).ravel()
    if tags.shape != predicted.shape:
        raise ValueError(f"tags {tags.shape} and predicted {predicted.shape} differ in shape")
    tp = int(np.sum((tags == 1) & (predicted == 1)))
    fp, fn = int(np.sum((tags == 0) & (predicted == 1))), int(np.sum((tags == 1) & (predicted == 0)))
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"accuracy": float(np.mean(tags == predicted)), "f1": float(f1)}
