"""Attention from scratch in NumPy: the forward pass of the Transformer's central operation.

Sizes: ``B`` batch, ``T`` time steps (``Tq`` queries, ``Tk`` keys), ``d`` size of a query or
key vector, ``dv`` size of a value vector, ``E`` model width (``d_model``), ``n_h`` heads with
``E = n_h * dk``. Arrays are batch-first, and products are row vectors times matrices
(``x W``), as everywhere in the book.

Scaled dot-product attention (Vaswani et al., 2017)::

    S = Q K^T / sqrt(d)          (B, Tq, Tk)  scores: one per (query, key) pair
    A = softmax(S) along keys    (B, Tq, Tk)  weights: each row sums to 1
    out = A V                    (B, Tq, dv)

**Mask convention.** Every mask in this module is boolean and ``True`` means *may attend*:
query ``i`` may look at key ``j`` where ``mask[..., i, j]`` is True. This is the convention of
``torch.nn.functional.scaled_dot_product_attention`` (boolean ``attn_mask``). It is the
*opposite* of ``torch.nn.MultiheadAttention`` and ``nn.Transformer*`` layers, whose boolean
``attn_mask`` and ``key_padding_mask`` are True where attention is *not allowed*: pass
``~mask`` there. A row with no allowed key (a fully masked query) has no meaningful softmax;
here its weights are all zero and its output is the zero vector, on purpose and without NaN
(PyTorch's kernels may return NaN or a uniform average for such rows: compare only the rows
that have at least one allowed key).

**Weight layout of multi-head attention.** ``params`` holds ``W_q, W_k, W_v, W_o``, each
``(E, E)`` and applied as ``x W`` (input index first), and biases ``b_q, b_k, b_v, b_o`` of
shape ``(E,)``. PyTorch's ``nn.MultiheadAttention`` stores the three input projections stacked
in ``in_proj_weight`` ``(3E, E)``, applied as ``x W^T``, so ``W_q = in_proj_weight[:E].T``,
``W_k = in_proj_weight[E:2E].T``, ``W_v = in_proj_weight[2E:].T``, ``b_q, b_k, b_v =
in_proj_bias`` split in three, ``W_o = out_proj.weight.T``, ``b_o = out_proj.bias``;
:func:`mha_params_from_torch` does exactly this. Head ``j`` uses columns ``j*dk:(j+1)*dk`` of
each projection, as PyTorch does.
"""

from __future__ import annotations

import math

import numpy as np

from lstm_tutorial._checks import check_array, check_params, float_dtype
from lstm_tutorial.engine.activations import softmax

__all__ = [
    "scaled_dot_product_attention",
    "causal_mask",
    "padding_mask",
    "init_mha_params",
    "multi_head_attention",
    "sinusoidal_positional_encoding",
]


def _check_mask(mask, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(mask, (str, bytes)):
        raise TypeError(f"mask must be a boolean array (True = may attend), got {type(mask).__name__}")
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(
            f"mask must be a boolean array with True = may attend, got dtype {mask.dtype}; "
            "for an additive float mask, add it to the scores yourself"
        )
    try:
        return np.broadcast_to(mask, shape)
    except ValueError:
        raise ValueError(
            f"mask must broadcast to the scores' shape {shape} (..., Tq, Tk), got shape {mask.shape}"
        ) from None


def scaled_dot_product_attention(q, k, v, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention, ``softmax(q k^T / sqrt(d)) v``.

    Args:
        q: queries ``(B, Tq, d)``, or ``(B, n_h, Tq, d)`` with a head axis.
        k: keys ``(B, Tk, d)`` (or ``(B, n_h, Tk, d)``): same leading axes and ``d`` as ``q``.
        v: values ``(B, Tk, dv)`` (or ``(B, n_h, Tk, dv)``).
        mask: optional boolean array broadcastable to ``(..., Tq, Tk)``, True = may attend
            (e.g. :func:`causal_mask` or :func:`padding_mask`).

    Returns:
        ``(out, weights)``: ``out`` ``(..., Tq, dv)`` and the attention weights
        ``(..., Tq, Tk)``; every row of ``weights`` sums to 1, except a fully masked row,
        which is all zeros and gives a zero output.
    """
    q = check_array("q", q)
    if q.ndim not in (3, 4):
        raise ValueError(f"q must have shape (B, Tq, d) or (B, n_h, Tq, d), got shape {q.shape}")
    lead = q.shape[:-2]
    labels = ("B", "Tk", "d") if q.ndim == 3 else ("B", "n_h", "Tk", "d")
    k = check_array("k", k, shape=(*lead, None, q.shape[-1]), labels=labels)
    v = check_array("v", v, shape=(*lead, k.shape[-2], None), labels=(*labels[:-1], "dv"))
    dtype = float_dtype(q.dtype, k.dtype, v.dtype)
    q, k, v = (a.astype(dtype, copy=False) for a in (q, k, v))
    d = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d).astype(dtype)  # (..., Tq, Tk)
    if mask is None:
        weights = softmax(scores)
    else:
        weights = softmax(scores, where=_check_mask(mask, scores.shape))
    return weights @ v, weights  # (..., Tq, dv), (..., Tq, Tk)


def causal_mask(T: int) -> np.ndarray:
    """``(T, T)`` boolean mask, True on and below the diagonal: step ``t`` sees steps ``0..t``."""
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    return np.tril(np.ones((T, T), dtype=bool))


def padding_mask(lengths, T: int) -> np.ndarray:
    """``(B, 1, T)`` boolean mask, True where the key position ``j < lengths[b]`` (a real token).

    The middle axis broadcasts over queries, so the mask fits scores ``(B, Tq, T)``; for
    scores with a head axis ``(B, n_h, Tq, T)`` use ``padding_mask(...)[:, None]``.
    Combine with a causal mask by ``&``.
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    lengths = check_array("lengths", lengths, ndim=1, labels=("B",), integer=True)
    if lengths.size and (lengths.min() < 0 or lengths.max() > T):
        raise ValueError(f"lengths must lie in [0, T={T}], got values from {lengths.min()} to {lengths.max()}")
    return (np.arange(T)[None, :] < lengths[:, None])[:, None, :]


def init_mha_params(E: int, *, seed: int | None = 0, dtype=np.float32, bias: bool = True) -> dict[str, np.ndarray]:
    """Random multi-head attention parameters in this module's ``x W`` layout.

    Weights are drawn from U(-a, a) with ``a = sqrt(6 / (2E))`` (Glorot), biases are zero.
    """
    rng = np.random.default_rng(seed)
    a = math.sqrt(6.0 / (2 * E))
    params = {f"W_{n}": rng.uniform(-a, a, (E, E)).astype(dtype) for n in "qkvo"}
    if bias:
        params.update({f"b_{n}": np.zeros(E, dtype) for n in "qkvo"})
    return params


def multi_head_attention(x_q, x_kv, params, n_heads: int, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """Multi-head attention, numerically the forward pass of ``torch.nn.MultiheadAttention``.

    Each head ``j`` attends with its own slice of the projections; the heads' outputs are
    concatenated and mixed by ``W_o``::

        Q = x_q W_q + b_q,  K = x_kv W_k + b_k,  V = x_kv W_v + b_v     (B, T, E)
        split each into n_h heads of dk = E / n_h                        (B, n_h, T, dk)
        O_j = attention(Q_j, K_j, V_j)                                  (B, n_h, Tq, dk)
        out = concat_j(O_j) W_o + b_o                                   (B, Tq, E)

    Self-attention is ``multi_head_attention(x, x, ...)``.

    Args:
        x_q: ``(B, Tq, E)`` the sequence that asks.
        x_kv: ``(B, Tk, E)`` the sequence that is looked at.
        params: ``W_q, W_k, W_v, W_o`` ``(E, E)`` and optionally ``b_q, b_k, b_v, b_o`` ``(E,)``
            (see the module docstring for the port from PyTorch).
        n_heads: ``n_h``; must divide ``E``.
        mask: boolean, True = may attend, broadcastable to ``(B, n_h, Tq, Tk)``; a 3-D mask
            ``(B, Tq, Tk)`` (e.g. :func:`padding_mask`) or 2-D ``(Tq, Tk)`` is applied to every head.

    Returns:
        ``(out, weights)``: ``(B, Tq, E)`` and the per-head weights ``(B, n_h, Tq, Tk)``.
    """
    x_q = check_array("x_q", x_q, ndim=3, labels=("B", "Tq", "E"))
    x_kv = check_array("x_kv", x_kv, shape=(x_q.shape[0], None, x_q.shape[2]), labels=("B", "Tk", "E"))
    B, Tq, E = x_q.shape
    Tk = x_kv.shape[1]
    if isinstance(n_heads, bool) or not isinstance(n_heads, (int, np.integer)) or n_heads < 1:
        raise ValueError(f"n_heads must be a positive int, got {n_heads!r}")
    if E % n_heads:
        raise ValueError(f"n_heads={n_heads} must divide the model width E={E} (the last axis of x_q)")
    expected = {f"W_{n}": (E, E) for n in "qkvo"}
    if isinstance(params, dict) and any(f"b_{n}" in params for n in "qkvo"):
        expected.update({f"b_{n}": (E,) for n in "qkvo"})
    p, _ = check_params("params", params, expected)
    dtype = float_dtype(x_q.dtype, x_kv.dtype, *(a.dtype for a in p.values()))
    p = {key: a.astype(dtype, copy=False) for key, a in p.items()}
    x_q, x_kv = x_q.astype(dtype, copy=False), x_kv.astype(dtype, copy=False)
    n_h, dk = n_heads, E // n_heads

    def project(x, n):
        y = x @ p[f"W_{n}"] + (p[f"b_{n}"] if f"b_{n}" in p else 0)  # (B, T, E)
        return y.reshape(B, -1, n_h, dk).transpose(0, 2, 1, 3)  # (B, n_h, T, dk)

    Q, K, V = project(x_q, "q"), project(x_kv, "k"), project(x_kv, "v")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype == np.bool_ and mask.ndim == 3:
            mask = mask[:, None]  # (B, 1, Tq, Tk): the same mask for every head
        mask = _check_mask(mask, (B, n_h, Tq, Tk))
    O, weights = scaled_dot_product_attention(Q, K, V, mask)  # (B, n_h, Tq, dk), (B, n_h, Tq, Tk)
    O = O.transpose(0, 2, 1, 3).reshape(B, Tq, E)  # concatenate the heads
    out = O @ p["W_o"] + (p["b_o"] if "b_o" in p else 0)
    return out, weights


def sinusoidal_positional_encoding(T: int, d: int, *, base: float = 10000.0, dtype=np.float64) -> np.ndarray:
    """The fixed position code of Vaswani et al. (2017), ``(T, d)``.

    For position ``t`` and ``i = 0, 1, ...``::

        PE[t, 2i]   = sin(t / base^(2i / d))
        PE[t, 2i+1] = cos(t / base^(2i / d))

    Each pair of columns is a rotation at its own frequency, from one turn per ``2 pi`` steps
    (column 0) down to one per ``2 pi base`` steps, so ``PE[t + k]`` is a fixed linear function
    of ``PE[t]`` for every offset ``k``. An odd ``d`` drops the last cosine column.
    """
    for name, val in (("T", T), ("d", d)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < 1:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    t = np.arange(T, dtype=np.float64)[:, None]  # (T, 1)
    two_i = np.arange(0, d, 2, dtype=np.float64)[None, :]  # (1, ceil(d/2))
    angle = t / base ** (two_i / d)  # (T, ceil(d/2))
    pe = np.empty((T, d), dtype=np.float64)
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : d // 2])
    return pe.astype(dtype)
