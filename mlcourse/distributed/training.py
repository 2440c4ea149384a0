"""Data-parallel and model-parallel training of the chapter's MLP on real worker processes.

The functions ending in ``_job`` run inside the workers of a
:class:`~mlcourse.distributed.comm.ProcessGroup`::

    with ProcessGroup(4) as group:
        out = group.run(data_parallel_job, X, y, TrainConfig(epochs=2))

and :func:`train_single_process` is the reference they must reproduce: one
process, one model, the combined batch.

See Also
--------
Chapter 13 (training on many machines); chapter 6 for the training loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..layers import Linear
from ..activations import ReLU
from ..losses import CrossEntropyLoss
from ..module import Module, Sequential
from ..optim import SGD
from .collectives import (
    ShardedSampler,
    broadcast,
    parameter_server_allreduce,
    ring_allreduce,
)
from .comm import Comm

__all__ = [
    "TrainConfig",
    "make_mlp",
    "flat_parameters",
    "set_flat_parameters",
    "flat_gradient",
    "set_flat_gradient",
    "train_single_process",
    "data_parallel_job",
    "allreduce_timing_job",
    "model_parallel_job",
    "train_runs_job",
]


@dataclass(frozen=True)
class TrainConfig:
    """Settings shared by the single-process reference and the data-parallel workers.

    ``batch_size`` is the *combined* batch of one step; with ``K`` workers
    each gets ``batch_size / K`` examples (it must divide). ``allreduce`` is
    ``"ring"`` or ``"ps"`` (parameter server: the last rank is the server).
    ``straggler = (rank, seconds)`` makes that worker sleep before every
    gradient it computes. ``max_steps`` stops early (0: no limit).
    ``hidden2 > 0`` adds a second hidden layer (``784 → hidden → hidden2 → 10``).
    """

    seed: int = 0
    hidden: int = 64
    hidden2: int = 0
    epochs: int = 1
    batch_size: int = 128
    lr: float = 0.1
    dtype: str = "float64"
    allreduce: str = "ring"
    straggler: tuple[int, float] | None = None
    max_steps: int = 0

    def __post_init__(self) -> None:
        if self.allreduce not in ("ring", "ps"):
            raise ValueError(f"TrainConfig: allreduce must be 'ring' or 'ps', got {self.allreduce!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"TrainConfig: dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if self.batch_size < 1 or self.epochs < 1 or self.hidden < 1:
            raise ValueError(f"TrainConfig: batch_size, epochs and hidden must be >= 1, got "
                             f"{self.batch_size}, {self.epochs}, {self.hidden}")


def make_mlp(seed: int, hidden: int = 64, dtype: Any = np.float64, hidden2: int = 0,
             n_in: int = 784, n_out: int = 10) -> Sequential:
    """The chapter's MLP ``n_in → hidden → n_out`` with a ReLU, initialised from ``seed``.

    With ``hidden2 > 0`` a second hidden layer and ReLU follow the first:
    ``n_in → hidden → hidden2 → n_out``. Either way ``model[0:2]`` is the first
    layer and its ReLU, ``model[2:]`` the rest (the two model-parallel stages).
    """
    rng = np.random.default_rng(seed)
    layers = [Linear(n_in, hidden, rng=rng, dtype=dtype), ReLU()]
    if hidden2:
        layers += [Linear(hidden, hidden2, rng=rng, dtype=dtype), ReLU()]
        hidden = hidden2
    return Sequential(*layers, Linear(hidden, n_out, rng=rng, dtype=dtype))


def flat_parameters(model: Module) -> NDArray:
    """All parameters of ``model`` in one vector ``(N,)``."""
    return np.concatenate([p.data.ravel() for p in model.parameters()])


def set_flat_parameters(model: Module, flat: NDArray) -> None:
    """Write a vector ``(N,)`` back into the parameters (the inverse of :func:`flat_parameters`)."""
    start = 0
    for p in model.parameters():
        p.data[...] = flat[start:start + p.data.size].reshape(p.data.shape)
        start += p.data.size
    if start != flat.size:
        raise ValueError(f"set_flat_parameters: the model has {start} values, got {flat.size}")


def flat_gradient(model: Module) -> NDArray:
    """All parameter gradients in one vector ``(N,)``."""
    return np.concatenate([p.grad.ravel() for p in model.parameters()])


def set_flat_gradient(model: Module, flat: NDArray) -> None:
    """Write a vector ``(N,)`` into the parameters' ``.grad`` arrays."""
    start = 0
    for p in model.parameters():
        p.grad[...] = flat[start:start + p.data.size].reshape(p.data.shape)
        start += p.data.size


def _loss_and_gradient(model: Module, loss_fn: CrossEntropyLoss, X: NDArray, y: NDArray) -> float:
    model.zero_grad()
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    return float(loss)


def train_single_process(X: NDArray, y: NDArray, config: TrainConfig) -> dict[str, Any]:
    """The reference: one model trained on the combined batches, in this process.

    Step ``t`` of epoch ``e`` uses the block ``perm[t B : (t + 1) B]`` of the
    permutation that :class:`ShardedSampler` draws, the union of the
    workers' shards. Returns ``{"params": (N,), "losses": (steps,)}``.
    """
    dtype = np.dtype(config.dtype)
    model = make_mlp(config.seed, config.hidden, dtype, config.hidden2)
    opt = SGD(model.parameters(), lr=config.lr)
    loss_fn = CrossEntropyLoss()
    X = np.asarray(X, dtype=dtype)
    sampler = ShardedSampler(len(y), 1, 0, config.batch_size, seed=config.seed)
    losses = []
    for epoch in range(config.epochs):
        sampler.set_epoch(epoch)
        for idx in sampler:
            losses.append(_loss_and_gradient(model, loss_fn, X[idx], y[idx]))
            opt.step()
            if config.max_steps and len(losses) >= config.max_steps:
                return {"params": flat_parameters(model), "losses": np.array(losses)}
    return {"params": flat_parameters(model), "losses": np.array(losses)}


def data_parallel_job(comm: Comm, X: NDArray, y: NDArray, config: TrainConfig | dict) -> dict[str, Any]:
    """Data-parallel SGD on this worker (run it on every rank of a job).

    1. Every rank builds a model from its *own* seed, then rank 0's
       parameters are broadcast, so all replicas start equal.
    2. Each step, rank ``r`` computes the mean gradient on its shard of the
       combined batch (:class:`ShardedSampler`), the gradients are averaged
       (ring all-reduce, or through the parameter server) and every replica
       takes the same SGD step.

    With ``config.allreduce == "ps"`` the last rank is the server: it keeps
    the parameters and the optimizer, receives the workers' gradients, steps,
    and sends the new parameters back.

    Returns
    -------
    dict
        ``params`` (N,) at the end; ``differed_before_broadcast`` (bool);
        ``losses`` (steps,) of this worker's shards; ``seconds`` (wall time of
        the training loop), ``compute_seconds`` and ``comm_seconds``.
    """
    if isinstance(config, dict):
        config = TrainConfig(**config)
    dtype = np.dtype(config.dtype)
    server = config.allreduce == "ps"
    n_workers = comm.world_size - 1 if server else comm.world_size
    if n_workers < 1:
        raise ValueError("data_parallel_job: a parameter server needs at least 2 ranks")
    if config.batch_size % n_workers:
        raise ValueError(f"data_parallel_job: the combined batch {config.batch_size} must be "
                         f"divisible by the number of workers {n_workers}")
    model = make_mlp(config.seed + 1000 * comm.rank, config.hidden, dtype, config.hidden2)
    mine = flat_parameters(model)
    theta0 = broadcast(comm, mine if comm.rank == 0 else None, root=0)
    differed = comm.world_size > 1 and not np.array_equal(mine, theta0)
    set_flat_parameters(model, theta0)
    opt = SGD(model.parameters(), lr=config.lr)
    loss_fn = CrossEntropyLoss()
    X = np.asarray(X, dtype=dtype)
    per_worker = config.batch_size // n_workers
    is_server = server and comm.rank == comm.world_size - 1
    sampler = ShardedSampler(len(y), n_workers, 0 if is_server else comm.rank, per_worker,
                             seed=config.seed)
    comm.barrier()
    comm.reset_counters()
    losses: list[float] = []
    compute = 0.0
    start = time.perf_counter()
    steps = 0
    for epoch in range(config.epochs):
        sampler.set_epoch(epoch)
        for idx in sampler:
            if is_server:
                total = parameter_server_allreduce_sum_only(comm)
                set_flat_gradient(model, total / n_workers)
                t = time.perf_counter()
                opt.step()
                compute += time.perf_counter() - t
                theta = flat_parameters(model)
                for w in range(n_workers):
                    comm.send(w, theta)
            else:
                t = time.perf_counter()
                if config.straggler is not None and config.straggler[0] == comm.rank:
                    time.sleep(config.straggler[1])
                losses.append(_loss_and_gradient(model, loss_fn, X[idx], y[idx]))
                g = flat_gradient(model)
                compute += time.perf_counter() - t
                if server:
                    comm.send(comm.world_size - 1, g)
                    set_flat_parameters(model, comm.recv(comm.world_size - 1))
                else:
                    set_flat_gradient(model, ring_allreduce(comm, g, average=True))
                    t = time.perf_counter()
                    opt.step()
                    compute += time.perf_counter() - t
            steps += 1
            if config.max_steps and steps >= config.max_steps:
                break
        if config.max_steps and steps >= config.max_steps:
            break
    seconds = time.perf_counter() - start
    return {"params": flat_parameters(model), "differed_before_broadcast": differed,
            "losses": np.array(losses), "seconds": seconds, "compute_seconds": compute,
            "comm_seconds": comm.comm_seconds, "steps": steps, "bytes_sent": comm.bytes_sent,
            "bytes_received": comm.bytes_received}


def parameter_server_allreduce_sum_only(comm: Comm) -> NDArray:
    """The server's half of a push: the sum of the gradients of all other ranks (in rank order)."""
    total = None
    for worker in range(comm.world_size - 1):
        part = comm.recv(worker)
        total = part.copy() if total is None else total + part
    return total


def allreduce_timing_job(comm: Comm, sizes: list[int], repeats: int = 5,
                         method: str = "ring") -> dict[str, Any]:
    """Time one all-reduce of ``N`` float32 values for every ``N`` in ``sizes``.

    Before every repetition the ranks meet at a barrier, so they start
    together; the time of a repetition is this rank's time from the barrier
    to the end of the all-reduce. ``method`` is ``"ring"`` or ``"ps"`` (the
    last rank is the server). Returns ``seconds`` (len(sizes), repeats) and
    the bytes this rank sent and received per all-reduce.
    """
    if method not in ("ring", "ps"):
        raise ValueError(f"allreduce_timing_job: method must be 'ring' or 'ps', got {method!r}")
    rng = np.random.default_rng(comm.rank)
    seconds = np.zeros((len(sizes), repeats))
    sent = np.zeros(len(sizes), dtype=np.int64)
    received = np.zeros(len(sizes), dtype=np.int64)
    for a, n in enumerate(sizes):
        x = rng.standard_normal(int(n)).astype(np.float32)
        for r in range(repeats + 1):  # the first repetition warms up and is not kept
            comm.barrier()
            before_sent, before_received = comm.bytes_sent, comm.bytes_received
            t = time.perf_counter()
            if method == "ring":
                ring_allreduce(comm, x)
            else:
                parameter_server_allreduce(comm, x if comm.rank < comm.world_size - 1 else None)
            if r:
                seconds[a, r - 1] = time.perf_counter() - t
            sent[a] = comm.bytes_sent - before_sent
            received[a] = comm.bytes_received - before_received
    return {"seconds": seconds, "bytes_sent": sent, "bytes_received": received}


def model_parallel_job(comm: Comm, X: NDArray, y: NDArray, config: TrainConfig | dict,
                       micro_batches: int = 1, n_steps: int = 0) -> dict[str, Any]:
    """Two-stage model parallelism: rank 0 holds ``Linear, ReLU``, rank 1 ``Linear`` and the loss.

    Each step takes the combined batch of the single-process reference and
    cuts it into ``micro_batches`` pieces. Rank 0 runs the forward pass of
    every piece and sends the activations ``h`` (b, hidden); rank 1 runs
    forward and backward of each piece as it arrives and sends ``dL/dh``
    back; rank 0 then runs its backward passes. Gradients accumulate over the
    pieces (each piece's loss is weighted by its share of the batch), then
    both ranks step. With one piece this is plain model parallelism; with
    more it is a GPipe-style pipeline.

    Both stages send with :meth:`Comm.isend`: with blocking sends, process 1
    sending a gradient back while process 0 still sends the next
    activations would deadlock once the messages outgrow the pipes.

    Returns this stage's parameters ``params``, and ``busy_seconds`` (time in
    forward, backward and the optimizer) against ``seconds`` (wall time), from
    which the idle fraction (the pipeline bubble) follows; ``step_busy`` and
    ``step_seconds`` hold the same per step.
    """
    if isinstance(config, dict):
        config = TrainConfig(**config)
    if comm.world_size != 2:
        raise ValueError(f"model_parallel_job: needs exactly 2 ranks, got {comm.world_size}")
    dtype = np.dtype(config.dtype)
    whole = make_mlp(config.seed, config.hidden, dtype, config.hidden2)
    stage = whole[0:2] if comm.rank == 0 else whole[2:]
    opt = SGD(stage.parameters(), lr=config.lr)
    loss_fn = CrossEntropyLoss()
    X = np.asarray(X, dtype=dtype)
    sampler = ShardedSampler(len(y), 1, 0, config.batch_size, seed=config.seed)
    comm.barrier()
    busy = 0.0
    losses = []
    steps = 0
    step_busy, step_seconds = [], []
    start = time.perf_counter()
    for epoch in range(config.epochs):
        sampler.set_epoch(epoch)
        for idx in sampler:
            step_start, busy_before = time.perf_counter(), busy
            pieces = np.array_split(idx, micro_batches)
            stage.zero_grad()
            if comm.rank == 0:
                caches, requests = [], []
                for piece in pieces:
                    t = time.perf_counter()
                    h = stage(X[piece])  # (b, hidden)
                    caches.append(_caches(stage))  # several micro-batches are in flight
                    busy += time.perf_counter() - t
                    requests.append(comm.isend(1, h))  # a blocking send here could deadlock
                for cache in caches:
                    grad_h = comm.recv(1)  # (b, hidden), in the order the pieces were sent
                    t = time.perf_counter()
                    _set_caches(stage, cache)
                    stage.backward(grad_h)
                    busy += time.perf_counter() - t
            else:
                step_loss, requests = 0.0, []
                for piece in pieces:
                    h = comm.recv(0)
                    t = time.perf_counter()
                    weight = len(piece) / len(idx)
                    step_loss += weight * float(loss_fn(stage(h), y[piece]))
                    grad_h = stage.backward(weight * loss_fn.backward())
                    busy += time.perf_counter() - t
                    requests.append(comm.isend(0, grad_h))
                losses.append(step_loss)
            for request in requests:
                comm.wait(request)
            t = time.perf_counter()
            opt.step()
            busy += time.perf_counter() - t
            step_busy.append(busy - busy_before)
            step_seconds.append(time.perf_counter() - step_start)
            steps += 1
            if n_steps and steps >= n_steps:
                break
        if n_steps and steps >= n_steps:
            break
    return {"params": flat_parameters(stage), "busy_seconds": busy,
            "seconds": time.perf_counter() - start, "losses": np.array(losses), "steps": steps,
            "step_busy": np.array(step_busy), "step_seconds": np.array(step_seconds)}


def _caches(module: Sequential) -> list[Any]:
    # what each layer's forward kept for its backward (Linear: X; ReLU: (x, y))
    return [layer._cache for layer in module]


def _set_caches(module: Sequential, caches: list[Any]) -> None:
    for layer, cache in zip(module, caches):
        layer._cache = cache


def train_runs_job(comm: Comm, X: NDArray, y: NDArray, X_test: NDArray, y_test: NDArray,
                   runs: list[dict[str, Any]]) -> list[tuple[int, float, float, float]]:
    """Independent training runs shared out over the ranks (rank ``r`` does runs ``r, r+K, ...``).

    Each run is a dict with ``seed``, ``batch_size``, ``lr``, ``epochs`` and ``warmup`` (steps
    of a linear warm-up from ``lr / 16``, chapter 8's ``LinearLR``; 0 for none). Returns
    ``(index, test accuracy, training loss of the last epoch, fraction of dead hidden units)``
    for each run this rank did. Used for experiments over many seeds.
    """
    from ..schedules import LinearLR

    out = []
    for index in range(comm.rank, len(runs), comm.world_size):
        run = runs[index]
        model = make_mlp(run["seed"], 64, np.float32)
        opt = SGD(model.parameters(), lr=run["lr"])
        schedule = (LinearLR(opt, start_factor=1 / 16, total_iters=run["warmup"])
                    if run["warmup"] else None)
        loss_fn = CrossEntropyLoss()
        sampler = ShardedSampler(len(y), 1, 0, run["batch_size"], seed=run["seed"])
        losses = []
        with np.errstate(all="ignore"):  # a diverging run may overflow; it is reported, not hidden
            for epoch in range(run["epochs"]):
                sampler.set_epoch(epoch)
                losses = []
                for idx in sampler:
                    losses.append(_loss_and_gradient(model, loss_fn, X[idx], y[idx]))
                    opt.step()
                    if schedule is not None:
                        schedule.step()
            accuracy = float((model(X_test).argmax(axis=1) == y_test).mean())
            dead = float(((model[0](X_test) > 0).mean(axis=0) == 0).mean())
        out.append((index, accuracy, float(np.mean(losses)), dead))
    return out
