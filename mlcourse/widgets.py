"""Interactive figures: a live ipywidget in JupyterLab, a scrubbable figure in the HTML book.

One call, :func:`interactive_figure`, turns a drawing function and a few
controls into an object that, shown as the last expression of a cell,

* in a running kernel (JupyterLab) is a live ipywidget: sliders and
  drop-downs above the figure, which is redrawn on every change;
* in the static HTML book (no kernel) is a self-contained scrubber: the figure
  was precomputed for a grid of control values when the notebook ran, and a
  few lines of inline JavaScript swap the image when a slider moves.

Both representations travel in the same output (``_repr_mimebundle_``), so
the book and the notebook show the same figure from the same cell.

Cost
----
The static frames are drawn when the cell runs: one draw and one small PNG per
frame, about 60-180 ms each for a typical one-axes chapter figure on this
course's 2-core machines (Matplotlib's text layout dominates), so the default
``max_frames=48`` adds roughly 3-8 s to the cell. Each frame is a 64-colour
PNG at 80 dpi (about 5-30 kB), so a 48-frame figure weighs roughly
0.3-1.5 MB in the page.

Examples
--------
>>> import numpy as np
>>> from mlcourse.widgets import interactive_figure, Slider, Dropdown
>>> def draw(fig, w, kind):
...     ax = fig.add_subplot()
...     x = np.linspace(-3, 3, 200)
...     ax.plot(x, np.tanh(w * x) if kind == "tanh" else np.maximum(0, w * x))
...     ax.set_title(f"{kind}(w x), w = {w:g}")
>>> fig = interactive_figure(draw, w=Slider(0.5, 3.0, 0.5, value=1.0),
...                          kind=Dropdown(["tanh", "relu"]), max_frames=12)
>>> fig.n_frames
12

See Also
--------
mlcourse.plotting : the course style and the plots drawn inside ``draw``.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import html
import inspect
import io
import itertools
import json
import math
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "Slider",
    "IntSlider",
    "Dropdown",
    "Fixed",
    "InteractiveFigure",
    "WidgetDrawError",
    "Frames",
    "interactive_figure",
    "frame_grid",
    "compute_frames",
    "static_html",
    "FRAME_DPI",
    "FRAME_COLORS",
    "LIVE_DPI",
]

#: Resolution of the precomputed frames shown in the HTML book.
FRAME_DPI: int = 80
#: Palette size of each precomputed PNG frame (fewer colours, smaller pages).
FRAME_COLORS: int = 64
#: Resolution of the live figure in JupyterLab.
LIVE_DPI: int = 100


class WidgetDrawError(RuntimeError):
    """Raised when the ``draw`` function of an interactive figure fails for some control values."""


def _decimals(x: float) -> int:
    text = repr(float(x))
    if "e" in text or "E" in text:
        return 12
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _check_number(value: Any, who: str, name: str, integer: bool = False) -> float:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds):
        want = "an int" if integer else "a number"
        raise TypeError(f"{who}: {name} must be {want}, got {type(value).__name__} {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{who}: {name} must be finite, got {value!r}")
    return float(value)


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


@dataclass
class Frames:
    """Precomputed frames of an interactive figure (see :func:`compute_frames`).

    Attributes
    ----------
    names : list of str
        The varying controls, in order; frames run over their combinations in
        row-major (C) order, the last name changing fastest.
    indices : dict of str to list of int
        For each name, the indices into the control's full value grid.
    values, labels : dict of str to list
        The corresponding values and their display labels.
    images : list of bytes
        One PNG per combination.
    default : tuple of int
        Position (per name, into ``indices``) of the initial frame.
    fixed : dict of str to object
        Values of the ``Fixed`` controls.
    """

    names: list[str]
    indices: dict[str, list[int]]
    values: dict[str, list[Any]]
    labels: dict[str, list[str]]
    images: list[bytes]
    default: tuple[int, ...]
    fixed: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values per varying control."""
        return tuple(len(self.indices[n]) for n in self.names)

    def index(self, positions: Sequence[int]) -> int:
        """Flat frame number of the combination with these positions (row-major)."""
        return int(np.ravel_multi_index(tuple(positions), self.shape))

    def combination(self, frame: int) -> dict[str, Any]:
        """The keyword values ``draw`` received for frame number ``frame``."""
        positions = np.unravel_index(frame, self.shape)
        return {n: self.values[n][int(p)] for n, p in zip(self.names, positions)}

    @property
    def nbytes(self) -> int:
        """Total size of the PNG frames in bytes."""
        return sum(len(im) for im in self.images)


def _call_text(values: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={v!r:.40}" for k, v in values.items())
    return f"draw(fig, {args})"


def _check_draw_signature(draw: Callable[..., Any], names: Sequence[str]) -> None:
    if not callable(draw):
        raise TypeError(f"interactive_figure: draw must be a function draw(fig, **values), got {draw!r:.60}")
    try:
        signature = inspect.signature(draw)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(None, **{n: None for n in names})
    except TypeError as exc:
        raise TypeError(
            f"interactive_figure: draw must accept the figure and the keywords {list(names)}, "
            f"but {getattr(draw, '__name__', 'draw')}{signature} does not: {exc}"
        ) from None


def _draw_into(fig: Figure, draw: Callable[..., Any], values: dict[str, Any]) -> None:
    fig.clear()
    try:
        draw(fig, **values)
    except Exception as exc:
        raise WidgetDrawError(f"{_call_text(values)} raised {type(exc).__name__}: {exc}") from exc
    if not fig.axes:
        raise WidgetDrawError(
            f"{_call_text(values)} drew nothing into the figure it was given; draw with "
            "ax = fig.add_subplot() (or fig.subplots()), not with plt.* functions"
        )


def _new_figure(figsize: tuple[float, float] | None) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _rgb_image(fig: Figure, dpi: int) -> Any:
    """Render the figure once (layout included) and return it as a PIL RGB image."""
    from PIL import Image

    fig.set_dpi(dpi)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())  # (H, W, 4)
    return Image.fromarray(np.ascontiguousarray(rgba[..., :3]))


def _png_palette(fig: Figure, dpi: int, colors: int) -> bytes:
    from PIL import Image

    small = _rgb_image(fig, dpi).quantize(colors=colors, method=Image.Quantize.FASTOCTREE,
                                          dither=Image.Dither.NONE)
    buf = io.BytesIO()
    small.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _png(fig: Figure, dpi: int) -> bytes:
    # One draw: Figure.savefig would draw twice under the constrained layout engine.
    buf = io.BytesIO()
    _rgb_image(fig, dpi).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def compute_frames(
    draw: Callable[..., Any],
    controls: dict[str, Control],
    *,
    max_frames: int = 48,
    figsize: tuple[float, float] | None = None,
    dpi: int = FRAME_DPI,
    colors: int = FRAME_COLORS,
) -> Frames:
    """Draw the figure once per combination of (subsampled) control values.

    A pure function of its arguments: no display, no global Matplotlib state
    (frames are drawn into a private ``Figure`` with the Agg canvas), and
    deterministic PNG bytes (a fixed palette quantisation, no metadata).

    Parameters
    ----------
    draw : callable
        ``draw(fig, **values)`` draws into the cleared Figure it is given.
    controls : dict of str to Control
        The controls, by keyword name.
    max_frames : int
        Upper bound on the number of frames (see :func:`frame_grid`).
    figsize : pair of float, optional
        Figure size in inches; the style's ``figure.figsize`` when omitted.
    dpi : int
        Resolution of the frames.
    colors : int
        Palette size of each PNG (2-256).

    Returns
    -------
    Frames
        The grid and one PNG per combination, in row-major order.

    Raises
    ------
    WidgetDrawError
        When ``draw`` raises (the message names the control values) or draws
        no axes.
    """
    if not 2 <= colors <= 256:
        raise ValueError(f"compute_frames: colors must be in 2..256, got {colors}")
    indices = frame_grid(controls, max_frames)
    names = list(indices)
    _check_draw_signature(draw, list(controls))
    fixed = {n: c.values()[0] for n, c in controls.items() if not c.varies}
    values = {n: [controls[n].values()[i] for i in idx] for n, idx in indices.items()}
    labels = {n: [controls[n].labels()[i] for i in idx] for n, idx in indices.items()}
    default = tuple(
        int(np.argmin(np.abs(np.asarray(indices[n]) - controls[n].default_index()))) for n in names
    )
    fig = _new_figure(figsize)
    images: list[bytes] = []
    start = time.perf_counter()
    for positions in itertools.product(*(range(len(indices[n])) for n in names)):
        combo = {n: values[n][p] for n, p in zip(names, positions)}
        kwargs = {n: (combo[n] if n in combo else fixed[n]) for n in controls}
        _draw_into(fig, draw, kwargs)
        images.append(_png_palette(fig, dpi, colors))
    return Frames(names=names, indices=indices, values=values, labels=labels, images=images,
                  default=default, fixed=fixed, seconds=time.perf_counter() - start)


_SCRIPT = """(function () {
  var root = document.currentScript ? document.currentScript.parentElement
                                    : document.getElementById(%(id)s);
  var shape = %(shape)s, labels = %(labels)s;
  var inputs = root.querySelectorAll("[data-mlc-control]");
  var frames = root.querySelectorAll("img[data-mlc-frame]");
  function update() {
    var k = 0;
    for (var i = 0; i < inputs.length; i++) {
      var p = parseInt(inputs[i].value, 10);
      k = k * shape[i] + p;
      var out = root.querySelector("[data-mlc-output='" + i + "']");
      if (out) { out.textContent = labels[i][p]; }
    }
    for (var j = 0; j < frames.length; j++) {
      frames[j].style.display = (j === k) ? "" : "none";
    }
    root.setAttribute("data-mlc-current", k);
  }
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("input", update);
    inputs[i].addEventListener("change", update);
  }
  update();
})();"""


def static_html(frames: Frames, descriptions: dict[str, str] | None = None,
                controls: dict[str, Control] | None = None) -> str:
    """Return the self-contained HTML scrubber for precomputed frames.

    The page gets one ``<input type="range">`` per slider and one ``<select>``
    per drop-down (over positions in the subsampled grid, with the value shown
    beside it), one ``<img>`` per frame (PNG data URIs, all but the current one
    hidden) and a short inline script that shows the frame of the current
    combination. No network access, no require.js, no kernel.

    Parameters
    ----------
    frames : Frames
        From :func:`compute_frames`.
    descriptions : dict of str to str, optional
        Label per control name; the name itself when missing.
    controls : dict of str to Control, optional
        The controls, to tell drop-downs (shown as ``<select>``) from sliders.

    Returns
    -------
    str
        An HTML fragment (a ``<div class="mlcourse-interactive">``).
    """
    descriptions = descriptions or {}
    digest = hashlib.sha1()
    for im in frames.images:
        digest.update(im)
    digest.update(json.dumps(frames.labels, sort_keys=True).encode())
    uid = "mlc-" + digest.hexdigest()[:12]
    parts = [f'<div class="mlcourse-interactive" id="{uid}" data-mlc-frames="{len(frames.images)}" '
             'style="font-family:sans-serif;font-size:0.9em;margin:0.5em 0">',
             '<div class="mlc-controls" style="display:flex;flex-wrap:wrap;gap:0.4em 1.5em;'
             'align-items:center;margin-bottom:0.3em">']
    for i, name in enumerate(frames.names):
        label = html.escape(descriptions.get(name) or name)
        n = len(frames.indices[name])
        pos = frames.default[i]
        is_select = controls is not None and isinstance(controls.get(name), Dropdown)
        if is_select:
            options = "".join(
                f'<option value="{j}"{" selected" if j == pos else ""}>{html.escape(text)}</option>'
                for j, text in enumerate(frames.labels[name])
            )
            widget = (f'<select data-mlc-control="{html.escape(name)}" aria-label="{label}">'
                      f"{options}</select>")
            parts.append(f"<label>{label} {widget}</label>")
        else:
            widget = (f'<input type="range" min="0" max="{n - 1}" step="1" value="{pos}" '
                      f'data-mlc-control="{html.escape(name)}" aria-label="{label}" '
                      'style="vertical-align:middle;width:10em">')
            output = (f'<output data-mlc-output="{i}" style="display:inline-block;min-width:3.5em">'
                      f"{html.escape(frames.labels[name][pos])}</output>")
            parts.append(f"<label>{label} {widget} {output}</label>")
    parts.append("</div>")
    current = frames.index(frames.default)
    parts.append('<div class="mlc-frames">')
    for k, png in enumerate(frames.images):
        combo = ", ".join(f"{n} = {frames.labels[n][int(p)]}"
                          for n, p in zip(frames.names, np.unravel_index(k, frames.shape)))
        hidden = "" if k == current else "display:none;"
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<img data-mlc-frame="{k}" alt="figure for {html.escape(combo)}" '
                     f'style="{hidden}max-width:100%;height:auto" src="data:image/png;base64,{data}">')
    parts.append("</div>")
    script = _SCRIPT % {"id": json.dumps(uid), "shape": json.dumps(list(frames.shape)),
                        "labels": json.dumps([frames.labels[n] for n in frames.names])}
    parts.append(f"<script>{script}</script>")
    parts.append("</div>")
    return "\n".join(parts)


class InteractiveFigure:
    """A figure with controls: live in a kernel, precomputed for static pages.

    Made by :func:`interactive_figure`; display it as the last expression of
    a cell. Its MIME bundle carries the ipywidget view (JupyterLab), a
    self-contained ``text/html`` scrubber (the HTML book) and a
    ``text/plain`` summary.

    Attributes
    ----------
    frames : Frames
        The precomputed frames (drawn when the object is made).
    controls : dict of str to Control
        The controls by keyword name.
    """

    def __init__(self, draw: Callable[..., Any], controls: dict[str, Control], *,
                 figsize: tuple[float, float] | None, max_frames: int) -> None:
        _check_controls(controls)
        if figsize is not None:
            if (not isinstance(figsize, (tuple, list)) or len(figsize) != 2
                    or not all(isinstance(s, (int, float)) and s > 0 for s in figsize)):
                raise ValueError(
                    f"interactive_figure: figsize must be (width, height) in inches, got {figsize!r}"
                )
            figsize = (float(figsize[0]), float(figsize[1]))
        self.draw = draw
        self.controls = dict(controls)
        self.figsize = figsize
        self.max_frames = max_frames
        self.frames = compute_frames(draw, self.controls, max_frames=max_frames, figsize=figsize)
        self._html: str | None = None
        self._widget: Any = None
        self._live_fig: Figure | None = None
        self.redraw_seconds: list[float] = []

    @property
    def n_frames(self) -> int:
        """Number of precomputed frames."""
        return len(self.frames.images)

    def default_values(self) -> dict[str, Any]:
        """The keyword values of the initial figure (every control at its default)."""
        return {n: c.values()[c.default_index()] for n, c in self.controls.items()}

    def render(self, **values: Any) -> bytes:
        """Draw the figure for the given control values and return it as PNG bytes (live dpi).

        Missing values take the controls' defaults. This is what the live
        widget calls on every change; its time is the redraw time.
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise TypeError(f"render: unknown controls {sorted(unknown)}; known: {list(self.controls)}")
        kwargs = {**self.default_values(), **values}
        if self._live_fig is None:
            self._live_fig = _new_figure(self.figsize)
        _draw_into(self._live_fig, self.draw, kwargs)
        return _png(self._live_fig, LIVE_DPI)

    def html(self) -> str:
        """The static ``text/html`` scrubber (see :func:`static_html`)."""
        if self._html is None:
            descriptions = {n: c.description or n for n, c in self.controls.items()}
            self._html = static_html(self.frames, descriptions, self.controls)
        return self._html

    def widget(self) -> Any:
        """The live ipywidget (a ``VBox`` of controls, the image and an error area)."""
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    def _build_widget(self) -> Any:
        import ipywidgets as w

        inputs: dict[str, Any] = {}
        for name, c in self.controls.items():
            desc = c.description or name
            style = {"description_width": "initial"}
            if isinstance(c, IntSlider):
                inputs[name] = w.IntSlider(min=c.min, max=c.max, step=c.step,
                                           value=c.values()[c.default_index()], description=desc,
                                           continuous_update=True, style=style)
            elif isinstance(c, Slider):
                inputs[name] = w.FloatSlider(min=c.min, max=c.max, step=c.step,
                                             value=c.values()[c.default_index()], description=desc,
                                             continuous_update=True, readout_format=f".{c._digits}f",
                                             style=style)
            elif isinstance(c, Dropdown):
                inputs[name] = w.Dropdown(options=list(zip(c.labels(), range(len(c.values())))),
                                          value=c.default_index(), description=desc, style=style)
        image = w.Image(value=self.render(), format="png")
        errors = w.HTML(value="")

        def current() -> dict[str, Any]:
            out = {}
            for name, c in self.controls.items():
                if isinstance(c, Dropdown):
                    out[name] = c.values()[inputs[name].value]
                elif name in inputs:
                    out[name] = inputs[name].value
                else:
                    out[name] = c.values()[0]
            return out

        def update(_change: Any = None) -> None:
            start = time.perf_counter()
            try:
                png = self.render(**current())
            except WidgetDrawError:
                errors.value = ('<pre style="color:#b00020;white-space:pre-wrap;font-size:0.85em">'
                                f"{html.escape(traceback.format_exc())}</pre>")
                return
            errors.value = ""
            image.value = png
            self.redraw_seconds.append(time.perf_counter() - start)

        for widget in inputs.values():
            widget.observe(update, names="value")
        controls_box = w.HBox(list(inputs.values()), layout=w.Layout(flex_flow="row wrap"))
        box = w.VBox([controls_box, image, errors])
        box.add_class("mlcourse-interactive-live")
        return box

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data = dict(self.widget()._repr_mimebundle_())
        data["text/plain"] = repr(self)
        data["text/html"] = self.html()
        return data

    def __repr__(self) -> str:
        parts = []
        for n, c in self.controls.items():
            if not c.varies:
                continue
            shown = len(self.frames.indices[n])
            total = len(c.values())
            span = f"{c.labels()[0]}..{c.labels()[-1]}" if isinstance(c, Slider) else "|".join(c.labels())
            parts.append(f"{n} in {span} ({shown} of {total} values precomputed)")
        name = getattr(self.draw, "__name__", "draw")
        return (f"<interactive figure {name}: {'; '.join(parts)}; {self.n_frames} frames, "
                f"{self.frames.nbytes / 1e3:.0f} kB>")


def interactive_figure(draw: Callable[..., Any], *, figsize: tuple[float, float] | None = None,
                       max_frames: int = 48, **controls: Control) -> InteractiveFigure:
    """Make a figure with sliders and drop-downs that works in JupyterLab and in the HTML book.

    Parameters
    ----------
    draw : callable
        ``draw(fig, **values)``: draws into the cleared Matplotlib ``Figure`` it
        is given (``ax = fig.add_subplot()`` or ``fig.subplots(1, 2)``); receives
        one keyword per control. It must not call ``plt.show()`` or draw with
        ``plt.*``.
    figsize : pair of float, optional
        Figure size in inches; the course style's 6.4 x 4 when omitted.
    max_frames : int
        Most frames to precompute for the HTML book (default 48); each
        slider's values are thinned evenly, keeping the end points, until
        the number of combinations fits.
    **controls : Slider, IntSlider, Dropdown or Fixed
        One control per keyword of ``draw``.

    Returns
    -------
    InteractiveFigure
        Display it as a cell's last expression. Its frames are drawn now, so
        errors in ``draw`` surface in this call.

    Raises
    ------
    TypeError
        A control that is not a control object, or ``draw`` not accepting the
        control keywords.
    ValueError
        No varying control, or ``max_frames`` too small.
    WidgetDrawError
        ``draw`` raised for some control values (named in the message).

    Notes
    -----
    Frames cost about 60-180 ms each when the cell runs (see the module notes):
    keep ``max_frames`` near 48 in chapters, which have a 45 s budget.
    """
    return InteractiveFigure(draw, controls, figsize=figsize, max_frames=max_frames)
