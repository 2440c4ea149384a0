"""Saturating activations: the step, sigmoid, tanh, arctan and softsign, and the identity.

Their derivatives vanish for large |x| (or, for the step, everywhere),
which is what chapter 3 contrasts with the rectifiers.

See Also
--------
Chapter 1 (the perceptron's step) and chapter 3 (activation functions).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..functional import sigmoid
from ..validation import as_float_array
from .base import Activation, Array

__all__ = [
    "Identity",
    "Sigmoid",
    "Softsign",
    "Tanh",
    "arctan",
    "arctan_grad",
    "binary_step",
    "binary_step_grad",
]



def binary_step(x: Any) -> NDArray:
    """Heaviside step: 1 where x ≥ 0, 0 where x < 0 (keeps a float input's dtype).

    Notes
    -----
    Range {0, 1}. The perceptron's activation (chapter 1). Its derivative is
    0 wherever it exists, which is why gradient descent cannot train it.
    """
    x = as_float_array(x, "binary_step")
    return (x >= 0).astype(x.dtype)


def binary_step_grad(x: Any) -> NDArray:
    """Derivative of :func:`binary_step`: 0 everywhere.

    Notes
    -----
    The true derivative is 0 for x ≠ 0 and undefined at x = 0 (the jump);
    0 is returned there too, the value any backward pass would have to use.
    A gradient that is 0 everywhere gives gradient descent nothing to follow.
    """
    x = as_float_array(x, "binary_step_grad")
    return np.zeros_like(x)


def arctan(x: Any) -> NDArray:
    """Inverse tangent, range (−π/2, π/2).

    Saturates slowly: for large |x| the gap to ±π/2 shrinks like 1/|x| and the
    derivative like 1/x², against e^{−2|x|} for tanh.
    """
    x = as_float_array(x, "arctan")
    return np.arctan(x)


def arctan_grad(x: Any) -> NDArray:
    """Derivative of :func:`arctan`: ``1 / (1 + x²)``, largest (1) at 0."""
    x = as_float_array(x, "arctan_grad")
    return 1.0 / (1.0 + x * x)


class Identity(Activation):
    """``f(x) = x``: no non-linearity (a stack of such layers collapses to one linear map).

    Notes
    -----
    f′(x) = 1. Range (−∞, ∞); never saturates.
    """

    def _f(self, x: Array) -> Array:
        return x.copy()

    def _df(self, x: Array, y: Array) -> Array:
        return np.ones_like(x)


class Sigmoid(Activation):
    """Logistic sigmoid ``σ(x) = 1 / (1 + e^{−x})``.

    Notes
    -----
    σ′(x) = σ(x)(1 − σ(x)), at most 1/4 (at x = 0). Range (0, 1).
    Saturates on both sides: for |x| ≳ 5, σ′ < 0.007, so gradients through
    many sigmoid layers shrink geometrically (vanishing gradients). Computed
    without overflow for any x (see :func:`sigmoid`).
    """

    def _f(self, x: Array) -> Array:
        return sigmoid(x)

    def _df(self, x: Array, y: Array) -> Array:
        return y * (1 - y)


class Tanh(Activation):
    """Hyperbolic tangent ``tanh(x) = 2σ(2x) − 1``.

    Notes
    -----
    tanh′(x) = 1 − tanh²(x), at most 1 (at x = 0). Range (−1, 1),
    zero-centred unlike σ. Saturates for |x| ≳ 3 (tanh′ < 0.01).
    """

    def _f(self, x: Array) -> Array:
        return np.tanh(x)

    def _df(self, x: Array, y: Array) -> Array:
        return 1 - y * y


class Softsign(Activation):
    """Softsign ``f(x) = x / (1 + |x|)``.

    Notes
    -----
    f′(x) = 1 / (1 + |x|)². Range (−1, 1), like tanh, but it approaches its
    asymptotes polynomially rather than exponentially, so it saturates more
    gently (f′ = 1/(1 + |x|)² instead of ≈ 4e^{−2|x|}).
    """

    def _f(self, x: Array) -> Array:
        return x / (1 + np.abs(x))

    def _df(self, x: Array, y: Array) -> Array:
        d = 1 + np.abs(x)
        return 1 / (d * d)
