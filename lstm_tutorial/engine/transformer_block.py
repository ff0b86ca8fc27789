"""The Transformer encoder block from scratch in NumPy: LayerNorm, feed-forward, residuals, pre- and post-norm.

Sizes: ``B`` batch, ``T`` time steps, ``E`` model width (``d_model``), ``h`` heads
(``E = h * dk``), ``F`` feed-forward width. Arrays are batch-first and products are row
vectors times matrices (``x W``), as in :mod:`lstm_tutorial.engine.attention`, whose
:func:`~lstm_tutorial.engine.attention.multi_head_attention` is the block's attention.

One block has two sub-layers, self-attention and a position-wise feed-forward layer, each
wrapped in a residual connection and a LayerNorm (Vaswani et al., 2017; Ba, Kiros and Hinton,
2016). Where the LayerNorm sits gives the two forms (labels as in the chapter
``book/part5/transformer_block.ipynb``)::

    post-norm (2017):  x' = LN_1(x + MHA(x))          y = LN_2(x' + FFN(x'))     transformer-block-postnorm
    pre-norm:          x' = x + MHA(LN_1(x))          y = x' + FFN(LN_2(x'))     transformer-block-prenorm

**Parameters** are one flat dict of arrays (:data:`BLOCK_PARAM_SHAPES`):

- ``W_q, W_k, W_v, W_o`` ``(E, E)`` and ``b_q, b_k, b_v, b_o`` ``(E,)``: the attention, in the
  layout of :mod:`lstm_tutorial.engine.attention`;
- ``W_1`` ``(E, F)``, ``b_1`` ``(F,)``, ``W_2`` ``(F, E)``, ``b_2`` ``(E,)``: the feed-forward layer;
- ``gamma_1, beta_1`` ``(E,)``: the LayerNorm of the attention sub-layer, ``gamma_2, beta_2``
  ``(E,)``: that of the feed-forward sub-layer.

That is ``4E^2 + 4E`` (attention) ``+ 2EF + F + E`` (feed-forward) ``+ 4E`` (two LayerNorms)
numbers: :func:`count_block_params`. PyTorch's ``nn.TransformerEncoderLayer`` computes the same
block (``norm_first=True`` is pre-norm, ``activation="relu"``, its default);
:func:`lstm_tutorial.frameworks.convert.encoder_layer_params_from_torch` copies its weights into
this dict. Forward pass only: the book trains its Transformers in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from lstm_tutorial._checks import check_array, check_int, check_params, float_dtype
from lstm_tutorial.engine.attention import init_mha_params, multi_head_attention

__all__ = [
    "BLOCK_PARAM_SHAPES",
    "layer_norm",
    "feed_forward",
    "encoder_block",
    "init_block_params",
    "count_block_params",
]

#: Shapes of the block's parameters, by key (``E`` model width, ``F`` feed-forward width).
BLOCK_PARAM_SHAPES: dict[str, tuple[str, ...]] = {
    **{f"W_{n}": ("E", "E") for n in "qkvo"},
    **{f"b_{n}": ("E",) for n in "qkvo"},
    "W_1": ("E", "F"),
    "b_1": ("F",),
    "W_2": ("F", "E"),
    "b_2": ("E",),
    "gamma_1": ("E",),
    "beta_1": ("E",),
    "gamma_2": ("E",),
    "beta_2": ("E",),
}


def _check_eps(eps) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not eps > 0:
        raise ValueError(f"eps must be a positive float (PyTorch's default is 1e-5), got {eps!r}")
    return float(eps)


def layer_norm(x, gamma, beta, eps: float = 1e-5) -> np.ndarray:
    """LayerNorm over the last axis (Ba, Kiros and Hinton, 2016), as ``torch.nn.LayerNorm(E)``.

    Each position's vector is shifted to mean 0 and scaled to variance 1 over its ``E`` features,
    then scaled by ``gamma`` and shifted by ``beta`` (learned, one number per feature)::

        mu = mean_e x_e,   s^2 = mean_e (x_e - mu)^2,   LN(x) = gamma * (x - mu) / sqrt(s^2 + eps) + beta

    The variance is the biased one (divided by ``E``), and ``eps`` sits inside the square root,
    as in PyTorch. No statistic is shared between positions or sequences.

    Args:
        x: ``(..., E)``, e.g. ``(B, T, E)``.
        gamma, beta: ``(E,)``.
        eps: positive, added to the variance.

    Returns:
        ``(..., E)``, the shape of ``x``.
    """
    x = check_array("x", x)
    if x.ndim < 1:
        raise ValueError(f"x must have at least one axis (..., E), got a scalar of shape {x.shape}")
    E = x.shape[-1]
    gamma = check_array("gamma", gamma, shape=(E,), labels=("E",))
    beta = check_array("beta", beta, shape=(E,), labels=("E",))
    eps = _check_eps(eps)
    dtype = float_dtype(x.dtype, gamma.dtype, beta.dtype)
    x = x.astype(dtype, copy=False)
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1), transformer-block-layernorm
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), biased
    return (x - mu) / np.sqrt(var + eps) * gamma.astype(dtype) + beta.astype(dtype)  # transformer-block-layernorm


def feed_forward(x, params) -> np.ndarray:
    """The position-wise feed-forward layer: two linear maps with a ReLU between them.

    ``FFN(x) = max(0, x W_1 + b_1) W_2 + b_2``, applied to every position separately with the
    same weights (Vaswani et al., 2017): ``E -> F -> E``.

    Args:
        x: ``(B, T, E)`` (any leading axes work).
        params: ``W_1 (E, F)``, ``b_1 (F,)``, ``W_2 (F, E)``, ``b_2 (E,)`` (other keys are ignored).

    Returns:
        ``(B, T, E)``.
    """
    x = check_array("x", x)
    if x.ndim < 1:
        raise ValueError(f"x must have shape (..., E), got a scalar of shape {x.shape}")
    E = x.shape[-1]
    p, _ = check_params("params", params, {"W_1": (E, "F"), "b_1": ("F",), "W_2": ("F", E), "b_2": (E,)})
    dtype = float_dtype(x.dtype, *(a.dtype for a in p.values()))
    x = x.astype(dtype, copy=False)
    hidden = np.maximum(0.0, x @ p["W_1"].astype(dtype) + p["b_1"].astype(dtype))  # (B, T, F), transformer-block-ffn
    return hidden @ p["W_2"].astype(dtype) + p["b_2"].astype(dtype)  # (B, T, E), transformer-block-ffn


def _check_block(x, params, norm_first) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    x = check_array("x", x, ndim=3, labels=("B", "T", "E"))
    E = x.shape[2]
    expected = {key: tuple(E if s == "E" else s for s in shape) for key, shape in BLOCK_PARAM_SHAPES.items()}
    p, _ = check_params("params", params, expected)
    if not isinstance(norm_first, (bool, np.bool_)):
        raise TypeError(f"norm_first must be True (pre-norm) or False (post-norm), got {norm_first!r}")
    dtype = float_dtype(x.dtype, *(a.dtype for a in p.values()))
    return x.astype(dtype, copy=False), {key: a.astype(dtype, copy=False) for key, a in p.items()}


def encoder_block(x, params, n_heads: int, *, norm_first: bool = True, mask=None, eps: float = 1e-5) -> np.ndarray:
    """One Transformer encoder block, the forward pass of ``torch.nn.TransformerEncoderLayer``.

    Self-attention and the feed-forward layer, each inside a residual connection, with the
    LayerNorm before each sub-layer (``norm_first=True``, pre-norm) or after each residual sum
    (``norm_first=False``, the post-norm of Vaswani et al., 2017). No dropout (inference).

    Args:
        x: ``(B, T, E)``.
        params: the dict of :data:`BLOCK_PARAM_SHAPES` (see :func:`init_block_params`).
        n_heads: ``h``; must divide ``E``.
        norm_first: pre-norm (True) or post-norm (False).
        mask: optional boolean, True = may attend, as in
            :func:`~lstm_tutorial.engine.attention.multi_head_attention`: ``(T, T)`` (e.g.
            ``causal_mask(T)``), ``(B, 1, T)`` (``padding_mask``) or ``(B, T, T)``.
        eps: the LayerNorms' ``eps``.

    Returns:
        ``(B, T, E)``.
    """
    x, p = _check_block(x, params, norm_first)
    ln_1 = {"gamma": p["gamma_1"], "beta": p["beta_1"], "eps": eps}
    ln_2 = {"gamma": p["gamma_2"], "beta": p["beta_2"], "eps": eps}

    def attend(z):
        return multi_head_attention(z, z, p, n_heads, mask=mask)[0]  # (B, T, E), self-attention

    if norm_first:
        x = x + attend(layer_norm(x, **ln_1))  # transformer-block-prenorm
        return x + feed_forward(layer_norm(x, **ln_2), p)  # transformer-block-prenorm
    x = layer_norm(x + attend(x), **ln_1)  # transformer-block-postnorm
    return layer_norm(x + feed_forward(x, p), **ln_2)  # transformer-block-postnorm


def init_block_params(E: int, F: int | None = None, *, seed=0, dtype=np.float64) -> dict[str, np.ndarray]:
    """Random block parameters, drawn the way ``nn.TransformerEncoderLayer`` initialises its own.

    Attention projections from U(-a, a), ``a = sqrt(6 / (2E))`` (Glorot, PyTorch's choice for
    ``in_proj_weight``; :func:`~lstm_tutorial.engine.attention.init_mha_params`), attention
    biases zero; each feed-forward weight and bias from U(-1/sqrt(n), 1/sqrt(n)) with ``n`` its
    input width (PyTorch's ``nn.Linear``); ``gamma = 1``, ``beta = 0``. (PyTorch draws ``W_o``
    from U(-1/sqrt(E), 1/sqrt(E)), a range 1.7 times narrower than the Glorot range used here.)

    Args:
        E: model width. F: feed-forward width (default ``2E``, the book's models).
        seed: int or ``numpy.random.Generator``.
        dtype: of every array.
    """
    E = check_int("E", E)
    F = 2 * E if F is None else check_int("F", F)
    rng = np.random.default_rng(seed)
    params = init_mha_params(E, seed=rng, dtype=dtype)
    a1, a2 = 1 / math.sqrt(E), 1 / math.sqrt(F)
    params.update(
        W_1=rng.uniform(-a1, a1, (E, F)).astype(dtype),
        b_1=rng.uniform(-a1, a1, F).astype(dtype),
        W_2=rng.uniform(-a2, a2, (F, E)).astype(dtype),
        b_2=rng.uniform(-a2, a2, E).astype(dtype),
        gamma_1=np.ones(E, dtype),
        beta_1=np.zeros(E, dtype),
        gamma_2=np.ones(E, dtype),
        beta_2=np.zeros(E, dtype),
    )
    return params


def count_block_params(E: int, F: int) -> int:
    """``4E^2 + 4E`` (attention) ``+ 2EF + F + E`` (feed-forward) ``+ 4E`` (LayerNorms); transformer-block-count."""
    E, F = check_int("E", E), check_int("F", F)
    return (4 * E * E + 4 * E) + (2 * E * F + F + E) + 4 * E
