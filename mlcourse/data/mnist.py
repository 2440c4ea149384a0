"""MNIST, shipped with the package and verified by its SHA-256, and scikit-learn's small digits.

See Also
--------
Chapter 12 (MNIST end to end).
"""

from __future__ import annotations

import hashlib
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..validation import as_generator
from .splits import _stratified_subset

__all__ = ["MNIST_SHA256", "ChecksumError", "load_digits", "load_mnist"]

MNIST_SHA256 = "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64"
"""SHA-256 of ``mlcourse/datasets/mnist.npz``, the copy shipped with the package."""

_MNIST_SIZES = {"train": 60_000, "test": 10_000}


class ChecksumError(ValueError):
    """Raised when a data file's SHA-256 is not the expected one."""


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
