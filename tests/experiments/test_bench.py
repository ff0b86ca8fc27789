"""The benchmark harness runs and reports a well-formed table (timings are not asserted)."""

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
