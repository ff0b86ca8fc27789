"""Overfitting and its remedies in Keras: the regularisation study of ``book/part3/keras.ipynb``.

The Keras chapter (``book/part3/keras.ipynb``) shows a model that is too big for its data
overfit, and what dropout on the inputs, dropout on the recurrent state, both together, and
early stopping change. Training five such models for 150 epochs each, from three seeds, takes
minutes, more than the chapter's budget, so this script trains them once and the chapter loads
the curves. ``tests/experiments/test_regularisation.py`` checks the file's consistency and
recomputes the first epochs of the plain run of seed 0 against it.

The task is the chapter's: forecast next month's change of the monthly Mauna Loa CO2 series
(``lstm_tutorial.data.series.load_co2``) from the 24 changes before it, scaled with training
statistics. To make overfitting easy to see, every model trains on only the first
``n_train`` training windows (four years of targets) and is validated on the whole
validation part. Each configuration is trained from every seed of ``seeds``; runs of one seed start
from the same weights and see the same batches, so within a seed the five differ only in the
remedy, and the seeds measure how much of a difference is chance.

``python -m lstm_tutorial.experiments.regularisation`` trains them once (about eight minutes on
2 cores, with progress) and stores ``resources/part3_regularisation.json``; :func:`load` reads it, checked
against :data:`DEFAULT_CONFIG`.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lstm_tutorial import seed_everything  # noqa: E402
from lstm_tutorial.data.series import load_co2, make_forecasting_data  # noqa: E402
from lstm_tutorial.experiments.change_forecast import fit_and_score  # noqa: E402
from lstm_tutorial.experiments.results import load_checked, save_results, versions  # noqa: E402
from lstm_tutorial.frameworks.keras_models import quiet_keras, sequence_regressor  # noqa: E402

__all__ = ["RegularisationConfig", "DEFAULT_CONFIG", "CONFIGS", "RESULTS", "task", "run", "run_all", "load", "main"]

RESULTS = "part3_regularisation"


@dataclass(frozen=True)
class RegularisationConfig:
    """Data, model and budget shared by every run (stored as the results' ``settings``)."""

    input_len: int = 24  # months the model reads
    n_train: int = 48  # training windows kept: a deliberately small training set
    units: int = 128  # a deliberately big model for 48 examples
    epochs: int = 150
    batch_size: int = 16
    learning_rate: float = 3e-3
    patience: int = 20  # early stopping: epochs without a better validation loss
    drop_rate: float = 0.3  # dropout and recurrent dropout
    seeds: tuple[int, ...] = (0, 1, 2)


DEFAULT_CONFIG = RegularisationConfig()
_D = DEFAULT_CONFIG.drop_rate

#: One configuration per run: ``dropout`` acts on the LSTM's inputs x_t, ``recurrent_dropout``
#: on its recurrent state h_{t-1}; early stopping is applied to the plain model.
CONFIGS = {
    "plain": {"dropout": 0.0, "recurrent_dropout": 0.0, "early_stopping": False},
    "dropout": {"dropout": _D, "recurrent_dropout": 0.0, "early_stopping": False},
    "recurrent_dropout": {"dropout": 0.0, "recurrent_dropout": _D, "early_stopping": False},
    "both": {"dropout": _D, "recurrent_dropout": _D, "early_stopping": False},
    "early_stopping": {"dropout": 0.0, "recurrent_dropout": 0.0, "early_stopping": True},
}


def task(config: RegularisationConfig = DEFAULT_CONFIG):
    """``(level, diff)``: forecasting data for the CO2 levels and for their monthly changes."""
    values = load_co2().values
    level = make_forecasting_data(values, config.input_len, 1)
    diff = make_forecasting_data(np.diff(values), config.input_len, 1)
    return level, diff


def run(name: str, seed: int = 0, epochs: int | None = None, config: RegularisationConfig = DEFAULT_CONFIG) -> dict:
    """Train configuration ``name`` from ``seed``; return its history and test error in ppm.

    ``loss``/``val_loss`` are per-epoch MSEs on scaled changes (rounded to 5 decimals);
    ``best_epoch`` is the 1-based epoch of the lowest validation loss; ``test_rmse_ppm`` is
    the RMSE of ``last value + predicted change`` on the test months, with the weights at the
    end of training (for early stopping: the restored weights of ``best_epoch``).
    """
    if name not in CONFIGS:
        raise ValueError(f"name must be one of {list(CONFIGS)}, got {name!r}")
    cfg = CONFIGS[name]
    epochs = config.epochs if epochs is None else epochs
    level, diff = task(config)
    seed_everything(seed)
    model = sequence_regressor(
        (config.input_len, 1),
        config.units,
        dropout=cfg["dropout"],
        recurrent_dropout=cfg["recurrent_dropout"],
        learning_rate=config.learning_rate,
    )
    callbacks = []
    if cfg["early_stopping"]:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
        )
    scores = fit_and_score(
        model, level, diff, epochs=epochs, batch_size=config.batch_size, callbacks=callbacks, n_train=config.n_train
    )
    return {"config": cfg, "seed": seed, **scores}


def run_all(config: RegularisationConfig = DEFAULT_CONFIG) -> dict:
    """Every configuration of :data:`CONFIGS` from every seed, JSON-ready, with progress on stderr.

    ``runs[name]`` is the list of that configuration's runs, one per seed in ``config.seeds``.
    """
    quiet_keras()
    t0 = time.perf_counter()
    runs = {name: [] for name in CONFIGS}
    for seed in config.seeds:
        for name in CONFIGS:
            runs[name].append(r := run(name, seed=seed, config=config))
            print(
                f"seed {seed} {name:18s} epochs={r['epochs_run']:3d}  best epoch={r['best_epoch']:3d}  "
                f"min val={min(r['val_loss']):.4f}  test RMSE={r['test_rmse_ppm']:.3f} ppm  "
                f"({time.perf_counter() - t0:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    return {
        "description": "Next-month change of monthly Mauna Loa CO2 from the 24 changes before it; "
        f"LSTM({config.units}) + Dense(1) trained on the first {config.n_train} training windows "
        "only, validated on the whole validation part; losses are MSE on scaled changes.",
        "settings": asdict(config),
        "runs": runs,
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
    }


def load() -> dict:
    """The stored runs, checked against :data:`DEFAULT_CONFIG`."""
    return load_checked(RESULTS, DEFAULT_CONFIG, key="settings", made_by="lstm_tutorial.experiments.regularisation")


def main(argv=None) -> int:
    path = save_results(RESULTS, run_all())
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
