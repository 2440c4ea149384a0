"""Small synthetic data sets for the first chapters: XOR, spirals, moons, circles, blobs, a 1-D regression.

Each draws from an explicit generator (``rng=0`` by default), so a notebook
gives the same points on every run.

See Also
--------
Chapters 1 to 4 fit them; chapter 6 splits them.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import NDArray

from ..validation import as_generator, check_int

__all__ = ["make_blobs", "make_circles", "make_moons", "make_regression_1d", "make_spirals", "make_xor"]


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
