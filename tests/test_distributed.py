"""mlcourse.distributed: real processes give the results of one process; faults are handled.

Every test that starts processes checks that none is left behind. The worker
processes are shared through a module-scoped group where a test does not
break it on purpose.
"""

from __future__ import annotations

import _thread
import threading
import time

import numpy as np
import pytest

from mlcourse.data import load_mnist
from mlcourse.distributed import (
    PrefetchLoader,
    ProcessGroup,
    ShardedSampler,
    TrainConfig,
    WorkerError,
    WorkerTimeout,
    child_processes,
    data_parallel_job,
    free_port,
    model_parallel_job,
    train_single_process,
)
from mlcourse.distributed import faults, torch_jobs

# float64 training on K processes against one process: rounding only (sums in another order)
PARAMETER_TOL = 1e-10


@pytest.fixture(scope="module")
def data():
    (X, y), _ = load_mnist(flatten=True, subset=(600, 10), seed=0, normalize=True)
    return X, y


@pytest.fixture(scope="module")
def group():
    before = set(child_processes())
    with ProcessGroup(5, timeout=60) as g:
        yield g
    assert not g.alive
    assert set(child_processes()) <= before, "worker processes were left behind"


@pytest.fixture
def no_leftovers():
    before = set(child_processes())
    yield
    deadline = time.monotonic() + 3
    while set(child_processes()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(child_processes()) <= before, "worker processes were left behind"


def test_sampler_steps_cover_the_combined_batch():
    K, b, n = 3, 4, 50
    for epoch in (0, 1):
        samplers = [ShardedSampler(n, K, r, b, seed=7) for r in range(K)]
        single = ShardedSampler(n, 1, 0, K * b, seed=7)
        for s in samplers + [single]:
            s.set_epoch(epoch)
        for step, (whole, *shards) in enumerate(zip(single, *samplers)):
            assert sorted(np.concatenate(shards).tolist()) == sorted(whole.tolist())
            assert all(len(s) == b for s in shards)
        assert step == n // (K * b) - 1
    first = [idx.tolist() for idx in ShardedSampler(n, 1, 0, 5, seed=7)]
    other = ShardedSampler(n, 1, 0, 5, seed=7)
    other.set_epoch(1)
    assert first != [idx.tolist() for idx in other]


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=10, num_replicas=2, rank=2, batch_size=2), "rank must be in 0..1"),
    (dict(n=10, num_replicas=0, rank=0, batch_size=2), "num_replicas"),
    (dict(n=10, num_replicas=4, rank=0, batch_size=3), "larger than the dataset"),
])
def test_sampler_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ShardedSampler(**kwargs)


@pytest.mark.parametrize("K", [1, 2, 3, 4])
def test_ring_allreduce_sums_and_sends_2_k_minus_1_over_k(group, K):
    vectors = np.random.default_rng(K).standard_normal((K, 1001))
    out = group.run(faults.allreduce_job, vectors, ranks=range(K))
    for o in out:
        np.testing.assert_allclose(o, vectors.sum(axis=0), rtol=1e-12, atol=1e-12)
    sent = np.array([s["bytes_sent"] for s in group.last_stats])
    payload = 2 * (K - 1) / K * vectors[0].nbytes
    header = 300 * 2 * (K - 1)  # pickled dtype and shape of each message
    assert np.all(sent >= payload - 16) and np.all(sent <= payload + header)


def test_broadcast_from_any_root_to_a_subset(group):
    x = np.arange(7.0)
    out = group.run(faults.broadcast_job, x, root=2, ranks=[4, 1, 0])
    assert all(np.array_equal(o, x) for o in out)


def test_naive_ring_deadlocks_on_large_chunks_and_is_reported(no_leftovers):
    large = np.zeros((2, 1 << 20))  # chunks of 4 MiB: larger than any pipe buffer
    with ProcessGroup(2, timeout=10) as pair:
        small = np.ones((2, 100))
        assert np.allclose(pair.run(faults.allreduce_job, small, naive=True)[0], 2.0)
        start = time.perf_counter()
        with pytest.raises(WorkerTimeout, match="deadlock") as info:
            pair.run(faults.allreduce_job, large, naive=True, timeout=1.0)
        assert time.perf_counter() - start < 5
        assert "rank 0 (worker 0): blocked sending to worker 1" in str(info.value)
        assert not pair.alive


def test_data_parallel_training_equals_one_process(group, data):
    X, y = data
    config = TrainConfig(seed=3, epochs=2, batch_size=60, lr=0.2)
    reference = train_single_process(X, y, config)
    for K in (1, 2, 4):
        if 60 % K:
            continue
        results = group.run(data_parallel_job, X, y, config, ranks=range(K))
        for r in results:
            np.testing.assert_allclose(r["params"], reference["params"], rtol=0,
                                       atol=PARAMETER_TOL)
            assert r["steps"] == len(reference["losses"]) == 20
        assert results[-1]["differed_before_broadcast"] == (K > 1)
    # the check can fail: another learning rate gives other parameters
    other = train_single_process(X, y, TrainConfig(seed=3, epochs=2, batch_size=60, lr=0.1))
    assert np.abs(other["params"] - reference["params"]).max() > 1e-3


def test_parameter_server_training_equals_one_process_and_loads_the_server(group, data):
    X, y = data
    config = TrainConfig(seed=1, epochs=1, batch_size=60, lr=0.2, allreduce="ps")
    reference = train_single_process(X, y, config)
    results = group.run(data_parallel_job, X, y, config, ranks=range(4))  # 3 workers + server
    for r in results:
        np.testing.assert_allclose(r["params"], reference["params"], rtol=0, atol=PARAMETER_TOL)
    worker, server = results[0]["bytes_sent"], results[-1]["bytes_sent"]
    assert server == pytest.approx(3 * worker, rel=1e-3)


@pytest.mark.parametrize("micro_batches", [1, 3])
def test_model_parallel_training_equals_one_process(group, data, micro_batches):
    X, y = data
    config = TrainConfig(seed=2, epochs=1, batch_size=60, lr=0.2)
    reference = train_single_process(X, y, config)
    stages = group.run(model_parallel_job, X, y, config, micro_batches=micro_batches,
                       ranks=[3, 1])
    whole = np.concatenate([stages[0]["params"], stages[1]["params"]])
    np.testing.assert_allclose(whole, reference["params"], rtol=0, atol=PARAMETER_TOL)
    np.testing.assert_allclose(stages[1]["losses"], reference["losses"], rtol=1e-12)


def test_group_rejects_functions_the_workers_cannot_import(group):
    with pytest.raises(ValueError, match="module level"):
        group.run(lambda comm: None)
    with pytest.raises(ValueError, match="distinct workers"):
        group.run(faults.identify_job, np.zeros(1), ranks=[0, 0])
    assert group.alive


@pytest.mark.parametrize("fault, error, message", [
    ("raise", WorkerError, "worker 1 .* raised FloatingPointError: loss is NaN"),
    ("crash", WorkerError, "worker 1 .* exited with code 9"),
    ("hang", WorkerTimeout, r"rank\(s\) \[1\] did not reach a send or receive"),
])
def test_a_failing_worker_raises_naming_it_and_leaves_nothing(no_leftovers, fault, error,
                                                              message):
    with ProcessGroup(3, timeout=20) as trio:
        trio.run(faults.identify_job, np.zeros(1))  # started
        start = time.perf_counter()
        with pytest.raises(error, match=message) as info:
            trio.run(faults.faulty_allreduce_job, 100, fault, 1, timeout=1.5)
        assert time.perf_counter() - start < 5
        assert info.value.rank == 1 if fault != "hang" else info.value.ranks == [0, 1, 2]
        assert not trio.alive
        with pytest.raises(RuntimeError, match="closed"):
            trio.run(faults.identify_job, np.zeros(1))


def test_worker_traceback_reaches_the_parent(no_leftovers):
    with ProcessGroup(2, timeout=20) as pair:
        with pytest.raises(WorkerError, match="its traceback") as info:
            pair.run(faults.faulty_allreduce_job, 10, "raise", 0)
        assert "faults.py" in str(info.value) and info.value.rank == 0


def test_keyboard_interrupt_stops_all_workers(no_leftovers):
    pair = ProcessGroup(2, timeout=30)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        pair.run(faults.faulty_allreduce_job, 100, "hang", 1)
    assert time.perf_counter() - start < 5
    assert not any(p.is_alive() for p in pair.processes)


def test_workers_exit_when_the_group_is_garbage_collected(no_leftovers):
    pair = ProcessGroup(2, timeout=20)
    pair.run(faults.identify_job, np.zeros(1))
    processes = list(pair.processes)
    del pair
    import gc

    gc.collect()
    for p in processes:
        p.join(3)
    assert not any(p.is_alive() for p in processes)


def test_dataflow_is_reproducible_whatever_the_worker_count(data, no_leftovers):
    X, y = data
    runs = []
    for workers, seed in ((1, 0), (2, 0), (1, 1)):
        with PrefetchLoader(X, y, 50, num_workers=workers, seed=seed, epochs=2) as loader:
            runs.append([[xb for xb, _ in loader] for _ in range(2)])
    one, two, other_seed = runs
    for epoch in range(2):
        assert len(one[epoch]) == len(two[epoch]) == 12
        # the same operations on the same numbers in every process: equal bit for bit
        assert all(np.array_equal(a, b) for a, b in zip(one[epoch], two[epoch]))
        assert not np.array_equal(one[epoch][0], other_seed[epoch][0])
    assert not np.array_equal(one[0][0], one[1][0])  # a fresh augmentation every epoch


def test_dataflow_slow_or_crashing_worker_raises_naming_it(data, no_leftovers):
    X, y = data
    with pytest.raises(TimeoutError, match="dataflow worker 0 delivered no batch"):
        with PrefetchLoader(X, y, 50, num_workers=1, delay=2.0, timeout=0.3) as loader:
            list(loader)
    with pytest.raises(WorkerError, match="dataflow worker 1 died .* batch 3 of epoch 0"):
        with PrefetchLoader(X, y, 50, num_workers=2, fail_at=3, timeout=10) as loader:
            list(loader)


def test_free_port_is_on_localhost():
    port = free_port()
    assert 1024 <= port < 65536


@pytest.mark.skipif(not torch_jobs.torch_available(), reason="PyTorch is not installed")
def test_torch_distributed_matches_our_ring_and_training(group, data):
    X, y = data
    vectors = np.random.default_rng(0).standard_normal((2, 1000))
    out = group.run(torch_jobs.torch_allreduce_job, free_port(), vectors, 1, ranks=[0, 1])
    for o in out:
        np.testing.assert_allclose(o["torch"], o["ring"], rtol=1e-12, atol=1e-12)
    config = TrainConfig(seed=4, epochs=1, batch_size=60, lr=0.2, max_steps=3)
    ddp = group.run(torch_jobs.ddp_step_job, free_port(), X, y, config, steps=3,
                    bucket_cap_mb=0.004, ranks=[0, 1])
    reference = train_single_process(X, y, config)
    for d in ddp:
        np.testing.assert_allclose(d["params"], reference["params"], rtol=0, atol=PARAMETER_TOL)
    assert ddp[0]["buckets"][0] == [["0.weight", "0.bias", "2.weight", "2.bias"]]
    assert ddp[0]["buckets"][1] == [["2.bias", "2.weight"], ["0.bias", "0.weight"]]
