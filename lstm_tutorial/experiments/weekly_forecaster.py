"""The copied Keras forecaster trained as written: ``LSTM(50)`` + ``Dense(1)`` on 1000-step windows.

The snippet that tutorials copy builds ``LSTM(50, input_shape=(1000, 1))`` and a ``Dense(1)``
head. The Keras chapter (``book/part3/keras.ipynb``) forecasts the monthly CO2 series, whose
526 months hold no window of 1000 steps; the weekly record it is averaged from
(:func:`lstm_tutorial.data.series.load_co2_weekly`, 2,284 weeks) does. This module trains the
snippet's model on it: read the last 1000 weekly changes, predict next week's change, and
forecast next week's level as the last level plus that change, the chapter's remedy for a
trend the training part never reaches. The same naive baselines as the chapter's stand next
to it: the last value, the value 52 weeks before, and the last value plus the change of the
same week a year before.

Three seeds of up to 40 epochs at about 5 s an epoch are more than a chapter's budget, so
``python -m lstm_tutorial.experiments.weekly_forecaster`` trains them once (about five minutes
on 2 cores, with progress) and stores ``resources/part3_weekly_forecaster.json``; :func:`load`
reads it, checked against :data:`DEFAULT_CONFIG`. ``tests/experiments/test_weekly_forecaster.py``
checks the file and recomputes the first epochs of seed 0.
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
from lstm_tutorial.data.baselines import forecast_errors, naive_forecast, seasonal_naive_forecast  # noqa: E402
from lstm_tutorial.data.series import load_co2_weekly, make_forecasting_data  # noqa: E402
from lstm_tutorial.experiments.change_forecast import fit_and_score  # noqa: E402
from lstm_tutorial.experiments.results import load_results, save_results, versions  # noqa: E402
from lstm_tutorial.frameworks.keras_models import quiet_keras, sequence_regressor  # noqa: E402

__all__ = ["WeeklyConfig", "DEFAULT_CONFIG", "RESULTS", "task", "baselines", "run", "run_all", "load", "main"]

RESULTS = "part3_weekly_forecaster"


@dataclass(frozen=True)
class WeeklyConfig:
    """The snippet's model and the training budget (stored as the results' ``settings``)."""

    input_len: int = 1000  # weeks the model reads, as in the snippet
    units: int = 50  # LSTM(50), as in the snippet
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 1e-3  # Adam's default, which the snippet's compile(optimizer="adam") uses
    patience: int = 8  # early stopping on the validation loss, best weights restored
    period: int = 52  # weeks in the seasonal baselines
    seeds: tuple[int, ...] = (0, 1, 2)


DEFAULT_CONFIG = WeeklyConfig()


def task(config: WeeklyConfig = DEFAULT_CONFIG):
    """``(level, diff)``: 1000-week windows of the weekly levels and of their weekly changes.

    Both are split 70/15/15 in time order and scaled with training statistics; the check below
    makes sure that window ``n`` of ``diff`` forecasts the change into target ``n`` of ``level``.
    """
    values = load_co2_weekly().values
    level = make_forecasting_data(values, config.input_len, 1)
    diff = make_forecasting_data(np.diff(values), config.input_len, 1)
    last = level.scaler.inverse_transform(naive_forecast(level.X_test))
    y = level.scaler.inverse_transform(level.y_test)
    if last.shape != y.shape or not np.allclose(last + diff.scaler.inverse_transform(diff.y_test), y):
        raise RuntimeError("the level and change windows of the test part are not aligned")
    return level, diff


def baselines(config: WeeklyConfig = DEFAULT_CONFIG) -> dict:
    """Test RMSE in ppm of the three naive forecasts of next week's level, and the part sizes."""
    level, diff = task(config)
    inv = level.scaler.inverse_transform
    y = inv(level.y_test)
    last = inv(naive_forecast(level.X_test))
    forecasts = {
        "last_value": last,
        "seasonal_naive": inv(seasonal_naive_forecast(level.X_test, 1, config.period)),
        "seasonal_naive_change": last
        + diff.scaler.inverse_transform(seasonal_naive_forecast(diff.X_test, 1, config.period)),
    }
    return {
        "windows": {"train": len(diff.X_train), "val": len(diff.X_val), "test": len(diff.X_test)},
        "test_rmse_ppm": {k: round(forecast_errors(y, f)["rmse"], 4) for k, f in forecasts.items()},
    }


def run(seed: int, epochs: int | None = None, config: WeeklyConfig = DEFAULT_CONFIG) -> dict:
    """Train the snippet's model from ``seed``; its curves and its test RMSE in ppm.

    ``loss``/``val_loss`` are per-epoch MSEs on scaled weekly changes (rounded to 5 decimals);
    ``best_epoch`` is the 1-based epoch of the lowest validation loss, whose weights early
    stopping restores; ``test_rmse_ppm`` is the RMSE of ``last level + predicted change``.
    """
    epochs = config.epochs if epochs is None else epochs
    level, diff = task(config)
    seed_everything(seed)
    model = sequence_regressor((config.input_len, 1), config.units, learning_rate=config.learning_rate)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
    scores = fit_and_score(model, level, diff, epochs=epochs, batch_size=config.batch_size, callbacks=[stop])
    return {"seed": seed, **scores}


def run_all(config: WeeklyConfig = DEFAULT_CONFIG) -> dict:
    """The baselines and one run per seed, JSON-ready, with progress on stderr."""
    quiet_keras()
    t0 = time.perf_counter()
    base = baselines(config)
    print(f"baselines: {base}", file=sys.stderr, flush=True)
    runs = []
    for seed in config.seeds:
        runs.append(r := run(seed, config=config))
        print(
            f"seed {seed}: epochs={r['epochs_run']:2d}  best epoch={r['best_epoch']:2d}  "
            f"min val={min(r['val_loss']):.4f}  test RMSE={r['test_rmse_ppm']:.3f} ppm  "
            f"({time.perf_counter() - t0:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    return {
        "description": "Next week's CO2 level at Mauna Loa as the last level plus a predicted weekly change; "
        f"LSTM({config.units}) + Dense(1) reading the last {config.input_len} weekly changes, as the copied "
        "snippet builds it; losses are MSE on scaled changes; RMSE in ppm on the test part.",
        "settings": asdict(config),
        "baselines": base,
        "runs": runs,
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
    }


def load() -> dict:
    """The stored runs, checked against :data:`DEFAULT_CONFIG`."""
    results = load_results(RESULTS, made_by="lstm_tutorial.experiments.weekly_forecaster")
    settings = {**results["settings"], "seeds": tuple(results["settings"]["seeds"])}
    if WeeklyConfig(**settings) != DEFAULT_CONFIG:
        raise ValueError(
            f"{RESULTS}.json was made with other settings ({results['settings']}); rerun "
            "python -m lstm_tutorial.experiments.weekly_forecaster"
        )
    return results


def main(argv=None) -> int:
    path = save_results(RESULTS, run_all())
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
