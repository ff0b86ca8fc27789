"""Write ``lstm_tutorial/resources/part3_regularisation.json``: overfitting and its remedies.

The Keras chapter (``book/part3/keras.ipynb``) shows a model that is too big for its data
overfit, and what dropout on the inputs, dropout on the recurrent state, both together, and
early stopping change. Training five such models for 150 epochs each takes minutes, more
than the chapter's budget, so this script trains them once and the chapter loads the curves.
``tests/test_part3_results.py`` checks the file's consistency and recomputes the first
epochs of the plain run against it.

The task is the chapter's: forecast next month's change of the monthly Mauna Loa CO2 series
(``lstm_tutorial.data.load_co2``) from the 24 changes before it, scaled with training
statistics. To make overfitting easy to see, every model trains on only the first
``N_TRAIN`` training windows (four years of targets) and is validated on the whole
validation part. Every run starts from seed 0, so all five start from the same weights.

Usage (about three minutes on a 2-core CPU)::

    python scripts/make_part3_results.py
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from lstm_tutorial import seed_everything  # noqa: E402
from lstm_tutorial.data import forecast_errors, load_co2, make_forecasting_data, naive_forecast  # noqa: E402
from lstm_tutorial.keras_models import quiet_keras, sequence_regressor  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "lstm_tutorial" / "resources" / "part3_regularisation.json"

INPUT_LEN = 24      # months the model reads
N_TRAIN = 48        # training windows kept: a deliberately small training set
UNITS = 128         # a deliberately big model for 48 examples
EPOCHS = 150
BATCH = 16
LEARNING_RATE = 3e-3
PATIENCE = 20

DROP = 0.3

#: One configuration per run: ``dropout`` acts on the LSTM's inputs x_t, ``recurrent_dropout``
#: on its recurrent state h_{t-1}; early stopping is applied to the plain model.
CONFIGS = {
    "plain": {"dropout": 0.0, "recurrent_dropout": 0.0, "early_stopping": False},
    "dropout": {"dropout": DROP, "recurrent_dropout": 0.0, "early_stopping": False},
    "recurrent_dropout": {"dropout": 0.0, "recurrent_dropout": DROP, "early_stopping": False},
    "both": {"dropout": DROP, "recurrent_dropout": DROP, "early_stopping": False},
    "early_stopping": {"dropout": 0.0, "recurrent_dropout": 0.0, "early_stopping": True},
}


def task():
    """``(level, diff)``: forecasting data for the CO2 levels and for their monthly changes."""
    values = load_co2().values
    level = make_forecasting_data(values, INPUT_LEN, 1)
    diff = make_forecasting_data(np.diff(values), INPUT_LEN, 1)
    return level, diff


def run(name: str, epochs: int = EPOCHS) -> dict:
    """Train configuration ``name`` from seed 0; return its history and test error in ppm.

    ``loss``/``val_loss`` are per-epoch MSEs on scaled changes (rounded to 5 decimals);
    ``best_epoch`` is the 1-based epoch of the lowest validation loss; ``test_rmse_ppm`` is
    the RMSE of ``last value + predicted change`` on the test months, with the weights at the
    end of training (for early stopping: the restored weights of ``best_epoch``).
    """
    cfg = CONFIGS[name]
    level, diff = task()
    seed_everything(0)
    model = sequence_regressor((INPUT_LEN, 1), UNITS, dropout=cfg["dropout"],
                               recurrent_dropout=cfg["recurrent_dropout"], learning_rate=LEARNING_RATE)
    callbacks = []
    if cfg["early_stopping"]:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE,
                                                       restore_best_weights=True))
    hist = model.fit(diff.X_train[:N_TRAIN], diff.y_train[:N_TRAIN], epochs=epochs, batch_size=BATCH,
                     validation_data=(diff.X_val, diff.y_val), callbacks=callbacks, verbose=0)
    change = diff.scaler.inverse_transform(model.predict(diff.X_test, verbose=0))
    last = level.scaler.inverse_transform(naive_forecast(level.X_test))
    y = level.scaler.inverse_transform(level.y_test)
    val_loss = [round(float(v), 5) for v in hist.history["val_loss"]]
    return {
        "config": cfg,
        "loss": [round(float(v), 5) for v in hist.history["loss"]],
        "val_loss": val_loss,
        "epochs_run": len(val_loss),
        "best_epoch": int(np.argmin(val_loss)) + 1,
        "test_rmse_ppm": round(forecast_errors(y, last + change)["rmse"], 4),
    }


def main() -> None:
    quiet_keras()
    t0 = time.perf_counter()
    runs = {}
    for name in CONFIGS:
        runs[name] = run(name)
        r = runs[name]
        print(f"{name:18s} epochs={r['epochs_run']:3d}  best epoch={r['best_epoch']:3d}  min val={min(r['val_loss']):.4f}  "
              f"test RMSE={r['test_rmse_ppm']:.3f} ppm", flush=True)
    result = {
        "description": "Next-month change of monthly Mauna Loa CO2 from the 24 changes before it; "
                       f"LSTM({UNITS}) + Dense(1) trained on the first {N_TRAIN} training windows only, "
                       "validated on the whole validation part; losses are MSE on scaled changes.",
        "settings": {"input_len": INPUT_LEN, "n_train": N_TRAIN, "units": UNITS, "epochs": EPOCHS,
                     "batch_size": BATCH, "learning_rate": LEARNING_RATE, "patience": PATIENCE,
                     "drop_rate": DROP},
        "runs": runs,
        "versions": {"keras": keras.__version__, "tensorflow": tf.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
    }
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
