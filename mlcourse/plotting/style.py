"""The course's figure style: one style sheet and a colour-blind-safe colour cycle.

Matplotlib is imported inside the functions only.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The Okabe-Ito palette, also the colour cycle of the course style.

__all__ = ['COLORS', 'style_path', 'use_style']


COLORS: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)

def style_path() -> Path:
    """Return the path of the course's Matplotlib style sheet ``mlcourse.mplstyle``."""
    return Path(str(resources.files("mlcourse").joinpath("mlcourse.mplstyle")))


def use_style() -> None:
    """Apply the course figure style and make notebooks show figures as PNG.

    Sets figure size (6.4 x 4 in), dpi (100), fonts (DejaVu Sans, shipped with
    Matplotlib, so figures look the same on every machine), a light grid and
    the Okabe-Ito colour cycle. Inside IPython it also asks the inline backend
    for PNG output only, so notebooks store one image per figure.

    Examples
    --------
    >>> from mlcourse.plotting import use_style
    >>> use_style()
    """
    import matplotlib.pyplot as plt

    plt.style.use(str(style_path()))
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the course extra
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png")


def _new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots()
    return new_ax


def _label(ax: Axes, xlabel: str | None, ylabel: str | None, title: str | None) -> None:
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
