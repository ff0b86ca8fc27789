"""DDP across two CPU processes trains exactly what one process trains on the same global batch."""

import numpy as np
import pytest

from lstm_tutorial.frameworks import distributed


def _data(n=48, T=6, D=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, T, D)).astype(np.float32)  # (N, T, D)
    y = X[:, -2:, :1].sum(axis=1)  # (N, 1)
    return X, y


def test_two_processes_match_one_process():
    X, y = _data()
    config = distributed.DDPConfig(hidden_size=8, steps=4, global_batch=16, lr=0.1, momentum=0.9, seed=3)
    ddp = distributed.train_ddp(config, X, y, world_size=2, timeout=60)
    ref = distributed.single_process_reference(config, X, y)
    assert ddp.losses.shape == ref.losses.shape == (4,)
    assert ddp.rank_losses.shape == (2, 4)
    # the global loss is the mean of the two shard losses (equal shards)
    np.testing.assert_allclose(ddp.losses, ddp.rank_losses.mean(axis=0), rtol=1e-6)
    assert np.max(np.abs(ddp.losses - ref.losses)) < 1e-5
    assert ref.losses[-1] < ref.losses[0]  # it did train
    assert ddp.replica_gap == 0.0  # the replicas stay bit-identical
    assert distributed.max_abs_diff(ddp.params, ref.params) < 1e-6
    assert abs(ddp.checksum - ref.checksum) < 1e-4
    assert set(ddp.params) == {
        "rnn.weight_ih_l0",
        "rnn.weight_hh_l0",
        "rnn.bias_ih_l0",
        "rnn.bias_hh_l0",
        "head.weight",
        "head.bias",
    }


def test_worker_failure_surfaces_with_its_traceback():
    X, y = _data()
    bad = distributed.DDPConfig(
        hidden_size=4, steps=1, global_batch=16, lr=-1.0
    )  # torch's SGD rejects it in the worker
    with pytest.raises(distributed.DistributedTrainingError, match="Invalid learning rate"):
        distributed.train_ddp(bad, X, y, world_size=2, timeout=60)


def test_bad_arguments_are_rejected_before_any_process_starts():
    X, y = _data()
    with pytest.raises(ValueError, match="divisible by world_size"):
        distributed.train_ddp(distributed.DDPConfig(global_batch=15), X, y, world_size=2)
    with pytest.raises(ValueError, match=r"X must have shape \(N, T, D\)"):
        distributed.single_process_reference(distributed.DDPConfig(), X[:, :, 0], y)
    with pytest.raises(ValueError, match="fewer than one global batch"):
        distributed.single_process_reference(distributed.DDPConfig(global_batch=64), X, y)


def test_batch_indices_cover_each_epoch_once():
    idx = distributed.batch_indices(10, 4, 5, seed=0)
    assert idx.shape == (5, 4)
    first_epoch = np.concatenate(idx[:2])
    assert len(set(first_epoch.tolist())) == 8  # two full batches per epoch, no repeats inside one
    np.testing.assert_array_equal(idx, distributed.batch_indices(10, 4, 5, seed=0))


def test_free_port_is_bindable():
    import socket

    port = distributed.find_free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
