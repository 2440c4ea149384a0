"""Feeding the model: worker processes that augment batches into bounded prefetch queues.

:class:`PrefetchLoader` starts ``num_workers`` processes. Worker ``w`` builds
the batches ``w, w + W, w + 2W, ...`` of every epoch (it gathers the
examples and applies :func:`augment`, chapter 10's random shifts and pixel
noise) and puts them into its own queue of at most ``prefetch`` batches. The
training loop takes batch ``b`` from worker ``b mod W``'s queue, so batches
arrive in order while the workers already prepare the next ones.

The random numbers of batch ``b`` of epoch ``e`` come from
``default_rng([seed, 2, e, b])``: they depend on the batch, not on which worker
made it, so the augmented data is the same for any number of workers.

See Also
--------
Chapter 10 (data augmentation), chapter 13 (the dataflow of distributed training).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import threading
import time
import weakref
from typing import Any, Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from .comm import WorkerError, _terminate, _watch_parent

__all__ = ["augment", "augment_batch", "PrefetchLoader"]


def augment(images: NDArray, rng: np.random.Generator, max_shift: int = 2,
            noise: float = 0.1) -> NDArray:
    """Shift each 28×28 image by a random offset in ``{-s..s}²`` and add Gaussian noise.

    Parameters
    ----------
    images : ndarray of shape (n, 784)
    rng : numpy.random.Generator
    max_shift : int
        Largest shift ``s`` in pixels; the uncovered border is filled with 0.
    noise : float
        Standard deviation of the added noise.

    Returns
    -------
    ndarray of shape (n, 784), float32
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 2 or images.shape[1] != 784:
        raise ValueError(f"augment: expected images of shape (n, 784), got {images.shape}")
    n, s = len(images), int(max_shift)
    padded = np.pad(images.reshape(n, 28, 28), ((0, 0), (s, s), (s, s)))  # (n, 28 + 2s, 28 + 2s)
    windows = sliding_window_view(padded, (28, 28), axis=(1, 2))  # (n, 2s + 1, 2s + 1, 28, 28)
    offset = rng.integers(0, 2 * s + 1, size=(2, n))
    shifted = windows[np.arange(n), offset[0], offset[1]]  # (n, 28, 28)
    noisy = shifted + np.float32(noise) * rng.standard_normal(shifted.shape, dtype=np.float32)
    return noisy.reshape(n, 784)


def augment_batch(X: NDArray, y: NDArray, order: NDArray, batch_size: int, b: int, seed: int,
                  epoch: int, **augment_kw: Any) -> tuple[NDArray, NDArray]:
    """Batch ``b`` of an epoch (examples ``order[b B : (b + 1) B]``), augmented from its own seed."""
    idx = order[b * batch_size:(b + 1) * batch_size]
    rng = np.random.default_rng([seed, 2, epoch, b])
    return augment(X[idx], rng, **augment_kw), y[idx]


def _epoch_order(n: int, seed: int, epoch: int) -> NDArray[np.int64]:
    return np.random.default_rng([seed, 1, epoch]).permutation(n)


def _dataflow_worker(w: int, num_workers: int, out: Any, X: NDArray, y: NDArray, batch_size: int,
                     seed: int, epochs: int, delay: float, fail_at: int, parent_pid: int,
                     augment_kw: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    n_batches = len(y) // batch_size
    for epoch in range(epochs):
        order = _epoch_order(len(y), seed, epoch)
        for b in range(w, n_batches, num_workers):
            if b == fail_at:
                out.close()
                out.join_thread()  # what was put so far arrives; then the process is gone
                os._exit(7)
            if delay:
                time.sleep(delay)
            out.put(augment_batch(X, y, order, batch_size, b, seed, epoch, **augment_kw))
    out.close()
    out.join_thread()


class PrefetchLoader:
    """Augmented batches made by worker processes, ``prefetch`` batches ahead per worker.

    Parameters
    ----------
    X : ndarray of shape (n, 784)
    y : ndarray of shape (n,)
    batch_size : int
    num_workers : int
        Worker processes (>= 1).
    seed : int
        Seed of the shuffles and of the augmentation.
    epochs : int
        Number of epochs the workers prepare; iterate the loader once per epoch.
    prefetch : int, default 2
        Capacity of each worker's queue: a worker that is that far ahead waits.
    timeout : float, default 10
        Seconds to wait for one batch before raising :class:`TimeoutError`.
    delay : float, default 0
        Seconds each worker sleeps before every batch (to show a slow worker).
    fail_at : int, default -1
        The worker that makes this batch (of the first epoch) dies instead
        (to show a crash); -1: no crash.

    Notes
    -----
    Use it as a context manager or call :meth:`close`; the workers are also
    terminated on any error while iterating and when the loader is garbage
    collected. A dead worker raises :class:`~mlcourse.distributed.comm.WorkerError`
    naming it; a worker slower than ``timeout`` raises ``TimeoutError`` naming it.
    """

    def __init__(self, X: NDArray, y: NDArray, batch_size: int, num_workers: int, seed: int = 0,
                 epochs: int = 1, prefetch: int = 2, timeout: float = 10.0, delay: float = 0.0,
                 fail_at: int = -1, **augment_kw: Any) -> None:
        if len(X) != len(y):
            raise ValueError(f"PrefetchLoader: X has {len(X)} examples but y has {len(y)}")
        for name, value in (("batch_size", batch_size), ("num_workers", num_workers),
                            ("epochs", epochs), ("prefetch", prefetch)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"PrefetchLoader: {name} must be an integer >= 1, got {value!r}")
        if batch_size > len(y):
            raise ValueError(f"PrefetchLoader: batch_size {batch_size} exceeds the {len(y)} examples")
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        self.epochs, self.timeout = epochs, float(timeout)
        self.n_batches = len(y) // batch_size
        self._epoch = 0
        ctx = mp.get_context("spawn")
        self._queues = [ctx.Queue(maxsize=prefetch) for _ in range(num_workers)]
        self.processes: list[Any] = []
        try:
            for w in range(num_workers):
                p = ctx.Process(target=_dataflow_worker, name=f"mlcourse-dataflow-{w}", daemon=True,
                                args=(w, num_workers, self._queues[w], np.asarray(X, np.float32),
                                      np.asarray(y), batch_size, seed, epochs, delay, fail_at,
                                      os.getpid(), augment_kw))
                p.start()
                self.processes.append(p)
        except BaseException:
            _terminate(self.processes)
            raise
        self._finalizer = weakref.finalize(self, _terminate, list(self.processes))

    def __len__(self) -> int:
        return self.n_batches

    def _get(self, b: int) -> tuple[NDArray, NDArray]:
        w = b % self.num_workers
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return self._queues[w].get(timeout=min(0.1, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                pass
            if not self.processes[w].is_alive():
                try:  # it may have put the batch just before exiting normally
                    return self._queues[w].get(timeout=0.05)
                except queue.Empty:
                    code = self.processes[w].exitcode
                    raise WorkerError(f"dataflow worker {w} died (exit code {code}) before "
                                      f"delivering batch {b} of epoch {self._epoch}", w) from None
            if time.monotonic() >= deadline:
                raise TimeoutError(f"dataflow worker {w} delivered no batch within "
                                   f"{self.timeout:g} s (waiting for batch {b} of epoch "
                                   f"{self._epoch}): it is too slow or stuck")

    def __iter__(self) -> Iterator[tuple[NDArray, NDArray]]:
        if not self.processes:
            raise RuntimeError("PrefetchLoader: the loader is closed (after an error or close()); "
                               "create a new one")
        if self._epoch >= self.epochs:
            raise RuntimeError(f"PrefetchLoader: the workers prepared {self.epochs} epoch(s) and "
                               f"all were used; create the loader with epochs=...")
        try:
            for b in range(self.n_batches):
                yield self._get(b)
        except BaseException:
            self.close()
            raise
        self._epoch += 1

    def close(self) -> None:
        """Terminate the workers and release the queues."""
        _terminate(self.processes, grace=0.5)
        for q in self._queues:
            q.close()
            q.cancel_join_thread()
        self._finalizer.detach()
        # drop every reference to the queues (the process objects hold them as arguments), so
        # that their semaphores are released now rather than reported as leaked at exit
        self.exitcodes = [p.exitcode for p in self.processes]
        self._queues, self.processes = [], []

    def __enter__(self) -> "PrefetchLoader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
