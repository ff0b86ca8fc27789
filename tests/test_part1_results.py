"""The cached plain-RNN adding-problem runs of book/part1/vanishing.ipynb are honest.

``scripts/make_part1_results.py`` wrote ``lstm_tutorial/resources/part1_adding_rnn.json``;
these tests check the file's internal consistency and recompute one of its runs.
"""

import json
from importlib import resources

import pytest

from lstm_tutorial.experiments import DEFAULT_BUDGET, aggregate_cells, budget_as_dict, train_adding
from lstm_tutorial.tasks import adding_problem_baseline


def _load():
    path = resources.files("lstm_tutorial") / "resources" / "part1_adding_rnn.json"
    return json.loads(path.read_text())


def test_file_is_consistent():
    stored = _load()
    assert stored["budget"] == budget_as_dict(DEFAULT_BUDGET)
    assert stored["baseline_mse"] == pytest.approx(adding_problem_baseline("modern"))
    assert {(r["T"], r["seed"]) for r in stored["runs"]} == {(T, s) for T in stored["Ts"] for s in stored["seeds"]}
    assert all(r["model"] == "rnn" for r in stored["runs"])
    assert stored["table"] == aggregate_cells(stored["runs"])
    for r in stored["runs"]:
        assert r["final_test_mse"] == r["curve"][-1][1]
        assert r["solved"] == (r["final_test_mse"] < DEFAULT_BUDGET.threshold)


@pytest.mark.parametrize("T, seed", [(50, 0)])
def test_recompute_one_run(T, seed):
    stored = next(r for r in _load()["runs"] if r["T"] == T and r["seed"] == seed)
    fresh = train_adding("rnn", T, seed, DEFAULT_BUDGET)
    assert fresh["solved"] == stored["solved"]
    assert fresh["steps_run"] == stored["steps_run"]
    assert fresh["final_test_mse"] == pytest.approx(stored["final_test_mse"], abs=5e-3)
