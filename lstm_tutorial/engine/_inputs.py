"""Checks at the entrance of every NumPy cell function, shared by the reference and the fast engine.

A reader's mistake (a wrong shape, a missing key, a NaN) is reported here, naming the argument,
what was expected and what came, instead of as a broadcasting error deep inside a step.
"""

from __future__ import annotations

import numpy as np

from lstm_tutorial._checks import check_array, check_params, check_state, float_dtype

__all__ = ["check_forward_inputs", "check_backward_inputs", "check_step"]


def check_forward_inputs(x, params, state, shapes, n_state):
    """Validate the forward arguments; return ``x``, params and state in one float dtype, and sizes.

    The dtype is float64 if ``x`` (when given as an array) or any parameter is float64, else float32.
    """
    arrays, sizes = check_params("params", params, shapes)
    x_dtype = x.dtype if isinstance(x, np.ndarray) else np.float32
    x = check_array("x", x, ndim=3, labels=("B", "T", "D"))
    dtype = float_dtype(x_dtype, *(a.dtype for a in arrays.values()))
    D, H = sizes["D"], sizes["H"]
    if x.shape[2] != D:
        raise ValueError(
            f"x has {x.shape[2]} features per step (shape {x.shape} = (B, T, D)), but params['W'] has shape "
            f"{arrays['W'].shape}, which expects D={D}"
        )
    x = x.astype(dtype, copy=False)
    arrays = {k: a.astype(dtype, copy=False) for k, a in arrays.items()}
    B, T = x.shape[0], x.shape[1]
    if B == 0:
        raise ValueError(f"x must hold at least one sequence, got batch size B=0 (shape {x.shape})")
    if state is None:
        state = tuple(np.zeros((B, H), dtype) for _ in range(n_state))
    else:
        state = check_state("state", state, n=n_state, batch=B, hidden=H, dtype=dtype)
    return x, arrays, state, B, T, D, H, dtype


def check_backward_inputs(d_outputs, d_state, cache_shape, n_state, dtype):
    """Validate ``d_outputs`` ``(B, T, H)`` and ``d_state``; return them in ``dtype`` (zeros for ``None``)."""
    B, T, H = cache_shape
    d_outputs = check_array("d_outputs", d_outputs, shape=(B, T, H), labels=("B", "T", "H"), dtype=dtype)
    if d_state is None:
        return d_outputs, tuple(np.zeros((B, H), dtype) for _ in range(n_state))
    d_state = check_state("d_state", d_state, n=n_state, batch=B, hidden=H, dtype=dtype)
    return d_outputs, tuple(s.copy() for s in d_state)


def check_step(x_t, states, params, shapes):
    """Check the shapes of one step's arguments, so that nothing broadcasts silently.

    Args:
        x_t: ``(B, D)`` input of the step.
        states: ``{"h_prev": (B, H), ...}``, the previous state arrays by argument name.
        params: dict of arrays with the shapes in ``shapes``.
        shapes: one of the ``*_PARAM_SHAPES`` of :mod:`lstm_tutorial.engine.params`.

    Returns:
        ``(x_t, states, params)`` as arrays, unchanged in dtype. Raises ``ValueError`` naming the
        argument whose shape does not fit.
    """
    params, sizes = check_params("params", params, shapes)
    D, H = sizes["D"], sizes["H"]
    x_t = check_array("x_t", x_t, shape=(None, D), labels=("B", "D"), finite=False)
    B = x_t.shape[0]
    states = {name: check_array(name, s, shape=(B, H), labels=("B", "H"), finite=False) for name, s in states.items()}
    return x_t, states, params
