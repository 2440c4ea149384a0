"""The same all-reduce and training step through ``torch.distributed`` and ``DistributedDataParallel``.

The jobs run inside the workers of a :class:`~mlcourse.distributed.comm.ProcessGroup`
and set up PyTorch's own process group next to ours: backend ``gloo`` (CPU),
rendezvous over TCP on ``127.0.0.1`` at a port the parent picked with
:func:`~mlcourse.distributed.comm.free_port`, and gloo's sockets pinned to the
loopback interface. ``torch`` is imported inside the jobs, so this module
imports without it; :func:`torch_available` says whether the jobs can run.

See Also
--------
Chapter 13, section on the engine in practice.
"""

from __future__ import annotations

import importlib.util
import os
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .collectives import ShardedSampler, ring_allreduce
from .comm import Comm
from .training import TrainConfig, make_mlp

__all__ = ["torch_available", "torch_allreduce_job", "ddp_step_job"]


def torch_available() -> bool:
    """True when PyTorch is installed with ``torch.distributed``."""
    return importlib.util.find_spec("torch") is not None


def _init_torch(comm: Comm, port: int) -> Any:
    os.environ["GLOO_SOCKET_IFNAME"] = "lo"  # loopback only: never another interface
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    import torch.distributed as dist
    from datetime import timedelta

    torch.set_num_threads(1)
    if not dist.is_available():
        raise RuntimeError("this PyTorch build has no torch.distributed")
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{int(port)}", rank=comm.rank,
                            world_size=comm.world_size, timeout=timedelta(seconds=20))
    return dist


def torch_allreduce_job(comm: Comm, port: int, vectors: NDArray, repeats: int = 5) -> dict[str, Any]:
    """All-reduce row ``rank`` of ``vectors`` (K, N) with ``dist.all_reduce`` and with our ring.

    Returns both sums and the seconds of ``repeats`` timed runs of each
    (interleaved, after a barrier, in the same processes and on the same data).
    """
    dist = _init_torch(comm, port)
    import torch

    try:
        x = np.ascontiguousarray(np.asarray(vectors)[comm.rank])
        t_torch, t_ring = [], []
        for r in range(repeats + 1):  # repetition 0 warms up
            tensor = torch.from_numpy(x.copy())
            dist.barrier()
            t = time.perf_counter()
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
            if r:
                t_torch.append(time.perf_counter() - t)
            comm.barrier()
            t = time.perf_counter()
            ours = ring_allreduce(comm, x)
            if r:
                t_ring.append(time.perf_counter() - t)
        return {"torch": tensor.numpy().copy(), "ring": ours, "torch_seconds": np.array(t_torch),
                "ring_seconds": np.array(t_ring), "backend": dist.get_backend()}
    finally:
        dist.destroy_process_group()


def _torch_mlp(config: TrainConfig) -> Any:
    # the mlcourse MLP with the same initial weights; torch stores Linear weights as (out, in)
    import torch

    ours = make_mlp(config.seed, config.hidden, np.float64)
    model = torch.nn.Sequential(torch.nn.Linear(784, config.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(config.hidden, 10)).double()
    with torch.no_grad():
        for theirs, mine in ((model[0], ours[0]), (model[2], ours[2])):
            theirs.weight.copy_(torch.from_numpy(mine.weight.data.T.copy()))
            theirs.bias.copy_(torch.from_numpy(mine.bias.data.reshape(-1).copy()))
    return model


def _as_mlcourse_vector(model: Any) -> NDArray:
    # parameters in mlcourse's order and layout: W1 (784, H), b1, W2 (H, 10), b2
    parts = []
    for layer in (model[0], model[2]):
        parts += [layer.weight.detach().numpy().T.ravel(), layer.bias.detach().numpy().ravel()]
    return np.concatenate(parts)


def ddp_step_job(comm: Comm, port: int, X: NDArray, y: NDArray, config: TrainConfig | dict,
                 steps: int = 1, bucket_cap_mb: float | None = None) -> dict[str, Any]:
    """``steps`` data-parallel SGD steps of the chapter's MLP with ``DistributedDataParallel``.

    Each rank takes its shard of the same combined batches as
    :func:`~mlcourse.distributed.training.data_parallel_job` (float64, the
    same initial weights). A communication hook records when DDP launches the
    all-reduce of each gradient bucket, and a hook on every parameter when
    its gradient is ready, so the overlap of communication with the backward
    pass can be read off.

    Returns ``params`` (N,) in mlcourse's layout after the steps, the
    per-step ``seconds``, ``buckets`` (parameter names of each bucket, in
    launch order, for every step) and ``events`` of the last step:
    ``(time, what)`` pairs relative to the start of its backward pass.
    """
    if isinstance(config, dict):
        config = TrainConfig(**config)
    dist = _init_torch(comm, port)
    import torch
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
    from torch.nn.parallel import DistributedDataParallel

    try:
        model = _torch_mlp(config)
        names = {id(p): n for n, p in model.named_parameters()}
        ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
        events: list[tuple[float, str]] = []
        buckets: list[list[str]] = []

        def recording_hook(state, bucket):  # no annotations: DDP checks them
            params = [names[id(p)] for p in bucket.parameters()]
            events.append((time.perf_counter(), f"all-reduce of bucket {bucket.index()} "
                                                f"({', '.join(params)}) launched"))
            buckets.append(params)
            return default_hooks.allreduce_hook(state, bucket)

        ddp.register_comm_hook(None, recording_hook)
        for name, p in model.named_parameters():
            p.register_post_accumulate_grad_hook(
                lambda p, name=name: events.append((time.perf_counter(), f"gradient of {name} ready")))
        opt = torch.optim.SGD(ddp.parameters(), lr=config.lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        sampler = ShardedSampler(len(y), comm.world_size, comm.rank,
                                 config.batch_size // comm.world_size, seed=config.seed)
        sampler.set_epoch(0)
        X64 = torch.from_numpy(np.asarray(X, dtype=np.float64))
        y64 = torch.from_numpy(np.asarray(y, dtype=np.int64))
        seconds, step_buckets = [], []
        for step, idx in zip(range(steps), sampler):
            index = torch.from_numpy(idx)
            events.clear()
            buckets.clear()
            t = time.perf_counter()
            opt.zero_grad()
            loss = loss_fn(ddp(X64[index]), y64[index])
            backward_start = time.perf_counter()
            loss.backward()
            opt.step()
            seconds.append(time.perf_counter() - t)
            step_buckets.append(list(buckets))
        timeline = [(e_t - backward_start, what) for e_t, what in events]
        return {"params": _as_mlcourse_vector(model), "seconds": np.array(seconds),
                "buckets": step_buckets, "events": timeline}
    finally:
        dist.destroy_process_group()
