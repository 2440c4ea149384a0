"""The live form of an interactive figure: an ipywidget redrawn on every change, plus the static frames.

See Also
--------
:mod:`mlcourse.widgets`.
"""

from __future__ import annotations

import html
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from .controls import Control, Dropdown, IntSlider, Slider, _check_controls
from .frames import (
    LIVE_DPI,
    WidgetDrawError,
    _draw_into,
    _new_figure,
    _png,
    compute_frames,
)
from .static import static_html

__all__ = ['InteractiveFigure', 'interactive_figure']


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
