"""The NumPy Transformer block: LayerNorm's properties, the feed-forward layer, both block forms, masks, errors.

The agreement with ``torch.nn.TransformerEncoderLayer`` (copied weights) is in
``tests/frameworks/test_convert_encoder_layer.py``; here PyTorch is only a second
implementation of LayerNorm.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tutorial.engine.attention import causal_mask, padding_mask
from lstm_tutorial.engine.transformer_block import (
    BLOCK_PARAM_SHAPES,
    count_block_params,
    encoder_block,
    feed_forward,
    init_block_params,
    layer_norm,
)


def _x(B=2, T=5, E=8, seed=0, scale=1.0):
    return scale * np.random.default_rng(seed).normal(size=(B, T, E))


def test_layer_norm_gives_mean_zero_and_variance_one_per_position():
    x = _x(scale=7.0) + 3.0
    y = layer_norm(x, np.ones(8), np.zeros(8), eps=0.0 + 1e-12)
    np.testing.assert_allclose(y.mean(-1), 0.0, atol=1e-13)
    np.testing.assert_allclose(y.var(-1), 1.0, atol=1e-10)
    # eps shrinks the variance to var / (var + eps), no more
    y = layer_norm(np.array([[-1.0, 1.0]]), np.ones(2), np.zeros(2), eps=1.0)
    np.testing.assert_allclose(y, [[-1 / np.sqrt(2), 1 / np.sqrt(2)]], atol=1e-15)


def test_layer_norm_ignores_shift_and_scale_of_each_position_and_applies_gamma_beta():
    x = _x()
    gamma, beta = np.linspace(0.5, 2.0, 8), np.linspace(-1.0, 1.0, 8)
    shift = np.random.default_rng(1).normal(size=(2, 5, 1))
    scale = np.exp(np.random.default_rng(2).normal(size=(2, 5, 1)))
    y = layer_norm(x, gamma, beta, eps=1e-12)
    np.testing.assert_allclose(layer_norm(scale * x + shift, gamma, beta, eps=1e-12), y, atol=1e-10)
    plain = layer_norm(x, np.ones(8), np.zeros(8), eps=1e-12)
    np.testing.assert_allclose(y, gamma * plain + beta, atol=1e-14)
    # each position is normalised alone: changing one position leaves the others exactly equal
    x2 = x.copy()
    x2[0, 3] *= 100.0
    y2 = layer_norm(x2, gamma, beta)
    mask = np.ones((2, 5), bool)
    mask[0, 3] = False
    assert np.array_equal(layer_norm(x, gamma, beta)[mask], y2[mask])


def test_layer_norm_matches_torch():
    x = _x(scale=3.0)
    g, b = np.random.default_rng(3).normal(size=(2, 8))
    ref = torch.nn.functional.layer_norm(torch.from_numpy(x), (8,), torch.from_numpy(g), torch.from_numpy(b), eps=1e-5)
    np.testing.assert_allclose(layer_norm(x, g, b), ref.numpy(), atol=1e-12, rtol=0)
    assert layer_norm(x.astype(np.float32), g.astype(np.float32), b.astype(np.float32)).dtype == np.float32


def test_feed_forward_is_position_wise_relu_mlp():
    p = init_block_params(8, 12, seed=1)
    x = _x()
    y = feed_forward(x, p)
    assert y.shape == (2, 5, 8)
    by_hand = np.maximum(x[1, 2] @ p["W_1"] + p["b_1"], 0) @ p["W_2"] + p["b_2"]
    np.testing.assert_allclose(y[1, 2], by_hand, atol=1e-14)
    perm = np.array([4, 2, 0, 1, 3])
    np.testing.assert_allclose(feed_forward(x[:, perm], p), y[:, perm], atol=1e-14)


@pytest.mark.parametrize("norm_first", [True, False])
def test_block_is_permutation_equivariant_without_mask_and_causal_with_it(norm_first):
    p = init_block_params(8, seed=2)
    x = _x(T=6)
    y = encoder_block(x, p, 2, norm_first=norm_first)
    perm = np.array([3, 5, 0, 1, 4, 2])
    np.testing.assert_allclose(encoder_block(x[:, perm], p, 2, norm_first=norm_first), y[:, perm], atol=1e-12)
    # causal: changing the last input changes no earlier output
    x2 = x.copy()
    x2[:, -1] += 5.0
    a = encoder_block(x, p, 2, norm_first=norm_first, mask=causal_mask(6))
    b = encoder_block(x2, p, 2, norm_first=norm_first, mask=causal_mask(6))
    np.testing.assert_allclose(a[:, :-1], b[:, :-1], atol=1e-12)
    assert np.abs(a[:, -1] - b[:, -1]).max() > 1e-3
    # padding: what sits in the padded positions does not reach the real ones
    pad = padding_mask([6, 3], 6)
    x3 = x.copy()
    x3[1, 3:] = 99.0
    a = encoder_block(x, p, 2, norm_first=norm_first, mask=pad)
    b = encoder_block(x3, p, 2, norm_first=norm_first, mask=pad)
    np.testing.assert_allclose(a[1, :3], b[1, :3], atol=1e-12)


def test_pre_norm_block_is_the_identity_plus_sub_layers_and_post_norm_output_is_normalised():
    p = init_block_params(8, seed=3)
    for key in ("W_o", "b_o", "W_2", "b_2"):
        p[key] = np.zeros_like(p[key])  # both sub-layers output 0
    x = _x(scale=4.0)
    np.testing.assert_array_equal(encoder_block(x, p, 4, norm_first=True), x)
    y = encoder_block(_x(seed=5), init_block_params(8, seed=3), 4, norm_first=False)
    np.testing.assert_allclose(y.mean(-1), 0.0, atol=1e-13)
    np.testing.assert_allclose(y.std(-1), 1.0, atol=1e-4)  # eps = 1e-5 keeps it just below 1


@settings(max_examples=40, deadline=None)
@given(
    B=st.integers(1, 3),
    T=st.integers(1, 6),
    h=st.integers(1, 3),
    dk=st.integers(1, 4),
    F=st.integers(1, 9),
    norm_first=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_shapes_dtypes_and_count_over_random_sizes(B, T, h, dk, F, norm_first, seed):
    E = h * dk
    p = init_block_params(E, F, seed=seed)
    assert {k: v.shape for k, v in p.items()} == {
        k: tuple(E if s == "E" else F for s in shape) for k, shape in BLOCK_PARAM_SHAPES.items()
    }
    assert sum(a.size for a in p.values()) == count_block_params(E, F) == 4 * E * E + 2 * E * F + 9 * E + F
    x = np.random.default_rng(seed).normal(size=(B, T, E))
    y = encoder_block(x, p, h, norm_first=norm_first, mask=causal_mask(T))
    assert y.shape == (B, T, E) and y.dtype == np.float64 and np.isfinite(y).all()
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    y32 = encoder_block(x.astype(np.float32), p32, h, norm_first=norm_first, mask=causal_mask(T))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, y, atol=2e-4, rtol=0)


def test_book_models_count_is_8E2_plus_11E():
    assert count_block_params(64, 128) == 8 * 64**2 + 11 * 64 == 33_472


def _without(p, key):
    return {k: v for k, v in p.items() if k != key}


P = init_block_params(8, 16)
X = np.zeros((2, 3, 8))


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: layer_norm(X, np.ones(7), np.zeros(8)), ValueError, r"gamma must have shape \(8,\)"),
        (lambda: layer_norm(X, np.ones(8), np.zeros((8, 1))), ValueError, r"beta must have 1 dimensions"),
        (lambda: layer_norm(X, np.ones(8), np.zeros(8), eps=0.0), ValueError, "eps must be a positive float"),
        (lambda: layer_norm(np.float64(3.0), np.ones(1), np.zeros(1)), ValueError, "at least one axis"),
        (lambda: layer_norm("x", np.ones(8), np.zeros(8)), TypeError, "x must be a numeric array"),
        (lambda: feed_forward(X, _without(P, "b_1")), ValueError, r"params is missing \['b_1'\]"),
        (
            lambda: feed_forward(X, {**P, "W_2": np.zeros((15, 8))}),
            ValueError,
            r"params\['W_2'\] has shape \(15, 8\) but the other parameters give F=16",
        ),
        (lambda: encoder_block(X[0], P, 2), ValueError, r"x must have 3 dimensions \(B, T, E\)"),
        (lambda: encoder_block(np.zeros((2, 3, 6)), P, 2), ValueError, r"params\['W_q'\] must have shape \(6, 6\)"),
        (lambda: encoder_block(X, P, 3), ValueError, "n_heads=3 must divide the model width E=8"),
        (lambda: encoder_block(X, P, 2, norm_first="pre"), TypeError, "norm_first must be True"),
        (lambda: encoder_block(X, P, 2, mask=np.ones((4, 4), bool)), ValueError, "mask must broadcast"),
        (lambda: encoder_block(X, P, 2, mask=np.ones((3, 3))), TypeError, "mask must be a boolean array"),
        (lambda: encoder_block(X, [P], 2), TypeError, "params must be a dict of arrays"),
        (lambda: encoder_block(np.full((2, 3, 8), np.nan), P, 2), ValueError, "x must be finite"),
        (lambda: init_block_params(0), ValueError, "E must be >= 1"),
        (lambda: count_block_params(8, 2.5), TypeError, "F must be an int"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
