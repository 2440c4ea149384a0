"""Softmax as a module: not element-wise, so a Jacobian instead of a derivative curve.

See Also
--------
Chapter 4 (losses) derives the softmax Jacobian.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..functional import softmax
from ..module import Module
from ..validation import as_float_array, check_grad_output
from .base import Array

__all__ = ["Softmax"]


class Softmax(Module):
    """Softmax along ``axis``: turns a row of scores into probabilities.

    Parameters
    ----------
    axis : int, default -1
        The axis that sums to one (the class axis of a ``(B, C)`` batch).

    Notes
    -----
    pᵢ = exp(zᵢ) / Σⱼ exp(zⱼ), computed after subtracting the row maximum
    (which cancels) so that no exponent is positive. Range: each pᵢ in
    (0, 1), Σᵢ pᵢ = 1. Each output depends on every input of its row, so
    the derivative is a Jacobian, not a curve:

    .. math:: \\frac{\\partial p_i}{\\partial z_j} = p_i(\\delta_{ij} - p_j).

    Multiplying the upstream gradient g by this Jacobian gives the backward
    pass without forming the C×C matrix:
    dL/dzⱼ = Σᵢ gᵢ pᵢ(δᵢⱼ − pⱼ) = pⱼ (gⱼ − Σᵢ gᵢ pᵢ). Saturates when one
    score dominates (p → one-hot, Jacobian → 0). For training a classifier,
    prefer raw logits with :class:`~mlcourse.losses.CrossEntropyLoss`, whose
    fused gradient P − Y is simpler and more stable.
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Softmax: axis must be an integer, got {axis!r}")
        self.axis = int(axis)
        self._cache: Array | None = None

    def forward(self, z: NDArray) -> Array:
        """Probabilities of the same shape and dtype as ``z``.

        Parameters
        ----------
        z : ndarray, e.g. of shape (B, C)

        Returns
        -------
        ndarray of the same shape, summing to 1 along ``axis``
        """
        z = as_float_array(z, "Softmax")
        if not -z.ndim <= self.axis < z.ndim:
            raise ValueError(
                f"Softmax(axis={self.axis}) needs an input with more axes, got shape {z.shape}"
            )
        p = softmax(z, self.axis)  # like z
        self._cache = p
        return p

    def backward(self, grad_output: NDArray) -> Array:
        """Jacobian-vector product dL/dz = p ⊙ (g − Σᵢ gᵢ pᵢ) along ``axis``."""
        p = self._require_cache(self._cache)
        g = check_grad_output(grad_output, p.shape, "Softmax")
        return (p * (g - (g * p).sum(axis=self.axis, keepdims=True))).astype(p.dtype, copy=False)

    @staticmethod
    def jacobian(z: Any) -> NDArray:
        """The C×C Jacobian ``diag(p) − p pᵀ`` of softmax at a single score vector ``z`` of shape (C,)."""
        z = as_float_array(z, "Softmax.jacobian")
        if z.ndim != 1:
            raise ValueError(
                f"Softmax.jacobian expects one score vector of shape (C,), got shape {z.shape}"
            )
        p = softmax(z)
        return np.diag(p) - np.outer(p, p)  # (C, C)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
