"""One training loop per framework, and the learning-rate schedule the experiments share.

- :func:`train_torch`: every PyTorch model of the book trains through it: clear the gradients,
  compute the loss, backpropagate, clip, step, optionally under a schedule and with a callback
  after each step (to evaluate, record, or stop once solved).
- :func:`train_keras`: ``model.fit`` with the book's conventions (silent under test, rounded
  history).
- :func:`warmup_cosine`: linear warm-up to a peak learning rate, then cosine decay to 0.

The frameworks are imported inside the functions, so this module loads without either.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from tqdm import tqdm

__all__ = ["train_torch", "torch_step", "train_keras", "warmup_cosine"]


def warmup_cosine(step: int, *, peak: float, warmup: int, total: int) -> float:
    """Learning rate at optimiser step ``step`` (1-based): linear warm-up over ``warmup`` steps to
    ``peak``, then cosine decay to 0 at step ``total`` (and 0 after it)."""
    if step <= warmup:
        return peak * step / max(warmup, 1)
    progress = (step - warmup) / max(total - warmup, 1)
    return peak * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def _as_loader(data: Any, batch_size: int, shuffle: bool, dtype) -> Iterable:
    """Batch a tuple of arrays (floating ones cast to the model's ``dtype``); pass loaders through."""
    import numpy as np
    import torch

    if isinstance(data, (tuple, list)) and all(isinstance(a, (np.ndarray, torch.Tensor)) for a in data):
        tensors = [torch.as_tensor(a) for a in data]
        tensors = [t.to(dtype) if t.is_floating_point() else t for t in tensors]
        dataset = torch.utils.data.TensorDataset(*tensors)
        return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
    return data


def train_torch(model, data: Any, loss_fn: Callable, *,
                epochs: int | None = None, steps: int | None = None, lr: float = 1e-2,
                optimizer="adam", clip: float | None = None, lr_schedule: Callable[[int], float] | None = None,
                on_step: Callable[[int, float], bool | None] | None = None,
                on_epoch: Callable[[int, float], None] | None = None,
                batch_size: int = 32, shuffle: bool = True, progress: bool = True,
                decimals: int | None = 4) -> dict[str, list[float]]:
    """Train ``model`` with a plain loop and return its loss history, rounded.

    Args:
        model: any ``nn.Module``. If it returns a tuple (like :class:`CharLanguageModel`),
            the first element is the prediction.
        data: a DataLoader (or any iterable) of batches ``(*inputs, target)``, or a tuple of
            arrays/tensors ``(*inputs, target)`` sharing their first axis ``N``, which is
            batched here (shuffled with torch's seeded global generator if ``shuffle``;
            floating arrays cast to the model's dtype, so float64 NumPy data just works).
            Every element but the last is passed to the model: ``(x, lengths, y)`` calls
            ``model(x, lengths)``.
        loss_fn: ``loss_fn(prediction, target) -> scalar``. For per-step logits
            ``(B, T, V)`` and ids ``(B, T)`` flatten first, e.g.
            ``lambda p, y: F.cross_entropy(p.flatten(0, 1), y.flatten())``.
        epochs: passes over ``data``; one history entry per epoch (the mean loss over its examples).
        steps: alternatively, a number of optimiser steps, cycling through ``data``; one
            history entry per step. Give exactly one of ``epochs`` and ``steps``.
        lr: learning rate of the optimiser built from ``optimizer`` (``"adam"`` or ``"sgd"``);
            a ready ``torch.optim.Optimizer`` is used as given.
        clip: if set, the global gradient norm is clipped to ``clip`` before each step.
        lr_schedule: if set, ``lr_schedule(s)`` is the learning rate of optimiser step ``s``
            (1-based), set on every parameter group before the step (:func:`warmup_cosine`).
        on_step: if set, called as ``on_step(s, loss)`` after optimiser step ``s``; returning
            ``True`` stops training there (an experiment that stops once solved).
        on_epoch: with ``epochs``, called as ``on_epoch(e, mean_loss)`` after epoch ``e`` (to
            evaluate on validation data, say).
        batch_size, shuffle: used only when ``data`` is a tuple of arrays.
        progress: show a tqdm bar with the running loss. It is written to stderr (plain
            text, not a notebook widget), so stored notebook outputs hold no timings;
            ``False`` for tests.
        decimals: rounding of the returned losses (``None``: unrounded).

    Returns:
        ``{"loss": [...], "steps": n}``: the losses (per step, or per epoch) and the number of
        optimiser steps taken.
    """
    import torch

    if (epochs is None) == (steps is None):
        raise ValueError("give exactly one of epochs= and steps=")
    dtype = next(model.parameters()).dtype
    loader = _as_loader(data, batch_size, shuffle, dtype)
    if isinstance(optimizer, str):
        optimizers = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
        if optimizer not in optimizers:
            raise ValueError(f"optimizer must be 'adam', 'sgd' or a torch optimizer, got {optimizer!r}")
        optimizer = optimizers[optimizer](model.parameters(), lr=lr)

    taken, stopped = 0, False

    def step(batch: Any) -> float:
        nonlocal taken, stopped
        *inputs, target = batch
        taken += 1
        if lr_schedule is not None:
            for group in optimizer.param_groups:
                group["lr"] = lr_schedule(taken)
        value = torch_step(model, optimizer, loss_fn, inputs, target, clip=clip)
        if on_step is not None and on_step(taken, value):
            stopped = True
        return value

    model.train()
    history: list[float] = []
    if steps is not None:
        bar = tqdm(total=steps, desc="train", disable=not progress, leave=False)
        while len(history) < steps and not stopped:
            before = len(history)
            for batch in loader:
                history.append(step(batch))
                bar.update()
                bar.set_postfix(loss=f"{history[-1]:.4f}")
                if len(history) == steps or stopped:
                    break
            if len(history) == before:
                raise ValueError("data yielded no batches")
        bar.close()
    else:
        bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
        for epoch in bar:
            model.train()  # a callback may have evaluated the model in eval mode
            total, count = 0.0, 0
            for batch in loader:
                total += step(batch) * len(batch[-1])  # batch losses are means: weight by batch size
                count += len(batch[-1])
                if stopped:
                    break
            history.append(total / max(count, 1))
            bar.set_postfix(loss=f"{history[-1]:.4f}")
            if on_epoch is not None:
                on_epoch(epoch + 1, history[-1])
            if stopped:
                break
    return {"loss": [v if decimals is None else round(v, decimals) for v in history], "steps": taken}


def torch_step(model, optimizer, loss_fn: Callable, inputs: tuple, target, *, clip: float | None = None) -> float:
    """One optimiser step on one batch; returns the batch's loss. The whole of training, once per batch."""
    from torch import nn

    optimizer.zero_grad()                      # .grad accumulates otherwise
    out = model(*inputs)                       # inputs: (x,) or (x, lengths)
    loss = loss_fn(out[0] if isinstance(out, tuple) else out, target)  # a mean over the batch
    loss.backward()                            # d loss / d every parameter, into .grad
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()                           # Adam (or SGD) updates every parameter
    return float(loss.detach())


def train_keras(model, x: Any, y: Any, *, epochs: int = 1, batch_size: int = 32,
                progress: bool = True, shuffle: bool = True, validation_data: Any = None,
                decimals: int = 4) -> dict[str, list[float]]:
    """``model.fit`` with the book's conventions; returns the history with rounded numbers.

    Args:
        model: a compiled model.
        x, y: inputs ``(N, ...)`` and targets ``(N, ...)``, as ``fit`` takes them.
        epochs, batch_size, shuffle, validation_data: passed to ``fit``.
        progress: Keras' own progress bar (``verbose=1``) when ``True``; silent
            (``verbose=0``) when ``False``, for tests and stored notebook outputs.
        decimals: rounding of every returned number, so printed histories survive another CPU.

    Returns:
        ``{"loss": [...], ...}``: one rounded float per epoch for every metric ``fit`` logs.
    """
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                        validation_data=validation_data, verbose=1 if progress else 0)
    return {k: [round(float(v), decimals) for v in vals] for k, vals in history.history.items()}
