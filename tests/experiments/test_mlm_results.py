"""The cached masked-LM runs (``resources/mlm_results.json`` and ``mlm_weights.npz``).

Written by ``python -m lstm_tutorial.experiments.mlm``; ``book/part5/bert.ipynb`` loads them. The fast test
checks that the stored weights give the stored held-out accuracies; the slow one retrains the
first steps of every run and compares the losses with the stored ones.
"""

from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.data import text
from lstm_tutorial.experiments import mlm

pytestmark = pytest.mark.disable_socket


@pytest.fixture(scope="module")
def stored():
    return mlm.load_pretrained()


def test_stored_weights_give_stored_accuracy(stored):
    results, nets = stored
    assert results["budget"] == mlm.PRETRAIN_BUDGET.__dict__
    vocab, _, val = text.corpus_ids()
    for kind, net in nets.items():
        run = results["runs"][kind]
        assert mlm.make_mlm_model(kind, vocab, mlm.PRETRAIN_BUDGET)[1] == run["n_parameters"]
        acc = mlm.masked_accuracy(net, vocab, val, T=results["budget"]["T"], n_draws=results["acc_draws"])
        assert acc["n_predicted"] == run["n_predicted"]
        assert abs(acc["accuracy"] - run["accuracy"]) < 0.005, kind
        assert len(run["loss_blocks"]) * results["block"] == results["budget"]["steps"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bert", "lstm", "bilstm", "bert_learned"])
def test_first_steps_recomputed(stored, name):
    results, _ = stored
    run = results["runs"][name]
    n = 20  # inside the warm-up, where the learning rate does not depend on the total steps
    budget = replace(mlm.MLMBudget(**run["budget"]), steps=n)
    assert n <= budget.warmup
    r = mlm.train_mlm(run["kind"], budget=budget)
    np.testing.assert_allclose(r["loss"], run["loss_first"][:n], rtol=0, atol=2e-3)
