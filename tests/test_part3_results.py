"""The cached regularisation runs of book/part3/keras.ipynb are honest.

``scripts/make_part3_results.py`` wrote ``lstm_tutorial/resources/part3_regularisation.json``
(five runs of 150 epochs, about three minutes). These tests check that the file matches the
script's settings and is internally consistent, and re-train the first epochs of the plain
run to compare them with the stored curves.

Tolerance of the recomputation: Keras trains in float32 and the order of floating-point sums
can differ between CPUs and oneDNN kernels. On the machine that wrote the file, the first three
epochs recomputed agree with the stored values to all 5 stored decimals, both with oneDNN on
(the default) and with ``TF_ENABLE_ONEDNN_OPTS=0``; the stored values are rounded to 5 decimals,
so the test allows that rounding (``abs=1e-5``) plus ``rel=1e-4`` for other CPUs. Differences
grow with training (the runs are chaotic), which is why only early epochs are compared and why
the chapter pins its claims with assertions on the curves rather than on long decimals.
"""

import importlib.util
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_part3_results.py"


@pytest.fixture(scope="module")
def script():
    """The generating script as a module (imports Keras, a few seconds)."""
    spec = importlib.util.spec_from_file_location("make_part3_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.quiet_keras()
    return module


def _load():
    path = resources.files("lstm_tutorial") / "resources" / "part3_regularisation.json"
    return json.loads(path.read_text())


def test_file_is_consistent(script):
    stored = _load()
    assert stored["settings"] == {
        "input_len": script.INPUT_LEN, "n_train": script.N_TRAIN, "units": script.UNITS,
        "epochs": script.EPOCHS, "batch_size": script.BATCH, "learning_rate": script.LEARNING_RATE,
        "patience": script.PATIENCE, "drop_rate": script.DROP,
    }
    runs = stored["runs"]
    assert list(runs) == list(script.CONFIGS) == ["plain", "dropout", "recurrent_dropout", "both",
                                                  "early_stopping"]
    for name, r in runs.items():
        assert r["config"] == script.CONFIGS[name]
        assert len(r["loss"]) == len(r["val_loss"]) == r["epochs_run"]
        assert all(np.isfinite(r["loss"])) and all(np.isfinite(r["val_loss"]))
        assert r["best_epoch"] == int(np.argmin(r["val_loss"])) + 1
        assert r["test_rmse_ppm"] > 0
        if r["config"]["early_stopping"]:
            # stopped exactly `patience` epochs after the best one, before the epoch budget
            assert r["epochs_run"] == r["best_epoch"] + script.PATIENCE < script.EPOCHS
        else:
            assert r["epochs_run"] == script.EPOCHS
    # the same seed and settings: early stopping follows the plain run until it stops
    early, plain = runs["early_stopping"], runs["plain"]
    n = early["epochs_run"]
    assert early["loss"] == plain["loss"][:n] and early["val_loss"] == plain["val_loss"][:n]


@pytest.mark.slow
def test_recompute_first_epochs_of_plain_run(script):
    epochs = 3
    stored = _load()["runs"]["plain"]
    fresh = script.run("plain", epochs=epochs)
    assert fresh["epochs_run"] == epochs
    for key in ("loss", "val_loss"):
        assert fresh[key] == pytest.approx(stored[key][:epochs], rel=1e-4, abs=1e-5)
