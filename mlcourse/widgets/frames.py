"""Precomputed frames: the figure drawn once per point of the control grid, as small PNGs.

See Also
--------
:mod:`mlcourse.widgets`.
"""

from __future__ import annotations

import inspect
import io
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from .controls import Control, frame_grid

__all__ = ['FRAME_COLORS', 'FRAME_DPI', 'LIVE_DPI', 'Frames', 'WidgetDrawError', 'compute_frames']


#: Resolution of the precomputed frames shown in the HTML book.
FRAME_DPI: int = 80
#: Palette size of each precomputed PNG frame (fewer colours, smaller pages).
FRAME_COLORS: int = 64
#: Resolution of the live figure in JupyterLab.
LIVE_DPI: int = 100


class WidgetDrawError(RuntimeError):
    """Raised when the ``draw`` function of an interactive figure fails for some control values."""


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
