"""The small Keras 3 models the chapters train, built the idiomatic Keras way.

Sizes: ``B`` batch, ``T`` time steps, ``D`` input features, ``H`` units, ``V`` vocabulary
size, ``C`` classes. Sequences are batch-first, ``(B, T, ...)``; ``None`` in a shape
means any length.

Each builder returns a compiled ``keras.Model`` whose recurrent layers are named
``"rnn_0"``, ``"rnn_1"``, ... so a chapter can port them with
``convert.params_from_keras(model.get_layer("rnn_0"))``.

Importing this module imports TensorFlow (about ten seconds on the book's machine). For
runs that repeat exactly, import it, then call :func:`lstm_tutorial.seed_everything`
(which seeds Keras and switches TensorFlow to deterministic ops), then build the model.
Under tests and in stored notebooks, call :func:`quiet_keras` and train with
:func:`train_keras` ``(progress=False)``, or ``fit(verbose=0)``: Keras' progress bar
prints timings, which never repeat.

:class:`EngineLM` runs a trained :func:`char_language_model` with the NumPy engine of
:mod:`lstm_tutorial.engine.fast`, one step at a time with the state carried between calls.
"""

from __future__ import annotations

import logging
import os
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np

__all__ = ["quiet_keras", "sequence_regressor", "sequence_classifier", "char_language_model", "EngineLM"]

_LAYERS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}


def quiet_keras() -> None:
    """Silence Keras and TensorFlow for tests and stored notebooks.

    Turns off Keras' interactive logging (progress bars and the ``summary()`` print go
    through Python logging instead) and lowers TensorFlow's Python logger to errors. The
    C++ lines TensorFlow writes to stderr at import time cannot be silenced from Python;
    the book's ``conftest.py`` ignores stderr for that reason.
    """
    keras.config.disable_interactive_logging()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def _stack(x: Any, cell: str, units: int, num_layers: int, *, return_sequences: bool,
           dropout: float, recurrent_dropout: float, bidirectional: bool = False) -> Any:
    """Apply ``num_layers`` recurrent layers named ``rnn_0..``; all but the last return sequences."""
    if cell not in _LAYERS:
        raise ValueError(f"cell must be one of {sorted(_LAYERS)}, got {cell!r}")
    if num_layers < 1:
        raise ValueError(f"num_layers must be at least 1, got {num_layers}")
    for k in range(num_layers):
        seq = return_sequences or k < num_layers - 1
        layer = _LAYERS[cell](units, return_sequences=seq, dropout=dropout,
                              recurrent_dropout=recurrent_dropout, name=f"rnn_{k}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bi_rnn_{k}")
        x = layer(x)
    return x


def sequence_regressor(input_shape: tuple[int | None, int], units: int = 50, *, num_layers: int = 1,
                       output_size: int = 1, cell: str = "lstm", dropout: float = 0.0,
                       recurrent_dropout: float = 0.0, learning_rate: float = 1e-3,
                       loss: str = "mse") -> keras.Model:
    """Many-to-one regressor: recurrent layer(s), then ``Dense(output_size)`` on the last state.

    Args:
        input_shape: ``(T, D)``, e.g. ``(50, 1)`` for a window of 50 past values of one
            series (the classic forecaster); ``T`` may be ``None``.
        units: ``H``.
        num_layers: stacked recurrent layers (the lower ones return sequences).
        output_size: width of the prediction.
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"`` (``SimpleRNN``).
        dropout, recurrent_dropout: Keras' dropout on the inputs and on the recurrent state
            of every recurrent layer (active only in training).
        learning_rate: of the Adam optimiser the model is compiled with.
        loss: Keras loss name.

    Returns:
        A compiled model mapping ``(B, T, D)`` to ``(B, output_size)``.
    """
    inputs = keras.Input(shape=tuple(input_shape), name="x")
    h = _stack(inputs, cell, units, num_layers, return_sequences=False,
               dropout=dropout, recurrent_dropout=recurrent_dropout)
    outputs = keras.layers.Dense(output_size, name="head")(h)
    model = keras.Model(inputs, outputs, name=f"{cell}_regressor")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    return model


def sequence_classifier(num_classes: int, *, input_shape: tuple[int | None, int] | None = None,
                        vocab_size: int | None = None, embed_dim: int = 32, units: int = 64,
                        mask_value: float | None = 0.0, num_layers: int = 1, cell: str = "lstm",
                        bidirectional: bool = False, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                        learning_rate: float = 1e-3) -> keras.Model:
    """Sequence classifier over padded batches; padding is masked so it never reaches the state.

    Give exactly one of:

    - ``input_shape = (T, D)``: real-valued steps; with ``mask_value`` set, a ``Masking``
      layer skips every step whose features all equal it (``None`` disables masking);
    - ``vocab_size = V``: token ids ``(B, T)``, embedded to ``embed_dim`` with
      ``mask_zero=True`` (id 0 is padding).

    The last recurrent layer returns its state after each sequence's last unmasked step;
    ``Dense(num_classes)`` with softmax gives class probabilities ``(B, C)``. The model is
    compiled with Adam, ``sparse_categorical_crossentropy`` (integer labels ``(B,)``) and
    accuracy.

    Args:
        num_classes: ``C``.
        input_shape, vocab_size, mask_value: the input, as above.
        embed_dim: embedding size for token ids (the recurrent layer's ``D``).
        units: ``H`` (per direction).
        num_layers, cell, dropout, recurrent_dropout, learning_rate: as in
            :func:`sequence_regressor`.
        bidirectional: wrap each recurrent layer in ``Bidirectional`` (named
            ``bi_rnn_k``; its halves port with ``params_from_keras(layer, direction)``),
            so the classifier reads ``2H`` features.

    Returns:
        A compiled model mapping ``(B, T, D)`` (or ids ``(B, T)``) to ``(B, C)``.
    """
    if (input_shape is None) == (vocab_size is None):
        raise ValueError("give exactly one of input_shape= (real-valued steps) and vocab_size= (token ids)")
    if vocab_size is not None:
        inputs = keras.Input(shape=(None,), dtype="int32", name="ids")
        x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embed")(inputs)
    else:
        inputs = keras.Input(shape=tuple(input_shape), name="x")
        x = inputs if mask_value is None else keras.layers.Masking(mask_value, name="mask")(inputs)
    h = _stack(x, cell, units, num_layers, return_sequences=False, dropout=dropout,
               recurrent_dropout=recurrent_dropout, bidirectional=bidirectional)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(h)
    model = keras.Model(inputs, outputs, name=f"{cell}_classifier")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def char_language_model(vocab_size: int, units: int = 64, *, embed_dim: int | None = None,
                        num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0,
                        recurrent_dropout: float = 0.0, learning_rate: float = 1e-2) -> keras.Model:
    """Many-to-many character model: next-character logits at every step.

    Args:
        vocab_size: ``V``.
        units: ``H``.
        embed_dim: ``None`` takes one-hot input ``keras.Input(shape=(None, V))``; an
            integer takes ids ``(B, T)`` through an ``Embedding(V, embed_dim)``.
        num_layers, cell, dropout, recurrent_dropout: as in :func:`sequence_regressor`.
        learning_rate: of the Adam optimiser.

    Returns:
        A model mapping ``(B, T, V)`` one-hot (or ``(B, T)`` ids) to logits ``(B, T, V)``,
        compiled with ``SparseCategoricalCrossentropy(from_logits=True)``: targets are the
        next ids, ``(B, T)`` integers. Sample with ``softmax(logits[:, -1] / temperature)``.
    """
    if embed_dim is None:
        inputs = keras.Input(shape=(None, vocab_size), name="one_hot")
        x = inputs
    else:
        inputs = keras.Input(shape=(None,), dtype="int32", name="ids")
        x = keras.layers.Embedding(vocab_size, embed_dim, name="embed")(inputs)
    h = _stack(x, cell, units, num_layers, return_sequences=True,
               dropout=dropout, recurrent_dropout=recurrent_dropout)
    logits = keras.layers.Dense(vocab_size, name="head")(h)
    model = keras.Model(inputs, logits, name=f"char_{cell}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


class EngineLM:
    """A :func:`char_language_model` run by the NumPy engine, carrying the state between calls.

    The weights are copied once, at construction (:func:`lstm_tutorial.frameworks.convert.params_from_keras`
    for the recurrent layers ``rnn_0 .. rnn_{L-1}``), so later training of the Keras model
    does not change the engine. Works for every ``cell`` and ``num_layers`` of
    :func:`char_language_model`, with ids (``embed_dim`` given) or one-hot input. Dropout
    is a training-time operation and is not applied: the engine computes the model in
    inference mode, as ``model(x, training=False)`` does.

    Attributes:
        E: ``(V, E)`` embedding matrix, or ``None`` for a one-hot model.
        layers: ``L`` engine parameter dicts (``W``, ``U``, ``b`` in the engine layout).
        W_y, b_y: ``(H, V)`` and ``(V,)``, the output head.
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"``.
    """

    def __init__(self, model: keras.Model):
        from lstm_tutorial.frameworks.convert import params_from_keras

        names = [layer.name for layer in model.layers]
        if "head" not in names or "rnn_0" not in names or len(model.outputs[0].shape) != 3:
            raise ValueError(f"EngineLM needs a char_language_model (layers 'rnn_0'.., 'head', logits "
                             f"(B, T, V)), got a model with layers {names}")
        self.E = model.get_layer("embed").get_weights()[0] if "embed" in names else None   # (V, E)
        n_layers = sum(n.startswith("rnn_") for n in names)
        cells = {type(model.get_layer(f"rnn_{k}")).__name__ for k in range(n_layers)}
        kinds = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
        if len(cells) != 1 or next(iter(cells)) not in kinds:
            raise ValueError(f"EngineLM supports one kind of LSTM, GRU or SimpleRNN layer, got {sorted(cells)}")
        self.cell = kinds[cells.pop()]
        self.layers = [params_from_keras(model.get_layer(f"rnn_{k}")) for k in range(n_layers)]
        self.W_y, self.b_y = model.get_layer("head").get_weights()                        # (H, V), (V,)
        self.V = self.W_y.shape[1]

    def read(self, ids, state=None):
        """Read ``ids`` ``(T,)`` (``T >= 1``) starting from ``state``.

        Args:
            ids: integer ids in ``0..V-1``, one sequence.
            state: the state returned by the previous call, or ``None`` for zeros.

        Returns:
            ``(logits, state)``: float64 logits ``(V,)`` after the last id, and the new state
            (for a one-layer model the engine's state, e.g. ``(h, c)`` each ``(1, H)`` for
            the LSTM; for ``L`` layers a tuple of ``L`` such states). Reading a sequence in
            pieces, passing the state on, gives the logits of reading it in one call.
        """
        from lstm_tutorial.engine import fast

        ids = np.asarray(ids)
        if ids.ndim != 1 or len(ids) == 0 or not np.issubdtype(ids.dtype, np.integer) \
                or ids.min() < 0 or ids.max() >= self.V:
            raise ValueError(f"ids must be a non-empty 1-D array of integers in 0..{self.V - 1}")
        forward = {"lstm": fast.lstm_forward, "gru": fast.gru_forward, "rnn": fast.rnn_forward}[self.cell]
        x = self.E[ids][None] if self.E is not None else np.eye(self.V, dtype=np.float32)[ids][None]   # (1, T, E)
        single = len(self.layers) == 1
        states = [state] if single else list(state if state is not None else [None] * len(self.layers))
        for k, params in enumerate(self.layers):
            x, states[k], _ = forward(x, params, states[k])                                # (1, T, H)
        logits = (x[0, -1] @ self.W_y + self.b_y).astype(np.float64)
        return logits, states[0] if single else tuple(states)
