"""Small jobs for the chapter's demonstrations: all-reduces, a deadlock, crashes and hangs.

Each is a module-level function ``job(comm, ...)`` for
:meth:`~mlcourse.distributed.comm.ProcessGroup.run`.
"""

from __future__ import annotations

import os
import time

import numpy as np
from numpy.typing import NDArray

from .collectives import broadcast, naive_ring_allreduce, ring_allreduce
from .comm import Comm

__all__ = ["identify_job", "allreduce_job", "broadcast_job", "faulty_allreduce_job"]


def identify_job(comm: Comm, x: NDArray) -> dict:
    """Who am I? Process id, rank, and the sum of ``x`` after adding the rank to this copy."""
    x += comm.rank  # changes this process's copy only
    return {"pid": os.getpid(), "rank": comm.rank, "world_size": comm.world_size,
            "sum": float(x.sum())}


def allreduce_job(comm: Comm, vectors: NDArray, naive: bool = False) -> NDArray:
    """Rank ``r`` all-reduces row ``r`` of ``vectors`` (K, N); with ``naive`` the deadlocking ring."""
    x = np.asarray(vectors)[comm.rank]
    return naive_ring_allreduce(comm, x) if naive else ring_allreduce(comm, x)


def broadcast_job(comm: Comm, x: NDArray, root: int = 0) -> NDArray:
    """Rank ``root`` broadcasts ``x``; the others pass nothing and return what they received."""
    return broadcast(comm, x if comm.rank == root else None, root=root)


def faulty_allreduce_job(comm: Comm, n: int, fault: str | None, fault_rank: int,
                         steps: int = 3) -> NDArray:
    """``steps`` ring all-reduces of ``n`` values; at step 1 rank ``fault_rank`` misbehaves.

    ``fault`` is ``"crash"`` (the process exits at once, as after a
    segmentation fault or the out-of-memory killer), ``"raise"`` (a Python
    exception), ``"hang"`` (it sleeps for an hour, as a stuck I/O call
    would) or None.
    """
    if fault not in (None, "crash", "raise", "hang"):
        raise ValueError(f"faulty_allreduce_job: fault must be None, 'crash', 'raise' or 'hang', "
                         f"got {fault!r}")
    x = np.full(n, comm.rank + 1.0)
    for step in range(steps):
        if step == 1 and comm.rank == fault_rank:
            if fault == "crash":
                os._exit(9)
            if fault == "raise":
                raise FloatingPointError(f"loss is NaN at step {step}")
            if fault == "hang":
                time.sleep(3600)
        x = ring_allreduce(comm, x) / comm.world_size
    return x
