"""Data for the course: MNIST shipped with the package, small synthetic sets, batching and splits.

Everything random here draws from an explicit :class:`numpy.random.Generator`
(or an integer seed that makes one), so a notebook gives the same numbers on
every run.

See Also
--------
Chapter 6 (training: data, batches, epochs) uses :class:`DataLoader`,
:func:`train_val_split`, :func:`kfold_indices` and :class:`Standardizer`;
chapters 1 to 4 use the synthetic sets; chapter 12 uses :func:`load_mnist`.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
from numpy.typing import NDArray

from .validation import as_generator, check_int

__all__ = [
    "MNIST_SHA256",
    "ChecksumError",
    "NotFittedError",
    "as_generator",
    "load_mnist",
    "load_digits",
    "make_xor",
    "make_spirals",
    "make_moons",
    "make_circles",
    "make_blobs",
    "make_regression_1d",
    "DataLoader",
    "train_val_split",
    "kfold_indices",
    "Standardizer",
]

MNIST_SHA256 = "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64"
"""SHA-256 of ``mlcourse/datasets/mnist.npz``, the copy shipped with the package."""

_MNIST_SIZES = {"train": 60_000, "test": 10_000}


class ChecksumError(ValueError):
    """Raised when a data file's SHA-256 is not the expected one."""


class NotFittedError(RuntimeError):
    """Raised when a transform is used before ``fit``."""




def _check_same_length(X: NDArray, y: NDArray, who: str) -> None:
    if np.ndim(X) == 0 or np.ndim(y) == 0:
        raise ValueError(f"{who}: X and y must be arrays with a first (example) axis, "
                         f"got shapes {np.shape(X)} and {np.shape(y)}")
    if len(X) != len(y):
        raise ValueError(
            f"{who}: X and y must have the same number of examples, got {len(X)} inputs "
            f"(X.shape={np.shape(X)}) and {len(y)} targets (y.shape={np.shape(y)})"
        )


_mnist_cache: dict[tuple[str, int, int], dict[str, NDArray[np.uint8]]] = {}
_mnist_lock = threading.Lock()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_mnist(path: Path, verify: bool) -> dict[str, NDArray[np.uint8]]:
    """Read (and verify once per process) the raw uint8 arrays; they are cached read-only."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _mnist_lock:
        cached = _mnist_cache.get(key)
        if cached is not None:
            return cached
        if verify:
            actual = _sha256(path)
            if actual != MNIST_SHA256:
                raise ChecksumError(
                    f"load_mnist: {path} is not the expected MNIST file: SHA-256 is {actual}, "
                    f"expected {MNIST_SHA256}. The file may be damaged or replaced; reinstall "
                    "mlcourse to restore the shipped copy"
                )
        with np.load(path, allow_pickle=False) as npz:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(npz.files)
            if missing:
                raise ValueError(f"load_mnist: {path} lacks the arrays {sorted(missing)}")
            arrays = {name: npz[name] for name in ("x_train", "y_train", "x_test", "y_test")}
        for array in arrays.values():
            array.setflags(write=False)
        if verify:
            _mnist_cache[key] = arrays
        return arrays


def _default_mnist_path() -> Path:
    resource = resources.files("mlcourse").joinpath("datasets", "mnist.npz")
    path = Path(str(resource))
    if not path.is_file():
        raise FileNotFoundError(
            f"load_mnist: the MNIST copy shipped with mlcourse is missing ({path}); "
            "reinstall the package"
        )
    return path


def _stratified_subset(y: NDArray, n: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """Indices of ``n`` examples keeping each class's share (largest remainders), sorted."""
    classes, counts = np.unique(y, return_counts=True)
    exact = counts * (n / len(y))
    take = np.floor(exact).astype(int)
    remainder = n - int(take.sum())
    if remainder > 0:
        order = np.argsort(-(exact - take), kind="stable")
        take[order[:remainder]] += 1
    chosen = [rng.choice(np.flatnonzero(y == c), size=k, replace=False)
              for c, k in zip(classes, take)]
    return np.sort(np.concatenate(chosen))


def load_mnist(
    flatten: bool = False,
    dtype: Any = np.float32,
    subset: int | tuple[int, int] | None = None,
    seed: int | np.random.Generator | None = 0,
    normalize: bool = False,
    verify: bool = True,
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[NDArray, NDArray[np.int64]], tuple[NDArray, NDArray[np.int64]]]:
    """Load the MNIST digits from the copy shipped inside the package.

    Nothing is downloaded: the standard split (60,000 training and 10,000
    test images of 28×28 grey pixels) ships as ``mlcourse/datasets/mnist.npz``.
    Its SHA-256 is checked the first time it is read in a process; the raw
    arrays are then kept in memory, so later calls cost only the conversion.

    Parameters
    ----------
    flatten : bool, default False
        Return images as rows of 784 pixels instead of 28×28 arrays.
    dtype : numpy dtype or None, default float32
        A floating dtype scales the pixels to [0, 1]; None returns the raw
        uint8 values 0..255.
    subset : int, (int, int) or None
        None returns everything. ``(n_train, n_test)`` draws that many
        examples from each split; an int ``n`` means ``(n, n // 6)``, the
        60k:10k ratio. Subsets are stratified (each digit keeps its share, up
        to rounding) and keep the original order.
    seed : int, Generator or None, default 0
        Randomness of the subset.
    normalize : bool, default False
        Standardise the pixels with the mean and standard deviation of all
        pixels of the returned *training* images (one scalar each), as
        ``(x - mean) / std``; both splits use the training statistics.
        Needs a floating dtype.
    verify : bool, default True
        Check the file's SHA-256 (once per process).
    path : path-like, optional
        Read another copy with the same layout (used by the tests).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*`` of shape (N, 28, 28), or (N, 784) with ``flatten=True``, in
        ``dtype``; ``y_*`` int64 labels 0..9 of shape (N,).

    Raises
    ------
    ChecksumError
        When the file's SHA-256 differs from :data:`MNIST_SHA256` (the message
        gives both).

    Notes
    -----
    MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges,
    "The MNIST database of handwritten digits", distributed under CC BY-SA
    3.0; see ``mlcourse/datasets/README.md`` for the provenance of this copy.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_mnist(flatten=True)
    >>> x_train.shape, x_train.dtype, y_train.dtype
    ((60000, 784), dtype('float32'), dtype('int64'))
    """
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"load_mnist: dtype must be a floating dtype (scaled to [0, 1]) or None "
                         f"for raw uint8, got {np.dtype(dtype)}")
    if normalize and dtype is None:
        raise ValueError("load_mnist: normalize=True needs a floating dtype, got dtype=None")
    raw = _read_mnist(Path(path) if path is not None else _default_mnist_path(), verify)

    if subset is None:
        sizes = None
    elif isinstance(subset, (int, np.integer)) and not isinstance(subset, bool):
        sizes = (int(subset), max(1, int(subset) // 6))
    elif isinstance(subset, tuple) and len(subset) == 2:
        sizes = (int(subset[0]), int(subset[1]))
    else:
        raise ValueError(f"load_mnist: subset must be None, an int or (n_train, n_test), got {subset!r}")
    rng = as_generator(seed, "load_mnist") if sizes is not None else None

    splits = []
    for i, split in enumerate(("train", "test")):
        x, y = raw[f"x_{split}"], raw[f"y_{split}"]
        if sizes is not None:
            n = sizes[i]
            if not 1 <= n <= len(y):
                raise ValueError(f"load_mnist: subset asks for {n} {split} examples; "
                                 f"choose between 1 and {len(y)}")
            index = _stratified_subset(y, n, rng)
            x, y = x[index], y[index]
        if dtype is None:
            x = np.array(x, copy=True)
        else:
            x = x.astype(dtype)
            x /= 255
        if flatten:
            x = x.reshape(len(x), -1)
        splits.append([x, y.astype(np.int64)])

    if normalize:
        x_train = splits[0][0]
        mean = x_train.mean(dtype=np.float64)
        std = x_train.std(dtype=np.float64)
        for pair in splits:
            pair[0] -= np.asarray(mean, dtype=pair[0].dtype)
            pair[0] /= np.asarray(std, dtype=pair[0].dtype)
    (x_train, y_train), (x_test, y_test) = splits
    return (x_train, y_train), (x_test, y_test)


def load_digits(
    size: int = 8,
    dtype: Any = np.float32,
    subset: int | tuple[int, int] | None = None,
    seed: int | np.random.Generator | None = 0,
) -> tuple[tuple[NDArray, NDArray[np.int64]], tuple[NDArray, NDArray[np.int64]]]:
    """MNIST shrunk to small images, for quick experiments: 7×7, 8×8 or 14×14.

    Parameters
    ----------
    size : {7, 8, 14}, default 8
        Side of the returned images. 7 and 14 average 4×4 and 2×2 blocks of
        the 28×28 image; 8 first pads the image with two blank pixels on every
        side (32×32) and averages 4×4 blocks.
    dtype, subset, seed
        As in :func:`load_mnist`.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*`` of shape (N, size * size) with values in [0, 1]; ``y_*`` int64.
    """
    if size not in (7, 8, 14):
        raise ValueError(f"load_digits: size must be 7, 8 or 14, got {size!r}")
    if dtype is None or not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"load_digits: dtype must be a floating dtype, got {dtype!r}")
    out = []
    for x, y in load_mnist(dtype=dtype, subset=subset, seed=seed):
        if size == 8:
            x = np.pad(x, ((0, 0), (2, 2), (2, 2)))  # (N, 32, 32)
        block = x.shape[1] // size
        small = x.reshape(len(x), size, block, size, block).mean(axis=(2, 4))  # (N, size, size)
        out.append((small.reshape(len(x), -1).astype(dtype), y))
    return out[0], out[1]


def _labels(rng: np.random.Generator, n: int, n_classes: int) -> NDArray[np.int64]:
    """Balanced labels 0..n_classes-1 (counts differ by at most one), shuffled."""
    return rng.permutation(np.arange(n) % n_classes).astype(np.int64)


def _check_synthetic(who: str, n: int, noise: float, minimum: int = 1) -> None:
    check_int(n, who, "n", low=minimum)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{who}: noise must be a non-negative number, got {noise!r}")


def make_xor(
    n: int = 200, noise: float = 0.1, rng: np.random.Generator | int | None = 0
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The XOR problem: points near the corners of the unit square, label ``x₁ XOR x₂``.

    Parameters
    ----------
    n : int
        Number of points, spread evenly over the four corners.
    noise : float
        Standard deviation of the Gaussian jitter around each corner.
    rng : Generator, int or None, default 0

    Returns
    -------
    X : ndarray of shape (n, 2), float32
    y : ndarray of shape (n,), int64, 1 at (0, 1) and (1, 0), 0 at (0, 0) and (1, 1)

    See Also
    --------
    Chapter 1: no line separates the two classes; chapter 2: a 2-2-1 network does.
    """
    _check_synthetic("make_xor", n, noise)
    gen = as_generator(rng, "make_xor")
    corner = gen.permutation(np.arange(n) % 4)
    bits = np.stack([corner // 2, corner % 2], axis=1)  # (n, 2)
    X = bits + noise * gen.standard_normal((n, 2))  # (n, 2)
    y = (bits[:, 0] ^ bits[:, 1]).astype(np.int64)
    return X.astype(np.float32), y


def make_spirals(
    n: int = 300,
    n_classes: int = 3,
    noise: float = 0.2,
    turns: float = 1.0,
    rng: np.random.Generator | int | None = 0,
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Interleaved spiral arms, one per class: a classic non-linear problem.

    Parameters
    ----------
    n : int
        Total number of points (classes differ in size by at most one).
    n_classes : int, default 3
    noise : float
        Standard deviation of the Gaussian jitter added to the angle (radians).
    turns : float, default 1.0
        How many full turns each arm makes from the centre to radius 1.
    rng : Generator, int or None, default 0

    Returns
    -------
    X : ndarray of shape (n, 2), float32, inside the unit disc
    y : ndarray of shape (n,), int64

    Notes
    -----
    A point of class k at radius r ∈ [0, 1] has angle
    ``θ = 2π k / K + 2π · turns · r + noise · ε`` with ε ~ N(0, 1), and
    coordinates ``(r cos θ, r sin θ)``.
    """
    _check_synthetic("make_spirals", n, noise)
    check_int(n_classes, "make_spirals", "n_classes", low=2)
    gen = as_generator(rng, "make_spirals")
    y = _labels(gen, n, n_classes)
    r = gen.uniform(0.05, 1.0, size=n)
    theta = 2 * np.pi * y / n_classes + 2 * np.pi * turns * r + noise * gen.standard_normal(n)
    X = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)  # (n, 2)
    return X.astype(np.float32), y


def make_moons(
    n: int = 200, noise: float = 0.1, rng: np.random.Generator | int | None = 0
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Two interleaving half circles.

    Parameters
    ----------
    n : int
    noise : float
        Standard deviation of Gaussian noise added to both coordinates.
    rng : Generator, int or None, default 0

    Returns
    -------
    X : ndarray of shape (n, 2), float32
    y : ndarray of shape (n,), int64

    Notes
    -----
    Class 0 lies on the upper half of the unit circle, ``(cos t, sin t)``,
    class 1 on the lower half shifted right and up, ``(1 − cos t, 0.5 − sin t)``,
    with ``t ~ U(0, π)``.
    """
    _check_synthetic("make_moons", n, noise)
    gen = as_generator(rng, "make_moons")
    y = _labels(gen, n, 2)
    t = gen.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)  # (n, 2)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)  # (n, 2)
    X = np.where(y[:, None] == 0, upper, lower) + noise * gen.standard_normal((n, 2))  # (n, 2)
    return X.astype(np.float32), y


def make_circles(
    n: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    rng: np.random.Generator | int | None = 0,
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Two concentric circles: class 0 outside (radius 1), class 1 inside (radius ``factor``).

    Parameters
    ----------
    n : int
    noise : float
        Standard deviation of Gaussian noise added to both coordinates.
    factor : float in (0, 1)
        Radius of the inner circle.
    rng : Generator, int or None, default 0

    Returns
    -------
    X : ndarray of shape (n, 2), float32
    y : ndarray of shape (n,), int64
    """
    _check_synthetic("make_circles", n, noise)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must lie in (0, 1), got {factor!r}")
    gen = as_generator(rng, "make_circles")
    y = _labels(gen, n, 2)
    t = gen.uniform(0.0, 2 * np.pi, size=n)
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)  # (n, 2)
    X += noise * gen.standard_normal((n, 2))
    return X.astype(np.float32), y


def make_blobs(
    n: int = 200,
    centers: int | NDArray = 2,
    noise: float = 0.5,
    n_features: int = 2,
    rng: np.random.Generator | int | None = 0,
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Gaussian blobs, one per class; with the default spread they are linearly separable.

    Parameters
    ----------
    n : int
    centers : int or ndarray of shape (K, n_features)
        The number of blobs K, or their centres. An int places the centres
        evenly on a circle of radius 3 (in the first two features; 0 in the
        others), so that with ``noise=0.5`` the classes are separated by
        several standard deviations.
    noise : float, default 0.5
        Standard deviation of each blob along every axis.
    n_features : int, default 2
        Used only when ``centers`` is an int.
    rng : Generator, int or None, default 0

    Returns
    -------
    X : ndarray of shape (n, n_features), float32
    y : ndarray of shape (n,), int64, the index of the blob
    """
    _check_synthetic("make_blobs", n, noise)
    gen = as_generator(rng, "make_blobs")
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = check_int(centers, "make_blobs", "centers", low=2)
        check_int(n_features, "make_blobs", "n_features", low=2)
        angle = 2 * np.pi * np.arange(k) / k
        mu = np.zeros((k, n_features))
        mu[:, 0], mu[:, 1] = 3.0 * np.cos(angle), 3.0 * np.sin(angle)
    else:
        mu = np.asarray(centers, dtype=np.float64)
        if mu.ndim != 2 or len(mu) < 2:
            raise ValueError(f"make_blobs: centers must be an int >= 2 or an array of shape "
                             f"(K >= 2, n_features), got shape {mu.shape}")
    y = _labels(gen, n, len(mu))
    X = mu[y] + noise * gen.standard_normal((n, mu.shape[1]))  # (n, n_features)
    return X.astype(np.float32), y


def make_regression_1d(
    n: int = 100,
    f: Callable[[NDArray], NDArray] = np.sin,
    noise: float = 0.1,
    x_range: tuple[float, float] = (-3.0, 3.0),
    rng: np.random.Generator | int | None = 0,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Noisy samples of a 1-D function, ``y = f(x) + noise · ε``.

    Parameters
    ----------
    n : int
    f : callable, default numpy.sin
        Vectorised function of a 1-D array.
    noise : float
        Standard deviation of the Gaussian noise ε.
    x_range : (float, float)
        ``x`` is drawn uniformly from this interval (then sorted, which makes
        plotting easy).
    rng : Generator, int or None, default 0

    Returns
    -------
    X : ndarray of shape (n, 1), float32
    y : ndarray of shape (n, 1), float32
    """
    _check_synthetic("make_regression_1d", n, noise)
    low, high = x_range
    if not low < high:
        raise ValueError(f"make_regression_1d: x_range must be (low, high) with low < high, got {x_range!r}")
    gen = as_generator(rng, "make_regression_1d")
    x = np.sort(gen.uniform(low, high, size=n))
    clean = np.asarray(f(x), dtype=np.float64)
    if clean.shape != x.shape:
        raise ValueError(f"make_regression_1d: f must map an array of shape {x.shape} to the same "
                         f"shape, got {clean.shape}")
    y = clean + noise * gen.standard_normal(n)
    return x[:, None].astype(np.float32), y[:, None].astype(np.float32)


class DataLoader:
    """Mini-batches ``(xb, yb)`` of a data set, reshuffled at the start of every epoch.

    Parameters
    ----------
    X : ndarray of shape (N, ...)
        Inputs; the first axis indexes examples.
    y : ndarray of shape (N, ...)
        Targets.
    batch_size : int, default 32
    shuffle : bool, default True
        Draw a new permutation of the examples for each pass (each ``iter``).
        Without shuffling, batches are views in the stored order.
    drop_last : bool, default False
        Drop the last batch when it is smaller than ``batch_size``.
    rng : Generator, int or None
        The loader's own generator for the permutations. An int makes the
        sequence of epochs reproducible; None uses fresh OS entropy.

    Attributes
    ----------
    num_examples : int
        N.

    Notes
    -----
    One epoch visits every example exactly once (except the dropped tail with
    ``drop_last=True``); ``len(loader)`` is the number of batches per epoch,
    ``ceil(N / batch_size)`` or ``floor(N / batch_size)`` with ``drop_last``.
    With N = 1,000 and a batch of 100, an epoch is 10 iterations.

    Examples
    --------
    >>> loader = DataLoader(X, y, batch_size=128, rng=0)
    >>> for xb, yb in loader:
    ...     pass
    """

    def __init__(
        self,
        X: NDArray,
        y: NDArray,
        batch_size: int = 32,
        shuffle: bool = True,
        drop_last: bool = False,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        X, y = np.asarray(X), np.asarray(y)
        _check_same_length(X, y, "DataLoader")
        self.batch_size = check_int(batch_size, "DataLoader", "batch_size")
        if len(X) == 0:
            raise ValueError("DataLoader: the data set is empty (0 examples)")
        if drop_last and self.batch_size > len(X):
            raise ValueError(
                f"DataLoader: batch_size={self.batch_size} is larger than the {len(X)} examples "
                "and drop_last=True would leave no batch at all"
            )
        self.X, self.y = X, y
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = as_generator(rng, "DataLoader")

    @property
    def num_examples(self) -> int:
        return len(self.X)

    def __len__(self) -> int:
        if self.drop_last:
            return self.num_examples // self.batch_size
        return math.ceil(self.num_examples / self.batch_size)

    def __iter__(self) -> Iterator[tuple[NDArray, NDArray]]:
        n, bs = self.num_examples, self.batch_size
        stop = len(self) * bs
        if self.shuffle:
            order = self.rng.permutation(n)
            for start in range(0, stop, bs):
                index = order[start:start + bs]
                yield np.take(self.X, index, axis=0), np.take(self.y, index, axis=0)
        else:
            for start in range(0, stop, bs):
                yield self.X[start:start + bs], self.y[start:start + bs]

    def __repr__(self) -> str:
        return (f"DataLoader(num_examples={self.num_examples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")


def _stratified_val_mask(y: NDArray, val_fraction: float, rng: np.random.Generator) -> NDArray[np.bool_]:
    n_val = round(val_fraction * len(y))
    mask = np.zeros(len(y), dtype=bool)
    mask[_stratified_subset(y, n_val, rng)] = True
    return mask


def train_val_split(
    X: NDArray,
    y: NDArray,
    val_fraction: float = 0.2,
    rng: np.random.Generator | int | None = 0,
    stratify: bool = False,
) -> tuple[tuple[NDArray, NDArray], tuple[NDArray, NDArray]]:
    """Split a data set at random into a training and a validation part.

    Parameters
    ----------
    X : ndarray of shape (N, ...)
    y : ndarray of shape (N, ...)
    val_fraction : float in (0, 1)
        Share of the examples that go to validation (rounded to an integer
        count; both parts get at least one example).
    rng : Generator, int or None, default 0
    stratify : bool, default False
        Keep each class's share in both parts (up to rounding); needs class
        labels ``y`` of shape (N,).

    Returns
    -------
    (X_train, y_train), (X_val, y_val)
        Examples keep their original relative order within each part.
    """
    X, y = np.asarray(X), np.asarray(y)
    _check_same_length(X, y, "train_val_split")
    if not 0 < val_fraction < 1:
        raise ValueError(f"train_val_split: val_fraction must lie in (0, 1), got {val_fraction!r}")
    n = len(y)
    n_val = round(val_fraction * n)
    if not 1 <= n_val <= n - 1:
        raise ValueError(f"train_val_split: val_fraction={val_fraction} of {n} examples leaves "
                         f"{n_val} for validation and {n - n_val} for training; both need at least one")
    gen = as_generator(rng, "train_val_split")
    if stratify:
        if y.ndim != 1:
            raise ValueError(f"train_val_split: stratify=True needs class labels of shape (N,), got {y.shape}")
        val = _stratified_val_mask(y, val_fraction, gen)
    else:
        val = np.zeros(n, dtype=bool)
        val[gen.permutation(n)[:n_val]] = True
    return (X[~val], y[~val]), (X[val], y[val])


def kfold_indices(
    n: int, k: int = 5, shuffle: bool = True, rng: np.random.Generator | int | None = 0
) -> Iterator[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """Yield ``(train_idx, val_idx)`` for k-fold cross-validation.

    Parameters
    ----------
    n : int
        Number of examples.
    k : int, default 5
        Number of folds, 2 <= k <= n.
    shuffle : bool, default True
        Assign examples to folds at random (otherwise in order).
    rng : Generator, int or None, default 0

    Yields
    ------
    train_idx : ndarray of shape (n - n_i,)
    val_idx : ndarray of shape (n_i,)
        The folds are disjoint and together cover ``0..n-1``; their sizes
        ``n_i`` differ by at most one (the first ``n mod k`` folds get one
        more). Both arrays are sorted.
    """
    n = check_int(n, "kfold_indices", "n", low=2)
    k = check_int(k, "kfold_indices", "k", low=2)
    if k > n:
        raise ValueError(f"kfold_indices: k={k} folds need at least k examples, got n={n}")
    order = as_generator(rng, "kfold_indices").permutation(n) if shuffle else np.arange(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    start = 0
    for size in sizes:
        val = np.zeros(n, dtype=bool)
        val[order[start:start + size]] = True
        start += size
        yield np.flatnonzero(~val), np.flatnonzero(val)


class Standardizer:
    """Feature scaling ``(x − mean) / std`` with statistics of the training data only.

    Attributes
    ----------
    mean_ : ndarray of shape (C,)
        Per-feature mean of the data given to :meth:`fit`.
    scale_ : ndarray of shape (C,)
        Per-feature (population) standard deviation; 1 for a constant feature,
        which is then mapped to 0 instead of dividing by zero.

    Notes
    -----
    Fit on the training split, then transform the training, validation and
    test splits with those same numbers: statistics of validation or test
    data must never leak into training.

    Examples
    --------
    >>> scaler = Standardizer().fit(X_train)
    >>> X_train_s, X_test_s = scaler.transform(X_train), scaler.transform(X_test)
    """

    def __init__(self) -> None:
        self.mean_: NDArray[np.float64] | None = None
        self.scale_: NDArray[np.float64] | None = None

    def _check_input(self, X: Any, who: str) -> NDArray:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"Standardizer.{who}: expected X of shape (N, C), got shape {X.shape}")
        if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
            raise TypeError(f"Standardizer.{who}: expected a real numeric array, got dtype {X.dtype}")
        return X

    def _check_fitted(self, X: NDArray, who: str) -> None:
        if self.mean_ is None or self.scale_ is None:
            raise NotFittedError(f"Standardizer.{who} was called before fit(): fit it on the "
                                 "training data first")
        if X.shape[1] != len(self.mean_):
            raise ValueError(f"Standardizer.{who}: fitted on {len(self.mean_)} features, got X of "
                             f"shape {X.shape}")

    def fit(self, X: NDArray) -> "Standardizer":
        """Compute per-feature mean and standard deviation of ``X`` (N, C); returns self."""
        X = self._check_input(X, "fit")
        if len(X) == 0:
            raise ValueError("Standardizer.fit: X has no rows")
        mean = X.mean(axis=0, dtype=np.float64)  # (C,)
        std = X.std(axis=0, dtype=np.float64)  # (C,)
        constant = np.ptp(X, axis=0) == 0
        self.mean_ = mean
        self.scale_ = np.where(constant | (std == 0), 1.0, std)
        return self

    def _out_dtype(self, X: NDArray) -> np.dtype:
        return X.dtype if np.issubdtype(X.dtype, np.floating) else np.dtype(np.float64)

    def transform(self, X: NDArray) -> NDArray:
        """Return ``(X − mean_) / scale_``, shape (N, C), in X's float dtype (float64 for ints)."""
        X = self._check_input(X, "transform")
        self._check_fitted(X, "transform")
        return ((X - self.mean_) / self.scale_).astype(self._out_dtype(X))

    def inverse_transform(self, Z: NDArray) -> NDArray:
        """Return ``Z · scale_ + mean_``, undoing :meth:`transform`."""
        Z = self._check_input(Z, "inverse_transform")
        self._check_fitted(Z, "inverse_transform")
        return (Z * self.scale_ + self.mean_).astype(self._out_dtype(Z))

    def fit_transform(self, X: NDArray) -> NDArray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def __repr__(self) -> str:
        fitted = "unfitted" if self.mean_ is None else f"features={len(self.mean_)}"
        return f"Standardizer({fitted})"
