"""Re-execute chapters in a fresh kernel and store their outputs, for authors.

    python scripts/execute_notebooks.py                 # every notebook in _toc.yml
    python scripts/execute_notebooks.py book/intro.ipynb  # just these

Each notebook runs top to bottom in its own folder, in the environment nbval uses
(``lstm_tutorial.repro.NOTEBOOK_ENV``); then run-to-run metadata is stripped with
``nbstripout --keep-output --keep-count``. Wall times are printed, and a notebook over the
book's 90-second budget is reported (and makes the script exit non-zero).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lstm_tutorial.repro import NOTEBOOK_ENV  # noqa: E402

BUDGET_SECONDS = 90


def toc_notebooks() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("chapters", []) + toc.get("parts", []))
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "nbstripout", "--keep-output", "--keep-count", str(path)], check=True)
    return elapsed


def main(argv: list[str]) -> int:
    os.environ.update(NOTEBOOK_ENV)
    paths = [Path(a).resolve() for a in argv] if argv else toc_notebooks()
    over = []
    for path in paths:
        if path.suffix != ".ipynb" or not path.exists():
            print(f"not a notebook: {path}", file=sys.stderr)
            return 2
        elapsed = execute(path)
        flag = "" if elapsed <= BUDGET_SECONDS else f"  OVER the {BUDGET_SECONDS} s budget"
        print(f"{elapsed:6.1f} s  {path.relative_to(ROOT)}{flag}", flush=True)
        if flag:
            over.append(path)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
