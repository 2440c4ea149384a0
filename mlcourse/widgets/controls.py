"""The controls of an interactive figure (sliders, drop-downs, fixed values) and the grid of frames.

See Also
--------
:mod:`mlcourse.widgets`.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..validation import check_int, check_number

if TYPE_CHECKING:
    pass

__all__ = ['Control', 'Dropdown', 'Fixed', 'IntSlider', 'Slider', 'frame_grid']


def _decimals(x: float) -> int:
    text = repr(float(x))
    if "e" in text or "E" in text:
        return 12
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _check_number(value: Any, who: str, name: str, integer: bool = False) -> float:
    """A finite number (an integer for an IntSlider), as a float."""
    if integer:
        return float(check_int(value, who, name, low=None))
    return check_number(value, who, name)


class Control:
    """Base class of the controls of an interactive figure (not used directly)."""

    description: str | None = None
    varies: bool = True

    def values(self) -> list[Any]:
        """Every value the control can take, in order."""
        raise NotImplementedError

    def labels(self) -> list[str]:
        """How each value is shown next to the control."""
        return [str(v) for v in self.values()]

    def default_index(self) -> int:
        """Index in :meth:`values` of the initial value."""
        raise NotImplementedError


class Slider(Control):
    """A slider over ``min, min + step, ..., max`` (floats).

    Parameters
    ----------
    min, max : float
        End points, both included; ``min < max``.
    step : float
        Spacing of the values; ``(max - min) / step`` must be a whole number.
    value : float, optional
        Initial value (must lie on the grid); the middle value when omitted.
    description : str, optional
        Label shown beside the slider; the keyword name when omitted.
    """

    _who = "Slider"
    _integer = False

    def __init__(self, min: float, max: float, step: float, value: float | None = None,
                 description: str | None = None) -> None:
        who = f"{self._who}(min={min!r}, max={max!r}, step={step!r})"
        lo = _check_number(min, who, "min", self._integer)
        hi = _check_number(max, who, "max", self._integer)
        st = _check_number(step, who, "step", self._integer)
        if not lo < hi:
            raise ValueError(f"{who}: min must be smaller than max")
        if st <= 0:
            raise ValueError(f"{who}: step must be positive")
        intervals = (hi - lo) / st
        n_intervals = round(intervals)
        if n_intervals < 1 or abs(intervals - n_intervals) > 1e-6 * builtins.max(1.0, intervals):
            raise ValueError(
                f"{who}: (max - min) / step = {intervals:.6g} is not a whole number, so max is not "
                "on the slider; choose a step that divides the range"
            )
        self.min, self.max, self.step = (int(lo), int(hi), int(st)) if self._integer else (lo, hi, st)
        self._n = n_intervals + 1
        digits = builtins.max(_decimals(lo), _decimals(st))
        if self._integer:
            self._values: list[Any] = [int(lo) + i * int(st) for i in range(self._n)]
        else:
            self._values = [round(lo + i * st, digits) for i in range(self._n)]
        self._digits = digits
        self.description = description
        if value is None:
            self._default = (self._n - 1) // 2
        else:
            v = _check_number(value, who, "value", self._integer)
            position = (v - lo) / st
            index = round(position)
            if not 0 <= index < self._n or abs(position - index) > 1e-6 * builtins.max(1.0, abs(position)):
                raise ValueError(
                    f"{who}: value={value!r} is not one of the slider's values "
                    f"{self._values[0]}, {self._values[1]}, ..., {self._values[-1]}"
                )
            self._default = index

    def values(self) -> list[Any]:
        return list(self._values)

    def labels(self) -> list[str]:
        if self._integer:
            return [str(v) for v in self._values]
        return [f"{v:.{self._digits}f}" for v in self._values]

    def default_index(self) -> int:
        return self._default

    def __repr__(self) -> str:
        return (f"{self._who}(min={self.min!r}, max={self.max!r}, step={self.step!r}, "
                f"value={self._values[self._default]!r})")


class IntSlider(Slider):
    """A slider over the integers ``min, min + step, ..., max``.

    Parameters
    ----------
    min, max : int
        End points, both included; ``min < max``.
    step : int
        Spacing (default 1); must divide ``max - min``.
    value : int, optional
        Initial value; the middle value when omitted.
    description : str, optional
        Label shown beside the slider; the keyword name when omitted.
    """

    _who = "IntSlider"
    _integer = True

    def __init__(self, min: int, max: int, step: int = 1, value: int | None = None,
                 description: str | None = None) -> None:
        super().__init__(min, max, step, value=value, description=description)


class Dropdown(Control):
    """A choice among a few options.

    Parameters
    ----------
    options : sequence
        The values, or ``(label, value)`` pairs when the value should be shown
        under another name (for example ``[("ReLU", relu), ("tanh", np.tanh)]``).
    value : optional
        Initial value (one of the option values); the first when omitted.
    description : str, optional
        Label shown beside the drop-down; the keyword name when omitted.
    """

    def __init__(self, options: Sequence[Any], value: Any = None,
                 description: str | None = None) -> None:
        if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
            raise TypeError(
                f"Dropdown: options must be a list of values or of (label, value) pairs, "
                f"got {type(options).__name__} {options!r:.60}"
            )
        if len(options) == 0:
            raise ValueError("Dropdown: options must not be empty")
        pairs = [isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], str) for o in options]
        if any(pairs) and not all(pairs):
            raise TypeError(
                "Dropdown: options must be all plain values or all (label, value) pairs, "
                f"got a mix: {list(options)!r:.120}"
            )
        if all(pairs):
            self._labels = [o[0] for o in options]
            self._values = [o[1] for o in options]
        else:
            self._labels = [str(o) for o in options]
            self._values = list(options)
        if len(set(self._labels)) != len(self._labels):
            raise ValueError(f"Dropdown: option labels must be distinct, got {self._labels}")
        self.description = description
        if value is None:
            self._default = 0
        else:
            matches = [i for i, v in enumerate(self._values) if v is value or _safe_equal(v, value)]
            if not matches:
                raise ValueError(f"Dropdown: value={value!r} is not one of the options {self._labels}")
            self._default = matches[0]

    def values(self) -> list[Any]:
        return list(self._values)

    def labels(self) -> list[str]:
        return list(self._labels)

    def default_index(self) -> int:
        return self._default

    def __repr__(self) -> str:
        return f"Dropdown({self._labels!r}, value={self._labels[self._default]!r})"


def _safe_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


class Fixed(Control):
    """A value passed to ``draw`` unchanged, with no control shown.

    Parameters
    ----------
    value
        Any object, for example a data set or a trained model.
    """

    varies = False

    def __init__(self, value: Any) -> None:
        self.value = value

    def values(self) -> list[Any]:
        return [self.value]

    def labels(self) -> list[str]:
        return [repr(self.value)[:40]]

    def default_index(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"Fixed({self.value!r:.40})"


def _check_controls(controls: dict[str, Any]) -> None:
    if not controls:
        raise ValueError(
            "interactive_figure: give at least one control as a keyword argument, "
            "for example w=Slider(-2.0, 2.0, 0.1)"
        )
    for name, control in controls.items():
        if not isinstance(control, Control):
            raise TypeError(
                f"interactive_figure: control {name!r} must be a Slider, IntSlider, Dropdown or "
                f"Fixed, got {type(control).__name__} {control!r:.60}; wrap a constant in Fixed(...)"
            )
    if not any(c.varies for c in controls.values()):
        raise ValueError(
            "interactive_figure: all controls are Fixed; add a Slider, IntSlider or Dropdown "
            "(a figure that never changes does not need interactive_figure)"
        )


def _next_count(n: int, k: int) -> int:
    """The next smaller number of values to keep from a grid of n, preferring even spacing."""
    for c in range(k - 1, max(2, k // 2) - 1, -1):
        if (n - 1) % (c - 1) == 0:
            return c
    return k - 1


def _even_indices(n: int, k: int) -> list[int]:
    if k >= n:
        return list(range(n))
    if k == 1:
        return [0]
    return [int(i) for i in np.round(np.linspace(0, n - 1, k)).astype(int)]


def frame_grid(controls: dict[str, Control], max_frames: int = 48) -> dict[str, list[int]]:
    """Choose which values of each varying control get a precomputed frame.

    Every control keeps its full grid while the number of combinations fits in
    ``max_frames``; otherwise the slider with the most values is thinned, again
    and again, keeping both end points and (where the grid allows) even
    spacing, until the product fits. Drop-down options are never dropped.

    Parameters
    ----------
    controls : dict of str to Control
        The controls, by keyword name.
    max_frames : int
        Upper bound on the number of frames (the product of the counts).

    Returns
    -------
    dict of str to list of int
        For each varying control (in the given order), the indices into its
        :meth:`Control.values` that get frames, increasing.

    Raises
    ------
    ValueError
        When even two values per slider and every drop-down option exceed
        ``max_frames``.
    """
    if isinstance(max_frames, bool) or not isinstance(max_frames, (int, np.integer)) or max_frames < 1:
        raise ValueError(f"interactive_figure: max_frames must be a positive int, got {max_frames!r}")
    _check_controls(controls)
    varying = {name: c for name, c in controls.items() if c.varies}
    sizes = {name: len(c.values()) for name, c in varying.items()}
    counts = dict(sizes)
    floor = {name: (min(2, sizes[name]) if isinstance(c, Slider) else sizes[name])
             for name, c in varying.items()}
    while math.prod(counts.values()) > max_frames:
        reducible = [name for name in counts if counts[name] > floor[name]]
        if not reducible:
            need = math.prod(floor.values())
            raise ValueError(
                f"interactive_figure: max_frames={max_frames} is too small for these controls: "
                f"at least {need} frames are needed (2 per slider and every drop-down option); "
                f"raise max_frames or use fewer options"
            )
        name = max(reducible, key=lambda m: counts[m])
        counts[name] = max(floor[name], _next_count(sizes[name], counts[name]))
    return {name: _even_indices(sizes[name], counts[name]) for name in varying}
