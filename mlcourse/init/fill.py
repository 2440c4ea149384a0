"""Filling an array in place: constants, and normal or uniform random values.

See Also
--------
Chapter 9 (initialization).
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from ..module import Parameter
from ..validation import as_generator, check_number

__all__ = ['Tensor', 'constant_', 'normal_', 'ones_', 'uniform_', 'zeros_']


Tensor = TypeVar("Tensor", NDArray[np.floating], Parameter)

def _target(w: Any, who: str) -> NDArray[np.floating]:
    """The floating-point array to fill: ``w`` itself or ``w.data`` of a Parameter."""
    array = w.data if isinstance(w, Parameter) else w
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{who}: expected a NumPy array or an mlcourse.Parameter to fill in place, "
            f"got {type(w).__name__}"
        )
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"{who}: expected a floating-point array (float32 or float64), got dtype {array.dtype}"
        )
    if not array.flags.writeable:
        raise ValueError(f"{who}: the array is read-only and cannot be filled in place")
    return array




def _direct(array: NDArray[np.floating]) -> bool:
    """Whether the generator can write into ``array`` directly (no float64 temporary)."""
    return array.dtype in (np.float32, np.float64) and array.flags.c_contiguous


def _fill_normal(w: Tensor, std: float, rng: np.random.Generator | int | None, who: str,
                 mean: float = 0.0) -> Tensor:
    array = _target(w, who)
    gen = as_generator(rng, who)
    if array.size == 0:
        return w
    if _direct(array):
        gen.standard_normal(dtype=array.dtype, out=array)
        array *= std
        if mean != 0:
            array += mean
    else:
        array[...] = gen.normal(mean, std, size=array.shape)
    return w


def _fill_uniform(w: Tensor, low: float, high: float, rng: np.random.Generator | int | None,
                  who: str) -> Tensor:
    array = _target(w, who)
    gen = as_generator(rng, who)
    if array.size == 0:
        return w
    if _direct(array):
        gen.random(dtype=array.dtype, out=array)
        array *= high - low
        array += low
    else:
        array[...] = gen.uniform(low, high, size=array.shape)
    return w


def constant_(w: Tensor, val: float | None = None, rng: np.random.Generator | int | None = None) -> Tensor:
    """Fill ``w`` with the value ``val``.

    Parameters
    ----------
    w : ndarray or Parameter
        Filled in place (a Parameter's ``.data``).
    val : float
        Required. (It has no default only so that ``Linear(..., init="constant")``
        can answer with an error that shows how to pass one.)
    rng : ignored
        Accepted so that every initializer can be called as ``init(w, rng=rng)``.

    Returns
    -------
    The object passed as ``w``.

    Notes
    -----
    All-equal weights are the classic mistake of chapter 9: every unit of a
    layer computes the same output and receives the same gradient, so the
    units stay identical forever (symmetry is never broken).
    """
    array = _target(w, "constant_")
    if val is None:
        raise TypeError(
            "constant_: the value to fill with is missing: call constant_(w, val=0.5); "
            "for a layer pass init=lambda w, rng: constant_(w, 0.5)"
        )
    array[...] = check_number(val, "constant_", "val")
    return w


def zeros_(w: Tensor, rng: np.random.Generator | int | None = None) -> Tensor:
    """Fill ``w`` with zeros (the usual choice for biases); see :func:`constant_`."""
    _target(w, "zeros_").fill(0)
    return w


def ones_(w: Tensor, rng: np.random.Generator | int | None = None) -> Tensor:
    """Fill ``w`` with ones (e.g. a normalization layer's scale γ); see :func:`constant_`."""
    _target(w, "ones_").fill(1)
    return w


def normal_(w: Tensor, mean: float = 0.0, std: float = 1.0,
            rng: np.random.Generator | int | None = None) -> Tensor:
    """Fill ``w`` with draws from the normal distribution N(mean, std²).

    Parameters
    ----------
    w : ndarray or Parameter
        Filled in place.
    mean : float, default 0
    std : float, default 1
        Standard deviation, >= 0. ``normal_(W, std=0.01)`` is the "small random
        numbers" initialisation whose signal vanishes in deep networks.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    The object passed as ``w``.
    """
    mean = check_number(mean, "normal_", "mean")
    std = check_number(std, "normal_", "std", low=0.0)
    return _fill_normal(w, std, rng, "normal_", mean=mean)


def uniform_(w: Tensor, a: float = 0.0, b: float = 1.0,
             rng: np.random.Generator | int | None = None) -> Tensor:
    """Fill ``w`` with draws from the uniform distribution U(a, b).

    Parameters
    ----------
    w : ndarray or Parameter
        Filled in place.
    a, b : float
        Lower and upper bound, ``a <= b``.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    The object passed as ``w``.

    Notes
    -----
    Mean ``(a + b) / 2``, variance ``(b - a)² / 12``.
    """
    a = check_number(a, "uniform_", "a")
    b = check_number(b, "uniform_", "b")
    if a > b:
        raise ValueError(f"uniform_: expected a <= b, got a={a} and b={b}")
    return _fill_uniform(w, a, b, rng, "uniform_")
