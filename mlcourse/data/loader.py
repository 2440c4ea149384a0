"""Mini-batches: ``DataLoader`` shuffles a data set and cuts it into batches.

See Also
--------
Chapter 6 (training: data, batches, epochs).
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np
from numpy.typing import NDArray

from ..validation import as_generator, check_int
from .splits import _check_same_length

__all__ = ["DataLoader"]


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
