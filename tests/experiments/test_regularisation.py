"""The cached regularisation runs of book/part3/keras.ipynb are honest.

``python -m lstm_tutorial.experiments.regularisation`` wrote ``resources/part3_regularisation.json``
(five configurations of 150 epochs from three seeds each, about eight minutes). These tests check
that the file matches the module's settings and is internally consistent, and re-train the
first epochs of the plain run of seed 0 to compare them with the stored curves.

Tolerance of the recomputation: Keras trains in float32 and the order of floating-point sums
can differ between CPUs and oneDNN kernels. On the machine that wrote the file, the first three
epochs recomputed agree with the stored values to all 5 stored decimals, both with oneDNN on
(the default) and with ``TF_ENABLE_ONEDNN_OPTS=0``; the stored values are rounded to 5 decimals,
so the test allows that rounding (``abs=1e-5``) plus ``rel=1e-4`` for other CPUs. Differences
grow with training (the runs are chaotic), which is why only early epochs are compared and why
the chapter pins its claims with assertions on the curves rather than on long decimals.
"""

from dataclasses import asdict

import numpy as np
import pytest

pytest.importorskip("keras")

from lstm_tutorial.experiments import regularisation as reg  # noqa: E402


@pytest.fixture(scope="module")
def stored():
    reg.quiet_keras()
    return reg.load()


def test_file_is_consistent(stored):
    cfg = reg.DEFAULT_CONFIG
    assert stored["settings"] == {**asdict(cfg), "seeds": list(cfg.seeds)}
    runs = stored["runs"]
    assert list(runs) == list(reg.CONFIGS) == ["plain", "dropout", "recurrent_dropout", "both", "early_stopping"]
    for name, seed_runs in runs.items():
        assert [r["seed"] for r in seed_runs] == list(cfg.seeds)
        for r in seed_runs:
            assert r["config"] == reg.CONFIGS[name]
            assert len(r["loss"]) == len(r["val_loss"]) == r["epochs_run"]
            assert all(np.isfinite(r["loss"])) and all(np.isfinite(r["val_loss"]))
            assert r["best_epoch"] == int(np.argmin(r["val_loss"])) + 1
            assert r["test_rmse_ppm"] > 0
            if r["config"]["early_stopping"]:
                # stopped exactly `patience` epochs after the best one, before the epoch budget
                assert r["epochs_run"] == r["best_epoch"] + cfg.patience < cfg.epochs
            else:
                assert r["epochs_run"] == cfg.epochs
    # the same seed and settings: early stopping follows the plain run until it stops
    for early, plain in zip(runs["early_stopping"], runs["plain"]):
        n = early["epochs_run"]
        assert early["loss"] == plain["loss"][:n] and early["val_loss"] == plain["val_loss"][:n]
    # different seeds are different runs
    assert len({tuple(r["loss"]) for r in runs["plain"]}) == len(cfg.seeds)


def test_unknown_configuration_is_named():
    with pytest.raises(ValueError, match="name must be one of"):
        reg.run("weight_decay")


@pytest.mark.slow
def test_recompute_first_epochs_of_plain_run(stored):
    epochs = 3
    plain = stored["runs"]["plain"][0]
    fresh = reg.run("plain", seed=0, epochs=epochs)
    assert fresh["epochs_run"] == epochs and fresh["seed"] == 0
    for key in ("loss", "val_loss"):
        assert fresh[key] == pytest.approx(plain[key][:epochs], rel=1e-4, abs=1e-5)
