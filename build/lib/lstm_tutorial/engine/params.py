"""Parameter dicts of the NumPy cells: their shapes, their initialisation, and saving them.

Every cell's parameters are a plain ``dict`` of arrays in the book's notation (``W`` input weights,
``U`` recurrent weights, ``b`` bias; the GRU adds ``b_U``), with the gate blocks side by side:
LSTM ``i, f, g, o``, GRU ``r, z, n``. Sizes: ``D`` inputs per step, ``H`` hidden units.

- :data:`RNN_PARAM_SHAPES`, :data:`LSTM_PARAM_SHAPES`, :data:`GRU_PARAM_SHAPES`: the shapes, in
  letters that :func:`lstm_tutorial._checks.check_params` infers and holds everywhere.
- :func:`init_rnn_params`, :func:`init_lstm_params`, :func:`init_gru_params`: PyTorch's uniform
  range ``U(-1/sqrt(H), 1/sqrt(H))``; the LSTM's forget bias is a parameter.
- :func:`save_params` / :func:`load_params`: ``.npz`` with a format marker; nothing is pickled.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping

import numpy as np

from lstm_tutorial._checks import as_generator, check_array, check_finite, check_int

__all__ = [
    "RNN_PARAM_SHAPES", "LSTM_PARAM_SHAPES", "GRU_PARAM_SHAPES",
    "init_rnn_params", "init_lstm_params", "init_gru_params",
    "save_params", "load_params", "PARAMS_FORMAT",
]

# Shapes in terms of D and H; the letters are inferred from W and then must agree everywhere.
RNN_PARAM_SHAPES = {"W": ("D", "H"), "U": ("H", "H"), "b": ("H",)}
LSTM_PARAM_SHAPES = {"W": ("D", "4H"), "U": ("H", "4H"), "b": ("4H",)}
GRU_PARAM_SHAPES = {"W": ("D", "3H"), "U": ("H", "3H"), "b": ("3H",), "b_U": ("3H",)}


def _check_sizes(input_size, hidden_size):
    check_int("input_size", input_size)
    check_int("hidden_size", hidden_size)


def _uniform(rng, shape, k, dtype):
    return rng.uniform(-k, k, size=shape).astype(dtype)


def init_rnn_params(input_size, hidden_size, *, seed=None, dtype=np.float32):
    """Parameters for :func:`rnn_forward`: ``W`` and ``U`` from U(-1/√H, 1/√H), ``b = 0``.

    ``seed`` is an int, ``None`` or a ``numpy.random.Generator``.
    Returns ``{"W": (D, H), "U": (H, H), "b": (H,)}`` with ``D = input_size``, ``H = hidden_size``.
    """
    _check_sizes(input_size, hidden_size)
    rng, D, H = as_generator(seed), input_size, hidden_size
    k = 1.0 / np.sqrt(H)
    return {"W": _uniform(rng, (D, H), k, dtype), "U": _uniform(rng, (H, H), k, dtype), "b": np.zeros(H, dtype)}


def init_lstm_params(input_size, hidden_size, *, forget_bias=1.0, seed=None, dtype=np.float32):
    """Parameters for :func:`lstm_forward`.

    ``W`` and ``U`` are drawn from U(-1/√H, 1/√H) (PyTorch's range); ``b`` is zero except the
    forget block, set to ``forget_bias``. With ``forget_bias = 0``, ``f_t ≈ 0.5`` at the start and
    the cell state halves every step, so gradients vanish almost as fast as in a plain RNN;
    the default 1.0 (``f_t ≈ 0.73``) keeps the gate open, as Keras does (``unit_forget_bias``).

    Returns ``{"W": (D, 4H), "U": (H, 4H), "b": (4H,)}``, gate blocks i, f, g, o.
    """
    _check_sizes(input_size, hidden_size)
    rng, D, H = as_generator(seed), input_size, hidden_size
    k = 1.0 / np.sqrt(H)
    b = np.zeros(4 * H, dtype)
    b[H : 2 * H] = forget_bias
    return {"W": _uniform(rng, (D, 4 * H), k, dtype), "U": _uniform(rng, (H, 4 * H), k, dtype), "b": b}


def init_gru_params(input_size, hidden_size, *, seed=None, dtype=np.float32):
    """Parameters for :func:`gru_forward`: weights from U(-1/√H, 1/√H), both biases zero.

    Returns ``{"W": (D, 3H), "U": (H, 3H), "b": (3H,), "b_U": (3H,)}``, gate blocks r, z, n.
    """
    _check_sizes(input_size, hidden_size)
    rng, D, H = as_generator(seed), input_size, hidden_size
    k = 1.0 / np.sqrt(H)
    return {
        "W": _uniform(rng, (D, 3 * H), k, dtype),
        "U": _uniform(rng, (H, 3 * H), k, dtype),
        "b": np.zeros(3 * H, dtype),
        "b_U": np.zeros(3 * H, dtype),
    }


PARAMS_FORMAT = "lstm_tutorial.params/1"
_FORMAT_KEY = "__format__"


def save_params(path, params: Mapping[str, np.ndarray]) -> None:
    """Write a parameter dict to ``path`` (an ``.npz`` file), with a format marker; no pickle."""
    if not isinstance(params, Mapping) or not params:
        raise TypeError(f"params must be a non-empty dict of arrays, got {type(params).__name__}")
    arrays = {}
    for k, v in params.items():
        if not isinstance(k, str) or not k or k == _FORMAT_KEY:
            raise ValueError(f"parameter names must be non-empty strings other than {_FORMAT_KEY!r}, got {k!r}")
        arrays[k] = check_array(f"params[{k!r}]", v)
    np.savez(path, **{_FORMAT_KEY: np.array(PARAMS_FORMAT)}, **arrays)


def load_params(path) -> dict[str, np.ndarray]:
    """Read a dict written by :func:`save_params`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not an ``.npz`` written by :func:`save_params`, or an entry is
            not a finite numeric array.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no parameter file at {path!r}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive")
        with data:
            entries = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path!r} is not a parameter file written by save_params ({exc})") from None
    marker = entries.pop(_FORMAT_KEY, None)
    if marker is None or marker.shape != () or str(marker) != PARAMS_FORMAT:
        raise ValueError(f"{path!r} is an .npz archive but not a parameter file written by save_params "
                         f"(no {_FORMAT_KEY!r} entry equal to {PARAMS_FORMAT!r})")
    for k, v in entries.items():
        if v.dtype.kind not in "iuf":
            raise ValueError(f"{path!r}: entry {k!r} has dtype {v.dtype}, not a numeric array")
        check_finite(f"{path!r}: entry {k!r}", v)
    return entries
