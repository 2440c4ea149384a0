"""Activation functions: the non-linearities between linear layers.

Every activation is a :class:`~mlcourse.module.Module` with a forward pass
and a hand-derived backward pass. The element-wise ones derive from
:class:`Activation` and also offer ``derivative(x)``, the derivative f′(x)
evaluated on an array, so that a chapter can plot f and f′ side by side:

>>> import numpy as np
>>> from mlcourse.activations import activation_and_derivative
>>> x = np.linspace(-3, 3, 7)
>>> f, df = activation_and_derivative("tanh", x)

:data:`ACTIVATIONS` maps a short name to each element-wise class;
:func:`activation_and_derivative` accepts those names plus the two plain
functions of the chapter, ``"binary_step"`` and ``"arctan"``. Softmax is
not element-wise (each output depends on the whole row), so it is a module
with a Jacobian (:meth:`Softmax.jacobian`) instead of a derivative curve.

Every activation keeps the dtype of its input: float32 in, float32 out.

Conventions at kinks follow PyTorch: ReLU′(0) = 0, LeakyReLU′(0) = slope,
ELU′(0) = α.

Layout: :mod:`~mlcourse.activations.base` (the base class),
:mod:`~mlcourse.activations.saturating`, :mod:`~mlcourse.activations.rectifiers`,
:mod:`~mlcourse.activations.softmax_layer`; the overflow-safe functions they use
(``sigmoid``, ``softmax``, ``erf``, ...) are in :mod:`mlcourse.functional` and
importable from here too.

See Also
--------
Chapter 3 (activation functions) derives each formula and derivative;
chapter 4 derives the softmax Jacobian.
"""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

from ..functional import erf, erfc, log_softmax, sigmoid, softmax, softplus
from ..validation import as_float_array
from .base import Activation
from .rectifiers import ELU, GELU, SELU, LeakyReLU, PReLU, ReLU, RReLU, Softplus
from .saturating import (
    Identity,
    Sigmoid,
    Softsign,
    Tanh,
    arctan,
    arctan_grad,
    binary_step,
    binary_step_grad,
)
from .softmax_layer import Softmax

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "GELU",
    "SELU",
    "Activation",
    "Identity",
    "LeakyReLU",
    "PReLU",
    "RReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Softsign",
    "Tanh",
    "activation_and_derivative",
    "activation_names",
    "arctan",
    "arctan_grad",
    "binary_step",
    "binary_step_grad",
    "erf",
    "erfc",
    "log_softmax",
    "sigmoid",
    "softmax",
    "softplus",
]


ACTIVATIONS: dict[str, type[Activation]] = {
    "identity": Identity,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softsign": Softsign,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "rrelu": RReLU,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "softplus": Softplus,
}
"""Short name -> element-wise activation class, in the order chapter 3 meets them."""

_PLAIN_FUNCTIONS = {
    "binary_step": (binary_step, binary_step_grad),
    "arctan": (arctan, arctan_grad),
}


def activation_names() -> list[str]:
    """Every name :func:`activation_and_derivative` accepts (plain functions first)."""
    return list(_PLAIN_FUNCTIONS) + list(ACTIVATIONS)


def activation_and_derivative(name: str, x: Any, **hyper: Any) -> tuple[NDArray, NDArray]:
    """Evaluate an activation f and its derivative f′ on ``x`` (for plotting).

    Parameters
    ----------
    name : str
        One of :func:`activation_names`, e.g. ``"relu"``, ``"gelu"``, ``"arctan"``.
    x : array_like of floats
    **hyper
        Hyper-parameters for the class, e.g. ``negative_slope=0.1`` for
        ``"leaky_relu"`` or ``approximate="tanh"`` for ``"gelu"``.

    Returns
    -------
    f, df : ndarrays of the shape of ``x``
        Random activations (RReLU) are evaluated in evaluation mode, with
        their mean slope.
    """
    x = as_float_array(x, "activation_and_derivative", "x")
    if name in _PLAIN_FUNCTIONS:
        if hyper:
            raise TypeError(
                f"activation_and_derivative: {name!r} takes no hyper-parameters, got {sorted(hyper)}"
            )
        f, df = _PLAIN_FUNCTIONS[name]
        return f(x), df(x)
    if name not in ACTIVATIONS:
        raise ValueError(
            f"activation_and_derivative: unknown activation {name!r}; "
            f"expected one of {activation_names()}"
        )
    act = ACTIVATIONS[name](**hyper)
    act.eval()
    return act._f(x).astype(x.dtype, copy=False), act.derivative(x)
