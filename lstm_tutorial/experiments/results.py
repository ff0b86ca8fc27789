"""The one home of the cached results: JSON files in ``lstm_tutorial/resources/``, read and written.

Every experiment whose runs take longer than a chapter may, or whose outcome depends on the CPU,
runs once as ``python -m lstm_tutorial.experiments.<name>``, which stores its results here with
:func:`save_results`; chapters and tests read them with :func:`load_results`. Plain JSON only:
nothing is unpickled or executed.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "available_results",
    "load_checked",
    "load_results",
    "save_results",
    "results_path",
    "versions",
    "script_main",
]

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def _resources():
    return resources.files("lstm_tutorial") / "resources"


def available_results() -> list[str]:
    """Names of the cached result files: the ``*.json`` files in ``lstm_tutorial/resources/``,
    without the extension, sorted (for example ``"part1_adding_rnn"``)."""
    return sorted(f.name[: -len(".json")] for f in _resources().iterdir() if f.name.endswith(".json") and f.is_file())


def _stem(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} ({name!r})")
    return name[: -len(".json")] if name.endswith(".json") else name


def results_path(name: str) -> Path:
    """Where ``python -m lstm_tutorial.experiments.<module>`` writes results file ``name``."""
    stem = _stem(name)
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        raise ValueError(f"a results name is a plain file name such as 'recall_results', got {name!r}")
    return RESOURCES / f"{stem}.json"


def load_results(name: str, *, made_by: str | None = None) -> dict:
    """Read one cached result file, ``lstm_tutorial/resources/<name>.json``, as a dict.

    Args:
        name: one of :func:`available_results` (a trailing ``".json"`` is accepted too).
        made_by: the module that writes it (``"lstm_tutorial.experiments.recall"``), named in
            the error when the file is missing.

    A name that is not an existing results file (a typo, a path, another kind of resource)
    raises ``FileNotFoundError`` listing the available names and the command that makes it;
    a non-str raises ``TypeError``.
    """
    stem = _stem(name)
    available = available_results()
    if stem not in available:
        how = f"; run python -m {made_by} to make it" if made_by else ""
        raise FileNotFoundError(f"no cached results named {name!r}{how}; available: {', '.join(available)}")
    data = json.loads((_resources() / f"{stem}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{stem}.json holds a {type(data).__name__}, not a dict of results")
    return data


def load_checked(name: str, expected, *, key: str = "config", made_by: str) -> dict:
    """:func:`load_results`, then check that the file was made with the dataclass ``expected``.

    ``results[key]`` (the stored ``asdict`` of the config; JSON turned its tuples into lists)
    must rebuild ``expected`` exactly; otherwise a ``ValueError`` names what the file holds and
    the command ``python -m made_by`` that remakes it.
    """
    results = load_results(name, made_by=made_by)
    stored = {k: tuple(v) if isinstance(v, list) else v for k, v in results[key].items()}
    if type(expected)(**stored) != expected:
        raise ValueError(
            f"{_stem(name)}.json was made with another configuration ({stored}); rerun python -m {made_by}"
        )
    return results


def versions() -> dict:
    """The versions that produced a result: Python, NumPy, and each framework already imported."""
    out = {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine()}
    for lib in ("torch", "keras", "tensorflow"):
        if lib in sys.modules:
            out[lib] = sys.modules[lib].__version__
    return out


def save_results(name: str, results: dict, path: Path | None = None) -> Path:
    """Write ``results`` (JSON-ready) as results file ``name`` (or to ``path``); returns the path."""
    if not isinstance(results, dict):
        raise TypeError(f"results must be a dict, got {type(results).__name__}")
    out = Path(path) if path is not None else results_path(name)
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return out


def script_main(name: str, run, *, description: str, argv=None, setup=None) -> int:
    """The command line of an experiment that writes one results file: ``[--out PATH]``.

    Parses ``argv``, calls ``setup()`` if given (say, to quiet a framework), then ``run()``,
    writes its dict as results file ``name`` (or to ``--out``, for a check that leaves the
    shipped file alone) and prints the path and the time taken to stderr. Returns 0.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=None, help="write here instead of resources/ (for a check)")
    args = parser.parse_args(argv)
    if setup is not None:
        setup()
    start = time.perf_counter()
    path = save_results(name, run(), args.out)
    print(f"wrote {path} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0
