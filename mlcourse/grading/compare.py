"""Compare a student's output with the expected one and say what differs.

Shapes are compared before values, because a wrong shape is the most common
mistake and the most informative thing to report. Messages come in two
strengths: a full one for public tests (expected against got) and a terse one
for hidden tests, which never reveals their inputs or expected values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


@dataclass(frozen=True)
class Mismatch:
    """What differs between an output and its expected value."""

    where: str
    detail: str
    terse: str

    def message(self, hidden: bool) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return prefix + (self.terse if hidden else self.detail)


def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    return repr(x)


def _kind(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, tuple):
        return f"a tuple of {len(x)}"
    if isinstance(x, list):
        return f"a list of {len(x)}"
    if x is None:
        return "None (did you forget to return?)"
    return f"a {type(x).__name__} ({_fmt(x)})"


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating, np.bool_, bool)) or (
        isinstance(x, np.ndarray) and x.ndim == 0
    )


def compare(
    got: Any,
    expected: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    names: Sequence[str] | None = None,
    where: str = "",
) -> Mismatch | None:
    """Return ``None`` when ``got`` matches ``expected``, else a :class:`Mismatch`.

    Tuples and lists are compared element by element (``names`` labels the
    elements, e.g. ``("dX", "dW", "db")``); arrays by shape, then values with
    ``np.allclose(got, expected, rtol, atol)``; numbers likewise.
    """
    if isinstance(expected, (tuple, list)):
        label = where or "output"
        if not isinstance(got, (tuple, list)):
            what = ", ".join(names) if names else f"{len(expected)} values"
            return Mismatch(where, f"expected a tuple ({what}), got {_kind(got)}",
                            f"expected a tuple of {len(expected)}, got {_kind(got)}")
        if len(got) != len(expected):
            return Mismatch(where, f"{label} should have {len(expected)} elements, got {len(got)}",
                            f"{label} should have {len(expected)} elements, got {len(got)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            name = names[i] if names and i < len(names) else f"element {i}"
            mismatch = compare(g, e, rtol=rtol, atol=atol, where=name)
            if mismatch is not None:
                return mismatch
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return Mismatch(where, f"expected a dict, got {_kind(got)}", "expected a dict")
        missing = sorted(set(expected) - set(got))
        if missing:
            return Mismatch(where, f"missing keys {missing}", f"missing keys {missing}")
        for key in expected:
            mismatch = compare(got[key], expected[key], rtol=rtol, atol=atol, where=str(key))
            if mismatch is not None:
                return mismatch
        return None
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        return _compare_arrays(got, expected, rtol, atol, where)
    if _is_number(expected):
        if isinstance(got, np.ndarray) and got.size == 1:
            got = got.reshape(())[()]
        if not _is_number(got):
            return Mismatch(where, f"expected a number, got {_kind(got)}",
                            f"expected a number, got {_kind(got)}")
        g, e = float(got), float(expected)
        if np.isnan(e) and np.isnan(g):
            return None
        if not np.isclose(g, e, rtol=rtol, atol=atol):
            return Mismatch(where, f"expected {_fmt(e)}, got {_fmt(g)}", "wrong value")
        return None
    if got != expected:
        return Mismatch(where, f"expected {expected!r}, got {got!r}", "wrong value")
    return None


def _compare_arrays(got: Any, expected: np.ndarray, rtol: float, atol: float,
                    where: str) -> Mismatch | None:
    if not isinstance(got, np.ndarray):
        if _is_number(got) or isinstance(got, (list, tuple)):
            try:
                got = np.asarray(got, dtype=float)
            except (TypeError, ValueError):
                return Mismatch(where, f"expected an array of shape {expected.shape}, got {_kind(got)}",
                                "expected an array")
        else:
            return Mismatch(where, f"expected an array of shape {expected.shape}, got {_kind(got)}",
                            f"expected an array, got {_kind(got)}")
    if got.shape != expected.shape:
        hint = ""
        if got.ndim == 2 and got.shape == expected.shape[::-1]:
            hint = " (the transpose of the expected shape: a missing or extra .T?)"
        elif got.size == expected.size:
            hint = " (same number of entries: a reshape, a transpose or a missing keepdims?)"
        elif got.ndim == expected.ndim - 1:
            hint = " (one dimension short: summed over an axis that should stay, or keepdims?)"
        elif got.ndim == expected.ndim + 1:
            hint = " (one dimension too many: broadcasting went wrong, or a sum/mean over the batch is missing?)"
        detail = f"expected shape {expected.shape}, got {got.shape}{hint}"
        return Mismatch(where, detail, detail)
    if got.dtype.kind not in "biuf":
        return Mismatch(where, f"expected numbers, got an array of dtype {got.dtype}",
                        f"expected numbers, got dtype {got.dtype}")
    g = got.astype(np.float64)
    e = expected.astype(np.float64)
    if np.array_equal(np.isnan(g), np.isnan(e)) and np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
        return None
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    n_bad = int(bad.sum())
    diff = np.where(bad, np.abs(np.nan_to_num(g - e, nan=np.inf)), -1.0)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
    index = tuple(int(i) for i in idx)
    detail = (
        f"values differ in {n_bad} of {e.size} entries; worst at index {index}: "
        f"expected {_fmt(e[idx])}, got {_fmt(g[idx])}"
    )
    scale = _common_scale(g, e, rtol, atol)
    if scale is not None and np.isclose(scale, -1.0):
        detail += " (every entry has the wrong sign: a sign error?)"
    elif scale is not None and abs(scale) > 1:
        detail += (f" (yours are all {scale:.4g}× the expected values: a missing division, e.g. by the "
                   "batch size, or an extra factor?)")
    elif scale is not None and scale != 0:
        detail += (f" (yours are all 1/{1 / scale:.4g} of the expected values: an extra division, or a "
                   "missing factor?)")
    terse = f"wrong values in {n_bad} of {e.size} entries"
    return Mismatch(where, detail, terse)


def _common_scale(g: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> float | None:
    """The factor c with g ≈ c·e for every entry, when there is one (and c ≠ 1)."""
    mask = np.abs(e) > 1e-12
    if not mask.any() or not np.all(np.isfinite(g)):
        return None
    c = float(np.median(g[mask] / e[mask]))
    if c == 0 or np.isclose(c, 1.0):
        return None
    return c if np.allclose(g, c * e, rtol=rtol, atol=atol) else None
