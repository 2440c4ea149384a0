"""Input validation for the whole library: one function per kind of check.

Every check takes the value first, then ``who`` (the class or function to
name in the message) and ``name`` (the argument), and raises

* :class:`TypeError` when the value has the wrong *type* (a string where a
  number belongs, an integer array where features belong, a legacy
  ``RandomState`` where a ``Generator`` belongs);
* :class:`ValueError` when the type is right but the *value* is not (a
  negative learning rate, a probability of 1, a wrong shape).

The message always says what was expected and what came. The module depends
only on NumPy, so a sandbox can ship it beside any file that imports it.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "as_float_array",
    "as_generator",
    "check_choice",
    "check_finite",
    "check_grad_output",
    "check_int",
    "check_ndim",
    "check_number",
    "check_probability",
    "check_same_shape",
]

_NUMBER_TYPES = (int, float, np.integer, np.floating)


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else repr(float(low))
    hi = "inf" if high is None else repr(float(high))
    return f"{left}{lo}, {hi}{right}"


def check_number(
    value: Any,
    who: str,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float after checking it is a finite number in range.

    Parameters
    ----------
    value : Any
        The hyper-parameter to check.
    who, name : str
        The owner (``"SGD"``) and the argument (``"momentum"``) to name.
    low, high : float, optional
        Bounds of the valid interval (None: unbounded).
    low_open, high_open : bool
        Whether the bound itself is excluded.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans are rejected too).
    ValueError
        If it is NaN, infinite or outside the interval.
    """
    interval = _interval(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
        raise TypeError(
            f"{who}: {name} must be a number in {interval}, got {type(value).__name__} {value!r}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{who}: {name} must be a finite number in {interval}, got {value!r}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f"{who}: invalid {name} {value!r}; expected a value in {interval}")
    return number


def check_probability(value: Any, who: str, name: str = "p") -> float:
    """Return a probability in [0, 1) as a float (a drop probability of 1 drops everything)."""
    return check_number(value, who, name, low=0.0, high=1.0, high_open=True)


def check_int(value: Any, who: str, name: str, *, low: int | None = 1) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``low``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (floats such as ``3.0`` and booleans
        are rejected: they are almost always a mistake).
    ValueError
        If it is smaller than ``low``.
    """
    kind = {None: "an integer", 0: "a non-negative integer", 1: "a positive integer"}.get(
        low, f"an integer >= {low}"
    )
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{who}: {name} must be {kind}, got {type(value).__name__} {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{who}: {name} must be {kind}, got {value!r}")
    return int(value)


def check_choice(value: Any, who: str, name: str, choices: Collection[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise ValueError listing them."""
    if value not in choices:
        raise ValueError(f"{who}: {name} must be one of {list(choices)}, got {value!r}")
    return value


def as_generator(rng: Any, who: str, name: str = "rng") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from a generator, a seed or None.

    Parameters
    ----------
    rng : Generator, int or None
        A generator is returned unchanged (so its state advances for the
        caller too); a non-negative integer seeds a new one; None draws fresh
        entropy from the operating system (results then differ from run to
        run).
    who, name : str
        Named in the error message.

    Raises
    ------
    TypeError
        For anything else, including the legacy ``np.random.RandomState``.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"{who}: {name} must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
        f"an integer seed or None, got {type(rng).__name__}; the legacy "
        "np.random.RandomState is not supported"
    )


def as_float_array(x: Any, who: str, name: str = "input") -> NDArray[np.floating]:
    """Return ``x`` as a floating-point ndarray or raise a TypeError naming ``who``.

    Integer and boolean arrays are rejected rather than silently converted:
    in this course they are almost always labels passed where features belong.
    """
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "f":
            return x  # the common case, on the hot path of every forward pass
        array = x
    else:
        try:
            array = np.asarray(x)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise TypeError(f"{who}: {name} must be array-like, got {type(x).__name__}") from exc
    if array.dtype.kind != "f":
        raise TypeError(
            f"{who}: {name} must be a floating-point array (float32 or float64), "
            f"got dtype {array.dtype}; convert with x.astype(np.float32)"
        )
    return array


def check_ndim(
    x: NDArray[Any], ndim: int | tuple[int, ...], who: str, name: str = "input", layout: str = ""
) -> None:
    """Raise ValueError unless ``x.ndim`` is ``ndim`` (or one of them)."""
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if x.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        hint = f" {layout}" if layout else ""
        raise ValueError(f"{who}: expected a {want} {name}{hint}, got shape {x.shape} ({x.ndim}-D)")


def check_finite(value: Any, who: str, what: str = "loss") -> None:
    """Raise FloatingPointError when ``value`` has NaN or inf entries, saying where.

    The message names the first offending entry, its index and how many
    entries are affected, e.g. ``"MSELoss: prediction contains NaN at index
    (2, 0) (1 of 12 entries non-finite)"``.
    """
    array = np.asarray(value)
    finite = np.isfinite(array)
    if finite.all():
        return
    bad = np.argwhere(~finite)
    first = tuple(int(i) for i in bad[0])
    kind = "NaN" if np.isnan(array[first]) else ("inf" if array[first] > 0 else "-inf")
    where = (
        ""
        if array.ndim == 0
        else (f" at index {first} ({len(bad)} of {array.size} entries non-finite)")
    )
    raise FloatingPointError(f"{who}: {what} contains {kind}{where}")


def check_grad_output(grad_output: Any, shape: tuple[int, ...], who: str) -> NDArray[np.floating]:
    """Return ``grad_output`` as a float array of the forward output's ``shape`` or raise."""
    grad = as_float_array(grad_output, f"{who}.backward", "grad_output")
    if grad.shape != shape:
        raise ValueError(
            f"{who}.backward expected grad_output of shape {shape} (the shape of the forward "
            f"output), got {grad.shape}"
        )
    return grad


def check_same_shape(
    prediction: NDArray[Any], target: NDArray[Any], who: str, hint: str = ""
) -> None:
    """Raise ValueError naming both shapes when ``prediction`` and ``target`` differ."""
    if prediction.shape != target.shape:
        raise ValueError(
            f"{who}: prediction has shape {prediction.shape} but target has shape "
            f"{target.shape}; they must match{hint}"
        )
