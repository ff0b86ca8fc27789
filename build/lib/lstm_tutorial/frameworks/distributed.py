"""Data-parallel training of the book's PyTorch LSTM across CPU processes (DDP with gloo).

Data parallelism in one paragraph: every process (a *rank*) holds a full copy of the model.
Each optimiser step takes one *global batch* of ``B`` examples and gives each of the ``P``
ranks its own shard of ``B / P`` examples. Every rank computes the gradient of the mean loss
on its shard; :class:`torch.nn.parallel.DistributedDataParallel` then all-reduces the
gradients (sums them over ranks and divides by ``P``) during the backward pass, so every rank
holds the gradient of the mean loss over the whole global batch and takes the same step. The
replicas start equal (DDP broadcasts rank 0's weights) and stay equal, and the training run is
the single-process run on the same global batches, up to the order of floating-point sums.

- :func:`train_ddp` launches ``world_size`` worker processes with ``torch.multiprocessing``
  (start method ``spawn``, so it works from a Jupyter kernel), lets them meet on
  ``127.0.0.1`` at a free port found at run time, trains, and returns a :class:`RunResult`
  read from files the workers write into a temporary directory. A worker that raises makes
  ``train_ddp`` raise :class:`DistributedTrainingError` with the worker's traceback; the other
  workers are terminated, and no process outlives the call. (In a script, call it under
  ``if __name__ == "__main__":``: ``spawn`` re-imports the main script in every worker.)
- :func:`single_process_reference` trains the same model on the same global batches in the
  calling process, for comparison.
- ``python -m lstm_tutorial.frameworks.distributed`` runs both on synthetic data and prints them side by
  side (``--help`` for the flags).

Sizes: ``N`` examples, ``T`` steps, ``D`` input features, ``B`` the global batch, ``P`` the
number of processes (``world_size``).
"""

from __future__ import annotations

import argparse
import math
import socket
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

__all__ = ["DDPConfig", "RunResult", "DistributedTrainingError", "max_abs_diff", "batch_indices", "find_free_port", "train_ddp", "single_process_reference", "main"]


@dataclass(frozen=True)
class DDPConfig:
    """What both runs train: a :class:`~lstm_tutorial.frameworks.torch_models.SequenceRegressor`.

    Attributes:
        hidden_size: ``H`` of the LSTM.
        steps: optimiser steps.
        global_batch: ``B``, examples per step summed over all ranks; must be divisible by
            ``world_size``.
        lr: learning rate.
        momentum: SGD momentum (0 for plain SGD).
        seed: seeds the initial weights and the order of the batches.
    """

    hidden_size: int = 16
    steps: int = 10
    global_batch: int = 32
    lr: float = 0.1
    momentum: float = 0.9
    seed: int = 0


@dataclass
class RunResult:
    """The outcome of one training run.

    Attributes:
        losses: ``(steps,)`` mean loss over the whole global batch at each step, computed
            before that step's update (for DDP: the mean of the ranks' shard losses).
        params: final parameters by name (``rnn.weight_ih_l0`` ...), float32 NumPy arrays.
        rank_losses: ``(P, steps)`` each rank's loss on its own shard (DDP only).
        replica_gap: largest absolute difference between the final parameters of any rank
            and rank 0 (DDP only; 0.0 means the replicas are bit-identical).
    """

    losses: np.ndarray
    params: dict[str, np.ndarray]
    rank_losses: np.ndarray | None = None
    replica_gap: float | None = None

    @property
    def checksum(self) -> float:
        """Sum of every parameter entry, in float64: a one-number fingerprint of the weights."""
        return math.fsum(float(v.astype(np.float64).sum()) for v in self.params.values())


class DistributedTrainingError(RuntimeError):
    """A worker process failed; the message holds its rank and its traceback."""


def max_abs_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """Largest absolute difference between two parameter dicts with the same names and shapes."""
    if a.keys() != b.keys():
        raise ValueError(f"parameter names differ: {sorted(a)} vs {sorted(b)}")
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)))) for k in a)


def _check_config(config: DDPConfig, X, y, world_size: int) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(config, DDPConfig):
        raise TypeError(f"config must be a DDPConfig, got {type(config).__name__}")
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, got {world_size!r}")
    for name in ("hidden_size", "steps", "global_batch"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"config.{name} must be a positive int, got {value!r}")
    if config.global_batch % world_size:
        raise ValueError(f"config.global_batch = {config.global_batch} must be divisible by "
                         f"world_size = {world_size}, so every rank gets an equal shard")
    X = np.ascontiguousarray(X, dtype=np.float32)
    y = np.ascontiguousarray(y, dtype=np.float32)
    if X.ndim != 3:
        raise ValueError(f"X must have shape (N, T, D), got {X.shape}")
    if y.ndim != 2 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have shape (N, outputs) with N = {X.shape[0]}, got {y.shape}")
    if X.shape[0] < config.global_batch:
        raise ValueError(f"N = {X.shape[0]} examples are fewer than one global batch ({config.global_batch})")
    return X, y


def batch_indices(n: int, global_batch: int, steps: int, seed: int) -> np.ndarray:
    """Rows of each global batch: ``(steps, global_batch)`` int64.

    Epochs of a seeded permutation of ``range(n)``, cut into full batches (an incomplete last
    batch of an epoch is dropped), repeated until ``steps`` batches exist. Both runs use it,
    so they see the same global batches in the same order.
    """
    rng = np.random.default_rng(seed)
    per_epoch = n // global_batch
    batches = []
    while len(batches) < steps:
        perm = rng.permutation(n)
        batches.extend(perm[k * global_batch:(k + 1) * global_batch] for k in range(per_epoch))
    return np.stack(batches[:steps]).astype(np.int64)


def _build(config: DDPConfig, D: int, outputs: int):
    import torch

    from lstm_tutorial.frameworks.torch_models import SequenceRegressor

    torch.manual_seed(config.seed)  # the same initial weights in every process
    model = SequenceRegressor(D, config.hidden_size, output_size=outputs)
    opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    return model, opt


def _params(model) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.named_parameters()}


def find_free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it; tiny race before it is used)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _worker(rank: int, world_size: int, port: int, config: DDPConfig, X: np.ndarray, y: np.ndarray,
            out_dir: str, timeout: float) -> None:
    """One rank: join the group, train on this rank's shard of every global batch, save results."""
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel as DDP

    torch.set_num_threads(1)  # P processes share the machine's cores; one thread each
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world_size, timeout=timedelta(seconds=timeout))
    try:
        model, opt = _build(config, X.shape[2], y.shape[1])
        ddp = DDP(model)  # broadcasts rank 0's weights; all-reduces gradients in backward()
        shard = config.global_batch // world_size
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        local, global_ = [], []
        for rows in batch_indices(len(X), config.global_batch, config.steps, config.seed):
            mine = torch.from_numpy(rows[rank * shard:(rank + 1) * shard])  # this rank's shard
            opt.zero_grad()
            loss = F.mse_loss(ddp(Xt[mine]), yt[mine])  # mean over the shard
            loss.backward()  # afterwards every rank holds the gradient averaged over ranks
            opt.step()
            mean_loss = loss.detach().clone()
            dist.all_reduce(mean_loss)  # sum over ranks; equal shards, so / P is the global mean
            local.append(float(loss.detach()))
            global_.append(float(mean_loss) / world_size)
        np.savez(Path(out_dir) / f"rank{rank}.npz", local=np.array(local), global_=np.array(global_),
                 **{"param:" + k: v for k, v in _params(model).items()})
    finally:
        dist.destroy_process_group()


def train_ddp(config: DDPConfig, X, y, *, world_size: int = 2, timeout: float = 120.0) -> RunResult:
    """Train with DistributedDataParallel across ``world_size`` CPU processes (gloo backend).

    Args:
        config: model and optimiser settings, see :class:`DDPConfig`.
        X: inputs ``(N, T, D)``; y: targets ``(N, outputs)`` (cast to float32).
        world_size: number of worker processes ``P``.
        timeout: seconds the whole run may take (start-up included) before the workers are
            killed and ``TimeoutError`` is raised.

    Returns:
        A :class:`RunResult` with rank 0's parameters, the global-batch losses, every rank's
        shard losses and the largest parameter difference between replicas.

    Raises:
        DistributedTrainingError: a worker raised or died; the message names the rank and
            holds its traceback.
    """
    import torch.multiprocessing as mp
    from torch.multiprocessing.spawn import ProcessException

    X, y = _check_config(config, X, y, world_size)
    with tempfile.TemporaryDirectory(prefix="lstm-ddp-") as out_dir:
        port = find_free_port()
        context = mp.start_processes(_worker, args=(world_size, port, config, X, y, out_dir, timeout),
                                     nprocs=world_size, join=False, start_method="spawn")
        deadline = time.monotonic() + timeout
        try:
            while not context.join(timeout=0.2, grace_period=2.0):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"DDP training did not finish within {timeout} s; workers killed")
        except ProcessException as exc:
            raise DistributedTrainingError(f"DDP worker {exc.error_index} failed: {exc}") from None
        finally:
            for process in context.processes:  # nothing outlives the call, whatever happened
                if process.is_alive():
                    process.kill()
                process.join()
        ranks = [np.load(Path(out_dir) / f"rank{r}.npz") for r in range(world_size)]
        params = [{k[len("param:"):]: f[k] for k in f.files if k.startswith("param:")} for f in ranks]
        return RunResult(
            losses=ranks[0]["global_"],
            params=params[0],
            rank_losses=np.stack([f["local"] for f in ranks]),
            replica_gap=max(max_abs_diff(params[0], p) for p in params),
        )


def single_process_reference(config: DDPConfig, X, y) -> RunResult:
    """Train the same model on the same global batches in this process, without DDP."""
    import torch
    import torch.nn.functional as F

    X, y = _check_config(config, X, y, 1)
    model, opt = _build(config, X.shape[2], y.shape[1])
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    losses = []
    for rows in batch_indices(len(X), config.global_batch, config.steps, config.seed):
        rows = torch.from_numpy(rows)
        opt.zero_grad()
        loss = F.mse_loss(model(Xt[rows]), yt[rows])  # mean over the whole global batch
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return RunResult(losses=np.array(losses), params=_params(model))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_tutorial.frameworks.distributed",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--world-size", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--steps", type=int, default=DDPConfig.steps)
    parser.add_argument("--global-batch", type=int, default=DDPConfig.global_batch)
    parser.add_argument("--hidden-size", type=int, default=DDPConfig.hidden_size)
    parser.add_argument("--seed", type=int, default=DDPConfig.seed)
    args = parser.parse_args(argv)
    config = DDPConfig(hidden_size=args.hidden_size, steps=args.steps, global_batch=args.global_batch,
                       seed=args.seed)
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((4 * args.global_batch, 12, 3)).astype(np.float32)  # (N, T, D)
    y = X[:, -3:, :1].sum(axis=1)  # a target the LSTM can learn: sum of the last 3 inputs
    try:
        ddp = train_ddp(config, X, y, world_size=args.world_size)
    except (ValueError, DistributedTrainingError) as exc:
        parser.error(str(exc))
    ref = single_process_reference(config, X, y)
    print(f"config: {asdict(config)}, world_size={args.world_size}")
    print(f"{'step':>4} {'DDP loss':>10} {'1-process':>10}")
    for s, (a, b) in enumerate(zip(ddp.losses, ref.losses)):
        print(f"{s:>4} {a:>10.5f} {b:>10.5f}")
    print(f"max |loss difference|: {np.max(np.abs(ddp.losses - ref.losses)):.1e}")
    print(f"max |parameter difference|: {max_abs_diff(ddp.params, ref.params):.1e}; "
          f"between replicas: {ddp.replica_gap:.1e}")
    return 0