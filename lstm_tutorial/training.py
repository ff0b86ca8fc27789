"""Everything around the cells that a reader needs to train them, in NumPy.

- :func:`dense_forward` / :func:`dense_backward`: the output layer ``y = h W_y + b_y``.
- :func:`mse_loss`, :func:`softmax_cross_entropy`: a loss and its gradient in one call.
- :func:`clip_grad_norm`, :class:`SGD`, :class:`Adam`: updating a parameter dict in place.
- :class:`SequenceModel`: a recurrent cell plus a dense head, with ``loss_and_grads``.
- :func:`fit`: the training loop (tqdm progress bar, history, stops on a NaN loss);
  :func:`fit_tbptt`: truncated backpropagation through time with the state carried across chunks.
- :func:`save_params` / :func:`load_params`: parameters to and from ``.npz`` (never pickle).

Sizes as in :mod:`lstm_tutorial.scratch`: ``B, T, D, H``, plus ``O`` outputs (``V`` classes).
"""

from __future__ import annotations

import math
import os
import sys
import zipfile
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from lstm_tutorial import scratch
from lstm_tutorial._checks import check_array, check_finite

__all__ = [
    "dense_forward",
    "dense_backward",
    "mse_loss",
    "softmax_cross_entropy",
    "clip_grad_norm",
    "SGD",
    "Adam",
    "SequenceModel",
    "fit",
    "fit_tbptt",
    "tbptt_chunks",
    "save_params",
    "load_params",
    "PARAMS_FORMAT",
]


def dense_forward(h, W, b):
    """Affine output layer ``y = h W + b`` applied to the last axis.

    Args:
        h: ``(..., H)``, e.g. ``(B, H)`` or ``(B, T, H)``.
        W: ``(H, O)``; b: ``(O,)``.

    Returns:
        ``(y, cache)`` with ``y`` of shape ``(..., O)``.
    """
    h = np.asarray(h)
    W = check_array("W_y", W, ndim=2, labels=("H", "O"))
    b = check_array("b_y", b, shape=(W.shape[1],), labels=("O",))
    if h.shape[-1] != W.shape[0]:
        raise ValueError(f"h has {h.shape[-1]} features (shape {h.shape}) but W_y has shape {W.shape}, expecting H={W.shape[0]}")
    return h @ W + b, (h, W)


def dense_backward(dy, cache):
    """Gradients of :func:`dense_forward`: returns ``(dh, dW, db)`` with the shapes of ``h, W, b``."""
    h, W = cache
    O = W.shape[1]
    h2, dy2 = h.reshape(-1, h.shape[-1]), np.asarray(dy).reshape(-1, O)
    return dy @ W.T, h2.T @ dy2, dy2.sum(axis=0)


def mse_loss(pred, target):
    """Mean squared error over all entries, and its gradient with respect to ``pred``.

    Returns ``(loss, dpred)``: ``loss = mean((pred - target)^2)``, ``dpred`` shaped like ``pred``.
    """
    pred = np.asarray(pred)
    target = check_array("target", target, dtype=pred.dtype)
    if target.shape != pred.shape:
        if target.size == pred.size:
            target = target.reshape(pred.shape)
        else:
            raise ValueError(f"target must have the shape of the predictions {pred.shape}, got {target.shape}")
    diff = pred - target
    return float(np.mean(diff * diff)), (2.0 / diff.size) * diff


def softmax_cross_entropy(logits, targets, mask=None):
    """Softmax cross-entropy averaged over the (unmasked) positions, and its gradient.

    Args:
        logits: ``(B, T, V)`` (or ``(B, V)``) unnormalised scores.
        targets: ``(B, T)`` (or ``(B,)``) integer classes in ``[0, V)``.
        mask: optional ``(B, T)`` (or ``(B,)``) weights, 1 where a position counts and 0 where
            it does not (padding). The loss is divided by ``mask.sum()``.

    Returns:
        ``(loss, dlogits)``, ``dlogits`` shaped like ``logits``.
    """
    logits = np.asarray(logits)
    V = logits.shape[-1]
    targets = check_array("targets", targets, shape=logits.shape[:-1], integer=True)
    if targets.size and (targets.min() < 0 or targets.max() >= V):
        raise ValueError(f"targets must lie in [0, {V}) for {V} classes, got values from {targets.min()} to {targets.max()}")
    shifted = logits - logits.max(axis=-1, keepdims=True)  # same softmax, no overflow in exp
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # log softmax
    logp_target = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    if mask is None:
        weights = np.ones(targets.shape, logits.dtype)
    else:
        weights = check_array("mask", mask, shape=targets.shape, dtype=logits.dtype)
    total = weights.sum()
    if total <= 0:
        raise ValueError("mask selects no position: the loss would be 0/0")
    loss = float(-(weights * logp_target).sum() / total)
    # d loss / d logits = (softmax - one_hot(target)) * weight / total
    dlogits = np.exp(log_p)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1, axis=-1)
    dlogits *= (weights / total)[..., None]
    return loss, dlogits


def clip_grad_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> float:
    """Scale all gradients in place so that their joint L2 norm is at most ``max_norm``.

    Returns the norm before clipping (worth logging: spikes show exploding gradients).
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
    if norm > max_norm:
        scale = max_norm / (norm + 1e-12)
        for g in grads.values():
            g *= scale
    return norm


class SGD:
    """Stochastic gradient descent with momentum: ``v = μ v + g``, ``θ = θ - lr v``."""

    def __init__(self, lr: float = 0.1, momentum: float = 0.0):
        if not lr > 0 or not 0 <= momentum < 1:
            raise ValueError(f"need lr > 0 and 0 <= momentum < 1, got lr={lr}, momentum={momentum}")
        self.lr, self.momentum = lr, momentum
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict, grads: Mapping[str, np.ndarray]) -> None:
        """Update every ``params[k]`` that has a gradient, in place."""
        for k, g in grads.items():
            if self.momentum:
                v = self.velocity.setdefault(k, np.zeros_like(params[k]))
                v *= self.momentum
                v += g
                g = v
            params[k] -= self.lr * g


class Adam:
    """Adam (Kingma and Ba 2015): moment estimates ``m``, ``v`` with bias correction."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        if not lr > 0 or not 0 <= beta1 < 1 or not 0 <= beta2 < 1:
            raise ValueError(f"need lr > 0 and betas in [0, 1), got lr={lr}, beta1={beta1}, beta2={beta2}")
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.t = 0

    def step(self, params: dict, grads: Mapping[str, np.ndarray]) -> None:
        """Update every ``params[k]`` that has a gradient, in place."""
        self.t += 1
        correct1, correct2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        for k, g in grads.items():
            m = self.m.setdefault(k, np.zeros_like(params[k]))
            v = self.v.setdefault(k, np.zeros_like(params[k]))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * (g * g)
            # θ -= lr m̂ / (sqrt(v̂) + eps) with m̂ = m / correct1, v̂ = v / correct2
            params[k] -= (self.lr / correct1) * m / (np.sqrt(v / correct2) + self.eps)


_CELLS = {
    "rnn": (scratch.rnn_forward, scratch.rnn_backward, scratch.init_rnn_params, 1),
    "lstm": (scratch.lstm_forward, scratch.lstm_backward, scratch.init_lstm_params, 2),
    "gru": (scratch.gru_forward, scratch.gru_backward, scratch.init_gru_params, 1),
}


class ModelCache(NamedTuple):
    """What :meth:`SequenceModel.backward` needs from :meth:`SequenceModel.forward`."""

    cell: tuple
    dense: tuple
    T: int


class SequenceModel:
    """A recurrent cell followed by a dense head, with its parameters in one flat dict.

    ``params`` holds the cell's keys (``W``, ``U``, ``b`` and for the GRU ``b_U``) and the
    head's ``W_y`` ``(H, O)`` and ``b_y`` ``(O,)``, so optimisers, clipping and
    :func:`save_params` treat the whole model as one dict.

    Args:
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"``.
        input_size, hidden_size, output_size: ``D``, ``H``, ``O``.
        many_to_one: if true the head reads only the last state ``h_T`` and predictions are
            ``(B, O)``; otherwise it reads every ``h_t`` and predictions are ``(B, T, O)``.
        loss: ``"mse"`` (regression) or ``"xent"`` (softmax cross-entropy; targets are ints).
        seed, dtype, forget_bias: passed to the ``init_*_params`` function (forget_bias: LSTM only).
    """

    def __init__(self, cell="lstm", input_size=1, hidden_size=32, output_size=1, *, many_to_one=True,
                 loss="mse", seed=None, dtype=np.float32, forget_bias=1.0):
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {list(_CELLS)}, got {cell!r}")
        if loss not in ("mse", "xent"):
            raise ValueError(f"loss must be 'mse' or 'xent', got {loss!r}")
        self.cell, self.many_to_one, self.loss = cell, many_to_one, loss
        self._forward, self._backward, init, self._n_state = _CELLS[cell]
        rng = np.random.default_rng(seed)
        kwargs = {"forget_bias": forget_bias} if cell == "lstm" else {}
        self.params = init(input_size, hidden_size, seed=rng, dtype=dtype, **kwargs)
        k = 1.0 / np.sqrt(hidden_size)
        self.params["W_y"] = rng.uniform(-k, k, (hidden_size, output_size)).astype(dtype)
        self.params["b_y"] = np.zeros(output_size, dtype)

    def _state(self, final):
        return final if self._n_state == 2 else (final,)

    def forward(self, x, state=None):
        """``x`` ``(B, T, D)`` -> ``(y, final_state, cache)``; ``y`` is ``(B, O)`` or ``(B, T, O)``.

        ``final_state`` is ``(h_T, c_T)`` for the LSTM and ``h_T`` otherwise.
        """
        outputs, final, cell_cache = self._forward(x, self.params, state)
        h = outputs[:, -1] if self.many_to_one else outputs
        if self.many_to_one and outputs.shape[1] == 0:
            raise ValueError("a many-to-one model needs at least one time step, got T=0")
        y, dense_cache = dense_forward(h, self.params["W_y"], self.params["b_y"])
        return y, final, ModelCache(cell_cache, dense_cache, outputs.shape[1])

    def backward(self, dy, cache: ModelCache, d_state=None):
        """Gradients of every parameter given ``dy`` (shaped like ``y``). Returns ``(grads, dx, d_state_0)``."""
        dh, dW_y, db_y = dense_backward(dy, cache.dense)
        if self.many_to_one:
            B, H = dh.shape
            d_outputs = np.zeros((B, cache.T, H), dh.dtype)
            d_outputs[:, -1] = dh
        else:
            d_outputs = dh
        dx, grads, d_state0 = self._backward(d_outputs, cache.cell, d_state)
        grads["W_y"], grads["b_y"] = dW_y, db_y
        return grads, dx, d_state0

    def loss_fn(self, pred, y, mask=None):
        """``(loss, dpred)`` for this model's loss."""
        if self.loss == "xent":
            return softmax_cross_entropy(pred, y, mask)
        if mask is not None:
            raise ValueError("mask is only supported with loss='xent'")
        return mse_loss(pred, y)

    def loss_and_grads(self, x, y, state=None, mask=None):
        """One forward and backward pass: returns ``(loss, grads, final_state)``."""
        pred, final, cache = self.forward(x, state)
        loss, dpred = self.loss_fn(pred, y, mask)
        _check_loss(loss)
        grads, _, _ = self.backward(dpred, cache)
        return loss, grads, final

    def predict(self, x, state=None):
        """Predictions only: ``(B, O)`` or ``(B, T, O)`` (class scores for ``loss='xent'``)."""
        return self.forward(x, state)[0]


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


def fit(model, x, y, *, optimizer=None, epochs=1, batch_size=32, clip=None, shuffle=True, seed=0,
        mask=None, progress=True, desc="training"):
    """Train ``model`` (a :class:`SequenceModel` or anything with ``params`` and ``loss_and_grads``).

    Args:
        x: ``(N, T, D)`` inputs; y: targets for ``model.loss_and_grads`` with ``N`` first.
        optimizer: an :class:`SGD` or :class:`Adam` (default ``Adam()``).
        epochs, batch_size: passes over the data and examples per step.
        clip: if given, gradients are clipped to this joint norm before each step.
        shuffle, seed: reshuffle the examples every epoch with this seed.
        mask: optional per-position weights with ``N`` first (cross-entropy only).
        progress: show a tqdm bar on stderr (``False`` in tests); no timings go to stdout.

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
    try:
        for _ in range(epochs):
            order = rng.permutation(N) if shuffle else np.arange(N)
            epoch_losses = []
            for start in range(0, N, batch_size):
                idx = order[start : start + batch_size]
                batch_mask = None if mask is None else mask[idx]
                loss, grads, _ = _loss_and_grads_at(model, step, x[idx], y[idx], mask=batch_mask)
                norm = clip_grad_norm(grads, clip) if clip else math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
                optimizer.step(model.params, grads)
                history["loss"].append(loss)
                history["grad_norm"].append(norm)
                epoch_losses.append(loss)
                step += 1
                bar.update()
                bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            history["epoch_loss"].append(float(np.mean(epoch_losses)))
    finally:
        bar.close()
    return history


def tbptt_chunks(T: int, chunk: int):
    """The slices ``[0:chunk], [chunk:2 chunk], ...`` that cover ``T`` steps (the last may be shorter)."""
    if chunk < 1:
        raise ValueError(f"chunk must be a positive number of steps, got {chunk}")
    return [slice(s, min(s + chunk, T)) for s in range(0, T, chunk)]


def fit_tbptt(model, x, y, *, chunk, optimizer=None, epochs=1, clip=None, mask=None, progress=True,
              desc="TBPTT"):
    """Truncated backpropagation through time on long sequences, many-to-many.

    Each epoch walks through ``x`` ``(B, T, D)`` in chunks of ``chunk`` steps. The final state of
    one chunk is the initial state of the next (its *values* carry over), but no gradient flows
    back across the boundary: each chunk's backward pass starts from ``d_state = 0``. One
    optimiser step per chunk.

    Args:
        model: a :class:`SequenceModel` with ``many_to_one=False``.
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
    try:
        for _ in range(epochs):
            state, losses = None, []
            for sl in chunks:
                loss, grads, final = _loss_and_grads_at(model, step, x[:, sl], y[:, sl], state=state,
                                                        mask=None if mask is None else mask[:, sl])
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
    finally:
        bar.close()
    return history


PARAMS_FORMAT = "lstm_tutorial.params/1"
_FORMAT_KEY = "__format__"


def save_params(path, params: Mapping[str, np.ndarray]) -> None:
    """Write a parameter dict to ``path`` (an ``.npz`` file), with a format marker; no pickle."""
    if not isinstance(params, Mapping) or not params:
        raise TypeError(f"params must be a non-empty dict of arrays, got {type(params).__name__}")
    arrays = {}
    for k, v in params.items():
        if not isinstance(k, str) or not k or k == _FORMAT_KEY:
            raise ValueError(f"parameter names must be non-empty strings other than {_FORMAT_KEY!r}, got {k!r}")
        arrays[k] = check_array(f"params[{k!r}]", v)
    np.savez(path, **{_FORMAT_KEY: np.array(PARAMS_FORMAT)}, **arrays)


def load_params(path) -> dict[str, np.ndarray]:
    """Read a dict written by :func:`save_params`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not an ``.npz`` written by :func:`save_params`, or an entry is
            not a finite numeric array.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no parameter file at {path!r}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive")
        with data:
            entries = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path!r} is not a parameter file written by save_params ({exc})") from None
    marker = entries.pop(_FORMAT_KEY, None)
    if marker is None or marker.shape != () or str(marker) != PARAMS_FORMAT:
        raise ValueError(f"{path!r} is an .npz archive but not a parameter file written by save_params "
                         f"(no {_FORMAT_KEY!r} entry equal to {PARAMS_FORMAT!r})")
    for k, v in entries.items():
        if v.dtype.kind not in "iuf":
            raise ValueError(f"{path!r}: entry {k!r} has dtype {v.dtype}, not a numeric array")
        check_finite(f"{path!r}: entry {k!r}", v)
    return entries
