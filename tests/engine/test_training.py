"""Layers, losses, optimisers, the training loops and parameter files of the NumPy engine (lstm_tutorial.engine)."""

import numpy as np
import pytest
import torch

from lstm_tutorial.engine.gradcheck import gradient_check
from lstm_tutorial.engine.layers import dense_backward, dense_forward
from lstm_tutorial.engine.losses import mse_loss, softmax_cross_entropy
from lstm_tutorial.engine.model import SequenceModel
from lstm_tutorial.engine.optim import SGD, Adam, clip_grad_norm
from lstm_tutorial.engine.params import load_params, save_params
from lstm_tutorial.engine.training import fit, fit_tbptt, tbptt_chunks

rng = np.random.default_rng(0)


def test_dense_layer_and_losses_pass_gradient_checks():
    targets = rng.integers(0, 5, (2, 3))
    mask = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    y_true = rng.standard_normal((2, 3, 5))

    def f(p):
        y, cache = dense_forward(p["h"], p["W"], p["b"])
        l1, dy1 = softmax_cross_entropy(y, targets, mask)
        l2, dy2 = mse_loss(y, y_true)
        dh, dW, db = dense_backward(dy1 + dy2, cache)
        return l1 + l2, {"h": dh, "W": dW, "b": db}

    p = {"h": rng.standard_normal((2, 3, 4)), "W": rng.standard_normal((4, 5)), "b": rng.standard_normal(5)}
    assert gradient_check(f, p).max_rel_error < 1e-7


def test_cross_entropy_matches_torch_and_ignores_masked_positions():
    logits = rng.standard_normal((3, 4, 6)) * 5
    targets = rng.integers(0, 6, (3, 4))
    loss, _ = softmax_cross_entropy(logits, targets)
    expected = torch.nn.functional.cross_entropy(
        torch.from_numpy(logits).reshape(-1, 6), torch.from_numpy(targets).reshape(-1)
    )
    assert loss == pytest.approx(expected.item(), abs=1e-12)
    mask = np.zeros((3, 4))
    mask[0, 1] = 1
    loss_m, dl = softmax_cross_entropy(logits, targets, mask)
    z = logits[0, 1] - logits[0, 1].max()
    assert loss_m == pytest.approx(np.log(np.exp(z).sum()) - z[targets[0, 1]])
    assert np.count_nonzero(np.abs(dl).sum(-1)) == 1
    assert softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))[0] == pytest.approx(1000.0)
    with pytest.raises(ValueError, match=r"\[0, 6\)"):
        softmax_cross_entropy(logits, targets + 6)
    with pytest.raises(TypeError, match="integers"):
        softmax_cross_entropy(logits, targets.astype(float))
    with pytest.raises(ValueError, match="targets"):
        softmax_cross_entropy(logits, targets[:, :2])


def test_clip_grad_norm_scales_jointly_and_reports_the_norm():
    grads = {"a": np.array([3.0]), "b": np.array([[4.0]])}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose([grads["a"][0], grads["b"][0, 0]], [0.6, 0.8])
    assert clip_grad_norm(grads, 10.0) == pytest.approx(1.0)
    np.testing.assert_allclose(grads["a"], [0.6])


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda: SGD(lr=0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
        (lambda: Adam(lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    ],
)
def test_optimisers_match_torch(ours, theirs):
    w0 = rng.standard_normal(4)
    params = {"w": w0.copy()}
    wt = torch.tensor(w0, requires_grad=True)
    opt_ours, opt_torch = ours(), theirs([wt])
    for _ in range(5):
        opt_ours.step(params, {"w": 2 * params["w"] ** 3})
        opt_torch.zero_grad()
        (wt**4 / 2).sum().backward()
        opt_torch.step()
    # float64, the same arithmetic up to the order of a few operations: measured 0 difference
    np.testing.assert_allclose(params["w"], wt.detach().numpy(), rtol=1e-13, atol=0)


@pytest.mark.parametrize(
    "cell, many_to_one, loss", [("lstm", True, "mse"), ("gru", False, "xent"), ("rnn", False, "mse")]
)
def test_sequence_model_gradients(cell, many_to_one, loss):
    model = SequenceModel(
        cell, 3, 4, 5 if loss == "xent" else 2, many_to_one=many_to_one, loss=loss, seed=0, dtype=np.float64
    )
    x = rng.standard_normal((2, 4, 3))
    if loss == "xent":
        y = rng.integers(0, 5, (2, 4))
    else:
        y = rng.standard_normal((2, 2) if many_to_one else (2, 4, 2))

    def f(p):
        model.params = p
        value, grads, _ = model.loss_and_grads(x, y)
        return value, grads

    # Entries of dU near 1e-6 would divide the float64 round-off of the loss difference (about
    # 1e-16 / eps = 1e-11) by a tiny gradient, so relative errors are taken against at least 1e-4
    # (floor): measured worst errors 6e-8 (LSTM, mse), 1.1e-7 (GRU, cross-entropy, truncation
    # error of the central difference), 2e-9 (RNN).
    result = gradient_check(f, dict(model.params), floor=1e-4)
    assert result.max_rel_error < 2e-7, str(result)
    assert model.predict(x).shape == ((2, 2) if many_to_one else (2, 4, 5 if loss == "xent" else 2))


def test_fit_learns_a_small_regression_and_returns_history():
    # target: the sum of the first input feature over time (a short adding problem)
    x = rng.uniform(-1, 1, (64, 5, 2)).astype(np.float32)
    y = x[:, :, 0].sum(axis=1, keepdims=True)
    model = SequenceModel("lstm", 2, 8, 1, seed=0)
    history = fit(model, x, y, optimizer=Adam(0.02), epochs=15, batch_size=16, clip=5.0, progress=False)
    assert len(history["loss"]) == 15 * 4 and len(history["grad_norm"]) == 60 and len(history["epoch_loss"]) == 15
    assert history["epoch_loss"][-1] < 0.25 * history["epoch_loss"][0]


def test_fit_stops_at_a_nan_loss_and_names_the_step():
    x = np.ones((8, 3, 1), np.float32)
    y = np.ones((8, 1), np.float32)
    model = SequenceModel("rnn", 1, 4, 1, seed=0)
    model.params["W_y"][:] = 1e30  # predictions overflow float32 in the squared error
    with pytest.raises(FloatingPointError, match="step 0"):
        with np.errstate(over="ignore", invalid="ignore"):
            fit(model, x, y, optimizer=SGD(0.1), epochs=2, batch_size=4, progress=False)


def test_tbptt_carries_state_values_but_not_gradients():
    model = SequenceModel("lstm", 2, 3, 4, many_to_one=False, loss="xent", seed=0, dtype=np.float64)
    seen = []
    original = model.loss_and_grads

    def spy(x, y, state=None, mask=None):
        seen.append(state)
        loss, grads, final = original(x, y, state=state, mask=mask)
        seen.append(final)
        return loss, grads, final

    model.loss_and_grads = spy
    x = rng.standard_normal((2, 10, 2))
    y = rng.integers(0, 4, (2, 10))
    history = fit_tbptt(model, x, y, chunk=4, optimizer=SGD(0.1), epochs=2, progress=False)
    assert [(s.start, s.stop) for s in tbptt_chunks(10, 4)] == [(0, 4), (4, 8), (8, 10)]
    assert len(history["loss"]) == 6 and len(history["epoch_loss"]) == 2
    assert seen[0] is None and seen[6] is None  # a fresh state each epoch
    for before, after in [(1, 2), (3, 4)]:
        for a, b in zip(seen[before], seen[after]):
            np.testing.assert_array_equal(a, b)
            assert a is not b


def test_save_and_load_round_trip_and_clear_errors(tmp_path):
    model = SequenceModel("gru", 2, 3, 1, seed=1)
    path = tmp_path / "model.npz"
    save_params(path, model.params)
    loaded = load_params(path)
    assert loaded.keys() == model.params.keys()
    for k, v in model.params.items():
        np.testing.assert_array_equal(loaded[k], v)
        assert loaded[k].dtype == v.dtype

    with pytest.raises(FileNotFoundError, match="no parameter file"):
        load_params(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"definitely not a zip archive")
    with pytest.raises(ValueError, match="not a parameter file"):
        load_params(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", W=np.zeros(3))
    with pytest.raises(ValueError, match="__format__"):
        load_params(tmp_path / "other.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(ValueError, match="not a parameter file"):
        load_params(tmp_path / "single.npy")
    np.savez(tmp_path / "pickled.npz", W=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a parameter file"):
        load_params(tmp_path / "pickled.npz")
    with pytest.raises(TypeError, match="numeric"):
        save_params(tmp_path / "bad.npz", {"W": np.array(["a"])})


def test_many_to_one_model_rejects_T_0_with_a_clear_error():
    from lstm_tutorial.engine.model import SequenceModel

    model = SequenceModel("lstm", 2, 4, 1, seed=0, dtype=np.float64)
    with pytest.raises(ValueError, match=r"needs T >= 1 steps; got shape \(3, 0\) = \(B, T\)"):
        model.forward(np.zeros((3, 0, 2)))
    many = SequenceModel("lstm", 2, 4, 1, many_to_one=False, seed=0, dtype=np.float64)
    y, _, _ = many.forward(np.zeros((3, 0, 2)))
    assert y.shape == (3, 0, 1)


def test_model_backward_returns_dx_grads_dstate_like_the_cells():
    from lstm_tutorial.engine.model import SequenceModel

    model = SequenceModel("gru", 2, 4, 1, seed=0, dtype=np.float64)
    x = np.random.default_rng(0).normal(size=(3, 5, 2))
    y, _, cache = model.forward(x)
    dx, grads, dh0 = model.backward(np.ones_like(y), cache)
    assert dx.shape == x.shape and set(grads) == set(model.params) and dh0.shape == (3, 4)
