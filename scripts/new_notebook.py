"""Write a chapter notebook from a list of cells (for authors).

A chapter source is a Python file that defines ``CELLS``: a list of ``("md", text)``,
``("code", text)`` or ``("code", text, metadata)`` tuples. This script turns it into
``.ipynb`` (without outputs); ``scripts/execute_notebooks.py`` then runs it and stores them.

    python scripts/new_notebook.py chapter_source.py book/chapter.ipynb
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def build(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for entry in cells:
        kind, text, *rest = entry
        meta = rest[0] if rest else {}
        text = text.strip("\n")
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell.metadata.update(meta)
        nb.cells.append(cell)
    return nb


def main(source: str, target: str) -> None:
    cells = runpy.run_path(source)["CELLS"]
    nbformat.write(build(cells), Path(target))


if __name__ == "__main__":
    main(*sys.argv[1:3])
