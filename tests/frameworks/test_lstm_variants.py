"""The eight LSTM variants: vanilla is nn.LSTM, NFG and PH are the NumPy engine's variants, each
switch changes what its equation says, and a bad name is refused."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.engine.variants import lstm_variant_forward  # noqa: E402
from lstm_tutorial.frameworks.lstm_variants import VARIANTS, VariantLSTM, VariantRegressor  # noqa: E402

pytestmark = pytest.mark.disable_socket


def _pair(variant, D=3, H=5, seed=0):
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(D, H, batch_first=True).double()
    layer = VariantLSTM(D, H, variant, forget_bias=None).double().load_lstm(lstm)
    x = torch.randn(4, 9, D, dtype=torch.float64)
    return lstm, layer, x


def _engine_params(layer):
    return {name: getattr(layer, name).detach().numpy() for name in ("W", "U", "b")}


def test_vanilla_equals_torch_lstm_float64():
    lstm, layer, x = _pair("vanilla")
    h0, c0 = torch.randn(2, 1, 4, 5, dtype=torch.float64)
    ref, (h_ref, c_ref) = lstm(x, (h0, c0))
    out, (h, c) = layer(x, (h0[0], c0[0]))
    assert torch.max(torch.abs(out - ref)) < 1e-12
    assert torch.max(torch.abs(h - h_ref[0])) < 1e-12 and torch.max(torch.abs(c - c_ref[0])) < 1e-12
    # and the gradients through autograd agree as well
    (ref**2).sum().backward()
    (out**2).sum().backward()
    assert torch.max(torch.abs(layer.W.grad - lstm.weight_ih_l0.grad.T)) < 1e-12
    assert torch.max(torch.abs(layer.b.grad - lstm.bias_hh_l0.grad)) < 1e-12


def test_nfg_equals_engine_without_forget_gate():
    _, layer, x = _pair("NFG")
    out, _ = layer(x)
    ref, _, _ = lstm_variant_forward(x.numpy(), _engine_params(layer), forget_gate=False)
    assert np.max(np.abs(out.detach().numpy() - ref)) < 1e-12


def test_ph_equals_engine_with_peepholes():
    _, layer, x = _pair("PH")
    with torch.no_grad():
        layer.peep.copy_(torch.randn(15, dtype=torch.float64))
    out, _ = layer(x)
    ref, _, _ = lstm_variant_forward(x.numpy(), _engine_params(layer), peepholes=layer.peep.detach().numpy())
    assert np.max(np.abs(out.detach().numpy() - ref)) < 1e-12


def test_ph_starts_as_vanilla():
    _, vanilla, x = _pair("vanilla")
    _, ph, _ = _pair("PH")
    assert torch.equal(ph.peep, torch.zeros(15, dtype=torch.float64))
    # equal up to rounding: sigmoid of a contiguous sum and of a strided view take different kernels
    assert torch.max(torch.abs(ph(x)[0] - vanilla(x)[0])) < 1e-15


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "vanilla"])
def test_every_variant_changes_the_output(variant):
    _, vanilla, x = _pair("vanilla")
    _, layer, _ = _pair(variant)
    if variant == "PH":
        with torch.no_grad():
            layer.peep.fill_(0.5)
    assert torch.max(torch.abs(layer(x)[0] - vanilla(x)[0])) > 1e-3


def test_switched_off_blocks_get_no_gradient():
    """NIG, NFG, NOG never read their gate's block of W, U and b; CIFG never reads the forget block."""
    H = 5
    blocks = {"NIG": 0, "NFG": 1, "CIFG": 1, "NOG": 3}
    for variant, k in blocks.items():
        _, layer, x = _pair(variant)
        (layer(x)[0] ** 2).sum().backward()
        for name in ("W", "U", "b"):
            g = getattr(layer, name).grad
            assert torch.all(g[..., k * H : (k + 1) * H] == 0), (variant, name)
            assert torch.any(g != 0)


def test_cifg_forget_gate_is_one_minus_input_gate():
    """With the input gate shut (b_i = -100) CIFG keeps the cell state: f = 1 - i = 1."""
    _, layer, x = _pair("CIFG")
    with torch.no_grad():
        layer.b[:5] = -100.0
    c0 = torch.randn(4, 5, dtype=torch.float64)
    _, (_, c) = layer(x, (torch.zeros(4, 5, dtype=torch.float64), c0))
    assert torch.equal(c, c0)


def test_forget_bias_start():
    torch.manual_seed(0)
    vanilla = VariantLSTM(2, 4, "vanilla", forget_bias=1.0)
    torch.manual_seed(0)
    cifg = VariantLSTM(2, 4, "CIFG", forget_bias=1.0)
    assert torch.all(vanilla.b[4:8] == 1.0) and torch.all(cifg.b[:4] == -1.0)
    # the same draw otherwise, and the same draw as SequenceRegressor's nn.LSTM
    assert torch.equal(vanilla.W, cifg.W)


def test_input_bias_start():
    torch.manual_seed(0)
    layer = VariantLSTM(2, 4, "NOAF", input_bias=-1.0)
    assert torch.all(layer.b[:4] == -1.0) and torch.all(layer.b[4:8] == 1.0)
    for variant in ("CIFG", "NIG"):
        with pytest.raises(ValueError, match=f"input_bias must be None for variant '{variant}', got -1.0"):
            VariantLSTM(2, 4, variant, input_bias=-1.0)


def test_regressor_shapes():
    torch.manual_seed(0)
    net = VariantRegressor(2, 8, "NOAF")
    assert net(torch.zeros(3, 7, 2)).shape == (3, 1)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match=r"variant must be one of \['vanilla', 'NIG'.*got 'nfg'"):
        VariantLSTM(2, 4, "nfg")
    layer = VariantLSTM(2, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, D\) with D = 2, got \(3, 5, 4\)"):
        layer(torch.zeros(3, 5, 4))
    with pytest.raises(ValueError, match="one-layer, unidirectional"):
        layer.load_lstm(torch.nn.LSTM(2, 4, num_layers=2))
    with pytest.raises(ValueError, match=r"this layer needs \(2, 4\)"):
        layer.load_lstm(torch.nn.LSTM(3, 4))
