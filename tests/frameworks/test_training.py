"""The training loops and the schedule of ``lstm_tutorial.frameworks.training``, and forget-bias setting."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.frameworks.init import set_forget_bias  # noqa: E402
from lstm_tutorial.frameworks.torch_models import SequenceRegressor  # noqa: E402
from lstm_tutorial.frameworks.training import train_torch, warmup_cosine  # noqa: E402


def test_warmup_cosine_rises_linearly_then_decays_to_zero():
    kw = dict(peak=3e-3, warmup=30, total=300)
    assert warmup_cosine(1, **kw) == pytest.approx(3e-3 / 30)
    assert warmup_cosine(15, **kw) == pytest.approx(3e-3 / 2)
    assert warmup_cosine(30, **kw) == pytest.approx(3e-3)
    assert warmup_cosine(165, **kw) == pytest.approx(3e-3 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert warmup_cosine(300, **kw) == pytest.approx(0.0, abs=1e-15)
    assert warmup_cosine(400, **kw) == pytest.approx(0.0, abs=1e-15)
    rates = [warmup_cosine(s, **kw) for s in range(30, 301)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))


def _batches(n, seed=0):
    g = np.random.default_rng(seed)
    for _ in range(n):
        x = g.standard_normal((8, 5, 2)).astype(np.float32)
        yield torch.from_numpy(x), torch.from_numpy(x[:, :, :1].sum(1))


def test_train_torch_applies_the_schedule_before_each_step():
    torch.manual_seed(0)
    model = SequenceRegressor(2, 4)
    seen = []
    opt = torch.optim.Adam(model.parameters(), lr=1.0)

    def record(step, loss):
        seen.append((step, opt.param_groups[0]["lr"]))

    train_torch(
        model,
        _batches(5),
        torch.nn.functional.mse_loss,
        steps=5,
        optimizer=opt,
        lr_schedule=lambda s: 0.01 * s,
        on_step=record,
        progress=False,
    )
    assert seen == [(s, pytest.approx(0.01 * s)) for s in range(1, 6)]


def test_on_step_returning_true_stops_training():
    torch.manual_seed(0)
    out = train_torch(
        SequenceRegressor(2, 4),
        _batches(50),
        torch.nn.functional.mse_loss,
        steps=50,
        on_step=lambda step, loss: step == 7,
        progress=False,
    )
    assert out["steps"] == 7 and len(out["loss"]) == 7


def test_train_torch_needs_exactly_one_of_epochs_and_steps():
    with pytest.raises(ValueError, match="exactly one of epochs= and steps="):
        train_torch(SequenceRegressor(2, 4), _batches(1), torch.nn.functional.mse_loss, progress=False)


def test_set_forget_bias_sets_every_layer_and_direction():
    lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    set_forget_bias(lstm, 2.5)
    for name in ("_l0", "_l0_reverse", "_l1", "_l1_reverse"):
        total = (getattr(lstm, "bias_ih" + name) + getattr(lstm, "bias_hh" + name)).detach().numpy()
        np.testing.assert_array_equal(total[4:8], 2.5)
        assert np.all(getattr(lstm, "bias_hh" + name).detach().numpy()[4:8] == 0)
    with pytest.raises(TypeError, match="must be a torch.nn.LSTM, got GRU"):
        set_forget_bias(torch.nn.GRU(3, 4), 1.0)
    with pytest.raises(ValueError, match="bias=False"):
        set_forget_bias(torch.nn.LSTM(3, 4, bias=False), 1.0)
