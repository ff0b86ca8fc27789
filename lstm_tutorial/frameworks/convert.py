"""Exact weight porting between the NumPy engine, PyTorch and Keras 3.

The book's promise is that the from-scratch cells of :mod:`lstm_tutorial.engine.fast` and the
framework layers are *the same model*. This module moves weights between them without
changing a single number, so the promise can be checked: port, run both, compare.

Sizes: ``D`` input features, ``H`` hidden units. Every NumPy dictionary uses the engine's
layout, ``z_t = x_t W + h_{t-1} U + b`` with row-vector inputs:

===========  ====================  ==========================  ==============================
cell         NumPy engine          PyTorch (``nn.LSTM``...)    Keras 3 (``layers.LSTM``...)
===========  ====================  ==========================  ==============================
input        ``W`` ``(D, kH)``     ``weight_ih`` ``(kH, D)``   ``kernel`` ``(D, kH)``
recurrent    ``U`` ``(H, kH)``     ``weight_hh`` ``(kH, H)``   ``recurrent_kernel`` ``(H, kH)``
bias         ``b`` ``(kH,)``       ``bias_ih + bias_hh``       ``bias`` ``(kH,)``
===========  ====================  ==========================  ==============================

with ``k = 4`` blocks for the LSTM (gates ``i, f, g, o`` in all three: no reordering) and
``k = 1`` for the plain tanh RNN. PyTorch matrices are the transposes of the NumPy ones.

Biases. PyTorch keeps two bias vectors that the LSTM and the RNN always add together, so
only their sum is a model parameter. Reading such a module sums them; writing puts the
whole ``b`` into ``bias_ih`` and zeros into ``bias_hh``. A round trip NumPy -> PyTorch -> NumPy is
therefore exact, while PyTorch -> NumPy -> PyTorch preserves the sum (the model), not the
split.

Keras and ``unit_forget_bias``. ``keras.layers.LSTM(unit_forget_bias=True)`` (the default)
is an *initialiser*: when the layer is built it sets the forget block ``b[H:2H]`` to
exactly 1.0 (the Keras docstring says "add 1", the code replaces the block with ones).
It is not a constraint and has no effect afterwards. :func:`params_to_keras` assigns the
ported bias verbatim, so the layer then holds exactly the ported ``b``, forget block
included; a reader porting PyTorch weights (whose forget bias starts near 0) into Keras
does not get a "+1" on top. To reproduce the Keras initialisation elsewhere, set
``b[H:2H] = 1`` explicitly (``init_lstm_params(..., forget_bias=1.0)`` does).

GRU. The frameworks disagree on gate order and store the two biases differently; the
reordering is done here and only here. Both PyTorch ``nn.GRU`` and Keras ``layers.GRU(reset_after=True)``
(the Keras default) compute the same cell, with the reset gate applied *after* the
recurrent product::

    r_t = sigmoid(x_t W_r + b_r + h_{t-1} U_r + b_U,r)
    z_t = sigmoid(x_t W_z + b_z + h_{t-1} U_z + b_U,z)
    n_t = tanh(x_t W_n + b_n + r_t * (h_{t-1} U_n + b_U,n))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

The engine (:func:`lstm_tutorial.engine.fast.gru_forward`) uses PyTorch's order and keeps both
biases, ``b`` (input side) and ``b_U`` (recurrent side): for ``r`` and ``z`` only their sum
matters, but ``b_U,n`` sits inside the reset and cannot be folded into ``b_n``.

================  ======================  ===========================  ====================================
                  NumPy engine            PyTorch ``nn.GRU``           Keras ``layers.GRU(reset_after=True)``
================  ======================  ===========================  ====================================
block order       ``r, z, n``             ``r, z, n``                  ``z, r, h`` (``h`` is ``n``)
input matrix      ``W`` ``(D, 3H)``       ``weight_ih`` ``(3H, D)``    ``kernel`` ``(D, 3H)``
recurrent matrix  ``U`` ``(H, 3H)``       ``weight_hh`` ``(3H, H)``    ``recurrent_kernel`` ``(H, 3H)``
input bias        ``b`` ``(3H,)``         ``bias_ih`` ``(3H,)``        ``bias[0]`` (``bias`` is ``(2, 3H)``)
recurrent bias    ``b_U`` ``(3H,)``       ``bias_hh`` ``(3H,)``        ``bias[1]``
================  ======================  ===========================  ====================================

Keras ``reset_after=False`` (reset gate applied before the product, one bias row) is a
different cell that neither PyTorch nor the engine computes; it is refused.

Shape mismatches are refused with a ``ValueError`` naming the tensor and both shapes.
PyTorch and TensorFlow are imported lazily, inside the functions that need them, so the
NumPy side of this module costs nothing to import.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "mha_params_from_torch",
    "encoder_layer_params_from_torch",
    "params_from_torch",
    "grads_from_torch",
    "params_to_torch",
    "torch_gru_from_keras_order",
    "params_from_keras",
    "params_to_keras",
]


def mha_params_from_torch(mha) -> dict[str, np.ndarray]:
    """Copy a ``torch.nn.MultiheadAttention``'s weights into this module's ``x W`` layout.

    Works for modules with one stacked ``in_proj_weight`` (the default, ``kdim = vdim = E``).
    The arrays keep the module's dtype.
    """
    W = getattr(mha, "in_proj_weight", None)
    if W is None:
        raise ValueError("mha must be a torch.nn.MultiheadAttention with a stacked in_proj_weight (kdim = vdim = E)")
    W = W.detach().cpu().numpy()  # (3E, E), applied as x W^T
    E = W.shape[1]
    params = {
        "W_q": W[:E].T.copy(),
        "W_k": W[E : 2 * E].T.copy(),
        "W_v": W[2 * E :].T.copy(),
        "W_o": mha.out_proj.weight.detach().cpu().numpy().T.copy(),
    }
    if mha.in_proj_bias is not None:
        b = mha.in_proj_bias.detach().cpu().numpy()
        params.update(
            {
                "b_q": b[:E].copy(),
                "b_k": b[E : 2 * E].copy(),
                "b_v": b[2 * E :].copy(),
                "b_o": mha.out_proj.bias.detach().cpu().numpy().copy(),
            }
        )
    return params


def encoder_layer_params_from_torch(layer) -> dict[str, np.ndarray]:
    """Copy a ``torch.nn.TransformerEncoderLayer``'s weights into the dict of
    :mod:`lstm_tutorial.engine.transformer_block` (``BLOCK_PARAM_SHAPES``).

    The attention goes through :func:`mha_params_from_torch`; ``linear1`` ``(F, E)`` and
    ``linear2`` ``(E, F)``, applied as ``x W^T``, become ``W_1 = linear1.weight^T`` ``(E, F)`` and
    ``W_2 = linear2.weight^T`` ``(F, E)``; ``norm1`` and ``norm2`` give ``gamma_1, beta_1`` and
    ``gamma_2, beta_2``. Which LayerNorm comes first is not a weight: run the block with
    ``encoder_block(x, params, layer.self_attn.num_heads, norm_first=layer.norm_first,
    eps=layer.norm1.eps)``. The arrays keep the layer's dtype.

    Raises ``ValueError`` for a layer the NumPy block does not compute: an activation other than
    ReLU, or a layer built with ``bias=False``.
    """
    needed = ("self_attn", "linear1", "linear2", "norm1", "norm2")
    if not all(hasattr(layer, name) for name in needed):
        raise TypeError(f"layer must be a torch.nn.TransformerEncoderLayer, got {type(layer).__name__}")
    if getattr(layer, "activation_relu_or_gelu", 0) != 1:
        raise ValueError(
            f"layer must use activation='relu' (the NumPy block's feed-forward layer), got {layer.activation!r}"
        )
    if layer.linear1.bias is None or layer.norm1.bias is None:
        raise ValueError("layer was built with bias=False; the NumPy block has every bias")
    if layer.norm1.eps != layer.norm2.eps:
        raise ValueError(f"layer's two LayerNorms have different eps ({layer.norm1.eps}, {layer.norm2.eps})")

    def get(t):
        return t.detach().cpu().numpy().copy()

    params = mha_params_from_torch(layer.self_attn)
    params.update(
        W_1=get(layer.linear1.weight).T.copy(),  # (E, F)
        b_1=get(layer.linear1.bias),
        W_2=get(layer.linear2.weight).T.copy(),  # (F, E)
        b_2=get(layer.linear2.bias),
        gamma_1=get(layer.norm1.weight),
        beta_1=get(layer.norm1.bias),
        gamma_2=get(layer.norm2.weight),
        beta_2=get(layer.norm2.bias),
    )
    return params


_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}


_TORCH_ORDER = ("r", "z", "n")


_KERAS_ORDER = ("z", "r", "n")


def _as_array(params: dict, key: str, kind: str) -> np.ndarray:
    if key not in params:
        raise KeyError(f"{kind.upper()} params need key {key!r}; got keys {sorted(params)}")
    return np.asarray(params[key])


def _blocks(a: np.ndarray, order: tuple[str, ...], axis: int = -1) -> dict[str, np.ndarray]:
    """Split ``a`` into ``len(order)`` equal blocks along ``axis``, named by ``order``."""
    return dict(zip(order, np.split(a, len(order), axis=axis)))


def _join(blocks: dict[str, np.ndarray], order: tuple[str, ...], axis: int = -1) -> np.ndarray:
    return np.concatenate([blocks[name] for name in order], axis=axis)


# The engine's GRU layout (see ``lstm_tutorial.engine.fast.gru_forward``): fused blocks in
# PyTorch order r, z, n; W (D, 3H), U (H, 3H), input-side bias b (3H,) and recurrent-side
# bias b_U (3H,), kept apart because r_t multiplies the candidate's recurrent bias.
def _gru_to_canonical(params: dict) -> dict[str, dict[str, np.ndarray]]:
    """Engine GRU params -> per-gate blocks ``{"W", "U", "b", "b_U"}[gate]``."""
    return {key: _blocks(_as_array(params, key, "gru"), _TORCH_ORDER) for key in ("W", "U", "b", "b_U")}


def _gru_from_canonical(c: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-gate blocks -> engine GRU params."""
    return {key: _join(c[key], _TORCH_ORDER) for key in ("W", "U", "b", "b_U")}


def _check_engine_params(params: dict, kind: str, D: int, H: int, targets: dict[str, str]) -> dict[str, np.ndarray]:
    """Return the engine arrays after checking each against ``D`` and ``H``.

    ``targets`` names, for each key, the framework tensor it is written to (for messages).
    """
    k = _BLOCKS[kind]
    needed = {"W": ((D, k * H), f"(D, {k}H)"), "U": ((H, k * H), f"(H, {k}H)"), "b": ((k * H,), f"({k}H,)")}
    if kind == "gru":
        needed["b_U"] = ((k * H,), f"({k}H,)")
    out = {}
    for key, (shape, letters) in needed.items():
        a = _as_array(params, key, kind)
        if a.shape != shape:
            raise ValueError(
                f"params[{key!r}] has shape {a.shape} but {targets[key]} needs {key} of shape "
                f"{letters} = {shape} (D={D}, H={H})"
            )
        out[key] = a
    return out


def _torch_target(module: Any, layer: int, direction: int) -> tuple[str, str, int, int]:
    """Return ``(kind, suffix, D, H)`` of one layer and direction of a PyTorch module."""
    import torch.nn as nn

    kinds = (
        (nn.LSTM, "lstm"),
        (nn.GRU, "gru"),
        (nn.RNN, "rnn"),
        (nn.LSTMCell, "lstm"),
        (nn.GRUCell, "gru"),
        (nn.RNNCell, "rnn"),
    )
    kind = next((k for cls, k in kinds if isinstance(module, cls)), None)
    if kind is None:
        raise TypeError(f"expected a torch.nn LSTM, GRU or RNN (or their Cell), got {type(module).__name__}")
    if getattr(module, "nonlinearity", "tanh") != "tanh":
        raise ValueError(f"only tanh RNNs have an engine twin; this module uses {module.nonlinearity!r}")
    if getattr(module, "proj_size", 0):
        raise ValueError("LSTMs with proj_size > 0 have no engine twin")
    if isinstance(module, nn.RNNBase):
        if not 0 <= layer < module.num_layers:
            raise IndexError(f"layer={layer} out of range for a module with num_layers={module.num_layers}")
        if direction not in (0, 1) or (direction == 1 and not module.bidirectional):
            raise ValueError(
                f"direction={direction} invalid: module is {'bi' if module.bidirectional else 'uni'}directional"
            )
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    else:
        if layer != 0 or direction != 0:
            raise ValueError(f"{type(module).__name__} has one layer and one direction")
        suffix = ""
    w_ih = getattr(module, "weight_ih" + suffix)
    return kind, suffix, w_ih.shape[1], module.hidden_size


def _read_torch(module: Any, layer: int, direction: int, grad: bool) -> tuple[str, dict[str, np.ndarray]]:
    kind, suffix, D, H = _torch_target(module, layer, direction)

    def get(name: str) -> np.ndarray | None:
        t = getattr(module, name + suffix, None)
        if t is None:
            return None
        if grad:
            if t.grad is None:
                raise ValueError(f"{name + suffix} has no gradient yet: call backward() first")
            t = t.grad
        return t.detach().cpu().numpy().copy()

    w_ih, w_hh, b_ih, b_hh = (get(n) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    if b_ih is None:
        b_ih = np.zeros(w_ih.shape[0], dtype=w_ih.dtype)
        b_hh = np.zeros_like(b_ih)
    if kind == "gru":
        # PyTorch's order and bias split are the engine's: only the transposes differ.
        return kind, {"W": np.ascontiguousarray(w_ih.T), "U": np.ascontiguousarray(w_hh.T), "b": b_ih, "b_U": b_hh}
    # b = b_ih + b_hh, so dL/db = dL/db_ih: a gradient is read from bias_ih alone.
    b = b_ih if grad else b_ih + b_hh
    return kind, {"W": np.ascontiguousarray(w_ih.T), "U": np.ascontiguousarray(w_hh.T), "b": b}


def params_from_torch(module: Any, layer: int = 0, direction: int = 0) -> dict[str, np.ndarray]:
    """Read one layer and direction of a PyTorch recurrent module in the engine layout.

    Args:
        module: ``torch.nn.LSTM``, ``GRU`` or ``RNN`` (tanh), any ``num_layers``, uni- or
            bidirectional, or the matching ``LSTMCell``/``GRUCell``/``RNNCell``.
        layer: which stacked layer (``weight_ih_l{layer}``). Layer 0 has input size ``D``;
            later layers have ``D = H``, or ``2H`` if the module is bidirectional.
        direction: 0 for the forward direction, 1 for the ``_reverse`` parameters of a
            bidirectional module (which read the sequence from ``t = T`` down to 1).

    Returns:
        New NumPy arrays in the module's dtype. LSTM: ``W (D, 4H)``, ``U (H, 4H)``,
        ``b (4H,) = bias_ih + bias_hh``. RNN: ``W (D, H)``, ``U (H, H)``, ``b (H,)``.
        GRU: the engine's GRU layout (see the module docstring).
    """
    return _read_torch(module, layer, direction, grad=False)[1]


def grads_from_torch(module: Any, layer: int = 0, direction: int = 0) -> dict[str, np.ndarray]:
    """Read the ``.grad`` of one layer of a PyTorch module in the engine layout.

    Same arguments and shapes as :func:`params_from_torch`, but LSTM and RNN biases are not
    summed: the engine's ``b`` equals ``bias_ih + bias_hh``, so ``dL/db = dL/d bias_ih``.
    The result compares directly with the ``grads`` of the engine's backward functions.
    """
    return _read_torch(module, layer, direction, grad=True)[1]


def params_to_torch(params: dict, module: Any, layer: int = 0, direction: int = 0) -> Any:
    """Write engine-layout ``params`` into one layer and direction of a PyTorch module.

    ``W`` must be ``(D, kH)`` with ``D`` the layer's input size, ``U`` ``(H, kH)``, ``b``
    ``(kH,)`` (``k = 4`` LSTM, ``3`` GRU, ``1`` RNN; a GRU also needs ``b_U (3H,)``).
    Arrays are cast to the module's dtype. LSTM and RNN: the whole ``b`` goes into
    ``bias_ih`` and zeros into ``bias_hh`` (only their sum enters the model). GRU: ``b``
    goes into ``bias_ih`` and ``b_U`` into ``bias_hh``, the layouts being the same.
    Modules built with ``bias=False`` accept only all-zero biases. Returns ``module``,
    modified in place.

    Raises:
        ValueError: a shape does not fit; the message names the tensor and both shapes.
    """
    import torch

    kind, suffix, D, H = _torch_target(module, layer, direction)
    name = type(module).__name__
    targets = {
        "W": f"{name}.weight_ih{suffix} (transposed)",
        "U": f"{name}.weight_hh{suffix} (transposed)",
        "b": f"{name}.bias_ih{suffix}",
        "b_U": f"{name}.bias_hh{suffix}",
    }
    p = _check_engine_params(params, kind, D, H, targets)
    if kind == "gru":
        tensors = {"weight_ih": p["W"].T, "weight_hh": p["U"].T, "bias_ih": p["b"], "bias_hh": p["b_U"]}
    else:
        tensors = {"weight_ih": p["W"].T, "weight_hh": p["U"].T, "bias_ih": p["b"], "bias_hh": np.zeros_like(p["b"])}
    if getattr(module, "bias_ih" + suffix, None) is None:
        if any(np.any(tensors[n] != 0) for n in ("bias_ih", "bias_hh")):
            raise ValueError(f"{type(module).__name__} was built with bias=False but params hold a non-zero bias")
        del tensors["bias_ih"], tensors["bias_hh"]
    with torch.no_grad():
        for name, value in tensors.items():
            target = getattr(module, name + suffix)
            target.copy_(torch.from_numpy(np.ascontiguousarray(value)).to(target.dtype))
    return module


def torch_gru_from_keras_order(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Reorder GRU blocks ``z, r, n`` (Keras) to ``r, z, n`` (PyTorch) along ``axis``; any shape ``(..., 3H, ...)``.

    The permutation swaps the first two blocks, so it is its own inverse: the same call
    also turns PyTorch order into Keras order.
    """
    b = _blocks(np.asarray(a), _KERAS_ORDER, axis=axis)
    return _join(b, _TORCH_ORDER, axis=axis)


def _keras_cell(layer: Any, direction: int) -> tuple[str, Any, str]:
    """Return ``(kind, cell, name)`` for a Keras RNN layer, cell, or one half of a ``Bidirectional``."""
    import keras

    if isinstance(layer, keras.layers.Bidirectional):
        if direction not in (0, 1):
            raise ValueError(f"direction must be 0 or 1, got {direction}")
        layer = layer.forward_layer if direction == 0 else layer.backward_layer
    elif direction != 0:
        raise ValueError("direction=1 needs a keras.layers.Bidirectional wrapper")
    cell = getattr(layer, "cell", layer)
    kinds = ((keras.layers.LSTMCell, "lstm"), (keras.layers.GRUCell, "gru"), (keras.layers.SimpleRNNCell, "rnn"))
    kind = next((k for cls, k in kinds if isinstance(cell, cls)), None)
    if kind is None:
        raise TypeError(f"expected a Keras LSTM, GRU or SimpleRNN layer, got {type(layer).__name__}")
    if not cell.built:
        raise ValueError(
            f"Keras layer {layer.name!r} is not built: call it on data or call "
            "layer.build(input_shape) before porting weights"
        )
    acts = {"activation": "tanh"} if kind == "rnn" else {"activation": "tanh", "recurrent_activation": "sigmoid"}
    for attr, expected in acts.items():
        got = getattr(getattr(cell, attr), "__name__", "?")
        if got != expected:
            raise ValueError(f"{layer.name!r} uses {attr}={got!r}; the engine twin needs {expected!r}")
    if kind == "gru" and not cell.reset_after:
        raise ValueError(f"{layer.name!r} has reset_after=False, a GRU variant with no PyTorch or engine twin")
    return kind, cell, layer.name


def params_from_keras(layer: Any, direction: int = 0) -> dict[str, np.ndarray]:
    """Read a built Keras 3 ``LSTM``, ``GRU`` or ``SimpleRNN`` layer in the engine layout.

    Args:
        layer: the layer (or its cell), or a ``keras.layers.Bidirectional`` wrapping one.
        direction: for a ``Bidirectional`` wrapper, 0 reads the forward layer and 1 the
            backward one (which reads the sequence from ``t = T`` down to 1).

    Returns:
        New NumPy arrays. LSTM: ``W = kernel (D, 4H)``, ``U = recurrent_kernel (H, 4H)``,
        ``b = bias (4H,)``, blocks ``i, f, g, o`` as in Keras. RNN: ``W (D, H)``,
        ``U (H, H)``, ``b (H,)``. GRU: the engine layout, reordered from Keras' ``z, r, h``.
        A layer built with ``use_bias=False`` reads as zero biases.
    """
    kind, cell, _ = _keras_cell(layer, direction)
    W = np.array(cell.kernel.numpy())
    U = np.array(cell.recurrent_kernel.numpy())
    k, H = _BLOCKS[kind], U.shape[0]
    bias = np.array(cell.bias.numpy()) if cell.use_bias else np.zeros((2, k * H) if kind == "gru" else k * H, W.dtype)
    if kind != "gru":
        return {"W": W, "U": U, "b": bias}
    c = {key: _blocks(a, _KERAS_ORDER) for key, a in (("W", W), ("U", U), ("b", bias[0]), ("b_U", bias[1]))}
    return _gru_from_canonical(c)


def params_to_keras(params: dict, layer: Any, direction: int = 0) -> Any:
    """Assign engine-layout ``params`` to a built Keras 3 ``LSTM``, ``GRU`` or ``SimpleRNN``.

    ``W`` must be ``(D, kH)``, ``U`` ``(H, kH)``, ``b`` ``(kH,)`` (``k = 4`` LSTM, ``3``
    GRU, ``1`` RNN; a GRU also needs ``b_U (3H,)``). Arrays are cast to the variables'
    dtype and assigned verbatim: an LSTM built with ``unit_forget_bias=True`` holds exactly
    the ported ``b`` afterwards, because that option only initialised the forget block to
    1.0 at build time. For a GRU, every block is reordered from ``r, z, n`` to Keras'
    ``z, r, h``; ``bias[0] = b`` and ``bias[1] = b_U``. Layers built with
    ``use_bias=False`` accept only all-zero biases. Returns ``layer``.

    Raises:
        ValueError: the layer is not built, or a shape does not fit (the message names the
            tensor and both shapes).
    """
    kind, cell, name = _keras_cell(layer, direction)
    D, H = cell.kernel.shape[0], cell.recurrent_kernel.shape[0]
    targets = {
        key: f"Keras layer {name!r} ({var})"
        for key, var in (
            ("W", "kernel"),
            ("U", "recurrent_kernel"),
            ("b", "bias[0]" if kind == "gru" else "bias"),
            ("b_U", "bias[1]"),
        )
    }
    p = _check_engine_params(params, kind, D, H, targets)
    if kind == "gru":
        c = _gru_to_canonical(p)
        W, U = _join(c["W"], _KERAS_ORDER), _join(c["U"], _KERAS_ORDER)
        bias = np.stack([_join(c["b"], _KERAS_ORDER), _join(c["b_U"], _KERAS_ORDER)])
    else:
        W, U, bias = p["W"], p["U"], p["b"]
    values = [(cell.kernel, W), (cell.recurrent_kernel, U)]
    if cell.use_bias:
        values.append((cell.bias, bias))
    elif np.any(bias != 0):
        raise ValueError(f"Keras layer {name!r} was built with use_bias=False but params hold a non-zero bias")
    for variable, value in values:
        variable.assign(np.asarray(value, dtype=variable.dtype))
    return layer
