"""Distributed training on real processes: chapter 13.

``from mlcourse.distributed import ProcessGroup, ring_allreduce, ...``

* :mod:`~mlcourse.distributed.comm`: a group of spawned worker processes
  connected by pipes, point-to-point messages, timeouts and clean shutdown;
* :mod:`~mlcourse.distributed.collectives`: ring all-reduce, broadcast,
  parameter server, sharded sampler;
* :mod:`~mlcourse.distributed.training`: data- and model-parallel training
  jobs and the single-process reference they reproduce;
* :mod:`~mlcourse.distributed.dataflow`: worker processes that load and
  augment batches into a bounded prefetch queue;
* :mod:`~mlcourse.distributed.torch_jobs`: the same all-reduce and training
  step through ``torch.distributed`` (gloo) and ``DistributedDataParallel``.
"""

from .collectives import (
    ShardedSampler,
    broadcast,
    chunk_bounds,
    naive_ring_allreduce,
    parameter_server_allreduce,
    ring_allreduce,
)
from .comm import (
    Comm,
    CommTimeout,
    ProcessGroup,
    WorkerError,
    WorkerTimeout,
    child_processes,
    free_port,
    launch,
)
from .dataflow import PrefetchLoader, augment, augment_batch
from .training import (
    TrainConfig,
    allreduce_timing_job,
    data_parallel_job,
    flat_gradient,
    flat_parameters,
    make_mlp,
    model_parallel_job,
    set_flat_gradient,
    set_flat_parameters,
    train_runs_job,
    train_single_process,
)

__all__ = [
    "Comm", "CommTimeout", "ProcessGroup", "WorkerError", "WorkerTimeout", "free_port", "launch",
    "child_processes",
    "ShardedSampler", "broadcast", "chunk_bounds", "naive_ring_allreduce",
    "parameter_server_allreduce", "ring_allreduce",
    "PrefetchLoader", "augment", "augment_batch",
    "TrainConfig", "allreduce_timing_job", "data_parallel_job", "flat_gradient",
    "flat_parameters", "make_mlp", "model_parallel_job", "set_flat_gradient",
    "set_flat_parameters", "train_runs_job", "train_single_process",
]
