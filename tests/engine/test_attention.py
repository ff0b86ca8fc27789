"""NumPy attention against PyTorch: scaled dot-product, masks, multi-head with ported weights, positions."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstm_tutorial.engine.activations import softmax
from lstm_tutorial.engine.attention import (
    causal_mask,
    init_mha_params,
    multi_head_attention,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
)
from lstm_tutorial.frameworks.convert import mha_params_from_torch

TOL = {np.float64: 1e-10, np.float32: 1e-5}


def _qkv(dtype, lead=(2,), Tq=5, Tk=7, d=8, dv=3, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(*lead, Tq, d)).astype(dtype),
        rng.normal(size=(*lead, Tk, d)).astype(dtype),
        rng.normal(size=(*lead, Tk, dv)).astype(dtype),
    )


def _torch_sdpa(q, k, v, mask=None):
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    return F.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (q, k, v)), attn_mask=m).numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("lead", [(2,), (2, 3)])
def test_sdpa_matches_torch_without_mask(dtype, lead):
    q, k, v = _qkv(dtype, lead)
    out, w = scaled_dot_product_attention(q, k, v)
    assert out.dtype == dtype and out.shape == (*lead, 5, 3) and w.shape == (*lead, 5, 7)
    np.testing.assert_allclose(out, _torch_sdpa(q, k, v), atol=TOL[dtype], rtol=0)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sdpa_matches_torch_with_causal_and_padding_masks(dtype):
    q, k, v = _qkv(dtype, Tq=6, Tk=6)
    causal = causal_mask(6)
    out, w = scaled_dot_product_attention(q, k, v, causal)
    np.testing.assert_allclose(out, _torch_sdpa(q, k, v, causal), atol=TOL[dtype], rtol=0)
    assert np.all(w[:, ~causal] == 0.0)  # no weight on the future, exactly
    pad = padding_mask([6, 3], 6)
    both = pad & causal
    out, w = scaled_dot_product_attention(q, k, v, both)
    np.testing.assert_allclose(out, _torch_sdpa(q, k, v, np.broadcast_to(both, (2, 6, 6))), atol=TOL[dtype], rtol=0)
    assert np.all(w[1, :, 3:] == 0.0)


def test_fully_masked_rows_give_zeros_not_nan():
    q, k, v = _qkv(np.float64)
    mask = np.ones((2, 5, 7), bool)
    mask[0, 2] = False  # query 2 of sequence 0 may attend to nothing
    out, w = scaled_dot_product_attention(q, k, v, mask)
    assert np.isfinite(out).all() and np.isfinite(w).all()
    assert np.all(out[0, 2] == 0.0) and np.all(w[0, 2] == 0.0)
    keep = mask.any(-1)
    np.testing.assert_allclose(out[keep], _torch_sdpa(q, k, v, mask)[keep], atol=1e-10)
    np.testing.assert_allclose(softmax(np.zeros(3), where=np.zeros(3, bool)), 0.0)


def test_softmax_is_stable_for_huge_scores():
    z = np.array([1000.0, 1001.0, 1002.0])
    np.testing.assert_allclose(softmax(z), softmax(z - 1000.0), atol=1e-15)
    assert np.isfinite(softmax(np.array([1e308, -1e308]))).all()


def test_masks_conventions_and_shapes():
    m = causal_mask(3)
    assert m.dtype == bool and m.tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    p = padding_mask(np.array([2, 0]), 3)
    assert p.shape == (2, 1, 3) and p[:, 0].tolist() == [[True, True, False], [False, False, False]]


@pytest.mark.parametrize("dtype,torch_dtype", [(np.float64, torch.float64), (np.float32, torch.float32)])
def test_multi_head_matches_torch_multihead_attention(dtype, torch_dtype):
    torch.manual_seed(0)
    E, h = 12, 3
    mha = torch.nn.MultiheadAttention(E, h, batch_first=True, dtype=torch_dtype)
    with torch.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    params = mha_params_from_torch(mha)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, E)).astype(dtype)
    y = rng.normal(size=(2, 7, E)).astype(dtype)
    pad = padding_mask([7, 4], 7)
    out, w = multi_head_attention(x, y, params, h, mask=pad)
    ref, ref_w = mha(
        *(torch.from_numpy(a) for a in (x, y, y)),
        key_padding_mask=torch.from_numpy(~pad[:, 0]),
        average_attn_weights=False,
    )
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=TOL[dtype], rtol=0)
    np.testing.assert_allclose(w, ref_w.detach().numpy(), atol=TOL[dtype], rtol=0)
    # self-attention with a causal mask: PyTorch's boolean attn_mask is True where NOT allowed
    out, _ = multi_head_attention(x, x, params, h, mask=causal_mask(5))
    t = torch.from_numpy(x)
    ref, _ = mha(t, t, t, attn_mask=torch.from_numpy(~causal_mask(5)))
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=TOL[dtype], rtol=0)


def test_one_head_equals_plain_attention_of_projections():
    p = init_mha_params(4, seed=3, dtype=np.float64)
    x = np.random.default_rng(0).normal(size=(1, 3, 4))
    out, w = multi_head_attention(x, x, p, 1)
    o, w1 = scaled_dot_product_attention(x @ p["W_q"], x @ p["W_k"], x @ p["W_v"])
    np.testing.assert_allclose(out, o @ p["W_o"], atol=1e-12)
    np.testing.assert_allclose(w[:, 0], w1, atol=1e-12)


def test_sinusoidal_positional_encoding_known_values():
    pe = sinusoidal_positional_encoding(50, 6)
    assert pe.shape == (50, 6)
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1, 0, 1], atol=0)
    np.testing.assert_allclose(pe[1, :2], [np.sin(1.0), np.cos(1.0)], atol=1e-15)
    np.testing.assert_allclose(pe[7, 2:4], [np.sin(7 / 10000 ** (2 / 6)), np.cos(7 / 10000 ** (2 / 6))], atol=1e-15)
    # PE[t + k] is a rotation of PE[t] in every (sin, cos) pair: the same matrix for every t
    w = 1 / 10000 ** (4 / 6)
    k = 5
    R = np.array([[np.cos(k * w), -np.sin(k * w)], [np.sin(k * w), np.cos(k * w)]])
    np.testing.assert_allclose(pe[:-k, 4:6] @ R, pe[k:, 4:6], atol=1e-12)
    assert sinusoidal_positional_encoding(3, 5).shape == (3, 5)


@pytest.mark.parametrize(
    "call,match",
    [
        (
            lambda: scaled_dot_product_attention(np.ones((2, 5)), np.ones((2, 5)), np.ones((2, 5))),
            r"q must have shape \(B, Tq, d\)",
        ),
        (
            lambda: scaled_dot_product_attention(np.ones((2, 5, 8)), np.ones((2, 7, 4)), np.ones((2, 7, 3))),
            r"k must have shape.*axis 2 \(d\) should be 8, not 4",
        ),
        (
            lambda: scaled_dot_product_attention(np.ones((2, 5, 8)), np.ones((2, 7, 8)), np.ones((2, 6, 3))),
            r"v must have shape.*axis 1 \(Tk\) should be 7, not 6",
        ),
        (
            lambda: scaled_dot_product_attention(
                np.ones((2, 5, 8)), np.ones((2, 7, 8)), np.ones((2, 7, 3)), np.ones((5, 7))
            ),
            "boolean array",
        ),
        (
            lambda: scaled_dot_product_attention(
                np.ones((2, 5, 8)), np.ones((2, 7, 8)), np.ones((2, 7, 3)), np.ones((5, 6), bool)
            ),
            r"mask must broadcast.*\(2, 5, 7\).*\(5, 6\)",
        ),
        (
            lambda: multi_head_attention(np.ones((2, 5, 12)), np.ones((2, 5, 12)), init_mha_params(12), 5),
            "n_heads=5 must divide",
        ),
        (
            lambda: multi_head_attention(np.ones((2, 5, 12)), np.ones((2, 5, 12)), init_mha_params(8), 2),
            r"params\['W_q'\] must have shape \(12, 12\)",
        ),
        (lambda: padding_mask([3, 9], 5), r"lengths must lie in \[0, T=5\]"),
        (lambda: causal_mask(0), "T must be a positive int"),
        (
            lambda: scaled_dot_product_attention(np.full((1, 2, 2), np.nan), np.ones((1, 2, 2)), np.ones((1, 2, 2))),
            "q must be finite",
        ),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
