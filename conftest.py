"""Project-wide pytest configuration.

- nbval must not compare stderr: TensorFlow writes C++ log lines straight to the process's
  stderr, which Jupyter captures when a notebook is saved but nbval does not see on a re-run.
  The site hides stderr too (``nb_output_stderr: remove``), so no reader-facing output is lost.
- A code cell may declare a numeric tolerance in its metadata (``"tolerance": {"abs": ..,
  "rel": .., "why": ".."}``). Its outputs are then compared number by number: the text
  around the numbers must match exactly, and each number must lie within ``abs + rel * |stored|``
  of the stored one. This is only for values that no rounding keeps exact on every CPU (the size
  of a rounding error, say); ``why`` gives the spread measured across kernel configurations
  (``scripts/portability.py compare``). Every other cell is compared exactly.
- At the end of a run, report how many notebook code cells had their outputs compared, and how
  many of those with a declared tolerance.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import re

import pytest

from lstm_tutorial.repro import NOTEBOOK_ENV

# Notebook kernels inherit this process's environment: the same one `make notebooks` uses.
os.environ.update(NOTEBOOK_ENV)

_NBVAL_COUNTS = {"cells": 0, "compared": 0, "ignored": 0, "skipped": 0, "tolerance": 0}
# Seconds each notebook took under nbval (kernel start and every cell), for the chapter budget.
_NOTEBOOK_SECONDS: dict[str, float] = {}
CHAPTER_BUDGET_S = 90

# A decimal number as Python prints it: 3, -0.25, 1.5e-07, .5, 2E+03.
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def cell_tolerance(cell) -> dict | None:
    """The ``tolerance`` a code cell declares in its metadata, checked; ``None`` if it declares none."""
    tol = cell.get("metadata", {}).get("tolerance")
    if tol is None:
        return None
    if not isinstance(tol, dict) or set(tol) - {"abs", "rel", "why"} or not ({"abs", "rel"} & set(tol)):
        raise ValueError(f"a cell's tolerance must be a dict with 'abs' and/or 'rel' and a 'why', got {tol!r}")
    for key in ("abs", "rel"):
        value = tol.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise ValueError(f"tolerance[{key!r}] must be a non-negative number, got {value!r}")
    if not isinstance(tol.get("why"), str) or not tol["why"].strip():
        raise ValueError("a tolerance needs a 'why': the spread measured across CPUs that justifies it")
    return tol


def align_numbers(stored: str, fresh: str, *, atol: float = 0.0, rtol: float = 0.0) -> str:
    """``fresh`` with each number replaced by the stored one where the two agree within tolerance.

    The text around the numbers is left alone, so a later exact comparison passes exactly when
    the texts differ only in numbers that lie within ``atol + rtol * |stored number|``. If the
    texts hold different numbers of numbers, ``fresh`` comes back unchanged.
    """
    a, b = NUMBER.findall(stored), NUMBER.findall(fresh)
    if len(a) != len(b):
        return fresh
    values = iter(a)

    def swap(match):
        s = next(values)
        x, y = float(s), float(match.group(0))
        return s if math.fabs(x - y) <= atol + rtol * math.fabs(x) else match.group(0)

    return NUMBER.sub(swap, fresh)


def _compare_with_tolerance(item, original, tol, test, ref, skip_compare=None):
    aligned = []
    for k, out in enumerate(test):
        stored = ref[k] if k < len(ref) else None
        out = copy.deepcopy(out)  # a NotebookNode: nbval reads its fields as attributes
        if (
            stored is not None
            and out.get("output_type") == stored.get("output_type") == "stream"
            and out.get("name") == stored.get("name")
        ):
            out["text"] = align_numbers(stored["text"], out["text"], atol=tol.get("abs", 0.0), rtol=tol.get("rel", 0.0))
        elif stored is not None and "text/plain" in out.get("data", {}) and "text/plain" in stored.get("data", {}):
            out["data"]["text/plain"] = align_numbers(
                stored["data"]["text/plain"],
                out["data"]["text/plain"],
                atol=tol.get("abs", 0.0),
                rtol=tol.get("rel", 0.0),
            )
        aligned.append(out)
    return original(aligned, ref, skip_compare)


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare = (*collector.skip_compare, "stderr")


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        options = getattr(item, "options", None)
        if options is None or not str(item.fspath).endswith(".ipynb"):
            continue
        _NBVAL_COUNTS["cells"] += 1
        if options["skip"]:
            _NBVAL_COUNTS["skipped"] += 1
        elif options["check"] and item.cell.execution_count is not None:
            _NBVAL_COUNTS["compared"] += 1
            tol = cell_tolerance(item.cell)
            if tol is not None:
                _NBVAL_COUNTS["tolerance"] += 1
                item.compare_outputs = functools.partial(_compare_with_tolerance, item, item.compare_outputs, tol)
        else:
            _NBVAL_COUNTS["ignored"] += 1


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _NOTEBOOK_SECONDS[path] = _NOTEBOOK_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _NOTEBOOK_SECONDS:
        times = sorted(_NOTEBOOK_SECONDS.items(), key=lambda kv: -kv[1])
        over = sum(seconds > CHAPTER_BUDGET_S for _, seconds in times)
        terminalreporter.write_sep(
            "-",
            f"notebook run times: {len(times)} notebooks, {sum(s for _, s in times):.0f} s in all; "
            f"{over} over the {CHAPTER_BUDGET_S} s chapter budget; the slowest:",
        )
        for path, seconds in times[:5]:
            terminalreporter.write_line(f"{seconds:7.1f} s  {path}")
    if _NBVAL_COUNTS["cells"]:
        c = _NBVAL_COUNTS
        terminalreporter.write_sep(
            "-",
            f"nbval: {c['compared']} of {c['cells']} notebook code cells had their outputs compared, "
            f"{c['tolerance']} of them with a declared numeric tolerance ({c['ignored']} ignored, "
            f"{c['skipped']} skipped)",
        )


@pytest.fixture(scope="session")
def repo_root():
    from pathlib import Path

    return Path(__file__).resolve().parent
