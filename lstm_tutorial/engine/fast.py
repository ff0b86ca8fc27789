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

What makes this engine faster, in NumPy alone:

- The loops run time-major, ``(T, B, ...)``, so that each step reads contiguous memory.
- Work that does not depend on the recurrence is done for many steps at once: the input
  projection ``x_t W + b`` before the loop, and the weight gradients as single products after
  the backward loop.
- A step is a handful of NumPy calls on preallocated arrays (``out=``).

The LSTM, the cell the book times against PyTorch, goes further, because at small sizes the cost
of a NumPy call, not the arithmetic, dominates: every per-step view is made once by iterating over
the time axis; a step's pre-activation is one ``np.dot`` (less overhead per call than
``np.matmul``), ``[h_{t-1} | x_t | 1] [U; W; b]``; one ``tanh`` over all four gate blocks gives σ
for three of them, σ(a) = 0.5 tanh(0.5 a) + 0.5, with the inner 0.5 folded into the weights; and
the backward pass computes the gates' derivatives for a chunk of steps at a time, so that its loop
does only the work that depends on the gradient flowing back.
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
    xs, hs, W, U = cache.x, cache.h, cache.W, cache.U
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

    σ(a) = 0.5 tanh(0.5 a) + 0.5, so with ``scale`` folded into the weights, the gate block is
    ``scale * tanh(scale * a) + shift`` (the scale is 0.5 for σ columns, 1 for tanh). The
    derivative of each gate with respect to its pre-activation is ``gamma + y (alpha - y)``:
    ``y (1 - y)`` for σ and ``1 - y^2`` for tanh.
    """
    sig = np.ones(4 * H, dtype)
    sig[2 * H : 3 * H] = 0
    scale = np.where(sig == 1, 0.5, 1.0).astype(dtype)
    shift = np.where(sig == 1, 0.5, 0.0).astype(dtype)
    alpha = sig.copy()
    gamma = 1 - sig
    return scale, shift, alpha, gamma


def _gate_blocks(a, H):
    """The four ``(T, B, H)`` views i, f, g, o of a ``(T, B, 4H)`` array."""
    return [a[:, :, k * H : (k + 1) * H] for k in range(4)]


def lstm_forward(x, params, state=None):
    """Run an LSTM over a batch of sequences.

    With the four gate blocks of the pre-activation ``a_t`` in the order i, f, g, o:

    .. math::

        a_t &= x_t W + h_{t-1} U + b \\\\
        i_t &= \\sigma(a_t^{(i)}), \\quad f_t = \\sigma(a_t^{(f)}), \\quad
        g_t = \\tanh(a_t^{(g)}), \\quad o_t = \\sigma(a_t^{(o)}) \\\\
        c_t &= f_t \\odot c_{t-1} + i_t \\odot g_t \\\\
        h_t &= o_t \\odot \\tanh(c_t)

    where σ is the logistic function and ⊙ the element-wise product. This is Keras's layout,
    and PyTorch's gate order: ``W = weight_ih_l0.T``, ``U = weight_hh_l0.T``,
    ``b = bias_ih_l0 + bias_hh_l0``. :func:`lstm_tutorial.engine.reference.lstm_forward` computes the
    same numbers one readable step at a time; this function is its optimisation.

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
    x, p, (h_0, c_0), B, T, D, H, dtype = check_forward_inputs(x, params, state, LSTM_PARAM_SHAPES, 2)
    mul, add, tanh, dot = np.multiply, np.add, np.tanh, np.dot  # local names are found faster
    scale, shift, _, _ = _gate_constants(H, dtype)
    # Full (B, 4H) copies: an operation between contiguous arrays of one shape is NumPy's fastest path.
    scale_B, shift_B = (np.broadcast_to(v, (B, 4 * H)).copy() for v in (scale, shift))
    # One product per step gives the whole pre-activation: [h_{t-1} | x_t | 1] [U; W; b] = a_t.
    K = H + D + 1
    UWb = np.concatenate([p["U"], p["W"], p["b"][None]]) * scale  # (K, 4H)
    hx = np.empty((T + 1, B, K), dtype)  # row block t: [h_t | x_{t+1} | 1]
    hx[0, :, :H] = h_0
    hx[:T, :, H : H + D] = x.transpose(1, 0, 2)
    hx[:, :, H + D] = 1
    hx[T, :, H:] = 0
    hs, xs = hx[:, :, :H], hx[:T, :, H : H + D]  # (T + 1, B, H) and (T, B, D) views
    gates = np.empty((T, B, 4 * H), dtype)  # a_t, activated in place into [i_t | f_t | g_t | o_t]
    cs = np.empty((T + 1, B, H), dtype)
    tanh_c = np.empty((T, B, H), dtype)
    cs[0] = c_0
    fc, ig = np.empty((B, H), dtype), np.empty((B, H), dtype)
    c_prev = cs[0]
    # Every view a step needs is made once here, by iterating over the time axis.
    steps = zip(gates, hx[:-1], hs[1:], cs[1:], tanh_c, *_gate_blocks(gates, H))
    for a, hx_prev, h, c, tc, i, f, g, o in steps:
        dot(hx_prev, UWb, out=a)  # a_t, gates-preact; np.dot has less overhead per call than np.matmul
        tanh(a, a)  # gates-gates; i, f, o: σ(a) = 0.5 tanh(0.5 a) + 0.5, the inner 0.5 folded into UWb
        mul(a, scale_B, a)
        add(a, shift_B, a)
        mul(f, c_prev, fc)
        mul(i, g, ig)
        add(fc, ig, c)  # gates-cell
        tanh(c, tc)
        mul(o, tc, h)  # gates-hidden, written into the next step's row of hx
        c_prev = c
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

    The same computation as :func:`lstm_tutorial.engine.reference.lstm_step_backward` in a loop, with
    every factor that does not depend on the gradients flowing back (the gates' derivatives,
    ``o_t (1 - tanh^2 c_t)``) computed for a chunk of steps at once before the chunk's loop.
    """
    xs, gates, hs, cs, tanh_c, W = cache.x, cache.gates, cache.h, cache.c, cache.tanh_c, cache.W
    T, B, D = xs.shape
    H = hs.shape[2]
    dtype = hs.dtype
    mul, add, sub, dot = np.multiply, np.add, np.subtract, np.dot
    d_out, (dh, dc) = check_backward_inputs(d_outputs, d_state, (B, T, H), 2, dtype)
    d_out = _time_major(d_out)
    _, _, alpha, gamma = _gate_constants(H, dtype)
    da_all = np.empty((T, B, 4 * H), dtype)  # gradient at the pre-activations a_t
    UT = np.ascontiguousarray(cache.U.T)  # (4H, H)
    # Steps per chunk: the chunk's factors, about 8 (B, H) blocks a step, stay in the CPU's cache.
    n_chunk = max(1, min(T, (256 * 1024) // (8 * B * H * dtype.itemsize)))
    slope_buf = np.empty((n_chunk, B, 4 * H), dtype)  # d gate / d a: y (1 - y) for σ, 1 - y^2 for tanh
    o_dtanh_buf = np.empty((n_chunk, B, H), dtype)  # o_t (1 - tanh^2 c_t)
    by_dc_buf = np.empty((n_chunk, B, 3, H), dtype)  # [g_t | c_{t-1} | i_t]: dc_t times these gives di, df, dg
    dgates = np.empty((B, 4 * H), dtype)  # one step's [di | df | dg | do]
    di_df_dg, do = dgates[:, : 3 * H].reshape(B, 3, H), dgates[:, 3 * H :]
    tmp = np.empty((B, H), dtype)
    dc_b = dc[:, None, :]  # (B, 1, H), broadcast over the three blocks
    i, f, g, o = _gate_blocks(gates, H)
    for end in range(T, 0, -n_chunk):
        s = slice(max(0, end - n_chunk), end)
        n = s.stop - s.start
        slope, o_dtanh, by_dc = slope_buf[:n], o_dtanh_buf[:n], by_dc_buf[:n]
        sub(alpha, gates[s], slope)
        mul(slope, gates[s], slope)
        add(slope, gamma, slope)
        mul(tanh_c[s], tanh_c[s], o_dtanh)
        sub(1, o_dtanh, o_dtanh)
        mul(o_dtanh, o[s], o_dtanh)
        by_dc[:, :, 0], by_dc[:, :, 1], by_dc[:, :, 2] = g[s], cs[s], i[s]
        steps = zip(d_out[s], tanh_c[s], o_dtanh, by_dc, f[s], slope, da_all[s])
        for d_out_t, tc, o_dtanh_t, by_dc_t, f_t, slope_t, da in reversed(list(steps)):
            add(dh, d_out_t, dh)  # bptt-dh: the loss's own part plus what step t + 1 passed back
            mul(dh, tc, do)  # bptt-dgates: do = dh tanh(c_t)
            mul(dh, o_dtanh_t, tmp)
            add(dc, tmp, dc)  # bptt-dc: dc held dc_{t+1} f_{t+1}
            mul(dc_b, by_dc_t, di_df_dg)  # bptt-dgates: di = dc g_t, df = dc c_{t-1}, dg = dc i_t
            mul(dc, f_t, dc)  # bptt-dc: dc_t f_t, for step t - 1
            mul(dgates, slope_t, da)  # bptt-dpreact
            dot(da, UT, dh)  # bptt-dh: da_t U^T, for step t - 1
    da2 = da_all.reshape(T * B, 4 * H)
    h_prev_x = np.empty((T, B, H + D), dtype)  # [h_{t-1} | x_t]: one product gives dU and dW
    h_prev_x[:, :, :H], h_prev_x[:, :, H:] = hs[:-1], xs
    dUW = h_prev_x.reshape(T * B, H + D).T @ da2  # bptt-weights
    grads = {"W": dUW[H:], "U": dUW[:H], "b": np.ones(T * B, dtype) @ da2}
    dx = _batch_first((da2 @ W.T).reshape(T, B, D))  # bptt-dx
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
    xs, gates, u_n, hs, W, U = cache.x, cache.gates, cache.u_n, cache.h, cache.W, cache.U
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
