"""Data for the course: MNIST shipped with the package, small synthetic sets, batching and splits.

Everything random here draws from an explicit :class:`numpy.random.Generator`
(or an integer seed that makes one), so a notebook gives the same numbers on
every run.

Layout: datasets in :mod:`~mlcourse.data.mnist` and
:mod:`~mlcourse.data.synthetic`; loading and splitting in
:mod:`~mlcourse.data.loader` and :mod:`~mlcourse.data.splits`.

See Also
--------
Chapter 6 (training: data, batches, epochs) uses :class:`DataLoader`,
:func:`train_val_split`, :func:`kfold_indices` and :class:`Standardizer`;
chapters 1 to 4 use the synthetic sets; chapter 12 uses :func:`load_mnist`.
"""

from __future__ import annotations

from ..validation import as_generator
from .loader import DataLoader
from .mnist import MNIST_SHA256, ChecksumError, load_digits, load_mnist
from .splits import NotFittedError, Standardizer, kfold_indices, train_val_split
from .synthetic import (
    make_blobs,
    make_circles,
    make_moons,
    make_regression_1d,
    make_spirals,
    make_xor,
)

__all__ = [
    "MNIST_SHA256",
    "ChecksumError",
    "DataLoader",
    "NotFittedError",
    "Standardizer",
    "as_generator",
    "kfold_indices",
    "load_digits",
    "load_mnist",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_regression_1d",
    "make_spirals",
    "make_xor",
    "train_val_split",
]
