"""Input validation shared by every layer of the package (engine, data, frameworks, experiments).

Every check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind, wrong
shape or value) with a message that names the argument, says what was expected and what
arrived. The layer code calls these once at its entrance so that a reader's mistake never
surfaces as a NumPy broadcasting error three calls deep, or as a silent NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "as_generator",
    "check_int",
    "check_array",
    "check_ids",
    "check_vocab_size",
    "check_finite",
    "check_params",
    "check_state",
    "check_lengths",
    "float_dtype",
    "shape_str",
]


def check_int(name: str, value, minimum: int | None = 1) -> int:
    """``value`` as an ``int``, after checking that it is one (not a bool) and at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def as_generator(seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``seed``: a generator passes through, an int >= 0 seeds a
    new one, and ``None`` draws fresh entropy (not reproducible: the book always passes a seed)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(check_int("seed", seed, 0))


def shape_str(shape: Sequence[int | str | None]) -> str:
    """Render a shape such as ``(B, 4, None)`` the way the error messages print it."""
    parts = ["?" if s is None else str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def float_dtype(*dtypes) -> np.dtype:
    """The floating dtype to compute in: float64 if any input is float64, else float32."""
    for dt in dtypes:
        if np.dtype(dt) == np.float64:
            return np.dtype(np.float64)
    return np.dtype(np.float32)


def check_array(
    name: str,
    value,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    labels: Sequence[str] | None = None,
    dtype=None,
    integer: bool = False,
    finite: bool = True,
) -> np.ndarray:
    """Return ``value`` as an ndarray after checking kind, rank, shape and finiteness.

    Args:
        name: how the caller calls the argument, used in messages (``"x"``, ``"params['W']"``).
        value: anything ``np.asarray`` accepts.
        ndim: required number of dimensions.
        shape: required shape; ``None`` entries match any size. Implies ``ndim``.
        labels: names of the axes for messages, e.g. ``("B", "T", "D")``.
        dtype: if given, the result is converted to this dtype (numeric input only).
        integer: require an integer array (for class labels) instead of a real one.
        finite: reject NaN and infinity.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__} ({exc})") from None
    kind = arr.dtype.kind
    if integer:
        if kind not in "iu":
            raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    elif kind not in "iuf":
        raise TypeError(f"{name} must be a real numeric array (int or float), got dtype {arr.dtype}")
    if shape is not None:
        ndim = len(shape)
    if ndim is not None and arr.ndim != ndim:
        expected = shape_str(labels) if labels is not None else f"{ndim} dimensions"
        raise ValueError(f"{name} must have {ndim} dimensions {expected}, got shape {arr.shape}")
    if shape is not None:
        for axis, (want, got) in enumerate(zip(shape, arr.shape)):
            if want is not None and want != got:
                label = f" ({labels[axis]})" if labels is not None else ""
                raise ValueError(
                    f"{name} must have shape {shape_str(shape)}, got {arr.shape}: "
                    f"axis {axis}{label} should be {want}, not {got}"
                )
    if dtype is not None and not integer:
        arr = np.asarray(arr, dtype=dtype)
    if finite and kind == "f":
        check_finite(name, arr)
    return arr


def check_finite(name: str, arr: np.ndarray) -> np.ndarray:
    """Raise ``ValueError`` naming ``name`` and the first bad index if ``arr`` has NaN or inf."""
    if arr.dtype.kind == "f" and arr.size and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        value = arr[tuple(bad)]
        raise ValueError(f"{name} must be finite, got {value} at index {tuple(int(i) for i in bad)}")
    return arr


def check_params(
    name: str,
    params,
    expected: Mapping[str, tuple],
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Check a parameter dict against expected shapes and return it as arrays.

    Args:
        name: the argument's name in messages (``"params"``).
        params: mapping from key to array.
        expected: key -> shape tuple; an entry may be ``None`` (any size) or a string
            (a size to infer once and then hold everywhere, e.g. ``"D"``).

    Returns:
        ``(arrays, sizes)``: a new dict of arrays, and the inferred sizes by letter.
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"{name} must be a dict of arrays with keys {sorted(expected)}, got {type(params).__name__}")
    missing = [k for k in expected if k not in params]
    if missing:
        raise ValueError(f"{name} is missing {missing}; expected keys {list(expected)}, got {list(params)}")
    arrays: dict[str, np.ndarray] = {}
    sizes: dict[str, int] = {}
    for key, want in expected.items():
        label = f"{name}[{key!r}]"
        arr = check_array(label, params[key], ndim=len(want))
        for axis, (w, got) in enumerate(zip(want, arr.shape)):
            if isinstance(w, str):
                letter, mult = _parse_size(w)
                if letter not in sizes:
                    if got % mult:
                        raise ValueError(
                            f"{label} has shape {arr.shape}: axis {axis} should be {w}, a multiple of {mult}, got {got}"
                        )
                    sizes[letter] = got // mult
                elif sizes[letter] * mult != got:
                    raise ValueError(
                        f"{label} has shape {arr.shape} but the other parameters give {letter}={sizes[letter]}, "
                        f"so axis {axis} should be {w}={sizes[letter] * mult}; parameter shapes do not fit together"
                    )
            elif w is not None and w != got:
                raise ValueError(f"{label} must have shape {shape_str(want)}, got {arr.shape}")
        arrays[key] = arr
    return arrays, sizes


def _parse_size(spec: str) -> tuple[str, int]:
    """``"4H"`` -> ``("H", 4)``; ``"D"`` -> ``("D", 1)``."""
    digits = spec.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    letter = spec[len(digits) :]
    return letter, int(digits) if digits else 1


#: names of the states in the order the cells keep them (the sLSTM adds a normaliser and a stabiliser)
STATE_NAMES = ("h_0", "c_0", "n_0", "m_0")


def check_state(name: str, state, *, n: int, batch: int, hidden: int, dtype) -> tuple[np.ndarray, ...]:
    """Check a recurrent state: an ``n``-tuple of ``(B, H)`` arrays (``n=1`` also accepts a bare array)."""
    if n == 1 and isinstance(state, np.ndarray):
        state = (state,)
    if not isinstance(state, (tuple, list)) or len(state) != n:
        what = {1: "an array h_0 of shape (B, H)", 2: "a pair (h_0, c_0) of (B, H) arrays"}.get(
            n, f"a {n}-tuple {STATE_NAMES[:n]} of (B, H) arrays"
        )
        got = (
            f"{type(state).__name__} of length {len(state)}"
            if isinstance(state, (tuple, list))
            else type(state).__name__
        )
        raise TypeError(f"{name} must be {what}, got {got}")
    return tuple(
        check_array(f"{name}[{k}] ({STATE_NAMES[k]})", s, shape=(batch, hidden), labels=("B", "H"), dtype=dtype)
        for k, s in enumerate(state)
    )


def check_ids(name: str, ids, V: int | None = None) -> np.ndarray:
    """A 1-D integer array of token ids, each in ``0..V-1`` when ``V`` is given."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"{name} must be a 1-D integer array of character ids, got shape {ids.shape}, dtype {ids.dtype}"
        )
    if V is not None and ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"{name} must hold ids in 0..{V - 1}, got {ids.min()}..{ids.max()}")
    return ids


def check_vocab_size(V) -> int:
    """A vocabulary size: a positive int."""
    if isinstance(V, bool) or not isinstance(V, (int, np.integer)) or V < 1:
        raise ValueError(f"V must be a positive integer vocabulary size, got {V!r}")
    return int(V)


def check_lengths(name: str, lengths, batch: int, T: int) -> np.ndarray:
    """``lengths`` of a padded batch as int64 ``(batch,)``, each in ``1..T``.

    A length past ``T`` names steps that the padded batch does not hold; a zero length leaves a
    sequence with no step to read (no final state to classify).
    """
    arr = np.asarray(lengths.cpu() if hasattr(lengths, "cpu") else lengths)
    if arr.shape != (batch,) or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{name} must be integers of shape ({batch},), one per sequence, got {arr.dtype} of shape {arr.shape}"
        )
    if arr.size and arr.max() > T:
        k = int(arr.argmax())
        raise ValueError(f"{name}[{k}] is {int(arr[k])}, longer than the padded length T = {T}")
    if arr.size and arr.min() < 1:
        k = int(arr.argmin())
        raise ValueError(f"{name}[{k}] is {int(arr[k])}: sequence {k} is empty, it needs at least one step")
    return arr.astype(np.int64)
