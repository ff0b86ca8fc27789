"""What truncated BPTT can learn: the echo task against the truncation length (Part II, bptt).

An LSTM reads a stream of random bits and must output, at every step, the bit ``delay`` steps
back (:func:`lstm_tutorial.data.tasks.echo_streams`). Trained with :func:`lstm_tutorial.engine.training.fit_tbptt`
in chunks of ``K`` steps, it can only learn the echo when ``K > delay``: otherwise no gradient
from a target ever reaches the input it should copy.

Where it cannot learn, training wanders: the same seed ends at test accuracy 0.45 on one CPU and
0.66 on another, even in float64. So :func:`run` trains every chunk length over several seeds
once, ``python -m lstm_tutorial.experiments.tbptt_echo`` stores them in ``resources/part2_tbptt_echo.json``,
and the chapter prints that file and asserts the claim on a live run.
``tests/experiments/test_tbptt_echo.py`` recomputes the runs whose outcome does not wander.

Measured over the ten seeds (x86-64 with AVX-512, float64): chunks shorter than or equal to the
delay end between 0.49 and 0.73 (chance is 0.5), chunks longer than it between 0.994 and 1.0.
The claims hold the two groups apart at 0.80 and 0.95.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from lstm_tutorial.data.tasks import echo_streams
from lstm_tutorial.experiments.results import load_checked, script_main, versions

__all__ = ["RESULTS", "EchoConfig", "DEFAULT_CONFIG", "data", "train_one", "run", "load", "main"]

RESULTS = "part2_tbptt_echo"


@dataclass(frozen=True)
class EchoConfig:
    """Task, model and budget (every field is stored with the results)."""

    delay: int = 4  # the target is the bit this many steps back
    n_train: int = 32  # training streams, read in parallel
    T_train: int = 600  # steps per training stream
    n_test: int = 64
    T_test: int = 200
    hidden_size: int = 16
    lr: float = 1e-2  # Adam
    epochs: int = 6  # passes over the streams; one Adam step per chunk
    clip: float = 1.0
    chunks: tuple[int, ...] = (2, 4, 5, 8)
    seeds: tuple[int, ...] = tuple(range(10))  # model initialisation; the streams are fixed
    train_seed: int = 1
    test_seed: int = 2


DEFAULT_CONFIG = EchoConfig()


def data(config: EchoConfig = DEFAULT_CONFIG):
    """``(x_train, y_train, x_test, y_test)`` from :func:`~lstm_tutorial.data.tasks.echo_streams`."""
    return (
        *echo_streams(config.n_train, config.T_train, config.delay, seed=config.train_seed),
        *echo_streams(config.n_test, config.T_test, config.delay, seed=config.test_seed),
    )


def train_one(K: int, seed: int, config: EchoConfig = DEFAULT_CONFIG) -> dict:
    """Train an LSTM (float64) with truncated BPTT in chunks of ``K``; returns its test accuracy.

    Accuracy counts the steps from ``delay`` on, where a source bit exists. Returns
    ``{"K", "seed", "test_accuracy", "final_loss"}`` and the trained ``"model"``.
    """
    from lstm_tutorial.engine.model import SequenceModel
    from lstm_tutorial.engine.optim import Adam
    from lstm_tutorial.engine.training import fit_tbptt

    x_train, y_train, x_test, y_test = data(config)
    model = SequenceModel("lstm", 1, config.hidden_size, 2, many_to_one=False, loss="xent", seed=seed, dtype=np.float64)
    history = fit_tbptt(
        model,
        x_train,
        y_train,
        chunk=K,
        optimizer=Adam(lr=config.lr),
        epochs=config.epochs,
        clip=config.clip,
        progress=False,
    )
    pred = model.predict(x_test).argmax(axis=-1)
    d = config.delay
    return {
        "K": K,
        "seed": seed,
        "test_accuracy": float(np.mean(pred[:, d:] == y_test[:, d:])),
        "final_loss": float(history["epoch_loss"][-1]),
        "model": model,
    }


def run(config: EchoConfig = DEFAULT_CONFIG, *, progress: bool = True) -> dict:
    """Every chunk length and seed of ``config``; JSON-ready."""
    runs = []
    for K in config.chunks:
        for seed in config.seeds:
            t0 = time.perf_counter()
            r = train_one(K, seed, config)
            r.pop("model")
            runs.append(r)
            if progress:
                print(
                    f"  K = {K}, seed {seed}: test accuracy {r['test_accuracy']:.3f} "
                    f"({time.perf_counter() - t0:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    return {"config": asdict(config), "runs": runs, "versions": versions()}


def load() -> dict:
    """The stored results, checked against :data:`DEFAULT_CONFIG`."""
    return load_checked(RESULTS, DEFAULT_CONFIG, made_by="lstm_tutorial.experiments.tbptt_echo")


def main(argv=None) -> int:
    return script_main(
        RESULTS, run, description="Train the echo task under truncated BPTT; store the results.", argv=argv
    )


if __name__ == "__main__":
    sys.exit(main())
