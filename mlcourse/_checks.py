"""Input validation shared by layers and losses: errors that say what was expected and what came."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


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
    if array.dtype == object or not np.issubdtype(array.dtype, np.number) or not np.issubdtype(
        array.dtype, np.floating
    ):
        raise TypeError(
            f"{who}: {name} must be a floating-point array (float32 or float64), "
            f"got dtype {array.dtype}; convert with x.astype(np.float32)"
        )
    return array


def check_ndim(x: NDArray, ndim: int | tuple[int, ...], who: str, name: str = "input",
               layout: str = "") -> None:
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
    where = "" if array.ndim == 0 else (
        f" at index {first} ({len(bad)} of {array.size} entries non-finite)"
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


def check_same_shape(prediction: NDArray, target: NDArray, who: str, hint: str = "") -> None:
    """Raise ValueError naming both shapes when ``prediction`` and ``target`` differ."""
    if prediction.shape != target.shape:
        raise ValueError(
            f"{who}: prediction has shape {prediction.shape} but target has shape "
            f"{target.shape}; they must match{hint}"
        )
