"""The NumPy encoder block equals ``torch.nn.TransformerEncoderLayer`` once its weights are copied.

Float64, dropout 0, eval mode, ReLU (the activation of every Transformer in the book), pre-norm
and post-norm, with no mask, a causal mask and a padding mask, to 1e-10: the float64 rounding
gap is near 1e-15.
"""

import numpy as np
import pytest
import torch

from lstm_tutorial.engine.attention import causal_mask, padding_mask
from lstm_tutorial.engine.transformer_block import BLOCK_PARAM_SHAPES, count_block_params, encoder_block
from lstm_tutorial.frameworks.convert import encoder_layer_params_from_torch
from lstm_tutorial.frameworks.transformer import TransformerEncoderModel


def _layer(E, h, F, norm_first, seed=0, **kw):
    torch.manual_seed(seed)
    layer = torch.nn.TransformerEncoderLayer(
        E, h, F, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=torch.float64, **kw
    ).eval()
    with torch.no_grad():  # the default init has zero attention biases and unit LayerNorms: move every weight
        for p in layer.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return layer


MASKS = {
    "none": lambda T, lengths: (None, {}),
    "causal": lambda T, lengths: (
        causal_mask(T),
        {"src_mask": torch.from_numpy(~causal_mask(T)), "is_causal": True},
    ),
    "padding": lambda T, lengths: (
        padding_mask(lengths, T),
        {"src_key_padding_mask": torch.from_numpy(~padding_mask(lengths, T)[:, 0])},
    ),
    "causal and padding": lambda T, lengths: (
        padding_mask(lengths, T) & causal_mask(T),
        {
            "src_mask": torch.from_numpy(~causal_mask(T)),
            "src_key_padding_mask": torch.from_numpy(~padding_mask(lengths, T)[:, 0]),
        },
    ),
}


@pytest.mark.parametrize("norm_first", [True, False], ids=["pre-norm", "post-norm"])
@pytest.mark.parametrize("mask_kind", list(MASKS))
@pytest.mark.parametrize("grad", [True, False], ids=["autograd", "no_grad"])
def test_forward_equals_torch_encoder_layer(norm_first, mask_kind, grad):
    E, h, F, T = 16, 4, 32, 7
    layer = _layer(E, h, F, norm_first)
    params = encoder_layer_params_from_torch(layer)
    assert {k: v.shape for k, v in params.items()} == {
        k: tuple(E if s == "E" else F for s in shape) for k, shape in BLOCK_PARAM_SHAPES.items()
    }
    assert all(v.dtype == np.float64 for v in params.values())
    x = np.random.default_rng(1).normal(size=(3, T, E))
    mask, kw = MASKS[mask_kind](T, [7, 4, 1])
    y = encoder_block(x, params, h, norm_first=norm_first, mask=mask, eps=layer.norm1.eps)
    with torch.set_grad_enabled(grad):  # no_grad lets PyTorch take its fused inference path
        ref = layer(torch.from_numpy(x), **kw).detach().numpy()
    assert y.shape == ref.shape == (3, T, E)
    np.testing.assert_allclose(y, ref, atol=1e-10, rtol=0)


def test_the_book_models_layers_and_their_count():
    """The layer inside ``TransformerEncoderModel`` (pre-norm, F = 2E) ports, and has 8E^2 + 11E parameters."""
    E = 64
    model = TransformerEncoderModel(input_size=3, d_model=E, n_heads=4, head="token").double().eval()
    layer = model.encoder.layers[0]
    assert layer.norm_first and layer.linear1.out_features == 2 * E
    params = encoder_layer_params_from_torch(layer)
    n_torch = sum(p.numel() for p in layer.parameters())
    assert n_torch == sum(a.size for a in params.values()) == count_block_params(E, 2 * E) == 8 * E * E + 11 * E
    x = np.random.default_rng(2).normal(size=(2, 9, E))
    with torch.no_grad():
        ref = layer(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(encoder_block(x, params, 4, norm_first=True), ref, atol=1e-10, rtol=0)


def test_layers_the_block_does_not_compute_are_refused():
    with pytest.raises(ValueError, match="activation='relu'"):
        encoder_layer_params_from_torch(_layer(8, 2, 16, True, activation="gelu"))
    with pytest.raises(ValueError, match="bias=False"):
        encoder_layer_params_from_torch(_layer(8, 2, 16, True, bias=False))
    with pytest.raises(TypeError, match="TransformerEncoderLayer, got Linear"):
        encoder_layer_params_from_torch(torch.nn.Linear(3, 3))
