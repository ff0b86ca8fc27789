"""The PyTorch sLSTM against the NumPy one, and its gradients at huge pre-activations."""

import numpy as np
import pytest
import torch

from lstm_tutorial import seed_everything
from lstm_tutorial.engine.slstm import slstm_forward
from lstm_tutorial.frameworks.slstm import SLSTM, slstm_params_from_torch


@pytest.mark.parametrize("forget", ["exp", "sigmoid"])
def test_torch_matches_the_engine_in_float64(forget):
    seed_everything(0)
    m = SLSTM(3, 6, forget=forget, forget_bias=1.0).double()
    x = torch.randn(4, 25, 3, dtype=torch.float64)
    out, (h, c, n, mm) = m(x)
    ref, s = slstm_forward(x.numpy(), slstm_params_from_torch(m), forget=forget)
    assert np.max(np.abs(out.detach().numpy() - ref)) < 1e-12
    for a, b in zip((h, c, n, mm), s):
        assert np.max(np.abs(a.detach().numpy() - b)) < 1e-12


def test_gradients_stay_finite_at_huge_pre_activations():
    seed_everything(0)
    m = SLSTM(3, 6).double()
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(1000.0)
    x = torch.randn(2, 30, 3, dtype=torch.float64)
    out, _ = m(x)
    out.square().sum().backward()
    assert torch.isfinite(out).all()
    assert all(torch.isfinite(p.grad).all() for p in m.parameters())


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="forget must be one of"):
        SLSTM(3, 4, forget="tanh")
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        SLSTM(3, 0)
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, D=3\)"):
        SLSTM(3, 4)(torch.zeros(2, 5, 4))
    with pytest.raises(TypeError, match="module must be an SLSTM"):
        slstm_params_from_torch(torch.nn.LSTM(3, 4))
