"""Fan-in, fan-out and the gain of each non-linearity: the quantities every scaled initializer needs.

See Also
--------
Chapter 9 (initialization).
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ['NONLINEARITIES', 'calculate_gain', 'compute_fans']


_GAINS_WITHOUT_PARAM = {
    "linear": 1.0,
    "identity": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}
NONLINEARITIES = tuple(sorted([*_GAINS_WITHOUT_PARAM, "leaky_relu"]))
_MODES = ("fan_in", "fan_out")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Return the recommended gain for an activation function (PyTorch's table).

    Parameters
    ----------
    nonlinearity : str
        One of ``"linear"``, ``"identity"``, ``"sigmoid"``, ``"tanh"``,
        ``"relu"``, ``"leaky_relu"``, ``"selu"``.
    param : float, optional
        The negative slope of ``"leaky_relu"`` (0.01 when omitted, as in
        PyTorch); ignored by the other activations.

    Returns
    -------
    float
        The factor by which an initializer's standard deviation is multiplied.

    Raises
    ------
    ValueError
        For an unknown activation name or a slope that is not a number.

    Notes
    -----
    The gain compensates for how much an activation shrinks the second moment
    of its input: ``std(W) = gain / sqrt(fan)``.

    ========================  ==================================
    nonlinearity              gain
    ========================  ==================================
    linear, identity, sigmoid 1
    tanh                      5/3
    relu                      sqrt(2)
    leaky_relu (slope a)      sqrt(2 / (1 + a²))
    selu                      3/4
    ========================  ==================================

    For ReLU, half of a symmetric pre-activation is zeroed, so
    ``E[relu(y)²] = Var(y) / 2``; the gain ``sqrt(2)`` restores the factor 2.
    A leaky ReLU with slope ``a`` keeps ``(1 + a²) / 2`` of it. The SELU value
    3/4 is PyTorch's choice for self-normalising networks (the SELU paper
    itself uses LeCun initialisation, i.e. gain 1).

    Examples
    --------
    >>> round(calculate_gain("relu"), 6)
    1.414214
    >>> calculate_gain("leaky_relu", 0.0) == calculate_gain("relu")
    True
    """
    if not isinstance(nonlinearity, str):
        raise TypeError(
            f"calculate_gain: nonlinearity must be a string, one of {list(NONLINEARITIES)}; "
            f"got {type(nonlinearity).__name__}"
        )
    name = nonlinearity.strip().lower()
    if name in _GAINS_WITHOUT_PARAM:
        return _GAINS_WITHOUT_PARAM[name]
    if name == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, Real) and not isinstance(param, bool) and math.isfinite(param):
            slope = float(param)
        else:
            raise ValueError(
                f"calculate_gain: the negative slope of leaky_relu must be a finite number, "
                f"got {param!r}"
            )
        return math.sqrt(2.0 / (1.0 + slope**2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; "
        f"expected one of {list(NONLINEARITIES)}"
    )


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight of the given shape.

    Parameters
    ----------
    shape : tuple of int
        At least two dimensions. For the course's ``Linear`` layer the weight
        is ``(C_in, C_out)``; a weight with more dimensions is read as
        ``(C_in, C_out, k1, k2, ...)``, i.e. one ``(C_in, C_out)`` matrix per
        position of a kernel of size ``k1 * k2 * ...``.

    Returns
    -------
    fan_in : int
        ``shape[0] * receptive_field``, the number of inputs summed into one
        output unit.
    fan_out : int
        ``shape[1] * receptive_field``, the number of output units each input
        feeds.

    Raises
    ------
    ValueError
        For fewer than two dimensions (a bias has no fan-in and fan-out; the
        course's biases are ``(1, C_out)`` and are usually set to zero).

    Notes
    -----
    ``receptive_field = prod(shape[2:])`` (1 for a matrix). PyTorch's
    ``torch.nn.init`` uses the transposed layout ``(C_out, C_in, *kernel)`` and
    so reads ``fan_in`` from ``shape[1]``: a weight copied from PyTorch must be
    transposed (``W_torch.T``) before these fans apply to it.

    Examples
    --------
    >>> compute_fans((784, 256))
    (784, 256)
    >>> compute_fans((3, 16, 5, 5))
    (75, 400)
    """
    try:
        dims = tuple(int(d) for d in shape)
    except TypeError as exc:
        raise TypeError(f"compute_fans: shape must be a tuple of ints, got {shape!r}") from exc
    if len(dims) < 2:
        raise ValueError(
            f"compute_fans: fan_in and fan_out need a weight with at least 2 dimensions "
            f"(C_in, C_out, ...), got shape {dims}"
        )
    if any(d < 0 for d in dims):
        raise ValueError(f"compute_fans: shape has a negative dimension: {dims}")
    receptive_field = math.prod(dims[2:])
    return dims[0] * receptive_field, dims[1] * receptive_field


def _fan(shape: tuple[int, ...], mode: str, who: str) -> int:
    if mode not in _MODES:
        raise ValueError(f"{who}: mode must be one of {list(_MODES)}, got {mode!r}")
    fan_in, fan_out = compute_fans(shape)
    return fan_in if mode == "fan_in" else fan_out
