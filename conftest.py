"""Project-wide pytest configuration.

- nbval must not compare stderr: TensorFlow writes C++ log lines straight to the process's
  stderr, which Jupyter captures when a notebook is saved but nbval does not see on a re-run.
  The site hides stderr too (``nb_output_stderr: remove``), so no reader-facing output is lost.
- At the end of a run, report how many notebook code cells had their outputs compared.
"""

from __future__ import annotations

import os

import pytest

from lstm_tutorial.repro import NOTEBOOK_ENV

# Notebook kernels inherit this process's environment: the same one `make notebooks` uses.
os.environ.update(NOTEBOOK_ENV)

_NBVAL_COUNTS = {"cells": 0, "compared": 0, "ignored": 0, "skipped": 0}


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
        else:
            _NBVAL_COUNTS["ignored"] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _NBVAL_COUNTS["cells"]:
        c = _NBVAL_COUNTS
        terminalreporter.write_sep(
            "-",
            f"nbval: {c['compared']} of {c['cells']} notebook code cells had their outputs compared "
            f"({c['ignored']} ignored, {c['skipped']} skipped)",
        )


@pytest.fixture(scope="session")
def repo_root():
    from pathlib import Path

    return Path(__file__).resolve().parent
