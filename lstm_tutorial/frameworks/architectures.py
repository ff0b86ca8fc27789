"""Practical recurrent architectures in PyTorch: stacks, both directions, streaming, padding.

Sizes: ``B`` batch, ``T`` time steps, ``D`` input features, ``E`` embedding size, ``H`` hidden
units per direction, ``L`` stacked layers, ``V`` vocabulary, ``C`` classes. Batch-first.

- :func:`lstm_parameter_count`, :func:`tagger_parameter_count`, :func:`width_for_budget`: the
  closed-form size of ``nn.LSTM`` and of :class:`Tagger`, and the width ``H`` that makes an
  ``L``-layer (uni- or bidirectional) tagger fit a parameter budget.
- :class:`Tagger`: embedding, an ``L``-layer LSTM (optionally bidirectional), a linear head at
  every position.
- :func:`stream_lstm`: run an ``nn.LSTM`` over a long sequence chunk by chunk, carrying
  ``(h, c)`` between chunks (stateful streaming inference).
- :func:`stateful_keras_lstm` and :func:`keras_stream`: the same in Keras, with ``stateful=True``.
- :func:`keras_float64`: build Keras models in float64 for exact comparisons, then restore.
- :func:`classifier_to_keras`: port a :class:`~lstm_tutorial.frameworks.torch_models.SequenceClassifier`
  (packing) into a Keras :func:`~lstm_tutorial.frameworks.keras_models.sequence_classifier`
  (masking) through :mod:`lstm_tutorial.frameworks.convert`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from lstm_tutorial._checks import check_int

__all__ = [
    "lstm_parameter_count",
    "tagger_parameter_count",
    "width_for_budget",
    "Tagger",
    "stream_lstm",
    "classifier_to_keras",
    "stateful_keras_lstm",
    "keras_stream",
    "keras_float64",
]


def lstm_parameter_count(D: int, H: int, num_layers: int = 1, bidirectional: bool = False) -> int:
    """Parameters of ``nn.LSTM(D, H, num_layers, bidirectional=...)``.

    Each layer and direction holds ``weight_ih (4H, D_l)``, ``weight_hh (4H, H)`` and two bias
    vectors ``(4H,)``: ``4H (D_l + H + 2)``. Layer 0 reads ``D_l = D``; every later layer reads
    the layer below, ``D_l = H`` one way or ``2H`` when both directions are concatenated.
    """
    D, H, L = check_int("D", D), check_int("H", H), check_int("num_layers", num_layers)
    k = 2 if bidirectional else 1
    return sum(k * 4 * H * ((D if layer == 0 else k * H) + H + 2) for layer in range(L))


def tagger_parameter_count(V: int, E: int, H: int, C: int, num_layers: int = 1, bidirectional: bool = False) -> int:
    """Parameters of :class:`Tagger`: embedding ``V E``, the LSTM, head ``(kH) C + C`` (``k`` directions)."""
    k = 2 if bidirectional else 1
    return V * E + lstm_parameter_count(E, H, num_layers, bidirectional) + k * H * C + C


def width_for_budget(budget: int, V: int, E: int, C: int, num_layers: int = 1, bidirectional: bool = False) -> int:
    """The ``H`` whose :func:`tagger_parameter_count` is nearest to ``budget`` (the smaller on a tie)."""
    budget = check_int("budget", budget)
    best, best_gap, H = 1, None, 1
    while True:
        n = tagger_parameter_count(V, E, H, C, num_layers, bidirectional)
        gap = abs(n - budget)
        if best_gap is None or gap < best_gap:
            best, best_gap = H, gap
        if n > budget:
            return best
        H += 1


class Tagger(nn.Module):
    """A tag for every position: ``ids (B, T)`` -> logits ``(B, T, C)``.

    Embedding ``(V, E)``, then ``nn.LSTM(E, H, num_layers, bidirectional)``, then one linear
    head on each position's output. With ``bidirectional``, position ``t`` reads the forward
    state (steps ``1..t``) concatenated with the backward state (steps ``T..t``), and every
    layer above the first reads both halves of the layer below.
    """

    def __init__(self, V: int, E: int, H: int, C: int, num_layers: int = 1, bidirectional: bool = False):
        super().__init__()
        self.embed = nn.Embedding(check_int("V", V), check_int("E", E))
        self.rnn = nn.LSTM(
            E,
            check_int("H", H),
            num_layers=check_int("num_layers", num_layers),
            batch_first=True,
            bidirectional=bidirectional,
        )
        self.head = nn.Linear(H * (2 if bidirectional else 1), check_int("C", C))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.ndim != 2:
            raise ValueError(f"ids must be (B, T), got shape {tuple(ids.shape)}")
        outputs, _ = self.rnn(self.embed(ids))  # (B, T, kH)
        return self.head(outputs)  # (B, T, C)


def stream_lstm(lstm: nn.LSTM, x: torch.Tensor, chunk_size: int, state=None):
    """Run ``lstm`` over ``x (B, T, D)`` in chunks of ``chunk_size`` steps, carrying ``(h, c)``.

    Each chunk starts from the state the previous chunk ended in, exactly as a stream processed
    piece by piece (the last chunk may be shorter). Returns ``(outputs (B, T, H), (h, c))``,
    the same as one call ``lstm(x, state)`` up to rounding. Only unidirectional LSTMs stream:
    a backward direction would need the future of the stream.
    """
    if not isinstance(lstm, nn.LSTM) or not lstm.batch_first or lstm.bidirectional:
        raise ValueError("stream_lstm needs a unidirectional nn.LSTM built with batch_first=True")
    chunk_size = check_int("chunk_size", chunk_size)
    if x.ndim != 3 or x.shape[2] != lstm.input_size:
        raise ValueError(f"x must be (B, T, {lstm.input_size}), got shape {tuple(x.shape)}")
    outputs = []
    for start in range(0, x.shape[1], chunk_size):
        out, state = lstm(x[:, start : start + chunk_size], state)  # state: (h, c), each (L, B, H)
        outputs.append(out)
    return torch.cat(outputs, dim=1), state


def classifier_to_keras(torch_model: Any, keras_model: Any) -> Any:
    """Copy a one-layer PyTorch ``SequenceClassifier`` into a Keras ``sequence_classifier``.

    The LSTM goes through :func:`~lstm_tutorial.frameworks.convert.params_from_torch` and
    :func:`~lstm_tutorial.frameworks.convert.params_to_keras` (layer ``"rnn_0"``); the head's
    ``weight (C, H)`` becomes the Dense ``kernel (H, C)``. PyTorch returns logits and Keras
    softmax probabilities: compare ``softmax(torch logits)`` with the Keras output.
    """
    from lstm_tutorial.frameworks.convert import params_from_torch, params_to_keras

    if torch_model.rnn.num_layers != 1 or torch_model.rnn.bidirectional:
        raise ValueError("classifier_to_keras ports one unidirectional layer")
    params_to_keras(params_from_torch(torch_model.rnn), keras_model.get_layer("rnn_0"))
    head = keras_model.get_layer("head")
    weight = torch_model.head.weight.detach().cpu().numpy()  # (C, H)
    bias = torch_model.head.bias.detach().cpu().numpy()  # (C,)
    if tuple(head.kernel.shape) != weight.T.shape:
        raise ValueError(f"Keras head kernel {tuple(head.kernel.shape)} does not fit torch head {weight.shape}")
    head.kernel.assign(weight.T.astype(head.kernel.dtype))
    head.bias.assign(bias.astype(head.bias.dtype))
    return keras_model


def stateful_keras_lstm(params: dict, batch_size: int, dtype: str = "float64") -> Any:
    """A Keras model around one ``LSTM(stateful=True, return_sequences=True)`` layer named ``"rnn_0"``.

    ``params`` are engine-layout LSTM weights (``W (D, 4H)``, ``U (H, 4H)``, ``b (4H,)``), written
    with :func:`~lstm_tutorial.frameworks.convert.params_to_keras`. A stateful layer keeps its
    ``(h, c)`` after each call and starts the next call from it, so the batch size is fixed
    (``batch_size``) and row ``k`` of every call must continue row ``k`` of the previous one.
    """
    import keras

    from lstm_tutorial.frameworks.convert import params_to_keras

    D, H = params["W"].shape[0], params["U"].shape[0]
    inputs = keras.Input(batch_shape=(check_int("batch_size", batch_size), None, D), dtype=dtype)
    layer = keras.layers.LSTM(H, return_sequences=True, stateful=True, dtype=dtype, name="rnn_0")
    model = keras.Model(inputs, layer(inputs))
    params_to_keras(params, layer)
    return model


def keras_stream(model: Any, x, chunk_size: int, *, carry: bool = True):
    """Feed ``x (B, T, D)`` to a :func:`stateful_keras_lstm` model in chunks: outputs ``(B, T, H)``.

    The state is reset once before the first chunk; with ``carry=False`` it is also reset before
    every chunk, which is what a stateless layer does (each chunk starts from zeros).
    """
    import numpy as np

    chunk_size = check_int("chunk_size", chunk_size)
    layer = model.get_layer("rnn_0")
    outputs = []
    for start in range(0, x.shape[1], chunk_size):
        if start == 0 or not carry:
            layer.reset_states()
        outputs.append(np.asarray(model(x[:, start : start + chunk_size])))
    return np.concatenate(outputs, axis=1)


@contextlib.contextmanager
def keras_float64() -> Iterator[None]:
    """Build Keras models in float64 inside the block, then restore the previous defaults.

    Keras 3 keeps two global defaults: ``floatx`` and a dtype policy, which it fixes from
    ``floatx`` the first time a layer asks for it. Both are set here and both restored, so a
    float64 comparison leaves later models in float32.
    """
    import keras

    floatx, policy = keras.config.floatx(), keras.config.dtype_policy().name
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)
