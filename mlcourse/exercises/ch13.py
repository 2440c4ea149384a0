"""Exercises of chapter 13 (training on many machines).

* ``ch13-shard-indices``: split the indices ``0..n-1`` of a batch into ``k``
  disjoint shards whose sizes differ by at most one (one shard per worker);
* ``ch13-average-gradients``: combine the workers' mean gradients into the
  gradient of the whole batch, ``Σ_k (B_k / B) g_k`` (a weighted average);
* ``ch13-ring-allreduce``: simulate ring all-reduce round by round
  (reduce-scatter, then all-gather) and count the values each worker sends.

The references are written out here; the chapter checks the same facts with
its own instrumented simulation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]


def _validate_shards(output: Any, n: int, k: int) -> str | None:
    if not isinstance(output, (list, tuple)):
        return f"return a list of {k} integer arrays (one per worker), got {type(output).__name__}"
    if len(output) != k:
        return f"expected {k} shards (one per worker), got {len(output)}"
    shards = []
    for i, shard in enumerate(output):
        shard = np.asarray(shard)
        if shard.ndim != 1:
            return f"shard {i} should be a 1-D array of indices, got shape {shard.shape}"
        if shard.size and not np.issubdtype(shard.dtype, np.integer):
            return f"shard {i} should hold integer indices, got dtype {shard.dtype}"
        shards.append(shard.astype(np.int64))
    every = np.concatenate(shards) if shards else np.zeros(0, dtype=np.int64)
    if every.size and (every.min() < 0 or every.max() >= n):
        return f"indices must lie in 0..{n - 1}, got values from {every.min()} to {every.max()}"
    counts = np.bincount(every, minlength=n)
    if np.any(counts > 1):
        twice = np.flatnonzero(counts > 1)[:5].tolist()
        return (f"examples {twice} are in more than one shard: every example must go to exactly one "
                f"worker, or its gradient is counted twice")
    if np.any(counts == 0):
        missing = np.flatnonzero(counts == 0)
        shown = missing[:5].tolist()
        hint = ""
        if missing.size == n % k and missing.min() >= n - n % k:
            hint = (f"; with n // k = {n // k} examples per shard the last n % k = {n % k} are "
                    f"dropped: give {n % k} of the shards one example more")
        return f"examples {shown} are in no shard ({missing.size} missing){hint}"
    sizes = [len(s) for s in shards]
    if max(sizes) - min(sizes) > 1:
        return (f"shard sizes {sizes} differ by more than one: spread the n % k = {n % k} leftover "
                f"examples over several shards, one each, so that no worker waits for a bigger one")
    return None


def _shard_reference(n: int, k: int) -> list[NDArray[np.int64]]:
    return np.array_split(np.arange(n), k)


def _shard_case(rng: np.random.Generator) -> tuple[int, int]:
    k = int(rng.integers(1, 9))
    n = int(rng.integers(k, 60))
    return n, k


register(Exercise(
    id="ch13-shard-indices",
    function="shard_indices",
    points=1,
    summary="return a list of k integer arrays that split the indices 0..n-1 into k disjoint shards "
            "whose sizes differ by at most one",
    public=[
        ("n = 12 examples, k = 4 workers (3 each)", lambda rng: (12, 4)),
        ("n = 10, k = 4 (sizes 3, 3, 2, 2 in some order)", lambda rng: (10, 4)),
        ("n = 7, k = 1 (one worker gets everything)", lambda rng: (7, 1)),
        ("n = 5, k = 5 (one example each)", lambda rng: (5, 5)),
    ],
    hidden=_shard_case,
    n_hidden=6,
    validate=_validate_shards,
    hint="np.array_split(np.arange(n), k) does exactly this; so does giving shard i the indices "
         "from i * n // k to (i + 1) * n // k.",
))


def _average(grads: Array, sizes: NDArray[np.int64]) -> Array:
    sizes = np.asarray(sizes, dtype=np.float64)
    return (sizes[:, None] * grads).sum(axis=0) / sizes.sum()  # (P,)


def _average_case(rng: np.random.Generator, k: int | None = None, p: int | None = None,
                  equal: bool = False) -> tuple[Array, NDArray[np.int64]]:
    k = int(rng.integers(2, 7)) if k is None else k
    p = int(rng.integers(1, 9)) if p is None else p
    sizes = np.full(k, int(rng.integers(1, 65))) if equal else rng.integers(1, 65, size=k)
    if not equal and np.all(sizes == sizes[0]):
        sizes[0] += 1
    return rng.standard_normal((k, p)), sizes.astype(np.int64)


register(Exercise(
    id="ch13-average-gradients",
    function="average_worker_gradients",
    points=2,
    summary="return the gradient of the whole batch (P,) from the workers' mean gradients "
            "grads (K, P) on shards of sizes (K,)",
    public=[
        ("4 workers with 32 examples each, 6 parameters",
         lambda rng: (rng.standard_normal((4, 6)), np.array([32, 32, 32, 32]))),
        ("3 workers with shards of 50, 30 and 20 examples",
         lambda rng: (rng.standard_normal((3, 5)), np.array([50, 30, 20]))),
        ("2 workers, one of them with a single example",
         lambda rng: (np.array([[1.0, 2.0], [10.0, -4.0]]), np.array([9, 1]))),
        ("5 workers, unequal shards", lambda rng: _average_case(rng, 5, 7)),
    ],
    hidden=_average_case,
    n_hidden=6,
    reference=_average,
    mistakes=[
        Mistake(lambda grads, sizes: grads.mean(axis=0),
                "this is the plain mean over workers. It is right only for equal shards: a worker's "
                "mean gradient g_k stands for B_k examples, so weight it by B_k / B with B = sum of "
                "the sizes"),
        Mistake(lambda grads, sizes: (np.asarray(sizes)[:, None] * grads).sum(axis=0),
                "you weighted each g_k by its shard size B_k but did not divide by the total number "
                "of examples B = sum of the sizes"),
        Mistake(lambda grads, sizes: (np.asarray(sizes)[:, None] * grads).sum(axis=0) / len(sizes),
                "divide the weighted sum by the total number of examples B = sum of the sizes, not "
                "by the number of workers K"),
        Mistake(lambda grads, sizes: grads.sum(axis=0),
                "the sum of the workers' gradients counts each worker once whatever its shard "
                "size: weight g_k by B_k / B"),
    ],
    hint="The loss of the batch is the mean over all B examples; write it as a sum over the "
         "shards of (B_k / B) times each shard's mean loss.",
))


def _ring_states(chunks: Array, all_gather: bool = True) -> tuple[Array, NDArray[np.int64]]:
    """The ring schedule of the chapter: returns the workers' chunks and the values each sent."""
    data = np.array(chunks, dtype=np.float64, copy=True)  # (K, K, C)
    k, _, c = data.shape
    sent = np.zeros(k, dtype=np.int64)
    for step in range(k - 1):
        outgoing = [data[i, (i - step) % k].copy() for i in range(k)]
        for i in range(k):
            data[(i + 1) % k, (i - step) % k] += outgoing[i]
            sent[i] += c
    if all_gather:
        for step in range(k - 1):
            outgoing = [data[i, (i + 1 - step) % k].copy() for i in range(k)]
            for i in range(k):
                data[(i + 1) % k, (i + 1 - step) % k] = outgoing[i]
                sent[i] += c
    return data, sent


def _ring_reference(chunks: Array) -> tuple[Array, NDArray[np.int64]]:
    k, _, c = chunks.shape
    total = chunks.sum(axis=0)  # (K, C): the summed chunks
    return np.broadcast_to(total, chunks.shape).copy(), np.full(k, 2 * (k - 1) * c, dtype=np.int64)


def _ring_case(rng: np.random.Generator, k: int | None = None, c: int | None = None) -> tuple[Array]:
    k = int(rng.integers(1, 8)) if k is None else k
    c = int(rng.integers(1, 5)) if c is None else c
    return (rng.standard_normal((k, k, c)),)


register(Exercise(
    id="ch13-ring-allreduce",
    function="ring_allreduce",
    points=3,
    summary="simulate ring all-reduce on chunks (K, K, C); return (result (K, K, C), sent (K,)): "
            "every worker's summed chunks and the number of values each worker sent",
    public=[
        ("K = 4 workers, chunks of 2 values", lambda rng: _ring_case(rng, 4, 2)),
        ("K = 2 workers, chunks of 3 values", lambda rng: _ring_case(rng, 2, 3)),
        ("K = 5 workers, chunks of 1 value", lambda rng: _ring_case(rng, 5, 1)),
        ("K = 1 worker: nothing to send", lambda rng: _ring_case(rng, 1, 4)),
    ],
    hidden=_ring_case,
    n_hidden=6,
    reference=_ring_reference,
    output_names=("result", "sent"),
    mistakes=[
        Mistake(lambda chunks: _ring_states(chunks, all_gather=False),
                "this is the state after the reduce-scatter phase only: worker i then holds just one "
                "complete chunk, (i + 1) mod K. Add the all-gather phase, K - 1 more rounds that "
                "pass the completed chunks around the ring"),
        Mistake(lambda chunks: (_ring_reference(chunks)[0],
                                np.full(len(chunks), (len(chunks) - 1) * chunks.shape[2])),
                "the result is right but the count covers one phase only: each worker sends one "
                "chunk of C values in each of the 2(K - 1) rounds"),
        Mistake(lambda chunks: (_ring_reference(chunks)[0],
                                np.full(len(chunks), 2 * (len(chunks) - 1) * len(chunks) * chunks.shape[2])),
                "the result is right but each round sends ONE chunk of C values, not the whole "
                "vector of K * C values"),
    ],
    hint="In round s (s = 0..K-2) of the reduce-scatter, worker i sends chunk (i - s) mod K to worker "
         "(i + 1) mod K, which adds it to its own; in round s of the all-gather, worker i sends chunk "
         "(i + 1 - s) mod K, which the receiver overwrites. Read every payload before writing any.",
))
