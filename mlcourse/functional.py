"""Numerically careful functions the activations and losses share.

``sigmoid``, ``softplus``, ``softmax`` and ``log_softmax`` written so that
they never overflow, and the error functions ``erf`` and ``erfc`` (for the
exact GELU) with a small relative error everywhere. Plain functions of
arrays, without a backward pass: the modules of :mod:`mlcourse.activations`
and :mod:`mlcourse.losses` build on them.

See Also
--------
Chapter 3 (activation functions) and chapter 4 (losses).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["erf", "erfc", "log_softmax", "sigmoid", "softmax", "softplus"]

Array = NDArray[np.floating]

_SQRT_PI = math.sqrt(math.pi)


def sigmoid(x: Array) -> Array:
    """Logistic function ``1 / (1 + exp(-x))`` computed without overflow.

    Notes
    -----
    ``exp(-x)`` overflows for x < -709 in float64. Writing
    σ(x) = 1/(1 + e^{-|x|}) for x ≥ 0 and e^{-|x|}/(1 + e^{-|x|}) for x < 0
    only ever exponentiates a non-positive number.
    """
    e = np.exp(-np.abs(x))  # in (0, 1]
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def softplus(x: Array) -> Array:
    """``log(1 + exp(x))`` computed as ``max(x, 0) + log1p(exp(-|x|))`` (no overflow)."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def log_softmax(z: Array, axis: int = -1) -> Array:
    """``log softmax(z)`` along ``axis`` via the log-sum-exp trick.

    Notes
    -----
    With m = max_j z_j, log pᵢ = (zᵢ − m) − log Σⱼ exp(zⱼ − m). Every
    exponent is ≤ 0 and at least one term of the sum is 1, so neither an
    overflow nor log(0) can occur, even for logits of ±1000.
    """
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z: Array, axis: int = -1) -> Array:
    """Numerically stable softmax ``exp(zᵢ) / Σⱼ exp(zⱼ)`` along ``axis``.

    Subtracting the row maximum first does not change the result (it
    cancels between numerator and denominator) and keeps every exponent ≤ 0.
    """
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _erf_erfc_abs(a: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """erf(a) and erfc(a) for a ≥ 0 (float64), each to about 1e-15."""
    erf_a = np.empty_like(a)
    erfc_a = np.empty_like(a)
    small = a < 2.0
    s = a[small]
    # erf(s) = 2/√π · exp(−s²) · Σₙ 2ⁿ s^{2n+1} / (1·3·5···(2n+1)): all terms positive, no cancellation
    two_s2 = 2.0 * s * s
    term = s.copy()
    total = s.copy()
    n = 0
    while term.size and (n % 4 or np.any(term > 1e-17 * total)):
        n += 1
        term *= two_s2
        term *= 1.0 / (2 * n + 1)
        total += term
    erf_a[small] = 2.0 / _SQRT_PI * np.exp(-s * s) * total
    erfc_a[small] = 1.0 - erf_a[small]
    # erfc(b) = exp(−b²)/√π · 1/(b + (1/2)/(b + 1/(b + (3/2)/(b + ...)))), evaluated from the tail
    b = np.minimum(a[~small], 27.5)  # erfc(27.5) underflows to 0
    fraction = b.copy()
    for k in range(40, 0, -1):
        np.divide(0.5 * k, fraction, out=fraction)
        fraction += b
    erfc_a[~small] = np.exp(-b * b) / (_SQRT_PI * fraction)
    erf_a[~small] = 1.0 - erfc_a[~small]
    return erf_a, erfc_a


def erf(x: Any) -> NDArray[np.float64]:
    """The error function ``erf(x) = 2/√π ∫₀ˣ exp(−t²) dt``, vectorised (float64).

    NumPy has no erf, and the course avoids a SciPy dependency for one
    function, so it is computed here. The absolute error is below 2e-15
    everywhere (the tests compare against :func:`math.erf`).

    Notes
    -----
    For |x| < 2 the series (Abramowitz & Stegun 7.1.6)

    .. math:: \\operatorname{erf}(x) = \\frac{2}{\\sqrt\\pi} e^{-x^2}
              \\sum_{n\\ge 0} \\frac{2^n x^{2n+1}}{1\\cdot 3\\cdots(2n+1)}

    has only positive terms, so no accuracy is lost to cancellation; it is
    summed until the terms stop mattering (at most 36 of them). For
    |x| ≥ 2, erfc has the continued fraction (A&S 7.1.14)
    :math:`\\sqrt\\pi\\, e^{x^2} \\operatorname{erfc}(x) = 1/(x + \\tfrac{1/2}{x +
    \\tfrac{1}{x + \\tfrac{3/2}{x + \\cdots}}})`, which 40 levels evaluate to
    full precision there. erf is odd: erf(−x) = −erf(x).
    """
    x = np.asarray(x, dtype=np.float64)
    erf_a, _ = _erf_erfc_abs(np.abs(x))
    return np.copysign(erf_a, x)


def erfc(x: Any) -> NDArray[np.float64]:
    """Complementary error function ``1 − erf(x)`` with small *relative* error in the tail.

    ``1 − erf(x)`` would lose every digit for large x (erf(6) rounds to 1);
    the continued fraction used by :func:`erf` gives erfc directly.
    """
    x = np.asarray(x, dtype=np.float64)
    erf_a, erfc_a = _erf_erfc_abs(np.abs(x))
    return np.where(x >= 0, erfc_a, 1.0 + erf_a)
