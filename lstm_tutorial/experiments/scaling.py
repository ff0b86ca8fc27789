"""Measure what an LSTM and a Transformer cost as sequences and contexts grow, on this machine.

Sizes: ``B`` batch, ``T`` sequence length, ``E`` model width (``d_model``, and the LSTM's
``H = E``), ``F = 2E`` feed-forward width, ``n_h`` heads, ``L`` layers, ``t`` context length.

Two kinds of measurement, kept apart on purpose:

- **Deterministic**: floating-point operations from formulas (:func:`training_step_flops`,
  :func:`token_step_flops`) and bytes that autograd *saves for the backward pass*
  (:func:`saved_activation_bytes`), counted exactly from the tensors themselves. They are the
  same on every machine and are what the tests and the book's assertions pin.
- **Timings** (:func:`time_training_step`, :func:`streaming_cost`): ``time.perf_counter``
  around the real work, after warm-up, at least 7 repeats per point, models interleaved so that
  a busy moment of a shared machine hurts both. Each row keeps its raw ``times``; the book
  reports their median and interquartile range with outliers flagged
  (:func:`~lstm_tutorial.experiments.timing.summarise_times`), scaling exponents fitted in
  log-log (:func:`~lstm_tutorial.experiments.timing.fit_exponent`) and a crossing only where the
  curves separate beyond their spread (:func:`~lstm_tutorial.experiments.timing.compare_timings`).
  Times depend on the CPU, the thread count and the load; the claims are ratios and exponents.

Every function returns plain numbers or a tidy list of dicts (one row per model and size).
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Callable, Sequence

import torch
from torch import nn

from lstm_tutorial.experiments.timing import summarise_times, time_once
from lstm_tutorial.frameworks.transformer import (
    CausalTransformerLM,
    KVCache,
    comparable_models,
)
from lstm_tutorial.repro import limit_threads

__all__ = [
    "saved_activation_bytes",
    "attention_backend",
    "peak_memory",
    "time_training_step",
    "training_step_flops",
    "lstm_vs_transformer_scaling",
    "timings_of",
    "token_step_flops",
    "streaming_cost",
]


def saved_activation_bytes(fn: Callable[[], object], *, exclude: nn.Module | None = None) -> tuple[int, object]:
    """Run ``fn()`` and count the bytes of the tensors autograd saves for the backward pass.

    A ``torch.autograd.graph.saved_tensors_hooks`` pack hook sees every tensor an operation
    saves; the bytes of each distinct underlying storage are summed once. Storages of
    ``exclude``'s parameters are skipped: weights are held anyway, activations are what grows
    with the batch and the sequence. The count is exact and deterministic; it is the
    activation part of the training step's peak memory, not the whole of it (the gradients,
    the optimizer state and the allocator's temporaries come on top).

    Returns:
        ``(bytes, fn's result)``; keep the result alive only as long as you need it.
    """
    skip = {p.untyped_storage().data_ptr() for p in exclude.parameters()} if exclude is not None else set()
    seen: set[int] = set()
    kept = []  # holding each storage keeps its address from being reused during fn()
    total = 0

    def pack(t: torch.Tensor):
        nonlocal total
        storage = t.untyped_storage()
        ptr = storage.data_ptr()
        if ptr not in seen and ptr not in skip:
            seen.add(ptr)
            kept.append(storage)
            total += storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        result = fn()
    return total, result


@contextlib.contextmanager
def attention_backend(name: str | None):
    """Choose PyTorch's attention kernel: ``None`` (PyTorch decides), ``"math"`` or ``"flash"``.

    ``"math"`` is the textbook computation, which materialises and saves the ``(B, n_h, T, T)``
    weights; ``"flash"`` is the fused CPU kernel that recomputes them in the backward pass and
    saves only ``O(B n_h T)`` numbers.
    """
    if name is None:
        yield
        return
    from torch.nn.attention import SDPBackend, sdpa_kernel

    backends = {"math": SDPBackend.MATH, "flash": SDPBackend.FLASH_ATTENTION}
    if name not in backends:
        raise ValueError(f"attention backend must be None, 'math' or 'flash', got {name!r}")
    with sdpa_kernel(backends[name]):
        yield


def _mse(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def peak_memory(model: nn.Module, batch, *, loss_fn=_mse, backend: str | None = None) -> dict:
    """Activation memory of one training step: ``{"saved_bytes", "param_bytes"}``.

    ``saved_bytes`` is :func:`saved_activation_bytes` of the forward pass and loss (what must
    stay in memory until the backward pass), ``param_bytes`` the model's weights; the
    gradients take as much again as the weights.
    """
    with attention_backend(backend):
        saved, loss = saved_activation_bytes(lambda: loss_fn(model, batch), exclude=model)
    del loss
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    return {"saved_bytes": saved, "param_bytes": params}


def _step_fn(model, batch, loss_fn, lr, backend):
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step():
        with attention_backend(backend):
            opt.zero_grad(set_to_none=True)
            loss_fn(model, batch).backward()
            opt.step()

    return step


def time_training_step(
    model: nn.Module,
    batch,
    *,
    loss_fn=_mse,
    lr: float = 1e-3,
    warmup: int = 1,
    repeats: int = 7,
    backend: str | None = None,
) -> dict:
    """Seconds per training step (forward, loss, backward, SGD update) of ``model`` on ``batch``.

    ``warmup`` untimed steps, then ``repeats`` (at least 3) timed ones with ``time.perf_counter``.
    Returns ``seconds`` (median), ``best_seconds`` (minimum), ``repeats``, the raw ``times`` and
    their :func:`~lstm_tutorial.experiments.timing.summarise_times`
    (``q1``, ``q3``, ``outliers``). The weights change
    (SGD with ``lr``), which does not change the cost of a step.
    """
    if repeats < 3:
        raise ValueError(f"repeats must be at least 3 (a median and a spread), got {repeats}")
    step = _step_fn(model, batch, loss_fn, lr, backend)
    for _ in range(warmup):
        step()
    times = [time_once(step) for _ in range(repeats)]
    return {"repeats": repeats, "times": times, "best_seconds": min(times), **_summary(times)}


def _summary(times: list[float]) -> dict:
    t = summarise_times(times)
    return {"seconds": t["median"], "q1": t["q1"], "q3": t["q3"], "outliers": t["outliers"]}


def training_step_flops(model: str, B: int, T: int, E: int, *, n_layers: int = 1, d_ff: int | None = None) -> float:
    """Multiply-add FLOPs (2 per multiply-add) of one training step of the core layers.

    A training step costs about three forward passes (the backward pass is two matrix
    products per forward one). Forward, per layer:

    - LSTM (``H = E``): ``2 B T (E + H) 4H`` for the gate products.
    - Transformer: projections ``2 B T 4E^2``, feed-forward ``2 B T 2 E F``, and attention
      ``2 B T^2 E`` for ``Q K^T`` plus as much for ``A V``.
    Element-wise work (gates, softmax, LayerNorm) is left out.
    """
    F = d_ff or 2 * E
    if model == "lstm":
        fwd = 2 * B * T * (E + E) * 4 * E
    elif model == "transformer":
        fwd = 2 * B * T * 4 * E * E + 2 * B * T * 2 * E * F + 4 * B * T * T * E
    else:
        raise ValueError(f"model must be 'lstm' or 'transformer', got {model!r}")
    return 3.0 * n_layers * fwd


def lstm_vs_transformer_scaling(
    lengths: Sequence[int],
    *,
    batch_size: int = 4,
    d_model: int = 64,
    n_heads: int = 4,
    n_layers: int = 1,
    repeats: int = 7,
    warmup: int = 1,
    time_math: bool = False,
    threads: int | None = 1,
    seed: int = 0,
) -> list[dict]:
    """Time and activation memory of one training step, LSTM against Transformer, per length.

    Models from :func:`lstm_tutorial.frameworks.transformer.comparable_models` (feature input ``D = E``,
    a per-position regression head, MSE against fixed random targets). For each ``T`` the two
    models are timed in interleaved rounds. Rows (one per model and ``T``) carry ``model``
    (``"lstm"``, ``"transformer"``, ``"transformer (math)"``), ``T``, ``B``, ``params``,
    ``flops`` (:func:`training_step_flops`), ``saved_bytes`` (:func:`peak_memory`),
    ``sequential_steps`` (operations that must wait for the previous one: ``T L`` for the
    LSTM, ``L`` for the Transformer), the raw ``times`` of the ``repeats`` (at least 3),
    ``seconds`` (their median), ``q1`` and ``q3`` (quartiles), ``outliers`` (times outside
    Tukey's fences) and ``best_seconds`` (minimum); all ``None`` if not timed. The
    ``"transformer (math)"`` row is the same model forced onto the textbook attention kernel:
    its memory is always measured, its time only with ``time_math``.

    ``threads`` intra-op threads during the timings (default 1: small operations on a shared
    2-core machine time far more steadily on one thread; ``None`` keeps PyTorch's setting).
    """
    if repeats < 3:
        raise ValueError(f"repeats must be at least 3 (a median and a spread), got {repeats}")
    torch.manual_seed(seed)
    lstm, transformer, counts = comparable_models(
        input_size=d_model, d_model=d_model, n_heads=n_heads, n_layers=n_layers, head="token", n_outputs=1
    )
    runs = {"lstm": (lstm, None), "transformer": (transformer, None), "transformer (math)": (transformer, "math")}
    g = torch.Generator().manual_seed(seed)
    rows = []
    for T in lengths:
        x = torch.randn(batch_size, T, d_model, generator=g)
        y = torch.randn(batch_size, T, 1, generator=g)
        batch = (x, y)
        timed = ["lstm", "transformer"] + (["transformer (math)"] if time_math else [])
        steps = {name: _step_fn(runs[name][0], batch, _mse, 1e-3, runs[name][1]) for name in timed}
        times = {name: [] for name in timed}
        with limit_threads(threads, blas=False):
            for step in steps.values():
                for _ in range(warmup):
                    step()
            for r in range(repeats):
                order = timed[r % len(timed) :] + timed[: r % len(timed)]
                for name in order:
                    times[name].append(time_once(steps[name]))
        for name, (model, backend) in runs.items():
            kind = "lstm" if name == "lstm" else "transformer"
            rows.append(
                {
                    "model": name,
                    "T": T,
                    "B": batch_size,
                    "params": counts["lstm" if kind == "lstm" else "transformer"],
                    "flops": training_step_flops(kind, batch_size, T, d_model, n_layers=n_layers),
                    "saved_bytes": peak_memory(model, batch, backend=backend)["saved_bytes"],
                    "sequential_steps": T * n_layers if kind == "lstm" else n_layers,
                    "times": times[name] if name in times else None,
                    "best_seconds": min(times[name]) if name in times else None,
                    **(_summary(times[name]) if name in times else dict.fromkeys(("seconds", "q1", "q3", "outliers"))),
                }
            )
    return rows


def timings_of(rows: list[dict], model: str, size_key: str = "T") -> tuple[list[int], list[list[float]]]:
    """``(sizes, times)`` of one model's rows, sorted by size: the raw repeats, for
    :func:`~lstm_tutorial.experiments.timing.fit_exponent` and
    :func:`~lstm_tutorial.experiments.timing.compare_timings`. ``size_key`` is ``"T"`` for
    :func:`lstm_vs_transformer_scaling`, ``"context"`` for :func:`streaming_cost`."""
    picked = sorted((r[size_key], r["times"]) for r in rows if r["model"] == model and r.get("times"))
    if not picked:
        raise ValueError(f"no timed rows for model {model!r}; models: {sorted({r['model'] for r in rows})}")
    return [p[0] for p in picked], [list(p[1]) for p in picked]


def token_step_flops(
    model: str, context: int, E: int, *, n_layers: int = 2, d_ff: int | None = None, vocab_size: int = 0
) -> float:
    """FLOPs to process one new token with ``context`` tokens already seen (inference, no cache growth cost).

    LSTM: ``2 (E + H) 4H`` per layer, whatever the context. Transformer with a key/value
    cache: ``2 (4E^2 + 2 E F)`` per layer plus ``4 (context + 1) E`` to score and mix the
    cached positions. Both add ``2 E V`` for the output layer.
    """
    F = d_ff or 2 * E
    if model == "lstm":
        per_layer = 2 * (E + E) * 4 * E
    elif model == "transformer":
        per_layer = 2 * (4 * E * E + 2 * E * F) + 4 * (context + 1) * E
    else:
        raise ValueError(f"model must be 'lstm' or 'transformer', got {model!r}")
    return float(n_layers * per_layer + 2 * E * vocab_size)


def streaming_cost(
    context_lengths: Sequence[int],
    *,
    vocab_size: int = 64,
    d_model: int = 64,
    n_heads: int = 4,
    n_layers: int = 2,
    batch_size: int = 1,
    tokens: int = 30,
    warmup: int = 3,
    rounds: int = 1,
    threads: int | None = 1,
    seed: int = 0,
) -> list[dict]:
    """Per-token latency and memory of generating one more token after ``t`` tokens of context.

    The LSTM (:class:`lstm_tutorial.frameworks.torch_models.CharLanguageModel`, ``H = E``) carries its state
    ``(h, c)``: ``2 L B H`` numbers, whatever ``t``. The Transformer
    (:class:`~lstm_tutorial.frameworks.transformer.CausalTransformerLM`, sinusoidal positions, so no hard
    window) carries a key/value cache of ``2 L B t E`` numbers, and each step reads all of it.
    A step's cost depends only on the shapes, so the context is a random state or cache of the
    right size; each timed step starts from that same context (``warmup`` untimed, then
    ``tokens`` timed steps of one model in a row), on ``threads`` intra-op threads (as in
    :func:`lstm_vs_transformer_scaling`). With ``rounds > 1`` every context is visited that many
    times, in turn: a spell of a slower machine state (another process, a frequency change) then
    falls on every length instead of on one, and does not tilt the fitted exponents.

    Rows: ``model``, ``context``, ``times`` (the ``rounds * tokens`` timings), ``seconds_per_token``
    (their median), ``q1``, ``q3``, ``outliers``, ``state_bytes`` (measured from
    the tensors after the step: the cache then holds ``t + 1`` positions), ``flops_per_token``
    (:func:`token_step_flops`), ``params``.
    """
    from lstm_tutorial.frameworks.torch_models import CharLanguageModel
    from lstm_tutorial.frameworks.transformer import count_parameters

    if tokens < 3:
        raise ValueError(f"tokens must be at least 3 (a median and a spread), got {tokens}")
    if not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be a positive int, got {rounds!r}")
    torch.manual_seed(seed)
    lstm = CharLanguageModel(vocab_size, d_model, d_model, num_layers=n_layers).eval()
    lm = CausalTransformerLM(vocab_size, d_model=d_model, n_heads=n_heads, n_layers=n_layers).eval()
    g = torch.Generator().manual_seed(seed)
    token = torch.randint(0, vocab_size, (batch_size,), generator=g)
    dk = d_model // n_heads
    rows = []
    with torch.no_grad():
        contexts = []
        for t in context_lengths:
            state = tuple(torch.randn(n_layers, batch_size, d_model, generator=g) for _ in range(2))
            cache = KVCache(
                [torch.randn(batch_size, n_heads, t, dk, generator=g) for _ in range(n_layers)],
                [torch.randn(batch_size, n_heads, t, dk, generator=g) for _ in range(n_layers)],
            )
            contexts.append((state, cache))
        times = [{"lstm": [], "transformer": []} for _ in context_lengths]
        steps = {
            "lstm": [lambda state=state: lstm(token[:, None], state) for state, _ in contexts],
            "transformer": [lambda cache=cache: lm.step(token, cache) for _, cache in contexts],
        }
        with limit_threads(threads, blas=False):
            # one model at a time, all its contexts before the other model's: running the
            # Transformer's large steps in between slows the LSTM's next ones by a varying amount
            for name, model_steps in steps.items():
                for _ in range(rounds):
                    for step, timed in zip(model_steps, times):
                        for _ in range(warmup):
                            step()
                        timed[name] += [time_once(step) for _ in range(tokens)]
        for t, (state, cache), timed in zip(context_lengths, contexts, times):
            _, new_state = lstm(token[:, None], state)
            _, new_cache = lm.step(token, cache)
            sizes = {"lstm": sum(s.numel() * s.element_size() for s in new_state), "transformer": new_cache.nbytes()}
            for name, model in (("lstm", lstm), ("transformer", lm)):
                rows.append(
                    {
                        "model": name,
                        "context": t,
                        "times": timed[name],
                        "seconds_per_token": statistics.median(timed[name]),
                        **{k: v for k, v in _summary(timed[name]).items() if k != "seconds"},
                        "state_bytes": sizes[name],
                        "flops_per_token": token_step_flops(name, t, d_model, n_layers=n_layers, vocab_size=vocab_size),
                        "params": count_parameters(model),
                    }
                )
    return rows
