"""Collective operations built from point-to-point messages, and a sharded sampler.

Every function here runs *inside* a worker: it takes that worker's
:class:`~mlcourse.distributed.comm.Comm` and its own array, and returns what
this rank holds afterwards. All ranks of a job must call the same collective
in the same order.

* :func:`ring_allreduce`: reduce-scatter then all-gather around a ring
  (Patarasuk and Yuan, 2009), every rank sending ``2 (K-1)/K · N`` values;
* :func:`naive_ring_allreduce`: the same schedule with a blocking send before
  each receive; it deadlocks once a chunk no longer fits into a pipe;
* :func:`broadcast`: rank ``root``'s array to everyone, along a binomial tree;
* :func:`parameter_server_allreduce`: the workers push to a server rank that
  sums and sends the total back;
* :class:`ShardedSampler`: each rank's slice of every epoch's batches.

See Also
--------
Chapter 13 (training on many machines).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from numpy.typing import NDArray

from .comm import Comm

__all__ = [
    "chunk_bounds",
    "ring_allreduce",
    "naive_ring_allreduce",
    "broadcast",
    "parameter_server_allreduce",
    "ShardedSampler",
]


def chunk_bounds(n: int, k: int) -> NDArray[np.int64]:
    """Edges ``(k + 1,)`` of ``k`` chunks of ``n`` values whose sizes differ by at most one."""
    sizes = np.full(k, n // k, dtype=np.int64)
    sizes[: n % k] += 1
    return np.concatenate([[0], np.cumsum(sizes)])


def _check_vector(x: Any, who: str) -> NDArray:
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"{who}: expected a 1-D array (flatten the gradients first), "
                         f"got shape {x.shape}")
    return x


def ring_allreduce(comm: Comm, x: NDArray, average: bool = False) -> NDArray:
    """Sum (or average) ``x`` over all ranks with the ring algorithm.

    Parameters
    ----------
    comm : Comm
        This rank's communicator (rank ``i`` of ``K``).
    x : ndarray of shape (N,)
        This rank's vector; it is not modified.
    average : bool, default False
        Divide the sum by ``K``.

    Returns
    -------
    ndarray of shape (N,)
        ``Σ_k x_k`` (or its mean), the same on every rank up to rounding.

    Notes
    -----
    The vector is cut into ``K`` chunks. In round ``s = 0..K-2`` of the
    reduce-scatter, rank ``i`` sends chunk ``(i - s) mod K`` to rank ``i + 1``
    and adds chunk ``(i - s - 1) mod K`` received from rank ``i - 1``; after
    ``K - 1`` rounds rank ``i`` owns the complete sum of chunk ``(i + 1) mod K``.
    In round ``s`` of the all-gather, rank ``i`` sends chunk ``(i + 1 - s) mod K``
    and overwrites chunk ``(i - s) mod K`` with what it receives. Each rank
    sends ``2 (K - 1)`` chunks of about ``N / K`` values.

    Send and receive of one round overlap (:meth:`Comm.sendrecv`): a blocking
    send first would deadlock once a chunk is larger than the pipe's buffer
    (see :func:`naive_ring_allreduce`).
    """
    x = _check_vector(x, "ring_allreduce")
    k, i = comm.world_size, comm.rank
    data = np.array(x, copy=True)
    if k > 1:
        edges = chunk_bounds(data.size, k)
        chunk = [slice(edges[c], edges[c + 1]) for c in range(k)]
        right, left = (i + 1) % k, (i - 1) % k
        for s in range(k - 1):  # reduce-scatter
            incoming = comm.sendrecv(right, data[chunk[(i - s) % k]], left)
            data[chunk[(i - s - 1) % k]] += incoming
        for s in range(k - 1):  # all-gather
            incoming = comm.sendrecv(right, data[chunk[(i + 1 - s) % k]], left)
            data[chunk[(i - s) % k]] = incoming
    return data / k if average else data


def naive_ring_allreduce(comm: Comm, x: NDArray) -> NDArray:
    """The ring of :func:`ring_allreduce` with ``send`` then ``recv``: deadlocks on large chunks.

    Every rank first sends its chunk to the right and only then receives from
    the left. A send returns once the kernel has buffered the message; a pipe
    buffers a few hundred KiB at most. With larger chunks every rank waits in
    ``send`` for its right neighbour to receive, and the neighbour waits in
    its own ``send``: a cycle of waits that never ends. Kept for the chapter's
    demonstration (run it under a timeout).
    """
    x = _check_vector(x, "naive_ring_allreduce")
    k, i = comm.world_size, comm.rank
    data = np.array(x, copy=True)
    edges = chunk_bounds(data.size, k)
    chunk = [slice(edges[c], edges[c + 1]) for c in range(k)]
    right, left = (i + 1) % k, (i - 1) % k
    for s in range(k - 1):
        comm.send(right, data[chunk[(i - s) % k]])
        data[chunk[(i - s - 1) % k]] += comm.recv(left)
    for s in range(k - 1):
        comm.send(right, data[chunk[(i + 1 - s) % k]])
        data[chunk[(i - s) % k]] = comm.recv(left)
    return data


def broadcast(comm: Comm, x: NDArray | None, root: int = 0) -> NDArray:
    """Rank ``root``'s array on every rank, along a binomial tree (``⌈log2 K⌉`` rounds).

    Parameters
    ----------
    x : ndarray or None
        The data on ``root``; ignored (may be None) on the other ranks.

    Notes
    -----
    In round ``j`` the ranks ``r < 2^j`` (counted from ``root``) that already
    hold the data send it to rank ``r + 2^j``; the number of holders doubles
    every round.
    """
    k = comm.world_size
    if not 0 <= root < k:
        raise ValueError(f"broadcast: root must be a rank in 0..{k - 1}, got {root}")
    relative = (comm.rank - root) % k
    if relative == 0:
        if x is None:
            raise ValueError("broadcast: the root rank must pass the array to broadcast, got None")
        data = np.array(x, copy=True)
    else:
        data = None
    step = 1
    while step < k:
        if relative < step and relative + step < k:
            comm.send((relative + step + root) % k, data)
        elif step <= relative < 2 * step:
            data = comm.recv((relative - step + root) % k)
        step *= 2
    return data


def parameter_server_allreduce(comm: Comm, x: NDArray | None, server: int | None = None) -> NDArray:
    """Sum of the workers' vectors through a server rank (by default the last rank).

    The workers (every rank but ``server``) send their ``x`` to the server,
    which adds them in rank order and sends the total back to each. Returns
    the total on every rank. Per all-reduce a worker sends and receives ``N``
    values; the server receives and sends ``(K - 1) N``, ``K - 1`` workers.
    """
    k = comm.world_size
    server = k - 1 if server is None else server
    if k < 2:
        raise ValueError("parameter_server_allreduce: needs a server and at least one worker, "
                         f"got world_size {k}")
    if comm.rank == server:
        total = None
        for worker in range(k):
            if worker != server:
                part = comm.recv(worker)
                total = part.copy() if total is None else total + part
        for worker in range(k):
            if worker != server:
                comm.send(worker, total)
        return total
    comm.send(server, _check_vector(x, "parameter_server_allreduce"))
    return comm.recv(server)


class ShardedSampler:
    """Each rank's indices of every batch of an epoch, like PyTorch's ``DistributedSampler``.

    Parameters
    ----------
    n : int
        Number of training examples.
    num_replicas : int
        Number of data-parallel workers ``K``.
    rank : int
        This worker, ``0 <= rank < K``.
    batch_size : int
        Examples per worker and step (the combined batch is ``K · batch_size``).
    seed : int
        Seed of the shuffles; every rank must use the same.

    Notes
    -----
    Epoch ``e`` is the permutation drawn by ``default_rng([seed, e])``, the
    same on every rank. Rank ``r`` takes its entries ``r, r + K, r + 2K, ...``
    and cuts them into batches; step ``t`` of all ranks together therefore
    covers exactly the block ``perm[t K b : (t + 1) K b]``, the batch that
    one process with batch size ``K b`` would use. The last incomplete
    combined batch is dropped, so every rank takes the same number of steps.
    """

    def __init__(self, n: int, num_replicas: int, rank: int, batch_size: int, seed: int = 0,
                 shuffle: bool = True) -> None:
        for name, value, low in (("n", n, 1), ("num_replicas", num_replicas, 1),
                                 ("batch_size", batch_size, 1)):
            if not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"ShardedSampler: {name} must be an integer >= {low}, got {value!r}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"ShardedSampler: rank must be in 0..{num_replicas - 1}, got {rank!r}")
        if num_replicas * batch_size > n:
            raise ValueError(f"ShardedSampler: a combined batch of {num_replicas} x {batch_size} "
                             f"examples is larger than the dataset ({n})")
        self.n, self.num_replicas, self.rank = int(n), int(num_replicas), int(rank)
        self.batch_size, self.seed, self.shuffle = int(batch_size), int(seed), shuffle
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch, hence the shuffle (call it before every epoch)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.n // (self.num_replicas * self.batch_size)

    def epoch_order(self) -> NDArray[np.int64]:
        """The permutation of this epoch (the same on every rank)."""
        if not self.shuffle:
            return np.arange(self.n)
        return np.random.default_rng([self.seed, self.epoch]).permutation(self.n)

    def __iter__(self) -> Iterator[NDArray[np.int64]]:
        mine = self.epoch_order()[: len(self) * self.num_replicas * self.batch_size]
        mine = mine[self.rank::self.num_replicas]
        for t in range(len(self)):
            yield mine[t * self.batch_size:(t + 1) * self.batch_size]

    def __repr__(self) -> str:
        return (f"ShardedSampler(n={self.n}, num_replicas={self.num_replicas}, rank={self.rank}, "
                f"batch_size={self.batch_size}, seed={self.seed})")
