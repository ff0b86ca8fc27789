"""The figure of the 1997 chapter: it draws every cell that ran and refuses bad rows."""

import pytest

from lstm_tutorial.figures.paper_1997 import plot_sequences_to_success

ROWS = [
    {"model": "lstm", "task": "reber", "run": True, "n_seeds": 3, "n_solved": 3, "median_sequences": 4800.0,
     "min_sequences": 3200, "max_sequences": 6400},
    {"model": "lstm", "task": "adding100", "run": True, "n_seeds": 3, "n_solved": 0, "median_sequences": None,
     "min_sequences": None, "max_sequences": None},
    {"model": "lstm", "task": "adding500", "run": False, "n_seeds": 0, "n_solved": 0, "median_sequences": None,
     "min_sequences": None, "max_sequences": None},
]  # fmt: skip
PAPER = {"reber": 8440, "adding100": 74000, "adding500": 209000}


def test_plot_draws_solved_and_unsolved_cells():
    fig = plot_sequences_to_success(ROWS, PAPER, cap=48_000)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and [t.get_text() for t in ax.get_xticklabels()] == list(PAPER)
    assert [t.get_text() for t in ax.texts] == ["3/3", "0/3"]  # the skipped cell is not drawn


def test_plot_refuses_bad_rows():
    with pytest.raises(ValueError, match="non-empty"):
        plot_sequences_to_success([], PAPER, cap=1)
    with pytest.raises(ValueError, match="missing"):
        plot_sequences_to_success([{"model": "lstm"}], PAPER, cap=1)
    with pytest.raises(ValueError, match="paper must give"):
        plot_sequences_to_success(ROWS, {"reber": 1}, cap=1)
