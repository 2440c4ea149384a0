"""One epoch of MNIST training: mlcourse against PyTorch CPU and against the matmul floor.

The model is the one of the end-to-end test: a 784-256-128-10 ReLU MLP, He
(Kaiming) initialisation, float32, SGD with momentum 0.9 and learning rate
0.05, batches of 128, cross-entropy loss, trained on the real MNIST training
set (60,000 images, 469 batches).

Three things are timed in the same process, alternating, ``--reps`` times:

* ``mlcourse``: ``mlcourse.train.fit`` for one epoch (shuffling, forward,
  loss, backward, optimizer step, running loss and accuracy);
* ``mlcourse loop``: the plain loop a student writes (shuffle, forward, loss,
  backward, optimizer step, zero_grad), without ``fit``'s bookkeeping; the
  first layer is built with ``input_grad=False`` (its input is data);
* ``pytorch``: the same network and loop written in PyTorch (when installed),
  with ``torch.set_num_threads`` equal to the number of threads NumPy's BLAS
  uses;
* ``matmul floor``: only the eight matrix products of one forward and
  backward pass per batch (three forward, five backward: no dX for the first
  layer), in NumPy float32 on the same batches. No NumPy implementation can
  be faster than this.

The medians are printed with the ratios mlcourse / PyTorch and
mlcourse / floor. Targets: ``fit`` <= 1.0 x PyTorch, the plain loop <= 0.85 x
PyTorch, and ``fit`` <= 2.2 x floor. The
fastest run of each is printed too: on a shared machine it is the better
estimate of the undisturbed time.

Run with ``python benchmarks/bench_mnist_epoch.py`` (or ``make bench``). The
machine should be otherwise idle: BLAS threads that compete with other
processes for the cores slow down by large, erratic factors.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlcourse.activations import ReLU  # noqa: E402
from mlcourse.data import load_mnist  # noqa: E402
from mlcourse.layers import Linear  # noqa: E402
from mlcourse.losses import CrossEntropyLoss  # noqa: E402
from mlcourse.module import Module, Sequential  # noqa: E402
from mlcourse.optim import SGD  # noqa: E402
from mlcourse.train import fit  # noqa: E402

SIZES = (784, 256, 128, 10)
BATCH, LR, MOMENTUM = 128, 0.05, 0.9
clock: Callable[[], float] = time.perf_counter
"""Wall-clock time; ``--cpu-time`` switches to the process's CPU time."""


def _openblas() -> ctypes.CDLL | None:
    """NumPy's bundled OpenBLAS, to read and set its thread count (None if not found)."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in glob.glob(str(libs / "*openblas*.so*")):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def blas_threads(set_to: int | None = None) -> int:
    """Number of threads NumPy's BLAS uses (optionally setting it first)."""
    lib = _openblas()
    if lib is not None:
        for suffix in ("64_", "_64_", ""):
            getter = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None) or getattr(
                lib, f"openblas_get_num_threads{suffix}", None)
            setter = getattr(lib, f"scipy_openblas_set_num_threads{suffix}", None) or getattr(
                lib, f"openblas_set_num_threads{suffix}", None)
            if getter is not None:
                if set_to is not None and setter is not None:
                    setter(ctypes.c_int(set_to))
                return int(getter())
    return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))


def mlcourse_epoch(x: np.ndarray, y: np.ndarray, seed: int) -> float:
    """``fit`` for one epoch (with its bookkeeping: running loss and accuracy, History)."""
    rng = np.random.default_rng(seed)
    model = _mlp(rng)
    _skip_input_grad(model[0])
    opt = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    start = clock()
    fit(model, CrossEntropyLoss(), opt, (x, y), epochs=1, batch_size=BATCH, seed=seed, progress=False)
    return clock() - start


def _mlp(rng: np.random.Generator) -> Sequential:
    layers = []
    for i, (c_in, c_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(Linear(c_in, c_out, rng=rng, init="kaiming_normal"))
        if i < len(SIZES) - 2:
            layers.append(ReLU())
    return Sequential(*layers)


def mlcourse_loop_epoch(x: np.ndarray, y: np.ndarray, seed: int) -> float:
    """forward, loss, backward, step: the loop of chapter 6, with no bookkeeping."""
    rng = np.random.default_rng(seed)
    model = _mlp(rng)
    _skip_input_grad(model[0])
    loss_fn = CrossEntropyLoss()
    opt = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    start = clock()
    order = rng.permutation(len(x))
    for s in range(0, len(x), BATCH):
        index = order[s:s + BATCH]
        xb, yb = x[index], y[index]
        model.zero_grad()
        loss_fn(model(xb), yb)
        model.backward(loss_fn.backward())
        opt.step()
    return clock() - start


def _skip_input_grad(layer: Module) -> None:
    """The first layer's input is data: no dL/dX.

    Today a model says so when it is built, ``Linear(784, 256, input_grad=False)``; older
    versions of the library had ``fit`` set ``needs_input_grad`` on the first layer. Setting
    the flag here, right after building, lets the same script time both versions.
    """
    if hasattr(layer, "input_grad"):
        layer.input_grad = False
    else:
        layer.needs_input_grad = False


def make_torch_epoch(x: np.ndarray, y: np.ndarray) -> Callable[[int], float]:
    import torch

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def epoch(seed: int) -> float:
        torch.manual_seed(seed)
        layers: list[torch.nn.Module] = []
        for i, (c_in, c_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
            lin = torch.nn.Linear(c_in, c_out)
            torch.nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            torch.nn.init.zeros_(lin.bias)
            layers.append(lin)
            if i < len(SIZES) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        loss_fn = torch.nn.CrossEntropyLoss()
        start = clock()
        order = torch.randperm(len(xt))
        total, correct = 0.0, 0
        for s in range(0, len(xt), BATCH):
            index = order[s:s + BATCH]
            xb, yb = xt[index], yt[index]
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            correct += int((out.argmax(1) == yb).sum())
        return clock() - start

    return epoch


def make_floor_epoch(x: np.ndarray) -> Callable[[int], float]:
    """The eight matmuls of forward + backward per batch, with realistic float32 values."""
    rng = np.random.default_rng(0)
    weights = [(rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(np.float32)
               for a, b in zip(SIZES[:-1], SIZES[1:])]

    def epoch(seed: int) -> float:
        order = np.random.default_rng(seed).permutation(len(x))
        batches = [x[order[s:s + BATCH]] for s in range(0, len(x), BATCH)]
        grads = [rng.standard_normal((BATCH, c)).astype(np.float32) * 0.01 for c in SIZES[1:]]
        w1, w2, w3 = weights
        start = clock()
        for xb in batches:
            n = len(xb)
            g1, g2, g3 = (g[:n] for g in grads)
            h1 = xb @ w1  # (B, 256)
            h2 = h1 @ w2  # (B, 128)
            h2 @ w3  # (B, 10)
            h2.T @ g3  # dW3 (128, 10)
            g3 @ w3.T  # dH2 (B, 128)
            h1.T @ g2  # dW2 (256, 128)
            g2 @ w2.T  # dH1 (B, 256)
            xb.T @ g1  # dW1 (784, 256)
        return clock() - start

    return epoch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="timed epochs per contender (default 5)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads for NumPy and PyTorch (default: what NumPy uses)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even when installed")
    parser.add_argument("--cpu-time", action="store_true",
                        help="measure CPU time of the process instead of wall-clock time: steadier on "
                             "a busy machine with --threads 1, meaningless with several threads")
    args = parser.parse_args()
    global clock
    if args.cpu_time:
        clock = time.process_time

    threads = blas_threads(args.threads)
    (x, y), _ = load_mnist(flatten=True)
    print(f"MNIST one epoch: {len(x)} images, batch {BATCH}, MLP {'-'.join(map(str, SIZES))}, "
          f"SGD(lr={LR}, momentum={MOMENTUM}), float32")
    print(f"python {platform.python_version()}, numpy {np.__version__}, BLAS threads {threads}, "
          f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, "
          f"{'CPU' if args.cpu_time else 'wall-clock'} time")

    if os.getloadavg()[0] > 0.5 and not args.cpu_time:
        print("warning: the machine is busy (load average above 0.5); BLAS threads competing with "
              "other processes make wall-clock figures unreliable")
    contenders: dict[str, Callable[[int], float]] = {
        "mlcourse": lambda seed: mlcourse_epoch(x, y, seed),
        "mlcourse loop": lambda seed: mlcourse_loop_epoch(x, y, seed),
        "matmul floor": make_floor_epoch(x),
    }
    torch_version = None
    if args.no_torch:
        print("PyTorch: skipped (--no-torch)")
    else:
        try:
            import torch
        except ImportError:
            print("PyTorch: not installed, skipped (pip install torch to compare)")
        else:
            torch.set_num_threads(threads)
            torch_version = torch.__version__
            contenders["pytorch"] = make_torch_epoch(x, y)
            print(f"PyTorch {torch_version}, torch.get_num_threads() = {torch.get_num_threads()}")

    for fn in contenders.values():  # warm-up: caches, thread pools, lazy imports
        fn(1000)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for rep in range(args.reps):
        for name, fn in contenders.items():
            times[name].append(fn(rep))
    median = {name: statistics.median(t) for name, t in times.items()}

    print()
    print(f"{'':14s} {'median s/epoch':>15s} {'min':>7s}   all runs")
    for name, t in times.items():
        print(f"{name:14s} {median[name]:15.3f} {min(t):7.3f}   " + " ".join(f"{v:.3f}" for v in t))
    print()
    floor_ratio = median["mlcourse"] / median["matmul floor"]
    print(f"mlcourse / matmul floor = {floor_ratio:.2f}  (target <= 2.2)")
    if "pytorch" in median:
        ratio = median["mlcourse"] / median["pytorch"]
        print(f"mlcourse / PyTorch      = {ratio:.2f}  (target <= 1.0)")
        loop_ratio = median["mlcourse loop"] / median["pytorch"]
        print(f"plain loop / PyTorch    = {loop_ratio:.2f}  (target <= 0.85)")
        paired = [a / b for a, b in zip(times["mlcourse loop"], times["pytorch"])]
        print("plain loop / PyTorch, run by run: " + " ".join(f"{r:.2f}" for r in paired))
    else:
        print("mlcourse / PyTorch      = n/a (PyTorch skipped)")
    print(f"load average after the runs: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
