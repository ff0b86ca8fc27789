import pytest

from lstm_tutorial.experiments.seeds import solved_cell

KEYS = dict(cost="steps", final="mse", cost_label="steps", final_label="mse")


def test_solved_cell_counts_and_medians_over_the_right_runs():
    runs = [
        {"solved": True, "steps": 300, "mse": 0.001},
        {"solved": False, "steps": None, "mse": 0.2},
        {"solved": True, "steps": 100, "mse": 0.003},
        {"solved": False, "steps": None, "mse": None},  # diverged: no final value
    ]
    cell = solved_cell(runs, **KEYS)
    assert cell == {
        "run": True,
        "n_seeds": 4,
        "n_solved": 2,
        "median_steps": 200.0,  # over the solved seeds only
        "min_steps": 100,
        "max_steps": 300,
        "median_mse": 0.003,  # over every seed with a final value
    }


def test_solved_cell_of_no_runs_and_of_no_solved_runs():
    assert solved_cell([], **KEYS) == {
        "run": False, "n_seeds": 0, "n_solved": 0,
        "median_steps": None, "min_steps": None, "max_steps": None, "median_mse": None,
    }  # fmt: skip
    cell = solved_cell([{"solved": False, "steps": None, "mse": 0.2}], **KEYS)
    assert (cell["n_solved"], cell["median_steps"], cell["median_mse"]) == (0, None, 0.2)


def test_solved_cell_refuses_a_solved_run_without_its_cost():
    with pytest.raises(ValueError, match="'steps'"):
        solved_cell([{"solved": True, "steps": None, "mse": 0.0}], **KEYS)
