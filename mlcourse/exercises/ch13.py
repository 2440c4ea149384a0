"""Exercises of chapter 13 (training on many machines).

* ``ch13-shard-indices``: split the indices ``0..n-1`` of a batch into ``k``
  disjoint shards whose sizes differ by at most one (one shard per worker);
* ``ch13-average-gradients``: combine the workers' mean gradients into the
  gradient of the whole batch, ``Σ_k (B_k / B) g_k`` (a weighted average);
* ``ch13-ring-rank``: one rank's reduce-scatter and all-gather, written
  against a message-passing interface (``comm.send``, ``comm.recv``,
  ``comm.sendrecv``). The grader runs K copies of the student's function on
  K threads connected by a stand-in for :class:`mlcourse.distributed.Comm`
  whose ``send`` waits until the receiver takes the message, so a ring that
  sends before it receives deadlocks (and is reported) as on real pipes;
* ``ch13-alpha-beta``: fit the latency α and bandwidth β of the cost model
  ``T = 2 (K-1) α + 2 (K-1)/K · S / β`` to measured all-reduce times
  (a least-squares problem that is linear in α and 1/β);
* ``ch13-pipeline-bubble``: derive the step time and the idle fraction of a
  pipeline of S equal stages fed with M micro-batches.

The references are written out here; none of them calls the library.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

_KNOWN_FIELDS = {f.name for f in dataclasses.fields(Exercise)}

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



_RING_DRIVER = r"""
import threading
import queue as _queue


class _Comm:
    # one rank's end of K threads connected by channels; send waits until the receiver
    # has taken the message (like a pipe whose buffer is full), recv waits for a message
    def __init__(self, rank, world_size, channels, patience):
        self.rank, self.world_size = rank, world_size
        self._channels, self._patience = channels, patience
        self.values_sent, self.messages_sent = 0, 0

    def _check(self, peer, what):
        if not isinstance(peer, (int, np.integer)) or not 0 <= peer < self.world_size:
            raise ValueError(f"rank {self.rank}: {what} needs a rank in 0..{self.world_size - 1}, "
                             f"got {peer!r}")
        if peer == self.rank:
            raise ValueError(f"rank {self.rank}: {what} to or from itself")

    def _post(self, dst, array):
        self._check(dst, "send")
        taken = threading.Event()
        payload = np.array(array, dtype=float, copy=True)
        self._channels[self.rank, dst].put((payload, taken))
        self.values_sent += payload.size
        self.messages_sent += 1
        return taken

    def send(self, dst, array):
        if not self._post(dst, array).wait(self._patience):
            raise RuntimeError(f"rank {self.rank} waited {self._patience} s in send() for rank "
                               f"{dst} to receive: a deadlock (every rank sends before it "
                               f"receives?); use comm.sendrecv")

    def recv(self, src):
        self._check(src, "recv")
        try:
            payload, taken = self._channels[src, self.rank].get(timeout=self._patience)
        except _queue.Empty:
            raise RuntimeError(f"rank {self.rank} waited {self._patience} s in recv() for a "
                               f"message from rank {src} that never came") from None
        taken.set()
        return payload

    def sendrecv(self, dst, array, src):
        taken = self._post(dst, array)
        received = self.recv(src)
        if not taken.wait(self._patience):
            raise RuntimeError(f"rank {self.rank}: rank {dst} never received the message")
        return received


def _drive(answer, vectors):
    vectors = np.asarray(vectors, dtype=float)
    k = len(vectors)
    channels = {(i, j): _queue.Queue() for i in range(k) for j in range(k) if i != j}
    comms = [_Comm(i, k, channels, 2.0) for i in range(k)]
    results, errors = [None] * k, [None] * k

    def run(i):
        try:
            results[i] = answer(comms[i], vectors[i].copy())
        except Exception as exc:
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(k)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10.0)
    if any(t.is_alive() for t in threads):
        raise RuntimeError("some ranks did not return within 10 s")
    for i, exc in enumerate(errors):
        if exc is not None:
            raise type(exc)(str(exc) if str(exc).startswith("rank") else f"rank {i}: {exc}")
    for i, r in enumerate(results):
        if r is None or np.shape(r) != vectors[i].shape:
            raise ValueError(f"rank {i} returned {type(r).__name__} of shape {np.shape(r)}; "
                             f"expected its summed vector of shape {vectors[i].shape}")
    return (np.array(results, dtype=float), np.array([c.values_sent for c in comms]),
            np.array([c.messages_sent for c in comms]))
"""


def _validate_ring(output: Any, vectors: Array) -> str | None:
    result, values, messages = output
    k, n = vectors.shape
    total = vectors.sum(axis=0)
    wrong = [i for i in range(k) if not np.allclose(result[i], total, rtol=1e-9, atol=1e-9)]
    if wrong:
        return (f"ranks {wrong} do not hold the sum of all {k} vectors at the end (rank "
                f"{wrong[0]}: max |difference| {np.abs(result[wrong[0]] - total).max():.3g}); "
                f"after the reduce-scatter each rank owns one summed chunk, the all-gather must "
                f"pass the summed chunks on")
    expected_messages = 2 * (k - 1)
    if np.any(messages != expected_messages):
        return (f"ranks sent {messages.tolist()} messages; the ring sends one chunk per round, "
                f"{expected_messages} rounds in all (K - 1 for each phase)")
    largest_chunk = -(-n // k)
    bound = 2 * (k - 1) * largest_chunk
    if np.any(values > bound):
        return (f"ranks sent {values.tolist()} values, more than 2 (K - 1) chunks of at most "
                f"{largest_chunk} values = {bound}: send one chunk (about N / K values) per round, "
                f"not the whole vector")
    return None


def _ring_case(rng: np.random.Generator, k: int | None = None, n: int | None = None) -> tuple[Array]:
    k = int(rng.integers(2, 7)) if k is None else k
    n = int(rng.integers(k, 5 * k + 3)) if n is None else n
    return (rng.standard_normal((k, n)),)


register(Exercise(
    id="ch13-ring-rank",
    function="ring_allreduce_rank",
    points=4,
    summary="ring_allreduce_rank(comm, x): this rank's part of a ring all-reduce (reduce-scatter, "
            "then all-gather) with comm.sendrecv; return the sum of every rank's x",
    public=[
        ("K = 2 ranks, N = 6 values", lambda rng: _ring_case(rng, 2, 6)),
        ("K = 4 ranks, N = 8 values (chunks of 2)", lambda rng: _ring_case(rng, 4, 8)),
        ("K = 3 ranks, N = 7 values (chunks of 3, 2, 2)", lambda rng: _ring_case(rng, 3, 7)),
        ("K = 5 ranks, N = 23 values", lambda rng: _ring_case(rng, 5, 23)),
    ],
    hidden=_ring_case,
    n_hidden=6,
    validate=_validate_ring,
    hint="Cut x into K chunks with np.array_split. In round s = 0..K-2 of the reduce-scatter, send "
         "chunk (rank - s) mod K to the right neighbour and add what comes from the left into chunk "
         "(rank - s - 1) mod K; in round s of the all-gather, send chunk (rank + 1 - s) mod K and "
         "overwrite chunk (rank - s) mod K with what comes in. Use comm.sendrecv(right, chunk, left).",
    timeout=30.0,
    **{k: v for k, v in {"driver": _RING_DRIVER}.items() if k in _KNOWN_FIELDS},
))


def _fit(K: Array, S: Array, T: Array) -> tuple[float, float]:
    K, S, T = (np.asarray(a, dtype=np.float64) for a in (K, S, T))
    A = np.stack([2 * (K - 1), 2 * (K - 1) / K * S], axis=1)  # (m, 2): T = A @ (α, 1/β)
    (alpha, inv_beta), *_ = np.linalg.lstsq(A, T, rcond=None)
    return float(alpha), float(1.0 / inv_beta)


def _fit_case(rng: np.random.Generator, noise: float = 0.02) -> tuple[Array, Array, Array]:
    alpha = 10.0 ** rng.uniform(-5.5, -3.5)
    beta = 10.0 ** rng.uniform(8, 10)
    K = rng.choice([2, 3, 4, 8], size=12)
    S = 4.0 * 2.0 ** rng.integers(6, 22, size=12)
    T = 2 * (K - 1) * alpha + 2 * (K - 1) / K * S / beta
    return K.astype(np.int64), S, T * (1 + noise * rng.standard_normal(12))


register(Exercise(
    id="ch13-alpha-beta",
    function="fit_alpha_beta",
    points=2,
    summary="fit_alpha_beta(K, S, T): least-squares latency alpha (s) and bandwidth beta (bytes/s) "
            "of T = 2(K-1) alpha + 2(K-1)/K * S / beta; return (alpha, beta)",
    public=[
        ("exact times, K = 2 and 4", lambda rng: _fit_case(rng, noise=0.0)),
        ("2 % noise", lambda rng: _fit_case(rng)),
        ("2 % noise, another machine", lambda rng: _fit_case(rng)),
    ],
    hidden=_fit_case,
    n_hidden=5,
    reference=_fit,
    output_names=("alpha", "beta"),
    rtol=1e-4,
    mistakes=[
        Mistake(lambda K, S, T: tuple(np.polyfit(np.asarray(S, float), np.asarray(T, float), 1)[::-1]),
                "a straight line T = a + b S ignores the factors 2(K-1) and 2(K-1)/K: the model is "
                "linear in alpha and 1/beta with the columns 2(K-1) and 2(K-1)/K * S"),
    ],
    hint="Write T = A @ (alpha, 1/beta) with the two columns 2(K-1) and 2(K-1)/K * S, solve with "
         "np.linalg.lstsq, and return beta = 1 / (the second coefficient).",
))


def _bubble(S: int, M: int, t_f: float, t_b: float) -> tuple[float, float]:
    step = (M + S - 1) * (t_f + t_b)
    return step, (S - 1) / (M + S - 1)


def _bubble_case(rng: np.random.Generator) -> tuple[int, int, float, float]:
    return (int(rng.integers(1, 9)), int(rng.integers(1, 33)), float(rng.uniform(0.5, 3.0)),
            float(rng.uniform(0.5, 6.0)))


register(Exercise(
    id="ch13-pipeline-bubble",
    function="pipeline_bubble",
    points=2,
    summary="pipeline_bubble(S, M, t_f, t_b): (time of one step, fraction of it each stage is "
            "idle) for S equal stages and M micro-batches, all forwards then all backwards",
    public=[
        ("S = 2 stages, M = 1: no pipelining", lambda rng: (2, 1, 1.0, 2.0)),
        ("S = 2, M = 4", lambda rng: (2, 4, 1.0, 2.0)),
        ("S = 4, M = 8, backward 3x forward", lambda rng: (4, 8, 0.5, 1.5)),
        ("S = 1: nothing to wait for", lambda rng: (1, 5, 1.0, 1.0)),
    ],
    hidden=_bubble_case,
    n_hidden=6,
    reference=_bubble,
    output_names=("step time", "idle fraction"),
    mistakes=[
        Mistake(lambda S, M, t_f, t_b: ((M + S - 1) * (t_f + t_b), (S - 1) / M),
                "(S - 1) / M is the idle time divided by the busy time; the fraction of the step "
                "is idle / (idle + busy)"),
        Mistake(lambda S, M, t_f, t_b: (M * S * (t_f + t_b), (S - 1) / S),
                "M * S * (t_f + t_b) is the time without any overlap (each micro-batch crosses all "
                "stages before the next starts); in the pipeline, stage s starts micro-batch m "
                "at time (m + s) t_f"),
        Mistake(lambda S, M, t_f, t_b: ((M + S - 1) * t_f + M * t_b, (S - 1) / (M + S - 1)),
                "the backward pass is a pipeline too: the last stage starts it, and it needs "
                "S - 1 extra slots of t_b to reach the first stage"),
    ],
    hint="Draw the schedule: the forward of micro-batch m on stage s runs in slot m + s, so the "
         "forwards take M + S - 1 slots of t_f; the backwards run the same way in reverse. Each "
         "stage is busy M (t_f + t_b) of that time.",
))
