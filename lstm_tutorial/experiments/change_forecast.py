"""Fit a Keras model that forecasts the next *change* of a series, and score it as a forecast of the *level*.

The Keras chapter's remedy for a trend that the training part never reaches: predict the next
change from a window of changes, and forecast the next level as the last level plus that
change. :func:`fit_and_score` is that loop once, shared by the experiments that train such a
model (:mod:`~lstm_tutorial.experiments.regularisation`,
:mod:`~lstm_tutorial.experiments.weekly_forecaster`): ``model.fit`` on the change windows, then
the test RMSE in the series' own units against the true levels.
"""

from __future__ import annotations

import numpy as np

from lstm_tutorial.data.baselines import forecast_errors, naive_forecast

__all__ = ["fit_and_score"]


def fit_and_score(
    model, level, diff, *, epochs: int, batch_size: int, callbacks=(), n_train: int | None = None
) -> dict:
    """Train ``model`` on ``diff``'s windows and score ``last level + predicted change``.

    Args:
        model: a compiled Keras model mapping a window of scaled changes to the next one.
        level, diff: the :func:`lstm_tutorial.data.series.make_forecasting_data` splits of the
            levels and of their changes, windows aligned (the same targets, one step apart).
        epochs, batch_size, callbacks: passed to ``model.fit`` (with ``diff``'s validation split).
        n_train: train on the first ``n_train`` windows only (all when ``None``).

    Returns:
        ``loss`` and ``val_loss`` per epoch (scaled MSE, rounded to 5 decimals), ``epochs_run``,
        ``best_epoch`` (1-based, lowest validation loss) and ``test_rmse_ppm`` (rounded to 4).
    """
    n = len(diff.X_train) if n_train is None else n_train
    hist = model.fit(
        diff.X_train[:n],
        diff.y_train[:n],
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(diff.X_val, diff.y_val),
        callbacks=list(callbacks),
        verbose=0,
    )
    change = diff.scaler.inverse_transform(model.predict(diff.X_test, verbose=0))
    last = level.scaler.inverse_transform(naive_forecast(level.X_test))
    y = level.scaler.inverse_transform(level.y_test)
    val_loss = [round(float(v), 5) for v in hist.history["val_loss"]]
    return {
        "loss": [round(float(v), 5) for v in hist.history["loss"]],
        "val_loss": val_loss,
        "epochs_run": len(val_loss),
        "best_epoch": int(np.argmin(val_loss)) + 1,
        "test_rmse_ppm": round(forecast_errors(y, last + change)["rmse"], 4),
    }
