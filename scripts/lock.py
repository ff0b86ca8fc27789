"""Regenerate ``requirements.txt``, the lock, from the direct requirements in ``pyproject.toml``.

    python scripts/lock.py        # (make lock)

pip-tools resolves the package's dependencies and its extras ``frameworks``, ``book`` and ``test``
into exact pins, keeping every pin already in ``requirements.txt`` that still satisfies them (so
an unrelated change never moves a version: nbval compares printed numbers, and they move with
library versions). To upgrade a package, delete its line from ``requirements.txt`` or raise its
bound in ``pyproject.toml``, then run this and re-run the notebooks.

Two corrections follow the resolution, because pip-compile resolves for the machine it runs on:

- TensorFlow is ``tensorflow-cpu`` on Linux and ``tensorflow`` elsewhere: both pins get their
  platform markers back.
- PyTorch's CPU build carries the local label ``+cpu``, which PyPI does not serve. The pin keeps
  the public version, which pip satisfies with the CPU build where one is at hand and with PyPI's
  otherwise.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.txt"
MARKERS = {"tensorflow-cpu": 'sys_platform == "linux"', "tensorflow": 'sys_platform != "linux"'}


def main() -> int:
    cmd = [
        sys.executable,
        "-m",
        "piptools",
        "compile",
        "--quiet",
        "--strip-extras",
        "--no-emit-index-url",
        "--no-emit-find-links",
        "--extra",
        "frameworks",
        "--extra",
        "book",
        "--extra",
        "test",
        "--output-file",
        "requirements.txt",
        "pyproject.toml",
    ]
    subprocess.run(cmd, check=True, cwd=ROOT)
    text = LOCK.read_text()
    text = re.sub(r"^(torch==[0-9.]+)\+cpu$", r"\1", text, flags=re.M)
    for name, marker in MARKERS.items():
        text, n = re.subn(rf"^({re.escape(name)}==[^\s;]+)$", rf"\1 ; {marker}", text, flags=re.M)
        if n != 1:
            raise SystemExit(f"expected one pin of {name} in the lock, found {n}")
    text = text.replace("#    pip-compile ", "#    python scripts/lock.py, which runs: pip-compile ", 1)
    LOCK.write_text(text)
    print(f"wrote {LOCK.relative_to(ROOT)}: {len(re.findall(r'^[A-Za-z0-9]', text, re.M))} pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
