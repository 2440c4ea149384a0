"""Weight initializers: constant, random, LeCun, Xavier/Glorot and Kaiming/He.

Every initializer fills an array *in place* (hence the trailing underscore,
as in PyTorch's ``torch.nn.init``) and returns what it was given. It accepts a
NumPy array or a :class:`~mlcourse.Parameter` (whose ``.data`` it fills) and
draws random numbers only from the ``rng`` it is handed, a
``numpy.random.Generator`` or an integer seed; without one, a fresh
``np.random.default_rng()`` (OS entropy) is used, so pass a seeded generator
(or a seed) for reproducible results.
The same seed gives the same values for the same dtype (float32 arrays are
drawn directly in float32, which is faster and gives different numbers from
a float64 draw).

The fan-in and fan-out follow the course's weight layout ``W: (C_in, C_out)``
in ``Y = X W + b``: ``fan_in = shape[0]`` and ``fan_out = shape[1]``. PyTorch
stores ``(C_out, C_in)`` and reads them the other way round; see
:func:`compute_fans`.

Each scheme picks the variance of the weights so that the variance of the
signal (forward) or of the gradient (backward) stays the same from layer to
layer:

=================  ==========================  ==============================
scheme             Var(W)                      uniform bound ``a`` (U(-a, a))
=================  ==========================  ==============================
LeCun (1998)       1 / fan_in                  sqrt(3 / fan_in)
Xavier (2010)      2 / (fan_in + fan_out)      sqrt(6 / (fan_in + fan_out))
Kaiming/He (2015)  gain² / fan  (2/fan, ReLU)  gain · sqrt(3 / fan)
=================  ==========================  ==============================

A uniform distribution on ``(-a, a)`` has variance ``a² / 3``, which is how
each bound follows from its variance.

See Also
--------
Chapter 9 (initialization) derives each formula and checks it layer by layer.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from .module import Parameter
from .validation import as_generator, check_number

__all__ = [
    "calculate_gain",
    "compute_fans",
    "zeros_",
    "ones_",
    "constant_",
    "normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "lecun_normal_",
    "lecun_uniform_",
    "kaiming_normal_",
    "kaiming_uniform_",
]

Tensor = TypeVar("Tensor", NDArray[np.floating], Parameter)

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




def _fan(shape: tuple[int, ...], mode: str, who: str) -> int:
    if mode not in _MODES:
        raise ValueError(f"{who}: mode must be one of {list(_MODES)}, got {mode!r}")
    fan_in, fan_out = compute_fans(shape)
    return fan_in if mode == "fan_in" else fan_out


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
