"""Measurements the chapters show: vanishing gradients, the long-lag reproduction table, and
the NumPy engine trained on the adding problem.

The first two use PyTorch (autograd, and its fast fused RNN kernels); the comparisons are
between models, not frameworks. :func:`train_adding_numpy` trains the package's own NumPy
engine instead. Results are tidy: one ``dict`` per measurement, ready for
``pandas.DataFrame(rows)``.

- :func:`gradient_norm_vs_lag`: how much of the loss gradient reaches the input ``k`` steps
  back, for a tanh RNN at chosen recurrent spectral radii and for an LSTM at chosen
  forget-gate biases, over several seeds.
- :func:`train_adding`: one cell of the reproduction table, a model trained on the adding
  problem under a fixed budget; :data:`DEFAULT_BUDGET` is the budget the table uses.
- :func:`train_adding_numpy`: the NumPy engine's :class:`~lstm_tutorial.training.SequenceModel`
  trained on the adding problem, with its test-MSE curve (the Part II chapters' experiments).
- :func:`load_reproduction_table`: the cached table written by
  ``scripts/make_reproduction_table.py``, so a chapter shows it without retraining.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np

from lstm_tutorial.repro import limit_threads
from lstm_tutorial.tasks import adding_problem, adding_problem_baseline, delayed_recall, one_hot

__all__ = [
    "gradient_norm_vs_lag", "summarise_gradient_rows",
    "AddingBudget", "DEFAULT_BUDGET", "make_model", "train_adding",
    "aggregate_cells", "load_reproduction_table", "budget_as_dict", "REPRODUCTION_TABLE",
    "train_delayed_recall", "train_adding_numpy",
]

REPRODUCTION_TABLE = "reproduction_table.json"


def _torch():
    import torch

    return torch


# --------------------------------------------------------------------------- gradient norms

def _configure(module, cell: str, spectral_radius, forget_bias, seed: int):
    """Initialise ``module`` (an ``nn.RNN`` or ``nn.LSTM``) for one configuration."""
    torch = _torch()
    H = module.hidden_size
    with torch.no_grad():
        if cell == "rnn" and spectral_radius is not None:
            g = np.random.default_rng(seed)
            U = g.standard_normal((H, H))
            U *= spectral_radius / np.max(np.abs(np.linalg.eigvals(U)))
            module.weight_hh_l0.copy_(torch.from_numpy(U))
        if cell == "lstm" and forget_bias is not None:
            # PyTorch adds two bias vectors; gate order i|f|g|o, so the forget block is H:2H.
            module.bias_ih_l0[H:2 * H] = forget_bias
            module.bias_hh_l0[H:2 * H] = 0.0


def gradient_norm_vs_lag(cell: str = "rnn", *, hidden_size: int = 64, input_size: int = 8,
                         T: int = 101, lags: Iterable[int] = (0, 1, 2, 5, 10, 20, 50, 100),
                         spectral_radius: Iterable[float | None] = (None,),
                         forget_bias: Iterable[float | None] = (None,),
                         seeds: Iterable[int] = range(5), batch_size: int = 32) -> list[dict]:
    """Norm of ``dL/dx_{T-1-k}`` relative to ``k = 0``, as a function of the lag ``k``.

    A network at initialisation (float64) reads ``B`` random sequences ``x ~ N(0, 1)`` of
    shape ``(B, T, D)``; the loss is ``L = sum_b v . h_{T-1}`` with a fixed random unit
    vector ``v``. Backpropagation gives ``dL/dx_t`` for every step ``t``; its Frobenius norm
    over the batch ``k`` steps before the last step, divided by the norm at the last step,
    is the fraction of the error signal that survives ``k`` steps.

    Args:
        cell: ``"rnn"`` (tanh) or ``"lstm"``.
        spectral_radius: for the RNN, recurrent matrices ``U`` drawn Gaussian and rescaled to
            these spectral radii; ``None`` keeps PyTorch's default init
            ``U(-1/sqrt(H), 1/sqrt(H))`` (radius about ``1/sqrt(3) ~ 0.58``).
        forget_bias: for the LSTM, the forget-gate bias (``bias_ih`` block set to the value,
            ``bias_hh`` block to 0, so their sum is the value); ``None`` keeps the default.
        lags: the ``k`` to report, each ``< T``.
        seeds: one network and one batch per seed.

    Returns:
        One dict per (configuration, seed, k): ``cell, spectral_radius, forget_bias, seed,
        k, grad_norm, ratio``.
    """
    torch = _torch()
    if cell not in ("rnn", "lstm"):
        raise ValueError(f"cell must be 'rnn' or 'lstm', got {cell!r}")
    lags = [int(k) for k in lags]
    if not lags or min(lags) < 0 or max(lags) >= T:
        raise ValueError(f"lags must lie in 0..T-1 = 0..{T - 1}, got {lags}")
    configs = ([(r, None) for r in spectral_radius] if cell == "rnn"
               else [(None, b) for b in forget_bias])
    rows = []
    for rho, fb in configs:
        for seed in seeds:
            torch.manual_seed(seed)
            cls = torch.nn.RNN if cell == "rnn" else torch.nn.LSTM
            net = cls(input_size, hidden_size, batch_first=True).double()
            _configure(net, cell, rho, fb, seed)
            g = torch.Generator().manual_seed(10_000 + seed)
            x = torch.randn(batch_size, T, input_size, generator=g, dtype=torch.float64,
                            requires_grad=True)
            v = torch.randn(hidden_size, generator=g, dtype=torch.float64)
            out, _ = net(x)                                   # (B, T, H)
            (out[:, -1] @ (v / v.norm())).sum().backward()
            norms = x.grad.norm(dim=(0, 2)).numpy()           # (T,)
            for k in lags:
                rows.append({"cell": cell, "spectral_radius": rho, "forget_bias": fb,
                             "seed": int(seed), "k": k, "grad_norm": float(norms[T - 1 - k]),
                             "ratio": float(norms[T - 1 - k] / norms[T - 1])})
    return rows


def summarise_gradient_rows(rows: list[dict]) -> list[dict]:
    """Median, min and max of ``ratio`` over seeds, per (cell, configuration, k)."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["cell"], r["spectral_radius"], r["forget_bias"], r["k"]), []).append(r["ratio"])
    return [{"cell": c, "spectral_radius": s, "forget_bias": f, "k": k, "n_seeds": len(v),
             "median": float(np.median(v)), "min": float(np.min(v)), "max": float(np.max(v))}
            for (c, s, f, k), v in groups.items()]


# --------------------------------------------------------------------------- adding problem

@dataclass(frozen=True)
class AddingBudget:
    """The fixed training budget of every cell of the reproduction table."""

    max_steps: int = 2000        # optimiser steps; training stops early once solved
    batch_size: int = 32         # fresh sequences per step
    hidden_size: int = 32        # H, one recurrent layer, linear read-out of h_{T-1}
    lr: float = 3e-3             # Adam learning rate
    clip: float = 1.0            # global gradient-norm clip
    eval_every: int = 50         # steps between evaluations on the fixed test set
    n_test: int = 500            # test sequences (their own seed, same for every cell)
    threshold: float = 0.01      # "solved": test MSE below this (6% of the 1/6 baseline)
    forget_bias: float = 1.0     # LSTM forget-gate bias at init (the usual practice)
    num_threads: int = 1         # torch threads: one keeps results identical run to run


DEFAULT_BUDGET = AddingBudget()


def make_model(model: str, hidden_size: int, forget_bias: float = 1.0, input_size: int = 2,
               output_size: int = 1):
    """A one-layer ``"rnn"`` (tanh), ``"gru"`` or ``"lstm"`` with a linear read-out of the
    last hidden state: ``(B, T, D) -> (B,)`` when ``output_size == 1``, else ``(B, output_size)``."""
    torch = _torch()
    classes = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
    if model not in classes:
        raise ValueError(f"model must be one of {sorted(classes)}, got {model!r}")

    class Regressor(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = classes[model](input_size, hidden_size, batch_first=True)
            self.head = torch.nn.Linear(hidden_size, output_size)

        def forward(self, x):                                 # x: (B, T, D)
            out, _ = self.rnn(x)                              # (B, T, H)
            y = self.head(out[:, -1])                         # (B, output_size)
            return y.squeeze(-1) if output_size == 1 else y

    net = Regressor()
    if model == "lstm":
        _configure(net.rnn, "lstm", None, forget_bias, 0)
    return net


def train_adding(model: str = "lstm", T: int = 50, seed: int = 0,
                 budget: AddingBudget = DEFAULT_BUDGET) -> dict:
    """Train one model on the modern adding problem under ``budget``; one table cell, one seed.

    Every step draws a fresh batch (``adding_problem`` with seed ``1_000_000 * seed + step``);
    the test set is fixed (seed 999_999_999). Every ``eval_every`` steps the test MSE is
    measured; the run is *solved* at the first evaluation with test MSE below
    ``budget.threshold`` and stops there (``steps_to_solve``); otherwise it runs
    ``max_steps`` and ``steps_to_solve`` is ``None``.

    Returns:
        dict with ``model, T, seed, solved, steps_to_solve, final_test_mse, best_test_mse,
        steps_run, wall_time_s, curve`` (list of ``[step, test_mse]``).
    """
    torch = _torch()
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        net = make_model(model, budget.hidden_size, budget.forget_bias)
        opt = torch.optim.Adam(net.parameters(), lr=budget.lr)
        X_test, y_test = map(torch.from_numpy, adding_problem(budget.n_test, T, seed=999_999_999))
        curve, solved_at, t0 = [], None, time.perf_counter()

        def evaluate(step):
            with torch.no_grad():
                mse = float(torch.mean((net(X_test) - y_test) ** 2))
            curve.append([step, mse])
            return mse

        evaluate(0)
        step = 0
        for step in range(1, budget.max_steps + 1):
            X, y = map(torch.from_numpy, adding_problem(budget.batch_size, T, seed=1_000_000 * seed + step))
            loss = torch.mean((net(X) - y) ** 2)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), budget.clip)
            opt.step()
            if step % budget.eval_every == 0 and evaluate(step) < budget.threshold:
                solved_at = step
                break
        mses = [m for _, m in curve]
        return {"model": model, "T": T, "seed": seed, "solved": solved_at is not None,
                "steps_to_solve": solved_at, "final_test_mse": mses[-1],
                "best_test_mse": min(mses), "steps_run": step,
                "wall_time_s": round(time.perf_counter() - t0, 2), "curve": curve}


def train_delayed_recall(model: str = "lstm", lag: int = 50, seed: int = 0, *, steps: int = 1000,
                         batch_size: int = 32, hidden_size: int = 32, lr: float = 3e-3,
                         clip: float = 1.0, n_symbols: int = 8, n_distractors: int = 0, n_test: int = 500,
                         forget_bias: float = 3.0, num_threads: int = 1) -> dict:
    """Train one model on :func:`~lstm_tutorial.tasks.delayed_recall` at one lag.

    The same model, budget and seed at every lag, so only the lag changes. Inputs are one-hot
    ``(B, lag + 1, n_symbols + n_distractors)``; the read-out of the last hidden state gives
    ``n_symbols`` logits, trained with cross-entropy on fresh batches. Chance accuracy is
    ``1 / n_symbols``. ``forget_bias`` applies to the LSTM only; its default 3 starts the
    forget gate open (about 0.95), which :func:`gradient_norm_vs_lag` shows is what keeps the
    gradient alive over tens of steps at initialisation.

    Returns:
        dict with ``model, lag, seed, test_accuracy, test_cross_entropy, chance_accuracy,
        wall_time_s``.
    """
    torch = _torch()
    depth = n_symbols + n_distractors
    with limit_threads(num_threads, blas=False):
        torch.manual_seed(seed)
        net = make_model(model, hidden_size, forget_bias, input_size=depth, output_size=n_symbols)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        t0 = time.perf_counter()
        for step in range(1, steps + 1):
            X, y = delayed_recall(batch_size, lag, n_symbols=n_symbols, n_distractors=n_distractors, seed=1_000_000 * seed + step)
            loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(one_hot(X, depth))),
                                                     torch.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
            opt.step()
        X, y = delayed_recall(n_test, lag, n_symbols=n_symbols, n_distractors=n_distractors, seed=999_999_999)
        with torch.no_grad():
            logits = net(torch.from_numpy(one_hot(X, depth)))
            y = torch.from_numpy(y)
            ce = float(torch.nn.functional.cross_entropy(logits, y))
            acc = float((logits.argmax(-1) == y).double().mean())
        return {"model": model, "lag": lag, "seed": seed, "test_accuracy": acc,
                "test_cross_entropy": ce, "chance_accuracy": 1.0 / n_symbols,
                "wall_time_s": round(time.perf_counter() - t0, 2)}


def train_adding_numpy(kind: str = "lstm", T: int = 50, *, hidden_size: int = 32, steps: int = 1000,
                       lr: float = 1e-2, clip: float | None = 1.0, batch_size: int = 32, seed: int = 0,
                       dtype=np.float64, eval_every: int | None = None, n_train: int | None = None,
                       train_seed: int = 1000, n_test: int = 500, test_seed: int = 999_999_999,
                       num_threads: int | None = 1) -> dict:
    """Train the NumPy engine's ``SequenceModel(kind, 2, H, 1)`` on the modern adding problem.

    Adam with learning rate ``lr``, batches of ``batch_size``, gradients clipped to joint norm
    ``clip``, through :func:`lstm_tutorial.training.fit`. The test set is fixed:
    ``adding_problem(n_test, T, seed=test_seed)``. Its MSE is measured before training and
    after every round of training; round ``r`` (``r = 0, 1, ...``) calls ``fit`` once with
    ``seed=r`` (its shuffling seed). The training data comes in one of two ways:

    - ``n_train=None`` (fresh data): every round draws ``eval_every * batch_size`` new
      sequences, ``adding_problem(..., seed=train_seed + r)``, and makes one pass over them,
      ``eval_every`` steps (default 50).
    - ``n_train=N``: one fixed training set ``adding_problem(N, T, seed=train_seed)``; every
      round is one pass (epoch) over it, ``ceil(N / batch_size)`` steps, the last batch
      smaller; ``eval_every`` must be ``None`` or that number.

    ``steps`` must be a whole number of rounds. The model is initialised with ``seed`` and
    computes in ``dtype``. ``num_threads`` limits the BLAS threads during the call (one is
    faster for these small matrices and sums in a fixed order); ``None`` leaves them alone.

    Returns:
        dict with ``kind, T, seed``; ``steps`` int array ``(R + 1,)``, the Adam steps done at
        each evaluation ``0, e, 2e, ..., R e``; ``test_mse`` float array ``(R + 1,)``, the test
        MSE at those steps (``test_mse[0]`` before training); ``model`` the trained
        ``SequenceModel``; ``n_params`` its number of parameters (cell and read-out);
        ``X_test`` ``(n_test, T, 2)`` and ``y_test`` ``(n_test,)`` in ``dtype``.
    """
    from lstm_tutorial.training import Adam, SequenceModel, fit, mse_loss

    if n_train is None:
        every = 50 if eval_every is None else int(eval_every)
    else:
        every = math.ceil(n_train / batch_size)
        if eval_every is not None and eval_every != every:
            raise ValueError(f"with a fixed training set, one round is one pass of {every} steps; "
                             f"got eval_every={eval_every}")
    if every < 1 or steps < 0 or steps % every:
        raise ValueError(f"steps must be a whole number of rounds of {every} steps, got steps={steps}")
    X_test, y_test = adding_problem(n_test, T, seed=test_seed)
    X_test, y_test = X_test.astype(dtype), y_test.astype(dtype)
    if n_train is not None:
        X_fixed, y_fixed = adding_problem(n_train, T, seed=train_seed)
        X_fixed, y_fixed = X_fixed.astype(dtype), y_fixed[:, None].astype(dtype)

    with limit_threads(num_threads):
        model = SequenceModel(kind, 2, hidden_size, 1, seed=seed, dtype=dtype)
        optimizer = Adam(lr=lr)
        curve = [mse_loss(model.predict(X_test), y_test)[0]]
        for r in range(steps // every):
            if n_train is None:
                X, y = adding_problem(every * batch_size, T, seed=train_seed + r)
                X, y = X.astype(dtype), y[:, None].astype(dtype)
            else:
                X, y = X_fixed, y_fixed
            fit(model, X, y, optimizer=optimizer, batch_size=batch_size, clip=clip, seed=r, progress=False)
            curve.append(mse_loss(model.predict(X_test), y_test)[0])
    return {"kind": kind, "T": T, "seed": seed, "steps": np.arange(len(curve)) * every,
            "test_mse": np.array(curve), "model": model,
            "n_params": int(sum(v.size for v in model.params.values())),
            "X_test": X_test, "y_test": y_test}


def aggregate_cells(runs: list[dict]) -> list[dict]:
    """Per (model, T): success rate, median steps-to-solve of the solved runs, median final
    MSE, next to the chance baseline MSE 1/6."""
    groups: dict = {}
    for r in runs:
        groups.setdefault((r["model"], r["T"]), []).append(r)
    out = []
    for (m, T), rs in sorted(groups.items(), key=lambda kv: (["rnn", "gru", "lstm"].index(kv[0][0]), kv[0][1])):
        solved = [r["steps_to_solve"] for r in rs if r["solved"]]
        out.append({"model": m, "T": T, "n_seeds": len(rs), "n_solved": len(solved),
                    "success_rate": len(solved) / len(rs),
                    "median_steps_to_solve": float(np.median(solved)) if solved else None,
                    "median_final_mse": float(np.median([r["final_test_mse"] for r in rs])),
                    "baseline_mse": adding_problem_baseline("modern")})
    return out


def load_reproduction_table() -> dict:
    """The cached reproduction table (``lstm_tutorial/resources/reproduction_table.json``).

    Keys: ``budget`` (:class:`AddingBudget` fields), ``criterion``, ``baseline_mse``,
    ``seeds``, ``Ts``, ``models``, ``versions``, ``runs`` (one dict per model, T and seed, as
    returned by :func:`train_adding`) and ``table`` (:func:`aggregate_cells` rows).
    """
    from lstm_tutorial.data import available_results, load_results

    if REPRODUCTION_TABLE.removesuffix(".json") not in available_results():
        raise FileNotFoundError(f"{REPRODUCTION_TABLE} not found; run scripts/make_reproduction_table.py")
    return load_results(REPRODUCTION_TABLE)


def budget_as_dict(budget: AddingBudget = DEFAULT_BUDGET) -> dict:
    """The budget as a plain dict, as stored in the results file."""
    return asdict(budget)
