"""Sequence classification data: the scikit-learn digits read row by row, padding, and a stratified split."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lstm_tutorial._checks import check_int

__all__ = ["load_digit_sequences", "pad_sequences", "stratified_split"]


def load_digit_sequences():
    """The scikit-learn digits read row by row: each 8x8 image is a sequence of 8 steps of
    8 pixel intensities, top row first.

    Source: ``sklearn.datasets.load_digits`` (bundled, no download; 1797 images of 10
    classes from the UCI "Optical Recognition of Handwritten Digits" data; scikit-learn is
    BSD-3-Clause). Fixed length: every sequence has ``T = 8`` steps.

    Returns:
        ``(X, y)``: float32 ``(1797, 8, 8)`` scaled to [0, 1] (intensities are 0-16), int64 ``(1797,)``.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)


def pad_sequences(seqs: Sequence, pad_value: float = 0.0):
    """Stack variable-length sequences into one padded batch, with lengths and a mask.

    Args:
        seqs: list of ``N`` arrays of shape ``(T_i,)`` or ``(T_i, D)`` (same ``D`` and
            number of dims), each with ``T_i >= 1``.

    Returns:
        ``(padded, lengths, mask)``: ``padded`` ``(N, T_max)`` or ``(N, T_max, D)`` with the
        dtype of the inputs, ``pad_value`` after each sequence's end; ``lengths`` int64
        ``(N,)``; ``mask`` bool ``(N, T_max)``, True on real steps.
    """
    if len(seqs) == 0:
        raise ValueError("pad_sequences needs at least one sequence")
    arrs = [np.asarray(s) for s in seqs]
    tail = arrs[0].shape[1:]
    for k, a in enumerate(arrs):
        if a.ndim not in (1, 2) or a.shape[1:] != tail:
            raise ValueError(f"sequence {k} has shape {a.shape}; expected (T_i,) + {tail}")
        if a.shape[0] == 0:
            raise ValueError(f"sequence {k} is empty")
    lengths = np.array([a.shape[0] for a in arrs], dtype=np.int64)
    dtype = np.result_type(*arrs)
    padded = np.full((len(arrs), int(lengths.max())) + tail, pad_value, dtype=dtype)
    for k, a in enumerate(arrs):
        padded[k, : len(a)] = a
    mask = np.arange(lengths.max())[None, :] < lengths[:, None]
    return padded, lengths, mask


def stratified_split(y, test_fraction: float = 0.2, seed: int = 0):
    """Seeded split that keeps each class's share: ``(train_idx, test_idx)``, sorted int64.

    Each class contributes ``round(test_fraction * n_class)`` test items; a class with
    fewer than 2 items, or a fraction that leaves a part empty, raises.
    """
    y = np.asarray(y)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(check_int("seed", seed, 0))
    test = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(test_fraction * len(idx)))
        if k == 0 or k == len(idx):
            raise ValueError(
                f"class {c.item()!r} has {len(idx)} items; test_fraction={test_fraction} "
                f"would leave its train or test part empty"
            )
        test.append(rng.permutation(idx)[:k])
    test_idx = np.sort(np.concatenate(test))
    train_idx = np.setdiff1d(np.arange(len(y)), test_idx)
    return train_idx.astype(np.int64), test_idx.astype(np.int64)
