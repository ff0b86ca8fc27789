"""Stacks, directions, streaming and padding: counts, exact equalities, and clear errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.frameworks import architectures as arch
from lstm_tutorial.frameworks.torch_models import SequenceClassifier
from lstm_tutorial.repro import seed_everything

pytestmark = pytest.mark.disable_socket


@pytest.mark.parametrize("L, bi", [(1, False), (2, False), (3, False), (1, True), (3, True)])
def test_parameter_counts_match_the_modules(L, bi):
    lstm = torch.nn.LSTM(7, 5, num_layers=L, bidirectional=bi)
    assert arch.lstm_parameter_count(7, 5, L, bi) == sum(p.numel() for p in lstm.parameters())
    tagger = arch.Tagger(26, 8, 5, 3, L, bi)
    assert arch.tagger_parameter_count(26, 8, 5, 3, L, bi) == sum(p.numel() for p in tagger.parameters())


def test_width_for_budget_is_the_nearest_width():
    for L, bi in [(1, False), (3, False), (2, True)]:
        H = arch.width_for_budget(30_000, 26, 16, 2, L, bi)
        gaps = [abs(arch.tagger_parameter_count(26, 16, h, 2, L, bi) - 30_000) for h in (H - 1, H, H + 1)]
        assert gaps[1] == min(gaps)


def test_tagger_shapes_and_bad_ids():
    model = arch.Tagger(26, 8, 6, 2, 2, True)
    assert model(torch.zeros(3, 11, dtype=torch.long)).shape == (3, 11, 2)
    with pytest.raises(ValueError, match=r"ids must be \(B, T\)"):
        model(torch.zeros(11, dtype=torch.long))


def test_bidirectional_first_output_depends_on_the_future_and_unidirectional_not():
    seed_everything(0)
    ids = torch.randint(0, 26, (1, 9))
    later = ids.clone()
    later[0, -1] = (later[0, -1] + 1) % 26
    for bi, moves in ((False, False), (True, True)):
        model = arch.Tagger(26, 4, 5, 2, 2, bi).double()
        change = (model(ids)[0, 0] - model(later)[0, 0]).abs().max().item()
        assert (change > 0) == moves


@pytest.mark.parametrize("chunk", [1, 3, 7, 50, 64])
def test_streaming_in_chunks_equals_one_pass(chunk):
    seed_everything(0)
    lstm = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True).double()
    x = torch.randn(2, 50, 3, dtype=torch.float64)
    with torch.no_grad():
        full, (h, c) = lstm(x)
        streamed, (h2, c2) = arch.stream_lstm(lstm, x, chunk)
    assert max((full - streamed).abs().max(), (h - h2).abs().max(), (c - c2).abs().max()).item() < 1e-13


def test_streaming_refuses_what_cannot_stream():
    with pytest.raises(ValueError, match="unidirectional nn.LSTM"):
        arch.stream_lstm(torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True), torch.zeros(1, 5, 3), 2)
    lstm = torch.nn.LSTM(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"x must be \(B, T, 3\)"):
        arch.stream_lstm(lstm, torch.zeros(1, 5, 2), 2)
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        arch.stream_lstm(lstm, torch.zeros(1, 5, 3), 0)


def _padded_batch(seed=0, B=4, T=9, D=3):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([9, 2, 5, 1])
    x = torch.randn(B, T, D, generator=g, dtype=torch.float64)
    pad = torch.arange(T)[None, :] >= lengths[:, None]  # (B, T), True on padding
    return x, lengths, pad


def test_packing_ignores_padding_in_outputs_and_gradients():
    seed_everything(0)
    model = SequenceClassifier(3, 6, 4).double()
    x, lengths, pad = _padded_batch()
    results = []
    for fill in (0.0, 1e3, float("nan")):
        x_fill = x.clone()
        x_fill[pad] = fill
        x_fill.requires_grad_(True)
        model.zero_grad()
        logits = model(x_fill, lengths)
        logits.square().sum().backward()
        grads = [p.grad.clone() for p in model.parameters()]
        assert torch.all(x_fill.grad[pad] == 0)
        results.append((logits.detach(), grads, x_fill.grad[~pad]))
    for logits, grads, x_grad in results[1:]:
        assert torch.equal(logits, results[0][0])
        assert all(torch.equal(a, b) for a, b in zip(grads, results[0][1]))
        assert torch.equal(x_grad, results[0][2])


@pytest.mark.parametrize(
    "lengths, match",
    [
        ([9, 2, 10, 1], r"lengths\[2\] is 10, longer than the padded length T = 9"),
        ([9, 0, 5, 1], r"lengths\[1\] is 0: sequence 1 is empty"),
        ([9, 2, 5], r"lengths must be integers of shape \(4,\)"),
        ([9.0, 2.0, 5.0, 1.0], r"lengths must be integers"),
    ],
)
def test_classifier_refuses_bad_lengths(lengths, match):
    model = SequenceClassifier(3, 6, 4).double()
    x, _, _ = _padded_batch()
    with pytest.raises(ValueError, match=match):
        model(x, torch.tensor(lengths))


def test_classifier_refuses_wrong_shapes():
    model = SequenceClassifier(3, 6, 4)
    with pytest.raises(ValueError, match=r"x must be \(B, T, D\)"):
        model(torch.zeros(9, 3), torch.tensor([9]))
    with pytest.raises(ValueError, match="D = 3 features"):
        model(torch.zeros(2, 9, 5), torch.tensor([9, 9]))


keras = pytest.importorskip("keras")


def test_keras_masking_equals_torch_packing_with_ported_weights():
    from lstm_tutorial.frameworks.keras_models import sequence_classifier

    seed_everything(0)
    torch_model = SequenceClassifier(3, 6, 4).double()
    with arch.keras_float64():
        keras_model = sequence_classifier(4, input_shape=(None, 3), units=6, mask_value=0.0)
    assert keras.layers.Dense(1).dtype == "float32"  # the defaults are restored
    arch.classifier_to_keras(torch_model, keras_model)
    x, lengths, pad = _padded_batch()
    x[pad] = 0.0  # Keras' Masking layer finds the padding by this value
    with torch.no_grad():
        expected = torch.softmax(torch_model(x, lengths), dim=-1).numpy()
    got = np.asarray(keras_model(x.numpy()))
    assert np.abs(got - expected).max() < 1e-13


def test_keras_lstm_with_a_mask_ignores_padded_values():
    seed_everything(0)
    layer = keras.layers.LSTM(5, dtype="float64")
    x, _, pad = _padded_batch()
    mask = ~pad.numpy()
    outs = []
    for fill in (0.0, 1e3):
        x_fill = x.clone()
        x_fill[pad] = fill
        outs.append(np.asarray(layer(x_fill.numpy(), mask=mask)))
    assert np.array_equal(outs[0], outs[1])


def test_keras_stateful_chunks_equal_one_torch_pass():
    from lstm_tutorial.frameworks.convert import params_from_torch

    seed_everything(0)
    lstm = torch.nn.LSTM(3, 5, batch_first=True).double()
    x = torch.randn(2, 40, 3, dtype=torch.float64)
    with torch.no_grad():
        full, _ = lstm(x)
    model = arch.stateful_keras_lstm(params_from_torch(lstm), batch_size=2)
    carried = arch.keras_stream(model, x.numpy(), 6)
    reset = arch.keras_stream(model, x.numpy(), 6, carry=False)
    assert np.abs(carried - full.numpy()).max() < 1e-13
    assert np.abs(reset - full.numpy()).max() > 1e-3
