"""Initialising PyTorch LSTMs: chrono biases and the 1997 cell with its forget gate fixed open."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.engine.variants import lstm_variant_forward  # noqa: E402
from lstm_tutorial.frameworks.convert import params_from_torch  # noqa: E402
from lstm_tutorial.frameworks.init import (  # noqa: E402
    FORGET_GATE_OPEN_BIAS,
    fix_forget_gate_open,
    set_chrono_bias,
)

pytestmark = pytest.mark.disable_socket


def test_chrono_bias_range_and_input_gate_is_minus_forget():
    lstm = torch.nn.LSTM(2, 500, batch_first=True)
    set_chrono_bias(lstm, 100, torch.Generator().manual_seed(0))
    H = 500
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().double()
    b_i, b_f = b[:H], b[H : 2 * H]
    assert torch.equal(b_i, -b_f)
    assert b_f.min() >= 0.0 and b_f.max() <= math.log(99) + 1e-6
    # log U(1, 99): the time scales 1 + e^{b_f} are uniform, so about half lie below 50
    assert 0.4 < float(torch.mean((torch.exp(b_f) < 50).double())) < 0.6
    assert torch.all(lstm.bias_hh_l0[: 2 * H] == 0)


def test_chrono_bias_rejects_bad_input():
    with pytest.raises(ValueError, match="T_max"):
        set_chrono_bias(torch.nn.LSTM(2, 4), 2)
    with pytest.raises(TypeError, match="lstm"):
        set_chrono_bias(torch.nn.GRU(2, 4), 10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_open_forget_gate_is_exactly_one_inside_torch_lstm(dtype):
    """With the input gate shut too (bias -100), c_T must equal c_0 bit for bit: f_t = 1 exactly."""
    torch.manual_seed(0)
    lstm = fix_forget_gate_open(torch.nn.LSTM(2, 8, batch_first=True).to(dtype))
    with torch.no_grad():
        lstm.bias_ih_l0[:8] = -FORGET_GATE_OPEN_BIAS
    x = torch.rand(4, 300, 2, dtype=dtype)
    h0, c0 = torch.zeros(1, 4, 8, dtype=dtype), torch.randn(1, 4, 8, dtype=dtype)
    _, (_, c) = lstm(x, (h0, c0))
    assert torch.equal(c, c0)


def test_open_forget_gate_matches_the_1997_cell_of_the_engine():
    torch.manual_seed(1)
    lstm = fix_forget_gate_open(torch.nn.LSTM(3, 5, batch_first=True).double())
    x = np.random.default_rng(0).standard_normal((2, 40, 3))
    out, _ = lstm(torch.from_numpy(x))
    params = params_from_torch(lstm)
    params["b"][5:10] = 0.0  # the engine's 1997 cell ignores the forget block altogether
    params["W"][:, 5:10] = 7.0
    ref, _, trace = lstm_variant_forward(x, params, forget_gate=False)
    assert np.max(np.abs(out.detach().numpy() - ref)) < 1e-12
    assert np.all(trace.gates[..., 5:10] == 1.0)


def test_open_forget_gate_has_no_gradient_and_does_not_move():
    torch.manual_seed(2)
    lstm = fix_forget_gate_open(torch.nn.LSTM(2, 6, batch_first=True))
    before = {n: p.detach().clone() for n, p in lstm.named_parameters()}
    opt = torch.optim.Adam(lstm.parameters(), lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        out, _ = lstm(torch.rand(3, 20, 2))
        (out**2).sum().backward()
        for p in lstm.parameters():
            assert torch.all(p.grad[6:12] == 0)
        opt.step()
    for n, p in lstm.named_parameters():
        assert torch.equal(p[6:12], before[n][6:12]), n
        assert not torch.equal(p, before[n]), n  # the other gates do learn
