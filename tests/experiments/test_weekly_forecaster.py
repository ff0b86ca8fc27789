"""The cached runs of the copied forecaster (LSTM(50) on 1000-week windows) are honest.

``python -m lstm_tutorial.experiments.weekly_forecaster`` wrote
``resources/part3_weekly_forecaster.json``. These tests check that the file matches the module's
settings and is internally consistent, recompute the baselines exactly (they involve no
training), and re-train the first epochs of seed 0 to compare them with the stored curves.

Tolerance of the recomputation: as in ``test_regularisation.py``, Keras trains in float32 and
the order of its sums depends on the CPU's kernels. The stored losses are rounded to 5
decimals. The first two epochs recomputed on the machine that wrote the file agree with them
to every stored decimal, natively and with oneDNN forced to AVX2 and to SSE4.1 kernels
(``ONEDNN_MAX_CPU_ISA``, see ``scripts/portability.py``), so the test allows that rounding
(``abs=1e-5``) plus ``rel=1e-4`` for CPUs not measured.
"""

from dataclasses import asdict

import numpy as np
import pytest

pytest.importorskip("keras")

from lstm_tutorial.experiments import weekly_forecaster as wf  # noqa: E402


@pytest.fixture(scope="module")
def stored():
    wf.quiet_keras()
    return wf.load()


def test_file_is_consistent(stored):
    cfg = wf.DEFAULT_CONFIG
    assert stored["settings"] == {**asdict(cfg), "seeds": list(cfg.seeds)}
    assert [r["seed"] for r in stored["runs"]] == list(cfg.seeds)
    for r in stored["runs"]:
        assert len(r["loss"]) == len(r["val_loss"]) == r["epochs_run"] <= cfg.epochs
        assert all(np.isfinite(r["loss"])) and all(np.isfinite(r["val_loss"]))
        assert r["best_epoch"] == int(np.argmin(r["val_loss"])) + 1
        # early stopping ends a run `patience` epochs after its best one, or at the budget
        assert r["epochs_run"] == min(r["best_epoch"] + cfg.patience, cfg.epochs)
        assert r["test_rmse_ppm"] > 0


def test_baselines_recomputed_exactly(stored):
    assert wf.baselines() == stored["baselines"]


def test_windows_are_aligned_and_1000_steps_long():
    level, diff = wf.task()
    assert diff.X_train.shape[1:] == (1000, 1) and level.X_test.shape[1:] == (1000, 1)
    assert len(level.X_test) == len(diff.X_test)


@pytest.mark.slow
def test_recompute_first_epochs_of_seed_0(stored):
    epochs = 2
    first = stored["runs"][0]
    fresh = wf.run(0, epochs=epochs)
    assert fresh["epochs_run"] == epochs
    for key in ("loss", "val_loss"):
        assert fresh[key] == pytest.approx(first[key][:epochs], rel=1e-4, abs=1e-5)
