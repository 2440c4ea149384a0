"""Rectifiers: ReLU and its variants (leaky, parametric, randomized, ELU, SELU, GELU, softplus).

Conventions at kinks follow PyTorch: ReLU′(0) = 0, LeakyReLU′(0) = slope,
ELU′(0) = α.

See Also
--------
Chapter 3 (activation functions).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..functional import erfc, sigmoid, softplus
from ..module import Parameter
from ..validation import as_float_array, as_generator, check_grad_output, check_number
from .base import Activation, Array

__all__ = ["ELU", "GELU", "LeakyReLU", "PReLU", "RReLU", "ReLU", "SELU", "Softplus"]

_SQRT_2 = math.sqrt(2.0)



class ReLU(Activation):
    """Rectified linear unit ``f(x) = max(0, x)``.

    Notes
    -----
    f′(x) = 1 for x > 0 and 0 for x ≤ 0 (0 at the kink, as in PyTorch).
    Range [0, ∞). Never saturates for x > 0; for x < 0 the gradient is
    exactly 0, so a unit whose input is negative for every example learns
    nothing any more (a "dead" ReLU).
    """

    def _f(self, x: Array) -> Array:
        return np.maximum(x, 0)

    def _df(self, x: Array, y: Array) -> Array:
        return (x > 0).astype(x.dtype)


class LeakyReLU(Activation):
    """Leaky ReLU ``f(x) = x`` for x > 0 and ``a·x`` otherwise.

    Parameters
    ----------
    negative_slope : float, default 0.01
        The slope a for negative inputs, a ≥ 0.

    Notes
    -----
    f′(x) = 1 for x > 0 and a for x ≤ 0. Range (−∞, ∞) for a > 0.
    Does not saturate: the small slope keeps units from dying.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_number(negative_slope, "LeakyReLU", "negative_slope", low=0.0)

    def _f(self, x: Array) -> Array:
        return np.where(x > 0, x, self.negative_slope * x)

    def _df(self, x: Array, y: Array) -> Array:
        return np.where(x > 0, 1.0, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope:g}"


class PReLU(Activation):
    """Parametric ReLU: a leaky ReLU whose negative slope ``a`` is learned (He et al. 2015).

    Parameters
    ----------
    num_parameters : int, default 1
        1 for one slope shared by all units, or C for one slope per feature
        (the feature axis is axis 1 of the input, as in PyTorch).
    init : float, default 0.25
        Initial slope.
    dtype : numpy dtype, default float32

    Attributes
    ----------
    weight : Parameter of shape (num_parameters,)
        The slopes a.

    Notes
    -----
    f(x) = x for x > 0 and a·x otherwise. The derivatives:

    .. math:: \\frac{\\partial f}{\\partial x} = \\begin{cases}1 & x > 0\\\\ a & x \\le 0\\end{cases}
              \\qquad
              \\frac{\\partial f}{\\partial a} = \\begin{cases}0 & x > 0\\\\ x & x \\le 0\\end{cases}

    so dL/da sums g·x over every negative entry that shares the slope (the
    whole input for one slope, each column for one slope per feature).
    Range (−∞, ∞) for a > 0; does not saturate.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: Any = np.float32) -> None:
        super().__init__()
        if (not isinstance(num_parameters, (int, np.integer)) or isinstance(num_parameters, bool)
                or num_parameters < 1):
            raise ValueError(f"PReLU: num_parameters must be a positive integer, got {num_parameters!r}")
        init = check_number(init, "PReLU", "init")
        self.num_parameters = int(num_parameters)
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def _slope(self, x: Array) -> Array:
        """The slopes broadcast against ``x``: shape (1, C, 1, ...) or a scalar array."""
        a = self.weight.data.astype(x.dtype, copy=False)
        if self.num_parameters == 1:
            return a.reshape(())
        if x.ndim < 2 or x.shape[1] != self.num_parameters:
            raise ValueError(
                f"PReLU(num_parameters={self.num_parameters}) expected an input with "
                f"{self.num_parameters} features on axis 1, got shape {x.shape}"
            )
        return a.reshape((1, -1) + (1,) * (x.ndim - 2))

    def _f(self, x: Array) -> Array:
        return np.where(x > 0, x, self._slope(x) * x)

    def _df(self, x: Array, y: Array) -> Array:
        return np.where(x > 0, 1.0, self._slope(x))

    def backward(self, grad_output: NDArray) -> Array:
        """Accumulate dL/da into ``weight.grad``; return dL/dx."""
        self._require_cache(self._cache)
        x, y = self._cache
        grad_output = check_grad_output(grad_output, y.shape, "PReLU")
        per_entry = grad_output * np.where(x > 0, 0.0, x)  # like x: g · ∂f/∂a
        if self.num_parameters == 1:
            self.weight.grad += per_entry.sum()  # (1,)
        else:
            axes = (0,) + tuple(range(2, x.ndim))
            self.weight.grad += per_entry.sum(axis=axes)  # (C,)
        return (grad_output * self._df(x, y)).astype(x.dtype, copy=False)  # like x

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Activation):
    """Randomised leaky ReLU (Xu et al. 2015): a random negative slope while training.

    Parameters
    ----------
    lower, upper : float, default 1/8 and 1/3
        Range of the slope, 0 ≤ lower ≤ upper.
    rng : numpy.random.Generator, optional
        Source of the slopes; pass a seeded one for reproducible training.

    Notes
    -----
    In training mode each entry gets its own slope a ~ U(lower, upper),
    drawn afresh at every forward pass: f(x) = x for x > 0 and a·x for
    x ≤ 0, and f′(x) is 1 or that same a (the backward pass reuses the
    slopes drawn by the forward pass, kept in the cache). In evaluation mode
    the slope is fixed to its mean (lower + upper)/2, so the network is
    deterministic. Range (−∞, ∞); does not saturate. :meth:`derivative`
    (for plots) uses the evaluation slope. The randomness acts as a
    regulariser, in the spirit of dropout.
    """

    def __init__(self, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0,
                 rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        lower = check_number(lower, "RReLU", "lower", low=0.0)
        upper = check_number(upper, "RReLU", "upper", low=0.0)
        if lower > upper:
            raise ValueError(f"RReLU: lower must be <= upper, got lower={lower:g} > upper={upper:g}")
        self.lower, self.upper = lower, upper
        self.rng = as_generator(rng, "RReLU")
        self._slopes: Array | None = None

    @property
    def eval_slope(self) -> float:
        """The slope used in evaluation mode, (lower + upper) / 2."""
        return 0.5 * (self.lower + self.upper)

    def _f(self, x: Array) -> Array:
        return np.where(x > 0, x, self.eval_slope * x)

    def _df(self, x: Array, y: Array) -> Array:
        return np.where(x > 0, 1.0, self.eval_slope)

    def forward(self, x: NDArray) -> Array:
        """Leaky ReLU with a random slope per entry (training) or the mean slope (evaluation)."""
        if not self.training:
            self._slopes = None
            return super().forward(x)
        x = as_float_array(x, "RReLU")
        slopes = self.rng.uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)  # like x
        y = np.where(x > 0, x, slopes * x)  # like x
        self._slopes = slopes
        self._cache = (x, y)
        return y

    def backward(self, grad_output: NDArray) -> Array:
        """dL/dx = g where x > 0 and g·a where x ≤ 0, with the slopes a of the last forward."""
        if self._slopes is None:
            return super().backward(grad_output)
        x, y = self._cache  # set together with _slopes
        grad_output = check_grad_output(grad_output, y.shape, "RReLU")
        return (grad_output * np.where(x > 0, 1.0, self._slopes)).astype(x.dtype, copy=False)

    def extra_repr(self) -> str:
        return f"lower={self.lower:g}, upper={self.upper:g}"


class ELU(Activation):
    """Exponential linear unit (Clevert et al. 2016): ``x`` for x > 0, ``α(eˣ − 1)`` otherwise.

    Parameters
    ----------
    alpha : float, default 1.0
        The value −α that f approaches as x → −∞ (α > 0).

    Notes
    -----
    f′(x) = 1 for x > 0 and α eˣ = f(x) + α for x ≤ 0. Range (−α, ∞).
    Saturates for large negative x (to −α, gradient → 0), which makes the
    unit robust to noise there; smooth at 0 when α = 1; mean activations
    closer to zero than ReLU's.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_number(alpha, "ELU", "alpha", low=0.0, low_open=True)

    def _f(self, x: Array) -> Array:
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def _df(self, x: Array, y: Array) -> Array:
        return np.where(x > 0, 1.0, self.alpha * np.exp(np.minimum(x, 0)))

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}"


class SELU(ELU):
    """Scaled ELU (Klambauer et al. 2017, "Self-Normalizing Neural Networks").

    Notes
    -----
    f(x) = λ x for x > 0 and λ α (eˣ − 1) otherwise, with the constants
    derived in the paper (the values PyTorch uses):
    λ = 1.0507009873554804934193349852946 and
    α = 1.6732632423543772848170429916717.

    f′(x) = λ for x > 0 and λ α eˣ for x ≤ 0. Range (−λα, ∞) ≈ (−1.758, ∞).
    With LeCun-normal initialisation (Var W = 1/fan_in) these constants make
    zero mean and unit variance a fixed point of the layer-to-layer map, so
    activations stay normalised through depth without batch normalisation.
    Saturates for large negative x.
    """

    scale = 1.0507009873554804934193349852946
    selu_alpha = 1.6732632423543772848170429916717

    def __init__(self) -> None:
        super().__init__(alpha=self.selu_alpha)

    def _f(self, x: Array) -> Array:
        return self.scale * super()._f(x)

    def _df(self, x: Array, y: Array) -> Array:
        return self.scale * super()._df(x, y)

    def extra_repr(self) -> str:
        return ""


class GELU(Activation):
    """Gaussian error linear unit (Hendrycks & Gimpel 2016): ``x · Φ(x)``.

    Parameters
    ----------
    approximate : {"none", "tanh"}, default "none"
        "none" uses the exact normal CDF Φ(x) = ½(1 + erf(x/√2)); "tanh" the
        approximation Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715 x³))) from the
        same paper, as PyTorch does.

    Notes
    -----
    f′(x) = Φ(x) + x φ(x), with φ the standard normal density
    φ(x) = exp(−x²/2)/√(2π). Range ≈ [−0.17, ∞): f has a minimum of about
    −0.17 near x ≈ −0.75, so unlike ReLU it is not monotonic and lets small
    negative values through. Saturates (to 0) for large negative x.

    For the tanh form, with u = √(2/π)(x + 0.044715 x³) and t = tanh(u):
    f′(x) = ½(1 + t) + ½ x (1 − t²) √(2/π)(1 + 3·0.044715 x²).
    Φ is computed as ½ erfc(−x/√2) (see :func:`erfc`), accurate in the tail.
    """

    _K = math.sqrt(2.0 / math.pi)
    _C = 0.044715

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def _tanh_u(self, x: Array) -> Array:
        xc = np.clip(x, -100, 100)  # tanh is ±1 exactly well before; avoids overflow of x³
        return np.tanh(self._K * xc * (1 + self._C * xc * xc))

    def _f(self, x: Array) -> Array:
        if self.approximate == "tanh":
            return 0.5 * x * (1 + self._tanh_u(x))
        return x * (0.5 * erfc(-x / _SQRT_2))

    def _df(self, x: Array, y: Array) -> Array:
        if self.approximate == "tanh":
            t = self._tanh_u(x)
            xc = np.clip(x, -100, 100)
            return 0.5 * (1 + t) + 0.5 * xc * (1 - t * t) * self._K * (1 + 3 * self._C * xc * xc)
        x64 = x.astype(np.float64)
        pdf = np.exp(-0.5 * x64 * x64) / math.sqrt(2.0 * math.pi)
        return 0.5 * erfc(-x64 / _SQRT_2) + x64 * pdf

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Activation):
    """Softplus ``f(x) = (1/β) log(1 + e^{βx})``, a smooth ReLU.

    Parameters
    ----------
    beta : float, default 1
        Sharpness (β > 0); as β grows, softplus approaches ReLU.
    threshold : float, default 20
        Where β x > threshold the function is replaced by x (the two agree to
        within e^{−20} there), as in PyTorch.

    Notes
    -----
    f′(x) = σ(βx), the logistic sigmoid (1 above the threshold). Range
    (0, ∞). Saturates for large negative x (f and f′ → 0).
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = check_number(beta, "Softplus", "beta", low=0.0, low_open=True)
        self.threshold = check_number(threshold, "Softplus", "threshold", low=0.0, low_open=True)

    def _f(self, x: Array) -> Array:
        bx = self.beta * x
        return np.where(bx > self.threshold, x, softplus(bx) / self.beta)

    def _df(self, x: Array, y: Array) -> Array:
        bx = self.beta * x
        return np.where(bx > self.threshold, 1.0, sigmoid(bx))

    def extra_repr(self) -> str:
        return f"beta={self.beta:g}, threshold={self.threshold:g}"
