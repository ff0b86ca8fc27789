"""One table cell from the runs of several seeds: how many solved, and at what cost.

The long-lag tables (:mod:`~lstm_tutorial.experiments.long_lag`,
:mod:`~lstm_tutorial.experiments.paper_1997`) report every cell the same way: seeds run, seeds
solved, the median and range of the cost of solving over the solved seeds only, and the median of
one final measure over all seeds.
"""

from __future__ import annotations

import numpy as np

__all__ = ["solved_cell"]


def solved_cell(runs: list[dict], *, cost: str, final: str, cost_label: str, final_label: str) -> dict:
    """Summarise the runs of one cell (a list of run dicts, one per seed; may be empty).

    ``cost`` names the key of a run that holds what solving took (``None`` or absent meaning
    nothing, read only where ``run["solved"]``), ``final`` the key of a final measure (``None``
    entries, from a diverged run, are left out of its median). Returns ``run`` (any runs at
    all), ``n_seeds``, ``n_solved``, ``median_<cost_label>``, ``min_<cost_label>``,
    ``max_<cost_label>`` and ``median_<final_label>``; ``None`` where there is nothing to take
    the median of.
    """
    solved = [r[cost] for r in runs if r["solved"]]
    if any(c is None for c in solved):
        raise ValueError(f"a solved run must record {cost!r}, got None")
    finals = [r[final] for r in runs if r[final] is not None]
    return {
        "run": bool(runs),
        "n_seeds": len(runs),
        "n_solved": len(solved),
        f"median_{cost_label}": float(np.median(solved)) if solved else None,
        f"min_{cost_label}": min(solved) if solved else None,
        f"max_{cost_label}": max(solved) if solved else None,
        f"median_{final_label}": float(np.median(finals)) if finals else None,
    }
