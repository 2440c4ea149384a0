"""Gradient checking: compare a hand-derived backward pass with central differences.

A backward pass is the easiest place for a silent bug: a missing
transpose, a forgotten sum over the batch, a factor of 2. Finite
differences need nothing but the forward pass, so they make an independent
check of every derivation in the course.

Reading the relative error (float64, central differences, h = 1e-5):

* about 1e-7 or smaller: the gradient is right;
* 1e-5 to 1e-4: suspicious, unless the function has kinks (ReLU at 0) near
  the checked point;
* 1e-2 or larger: the gradient is wrong.

See Also
--------
Chapter 5 (backpropagation) derives central differences and the relative
error.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .losses import Loss
from .module import Module

__all__ = [
    "GradientCheckError",
    "GradientComparison",
    "GradientReport",
    "numerical_gradient",
    "numerical_gradient_array",
    "rel_error",
    "check_module_gradients",
    "check_loss_gradients",
]

Array = NDArray[np.floating]


class GradientCheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the numerical one."""


def _check_float_input(x: Any, who: str) -> None:
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        got = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(
            f"{who}: x must be a floating-point ndarray (it is perturbed in place), got {got}"
        )
    if x.dtype != np.float64:
        warnings.warn(
            f"{who}: x has dtype {x.dtype}; central differences with h=1e-5 are only accurate in "
            "float64 (use x.astype(np.float64))",
            UserWarning,
            stacklevel=3,
        )


def _entries(x: NDArray) -> Iterator[tuple[int, ...]]:
    return np.ndindex(x.shape)


def numerical_gradient(f: Callable[[Array], Any], x: Array, h: float = 1e-5) -> Array:
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar. It is called 2·x.size times.
    x : ndarray, float64
        The point. Each entry is perturbed in place and restored exactly, so
        ``f`` may read ``x`` through a closure (e.g. a parameter's ``.data``).
    h : float
        Step size.

    Returns
    -------
    ndarray of the shape of x
        ĝᵢ = (f(x + h eᵢ) − f(x − h eᵢ)) / 2h.

    Notes
    -----
    Taylor expansion gives f(x ± h) = f(x) ± h f′ + h² f″/2 ± h³ f‴/6 + ...;
    the difference cancels the even terms, so the error is O(h²), against
    O(h) for the one-sided (f(x + h) − f(x))/h.
    """
    _check_float_input(x, "numerical_gradient")
    grad = np.zeros_like(x, dtype=np.float64)
    for index in _entries(x):
        old = x[index]
        x[index] = old + h
        f_plus = f(x)
        x[index] = old - h
        f_minus = f(x)
        x[index] = old
        if np.ndim(f_plus) != 0:
            raise ValueError(
                f"numerical_gradient: f must return a scalar, got an array of shape {np.shape(f_plus)}; "
                "use numerical_gradient_array for array-valued functions"
            )
        grad[index] = (float(f_plus) - float(f_minus)) / (2 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[Array], NDArray], x: Array, grad_output: NDArray, h: float = 1e-5
) -> Array:
    """Central-difference gradient of an array-valued ``f`` against an upstream gradient.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns an array y, e.g. a layer's forward pass.
    x : ndarray, float64
        Perturbed in place and restored.
    grad_output : ndarray of the shape of f(x)
        The upstream gradient G = dL/dy.
    h : float

    Returns
    -------
    ndarray of the shape of x
        dL/dxᵢ ≈ Σ (f(x + h eᵢ) − f(x − h eᵢ)) ⊙ G / 2h, i.e. the gradient of
        L = Σ f(x) ⊙ G. No loss function is needed to check a layer: any fixed
        G will do, and a random one exercises every output.
    """
    _check_float_input(x, "numerical_gradient_array")
    grad_output = np.asarray(grad_output, dtype=np.float64)
    grad = np.zeros_like(x, dtype=np.float64)
    for index in _entries(x):
        old = x[index]
        x[index] = old + h
        y_plus = np.array(f(x), dtype=np.float64)
        x[index] = old - h
        y_minus = np.array(f(x), dtype=np.float64)
        x[index] = old
        if y_plus.shape != grad_output.shape:
            raise ValueError(
                f"numerical_gradient_array: f(x) has shape {y_plus.shape} but grad_output has shape "
                f"{grad_output.shape}"
            )
        grad[index] = np.sum((y_plus - y_minus) * grad_output) / (2 * h)
    return grad


def rel_error(a: Any, b: Any) -> float:
    """Relative error ``max|a − b| / max(|a|, |b|)`` of two gradients.

    Parameters
    ----------
    a, b : array_like of the same shape (or scalars)

    Returns
    -------
    float
        For scalars this is the course's |g − ĝ| / max(|g|, |ĝ|). For arrays
        the largest absolute difference is divided by the largest magnitude in
        either array, so entries that are (nearly) zero in both do not divide
        by zero or turn round-off into a huge ratio. 0.0 when both are zero.
        About 1e-7 or less means the gradients agree (in float64); 1e-2 or
        more means one of them is wrong.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()))
    diff = float(np.abs(a - b).max())
    if scale == 0.0:
        return 0.0
    if not math.isfinite(diff) or not math.isfinite(scale):
        return math.inf
    return diff / scale


@dataclass(frozen=True)
class GradientComparison:
    """One checked gradient: its relative error and its worst entry."""

    name: str
    rel_error: float
    index: tuple[int, ...]
    analytic: float
    numeric: float

    def __str__(self) -> str:
        return (
            f"{self.name}: relative error {self.rel_error:.2e}; worst entry at index {self.index}: "
            f"analytic {self.analytic:.8g}, numeric {self.numeric:.8g}"
        )


class GradientReport(dict):
    """Relative error per checked gradient (``"input"`` and dotted parameter names).

    A ``dict`` name -> relative error; ``details[name]`` holds the worst
    entry. ``str(report)`` prints one line per gradient.
    """

    def __init__(self, comparisons: list[GradientComparison], tol: float) -> None:
        super().__init__((c.name, c.rel_error) for c in comparisons)
        self.details = {c.name: c for c in comparisons}
        self.tol = tol

    @property
    def max_error(self) -> float:
        return max(self.values(), default=0.0)

    def __str__(self) -> str:
        lines = [f"gradient check (tol {self.tol:.0e}):"]
        lines += [
            f"  {'ok  ' if c.rel_error <= self.tol else 'FAIL'} {c}" for c in self.details.values()
        ]
        return "\n".join(lines)


def _compare(name: str, analytic: NDArray, numeric: NDArray) -> GradientComparison:
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise GradientCheckError(
            f"gradient of {name!r} has shape {analytic.shape}, expected {numeric.shape}"
        )
    if analytic.size == 0:
        return GradientComparison(name, 0.0, (), 0.0, 0.0)
    diff = np.abs(analytic - numeric)
    flat = int(np.argmax(np.where(np.isnan(diff), np.inf, diff)))
    worst = tuple(int(i) for i in np.unravel_index(flat, diff.shape))
    return GradientComparison(
        name, rel_error(analytic, numeric), worst, float(analytic[worst]), float(numeric[worst])
    )


def _finish(comparisons: list[GradientComparison], tol: float, what: str) -> GradientReport:
    report = GradientReport(comparisons, tol)
    failed = [c for c in comparisons if not c.rel_error <= tol]
    if failed:
        worst = max(failed, key=lambda c: c.rel_error if math.isfinite(c.rel_error) else math.inf)
        kind = "the input" if worst.name == "input" else f"parameter {worst.name!r}"
        raise GradientCheckError(
            f"{what}: the gradient of {kind} is wrong (relative error {worst.rel_error:.2e} > "
            f"tol {tol:.0e}); worst entry at index {worst.index}: analytic {worst.analytic:.8g}, "
            f"numeric {worst.numeric:.8g}\n{report}"
        )
    return report


def _generators(module: Module) -> list[np.random.Generator]:
    """Every ``np.random.Generator`` held as an attribute by the module or its sub-modules."""
    found: dict[int, np.random.Generator] = {}
    for _, sub in module.named_modules():
        for value in vars(sub).values():
            if isinstance(value, np.random.Generator):
                found[id(value)] = value
    return list(found.values())


def check_module_gradients(
    module: Module,
    x: Any,
    grad_output: Any = None,
    rng: np.random.Generator | None = None,
    tol: float = 1e-6,
    h: float = 1e-5,
    check_input: bool = True,
) -> GradientReport:
    """Check a module's input gradient and every parameter gradient against central differences.

    Parameters
    ----------
    module : Module
        Checked on a float64 deep copy; the module passed in is not changed
        (its parameters, gradients and random generators are left alone).
    x : array_like
        The input, converted to float64.
    grad_output : array_like, optional
        Upstream gradient G = dL/dy; by default drawn from N(0, 1) with ``rng``.
        The check compares gradients of L = Σ forward(x) ⊙ G.
    rng : numpy.random.Generator, optional
        For the default upstream gradient (default: seeded with 0).
    tol : float
        Largest acceptable :func:`rel_error` for each gradient.
    h : float
        Central-difference step.
    check_input : bool
        Also check dL/dx (turn off for inputs that are not differentiable,
        e.g. integer indices).

    Returns
    -------
    GradientReport
        name -> relative error, for ``"input"`` and each parameter by dotted name.

    Raises
    ------
    GradientCheckError
        When a relative error exceeds ``tol``; the message names the
        parameter and its worst entry (index, analytic and numeric value).

    Notes
    -----
    The forward pass must be a deterministic function of the input, the
    parameters and the module's state. Modules that draw random numbers
    (Dropout, RReLU in training mode) are handled when they draw from a
    ``np.random.Generator`` stored as an attribute (any name): the check
    saves the state of every such generator and restores it before each
    forward pass, so every evaluation draws the same mask or slopes. Other
    mutable state (e.g. BatchNorm running averages) may change during the
    check; it lives in the copy and does not affect training-mode outputs.
    Alternatively, check such modules in ``eval()`` mode.
    """
    model = copy.deepcopy(module).astype(np.float64)
    x = np.array(x, dtype=np.float64)
    generators = _generators(model)
    states = [g.bit_generator.state for g in generators]

    def forward(inp: Array) -> Array:
        for g, state in zip(generators, states):
            g.bit_generator.state = state
        return np.asarray(model.forward(inp), dtype=np.float64)

    y = forward(x)
    if not np.array_equal(forward(x), y, equal_nan=True):
        raise GradientCheckError(
            f"{type(module).__name__}: two forward passes on the same input differ, so finite "
            "differences are meaningless; keep its random draws in a np.random.Generator attribute "
            "or check it in eval() mode"
        )
    if grad_output is None:
        rng = np.random.default_rng(0) if rng is None else rng
        grad_output = rng.standard_normal(y.shape)
    grad_output = np.asarray(grad_output, dtype=np.float64)
    if grad_output.shape != y.shape:
        raise ValueError(
            f"check_module_gradients: grad_output has shape {grad_output.shape}, "
            f"but the module's output has shape {y.shape}"
        )

    model.zero_grad()
    forward(x)
    grad_input = model.backward(grad_output.copy())
    comparisons = []
    if check_input:
        numeric = numerical_gradient_array(forward, x, grad_output, h)
        if grad_input is None:
            raise GradientCheckError(
                f"{type(module).__name__}.backward returned no input gradient "
                "(a layer built with input_grad=False); pass check_input=False"
            )
        comparisons.append(_compare("input", grad_input, numeric))
    for name, param in model.named_parameters():
        numeric = numerical_gradient_array(lambda _: forward(x), param.data, grad_output, h)
        comparisons.append(_compare(name, param.grad, numeric))
    return _finish(comparisons, tol, f"{type(module).__name__}")


def check_loss_gradients(
    loss: Loss,
    prediction: Any,
    target: Any,
    grad_output: Any = None,
    rng: np.random.Generator | None = None,
    tol: float = 1e-6,
    h: float = 1e-5,
) -> GradientReport:
    """Check ``loss.backward()`` (dL/d prediction) against central differences.

    Parameters
    ----------
    loss : Loss
        E.g. ``CrossEntropyLoss()``; called as ``loss(prediction, target)``.
    prediction : array_like
        Converted to float64.
    target : array_like
        Passed unchanged (integer labels stay integers); float targets are
        converted to float64.
    grad_output : array_like, optional
        Only for ``reduction="none"``: the upstream gradient for the
        unreduced losses (default: N(0, 1) drawn with ``rng``).
    rng, tol, h
        As in :func:`check_module_gradients`.

    Returns
    -------
    GradientReport
        With one entry, ``"input"`` (the prediction).
    """
    prediction = np.array(prediction, dtype=np.float64)
    target = np.asarray(target)
    if np.issubdtype(target.dtype, np.floating):
        target = target.astype(np.float64)
    value = loss(prediction, target)
    if np.ndim(value) == 0:
        analytic = loss.backward()
        numeric = numerical_gradient(lambda p: loss(p, target), prediction, h)
    else:
        if grad_output is None:
            rng = np.random.default_rng(0) if rng is None else rng
            grad_output = rng.standard_normal(np.shape(value))
        grad_output = np.asarray(grad_output, dtype=np.float64)
        loss(prediction, target)
        analytic = loss.backward(grad_output)
        numeric = numerical_gradient_array(lambda p: loss(p, target), prediction, grad_output, h)
    return _finish([_compare("input", analytic, numeric)], tol, f"{type(loss).__name__}")
