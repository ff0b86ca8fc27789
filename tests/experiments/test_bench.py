"""The benchmark harness runs and reports a well-formed table (timings are not asserted)."""

import numpy as np
import pytest

from lstm_tutorial import repro
from lstm_tutorial.experiments import bench


def test_run_benchmark_returns_tidy_rows_and_a_table(capsys):
    results = bench.run_benchmark(("reference", "numpy", "torch"), [(2, 3, 4, 5)], repeats=2, warmup=1)
    assert [r["backend"] for r in results] == ["reference", "numpy", "torch"]
    for r in results:
        assert set(r) == {
            "B",
            "T",
            "D",
            "H",
            "backend",
            "seconds",
            "best_seconds",
            "gflops",
            "ratio_to_torch",
            "matmul_gflops",
        }
        assert (r["B"], r["T"], r["D"], r["H"]) == (2, 3, 4, 5)
        assert r["seconds"] > 0 and r["gflops"] > 0 and r["matmul_gflops"] > 0
    assert results[2]["ratio_to_torch"] == 1.0
    lines = bench.format_table(results).splitlines()
    assert "backend" in lines[0] and "x torch" in lines[0] and len(lines) == 5

    assert bench.main(["--backends", "numpy,torch", "--shapes", "2,3,4,5", "--repeats", "1", "--warmup", "0"]) == 0
    out = capsys.readouterr().out
    assert "(2, 3, 4, 5)" in out and "numpy" in out and "ratio" in out


def test_flops_formula_and_bad_arguments():
    assert bench.lstm_step_flops(32, 100, 64, 128) == 24 * 100 * 32 * 128 * 192
    with pytest.raises(ValueError, match="unknown backends"):
        bench.run_benchmark(("jax",), [(1, 1, 1, 1)])
    with pytest.raises(SystemExit):
        bench.main(["--shapes", "1,2,3"])


def test_thread_settings_report_what_limit_threads_set():
    import torch

    before = bench.thread_settings()
    with repro.limit_threads(1):
        inside = bench.thread_settings()
        assert inside["numpy"] == 1 and inside["torch"] == 1
    assert bench.thread_settings() == before
    with repro.limit_threads(None):
        assert bench.thread_settings() == before
    assert torch.get_num_threads() == before["torch"]


def test_matmul_gflops_times_every_library_and_refuses_others():
    torch = pytest.importorskip("torch")
    libraries = [lib for lib in bench.MATMUL_LIBRARIES if lib != "onednn" or torch.backends.mkldnn.is_available()]
    assert "onednn" in libraries or not torch.backends.mkldnn.is_available()
    for lib in libraries:
        rate = bench.matmul_gflops(64, 48, 32, min_time=0.0, library=lib)
        assert np.isfinite(rate) and rate > 0, lib
    with pytest.raises(ValueError, match="library must be one of"):
        bench.matmul_gflops(8, 8, 8, library="cublas")


def test_each_library_computes_the_product_it_times():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 7), dtype=np.float32), rng.standard_normal((7, 3), dtype=np.float32)
    for lib in bench.MATMUL_LIBRARIES:
        if lib == "onednn" and not torch.backends.mkldnn.is_available():
            continue
        out = bench._matmul(a, b, lib)()
        out = out.to_dense().numpy() if lib == "onednn" else np.asarray(out)
        np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-5, err_msg=lib)
