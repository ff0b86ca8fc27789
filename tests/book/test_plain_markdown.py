"""The chapters' Markdown keeps to the rule that makes it read in JupyterLab (CONTRIBUTING.md).

Checked without a build: no MyST role or directive in any Markdown cell or page (JupyterLab would
show it as raw text), every relative link lands on a file, solutions are balanced ``<details>``
blocks, code that the site folds is folded in JupyterLab too, and a run of
``scripts/to_plain_markdown.py`` would change nothing, so every number, citation text, code copy
and the list of references are current. The site build checks the same numbers against Sphinx's.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
from urllib.parse import unquote

import pytest

from tests.book.pages import PAGES, ROOT
from tests.book.pages import markdown as _markdown

IDS = [p.relative_to(ROOT).as_posix() for p in PAGES]
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\1\s*$", re.M | re.S)


@functools.cache
def _script():
    spec = importlib.util.spec_from_file_location("to_plain_markdown", ROOT / "scripts" / "to_plain_markdown.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_rewrite_changes_nothing(capsys):
    status = _script().main(["--check"])
    assert status == 0, (
        "scripts/to_plain_markdown.py would rewrite these pages (a number, a citation, a code copy or "
        f"MyST markup is out of date): run it and commit.\n{capsys.readouterr()}"
    )


@pytest.mark.parametrize("path", PAGES, ids=IDS)
def test_no_myst_markup(path):
    leftover = _script().leftover_myst
    for n, text in enumerate(_markdown(path)):
        found = leftover(text) + re.findall(r"^\([\w:-]+\)=\s*$", text, re.M)
        assert not found, (
            f"{path.name}, Markdown cell {n}: {found} shows as raw text in JupyterLab; "
            "run scripts/to_plain_markdown.py (CONTRIBUTING.md, 'Writing a chapter's markdown')"
        )
        opened, closed = text.count("<details>"), text.count("</details>")
        assert opened == closed, f"{path.name}, Markdown cell {n}: {opened} <details> but {closed} </details>"
        for m in re.finditer(r"<summary>[^<]*</summary>\n(?!\n)", text):
            pytest.fail(f"{path.name}, Markdown cell {n}: a blank line must follow {m.group(0).strip()}")


@pytest.mark.parametrize("path", PAGES, ids=IDS)
def test_relative_links_land_on_files(path):
    for n, text in enumerate(_markdown(path)):
        for m in LINK.finditer(FENCED.sub("", text)):
            target = unquote(m.group("target").split("#", 1)[0])
            if not target or re.match(r"^[a-z]+:", target):
                continue
            assert (path.parent / target).is_file(), f"{path.name}, Markdown cell {n}: link to missing {target}"


@pytest.mark.parametrize(
    "path", [p for p in PAGES if p.suffix == ".ipynb"], ids=[i for i in IDS if i.endswith(".ipynb")]
)
def test_folded_code_is_folded_in_jupyterlab(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for n, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {})
        if cell["cell_type"] == "code" and "hide-input" in meta.get("tags", []):
            assert meta.get("jupyter", {}).get("source_hidden") is True, (
                f"{path.name} cell {n}: tagged hide-input but not jupyter.source_hidden: run "
                "scripts/to_plain_markdown.py"
            )


def test_code_blocks_are_code_but_directive_fences_are_markup():
    leftover = _script().leftover_myst
    code_copy = "<!-- literalinclude f.py :pyobject: g -->\n```python\n    h_{t-1}`` and {eq}`x`\n```\n"
    assert leftover(code_copy) == []
    assert leftover("```{literalinclude} f.py\n:pyobject: g\n```\n") == ["```{"]
    assert leftover("text {cite}`a`\n```python\nx = 1\n```\n") == ["{cite}`"]
