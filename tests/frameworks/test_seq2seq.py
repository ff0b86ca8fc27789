"""The encoder-decoder LSTM, stage by stage: encode, one decoder step, decode.

Expected values are computed without the modules under test: with every weight fixed to one
constant, by a scalar recurrence in plain Python floats; with random weights, by the NumPy
engine (:mod:`lstm_tutorial.engine.fast` for the encoder, the reference step of
:mod:`lstm_tutorial.engine.reference` for the decoder) on weights read out with
:func:`lstm_tutorial.frameworks.convert.params_from_torch`. Everything runs in float64, so the
tolerances are float64 rounding (1e-12).
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.engine import fast, reference
from lstm_tutorial.frameworks.convert import params_from_torch
from lstm_tutorial.frameworks.seq2seq import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    Decoder,
    Encoder,
    EncoderOutput,
    Seq2Seq,
    greedy_loop,
    seq2seq_loss,
)

pytestmark = pytest.mark.disable_socket

V_SRC, V_TGT, E, H = 7, 6, 3, 4


def make_model(seed=0):
    torch.manual_seed(seed)
    return Seq2Seq(Encoder(V_SRC, E, H), Decoder(V_TGT, E, H)).double()


def fill_constant(module, value):
    with torch.no_grad():
        for p in module.parameters():
            p.fill_(value)


def scalar_lstm_steps(n_steps, w, *, D, H, h=0.0, c=0.0):
    """Every weight and both biases equal to ``w``: all units stay equal, so one float each suffices."""
    for _ in range(n_steps):
        a = D * w * w + H * w * h + 2 * w  # the embedding is w too: x_t W = D * w * w; b_ih + b_hh = 2w
        s, g = 1 / (1 + math.exp(-a)), math.tanh(a)  # i = f = o = s
        c = s * c + s * g
        h = s * math.tanh(c)
    return h, c


SRC = torch.tensor([[3, 4, 5, 6, 3], [5, 3, 0, 0, 0], [6, 0, 0, 0, 0]])
LENGTHS = torch.tensor([5, 2, 1])


def test_encode_with_constant_weights():
    model = make_model()
    fill_constant(model, 0.1)
    enc = model.encoder(SRC, LENGTHS)
    assert enc.outputs.shape == (3, 5, H) and enc.state[0].shape == (1, 3, H)
    for b, L in enumerate(LENGTHS.tolist()):
        for t in range(5):
            want = scalar_lstm_steps(t + 1, 0.1, D=E, H=H)[0] if t < L else 0.0
            np.testing.assert_allclose(enc.outputs[b, t].detach().numpy(), want, rtol=0, atol=1e-15)
        h, c = scalar_lstm_steps(L, 0.1, D=E, H=H)
        np.testing.assert_allclose(enc.state[0][0, b].detach().numpy(), h, rtol=0, atol=1e-15)
        np.testing.assert_allclose(enc.state[1][0, b].detach().numpy(), c, rtol=0, atol=1e-15)


def test_one_decoder_step_with_constant_weights():
    model = make_model()
    fill_constant(model, 0.1)
    enc = model.encoder(SRC, LENGTHS)
    logits, (h1, c1) = model.decoder.step(torch.full((3,), BOS_ID), model.decoder.init_state(enc), enc)
    assert logits.shape == (3, V_TGT)
    for b, L in enumerate(LENGTHS.tolist()):
        h0, c0 = scalar_lstm_steps(L, 0.1, D=E, H=H)
        h, c = scalar_lstm_steps(1, 0.1, D=E, H=H, h=h0, c=c0)
        np.testing.assert_allclose(h1[0, b].detach().numpy(), h, rtol=0, atol=1e-15)
        np.testing.assert_allclose(c1[0, b].detach().numpy(), c, rtol=0, atol=1e-15)
        np.testing.assert_allclose(logits[b].detach().numpy(), H * 0.1 * h + 0.1, rtol=0, atol=1e-15)


def engine_encode(model, src, lengths):
    """The encoder in NumPy: each source alone, only its real tokens, through the fast engine."""
    p = params_from_torch(model.encoder.lstm)
    table = model.encoder.embed.weight.detach().numpy()
    outs, hs, cs = [], [], []
    for row, L in zip(src.numpy(), lengths.tolist()):
        out, (h, c), _ = fast.lstm_forward(table[row[:L]][None], p)  # (1, L, H)
        outs.append(np.pad(out[0], ((0, src.shape[1] - L), (0, 0))))
        hs.append(h[0]), cs.append(c[0])
    return np.stack(outs), np.stack(hs), np.stack(cs)


def engine_step(model, y_prev, h, c):
    """One decoder step in NumPy with the reference engine, then the linear head."""
    p = params_from_torch(model.decoder.lstm)
    x = model.decoder.embed.weight.detach().numpy()[y_prev]  # (B, E)
    h, c, _ = reference.lstm_step_forward(x, h, c, p)
    W, b = model.decoder.head.weight.detach().numpy(), model.decoder.head.bias.detach().numpy()
    return h @ W.T + b, h, c


def test_encode_matches_the_numpy_engine():
    model = make_model(1)
    enc = model.encoder(SRC, LENGTHS)
    outs, h, c = engine_encode(model, SRC, LENGTHS)
    np.testing.assert_allclose(enc.outputs.detach().numpy(), outs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(enc.state[0][0].detach().numpy(), h, rtol=0, atol=1e-12)
    np.testing.assert_allclose(enc.state[1][0].detach().numpy(), c, rtol=0, atol=1e-12)
    assert np.all(enc.outputs[1, 2:].detach().numpy() == 0)


def test_decoder_step_and_teacher_forcing_match_the_numpy_engine():
    model = make_model(2)
    enc = model.encoder(SRC, LENGTHS)
    _, h, c = engine_encode(model, SRC, LENGTHS)
    tgt_in = torch.tensor([[BOS_ID, 3, 4, 5], [BOS_ID, 5, 0, 0], [BOS_ID, 4, 4, 0]])
    logits_tf = model(SRC, LENGTHS, tgt_in)  # teacher forcing, one nn.LSTM call
    state = model.decoder.init_state(enc)
    for t in range(tgt_in.shape[1]):
        want, h, c = engine_step(model, tgt_in[:, t].numpy(), h, c)
        logits, state = model.decoder.step(tgt_in[:, t], state, enc)
        np.testing.assert_allclose(logits.detach().numpy(), want, rtol=0, atol=1e-12)
        np.testing.assert_allclose(logits_tf[:, t].detach().numpy(), want, rtol=0, atol=1e-12)
        np.testing.assert_allclose(state[1][0].detach().numpy(), c, rtol=0, atol=1e-12)


def test_greedy_decode_matches_a_numpy_greedy_loop():
    model = make_model(4)
    with torch.no_grad():  # larger weights, so the untrained rows differ; one of them ends at once
        for p in model.parameters():
            p.mul_(3)
        model.decoder.head.bias[EOS_ID] += 1
    got = model.greedy_decode(SRC, LENGTHS, max_len=6).numpy()
    _, h, c = engine_encode(model, SRC, LENGTHS)
    y, done = np.full(3, BOS_ID), np.zeros(3, bool)
    want = np.full((3, 6), PAD_ID)
    for t in range(6):
        logits, h, c = engine_step(model, y, h, c)
        y = logits.argmax(-1)
        want[~done, t] = y[~done]
        done |= y == EOS_ID
    np.testing.assert_array_equal(got, want)
    assert len({tuple(r) for r in got}) == 3 and (got == EOS_ID).any()  # the source reached the decoder


class Recorded:
    """A step function replaying recorded logits, one ``(B, V)`` array per step, and noting its inputs."""

    def __init__(self, predictions, V=6):
        self.logits = [torch.nn.functional.one_hot(torch.tensor(p), V).double() for p in predictions]
        self.inputs, self.states = [], []

    def __call__(self, y_prev, state):
        self.inputs.append(y_prev.tolist())
        self.states.append(state)
        return self.logits[len(self.inputs) - 1], state + 1


def test_greedy_loop_feeds_back_predictions_and_pads_after_eos():
    # step:        0          1          2          3
    predictions = [[3, 2, 4], [4, 5, 4], [2, 5, 3], [5, 5, 3]]
    step = Recorded(predictions)
    out = greedy_loop(step, 0, 3, 4)
    np.testing.assert_array_equal(out, [[3, 4, 2, 0], [2, 0, 0, 0], [4, 4, 3, 3]])
    assert step.inputs == [[BOS_ID] * 3, *predictions[:3]]  # each step reads the previous prediction
    assert step.states == [0, 1, 2, 3]  # the state is threaded through


def test_greedy_loop_stops_once_every_row_has_ended():
    step = Recorded([[3, 2], [2, 5], [4, 4]])
    out = greedy_loop(step, 0, 2, 5)
    assert len(step.inputs) == 2
    np.testing.assert_array_equal(out, [[3, 2, 0, 0, 0], [2, 0, 0, 0, 0]])


def test_greedy_decode_uses_the_decoder_step_from_the_encoder_state(monkeypatch):
    model = make_model(4)
    enc = model.encoder(SRC, LENGTHS)
    seen = []

    def fake_step(y_prev, state, enc_arg):
        seen.append((y_prev.tolist(), state, enc_arg))
        return torch.nn.functional.one_hot(torch.full((3,), EOS_ID), V_TGT).double(), state

    monkeypatch.setattr(model.decoder, "step", fake_step)
    out = model.greedy_decode(SRC, LENGTHS, max_len=3)
    np.testing.assert_array_equal(out, [[EOS_ID, 0, 0]] * 3)
    assert len(seen) == 1 and seen[0][0] == [BOS_ID] * 3
    torch.testing.assert_close(seen[0][1][0], enc.state[0].detach(), rtol=0, atol=0)
    assert isinstance(seen[0][2], EncoderOutput)


def loss_and_grads(model, src, lengths, tgt_in, tgt_out):
    model.zero_grad()
    enc = model.encoder(src, lengths)
    loss = seq2seq_loss(model(src, lengths, tgt_in), tgt_out)
    loss.backward()
    return enc, loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}


def test_padding_changes_no_output_and_no_gradient():
    model = make_model(5)
    tgt_in = torch.tensor([[BOS_ID, 3, 4, 5], [BOS_ID, 5, 0, 0], [BOS_ID, 4, 0, 0]])
    tgt_out = torch.tensor([[3, 4, 5, EOS_ID], [5, EOS_ID, 0, 0], [4, EOS_ID, 0, 0]])
    enc, loss, grads = loss_and_grads(model, SRC, LENGTHS, tgt_in, tgt_out)
    rng = np.random.default_rng(0)
    src2, tgt_in2 = SRC.clone(), tgt_in.clone()
    src_pad = torch.arange(5)[None] >= LENGTHS[:, None]
    src2[src_pad] = torch.from_numpy(rng.integers(1, V_SRC, size=int(src_pad.sum())))
    tgt_pad = tgt_out == PAD_ID
    tgt_in2[tgt_pad] = torch.from_numpy(rng.integers(1, V_TGT, size=int(tgt_pad.sum())))
    enc2, loss2, grads2 = loss_and_grads(model, src2, LENGTHS, tgt_in2, tgt_out)
    assert not torch.equal(src2, SRC) and not torch.equal(tgt_in2, tgt_in)
    assert torch.equal(enc.outputs, enc2.outputs) and torch.equal(enc.state[0], enc2.state[0])
    assert torch.equal(enc.state[1], enc2.state[1]) and torch.equal(loss, loss2)
    for name in grads:
        assert torch.equal(grads[name], grads2[name]), name
    assert grads["encoder.embed.weight"].abs().sum() > 0


def test_loss_ignores_padding_and_equals_the_mean_over_real_tokens():
    logits = torch.randn(2, 3, V_TGT, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    tgt = torch.tensor([[3, 4, EOS_ID], [5, EOS_ID, PAD_ID]])
    logp = torch.log_softmax(logits, -1)
    want = -(logp[0, 0, 3] + logp[0, 1, 4] + logp[0, 2, EOS_ID] + logp[1, 0, 5] + logp[1, 1, EOS_ID]) / 5
    torch.testing.assert_close(seq2seq_loss(logits, tgt), want, rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="do not fit tgt_out"):
        seq2seq_loss(logits, tgt[:, :2])


@pytest.mark.parametrize(
    "src, lengths, error, match",
    [
        (SRC, torch.tensor([5, 0, 1]), ValueError, r"src_lengths\[1\] is 0: source 1 is empty"),
        (SRC, torch.tensor([6, 2, 1]), ValueError, "longer than the padded source length S = 5"),
        (SRC, torch.tensor([5, 2]), ValueError, r"shape \(3,\)"),
        (SRC.clone().fill_(V_SRC), LENGTHS, ValueError, "id 7, outside the vocabulary 0..6"),
        (SRC.double(), LENGTHS, ValueError, "integer tensor"),
        (SRC.numpy(), LENGTHS, TypeError, "torch.Tensor"),
    ],
)
def test_encoder_errors(src, lengths, error, match):
    with pytest.raises(error, match=match):
        make_model().encoder(src, lengths)


def test_other_errors():
    with pytest.raises(ValueError, match="hidden sizes must match"):
        Seq2Seq(Encoder(V_SRC, E, 4), Decoder(V_TGT, E, 5))
    model = make_model()
    with pytest.raises(ValueError, match="outside the vocabulary 0..5"):
        model(SRC, LENGTHS, torch.full((3, 2), V_TGT))
    with pytest.raises(ValueError, match="one target per source"):
        model(SRC, LENGTHS, torch.full((2, 2), BOS_ID))
    with pytest.raises(ValueError, match="max_len must be >= 1"):
        model.greedy_decode(SRC, LENGTHS, 0)
    with pytest.raises(ValueError, match="hidden_size must be >= 1"):
        Encoder(V_SRC, E, 0)
