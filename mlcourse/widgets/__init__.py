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

Layout: :mod:`~mlcourse.widgets.controls` (sliders, drop-downs, the frame
grid), :mod:`~mlcourse.widgets.frames` (drawing the frames),
:mod:`~mlcourse.widgets.static` (the HTML form) and
:mod:`~mlcourse.widgets.live` (the ipywidget and :func:`interactive_figure`).

See Also
--------
mlcourse.plotting : the course style and the plots drawn inside ``draw``.
"""

from __future__ import annotations

from .controls import Control, Dropdown, Fixed, IntSlider, Slider, frame_grid
from .frames import (
    FRAME_COLORS,
    FRAME_DPI,
    LIVE_DPI,
    Frames,
    WidgetDrawError,
    compute_frames,
)
from .live import InteractiveFigure, interactive_figure
from .static import static_html

__all__ = [
    "FRAME_COLORS",
    "FRAME_DPI",
    "LIVE_DPI",
    "Control",
    "Dropdown",
    "Fixed",
    "Frames",
    "IntSlider",
    "InteractiveFigure",
    "Slider",
    "WidgetDrawError",
    "compute_frames",
    "frame_grid",
    "interactive_figure",
    "static_html",
]
