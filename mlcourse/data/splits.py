"""Splitting and scaling: hold-out splits, k-fold indices and a ``Standardizer`` fitted on training data only.

See Also
--------
Chapter 6 (training: data, batches, epochs).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from numpy.typing import NDArray

from ..validation import as_generator, check_int

__all__ = ["NotFittedError", "Standardizer", "kfold_indices", "train_val_split"]


def _check_same_length(X: NDArray, y: NDArray, who: str) -> None:
    if np.ndim(X) == 0 or np.ndim(y) == 0:
        raise ValueError(f"{who}: X and y must be arrays with a first (example) axis, "
                         f"got shapes {np.shape(X)} and {np.shape(y)}")
    if len(X) != len(y):
        raise ValueError(
            f"{who}: X and y must have the same number of examples, got {len(X)} inputs "
            f"(X.shape={np.shape(X)}) and {len(y)} targets (y.shape={np.shape(y)})"
        )


class NotFittedError(RuntimeError):
    """Raised when a transform is used before ``fit``."""


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
