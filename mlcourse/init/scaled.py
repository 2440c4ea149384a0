"""Scaled initializers: LeCun, Xavier/Glorot and Kaiming/He, each from the variance it preserves.

See Also
--------
Chapter 9 (initialization).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..validation import check_number
from .fans import _fan, calculate_gain, compute_fans
from .fill import Tensor, _fill_normal, _fill_uniform, _target

__all__ = ['kaiming_normal_', 'kaiming_uniform_', 'lecun_normal_', 'lecun_uniform_', 'xavier_normal_', 'xavier_uniform_']


def lecun_normal_(w: Tensor, rng: np.random.Generator | int | None = None) -> Tensor:
    """LeCun normal initialisation: ``W ~ N(0, 1 / fan_in)``.

    Parameters
    ----------
    w : ndarray or Parameter of shape (C_in, C_out)
        Filled in place.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    The object passed as ``w``.

    Notes
    -----
    LeCun, Bottou, Orr and Müller, "Efficient BackProp" (1998), section 4.6:
    with inputs of unit variance, a unit summing ``fan_in`` of them through
    weights of variance ``1 / fan_in`` again has unit variance,

    .. math:: \\operatorname{Var}(y) = \\text{fan\\_in}\\,\\operatorname{Var}(W)\\,
              \\operatorname{Var}(x) = 1 .

    It is the initialisation SELU networks are designed for. (Some libraries
    use a truncated normal here; this one draws from the plain normal.)
    """
    std = 1.0 / math.sqrt(max(_fan(_target(w, "lecun_normal_").shape, "fan_in", "lecun_normal_"), 1))
    return _fill_normal(w, std, rng, "lecun_normal_")


def lecun_uniform_(w: Tensor, rng: np.random.Generator | int | None = None) -> Tensor:
    """LeCun uniform initialisation: ``W ~ U(-a, a)`` with ``a = sqrt(3 / fan_in)``.

    Parameters
    ----------
    w : ndarray or Parameter of shape (C_in, C_out)
        Filled in place.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    The object passed as ``w``.

    Notes
    -----
    Same variance ``1 / fan_in`` as :func:`lecun_normal_` (LeCun et al. 1998,
    "Efficient BackProp"), since ``Var(U(-a, a)) = a² / 3``.
    """
    bound = math.sqrt(3.0 / max(_fan(_target(w, "lecun_uniform_").shape, "fan_in", "lecun_uniform_"), 1))
    return _fill_uniform(w, -bound, bound, rng, "lecun_uniform_")


def xavier_normal_(w: Tensor, gain: float = 1.0, rng: np.random.Generator | int | None = None) -> Tensor:
    """Xavier/Glorot normal initialisation: ``W ~ N(0, gain² · 2 / (fan_in + fan_out))``.

    Parameters
    ----------
    w : ndarray or Parameter of shape (C_in, C_out)
        Filled in place.
    gain : float, default 1
        See :func:`calculate_gain` (e.g. 5/3 for tanh).
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    The object passed as ``w``.

    Notes
    -----
    Glorot and Bengio, "Understanding the difficulty of training deep
    feedforward neural networks" (AISTATS 2010). Keeping the forward variance
    asks for ``fan_in Var(W) = 1``, keeping the backward variance for
    ``fan_out Var(W) = 1``; the compromise is the harmonic-mean-like choice

    .. math:: \\operatorname{Var}(W) = \\frac{2}{\\text{fan\\_in} + \\text{fan\\_out}}
              = \\frac{1}{\\text{fan\\_avg}},\\qquad
              \\text{fan\\_avg} = \\frac{\\text{fan\\_in} + \\text{fan\\_out}}{2}.
    """
    gain = check_number(gain, "xavier_normal_", "gain", low=0.0)
    fan_in, fan_out = compute_fans(_target(w, "xavier_normal_").shape)
    std = gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))
    return _fill_normal(w, std, rng, "xavier_normal_")


def xavier_uniform_(w: Tensor, gain: float = 1.0, rng: np.random.Generator | int | None = None) -> Tensor:
    """Xavier/Glorot uniform initialisation: ``W ~ U(-a, a)``, ``a = gain·sqrt(6/(fan_in + fan_out))``.

    Parameters
    ----------
    w : ndarray or Parameter of shape (C_in, C_out)
        Filled in place.
    gain : float, default 1
        See :func:`calculate_gain`.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    The object passed as ``w``.

    Notes
    -----
    Glorot and Bengio (2010), equation 16: the variance ``2 / (fan_in +
    fan_out)`` of :func:`xavier_normal_` with a uniform distribution, whose
    variance is ``a² / 3``. The lectures write the same bound with
    ``fan_avg = (fan_in + fan_out) / 2``:

    .. math:: a = \\sqrt{\\frac{3}{\\text{fan\\_avg}}}
              = \\sqrt{\\frac{6}{\\text{fan\\_in} + \\text{fan\\_out}}} .
    """
    gain = check_number(gain, "xavier_uniform_", "gain", low=0.0)
    fan_in, fan_out = compute_fans(_target(w, "xavier_uniform_").shape)
    bound = gain * math.sqrt(6.0 / max(fan_in + fan_out, 1))
    return _fill_uniform(w, -bound, bound, rng, "xavier_uniform_")


def _kaiming_std(w: Any, a: float, mode: str, nonlinearity: str, who: str) -> float:
    a = check_number(a, who, "a")
    fan = _fan(_target(w, who).shape, mode, who)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(max(fan, 1))


def kaiming_normal_(w: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    rng: np.random.Generator | int | None = None) -> Tensor:
    """Kaiming/He normal initialisation: ``W ~ N(0, gain² / fan)``, ``2 / fan_in`` for ReLU.

    Parameters
    ----------
    w : ndarray or Parameter of shape (C_in, C_out)
        Filled in place.
    a : float, default 0
        Negative slope of the leaky ReLU that follows the layer (only used
        with ``nonlinearity="leaky_relu"``).
    mode : {"fan_in", "fan_out"}, default "fan_in"
        ``"fan_in"`` keeps the variance of the activations in the forward
        pass, ``"fan_out"`` that of the gradients in the backward pass.
    nonlinearity : str, default "leaky_relu"
        Passed to :func:`calculate_gain` with ``a``. The defaults (leaky ReLU
        with slope 0) give the ReLU gain ``sqrt(2)``, so
        ``Linear(..., init="kaiming_normal")`` is He initialisation for ReLU.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    The object passed as ``w``.

    Notes
    -----
    He, Zhang, Ren and Sun, "Delving Deep into Rectifiers: Surpassing
    Human-Level Performance on ImageNet Classification" (ICCV 2015). For
    ``y = x W`` with ``n = fan_in`` independent terms,
    ``Var(y_l) = n Var(W_l) E[x_l²]``; after a ReLU of a symmetric
    pre-activation, ``E[x_l²] = Var(y_{l-1}) / 2``. The variance stays
    constant through depth when ``n Var(W) / 2 = 1``:

    .. math:: \\operatorname{Var}(W) = \\frac{2}{\\text{fan\\_in}},\\qquad
              \\operatorname{std}(W) = \\frac{\\text{gain}}{\\sqrt{\\text{fan}}} .
    """
    std = _kaiming_std(w, a, mode, nonlinearity, "kaiming_normal_")
    return _fill_normal(w, std, rng, "kaiming_normal_")


def kaiming_uniform_(w: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     rng: np.random.Generator | int | None = None) -> Tensor:
    """Kaiming/He uniform initialisation: ``W ~ U(-b, b)``, ``b = gain · sqrt(3 / fan)``.

    Parameters
    ----------
    w : ndarray or Parameter of shape (C_in, C_out)
        Filled in place.
    a : float, default 0
        Negative slope of a following leaky ReLU.
    mode : {"fan_in", "fan_out"}, default "fan_in"
    nonlinearity : str, default "leaky_relu"
        See :func:`kaiming_normal_`.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    The object passed as ``w``.

    Notes
    -----
    He et al. (2015), "Delving Deep into Rectifiers": the variance
    ``gain² / fan`` of :func:`kaiming_normal_` with a uniform distribution
    (variance ``b² / 3``), so ``b = sqrt(6 / fan_in)`` for ReLU.
    """
    bound = math.sqrt(3.0) * _kaiming_std(w, a, mode, nonlinearity, "kaiming_uniform_")
    return _fill_uniform(w, -bound, bound, rng, "kaiming_uniform_")
