"""BERT's corruption of a batch of ids for the masked-language-model objective (Devlin et al. 2019).

Each position is *selected* with probability 0.15; a selected position becomes the mask token
with probability 0.8, a random character with probability 0.1, and stays unchanged with
probability 0.1. The loss reads the selected positions only (:data:`IGNORE` marks the others).
"""

from __future__ import annotations

import numpy as np

__all__ = ["IGNORE", "mask_tokens", "masking_fractions"]

IGNORE = -100  # target of a position that is not selected: PyTorch's cross-entropy skips it


def mask_tokens(
    ids,
    rng: np.random.Generator,
    *,
    mask_id: int,
    n_real: int,
    p_select: float = 0.15,
    p_mask: float = 0.8,
    p_random: float = 0.1,
):
    """BERT's masking of a batch of ids ``(B, T)`` (or any shape).

    Args:
        ids: int ids of real characters, ``0..n_real-1``.
        rng: a NumPy ``Generator``; the masks depend on nothing else.
        mask_id: id of ``[M]``. n_real: ``V``; random replacements are drawn from ``0..V-1``.
        p_select: probability that a position is selected for prediction.
        p_mask, p_random: of the selected positions, the share replaced by ``[M]`` and by a
            uniformly random character; the remaining ``1 - p_mask - p_random`` stay unchanged.
            (A random draw can pick the original character, so slightly more than 10% of the
            selected positions end up showing their true character.)

    Returns:
        ``(inputs, targets, selected)``: the corrupted ids, the original id at selected positions
        and :data:`IGNORE` elsewhere, and the boolean selection; all of the shape of ``ids``.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if not (0 < p_select < 1 and 0 <= p_mask and 0 <= p_random and p_mask + p_random <= 1):
        raise ValueError(f"bad probabilities: p_select={p_select}, p_mask={p_mask}, p_random={p_random}")
    if ids.size and (ids.min() < 0 or ids.max() >= n_real):
        raise ValueError(f"ids must be real characters in 0..{n_real - 1}")
    selected = rng.random(ids.shape) < p_select
    action = rng.random(ids.shape)  # one uniform draw decides [M] / random / unchanged
    to_mask = selected & (action < p_mask)
    to_random = selected & (action >= p_mask) & (action < p_mask + p_random)
    inputs = ids.copy()
    inputs[to_mask] = mask_id
    inputs[to_random] = rng.integers(0, n_real, size=int(to_random.sum()))
    targets = np.where(selected, ids, IGNORE)
    return inputs, targets, selected


def masking_fractions(ids, inputs, selected, *, mask_id: int) -> dict:
    """What :func:`mask_tokens` did to a batch, measured: ``ids``, ``inputs``, ``selected`` ``(B, T)``.

    Returns ``{"selected"}`` (share of all positions) and, as shares of the *selected* positions,
    ``"mask"`` (show ``[M]``), ``"random"`` (show a different character) and ``"unchanged"``
    (show their own character, including random draws that happened to hit it), and ``"n"``
    (all positions) and ``"n_selected"``.
    """
    ids, inputs, selected = np.asarray(ids), np.asarray(inputs), np.asarray(selected, dtype=bool)
    s = int(selected.sum())
    if s == 0:
        raise ValueError("no position is selected")
    shown = inputs[selected]
    return {
        "selected": s / selected.size,
        "mask": float(np.mean(shown == mask_id)),
        "random": float(np.mean((shown != mask_id) & (shown != ids[selected]))),
        "unchanged": float(np.mean(shown == ids[selected])),
        "n": int(selected.size),
        "n_selected": s,
    }
