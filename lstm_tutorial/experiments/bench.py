"""Time one LSTM training step (forward + backward) in NumPy, PyTorch and Keras, side by side.

Run ``python -m lstm_tutorial.experiments.bench`` (``--help`` for the flags), or call :func:`run_benchmark`
from a notebook and print :func:`format_table` of its result.

A training step here is: the LSTM over ``x`` ``(B, T, D)`` from a zero state, then the gradients
of ``sum(outputs * R)`` (``R`` a fixed random ``(B, T, H)`` array) with respect to the input
and every weight. It costs about ``24 T B H (D + H)`` floating-point operations: the products
with ``W`` and ``U`` take ``2 T B (D + H) 4H`` in the forward pass and twice that backward.

All backends run in one process, warmed up, then timed in interleaved rounds (each round times
every backend once per shape, in rotating order) so that a slow moment of a shared machine
hurts all of them alike; the table reports the median over rounds. For reference it also
times a float32 NumPy matrix product of the size of the step's big products,
``(T B, D + H) x (D + H, 4H)``: the machine's own matmul speed on that shape.

By default every library runs on one thread (``threads=1``, see :func:`limit_threads`): on a
machine whose cores are shared with other programs, multithreaded BLAS and framework kernels
spend most of a small step waiting for each other, and the timings become erratic. One thread
per library is a fair and repeatable comparison; the matmul yardstick then is one core's speed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from lstm_tutorial.experiments.timing import time_once
from lstm_tutorial.repro import limit_threads, limit_threads_tensorflow, seed_everything

__all__ = [
    "DEFAULT_SHAPES",
    "lstm_step_flops",
    "MATMUL_LIBRARIES",
    "matmul_gflops",
    "thread_settings",
    "run_benchmark",
    "format_table",
    "main",
]

# (B, T, D, H)
DEFAULT_SHAPES = [(32, 100, 64, 128), (64, 100, 128, 256), (8, 200, 32, 64)]


def lstm_step_flops(B: int, T: int, D: int, H: int) -> float:
    """Floating-point operations of one LSTM training step: ``24 T B H (D + H)``."""
    return 24.0 * T * B * H * (D + H)


def _numpy_step(B, T, D, H, seed, engine="fast") -> Callable[[], None]:
    import importlib

    from lstm_tutorial.engine.params import init_lstm_params

    module = importlib.import_module(f"lstm_tutorial.engine.{engine}")
    rng = np.random.default_rng(seed)
    params = init_lstm_params(D, H, seed=seed)
    x = rng.standard_normal((B, T, D), dtype=np.float32)
    R = rng.standard_normal((B, T, H), dtype=np.float32)

    def step():
        _, _, cache = module.lstm_forward(x, params)
        module.lstm_backward(R, cache)

    return step


def _reference_step(B, T, D, H, seed) -> Callable[[], None]:
    return _numpy_step(B, T, D, H, seed, engine="reference")


def _torch_step(B, T, D, H, seed) -> Callable[[], None]:
    import torch

    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(D, H, batch_first=True)
    x = torch.randn(B, T, D, requires_grad=True)
    R = torch.randn(B, T, H)

    def step():
        lstm.zero_grad(set_to_none=True)
        x.grad = None
        out, _ = lstm(x)
        out.backward(R)

    return step


def _keras_step(B, T, D, H, seed) -> Callable[[], None]:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    layer = keras.layers.LSTM(H, return_sequences=True)
    layer.build((B, T, D))
    x = tf.constant(np.random.default_rng(seed).standard_normal((B, T, D), dtype=np.float32))
    R = tf.constant(np.random.default_rng(seed + 1).standard_normal((B, T, H), dtype=np.float32))
    variables = layer.trainable_variables

    @tf.function
    def compiled():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) * R)
        return tape.gradient(loss, [x, *variables])

    def step():
        grads = compiled()
        grads[0].numpy()  # wait for the result

    return step


# name -> factory(B, T, D, H, seed) returning a zero-argument callable that runs one step
BACKENDS: dict[str, Callable[..., Callable[[], None]]] = {
    "numpy": _numpy_step,  # the fast engine, lstm_tutorial.engine.fast
    "reference": _reference_step,  # the readable step-by-step engine, lstm_tutorial.engine.reference
    "torch": _torch_step,
    "keras": _keras_step,
}


#: the matrix-multiply libraries :func:`matmul_gflops` can time
MATMUL_LIBRARIES = ("numpy", "torch", "onednn")


def _matmul(a: np.ndarray, b: np.ndarray, library: str):
    """A function of no arguments that computes ``a @ b`` with ``library`` and returns the result
    as that library holds it (a NumPy array, a tensor, or a oneDNN tensor: ``.to_dense()``)."""
    if library == "numpy":
        out = np.empty((a.shape[0], b.shape[1]), np.float32)
        return lambda: np.matmul(a, b, out=out)
    import torch

    if library == "torch":
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        tout = torch.empty(a.shape[0], b.shape[1])
        return lambda: torch.matmul(ta, tb, out=tout)
    if not torch.backends.mkldnn.is_available():
        raise RuntimeError("this PyTorch build has no oneDNN (torch.backends.mkldnn.is_available() is False)")
    from torch.utils import mkldnn

    linear = torch.nn.Linear(a.shape[1], b.shape[1], bias=False)  # y = x W^T, so W = b^T
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(b.T)))
    layer, ta = mkldnn.to_mkldnn(linear), torch.from_numpy(a).to_mkldnn()

    def product():
        with torch.no_grad():
            return layer(ta)

    return product


def matmul_gflops(m: int, k: int, n: int, *, min_time: float = 0.05, library: str = "numpy") -> float:
    """Measured float32 GFLOP/s of an ``(m, k) x (k, n)`` product (best of a few runs).

    ``library`` is one of :data:`MATMUL_LIBRARIES`: ``"numpy"`` (its BLAS, OpenBLAS in the pinned
    wheels), ``"torch"`` (``torch.matmul``: MKL on x86) or ``"onednn"`` (a linear layer run by
    oneDNN through ``torch.utils.mkldnn``, the library whose kernels PyTorch's CPU ``nn.LSTM``
    uses). Which is fastest depends on the CPU (MKL, for one, takes its fast paths only on Intel
    processors), so a speed claim is made against the fastest of them.
    """
    if library not in MATMUL_LIBRARIES:
        raise ValueError(f"library must be one of {MATMUL_LIBRARIES}, got {library!r}")
    rng = np.random.default_rng(0)
    product = _matmul(
        rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32), library
    )
    product()
    best = float("inf")
    reps, start = 0, time.perf_counter()
    while reps < 3 or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        product()
        best = min(best, time.perf_counter() - t0)
        reps += 1
    return 2.0 * m * k * n / best / 1e9


def thread_settings() -> dict[str, int]:
    """Threads each imported library would use now: ``numpy`` (BLAS), ``torch``, ``tensorflow``.

    TensorFlow's ``0`` means "its default" (one per core).
    """
    from threadpoolctl import threadpool_info

    info = threadpool_info()
    out = {"numpy": max((i["num_threads"] for i in info if i.get("user_api") == "blas"), default=1)}
    if "torch" in sys.modules:
        out["torch"] = sys.modules["torch"].get_num_threads()
    if "tensorflow" in sys.modules:
        out["tensorflow"] = sys.modules["tensorflow"].config.threading.get_intra_op_parallelism_threads()
    return out


def run_benchmark(
    backends=("numpy", "torch"),
    shapes=DEFAULT_SHAPES,
    *,
    repeats: int = 5,
    warmup: int = 2,
    seed: int = 0,
    threads: int | None = 1,
) -> list[dict]:
    """Time one training step per backend and shape; return one dict per (shape, backend).

    Each dict has ``B, T, D, H, backend``, ``seconds`` (median over ``repeats`` rounds),
    ``best_seconds``, ``gflops`` (from :func:`lstm_step_flops` and the median time),
    ``ratio_to_torch`` (``seconds`` divided by torch's, ``None`` without torch) and
    ``matmul_gflops`` (see :func:`matmul_gflops`).

    ``threads`` limits NumPy's BLAS and PyTorch to that many threads while timing (``None``:
    leave them alone); TensorFlow is asked too, which works only before it has started (see
    :func:`limit_threads_tensorflow`).
    """
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backends {unknown}; choose from {list(BACKENDS)}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if "torch" in backends:
        import torch  # noqa: F401  (so that seed_everything seeds it)
    if "keras" in backends:
        import keras  # noqa: F401

        if threads is not None:
            limit_threads_tensorflow(threads)
    seed_everything(seed)
    with limit_threads(threads):
        return _run(backends, shapes, repeats, warmup, seed)


def _run(backends, shapes, repeats, warmup, seed) -> list[dict]:
    results = []
    for B, T, D, H in shapes:
        steps = {name: BACKENDS[name](B, T, D, H, seed) for name in backends}
        for step in steps.values():
            for _ in range(warmup):
                step()
        times = {name: [] for name in backends}
        order = list(backends)
        for r in range(repeats):
            rotated = order[r % len(order) :] + order[: r % len(order)]
            for name in rotated:
                times[name].append(time_once(steps[name]))
        mm = matmul_gflops(T * B, D + H, 4 * H)
        flops = lstm_step_flops(B, T, D, H)
        medians = {name: statistics.median(ts) for name, ts in times.items()}
        for name in backends:
            results.append(
                {
                    "B": B,
                    "T": T,
                    "D": D,
                    "H": H,
                    "backend": name,
                    "seconds": medians[name],
                    "best_seconds": min(times[name]),
                    "gflops": flops / medians[name] / 1e9,
                    "ratio_to_torch": medians[name] / medians["torch"] if "torch" in medians else None,
                    "matmul_gflops": mm,
                }
            )
    return results


def format_table(results: list[dict]) -> str:
    """A plain-text table of :func:`run_benchmark`'s results, one row per shape and backend."""
    header = f"{'(B, T, D, H)':<20} {'backend':<10} {'ms/step':>9} {'x torch':>8} {'GFLOP/s':>8} {'matmul GFLOP/s':>15}"
    lines = [header, "-" * len(header)]
    for r in results:
        shape = f"({r['B']}, {r['T']}, {r['D']}, {r['H']})"
        ratio = "-" if r["ratio_to_torch"] is None else f"{r['ratio_to_torch']:.2f}"
        lines.append(
            f"{shape:<20} {r['backend']:<10} {1e3 * r['seconds']:>9.2f} {ratio:>8} "
            f"{r['gflops']:>8.1f} {r['matmul_gflops']:>15.1f}"
        )
    return "\n".join(lines)


def _parse_shape(text: str) -> tuple[int, int, int, int]:
    parts = text.replace("(", "").replace(")", "").replace("x", ",").split(",")
    try:
        shape = tuple(int(p) for p in parts if p.strip())
    except ValueError:
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"a shape is four positive ints B,T,D,H such as 32,100,64,128; got {text!r}")
    return shape


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lstm_tutorial.experiments.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--backends",
        default="numpy,torch,keras",
        help=f"comma-separated subset of {','.join(BACKENDS)} (default: all)",
    )
    parser.add_argument(
        "--shapes",
        nargs="+",
        type=_parse_shape,
        default=DEFAULT_SHAPES,
        metavar="B,T,D,H",
        help="shapes to time (default: the three of the book)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds per shape (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per backend first (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per library (default 1; 0 leaves each library's default)"
    )
    args = parser.parse_args(argv)
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    try:
        results = run_benchmark(
            backends,
            args.shapes,
            repeats=args.repeats,
            warmup=args.warmup,
            seed=args.seed,
            threads=args.threads or None,
        )
    except ValueError as exc:
        parser.error(str(exc))
    print(
        f"One LSTM training step (forward + backward), median of {args.repeats} interleaved rounds; "
        f"GFLOP/s from 24*T*B*H*(D+H); matmul = NumPy float32 (T*B, D+H) x (D+H, 4H); "
        f"threads per library: {args.threads or 'default'}."
    )
    print(format_table(results))
    if "numpy" in backends and "torch" in backends:
        worst = max(r["ratio_to_torch"] for r in results if r["backend"] == "numpy")
        print(f"\nslowest NumPy/torch ratio: {worst:.2f} (target: at most 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
