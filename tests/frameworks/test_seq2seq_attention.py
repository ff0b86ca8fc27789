"""Attention on the encoder-decoder LSTM: the PyTorch modules against the NumPy engine, padding,
a hand computation with constant weights, step against teacher forcing, and training.

Everything runs in float64, so the tolerances are float64 rounding.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.data import seq2seq as tasks
from lstm_tutorial.engine.rnn_attention import attend
from lstm_tutorial.frameworks.seq2seq import (
    BOS_ID,
    EOS_ID,
    AdditiveAttention,
    AttentionDecoder,
    Decoder,
    Encoder,
    EncoderOutput,
    MultiplicativeAttention,
    Seq2Seq,
    attention_params_from_torch,
    seq2seq_loss,
    source_mask,
    teacher_forced_attention,
)
from lstm_tutorial.frameworks.training import train_torch
from lstm_tutorial.repro import limit_threads

pytestmark = pytest.mark.disable_socket

V_SRC, V_TGT, E, H = 7, 6, 3, 4
SRC = torch.tensor([[3, 4, 5, 6, 3], [5, 3, 0, 0, 0], [6, 0, 0, 0, 0]])
LENGTHS = torch.tensor([5, 2, 1])
TGT_IN = torch.tensor([[BOS_ID, 3, 4, 5], [BOS_ID, 5, 0, 0], [BOS_ID, 4, 4, 0]])
SCORES = ["additive", "multiplicative"]


def make_model(score, seed=0, attn_size=None):
    torch.manual_seed(seed)
    dec = AttentionDecoder(V_TGT, E, H, score=score, attn_size=attn_size)
    return Seq2Seq(Encoder(V_SRC, E, H), dec).double()


def make_attention(score, seed=0, Hq=3, Hk=5, A=6):
    torch.manual_seed(seed)
    module = AdditiveAttention(Hq, Hk, A) if score == "additive" else MultiplicativeAttention(Hq, Hk)
    return module.double()


@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("with_time", [False, True])
def test_numpy_engine_equals_the_torch_module_with_copied_weights(score, with_time):
    module = make_attention(score)
    rng = np.random.default_rng(1)
    query = rng.normal(size=(4, 2, 3) if with_time else (4, 3))
    keys = rng.normal(size=(4, 6, 5))
    lengths = np.array([6, 1, 3, 4])
    mask = torch.arange(6)[None] < torch.from_numpy(lengths)[:, None]
    ctx_t, w_t = module(torch.from_numpy(query), torch.from_numpy(keys), mask)
    ctx_n, w_n = attend(query, keys, mask.numpy(), attention_params_from_torch(module), score=score)
    np.testing.assert_allclose(w_t.detach().numpy(), w_n, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ctx_t.detach().numpy(), ctx_n, rtol=0, atol=1e-12)
    pad = ~mask if not with_time else ~mask[:, None].expand(-1, 2, -1)
    assert torch.all(w_t[pad] == 0) and torch.all(w_t[~pad] > 0)


def test_attention_params_from_torch_refuses_other_modules():
    with pytest.raises(TypeError, match="AdditiveAttention or MultiplicativeAttention, got Linear"):
        attention_params_from_torch(torch.nn.Linear(2, 2))


@pytest.mark.parametrize("score", SCORES)
def test_padded_encoder_states_change_no_output(score):
    model = make_model(score, 1)
    enc = model.encoder(SRC, LENGTHS)
    pad = ~source_mask(LENGTHS, 5)
    noisy = enc.outputs.clone()
    noisy[pad] = torch.randn(int(pad.sum()), H, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 50
    enc2 = EncoderOutput(noisy, enc.lengths, enc.state)
    state = model.decoder.init_state(enc)
    logits, (h, c), w = model.decoder.forward_with_weights(TGT_IN, state, enc)
    logits2, (h2, c2), w2 = model.decoder.forward_with_weights(TGT_IN, state, enc2)
    assert not torch.equal(noisy, enc.outputs)
    assert torch.equal(logits, logits2) and torch.equal(w, w2) and torch.equal(h, h2) and torch.equal(c, c2)
    assert torch.all(w[pad[:, None].expand_as(w)] == 0)
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 4, dtype=torch.float64), rtol=0, atol=1e-14)


@pytest.mark.parametrize("score", SCORES)
def test_padded_source_tokens_change_no_output_and_no_gradient(score):
    model = make_model(score, 5)
    tgt_out = torch.tensor([[3, 4, 5, EOS_ID], [5, EOS_ID, 0, 0], [4, EOS_ID, 0, 0]])

    def loss_and_grads(src):
        model.zero_grad()
        loss = seq2seq_loss(model(src, LENGTHS, TGT_IN), tgt_out)
        loss.backward()
        return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}

    loss, grads = loss_and_grads(SRC)
    src2 = SRC.clone()
    src2[~source_mask(LENGTHS, 5)] = 4
    loss2, grads2 = loss_and_grads(src2)
    assert torch.equal(loss, loss2)
    for name in grads:
        assert torch.equal(grads[name], grads2[name]), name
    assert grads["decoder.attention." + ("v.weight" if score == "additive" else "W.weight")].abs().sum() > 0


def scalar_lstm(a_extra, w, *, D, H, h, c):
    """One LSTM step with every weight and bias ``w`` (all units equal): ``a = D w w + a_extra + H w h + 2 w``."""
    a = D * w * w + a_extra + H * w * h + 2 * w
    s, g = 1 / (1 + math.exp(-a)), math.tanh(a)
    c = s * c + s * g
    return s * math.tanh(c), c


def scalar_encoder(L, w):
    """Encoder outputs of a length-``L`` source with constant weights: one float per step."""
    h = c = 0.0
    hs = []
    for _ in range(L):
        h, c = scalar_lstm(0.0, w, D=E, H=H, h=h, c=c)
        hs.append(h)
    return hs, c


def softmax(e):
    m = max(e)
    z = [math.exp(x - m) for x in e]
    return [x / sum(z) for x in z]


@pytest.mark.parametrize("score", SCORES)
def test_one_attention_step_with_constant_weights_matches_a_hand_computation(score):
    w, A = 0.1, 2
    model = make_model(score, attn_size=A)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(w)
    enc = model.encoder(SRC, LENGTHS)
    logits, (h1, c1), weights = model.decoder.step_with_weights(
        torch.full((3,), BOS_ID), model.decoder.init_state(enc), enc
    )
    assert logits.shape == (3, V_TGT) and weights.shape == (3, 5)
    for b, L in enumerate(LENGTHS.tolist()):
        keys, c0 = scalar_encoder(L, w)
        h0 = keys[-1]
        if score == "additive":  # h_{t-1} asks before the step; the context joins the input
            alpha = softmax([A * w * math.tanh(H * w * h0 + H * w * k) for k in keys])
            ctx = sum(a * k for a, k in zip(alpha, keys))
            h, c = scalar_lstm(H * w * ctx, w, D=E, H=H, h=h0, c=c0)
            want_logit = H * w * h + H * w * ctx + w  # head on [h_t; c_t]
        else:  # the step first, then h_t asks; h~ = tanh([c; h] W_c)
            h, c = scalar_lstm(0.0, w, D=E, H=H, h=h0, c=c0)
            alpha = softmax([H * H * w * h * k for k in keys])
            ctx = sum(a * k for a, k in zip(alpha, keys))
            want_logit = H * w * math.tanh(H * w * ctx + H * w * h) + w
        np.testing.assert_allclose(weights[b].detach().numpy(), [*alpha, *[0.0] * (5 - L)], rtol=0, atol=1e-15)
        np.testing.assert_allclose(h1[0, b].detach().numpy(), h, rtol=0, atol=1e-15)
        np.testing.assert_allclose(c1[0, b].detach().numpy(), c, rtol=0, atol=1e-15)
        np.testing.assert_allclose(logits[b].detach().numpy(), want_logit, rtol=0, atol=1e-15)
    assert len(set(weights[0].tolist())) == 5  # the constant-weight keys still differ: a real softmax


@pytest.mark.parametrize("score", SCORES)
def test_teacher_forcing_equals_the_steps_and_greedy_decode_runs(score):
    model = make_model(score, 2)
    enc = model.encoder(SRC, LENGTHS)
    logits_tf, _, w_tf = model.decoder.forward_with_weights(TGT_IN, model.decoder.init_state(enc), enc)
    torch.testing.assert_close(model(SRC, LENGTHS, TGT_IN), logits_tf, rtol=0, atol=0)
    state = model.decoder.init_state(enc)
    for t in range(TGT_IN.shape[1]):
        logits, state, w = model.decoder.step_with_weights(TGT_IN[:, t], state, enc)
        torch.testing.assert_close(logits, logits_tf[:, t], rtol=0, atol=1e-13)
        torch.testing.assert_close(w, w_tf[:, t], rtol=0, atol=1e-13)
    torch.testing.assert_close(teacher_forced_attention(model, SRC, LENGTHS, TGT_IN), w_tf, rtol=0, atol=0)
    out = model.greedy_decode(SRC, LENGTHS, max_len=6)
    assert out.shape == (3, 6)


def test_the_additive_decoder_reads_the_context_and_the_multiplicative_one_does_not():
    add, mul = make_model("additive").decoder, make_model("multiplicative").decoder
    assert add.lstm.input_size == E + H and add.head.in_features == 2 * H
    assert mul.lstm.input_size == E and mul.head.in_features == H and mul.combine.in_features == 2 * H


def test_errors():
    with pytest.raises(ValueError, match="score must be 'additive' or 'multiplicative', got 'dot'"):
        AttentionDecoder(V_TGT, E, H, score="dot")
    module = make_attention("additive")
    keys = torch.zeros(2, 4, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"query must be \(B, Hq\) or \(B, T, Hq\)"):
        module(torch.zeros(3, dtype=torch.float64), keys, torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask must be a boolean tensor"):
        module(torch.zeros(2, 3, dtype=torch.float64), keys, torch.ones(2, 4))
    with pytest.raises(ValueError, match="source 1 has no position to attend to"):
        module(torch.zeros(2, 3, dtype=torch.float64), keys, torch.tensor([[True] * 4, [False] * 4]))
    with pytest.raises(TypeError, match="must be an AttentionDecoder, got Decoder"):
        teacher_forced_attention(Seq2Seq(Encoder(V_SRC, E, H), Decoder(V_TGT, E, H)), SRC, LENGTHS, TGT_IN)
    with pytest.raises(ValueError, match="outside the vocabulary 0..5"):
        make_model("additive")(SRC, LENGTHS, torch.full((3, 2), V_TGT))


@pytest.mark.parametrize("score", SCORES)
def test_seq2seq_with_attention_trains_through_the_existing_loop(score):
    torch.manual_seed(0)
    vocab = tasks.symbol_vocab(4)
    model = Seq2Seq(Encoder(len(vocab), 8, 16), AttentionDecoder(len(vocab), 8, 16, score=score)).double()
    rng = np.random.default_rng(0)

    def batches():
        while True:
            b = tasks.make_batch(tasks.reverse_pairs(rng, 32, [2, 3, 4], n_symbols=4), vocab, vocab)
            yield tuple(torch.from_numpy(a) for a in (b.src, b.src_lengths, b.tgt_in, b.tgt_out))

    with limit_threads(1, blas=False):  # small tensors: one thread, and no fight over the shared cores
        history = train_torch(
            model, batches(), seq2seq_loss, steps=100, lr=1e-2, clip=1.0, progress=False, decimals=None
        )
    first, last = np.mean(history["loss"][:10]), np.mean(history["loss"][-10:])
    assert last < 0.5 * first, (first, last)
