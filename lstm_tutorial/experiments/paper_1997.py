"""The experiments of Hochreiter and Schmidhuber (1997), rerun under one modern budget.

Five recurrent models (PyTorch, one layer, a linear read-out) train on the paper's classic tasks
under :data:`PAPER_BUDGET`, three seeds each, and each run counts the training *sequences* it saw
until it met the task's success criterion, the unit in which the paper reports its results:

- models (:data:`MODELS`): ``rnn`` (tanh), ``gru``, ``lstm`` (forget-gate bias 1), ``lstm1997``
  (the paper's cell: no forget gate, ``f_t = 1``), ``lstm1997_closed`` (the same cell with its
  input gates started closed, bias ``CLOSED_INPUT_BIAS``, as the paper started them with negative
  biases), ``chrono`` (an LSTM with the chrono initialisation, the best start of the chapter on
  long lags);
- tasks (:data:`TASKS`): ``reber`` (embedded Reber grammar, next-symbol prediction), ``order2``
  and ``order3`` (temporal order with 2 and 3 relevant symbols, ``T = 100``), ``adding100``,
  ``adding500``, ``adding1000`` (the 1997 adding problem at ``T = 100, 500, 1000``).

A model goes on to a longer adding problem only if it solved a majority of the seeds at the
shorter one (:attr:`Paper1997Config.skip_after_failure`); a skipped cell has ``"run": False``.

- :func:`train_task`: one run (model, task, seed).
- :func:`paper_table`: seeds solved and median sequences to success per (model, task).
- :func:`run`: every run (``resources/paper_1997.json``); ``python -m
  lstm_tutorial.experiments.paper_1997`` writes it, :func:`load_paper_1997` reads it.
- :func:`reber_correct`, :func:`order_correct`, :func:`adding_correct`: the success criteria,
  per held-out sequence.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lstm_tutorial.data.tasks import (
    REBER_SYMBOLS,
    adding_problem,
    embedded_reber,
    encode_reber,
    one_hot,
    reber_next_symbols,
    temporal_order,
)
from lstm_tutorial.experiments.reproduction import make_model
from lstm_tutorial.experiments.results import load_results, script_main, versions
from lstm_tutorial.experiments.seeds import solved_cell
from lstm_tutorial.frameworks.training import train_torch
from lstm_tutorial.repro import limit_threads

__all__ = [
    "PAPER_1997",
    "MODELS",
    "MODEL_LABELS",
    "TASKS",
    "TASK_LABELS",
    "PAPER_SEQUENCES",
    "CLOSED_INPUT_BIAS",
    "Paper1997Budget",
    "PAPER_BUDGET",
    "Paper1997Config",
    "reber_batch",
    "reber_correct",
    "order_correct",
    "adding_correct",
    "train_task",
    "paper_table",
    "run",
    "load_paper_1997",
    "main",
]

PAPER_1997 = "paper_1997"
_MODULE = "lstm_tutorial.experiments.paper_1997"

#: the rows of the table, in order
MODELS = ("rnn", "gru", "lstm", "lstm1997", "lstm1997_closed", "chrono")
MODEL_LABELS = {
    "rnn": "tanh RNN",
    "gru": "GRU",
    "lstm": "LSTM, b_f = 1",
    "lstm1997": "LSTM, no forget gate",
    "lstm1997_closed": "no forget gate, b_i = -3",
    "chrono": "LSTM, chrono init",
}
#: the columns of the table, in order; the adding problems shortest first
TASKS = ("reber", "order2", "order3", "adding100", "adding500", "adding1000")
TASK_LABELS = {
    "reber": "embedded Reber",
    "order2": "temporal order, 2 symbols",
    "order3": "temporal order, 3 symbols",
    "adding100": "adding, T = 100",
    "adding500": "adding, T = 500",
    "adding1000": "adding, T = 1000",
}
#: input-gate bias of the ``lstm1997_closed`` row: sigma(-3) = 0.047, the gate nearly shut
CLOSED_INPUT_BIAS = -3.0
_ADDING_T = {"adding100": 100, "adding500": 500, "adding1000": 1000}

#: training sequences the paper's best LSTM needed until success (Hochreiter and Schmidhuber
#: 1997: experiment 1, the embedded Reber grammar; 4, the adding problem; 6a and 6b, temporal order)
PAPER_SEQUENCES = {
    "reber": 8_440,
    "order2": 31_390,
    "order3": 571_100,
    "adding100": 74_000,
    "adding500": 209_000,
    "adding1000": 853_000,
}


@dataclass(frozen=True)
class Paper1997Budget:
    """The one training budget of every run."""

    max_steps: int = 1500  # Adam steps; a run stops at the first evaluation that meets the criterion
    batch_size: int = 32  # fresh sequences per step: sequences seen = steps * batch_size
    hidden_size: int = 32  # H, one recurrent layer
    lr: float = 1e-2  # Adam learning rate
    clip: float = 1.0  # global gradient-norm clip
    eval_every: int = 50  # steps between evaluations on the held-out sequences
    n_test: int = 500  # held-out sequences per task (seed 999_999_999, the same for every run)
    order_T: int = 100  # length of the temporal order sequences
    adding_tol: float = 0.04  # adding: a sequence is right when |y - y_hat| < adding_tol
    forget_bias: float = 1.0  # forget-gate bias of the "lstm" row
    num_threads: int = 1  # torch threads: one keeps every run identical run to run


PAPER_BUDGET = Paper1997Budget()


@dataclass(frozen=True)
class Paper1997Config:
    """What :func:`run` trains."""

    models: tuple[str, ...] = MODELS  # rows, names from MODELS
    tasks: tuple[str, ...] = TASKS  # columns, names from TASKS
    seeds: tuple[int, ...] = (0, 1, 2)  # one network and one stream of batches per seed
    budget: Paper1997Budget = field(default_factory=lambda: PAPER_BUDGET)
    skip_after_failure: bool = True  # a longer adding problem only after a majority solved the shorter


_TEST_SEED = 999_999_999


def _check_name(arg: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{arg} must be one of {list(allowed)}, got {value!r}")


def reber_batch(strings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs, targets and allowed sets for next-symbol prediction on embedded Reber strings.

    With ``L`` the longest string and ``V = 7`` symbols: ``x`` float32 ``(N, L - 1, V)``, the
    one-hot symbols but the last (rows past a string's end are 0); ``y`` int64 ``(N, L - 1)``,
    the symbol that came next (-100 past the end, ignored by the loss); ``allowed`` bool
    ``(N, L - 1, V)``, the symbols the grammar allows next (all False past the end).
    """
    strings = list(strings)
    if not strings:
        raise ValueError("strings must hold at least one embedded Reber string, got none")
    ids = encode_reber(strings)
    V, L = len(REBER_SYMBOLS), max(len(s) for s in strings)
    x = np.zeros((len(strings), L - 1, V), dtype=np.float32)
    y = np.full((len(strings), L - 1), -100, dtype=np.int64)
    allowed = np.zeros((len(strings), L - 1, V), dtype=bool)
    for n, (s, a) in enumerate(zip(strings, ids)):
        x[n, : len(s) - 1] = one_hot(a[:-1], V)
        y[n, : len(s) - 1] = a[1:]
        for t, symbols in enumerate(reber_next_symbols(s)):
            allowed[n, t, [REBER_SYMBOLS.index(c) for c in symbols]] = True
    return x, y, allowed


def reber_correct(logits, allowed) -> np.ndarray:
    """Per string: was every next symbol predicted correctly? (N,) bool.

    The paper's criterion: at each position the symbols the grammar allows next must be the
    most active outputs, so the smallest logit over the allowed symbols must exceed the largest
    over the others. Positions with no allowed symbol (padding) do not count.
    """
    logits, allowed = np.asarray(logits), np.asarray(allowed, dtype=bool)
    if logits.shape != allowed.shape or logits.ndim != 3:
        raise ValueError(f"logits and allowed must share one shape (N, L, V), got {logits.shape} and {allowed.shape}")
    low = np.where(allowed, logits, np.inf).min(axis=-1)  # (N, L)
    high = np.where(allowed, -np.inf, logits).max(axis=-1)  # (N, L)
    ok = (low > high) | ~allowed.any(axis=-1)
    return ok.all(axis=1)


def order_correct(logits, y) -> np.ndarray:
    """Per sequence: is the class with the largest logit the right one? (N,) bool."""
    logits, y = np.asarray(logits), np.asarray(y)
    if logits.ndim != 2 or y.shape != logits.shape[:1]:
        raise ValueError(f"logits must be (N, C) and y (N,), got {logits.shape} and {y.shape}")
    return logits.argmax(axis=1) == y


def adding_correct(y_pred, y, tol: float = 0.04) -> np.ndarray:
    """Per sequence: is the absolute error below ``tol``, the paper's 0.04? (N,) bool."""
    y_pred, y = np.asarray(y_pred).reshape(-1), np.asarray(y).reshape(-1)
    if y_pred.shape != y.shape:
        raise ValueError(f"y_pred and y must hold as many values, got {y_pred.size} and {y.size}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")
    return np.abs(y_pred - y) < tol


class _PerStep(nn.Module):
    """A recurrent layer and a linear read-out at every step, ``(B, T, D) -> (B, T, V)``."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.rnn, self.head = net.rnn, net.head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(x)  # (B, T, H)
        return self.head(outputs)  # (B, T, V)


def _task(task: str, budget: Paper1997Budget):
    """(input size, output size, T_max for chrono, batch(n, seed), loss, correct(pred, target), test set)."""
    if task == "reber":

        def batch(n, seed):
            x, y, _ = reber_batch(embedded_reber(n, seed=seed))
            return torch.from_numpy(x), torch.from_numpy(y)

        x_test, _, allowed = reber_batch(embedded_reber(budget.n_test, seed=_TEST_SEED))
        return (
            len(REBER_SYMBOLS),
            len(REBER_SYMBOLS),
            x_test.shape[1],
            batch,
            lambda p, y: F.cross_entropy(p.flatten(0, 1), y.flatten(), ignore_index=-100),
            reber_correct,
            (torch.from_numpy(x_test), allowed),
        )
    if task in ("order2", "order3"):
        k = int(task[-1])

        def batch(n, seed):
            X, y = temporal_order(n, budget.order_T, n_relevant=k, seed=seed)
            return torch.from_numpy(one_hot(X, 8)), torch.from_numpy(y)

        x_test, y_test = batch(budget.n_test, _TEST_SEED)
        return 8, 2**k, budget.order_T, batch, F.cross_entropy, order_correct, (x_test, y_test.numpy())
    T = _ADDING_T[task]

    def batch(n, seed):
        return tuple(map(torch.from_numpy, adding_problem(n, T, variant="1997", seed=seed)))

    x_test, y_test = batch(budget.n_test, _TEST_SEED)
    return (
        2,
        1,
        T,
        batch,
        lambda p, y: torch.mean((p[:, 0] - y) ** 2),
        lambda p, y: adding_correct(p, y, budget.adding_tol),
        (x_test, y_test.numpy()),
    )


def _network(model: str, task: str, budget: Paper1997Budget, D: int, K: int, T_max: int) -> nn.Module:
    kind = model if model in ("rnn", "gru") else "lstm"
    init = {"lstm1997": "no_forget", "lstm1997_closed": "no_forget", "chrono": "chrono"}.get(model)
    net = make_model(kind, budget.hidden_size, budget.forget_bias, D, K, init=init, T_max=T_max)
    if model == "lstm1997_closed":
        H = budget.hidden_size
        with torch.no_grad():  # input-gate rows 0:H of the gate order i | f | g | o
            net.rnn.bias_ih_l0[:H] = CLOSED_INPUT_BIAS
            net.rnn.bias_hh_l0[:H] = 0.0
    return _PerStep(net) if task == "reber" else net


def train_task(model: str, task: str, seed: int, budget: Paper1997Budget = PAPER_BUDGET) -> dict:
    """Train ``model`` on ``task`` with seed ``seed`` under ``budget``; one run.

    Step ``s`` draws ``batch_size`` fresh sequences (seed ``1_000_000 * seed + s``). Every
    ``eval_every`` steps the network predicts the ``n_test`` held-out sequences; the run is
    *solved* at the first evaluation where every one of them is right by the task's criterion
    (:func:`reber_correct`, :func:`order_correct`, :func:`adding_correct`), and stops there.

    Returns:
        dict with ``model, task, seed, solved, steps_to_solve, sequences_to_solve`` (steps times
        batch size; ``None`` when unsolved), ``final_correct`` (fraction of held-out sequences
        right at the last evaluation), ``best_correct``, ``steps_run``, ``wall_time_s``, ``curve``
        (list of ``[step, fraction right]``).
    """
    _check_name("model", model, MODELS)
    _check_name("task", task, TASKS)
    if not isinstance(budget, Paper1997Budget):
        raise TypeError(f"budget must be a Paper1997Budget, got {type(budget).__name__}")
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        D, K, T_max, batch, loss, correct, (x_test, target_test) = _task(task, budget)
        net = _network(model, task, budget, D, K, T_max)
        curve, t0 = [], time.perf_counter()

        def evaluate(step: int) -> float:
            with torch.no_grad():
                frac = float(np.mean(correct(net(x_test).numpy(), target_test)))
            curve.append([step, frac])
            return frac

        def solved(step: int, _loss: float) -> bool:
            return step % budget.eval_every == 0 and evaluate(step) == 1.0

        batches = (batch(budget.batch_size, 1_000_000 * seed + s) for s in range(1, budget.max_steps + 1))
        evaluate(0)
        done = train_torch(
            net, batches, loss, steps=budget.max_steps, lr=budget.lr, clip=budget.clip, on_step=solved, progress=False
        )
        fracs = [f for _, f in curve]
        at = curve[-1][0] if fracs[-1] == 1.0 else None
        return {
            "model": model,
            "task": task,
            "seed": int(seed),
            "solved": at is not None,
            "steps_to_solve": at,
            "sequences_to_solve": None if at is None else at * budget.batch_size,
            "final_correct": fracs[-1],
            "best_correct": max(fracs),
            "steps_run": done["steps"],
            "wall_time_s": round(time.perf_counter() - t0, 2),
            "curve": curve,
        }


def paper_table(runs: list[dict], models=MODELS, tasks=TASKS) -> list[dict]:
    """One row per (model, task): seeds run and solved, median and range of the sequences seen
    until success over the solved seeds, the paper's number; ``run`` is False for a skipped cell."""
    rows = []
    for m in models:
        for task in tasks:
            rs = [r for r in runs if (r["model"], r["task"]) == (m, task)]
            cell = solved_cell(
                rs,
                cost="sequences_to_solve",
                final="final_correct",
                cost_label="sequences",
                final_label="final_correct",
            )
            rows.append(
                {
                    "model": m,
                    "task": task,
                    **cell,
                    "paper_sequences": PAPER_SEQUENCES[task],
                }
            )
    return rows


def run(config: Paper1997Config = Paper1997Config(), *, progress: bool = True) -> dict:
    """Train every (model, task, seed) of ``config``; the contents of ``paper_1997.json``."""
    for m in config.models:
        _check_name("config.models", m, MODELS)
    for task in config.tasks:
        _check_name("config.tasks", task, TASKS)
    t0 = time.perf_counter()
    runs, failed = [], set()
    total = len(config.models) * len(config.tasks) * len(config.seeds)
    for m in config.models:
        for task in config.tasks:
            if task in _ADDING_T and m in failed:
                if progress:
                    print(
                        f"{m:8s} {task:10s}  not run: most seeds unsolved at a shorter T", file=sys.stderr, flush=True
                    )
                continue
            cell = []
            for seed in config.seeds:
                r = train_task(m, task, seed, config.budget)
                cell.append(r)
                if progress:
                    print(
                        f"[{len(runs) + len(cell):3d}/{total}] {m:8s} {task:10s} seed={seed}  "
                        f"solved={r['solved']!s:5s} "
                        f"sequences={r['sequences_to_solve']}  right={r['final_correct']:.3f}  "
                        f"{r['wall_time_s']:.1f}s  (total {time.perf_counter() - t0:.0f}s)",
                        file=sys.stderr,
                        flush=True,
                    )
            runs += cell
            if task in _ADDING_T and config.skip_after_failure and 2 * sum(r["solved"] for r in cell) <= len(cell):
                failed.add(m)
    return {
        "description": "The tasks of Hochreiter and Schmidhuber (1997) (embedded Reber grammar, temporal order "
        "with 2 and 3 relevant symbols at T = 100, the 1997 adding problem at T = 100, 500, 1000), one-layer "
        "PyTorch models trained with Adam on batches of fresh sequences under one budget.",
        "criterion": f"solved = every one of {config.budget.n_test} held-out sequences right, checked every "
        f"{config.budget.eval_every} steps (Reber: the allowed next symbols are the most active outputs at every "
        f"position; temporal order: the class is the argmax; adding: |error| < {config.budget.adding_tol}); "
        "sequences_to_solve = steps * batch_size at the first such evaluation",
        "config": asdict(config),
        "paper_sequences": PAPER_SEQUENCES,
        "versions": versions(),
        "total_wall_time_s": round(time.perf_counter() - t0, 1),
        "table": paper_table(runs, config.models, config.tasks),
        "runs": runs,
    }


def _as_config(stored: dict) -> Paper1997Config:
    return Paper1997Config(
        models=tuple(stored["models"]),
        tasks=tuple(stored["tasks"]),
        seeds=tuple(stored["seeds"]),
        budget=Paper1997Budget(**stored["budget"]),
        skip_after_failure=stored["skip_after_failure"],
    )


def load_paper_1997(config: Paper1997Config = Paper1997Config()) -> dict:
    """The stored results (``resources/paper_1997.json``, the keys of :func:`run`), after checking
    that they were made with ``config`` (a ``ValueError`` names the command that remakes them)."""
    results = load_results(PAPER_1997, made_by=_MODULE)
    if _as_config(results["config"]) != config:
        raise ValueError(f"{PAPER_1997}.json was made with another configuration; rerun python -m {_MODULE}")
    return results


def main(argv=None) -> int:
    return script_main(
        PAPER_1997,
        run,
        description="Train the 1997 experiments and store them (about 20 minutes of one core).",
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
