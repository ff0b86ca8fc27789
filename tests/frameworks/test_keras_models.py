"""Keras 3 side: exact porting to and from the engine, three-way GRU equality, the model builders."""

import keras
import numpy as np
import pytest
import torch

from lstm_tutorial import seed_everything
from lstm_tutorial.engine.fast import gru_forward, lstm_forward, rnn_forward
from lstm_tutorial.engine.params import init_gru_params, init_lstm_params, init_rnn_params
from lstm_tutorial.frameworks import convert
from lstm_tutorial.frameworks.keras_models import (
    char_language_model,
    quiet_keras,
    sequence_classifier,
    sequence_regressor,
)
from lstm_tutorial.frameworks.training import train_keras

B, T, D, H = 3, 7, 5, 4
KERAS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}
TORCH = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
FORWARD = {"lstm": lstm_forward, "gru": gru_forward, "rnn": rnn_forward}
INIT = {"lstm": init_lstm_params, "gru": init_gru_params, "rnn": init_rnn_params}
KINDS = sorted(KERAS)


@pytest.fixture(autouse=True)
def _seed():
    quiet_keras()
    seed_everything(0)


def random_params(kind, d=D, h=H, seed=0):
    rng = np.random.default_rng(seed)
    return {k: (v + rng.normal(0, 0.3, v.shape)).astype(np.float32) for k, v in INIT[kind](d, h, seed=seed).items()}


def built(kind, **kwargs):
    layer = KERAS[kind](H, **kwargs)
    layer.build((None, None, D))
    return layer


def x_data(seed=1):
    return np.random.default_rng(seed).normal(size=(B, T, D)).astype(np.float32)


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_numpy_keras_numpy_is_exact(kind):
    p = random_params(kind)
    back = convert.params_from_keras(convert.params_to_keras(p, built(kind)))
    assert sorted(back) == sorted(p)
    assert all(back[k].dtype == np.float32 and np.array_equal(back[k], p[k]) for k in p)


def test_keras_gru_blocks_are_reordered_z_r_h():
    p = random_params("gru")
    cell = convert.params_to_keras(p, built("gru")).cell
    r, z, n = np.split(p["W"], 3, axis=1)
    assert np.array_equal(cell.kernel.numpy(), np.concatenate([z, r, n], axis=1))
    assert cell.bias.shape == (2, 3 * H)
    assert np.array_equal(cell.bias.numpy()[0], convert.torch_gru_from_keras_order(p["b"]))
    assert np.array_equal(cell.bias.numpy()[1], convert.torch_gru_from_keras_order(p["b_U"]))


def test_unit_forget_bias_only_initialises_and_ported_bias_is_kept_verbatim():
    layer = built("lstm", unit_forget_bias=True)
    b0 = layer.cell.bias.numpy()
    assert np.array_equal(b0[H : 2 * H], np.ones(H)) and not np.delete(b0, np.s_[H : 2 * H]).any()
    p = random_params("lstm")
    p["b"][H : 2 * H] = -0.25  # a closed forget gate, as PyTorch weights may carry
    convert.params_to_keras(p, layer)
    assert np.array_equal(layer.cell.bias.numpy(), p["b"])
    x = x_data()
    np.testing.assert_allclose(np.asarray(layer(x)), lstm_forward(x, p)[1][0], atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_keras_return_sequences_state_and_initial_state_match_engine(kind):
    p = random_params(kind)
    layer = convert.params_to_keras(p, built(kind, return_sequences=True, return_state=True))
    x = x_data()
    rng = np.random.default_rng(2)
    state = [rng.normal(size=(B, H)).astype(np.float32) for _ in range(2 if kind == "lstm" else 1)]
    out, *finals = (np.asarray(a) for a in layer(x, initial_state=state))
    ref_out, ref_final, _ = FORWARD[kind](x, p, tuple(state) if kind == "lstm" else state[0])
    ref_finals = list(ref_final) if kind == "lstm" else [ref_final]
    assert out.shape == (B, T, H) and len(finals) == len(ref_finals)
    np.testing.assert_allclose(out, ref_out, atol=1e-5)
    for got, want in zip(finals, ref_finals):
        np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_three_way_equality_engine_torch_keras(kind):
    """Port one set of weights everywhere; then Keras -> NumPy -> PyTorch; all outputs agree."""
    p = random_params(kind, seed=3)
    x = x_data(4)
    k_layer = convert.params_to_keras(p, built(kind, return_sequences=True))
    t_module = convert.params_to_torch(convert.params_from_keras(k_layer), TORCH[kind](D, H, batch_first=True))
    ref = FORWARD[kind](x, p)[0]
    with torch.no_grad():
        t_out = t_module(torch.from_numpy(x))[0].numpy()
    np.testing.assert_allclose(np.asarray(k_layer(x)), ref, atol=1e-5)
    np.testing.assert_allclose(t_out, ref, atol=1e-5)
    k_back = convert.params_to_keras(convert.params_from_torch(t_module), built(kind, return_sequences=True))
    np.testing.assert_allclose(np.asarray(k_back(x)), ref, atol=1e-5)


def test_torch_gru_default_weights_ported_to_keras_give_the_same_outputs():
    module = torch.nn.GRU(D, H, batch_first=True)  # both biases random, so b_U,n matters
    layer = convert.params_to_keras(convert.params_from_torch(module), built("gru", return_sequences=True))
    x = x_data(5)
    with torch.no_grad():
        np.testing.assert_allclose(np.asarray(layer(x)), module(torch.from_numpy(x))[0].numpy(), atol=1e-5)


def test_bidirectional_keras_equals_chained_engine():
    layer = keras.layers.Bidirectional(keras.layers.LSTM(H, return_sequences=True))
    layer.build((None, T, D))
    p_f, p_b = random_params("lstm", seed=5), random_params("lstm", seed=6)
    convert.params_to_keras(p_f, layer, direction=0)
    convert.params_to_keras(p_b, layer, direction=1)
    assert np.array_equal(convert.params_from_keras(layer, direction=1)["U"], p_b["U"])
    x = x_data(7)
    fwd = lstm_forward(x, p_f)[0]
    bwd = lstm_forward(np.ascontiguousarray(x[:, ::-1]), p_b)[0][:, ::-1]
    np.testing.assert_allclose(np.asarray(layer(x)), np.concatenate([fwd, bwd], axis=-1), atol=1e-5)


def test_keras_errors_are_clear():
    with pytest.raises(ValueError, match="not built"):
        convert.params_from_keras(keras.layers.LSTM(H))
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(3, 16\) but Keras layer .*kernel.*\(5, 16\)"):
        convert.params_to_keras(init_lstm_params(3, H), built("lstm"))
    with pytest.raises(ValueError, match=r"params\['b_U'\] has shape \(11,\).*bias\[1\].*\(12,\)"):
        convert.params_to_keras({**init_gru_params(D, H), "b_U": np.zeros(11)}, built("gru"))
    with pytest.raises(ValueError, match="reset_after=False"):
        convert.params_from_keras(built("gru", reset_after=False))
    with pytest.raises(ValueError, match="recurrent_activation='hard_sigmoid'"):
        convert.params_from_keras(built("lstm", recurrent_activation="hard_sigmoid"))
    with pytest.raises(TypeError, match="Dense"):
        convert.params_from_keras(keras.layers.Dense(3))


def test_use_bias_false_reads_zero_bias_and_refuses_a_nonzero_one():
    layer = built("lstm", use_bias=False)
    assert not convert.params_from_keras(layer)["b"].any()
    with pytest.raises(ValueError, match="use_bias=False"):
        convert.params_to_keras(init_lstm_params(D, H), layer)


def _regression_data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, T, 1)).astype(np.float32)
    return x, x.mean(axis=1)


def test_trained_keras_regressor_ported_to_numpy_predicts_the_same():
    x, y = _regression_data()
    model = sequence_regressor((T, 1), units=H, num_layers=2, learning_rate=0.01)
    history = train_keras(model, x, y, epochs=2, batch_size=8, progress=False)
    assert list(history) == ["loss"] and len(history["loss"]) == 2
    h = x
    for k in range(2):
        h = lstm_forward(h, convert.params_from_keras(model.get_layer(f"rnn_{k}")))[0]
    head = model.get_layer("head")
    y_np = h[:, -1] @ head.kernel.numpy() + head.bias.numpy()
    np.testing.assert_allclose(y_np, model.predict(x, verbose=0), atol=1e-5)


def test_keras_training_repeats_exactly():
    x, y = _regression_data(16)
    runs = []
    for _ in range(2):
        seed_everything(0)
        model = sequence_regressor((T, 1), units=H, cell="gru")
        runs.append(train_keras(model, x, y, epochs=2, batch_size=8, progress=False))
    assert runs[0] == runs[1]


def test_classifier_masking_ignores_padding():
    model = sequence_classifier(3, input_shape=(None, 2), units=H)
    rng = np.random.default_rng(0)
    seq = rng.normal(size=(1, 4, 2)).astype(np.float32)
    padded = np.concatenate([seq, np.zeros((1, 3, 2), np.float32)], axis=1)
    probs = np.asarray(model(padded))
    assert probs.shape == (1, 3)
    np.testing.assert_allclose(probs, np.asarray(model(seq)), atol=1e-6)
    np.testing.assert_allclose(probs.sum(), 1.0, atol=1e-6)


def test_classifier_on_token_ids_with_mask_zero():
    model = sequence_classifier(2, vocab_size=10, embed_dim=3, units=H, bidirectional=True)
    ids = np.array([[4, 5, 6, 0, 0]])
    np.testing.assert_allclose(np.asarray(model(ids)), np.asarray(model(ids[:, :3])), atol=1e-6)
    with pytest.raises(ValueError, match="exactly one"):
        sequence_classifier(2)


@pytest.mark.parametrize("embed_dim", [None, 3])
def test_char_language_model_shapes_and_one_step(embed_dim):
    V = 6
    model = char_language_model(V, units=H, embed_dim=embed_dim, dropout=0.1, recurrent_dropout=0.1)
    ids = np.random.default_rng(0).integers(0, V, size=(4, T + 1))
    x = np.eye(V, dtype=np.float32)[ids[:, :-1]] if embed_dim is None else ids[:, :-1]
    assert np.asarray(model(x)).shape == (4, T, V)
    loss = train_keras(model, x, ids[:, 1:], epochs=1, batch_size=4, progress=False)["loss"][0]
    assert np.isfinite(loss) and loss > 0


def test_quiet_keras_turns_off_interactive_logging():
    quiet_keras()
    assert not keras.config.is_interactive_logging_enabled()


@pytest.mark.parametrize("cell,embed_dim,num_layers", [("lstm", 3, 1), ("lstm", None, 2), ("gru", 3, 1), ("rnn", 3, 2)])
def test_engine_lm_matches_keras_logits_and_carries_state(cell, embed_dim, num_layers):
    from lstm_tutorial.frameworks.keras_models import EngineLM

    quiet_keras()
    seed_everything(0)
    V = 6
    model = char_language_model(V, units=H, embed_dim=embed_dim, num_layers=num_layers, cell=cell)
    ids = np.array([1, 4, 0, 5, 2, 2, 3])
    x = ids[None] if embed_dim is not None else np.eye(V, dtype=np.float32)[ids][None]
    keras_logits = np.asarray(model(x, training=False))[0]  # (T, V)
    engine = EngineLM(model)
    assert engine.cell == cell and len(engine.layers) == num_layers
    logits, state = engine.read(ids)
    assert logits.shape == (V,) and logits.dtype == np.float64
    np.testing.assert_allclose(logits, keras_logits[-1], atol=1e-5)
    # reading in pieces, carrying the state, gives every step's logits
    state = None
    for t in range(len(ids)):
        logits, state = engine.read(ids[t : t + 1], state)
        np.testing.assert_allclose(logits, keras_logits[t], atol=1e-5)
    with pytest.raises(ValueError, match="ids must be"):
        engine.read([V])
    with pytest.raises(ValueError, match="needs a char_language_model"):
        EngineLM(sequence_regressor((None, 2), units=H))
