"""The book's sources as the tests read them: every notebook and page, and their Markdown."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
PAGES = sorted(p for p in [*BOOK.rglob("*.ipynb"), *BOOK.rglob("*.md")] if ".ipynb_checkpoints" not in p.parts)


def markdown(path: Path) -> list[str]:
    """The Markdown of a page: the whole file of a ``.md``, each Markdown cell of a notebook."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
