"""The NumPy engine's training loop: :func:`fit`, and truncated BPTT, :func:`fit_tbptt`.

- :func:`fit`: mini-batch training of anything with ``params`` and ``loss_and_grads`` (a
  :class:`~lstm_tutorial.engine.model.SequenceModel`): clipping, an optimiser of
  :mod:`lstm_tutorial.engine.optim`, a tqdm bar on stderr, a history, and a clear stop on a NaN loss.
- :func:`fit_tbptt` and :func:`tbptt_chunks`: truncated backpropagation through time, the state
  carried across chunks and the gradient cut at their boundaries.

Sizes as in :mod:`lstm_tutorial.engine.fast`: ``B, T, D, H``, plus ``O`` outputs (``V`` classes).
"""

from __future__ import annotations

import contextlib
import math
import sys

import numpy as np
from tqdm import tqdm

from lstm_tutorial._checks import check_array
from lstm_tutorial.engine.optim import Adam, clip_grad_norm, grad_norm
from lstm_tutorial.repro import limit_threads

__all__ = ["fit", "tbptt_chunks", "fit_tbptt"]


def _check_loss(loss, step=None):
    if not math.isfinite(loss):
        where = "" if step is None else f" at step {step}"
        raise FloatingPointError(
            f"loss became {loss}{where}: training stopped instead of continuing on garbage "
            "(try a smaller learning rate or gradient clipping)"
        )


def _loss_and_grads_at(model, step, *args, **kwargs):
    """``model.loss_and_grads`` with a NaN or infinite loss reported as a stop at ``step``."""
    try:
        loss, grads, final = model.loss_and_grads(*args, **kwargs)
    except FloatingPointError as exc:
        raise FloatingPointError(f"step {step}: {exc}") from None
    _check_loss(loss, step)
    return loss, grads, final


def fit(
    model,
    x,
    y,
    *,
    optimizer=None,
    epochs=1,
    batch_size=32,
    clip=None,
    shuffle=True,
    seed=0,
    mask=None,
    progress=True,
    desc="training",
    num_threads: int | None = 1,
):
    """Train ``model`` (a :class:`SequenceModel` or anything with ``params`` and ``loss_and_grads``).

    Args:
        x: ``(N, T, D)`` inputs; y: targets for ``model.loss_and_grads`` with ``N`` first.
        optimizer: an :class:`SGD` or :class:`Adam` (default ``Adam()``).
        epochs, batch_size: passes over the data and examples per step.
        clip: if given, gradients are clipped to this joint norm before each step.
        shuffle, seed: reshuffle the examples every epoch with this seed.
        mask: optional per-position weights with ``N`` first (cross-entropy only).
        progress: show a tqdm bar on stderr (``False`` in tests); no timings go to stdout.
        num_threads: BLAS threads while training (:func:`lstm_tutorial.repro.limit_threads`):
            one, by default, is faster for the book's small matrices and adds up every sum in
            the same order on any machine; ``None`` leaves the threads alone.

    Returns:
        History dict: ``"loss"`` (one per step), ``"grad_norm"`` (before clipping, one per step),
        ``"epoch_loss"`` (mean per epoch).

    Raises:
        FloatingPointError: naming the step, as soon as the loss is NaN or infinite.
    """
    x = check_array("x", x, ndim=3, labels=("N", "T", "D"))
    y = np.asarray(y)
    if len(y) != len(x):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
    optimizer = Adam() if optimizer is None else optimizer
    rng = np.random.default_rng(seed)
    N = len(x)
    steps_per_epoch = math.ceil(N / batch_size)
    history = {"loss": [], "grad_norm": [], "epoch_loss": []}
    bar = tqdm(total=epochs * steps_per_epoch, desc=desc, disable=not progress, leave=False, file=sys.stderr)
    step = 0
    with limit_threads(num_threads), contextlib.closing(bar):
        for _ in range(epochs):
            order = rng.permutation(N) if shuffle else np.arange(N)
            epoch_losses = []
            for start in range(0, N, batch_size):
                idx = order[start : start + batch_size]
                batch_mask = None if mask is None else mask[idx]
                loss, grads, _ = _loss_and_grads_at(model, step, x[idx], y[idx], mask=batch_mask)
                norm = clip_grad_norm(grads, clip) if clip else grad_norm(grads)
                optimizer.step(model.params, grads)
                history["loss"].append(loss)
                history["grad_norm"].append(norm)
                epoch_losses.append(loss)
                step += 1
                bar.update()
                bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            history["epoch_loss"].append(float(np.mean(epoch_losses)))
    return history


def tbptt_chunks(T: int, chunk: int):
    """The slices ``[0:chunk], [chunk:2 chunk], ...`` that cover ``T`` steps (the last may be shorter)."""
    if chunk < 1:
        raise ValueError(f"chunk must be a positive number of steps, got {chunk}")
    return [slice(s, min(s + chunk, T)) for s in range(0, T, chunk)]


def fit_tbptt(
    model,
    x,
    y,
    *,
    chunk,
    optimizer=None,
    epochs=1,
    clip=None,
    mask=None,
    progress=True,
    desc="TBPTT",
    num_threads: int | None = 1,
):
    """Truncated backpropagation through time on long sequences, many-to-many.

    Each epoch walks through ``x`` ``(B, T, D)`` in chunks of ``chunk`` steps. The final state of
    one chunk is the initial state of the next (its *values* carry over), but no gradient flows
    back across the boundary: each chunk's backward pass starts from ``d_state = 0``. One
    optimiser step per chunk.

    Args:
        model: a :class:`SequenceModel` with ``many_to_one=False``.
        num_threads: BLAS threads while training, as in :func:`fit`.
        y: targets ``(B, T)`` (classes) or ``(B, T, O)``; mask: optional ``(B, T)``.

    Returns:
        History dict: ``"loss"`` (one per chunk) and ``"epoch_loss"``.
    """
    if getattr(model, "many_to_one", False):
        raise ValueError("fit_tbptt needs a many-to-many model (many_to_one=False)")
    x = check_array("x", x, ndim=3, labels=("B", "T", "D"))
    y = np.asarray(y)
    if y.shape[:2] != x.shape[:2]:
        raise ValueError(f"y must start with (B, T) = {x.shape[:2]}, got shape {y.shape}")
    optimizer = Adam() if optimizer is None else optimizer
    chunks = tbptt_chunks(x.shape[1], chunk)
    history = {"loss": [], "epoch_loss": []}
    bar = tqdm(total=epochs * len(chunks), desc=desc, disable=not progress, leave=False, file=sys.stderr)
    step = 0
    with limit_threads(num_threads), contextlib.closing(bar):
        for _ in range(epochs):
            state, losses = None, []
            for sl in chunks:
                loss, grads, final = _loss_and_grads_at(
                    model, step, x[:, sl], y[:, sl], state=state, mask=None if mask is None else mask[:, sl]
                )
                if clip:
                    clip_grad_norm(grads, clip)
                optimizer.step(model.params, grads)
                # Detach: keep the values, drop the graph (copies, so later updates cannot alias).
                state = tuple(np.array(s) for s in final) if isinstance(final, tuple) else np.array(final)
                history["loss"].append(loss)
                losses.append(loss)
                step += 1
                bar.update()
            history["epoch_loss"].append(float(np.mean(losses)))
    return history
