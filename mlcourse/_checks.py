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
    """Raise FloatingPointError when ``value`` has NaN or inf entries, saying where."""
    array = np.asarray(value)
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))
        where = "" if array.ndim == 0 else f" at index {tuple(int(i) for i in bad[0])}"
        raise FloatingPointError(
            f"{who}: {what} contains {'NaN' if np.isnan(array).any() else 'inf'}{where}"
        )
