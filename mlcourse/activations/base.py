"""The base class of element-wise activations: ``forward``, ``backward`` and ``derivative``.

See Also
--------
Chapter 3 (activation functions).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..module import Module
from ..validation import as_float_array, check_grad_output

__all__ = ["Activation"]

Array = NDArray[np.floating]



class Activation(Module):
    """Base class of element-wise activations ``y = f(x)``.

    Sub-classes implement ``_f(x)`` (the function) and ``_df(x, y)`` (its
    derivative, given the input and the output, since several derivatives
    are cheapest written in terms of the output, e.g. σ′ = σ(1 − σ)).

    Notes
    -----
    For an element-wise f, the Jacobian is diagonal, so the chain rule is an
    element-wise product: dL/dx = dL/dy ⊙ f′(x). The cache holds ``(x, y)``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cache: tuple[Array, Array] | None = None

    def _f(self, x: Array) -> Array:
        raise NotImplementedError

    def _df(self, x: Array, y: Array) -> Array:
        raise NotImplementedError

    def forward(self, x: NDArray) -> Array:
        """Apply f entry by entry.

        Parameters
        ----------
        x : ndarray of any shape, floating point

        Returns
        -------
        ndarray of the same shape and dtype
        """
        x = as_float_array(x, type(self).__name__)
        y = self._f(x).astype(x.dtype, copy=False)  # like x
        self._cache = (x, y)
        return y

    def backward(self, grad_output: NDArray) -> Array:
        """Return dL/dx = grad_output ⊙ f′(x), with the shape and dtype of x."""
        self._require_cache(self._cache)
        x, y = self._cache
        grad_output = check_grad_output(grad_output, y.shape, type(self).__name__)
        return (grad_output * self._df(x, y)).astype(x.dtype, copy=False)  # like x

    def derivative(self, x: Any) -> Array:
        """f′(x) on an array, for plots (does not touch the cache)."""
        x = as_float_array(x, f"{type(self).__name__}.derivative")
        return self._df(x, self._f(x)).astype(x.dtype, copy=False)
