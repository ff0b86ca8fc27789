"""The fast NumPy engine: a tanh RNN, the LSTM and the GRU, forward and backward, fused and in place.

These functions compute exactly what the step functions of :mod:`lstm_tutorial.engine.reference`
compute (``tests/engine/test_reference.py`` holds them equal to 1e-12 in float64), with the same
signatures and the same ``params`` dicts; they are its optimisation, not another model.

Sizes, used in every docstring below:

- ``B``: batch size, ``T``: number of time steps,
- ``D``: input features per step, ``H``: hidden units.

Arrays are batch-first: an input sequence is ``x`` of shape ``(B, T, D)`` and the hidden states
are ``outputs`` of shape ``(B, T, H)``. Each cell has a pure ``*_forward`` function that returns
its outputs, its final state and a ``cache`` (a ``NamedTuple``), and a ``*_backward`` function
that takes the gradient of the loss with respect to the outputs plus that cache and returns
gradients named ``d`` + the forward argument.

Two gradients enter a backward pass:

- ``d_outputs`` ``(B, T, H)``: the caller supplies it, the loss's gradient with respect to each
  ``h_t`` (zeros at steps the loss does not read);
- ``d_state``: the gradient arriving at the *final* state from whatever came after it (the next
  chunk in truncated BPTT); zeros when ``None``.

The gradient that flows *between* steps, ``dh_{t-1}`` (and ``dc_{t-1}`` for the LSTM), is
computed inside the loop and returned for ``t = 0`` as the gradient of the initial state.

Inside, the loops run time-major, ``(T, B, ...)``, so that each step reads contiguous memory.
The input projection ``x_t W + b`` for all steps is one matrix product before the loop, and the
weight gradients are single matrix products after the backward loop; a step does one matrix
product with ``U`` and element-wise work on preallocated arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_tutorial.engine._inputs import check_backward_inputs, check_forward_inputs
from lstm_tutorial.engine.params import (
    GRU_PARAM_SHAPES,
    LSTM_PARAM_SHAPES,
    RNN_PARAM_SHAPES,
)

__all__ = [
    "RNNCache",
    "LSTMCache",
    "GRUCache",
    "rnn_forward",
    "rnn_backward",
    "lstm_forward",
    "lstm_backward",
    "gru_forward",
    "gru_backward",
]


def _time_major(a: np.ndarray) -> np.ndarray:
    """``(B, T, F)`` -> contiguous ``(T, B, F)``."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


def _batch_first(a: np.ndarray) -> np.ndarray:
    """``(T, B, F)`` -> contiguous ``(B, T, F)``."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


class RNNCache(NamedTuple):
    """What :func:`rnn_backward` needs from :func:`rnn_forward`; arrays are time-major."""

    x: np.ndarray  # (T, B, D)
    h: np.ndarray  # (T + 1, B, H): h[0] = h_0, h[t] = h_t
    W: np.ndarray  # (D, H)
    U: np.ndarray  # (H, H)


def rnn_forward(x, params, state=None):
    """Run a vanilla tanh RNN over a batch of sequences.

    .. math:: h_t = \\tanh(x_t W + h_{t-1} U + b)

    Args:
        x: ``(B, T, D)`` input sequences.
        params: ``{"W": (D, H), "U": (H, H), "b": (H,)}``.
        state: ``h_0`` of shape ``(B, H)`` (or a 1-tuple holding it); zeros when ``None``.

    Returns:
        ``(outputs, h_T, cache)``: ``outputs`` ``(B, T, H)`` holds ``h_1 .. h_T``; ``h_T`` is
        ``(B, H)`` (equal to ``h_0`` when ``T = 0``); ``cache`` is an :class:`RNNCache`.
    """
    x, p, (h0,), B, T, D, H, dtype = check_forward_inputs(x, params, state, RNN_PARAM_SHAPES, 1)
    xs = _time_major(x)
    hs = np.empty((T + 1, B, H), dtype)
    hs[0] = h0
    # a[t] = x_t W + b for every step in one product; the loop adds h_{t-1} U in place.
    np.matmul(xs.reshape(T * B, D), p["W"], out=hs[1:].reshape(T * B, H))
    hs[1:] += p["b"]
    tmp = np.empty((B, H), dtype)
    U = p["U"]
    for t in range(1, T + 1):
        np.matmul(hs[t - 1], U, out=tmp)
        hs[t] += tmp
        np.tanh(hs[t], out=hs[t])
    return _batch_first(hs[1:]), hs[T].copy(), RNNCache(xs, hs, p["W"], U)


def rnn_backward(d_outputs, cache: RNNCache, d_state=None):
    """Backpropagate through :func:`rnn_forward`.

    Args:
        d_outputs: ``(B, T, H)`` gradient of the loss with respect to each output ``h_t``.
        cache: the :class:`RNNCache` returned by the forward pass.
        d_state: gradient with respect to the final state ``h_T``, ``(B, H)``; zeros when ``None``.

    Returns:
        ``(dx, grads, dh_0)``: ``dx`` ``(B, T, D)``, ``grads`` with the keys and shapes of
        ``params``, and ``dh_0`` ``(B, H)``.
    """
    xs, hs, W, U = cache
    T, B, D = xs.shape
    H = hs.shape[2]
    dtype = hs.dtype
    dout, (dh,) = check_backward_inputs(d_outputs, d_state, (B, T, H), 1, dtype)
    dout = dout.transpose(1, 0, 2)
    da = np.empty((T, B, H), dtype)  # gradient at the pre-activation a_t
    UT = np.ascontiguousarray(U.T)
    for t in range(T - 1, -1, -1):
        dh += dout[t]
        # tanh'(a_t) = 1 - h_t^2
        np.multiply(hs[t + 1], hs[t + 1], out=da[t])
        np.subtract(1, da[t], out=da[t])
        da[t] *= dh
        np.matmul(da[t], UT, out=dh)
    da2 = da.reshape(T * B, H)
    grads = {
        "W": xs.reshape(T * B, D).T @ da2,
        "U": hs[:-1].reshape(T * B, H).T @ da2,
        "b": da2.sum(axis=0),
    }
    dx = _batch_first((da2 @ W.T).reshape(T, B, D))
    return dx, grads, dh


class LSTMCache(NamedTuple):
    """What :func:`lstm_backward` needs from :func:`lstm_forward`; arrays are time-major."""

    x: np.ndarray  # (T, B, D)
    gates: np.ndarray  # (T, B, 4H): activated i_t, f_t, g_t, o_t side by side
    h: np.ndarray  # (T + 1, B, H): h[0] = h_0
    c: np.ndarray  # (T + 1, B, H): c[0] = c_0
    tanh_c: np.ndarray  # (T, B, H): tanh(c_t), t = 1 .. T
    W: np.ndarray  # (D, 4H)
    U: np.ndarray  # (H, 4H)


def _gate_constants(H, dtype):
    """Per-column constants that let one tanh compute σ for i, f, o and tanh for g.

    σ(a) = 0.5 tanh(0.5 a) + 0.5, so with ``scale`` folded into the weights, the gate
    block is ``scale * tanh(scale * z) + shift`` (the scale is 0.5 for σ columns, 1 for tanh).
    The derivative of each gate with respect to
    its pre-activation is ``gamma + y (alpha - y)``: ``y (1 - y)`` for σ and ``1 - y^2`` for tanh.
    """
    sig = np.ones(4 * H, dtype)
    sig[2 * H : 3 * H] = 0
    scale = np.where(sig == 1, 0.5, 1.0).astype(dtype)
    shift = np.where(sig == 1, 0.5, 0.0).astype(dtype)
    alpha = sig.copy()
    gamma = 1 - sig
    return scale, shift, alpha, gamma


def lstm_forward(x, params, state=None):
    """Run an LSTM over a batch of sequences.

    With the four gate blocks of ``z_t`` in the order i, f, g, o:

    .. math::

        z_t &= x_t W + h_{t-1} U + b \\\\
        i_t &= \\sigma(z_t^{(i)}), \\quad f_t = \\sigma(z_t^{(f)}), \\quad
        g_t = \\tanh(z_t^{(g)}), \\quad o_t = \\sigma(z_t^{(o)}) \\\\
        c_t &= f_t \\odot c_{t-1} + i_t \\odot g_t \\\\
        h_t &= o_t \\odot \\tanh(c_t)

    where σ is the logistic function and ⊙ the element-wise product. This is Keras's layout,
    and PyTorch's gate order: ``W = weight_ih_l0.T``, ``U = weight_hh_l0.T``,
    ``b = bias_ih_l0 + bias_hh_l0``.

    Args:
        x: ``(B, T, D)`` input sequences.
        params: ``{"W": (D, 4H), "U": (H, 4H), "b": (4H,)}``; other keys are ignored.
        state: ``(h_0, c_0)``, each ``(B, H)``; zeros when ``None``.

    Returns:
        ``(outputs, (h_T, c_T), cache)``: ``outputs`` ``(B, T, H)`` holds ``h_1 .. h_T``;
        ``h_T`` and ``c_T`` are ``(B, H)`` (the initial state when ``T = 0``); ``cache`` is an
        :class:`LSTMCache`. Computation is in float64 if ``x`` or any parameter is float64,
        else float32.
    """
    x, p, (h0, c0), B, T, D, H, dtype = check_forward_inputs(x, params, state, LSTM_PARAM_SHAPES, 2)
    scale, shift, _, _ = _gate_constants(H, dtype)
    Ws, Us, bs = p["W"] * scale, p["U"] * scale, p["b"] * scale
    xs = _time_major(x)
    gates = np.empty((T, B, 4 * H), dtype)
    hs = np.empty((T + 1, B, H), dtype)
    cs = np.empty((T + 1, B, H), dtype)
    tanh_c = np.empty((T, B, H), dtype)
    hs[0], cs[0] = h0, c0
    np.matmul(xs.reshape(T * B, D), Ws, out=gates.reshape(T * B, 4 * H))
    gates += bs
    tmp = np.empty((B, 4 * H), dtype)
    ig = np.empty((B, H), dtype)
    for t in range(T):
        z = gates[t]  # (B, 4H), becomes [i_t | f_t | g_t | o_t] in place
        np.matmul(hs[t], Us, out=tmp)
        z += tmp
        np.tanh(z, out=z)
        z *= scale
        z += shift
        i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        c = cs[t + 1]
        np.multiply(f, cs[t], out=c)
        np.multiply(i, g, out=ig)
        c += ig
        np.tanh(c, out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=hs[t + 1])
    cache = LSTMCache(xs, gates, hs, cs, tanh_c, p["W"], p["U"])
    return _batch_first(hs[1:]), (hs[T].copy(), cs[T].copy()), cache


def lstm_backward(d_outputs, cache: LSTMCache, d_state=None):
    """Backpropagate through :func:`lstm_forward`.

    Args:
        d_outputs: ``(B, T, H)`` gradient of the loss with respect to each ``h_t`` (supplied by
            the caller; zeros where the loss ignores a step).
        cache: the :class:`LSTMCache` from the forward pass.
        d_state: ``(dh_T, dc_T)``, each ``(B, H)``: gradient arriving at the final state from
            later computation; zeros when ``None``.

    Returns:
        ``(dx, grads, (dh_0, dc_0))``: ``dx`` ``(B, T, D)``; ``grads`` ``{"W": (D, 4H),
        "U": (H, 4H), "b": (4H,)}``; ``dh_0`` and ``dc_0`` ``(B, H)``.
    """
    xs, gates, hs, cs, tanh_c, W, U = cache
    T, B, D = xs.shape
    H = hs.shape[2]
    dtype = hs.dtype
    dout, (dh, dc) = check_backward_inputs(d_outputs, d_state, (B, T, H), 2, dtype)
    dout = dout.transpose(1, 0, 2)
    _, _, alpha, gamma = _gate_constants(H, dtype)
    dz_all = np.empty((T, B, 4 * H), dtype)  # gradient at the pre-activations z_t
    UT = np.ascontiguousarray(U.T)  # (4H, H)
    tmp = np.empty((B, H), dtype)
    fac = np.empty((B, 4 * H), dtype)
    for t in range(T - 1, -1, -1):
        dh += dout[t]
        y, dz, tc = gates[t], dz_all[t], tanh_c[t]
        i, f, g, o = y[:, :H], y[:, H : 2 * H], y[:, 2 * H : 3 * H], y[:, 3 * H :]
        di, df, dg, do = dz[:, :H], dz[:, H : 2 * H], dz[:, 2 * H : 3 * H], dz[:, 3 * H :]
        # h_t = o_t tanh(c_t): dc_t += dh_t o_t (1 - tanh^2(c_t))
        np.multiply(dh, tc, out=do)
        np.multiply(tc, tc, out=tmp)
        np.subtract(1, tmp, out=tmp)
        tmp *= o
        tmp *= dh
        dc += tmp
        # c_t = f_t c_{t-1} + i_t g_t
        np.multiply(dc, g, out=di)
        np.multiply(dc, i, out=dg)
        np.multiply(dc, cs[t], out=df)
        dc *= f
        # through the nonlinearities: y(1 - y) for σ, 1 - y^2 for tanh
        np.subtract(alpha, y, out=fac)
        fac *= y
        fac += gamma
        dz *= fac
        np.matmul(dz, UT, out=dh)
    dz2 = dz_all.reshape(T * B, 4 * H)
    grads = {
        "W": xs.reshape(T * B, D).T @ dz2,
        "U": hs[:-1].reshape(T * B, H).T @ dz2,
        "b": dz2.sum(axis=0),
    }
    dx = _batch_first((dz2 @ W.T).reshape(T, B, D))
    return dx, grads, (dh, dc)


class GRUCache(NamedTuple):
    """What :func:`gru_backward` needs from :func:`gru_forward`; arrays are time-major."""

    x: np.ndarray  # (T, B, D)
    gates: np.ndarray  # (T, B, 3H): activated r_t, z_t, n_t
    u_n: np.ndarray  # (T, B, H): h_{t-1} U_n + b_U^(n), the recurrent part the reset gate scales
    h: np.ndarray  # (T + 1, B, H): h[0] = h_0
    W: np.ndarray  # (D, 3H)
    U: np.ndarray  # (H, 3H)


def gru_forward(x, params, state=None):
    """Run a GRU over a batch of sequences.

    Layout (the one this package uses everywhere; ``convert`` maps the frameworks to it).
    The three blocks of ``W``, ``U``, ``b`` and ``b_U`` are ordered r, z, n (reset, update,
    candidate), as in PyTorch, and the reset gate acts *after* the recurrent product
    ("reset-after"), as in PyTorch and in Keras with ``reset_after=True``:

    .. math::

        r_t &= \\sigma(x_t W_r + b_r + h_{t-1} U_r + b_{U,r}) \\\\
        z_t &= \\sigma(x_t W_z + b_z + h_{t-1} U_z + b_{U,z}) \\\\
        n_t &= \\tanh(x_t W_n + b_n + r_t \\odot (h_{t-1} U_n + b_{U,n})) \\\\
        h_t &= (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}

    ``b`` is the input-side bias and ``b_U`` the recurrent-side bias; for r and z only their sum
    matters, for n they differ because ``b_U`` sits inside the reset. PyTorch: ``W = weight_ih.T``,
    ``U = weight_hh.T``, ``b = bias_ih``, ``b_U = bias_hh``. Keras (z, r, h order, bias ``(2, 3H)``):
    reorder the blocks to r, z, n; ``b = bias[0]``, ``b_U = bias[1]``.

    Args:
        x: ``(B, T, D)`` input sequences.
        params: ``{"W": (D, 3H), "U": (H, 3H), "b": (3H,), "b_U": (3H,)}``.
        state: ``h_0`` of shape ``(B, H)`` (or a 1-tuple holding it); zeros when ``None``.

    Returns:
        ``(outputs, h_T, cache)``: ``outputs`` ``(B, T, H)``, ``h_T`` ``(B, H)``, a :class:`GRUCache`.
    """
    x, p, (h0,), B, T, D, H, dtype = check_forward_inputs(x, params, state, GRU_PARAM_SHAPES, 1)
    # Fold σ(a) = 0.5 tanh(0.5 a) + 0.5 into the r and z columns.
    scale = np.ones(3 * H, dtype)
    scale[: 2 * H] = 0.5
    Ws, Us, bs, bUs = p["W"] * scale, p["U"] * scale, p["b"] * scale, p["b_U"] * scale
    xs = _time_major(x)
    gates = np.empty((T, B, 3 * H), dtype)
    u_n = np.empty((T, B, H), dtype)
    hs = np.empty((T + 1, B, H), dtype)
    hs[0] = h0
    np.matmul(xs.reshape(T * B, D), Ws, out=gates.reshape(T * B, 3 * H))
    gates += bs
    u = np.empty((B, 3 * H), dtype)
    tmp = np.empty((B, H), dtype)
    for t in range(T):
        a = gates[t]  # (B, 3H), becomes [r_t | z_t | n_t] in place
        np.matmul(hs[t], Us, out=u)
        u += bUs
        rz = a[:, : 2 * H]
        rz += u[:, : 2 * H]
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        u_n[t] = u[:, 2 * H :]
        np.multiply(r, u_n[t], out=tmp)
        n += tmp
        np.tanh(n, out=n)
        # h_t = n_t + z_t (h_{t-1} - n_t), the same as (1 - z_t) n_t + z_t h_{t-1}
        h = hs[t + 1]
        np.subtract(hs[t], n, out=h)
        h *= z
        h += n
    return _batch_first(hs[1:]), hs[T].copy(), GRUCache(xs, gates, u_n, hs, p["W"], p["U"])


def gru_backward(d_outputs, cache: GRUCache, d_state=None):
    """Backpropagate through :func:`gru_forward`.

    Args:
        d_outputs: ``(B, T, H)`` gradient of the loss with respect to each ``h_t``.
        cache: the :class:`GRUCache` from the forward pass.
        d_state: gradient with respect to ``h_T``, ``(B, H)``; zeros when ``None``.

    Returns:
        ``(dx, grads, dh_0)``: ``dx`` ``(B, T, D)``; ``grads`` ``{"W": (D, 3H), "U": (H, 3H),
        "b": (3H,), "b_U": (3H,)}``; ``dh_0`` ``(B, H)``.
    """
    xs, gates, u_n, hs, W, U = cache
    T, B, D = xs.shape
    H = hs.shape[2]
    dtype = hs.dtype
    dout, (dh,) = check_backward_inputs(d_outputs, d_state, (B, T, H), 1, dtype)
    dout = dout.transpose(1, 0, 2)
    # du: gradient at h_{t-1} U + b_U, blocks [r | z | n]; da_n: at the input-side n block.
    du_all = np.empty((T, B, 3 * H), dtype)
    da_n = np.empty((T, B, H), dtype)
    UT = np.ascontiguousarray(U.T)  # (3H, H)
    dh_direct = np.empty((B, H), dtype)
    tmp = np.empty((B, H), dtype)
    fac = np.empty((B, 2 * H), dtype)
    for t in range(T - 1, -1, -1):
        dh += dout[t]
        y, du, dan = gates[t], du_all[t], da_n[t]
        r, z, n = y[:, :H], y[:, H : 2 * H], y[:, 2 * H :]
        dr, dz, dun = du[:, :H], du[:, H : 2 * H], du[:, 2 * H :]
        np.multiply(dh, z, out=dh_direct)
        np.subtract(dh, dh_direct, out=dan)  # dn_t = dh_t (1 - z_t)
        np.subtract(hs[t], n, out=dz)
        dz *= dh  # dz_t = dh_t (h_{t-1} - n_t)
        np.multiply(n, n, out=tmp)
        np.subtract(1, tmp, out=tmp)
        dan *= tmp
        np.multiply(dan, r, out=dun)
        np.multiply(dan, u_n[t], out=dr)
        rz = y[:, : 2 * H]
        np.subtract(1, rz, out=fac)
        fac *= rz
        du[:, : 2 * H] *= fac
        np.matmul(du, UT, out=dh)
        dh += dh_direct
    du2 = du_all.reshape(T * B, 3 * H)
    dan2 = da_n.reshape(T * B, H)
    x2 = xs.reshape(T * B, D)
    # The input side shares the r and z gradients with the recurrent side; only n differs.
    da2 = np.concatenate([du2[:, : 2 * H], dan2], axis=1)
    grads = {
        "W": x2.T @ da2,
        "U": hs[:-1].reshape(T * B, H).T @ du2,
        "b": da2.sum(axis=0),
        "b_U": du2.sum(axis=0),
    }
    dx = _batch_first((da2 @ W.T).reshape(T, B, D))
    return dx, grads, dh
