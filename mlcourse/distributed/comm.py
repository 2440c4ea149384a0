"""Real processes that exchange messages: a process group and its point-to-point layer.

A :class:`ProcessGroup` starts ``world_size`` operating-system processes with
``multiprocessing`` (start method ``spawn``: every worker is a fresh Python
interpreter with its own memory). Every pair of workers shares a duplex pipe
(a Unix-domain socket pair), over which :class:`Comm` sends NumPy arrays. The
parent hands a job, a module-level function ``fn(comm, *args)``, to some or
all workers and collects what each returns.

Nothing is shared but the messages, and nothing waits forever: receives have
a timeout, the parent gives every job a deadline, and a worker that crashes,
raises or hangs makes :meth:`ProcessGroup.run` raise an error that names the
rank. Whatever goes wrong (an error, a timeout, ``KeyboardInterrupt``), the
group terminates all its processes before the error leaves ``run``, and every
worker exits by itself when its parent process disappears.

See Also
--------
Chapter 13 (training on many machines).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import queue
import signal
import socket
import threading
import time
import traceback
import weakref
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = [
    "Comm",
    "ProcessGroup",
    "WorkerError",
    "WorkerTimeout",
    "CommTimeout",
    "launch",
    "free_port",
    "child_processes",
]

# What a worker is doing, in the shared status array the parent reads on a timeout.
_IDLE, _COMPUTING = -1, -2  # >= 0: receiving from that rank; <= -10: sending to rank -10 - value
_THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class WorkerError(RuntimeError):
    """A worker raised an exception or died; ``rank`` names it."""

    def __init__(self, message: str, rank: int) -> None:
        super().__init__(message)
        self.rank = rank


class WorkerTimeout(TimeoutError):
    """A job missed its deadline; the message says what every rank was doing."""

    def __init__(self, message: str, ranks: Sequence[int]) -> None:
        super().__init__(message)
        self.ranks = list(ranks)


class CommTimeout(TimeoutError):
    """A receive waited longer than its timeout for a message from a peer."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Request:
    """A non-blocking send in flight; :meth:`wait` returns once the kernel took it."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self.error: BaseException | None = None

    def wait(self, timeout: float | None = None) -> None:
        if not self._done.wait(timeout):
            raise CommTimeout(f"a non-blocking send did not complete within {timeout} s")
        if self.error is not None:
            raise self.error


class Comm:
    """One worker's view of the group: its rank and point-to-point messages.

    Parameters
    ----------
    rank, world_size : int
        This worker's number ``0 <= rank < world_size`` among the job's ranks.
    peers : dict
        ``peers[r]`` is the pipe to rank ``r``.
    status : shared int array or None
        Where this worker records whether it computes, sends or receives.
    status_index : int
        This worker's slot in ``status``.
    timeout : float
        Seconds a :meth:`recv` waits before raising :class:`CommTimeout`.

    Attributes
    ----------
    bytes_sent, bytes_received, messages_sent : int
        Measured traffic since the job started (pickled bytes as written to
        and read from the pipes, headers included).
    comm_seconds : float
        Wall-clock time spent inside :meth:`send`, :meth:`recv` and waits.
    """

    def __init__(self, rank: int, world_size: int, peers: dict[int, Connection],
                 status: Any = None, status_index: int = 0, timeout: float = 30.0,
                 global_ranks: Sequence[int] | None = None) -> None:
        self.rank = rank
        self.world_size = world_size
        self._peers = peers
        self._status = status
        self._status_index = status_index
        self._global = list(global_ranks) if global_ranks is not None else list(range(world_size))
        self.timeout = timeout
        self._senders: dict[int, tuple[queue.Queue, threading.Thread]] = {}
        self.reset_counters()

    def reset_counters(self) -> None:
        self.bytes_sent = 0
        self.bytes_received = 0
        self.messages_sent = 0
        self.comm_seconds = 0.0

    def stats(self) -> dict[str, float]:
        """The traffic counters as a dict."""
        return {"bytes_sent": self.bytes_sent, "bytes_received": self.bytes_received,
                "messages_sent": self.messages_sent, "comm_seconds": self.comm_seconds}

    def _set_status(self, value: int) -> None:
        if self._status is not None:
            self._status[self._status_index] = value

    def _pipe(self, peer: int, who: str) -> Connection:
        if not isinstance(peer, (int, np.integer)) or not 0 <= peer < self.world_size:
            raise ValueError(f"{who}: peer must be a rank in 0..{self.world_size - 1}, got {peer!r}")
        if peer == self.rank:
            raise ValueError(f"{who}: rank {self.rank} cannot send a message to itself")
        return self._peers[self._global[peer]]

    def send(self, dst: int, array: Any) -> None:
        """Send ``array`` to rank ``dst``; blocks until the kernel has taken all of it.

        A pipe holds only a limited number of bytes: a large message is not
        taken until ``dst`` receives, so two ranks that both send first wait
        for each other forever (chapter 13's deadlock).
        """
        pipe = self._pipe(dst, "send")
        payload = pickle.dumps(np.asarray(array), protocol=pickle.HIGHEST_PROTOCOL)
        start = time.perf_counter()
        self._set_status(-10 - self._global[dst])
        pipe.send_bytes(payload)
        self._set_status(_COMPUTING)
        self.comm_seconds += time.perf_counter() - start
        self.bytes_sent += len(payload)
        self.messages_sent += 1

    def recv(self, src: int, timeout: float | None = None) -> np.ndarray:
        """Receive the next array from rank ``src``, waiting at most ``timeout`` seconds."""
        pipe = self._pipe(src, "recv")
        timeout = self.timeout if timeout is None else timeout
        start = time.perf_counter()
        self._set_status(self._global[src])
        if not pipe.poll(timeout):
            raise CommTimeout(f"rank {self.rank} waited {timeout:g} s for a message from rank "
                              f"{src} and none came (is rank {src} alive, and does it send?)")
        try:
            payload = pipe.recv_bytes()
        except EOFError:
            raise WorkerError(f"rank {self.rank}: the pipe from rank {src} was closed "
                              f"(rank {src} exited)", src) from None
        self._set_status(_COMPUTING)
        self.comm_seconds += time.perf_counter() - start
        self.bytes_received += len(payload)
        return pickle.loads(payload)

    def isend(self, dst: int, array: Any) -> _Request:
        """Start sending ``array`` to ``dst`` on a background thread; returns a request.

        Messages to the same destination keep their order (one sender thread
        per destination). Call ``request.wait()`` before reusing the buffer
        (here the array is copied first, so the buffer is free at once).
        """
        self._pipe(dst, "isend")
        if dst not in self._senders:
            jobs: queue.Queue = queue.Queue()
            thread = threading.Thread(target=self._sender_loop, args=(dst, jobs), daemon=True)
            thread.start()
            self._senders[dst] = (jobs, thread)
        request = _Request()
        self._senders[dst][0].put((np.array(array, copy=True), request))
        return request

    def _sender_loop(self, dst: int, jobs: queue.Queue) -> None:
        pipe = self._peers[self._global[dst]]
        while True:
            item = jobs.get()
            if item is None:
                return
            array, request = item
            try:
                payload = pickle.dumps(array, protocol=pickle.HIGHEST_PROTOCOL)
                pipe.send_bytes(payload)
                self.bytes_sent += len(payload)
                self.messages_sent += 1
            except BaseException as exc:  # reported by request.wait()
                request.error = exc
            request._done.set()

    def wait(self, request: _Request) -> None:
        """Wait for a non-blocking send, counting the time as communication."""
        start = time.perf_counter()
        request.wait(self.timeout)
        self.comm_seconds += time.perf_counter() - start

    def sendrecv(self, dst: int, array: Any, src: int) -> np.ndarray:
        """Send ``array`` to ``dst`` and receive from ``src`` at the same time.

        The send runs on a background thread while this thread receives, so a
        ring of ranks that all call ``sendrecv`` cannot deadlock, however
        large the messages.
        """
        request = self.isend(dst, array)
        received = self.recv(src)
        self.wait(request)
        return received

    def barrier(self) -> None:
        """Wait until every rank has reached the barrier (a ring of tokens, twice around)."""
        if self.world_size == 1:
            return
        token = np.zeros(1, dtype=np.int8)
        right, left = (self.rank + 1) % self.world_size, (self.rank - 1) % self.world_size
        for _ in range(2):
            self.sendrecv(right, token, left)

    def close(self) -> None:
        for jobs, thread in self._senders.values():
            jobs.put(None)
            thread.join(timeout=1.0)
        self._senders.clear()


def _watch_parent(parent_pid: int) -> None:
    # a worker whose parent died (kernel restarted, parent killed) exits instead of lingering
    while True:
        time.sleep(0.2)
        if os.getppid() != parent_pid:
            os._exit(3)


def _worker_main(index: int, control: Connection, peers: dict[int, Connection], status: Any,
                 parent_pid: int, timeout: float) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and cleans up
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    while True:
        try:
            message = control.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, ranks, args, kwargs, job_timeout = message
        comm = Comm(ranks.index(index), len(ranks), peers, status, index, job_timeout or timeout,
                    global_ranks=ranks)
        status[index] = _COMPUTING
        try:
            result = fn(comm, *args, **kwargs)
            comm.close()
            status[index] = _IDLE
            control.send(("ok", result, comm.stats()))
        except BaseException as exc:
            status[index] = _IDLE
            control.send(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


def _describe(value: int) -> str:
    if value == _IDLE:
        return "finished"
    if value == _COMPUTING:
        return "computing (not in a send or receive)"
    if value >= 0:
        return f"waiting to receive from worker {value}"
    return f"blocked sending to worker {-10 - value}"


def _terminate(processes: Iterable[Any], grace: float = 1.0) -> None:
    processes = [p for p in processes if p is not None]
    for p in processes:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + grace
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in processes:
        if p.is_alive():
            p.kill()
            p.join(1.0)


class ProcessGroup:
    """``world_size`` worker processes, every pair connected by a pipe.

    Parameters
    ----------
    world_size : int
        Number of worker processes (>= 1).
    timeout : float, default 30
        Default deadline in seconds of one :meth:`run`, and of one receive.
    blas_threads : int, default 1
        BLAS threads per worker (K workers share the machine's cores).

    Examples
    --------
    >>> with ProcessGroup(2) as group:                       # doctest: +SKIP
    ...     sums = group.run(ring_allreduce_job, vectors)    # one result per rank

    Notes
    -----
    Use it as a context manager, or call :meth:`close`: the processes are
    terminated on exit, on any error inside :meth:`run`, on interpreter exit,
    and when the object is garbage-collected.
    """

    def __init__(self, world_size: int, timeout: float = 30.0, blas_threads: int = 1) -> None:
        if not isinstance(world_size, (int, np.integer)) or world_size < 1:
            raise ValueError(f"ProcessGroup: world_size must be an integer >= 1, got {world_size!r}")
        if not timeout > 0:
            raise ValueError(f"ProcessGroup: timeout must be positive seconds, got {timeout!r}")
        self.world_size = int(world_size)
        self.timeout = float(timeout)
        ctx = mp.get_context("spawn")
        self._status = ctx.Array("i", [_IDLE] * self.world_size, lock=False)
        peers: list[dict[int, Connection]] = [{} for _ in range(self.world_size)]
        for i in range(self.world_size):
            for j in range(i + 1, self.world_size):
                peers[i][j], peers[j][i] = ctx.Pipe(duplex=True)
        self._controls: list[Connection] = []
        self.processes: list[Any] = []
        saved = {name: os.environ.get(name) for name in _THREAD_ENV}
        try:
            for name in _THREAD_ENV:
                os.environ[name] = str(blas_threads)
            for i in range(self.world_size):
                mine, theirs = ctx.Pipe(duplex=True)
                process = ctx.Process(target=_worker_main, name=f"mlcourse-worker-{i}", daemon=True,
                                      args=(i, theirs, peers[i], self._status, os.getpid(),
                                            self.timeout))
                process.start()
                theirs.close()
                self._controls.append(mine)
                self.processes.append(process)
        except BaseException:
            _terminate(self.processes)
            raise
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        for conns in peers:  # the workers hold their own ends now
            for conn in conns.values():
                conn.close()
        self._finalizer = weakref.finalize(self, _terminate, list(self.processes))
        self.last_stats: list[dict[str, float]] = []

    @property
    def alive(self) -> bool:
        """True while every worker process is running."""
        return bool(self.processes) and all(p.is_alive() for p in self.processes)

    def run(self, fn: Callable[..., Any], *args: Any, ranks: Sequence[int] | None = None,
            timeout: float | None = None, **kwargs: Any) -> list[Any]:
        """Run ``fn(comm, *args, **kwargs)`` on the given ranks; return their results in rank order.

        Parameters
        ----------
        fn : callable
            A module-level function (it is sent to the workers by name).
        ranks : sequence of int, optional
            The workers that take part (default: all). Inside the job they are
            renumbered ``0..len(ranks)-1``: ``comm.rank`` and ``comm.world_size``
            refer to the job.
        timeout : float, optional
            Deadline in seconds for the whole job (default: the group's).

        Raises
        ------
        WorkerError
            A worker raised (the message holds its traceback) or died.
        WorkerTimeout
            The deadline passed; the message says what each rank was doing.
        In every case the group is closed (all processes terminated) first.
        """
        if not self.alive:
            raise RuntimeError("ProcessGroup.run: the group is closed (a previous job failed or "
                               "close() was called); create a new ProcessGroup")
        ranks = list(range(self.world_size)) if ranks is None else [int(r) for r in ranks]
        if not ranks or len(set(ranks)) != len(ranks) or not all(0 <= r < self.world_size for r in ranks):
            raise ValueError(f"ProcessGroup.run: ranks must be distinct workers in "
                             f"0..{self.world_size - 1}, got {ranks}")
        if getattr(fn, "__qualname__", "").count("<") or fn.__module__ == "__main__":
            raise ValueError(f"ProcessGroup.run: {fn!r} must be a function defined at module level "
                             f"in an importable module (spawned workers import it by name)")
        timeout = self.timeout if timeout is None else float(timeout)
        try:
            for r in ranks:
                self._controls[r].send((fn, ranks, args, kwargs, timeout))
            return self._collect(ranks, timeout)
        except BaseException:
            self.close(graceful=False)  # the job's processes may be stuck: no polite wait
            raise

    def _collect(self, ranks: list[int], timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        results: dict[int, Any] = {}
        stats: dict[int, dict[str, float]] = {}
        waiting = {self._controls[r]: r for r in ranks}
        sentinels = {self.processes[r].sentinel: r for r in ranks}
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._raise_timeout(ranks, results, timeout)
            # short waits, so that Ctrl-C (KeyboardInterrupt) is seen at once
            ready = wait(list(waiting) + list(sentinels), timeout=min(remaining, 0.1))
            for obj in ready:
                if obj in waiting:
                    r = waiting[obj]
                    try:
                        reply = obj.recv()
                    except (EOFError, OSError):
                        continue  # the sentinel reports the death
                    del waiting[obj]
                    if reply[0] == "error":
                        raise WorkerError(f"worker {r} (rank {ranks.index(r)} of the job) raised "
                                          f"{reply[1]}\n--- its traceback ---\n{reply[2]}",
                                          ranks.index(r))
                    results[r], stats[r] = reply[1], reply[2]
            for obj in ready:
                if obj in sentinels and self._controls[sentinels[obj]] in waiting:
                    r = sentinels[obj]
                    self.processes[r].join(0.5)
                    code = self.processes[r].exitcode
                    how = (f"was killed by signal {-code}" if code is not None and code < 0
                           else f"exited with code {code}")
                    raise WorkerError(f"worker {r} (rank {ranks.index(r)} of the job) {how} "
                                      f"before returning a result", ranks.index(r))
        self.last_stats = [stats[r] for r in ranks]
        return [results[r] for r in ranks]

    def _raise_timeout(self, ranks: list[int], results: dict[int, Any], timeout: float) -> None:
        states = {r: int(self._status[r]) for r in ranks}
        lines = [f"  rank {ranks.index(r)} (worker {r}): {_describe(v)}" for r, v in states.items()]
        computing = [ranks.index(r) for r, v in states.items() if v == _COMPUTING]
        if computing:
            verdict = (f"rank(s) {computing} did not reach a send or receive: hung or too slow "
                       f"(a straggler); the others wait for them")
        elif all(v <= -10 or v >= 0 for v in states.values()):
            verdict = ("every rank is blocked in a send or a receive: a deadlock (ranks that all "
                       "send before receiving wait for each other once the pipes are full)")
        else:
            verdict = "some ranks finished, the others wait for messages"
        pending = [ranks.index(r) for r in ranks if r not in results]
        raise WorkerTimeout(f"job did not finish within {timeout:g} s; {verdict}.\n"
                            + "\n".join(lines), pending)

    def close(self, graceful: bool = True) -> None:
        """Stop every worker and close the pipes.

        With ``graceful`` the workers are asked to exit and get half a second;
        then (or at once without ``graceful``) the rest are terminated, and
        killed if they do not stop within a second.
        """
        if graceful:
            for control, process in zip(self._controls, self.processes):
                if process.is_alive():
                    try:
                        control.send(None)
                    except (OSError, ValueError):
                        pass
            deadline = time.monotonic() + 0.5
            for process in self.processes:
                process.join(max(0.0, deadline - time.monotonic()))
        _terminate(self.processes)
        for control in self._controls:
            control.close()
        self._finalizer.detach()

    def __enter__(self) -> "ProcessGroup":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.alive else "closed"
        return f"ProcessGroup(world_size={self.world_size}, {state})"


def child_processes() -> list[int]:
    """Process ids of this process's living children (to check that none was left behind)."""
    from multiprocessing import resource_tracker

    # multiprocessing's resource tracker is one helper process for the whole session, not a worker
    tracker = getattr(resource_tracker._resource_tracker, "_pid", None)
    try:
        import psutil
    except ImportError:  # multiprocessing knows the children it started
        return [p.pid for p in mp.active_children()]
    pids = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.pid != tracker and child.status() != psutil.STATUS_ZOMBIE:
                pids.append(child.pid)
        except psutil.NoSuchProcess:
            pass
    return pids


def launch(fn: Callable[..., Any], world_size: int, *args: Any, timeout: float = 30.0,
           **kwargs: Any) -> list[Any]:
    """Start ``world_size`` processes, run ``fn(comm, *args)`` once on all, stop them."""
    with ProcessGroup(world_size, timeout=timeout) as group:
        return group.run(fn, *args, **kwargs)
