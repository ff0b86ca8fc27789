"""A recurrent cell followed by a dense head, with its parameters in one flat dict.

:class:`SequenceModel` joins a cell of :mod:`lstm_tutorial.engine.fast` with the output layer of
:mod:`lstm_tutorial.engine.layers` and a loss of :mod:`lstm_tutorial.engine.losses`, so that the
training loop (:mod:`lstm_tutorial.engine.training`), the optimisers and
:func:`~lstm_tutorial.engine.params.save_params` treat the whole model as one dict.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_tutorial.engine import fast, params
from lstm_tutorial.engine.layers import dense_backward, dense_forward
from lstm_tutorial.engine.losses import mse_loss, softmax_cross_entropy
from lstm_tutorial.engine.training import _check_loss

__all__ = ["SequenceModel"]

_CELLS = {
    "rnn": (fast.rnn_forward, fast.rnn_backward, params.init_rnn_params, 1),
    "lstm": (fast.lstm_forward, fast.lstm_backward, params.init_lstm_params, 2),
    "gru": (fast.gru_forward, fast.gru_backward, params.init_gru_params, 1),
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
        if self.many_to_one and outputs.shape[1] == 0:
            raise ValueError(f"a many-to-one model reads the last step, so x needs T >= 1 steps; got shape {outputs.shape[:2]}"
                             " = (B, T)")
        h = outputs[:, -1] if self.many_to_one else outputs
        y, dense_cache = dense_forward(h, self.params["W_y"], self.params["b_y"])
        return y, final, ModelCache(cell_cache, dense_cache, outputs.shape[1])

    def backward(self, dy, cache: ModelCache, d_state=None):
        """Gradients given ``dy`` (shaped like ``y``): ``(dx, grads, d_state_0)``, as the cells return them.

        ``dx`` is ``(B, T, D)``; ``grads`` has the keys of :attr:`params`; ``d_state_0`` is the
        gradient of the initial state (``(dh_0, dc_0)`` for the LSTM, ``dh_0`` otherwise).
        """
        dh, dW_y, db_y = dense_backward(dy, cache.dense)
        if self.many_to_one:
            B, H = dh.shape
            d_outputs = np.zeros((B, cache.T, H), dh.dtype)
            d_outputs[:, -1] = dh
        else:
            d_outputs = dh
        dx, grads, d_state0 = self._backward(d_outputs, cache.cell, d_state)
        grads["W_y"], grads["b_y"] = dW_y, db_y
        return dx, grads, d_state0

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
        _, grads, _ = self.backward(dpred, cache)
        return loss, grads, final

    def predict(self, x, state=None):
        """Predictions only: ``(B, O)`` or ``(B, T, O)`` (class scores for ``loss='xent'``)."""
        return self.forward(x, state)[0]
