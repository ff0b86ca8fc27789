"""The figure of the chapter "The 1997 experiments, next to the paper": sequences to success per task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt

from lstm_tutorial.figures.style import CYCLE, MARKERS, use_book_style

__all__ = ["plot_sequences_to_success"]


def plot_sequences_to_success(
    rows: Sequence[Mapping],
    paper: Mapping[str, float],
    *,
    cap: int,
    labels: Mapping[str, str] | None = None,
    task_labels: Mapping[str, str] | None = None,
):
    """Training sequences until success, per task (x) and model (markers), on a log axis.

    Each model's point is the median over its solved seeds, with a bar from the fastest to the
    slowest solved seed and the seeds solved written beside it; a cell where no seed solved is an
    open marker on the budget line ``cap`` (the most sequences a run may see); a skipped cell
    (``run`` False) is not drawn. The paper's number for each task is a black star.

    ``rows``: dicts with ``model, task, run, n_seeds, n_solved, median_sequences, min_sequences,
    max_sequences`` (:func:`lstm_tutorial.experiments.paper_1997.paper_table`); ``paper``: task ->
    the paper's sequences; ``labels`` and ``task_labels``: legend and tick texts.
    """
    rows = list(rows)
    if not rows:
        raise ValueError("rows must be a non-empty list of table rows")
    need = {"model", "task", "run", "n_seeds", "n_solved", "median_sequences", "min_sequences", "max_sequences"}
    missing = need - set(rows[0])
    if missing:
        raise ValueError(f"rows must have the keys {sorted(need)}; missing {sorted(missing)}")
    labels, task_labels = labels or {}, task_labels or {}
    models = list(dict.fromkeys(r["model"] for r in rows))
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    missing_paper = [t for t in tasks if t not in paper]
    if missing_paper:
        raise ValueError(f"paper must give a number for every task; missing {missing_paper}")
    with use_book_style():
        fig, ax = plt.subplots(figsize=(11.0, 4.8), layout="constrained")
        for k, m in enumerate(models):
            colour, marker = CYCLE[k % len(CYCLE)], MARKERS[k % len(MARKERS)]
            dx = 0.13 * (k - (len(models) - 1) / 2)  # side by side within a task
            for j, task in enumerate(tasks):
                r = next((r for r in rows if (r["model"], r["task"]) == (m, task)), None)
                if r is None or not r["run"]:
                    continue
                x, solved = j + dx, r["n_solved"] > 0
                y = r["median_sequences"] if solved else cap
                if solved:
                    err = [[y - r["min_sequences"]], [r["max_sequences"] - y]]
                    ax.errorbar([x], [y], yerr=err, color=colour, capsize=2, lw=1)
                ax.plot([x], [y], marker=marker, ms=6, color=colour, mfc=colour if solved else "white", ls="none")
                ax.annotate(
                    f"{r['n_solved']}/{r['n_seeds']}", (x, y), textcoords="offset points", xytext=(-6, -12), fontsize=7
                )
            ax.plot([], [], marker=marker, color=colour, ls="none", label=labels.get(m, m))
        ax.plot(range(len(tasks)), [paper[t] for t in tasks], "k*", ms=11, ls="none", label="1997 paper")
        ax.axhline(cap, color="0.4", ls="--", lw=1.1, label=f"budget, {cap:,} sequences (open: none solved)")
        ax.set_yscale("log")
        ax.set_xticks(range(len(tasks)), [task_labels.get(t, t) for t in tasks], rotation=15)
        ax.set_ylabel("training sequences until success")
        ax.legend(loc="upper left", fontsize=8, ncol=2)
    return fig
