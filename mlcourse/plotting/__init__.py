"""Figures of the course: one style and the plots every chapter reuses.

Call :func:`use_style` once at the top of a notebook; afterwards every figure
has the same size, fonts, grid and colour-blind-safe colour cycle. The helpers
below label their axes, title and legend, and return the Matplotlib object
they drew into, so a caller can add to it. Matplotlib is imported inside the
functions only: ``import mlcourse`` does not load it.

See Also
--------
mlcourse.widgets : the same figures made interactive (sliders, drop-downs).
"""

from __future__ import annotations

from .classification import (
    confusion_matrix,
    plot_confusion_matrix,
    plot_decision_boundary,
    show_digits,
)
from .curves import (
    plot_contours,
    plot_curves,
    plot_function_and_derivative,
    plot_history,
    plot_trajectory,
)
from .style import COLORS, style_path, use_style

__all__ = ['COLORS', 'confusion_matrix', 'plot_confusion_matrix', 'plot_contours', 'plot_curves', 'plot_decision_boundary', 'plot_function_and_derivative', 'plot_history', 'plot_trajectory', 'show_digits', 'style_path', 'use_style']
