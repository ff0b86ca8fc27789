"""Hygiene of the committed notebooks, checked without running them (nbval runs them).

What a reader on the site sees is what is stored, so the stored notebooks must come from one
clean top-to-bottom run, carry no machine-specific noise, and be listed in the table of contents.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("chapters", []) + toc.get("parts", []))
    return files


NOTEBOOKS = sorted(BOOK.rglob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]
IDS = [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _pins_a_claim(source: str) -> bool:
    """Whether the cell runs an ``assert`` that can fail: not ``assert True``, not a constant.

    IPython magics and shell lines are blanked first, so the rest parses as Python.
    """
    import ast

    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assert) and not isinstance(node.test, ast.Constant):
            return True
    return False


def test_toc_and_notebooks_match():
    toc = _toc_files()
    missing = [f for f in toc if not any((ROOT / f"{f}{ext}").exists() for ext in (".ipynb", ".md"))]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"
    listed = {ROOT / f"{f}.ipynb" for f in toc}
    orphans = [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS if p not in listed]
    assert not orphans, f"notebooks missing from _toc.yml (they would be neither built nor linked): {orphans}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_metadata_is_clean(path):
    result = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--keep-output", "--keep-count", "--verify", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        f"{path.name} carries run-to-run metadata: run `make notebooks NB={path.relative_to(ROOT)}` "
        f"(or nbstripout --keep-output --keep-count) and commit.\n{result.stdout}{result.stderr}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_saved_from_one_clean_run(path):
    counts = [c.get("execution_count") for c in _code_cells(_load(path))]
    assert counts, f"{path.name} has no code cells"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(counts)}: not saved from one "
        "top-to-bottom run in a fresh kernel"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_seeds_first(path):
    first = "".join(_code_cells(_load(path))[0]["source"])
    assert "seed_everything(" in first, f"{path.name}: the first code cell must call seed_everything"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_are_portable(path):
    machine_path = re.compile(r"(/root/|/home/\w+/|/tmp/[\w.-]+/|site-packages/|/work/)")
    for n, cell in enumerate(_code_cells(_load(path))):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                assert "raises-exception" in _tags(cell), f"{path.name} cell {n}: stored error {out.get('ename')}"
            if out.get("name") == "stderr":
                continue
            m = machine_path.search(json.dumps(out))
            assert not m, f"{path.name} cell {n}: output shows a machine path ({m.group(0)})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_tolerances_are_declared_with_their_reason_and_pinned(path):
    """A cell compared with a numeric tolerance says why, and asserts the claim its numbers support."""
    from conftest import cell_tolerance

    for n, cell in enumerate(_code_cells(_load(path))):
        tol = cell_tolerance(cell)  # raises on a malformed declaration
        if tol is None:
            continue
        assert re.search(r"measured", tol["why"]), (
            f"{path.name} cell {n}: the tolerance's why must give the measured spread"
        )
        assert _pins_a_claim("".join(cell["source"])), (
            f"{path.name} cell {n}: compared with a tolerance but no assertion pins its claim"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_ignored_outputs_are_pinned_by_assertions(path):
    """A cell may skip output comparison only if an executed assertion pins what it shows."""
    for n, cell in enumerate(_code_cells(_load(path))):
        source = "".join(cell["source"])
        ignored = "nbval-ignore-output" in _tags(cell) or "NBVAL_IGNORE_OUTPUT" in source
        skipped = "nbval-skip" in _tags(cell) or "NBVAL_SKIP" in source
        assert not skipped, f"{path.name} cell {n}: skipped by nbval; every cell must run under test"
        if ignored:
            assert _pins_a_claim(source), (
                f"{path.name} cell {n}: output ignored by nbval without an assertion pinning its claim"
            )


def test_a_constant_assert_pins_nothing():
    assert not _pins_a_claim("print(1)\nassert True")
    assert not _pins_a_claim("assert 1, 'always'")
    assert _pins_a_claim("x = 3\nassert x > 2")
    assert _pins_a_claim("%timeit f()\nassert abs(a - b) < 1e-5")
