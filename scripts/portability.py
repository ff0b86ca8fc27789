"""Run the book as another CPU would: force older numeric kernels, then test or compare.

The numeric libraries pick their kernels by instruction set when they load, and these
environment variables force older ones on any x86 machine:

- ``NPY_DISABLE_CPU_FEATURES``: NumPy's own SIMD loops (``exp``, ``tanh``, sums), checked with
  ``numpy._core._multiarray_umath.__cpu_features__``;
- ``OPENBLAS_CORETYPE``: NumPy's OpenBLAS (checked with ``threadpoolctl.threadpool_info()``);
- ``ATEN_CPU_CAPABILITY``: PyTorch's own vectorised kernels (``torch.backends.cpu.get_cpu_capability()``);
- ``MKL_ENABLE_INSTRUCTIONS``: the MKL inside PyTorch (its matrix products; ``MKL_VERBOSE=1``);
- ``ONEDNN_MAX_CPU_ISA``: oneDNN, inside PyTorch and TensorFlow.

Forcing kernels is how the book is *tested*; nothing in the package, the notebooks or the
pytest configuration sets these variables, so a reader's run uses their own CPU's kernels.

    python scripts/portability.py check avx2             # show that a configuration takes effect
    python scripts/portability.py test avx2 sse4          # nbval on every notebook, per configuration
    python scripts/portability.py test avx2 sse4 book/part2/bptt.ipynb   # ... on these only
    python scripts/portability.py compare sse4 book/part2/bptt.ipynb
                                                          # execute under sse4; list cells whose
                                                          # outputs move, numbers side by side

``test`` fails if a configuration does not take effect, and if any notebook output differs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: name -> (what it imitates, the variables, what the checks must then report)
CONFIGS = {
    "avx2": (
        "an AVX2 machine without AVX-512 (Intel Haswell to Alder Lake, AMD Zen 1 to 3)",
        {
            "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
            "OPENBLAS_CORETYPE": "Haswell",
            "ATEN_CPU_CAPABILITY": "avx2",
            "MKL_ENABLE_INSTRUCTIONS": "AVX2",
            "ONEDNN_MAX_CPU_ISA": "AVX2",
        },
        {"numpy": "X86_V3", "openblas": "haswell", "torch": "AVX2", "mkl": "AVX2", "onednn": "isa:Intel AVX2"},
    ),
    "sse4": (
        "an SSE4.2-era machine with no AVX at all (Intel Nehalem)",
        {
            "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
            "OPENBLAS_CORETYPE": "Nehalem",
            "ATEN_CPU_CAPABILITY": "default",
            "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
            "ONEDNN_MAX_CPU_ISA": "SSE41",
        },
        {"numpy": "X86_V2", "openblas": "nehalem", "torch": "DEFAULT", "mkl": "SSE4.2", "onednn": "isa:Intel SSE4.1"},
    ),
}

_PROBE = r"""
import json, os, subprocess, sys
from threadpoolctl import threadpool_info
import numpy as np
from numpy._core._multiarray_umath import __cpu_features__
np.ones((64, 64)) @ np.ones((64, 64))
# NumPy's newest enabled dispatch target, from newest to oldest
levels = [t for t in ("AVX512_SPR", "AVX512_ICL", "X86_V4", "X86_V3", "X86_V2") if __cpu_features__.get(t)]
blas = [i for i in threadpool_info() if i.get("internal_api") == "openblas"]
import torch
out = {"numpy": levels[0] if levels else None, "openblas": blas[0]["architecture"] if blas else None,
       "torch": torch.backends.cpu.get_cpu_capability()}
print(json.dumps(out))
"""

# A matrix product goes through MKL, a convolution through oneDNN; each prints its ISA when verbose.
_MKL_PROBE = "import torch; torch.ones(64, 64) @ torch.ones(64, 64)"
_ONEDNN_PROBE = "import torch, torch.nn.functional as F; F.conv2d(torch.ones(4, 16, 32, 32), torch.ones(32, 16, 3, 3))"


def _mkl_banner(env: dict[str, str]) -> str:
    """MKL's verbose banner in a fresh interpreter under ``env`` (it names the ISA MKL dispatched to)."""
    out = subprocess.run(
        [sys.executable, "-c", _MKL_PROBE], env={**env, "MKL_VERBOSE": "1"}, check=True, capture_output=True, text=True
    ).stdout
    return next((line for line in out.splitlines() if line.startswith("MKL_VERBOSE oneMKL")), "")


def _cpu_vendor() -> str:
    """``GenuineIntel``, ``AuthenticAMD``, ... from /proc/cpuinfo (``unknown`` where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    vendor = (line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("vendor_id"))
    return next(vendor, "unknown")


def environment(name: str) -> dict[str, str]:
    """This process's environment with configuration ``name`` applied."""
    if name not in CONFIGS:
        raise SystemExit(f"unknown configuration {name!r}; choose from {sorted(CONFIGS)}")
    return {**os.environ, **CONFIGS[name][1]}


def check(name: str) -> list[str]:
    """Probe a fresh interpreter under ``name``; return the problems found (empty if it took effect)."""
    _, _, want = CONFIGS[name]
    env = environment(name)
    got = json.loads(
        subprocess.run([sys.executable, "-c", _PROBE], env=env, check=True, capture_output=True, text=True).stdout
    )
    banner = _mkl_banner(env)
    dnn = subprocess.run(
        [sys.executable, "-c", _ONEDNN_PROBE],
        env={**env, "ONEDNN_VERBOSE": "1"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    isa = next((line.split(",")[-1] for line in dnn.splitlines() if ",isa:" in line), "")
    problems = []
    if got["numpy"] != want["numpy"]:
        problems.append(f"NumPy dispatches up to {got['numpy']!r}, expected {want['numpy']!r}")
    if (got["openblas"] or "").lower() != want["openblas"]:
        problems.append(f"OpenBLAS uses {got['openblas']!r} kernels, expected {want['openblas']!r}")
    if got["torch"] != want["torch"]:
        problems.append(f"PyTorch reports CPU capability {got['torch']!r}, expected {want['torch']!r}")
    mkl_note = ""
    if want["mkl"] not in banner:
        native = _mkl_banner(dict(os.environ))
        vendor = _cpu_vendor()
        if vendor != "GenuineIntel" and banner and banner == native:
            # MKL dispatches by ISA only on Intel CPUs; elsewhere it runs one code path whatever
            # MKL_ENABLE_INSTRUCTIONS says, and its banner names no ISA, forced or not.
            mkl_note = f" (not forceable on this {vendor} CPU: MKL reports the same path with and without the setting)"
        else:
            problems.append(f"MKL does not report {want['mkl']}: {banner or 'no MKL_VERBOSE banner'}")
    if not isa.startswith(want["onednn"]):
        problems.append(f"oneDNN reports {isa or 'nothing'}, expected {want['onednn']}")
    print(f"[{name}] {CONFIGS[name][0]}")
    print(
        f"[{name}]   NumPy SIMD: {got['numpy']}; OpenBLAS core: {got['openblas']}; PyTorch capability: {got['torch']}; "
        f"MKL: {banner.split('architecture ')[-1].split(',')[0] if banner else '?'}{mkl_note}; oneDNN: {isa or '?'}"
    )
    return problems


def test(names: list[str], pytest_args: list[str]) -> int:
    """nbval on every notebook under each configuration; non-zero if any fails or does not take effect."""
    failed = []
    for name in names:
        problems = check(name)
        if problems:
            print(f"[{name}] the configuration did not take effect: " + "; ".join(problems), file=sys.stderr)
            failed.append(name)
            continue
        start = time.perf_counter()
        # notebooks or folders named after the configurations replace the default, every notebook
        targets = [] if any(a.endswith(".ipynb") or Path(a).is_dir() for a in pytest_args) else ["book"]
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *targets, *pytest_args]
        rc = subprocess.run(cmd, cwd=ROOT, env=environment(name)).returncode
        print(f"[{name}] nbval {'passed' if rc == 0 else 'FAILED'} in {time.perf_counter() - start:.0f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"portability run failed under: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _texts(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append("".join(out["text"]))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append("".join(out.get("data", {}).get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    return "".join(parts)


def compare(name: str, paths: list[Path]) -> int:
    """Execute each notebook under ``name`` and print every code cell whose outputs move."""
    import nbformat
    from nbclient import NotebookClient

    sys.path.insert(0, str(ROOT))
    from lstm_tutorial.repro import NOTEBOOK_ENV

    moved = 0
    old_env = dict(os.environ)
    os.environ.update({**NOTEBOOK_ENV, **CONFIGS[name][1]})
    try:
        for path in paths:
            stored = json.loads(path.read_text(encoding="utf-8"))
            nb = nbformat.read(path, as_version=4)
            start = time.perf_counter()
            NotebookClient(
                nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
            ).execute()
            elapsed = time.perf_counter() - start
            fresh = json.loads(nbformat.writes(nb))
            code_old = [c for c in stored["cells"] if c["cell_type"] == "code"]
            code_new = [c for c in fresh["cells"] if c["cell_type"] == "code"]
            changed = []
            for k, (a, b) in enumerate(zip(code_old, code_new)):
                ta, tb = _texts(a), _texts(b)
                if ta != tb:
                    changed.append(k)
                    na, nb_ = _NUMBER.findall(ta), _NUMBER.findall(tb)
                    pairs = [(x, y) for x, y in zip(na, nb_) if x != y]
                    print(
                        f"[{name}] {path.relative_to(ROOT)} Cell {k}: "
                        + (", ".join(f"{x} -> {y}" for x, y in pairs[:12]) if pairs else "text differs")
                    )
                    for line_a, line_b in zip(ta.splitlines(), tb.splitlines()):
                        if line_a != line_b:
                            print(f"      stored: {line_a}\n      {name:>6}: {line_b}")
            moved += len(changed)
            print(
                f"[{name}] {path.relative_to(ROOT)}: {len(changed)} of {len(code_old)} code cells moved "
                f"({elapsed:.0f} s)",
                flush=True,
            )
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    return 1 if moved else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check", help="show that configurations take effect")
    p_check.add_argument("configs", nargs="+", choices=sorted(CONFIGS))
    p_test = sub.add_parser(
        "test",
        help="nbval on every notebook under each configuration",
        description="test CONFIG [CONFIG ...] [NOTEBOOK_OR_PYTEST_ARG ...]: the configurations first, "
        "then optional notebooks (default: the whole book) and pytest options",
    )
    p_test.add_argument("configs", nargs="+", metavar="CONFIG_THEN_NOTEBOOKS")
    p_cmp = sub.add_parser("compare", help="execute notebooks under a configuration and list moved cells")
    p_cmp.add_argument("config", choices=sorted(CONFIGS))
    p_cmp.add_argument("notebooks", nargs="*", type=Path)
    args, rest = parser.parse_known_args(argv)
    if args.command == "check":
        problems = [p for name in args.configs for p in check(name)]
        for p in problems:
            print("  problem:", p, file=sys.stderr)
        return 1 if problems else 0
    if args.command == "test":
        n = next((k for k, a in enumerate(args.configs) if a not in CONFIGS), len(args.configs))
        if n == 0:
            parser.error(
                f"test needs at least one configuration first, one of {sorted(CONFIGS)}; got {args.configs[0]!r}"
            )
        return test(args.configs[:n], args.configs[n:] + rest)
    paths = [p.resolve() for p in args.notebooks] or sorted(
        p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )
    return compare(args.config, paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
