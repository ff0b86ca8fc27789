"""The reference engine: the tanh RNN, the LSTM and the GRU, one time step at a time, to be read.

Sizes: ``B`` sequences in a batch, ``T`` time steps, ``D`` input features, ``H`` hidden units.
Arrays are batch-first: a sequence batch ``x`` is ``(B, T, D)``, one step of it ``x_t`` is ``(B, D)``.

Each cell is a pair of pure step functions:

- ``*_step_forward(x_t, <previous state>, params)`` returns the new state and a step cache, a
  ``NamedTuple`` holding what the backward step needs;
- ``*_step_backward(<gradient at the new state>, cache)`` returns the gradients in the order of
  the forward arguments: ``dx_t``, the gradient at the previous state, and ``grads``, a dict with
  the keys of ``params``.

The sequence functions ``rnn_forward``, ``lstm_forward``, ``gru_forward`` and their backward
functions are plain loops over the steps, with exactly the arguments and return values of the fast
engine in :mod:`lstm_tutorial.engine.fast`, so either engine can stand in for the other; the fast
engine computes the same numbers in far fewer NumPy calls. Two gradients enter a sequence backward:

- ``d_outputs`` ``(B, T, H)``, supplied by the caller: the loss's own gradient at each ``h_t``
  (zeros at steps the loss does not read);
- ``d_state``: the gradient arriving at the final state from whatever came after it (zeros when
  ``None``).

The gradient at the previous state, ``dh_prev`` (and ``dc_prev`` for the LSTM), flows from each
step to the one before; for ``t = 0`` it is returned as the gradient of the initial state.

Comments cite the book's equations by label: ``rnn-recurrence`` and ``vanishing-step`` (Part I),
``gates-*`` and ``bptt-*`` (the LSTM chapters), ``gru-*`` (the GRU chapter).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_tutorial._checks import check_array
from lstm_tutorial.engine._inputs import check_backward_inputs as check_backward
from lstm_tutorial.engine._inputs import check_forward_inputs as prepare
from lstm_tutorial.engine._inputs import check_step
from lstm_tutorial.engine.activations import sigmoid
from lstm_tutorial.engine.params import GRU_PARAM_SHAPES, LSTM_PARAM_SHAPES, RNN_PARAM_SHAPES

__all__ = [
    "RNNStepCache",
    "LSTMStepCache",
    "GRUStepCache",
    "SequenceCache",
    "rnn_step_forward",
    "rnn_step_backward",
    "lstm_step_forward",
    "lstm_step_backward",
    "gru_step_forward",
    "gru_step_backward",
    "rnn_forward",
    "rnn_backward",
    "lstm_forward",
    "lstm_backward",
    "gru_forward",
    "gru_backward",
]


def _check_grad(name, value, like):
    """A step backward's incoming gradient must have the shape of the state it belongs to."""
    return check_array(name, value, shape=like.shape, labels=("B", "H"), finite=False)


class RNNStepCache(NamedTuple):
    """What :func:`rnn_step_backward` needs from :func:`rnn_step_forward`."""

    x_t: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    h: np.ndarray  # (B, H)
    W: np.ndarray  # (D, H)
    U: np.ndarray  # (H, H)


def rnn_step_forward(x_t, h_prev, params):
    """One step of the tanh RNN, ``h_t = tanh(x_t W + h_{t-1} U + b)``.

    Args:
        x_t: ``(B, D)`` input at step t.
        h_prev: ``(B, H)`` previous hidden state ``h_{t-1}``.
        params: ``{"W": (D, H), "U": (H, H), "b": (H,)}``.

    Returns:
        ``(h, cache)``: ``h`` is ``h_t`` ``(B, H)``, ``cache`` an :class:`RNNStepCache`.
    """
    x_t, states, p = check_step(x_t, {"h_prev": h_prev}, params, RNN_PARAM_SHAPES)
    h_prev = states["h_prev"]
    a = x_t @ p["W"] + h_prev @ p["U"] + p["b"]  # (B, H) pre-activation, rnn-recurrence
    h = np.tanh(a)  # rnn-recurrence
    return h, RNNStepCache(x_t, h_prev, h, p["W"], p["U"])


def rnn_step_backward(dh, cache: RNNStepCache):
    """Backpropagate through one :func:`rnn_step_forward`.

    Args:
        dh: ``(B, H)`` total gradient at ``h_t``: the loss's own part at step t plus the
            ``dh_prev`` that step t + 1 passed back.
        cache: the step's :class:`RNNStepCache`.

    Returns:
        ``(dx_t, dh_prev, grads)``: ``dx_t`` ``(B, D)``; ``dh_prev`` ``(B, H)``, the part of the
        gradient at ``h_{t-1}`` that flows through this step; ``grads`` this step's contribution
        to ``{"W": (D, H), "U": (H, H), "b": (H,)}``.
    """
    dh = _check_grad("dh", dh, cache.h)
    da = dh * (1.0 - cache.h**2)  # (B, H), vanishing-step: tanh'(a_t) = 1 - h_t^2
    dx_t = da @ cache.W.T  # (B, D)
    dh_prev = da @ cache.U.T  # (B, H), vanishing-step
    grads = {"W": cache.x_t.T @ da, "U": cache.h_prev.T @ da, "b": da.sum(axis=0)}
    return dx_t, dh_prev, grads


class LSTMStepCache(NamedTuple):
    """What :func:`lstm_step_backward` needs from :func:`lstm_step_forward`; all gates activated."""

    x_t: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    c_prev: np.ndarray  # (B, H)
    i: np.ndarray  # (B, H) input gate
    f: np.ndarray  # (B, H) forget gate
    g: np.ndarray  # (B, H) candidate values
    o: np.ndarray  # (B, H) output gate
    tanh_c: np.ndarray  # (B, H) tanh(c_t)
    W: np.ndarray  # (D, 4H)
    U: np.ndarray  # (H, 4H)


def lstm_step_forward(x_t, h_prev, c_prev, params):
    """One step of the LSTM.

    The pre-activation ``a_t = x_t W + h_{t-1} U + b`` has four blocks of ``H`` columns, in the
    order i, f, g, o (PyTorch's and Keras's order): ``i, f, o`` pass through σ, ``g`` through tanh.

    Args:
        x_t: ``(B, D)`` input at step t.
        h_prev, c_prev: ``(B, H)`` previous hidden and cell states ``h_{t-1}``, ``c_{t-1}``.
        params: ``{"W": (D, 4H), "U": (H, 4H), "b": (4H,)}``.

    Returns:
        ``(h, c, cache)``: ``h_t`` and ``c_t``, each ``(B, H)``, and an :class:`LSTMStepCache`.
    """
    x_t, states, p = check_step(x_t, {"h_prev": h_prev, "c_prev": c_prev}, params, LSTM_PARAM_SHAPES)
    h_prev, c_prev = states["h_prev"], states["c_prev"]
    a = x_t @ p["W"] + h_prev @ p["U"] + p["b"]  # (B, 4H), gates-preact
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)  # four (B, H) blocks
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)  # gates-gates
    c = f * c_prev + i * g  # gates-cell
    tanh_c = np.tanh(c)
    h = o * tanh_c  # gates-hidden
    return h, c, LSTMStepCache(x_t, h_prev, c_prev, i, f, g, o, tanh_c, p["W"], p["U"])


def lstm_step_backward(dh, dc, cache: LSTMStepCache):
    """Backpropagate through one :func:`lstm_step_forward`.

    Args:
        dh: ``(B, H)`` total gradient at ``h_t`` (bptt-dh): the loss's own part at step t plus the
            ``dh_prev`` that step t + 1 passed back.
        dc: ``(B, H)`` gradient at ``c_t`` from later steps only, the ``dc_prev`` of step t + 1
            (``δc_{t+1} f_{t+1}``); this function adds the path through ``h_t = o_t tanh(c_t)``.
        cache: the step's :class:`LSTMStepCache`.

    Returns:
        ``(dx_t, dh_prev, dc_prev, grads)``: ``dx_t`` ``(B, D)``; ``dh_prev`` and ``dc_prev``
        ``(B, H)``, what flows to step t - 1; ``grads`` this step's contribution to
        ``{"W": (D, 4H), "U": (H, 4H), "b": (4H,)}``.
    """
    dh, dc = _check_grad("dh", dh, cache.h_prev), _check_grad("dc", dc, cache.c_prev)
    i, f, g, o, tanh_c = cache.i, cache.f, cache.g, cache.o, cache.tanh_c
    dc = dc + dh * o * (1.0 - tanh_c**2)  # (B, H), bptt-dc
    do, di, dg, df = dh * tanh_c, dc * g, dc * i, dc * cache.c_prev  # bptt-dgates
    da = np.concatenate(  # (B, 4H), bptt-dpreact: σ' = σ(1 - σ), tanh' = 1 - tanh^2
        [di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g**2), do * o * (1.0 - o)], axis=1
    )
    dx_t = da @ cache.W.T  # (B, D), bptt-dx
    dh_prev = da @ cache.U.T  # (B, H), bptt-dh: the term δa_t U^T of step t - 1
    dc_prev = dc * f  # (B, H), bptt-dc: the term δc_t f_t of step t - 1
    grads = {"W": cache.x_t.T @ da, "U": cache.h_prev.T @ da, "b": da.sum(axis=0)}  # bptt-weights, one term
    return dx_t, dh_prev, dc_prev, grads


class GRUStepCache(NamedTuple):
    """What :func:`gru_step_backward` needs from :func:`gru_step_forward`; all gates activated."""

    x_t: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    r: np.ndarray  # (B, H) reset gate
    z: np.ndarray  # (B, H) update gate
    n: np.ndarray  # (B, H) candidate state
    u_n: np.ndarray  # (B, H) h_{t-1} U_n + b_{U,n}, the recurrent part the reset gate scales
    W: np.ndarray  # (D, 3H)
    U: np.ndarray  # (H, 3H)


def gru_step_forward(x_t, h_prev, params):
    """One step of the GRU, in the layout of :func:`lstm_tutorial.engine.fast.gru_forward`.

    The blocks of ``W``, ``U``, ``b`` and ``b_U`` are ordered r, z, n (as in PyTorch). The input
    side is ``a_t = x_t W + b`` and the recurrent side ``u_t = h_{t-1} U + b_U``; the reset gate
    scales the recurrent side of the candidate *after* the product ("reset-after", as in PyTorch
    and in Keras with ``reset_after=True``).

    Args:
        x_t: ``(B, D)`` input at step t.
        h_prev: ``(B, H)`` previous hidden state ``h_{t-1}``.
        params: ``{"W": (D, 3H), "U": (H, 3H), "b": (3H,), "b_U": (3H,)}``.

    Returns:
        ``(h, cache)``: ``h_t`` ``(B, H)`` and a :class:`GRUStepCache`.
    """
    x_t, states, p = check_step(x_t, {"h_prev": h_prev}, params, GRU_PARAM_SHAPES)
    h_prev = states["h_prev"]
    a_r, a_z, a_n = np.split(x_t @ p["W"] + p["b"], 3, axis=1)  # input side, three (B, H) blocks
    u_r, u_z, u_n = np.split(h_prev @ p["U"] + p["b_U"], 3, axis=1)  # recurrent side
    r = sigmoid(a_r + u_r)  # gru-r
    z = sigmoid(a_z + u_z)  # gru-z
    n = np.tanh(a_n + r * u_n)  # gru-n, the argument of tanh is s_t
    h = (1.0 - z) * n + z * h_prev  # gru-h
    return h, GRUStepCache(x_t, h_prev, r, z, n, u_n, p["W"], p["U"])


def gru_step_backward(dh, cache: GRUStepCache):
    """Backpropagate through one :func:`gru_step_forward`.

    Args:
        dh: ``(B, H)`` total gradient at ``h_t``: the loss's own part at step t plus the
            ``dh_prev`` that step t + 1 passed back.
        cache: the step's :class:`GRUStepCache`.

    Returns:
        ``(dx_t, dh_prev, grads)``: ``dx_t`` ``(B, D)``; ``dh_prev`` ``(B, H)``, what flows to
        step t - 1; ``grads`` this step's contribution to ``{"W": (D, 3H), "U": (H, 3H),
        "b": (3H,), "b_U": (3H,)}``.
    """
    dh = _check_grad("dh", dh, cache.h_prev)
    r, z, n = cache.r, cache.z, cache.n
    dn, dz = dh * (1.0 - z), dh * (cache.h_prev - n)  # gru-dnz
    ds = dn * (1.0 - n**2)  # gru-ds
    dr, du_n = ds * cache.u_n, ds * r  # gru-ds
    da_r, da_z = dr * r * (1.0 - r), dz * z * (1.0 - z)  # gru-dgates, equal to du_r, du_z
    da = np.concatenate([da_r, da_z, ds], axis=1)  # (B, 3H) at the input side, gru-dgates
    du = np.concatenate([da_r, da_z, du_n], axis=1)  # (B, 3H) at the recurrent side
    dx_t = da @ cache.W.T  # (B, D)
    dh_prev = du @ cache.U.T + dh * z  # (B, H), gru-dh without the loss's own part at step t - 1
    grads = {"W": cache.x_t.T @ da, "U": cache.h_prev.T @ du, "b": da.sum(axis=0), "b_U": du.sum(axis=0)}
    return dx_t, dh_prev, grads


class SequenceCache(NamedTuple):
    """What a sequence backward needs from its forward: the parameters and one cache per step."""

    params: dict  # the validated parameters, in the dtype of the computation
    steps: list  # T step caches; steps[t] belongs to the step that computes h_{t+1}
    shape: tuple  # (B, T, D, H)


def _zero_grads(params):
    return {k: np.zeros_like(v) for k, v in params.items()}


def rnn_forward(x, params, state=None):
    """Run the tanh RNN over a batch of sequences, one :func:`rnn_step_forward` per step.

    Args:
        x: ``(B, T, D)`` input sequences.
        params: ``{"W": (D, H), "U": (H, H), "b": (H,)}``.
        state: ``h_0`` ``(B, H)`` (or a 1-tuple holding it); zeros when ``None``.

    Returns:
        ``(outputs, h_T, cache)``: ``outputs`` ``(B, T, H)`` holds ``h_1 .. h_T``; ``h_T`` is
        ``(B, H)`` (``h_0`` when ``T = 0``); ``cache`` is a :class:`SequenceCache`.
    """
    x, p, (h,), B, T, D, H, dtype = prepare(x, params, state, RNN_PARAM_SHAPES, 1)
    outputs, steps = np.empty((B, T, H), dtype), []
    for t in range(T):
        h, step = rnn_step_forward(x[:, t], h, p)
        outputs[:, t] = h
        steps.append(step)
    return outputs, h, SequenceCache(p, steps, (B, T, D, H))


def rnn_backward(d_outputs, cache: SequenceCache, d_state=None):
    """Backpropagate through :func:`rnn_forward`, one :func:`rnn_step_backward` per step, last first.

    Args:
        d_outputs: ``(B, T, H)`` the loss's gradient at each output ``h_t``.
        cache: the forward pass's :class:`SequenceCache`.
        d_state: ``(B, H)`` gradient arriving at ``h_T`` from later computation; zeros when ``None``.

    Returns:
        ``(dx, grads, dh_0)``: ``dx`` ``(B, T, D)``, ``grads`` with the keys and shapes of
        ``params``, ``dh_0`` ``(B, H)``.
    """
    B, T, D, H = cache.shape
    d_outputs, (dh_next,) = check_backward(d_outputs, d_state, (B, T, H), 1, cache.params["W"].dtype)
    dx, grads = np.empty((B, T, D), d_outputs.dtype), _zero_grads(cache.params)
    for t in reversed(range(T)):
        dh = d_outputs[:, t] + dh_next  # vanishing-step: the direct part plus what step t + 1 passed back
        dx[:, t], dh_next, step_grads = rnn_step_backward(dh, cache.steps[t])
        for k in grads:
            grads[k] += step_grads[k]  # the weights are shared by all steps: their gradients add up
    return dx, grads, dh_next


def lstm_forward(x, params, state=None):
    """Run the LSTM over a batch of sequences, one :func:`lstm_step_forward` per step.

    Args:
        x: ``(B, T, D)`` input sequences.
        params: ``{"W": (D, 4H), "U": (H, 4H), "b": (4H,)}``, gate blocks i, f, g, o.
        state: ``(h_0, c_0)``, each ``(B, H)``; zeros when ``None``.

    Returns:
        ``(outputs, (h_T, c_T), cache)``: ``outputs`` ``(B, T, H)`` holds ``h_1 .. h_T``; ``h_T``
        and ``c_T`` are ``(B, H)`` (the initial state when ``T = 0``); ``cache`` is a
        :class:`SequenceCache`.
    """
    x, p, (h, c), B, T, D, H, dtype = prepare(x, params, state, LSTM_PARAM_SHAPES, 2)
    outputs, steps = np.empty((B, T, H), dtype), []
    for t in range(T):
        h, c, step = lstm_step_forward(x[:, t], h, c, p)
        outputs[:, t] = h
        steps.append(step)
    return outputs, (h, c), SequenceCache(p, steps, (B, T, D, H))


def lstm_backward(d_outputs, cache: SequenceCache, d_state=None):
    """Backpropagate through :func:`lstm_forward`, one :func:`lstm_step_backward` per step, last first.

    Args:
        d_outputs: ``(B, T, H)`` the loss's gradient at each output ``h_t``.
        cache: the forward pass's :class:`SequenceCache`.
        d_state: ``(dh_T, dc_T)``, each ``(B, H)``: the gradient arriving at the final state from
            later computation; zeros when ``None``.

    Returns:
        ``(dx, grads, (dh_0, dc_0))``: ``dx`` ``(B, T, D)``; ``grads`` ``{"W": (D, 4H),
        "U": (H, 4H), "b": (4H,)}``; ``dh_0`` and ``dc_0`` ``(B, H)``.
    """
    B, T, D, H = cache.shape
    d_outputs, (dh_next, dc) = check_backward(d_outputs, d_state, (B, T, H), 2, cache.params["W"].dtype)
    dx, grads = np.empty((B, T, D), d_outputs.dtype), _zero_grads(cache.params)
    for t in reversed(range(T)):
        dh = d_outputs[:, t] + dh_next  # bptt-dh: the direct part plus what step t + 1 passed back
        dx[:, t], dh_next, dc, step_grads = lstm_step_backward(dh, dc, cache.steps[t])
        for k in grads:
            grads[k] += step_grads[k]  # bptt-weights: a sum over the steps
    return dx, grads, (dh_next, dc)


def gru_forward(x, params, state=None):
    """Run the GRU over a batch of sequences, one :func:`gru_step_forward` per step.

    Args:
        x: ``(B, T, D)`` input sequences.
        params: ``{"W": (D, 3H), "U": (H, 3H), "b": (3H,), "b_U": (3H,)}``, gate blocks r, z, n.
        state: ``h_0`` ``(B, H)`` (or a 1-tuple holding it); zeros when ``None``.

    Returns:
        ``(outputs, h_T, cache)``: ``outputs`` ``(B, T, H)``, ``h_T`` ``(B, H)``, a
        :class:`SequenceCache`.
    """
    x, p, (h,), B, T, D, H, dtype = prepare(x, params, state, GRU_PARAM_SHAPES, 1)
    outputs, steps = np.empty((B, T, H), dtype), []
    for t in range(T):
        h, step = gru_step_forward(x[:, t], h, p)
        outputs[:, t] = h
        steps.append(step)
    return outputs, h, SequenceCache(p, steps, (B, T, D, H))


def gru_backward(d_outputs, cache: SequenceCache, d_state=None):
    """Backpropagate through :func:`gru_forward`, one :func:`gru_step_backward` per step, last first.

    Args:
        d_outputs: ``(B, T, H)`` the loss's gradient at each output ``h_t``.
        cache: the forward pass's :class:`SequenceCache`.
        d_state: ``(B, H)`` gradient arriving at ``h_T`` from later computation; zeros when ``None``.

    Returns:
        ``(dx, grads, dh_0)``: ``dx`` ``(B, T, D)``; ``grads`` ``{"W": (D, 3H), "U": (H, 3H),
        "b": (3H,), "b_U": (3H,)}``; ``dh_0`` ``(B, H)``.
    """
    B, T, D, H = cache.shape
    d_outputs, (dh_next,) = check_backward(d_outputs, d_state, (B, T, H), 1, cache.params["W"].dtype)
    dx, grads = np.empty((B, T, D), d_outputs.dtype), _zero_grads(cache.params)
    for t in reversed(range(T)):
        dh = d_outputs[:, t] + dh_next  # gru-dh: the direct part plus what step t + 1 passed back
        dx[:, t], dh_next, step_grads = gru_step_backward(dh, cache.steps[t])
        for k in grads:
            grads[k] += step_grads[k]  # the weights are shared by all steps: their gradients add up
    return dx, grads, dh_next
