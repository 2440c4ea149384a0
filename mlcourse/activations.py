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

See Also
--------
Chapter 3 (activation functions) derives each formula and derivative;
chapter 4 derives the softmax Jacobian.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .validation import as_float_array, as_generator, check_grad_output, check_number
from .module import Module, Parameter

__all__ = [
    "Activation", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "RReLU",
    "ELU", "SELU", "GELU", "Softplus", "Softsign", "Softmax",
    "binary_step", "binary_step_grad", "arctan", "arctan_grad",
    "sigmoid", "softmax", "log_softmax", "softplus", "erf", "erfc",
    "ACTIVATIONS", "activation_names", "activation_and_derivative",
]

Array = NDArray[np.floating]

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2 = math.sqrt(2.0)



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
            raise ValueError(f"Softmax(axis={self.axis}) needs an input with more axes, got shape {z.shape}")
        p = softmax(z, self.axis)  # like z
        self._cache = p
        return p

    def backward(self, grad_output: NDArray) -> Array:
        """Jacobian-vector product dL/dz = p ⊙ (g − Σᵢ gᵢ pᵢ) along ``axis``."""
        self._require_cache(self._cache)
        p = self._cache
        g = check_grad_output(grad_output, p.shape, "Softmax")
        return (p * (g - (g * p).sum(axis=self.axis, keepdims=True))).astype(p.dtype, copy=False)

    @staticmethod
    def jacobian(z: Any) -> NDArray:
        """The C×C Jacobian ``diag(p) − p pᵀ`` of softmax at a single score vector ``z`` of shape (C,)."""
        z = as_float_array(z, "Softmax.jacobian")
        if z.ndim != 1:
            raise ValueError(f"Softmax.jacobian expects one score vector of shape (C,), got shape {z.shape}")
        p = softmax(z)
        return np.diag(p) - np.outer(p, p)  # (C, C)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


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
            raise TypeError(f"activation_and_derivative: {name!r} takes no hyper-parameters, got {sorted(hyper)}")
        f, df = _PLAIN_FUNCTIONS[name]
        return f(x), df(x)
    if name not in ACTIVATIONS:
        raise ValueError(f"activation_and_derivative: unknown activation {name!r}; "
                         f"expected one of {activation_names()}")
    act = ACTIVATIONS[name](**hyper).eval()
    return act._f(x).astype(x.dtype, copy=False), act.derivative(x)
