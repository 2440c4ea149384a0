"""Curves: training curves, a function beside its derivative, loss surfaces and optimizer paths.

Matplotlib is imported inside the functions only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The Okabe-Ito palette, also the colour cycle of the course style.
from .style import _label, _new_axes

__all__ = ['plot_contours', 'plot_curves', 'plot_function_and_derivative', 'plot_history', 'plot_trajectory']


def plot_curves(
    curves: Mapping[str, ArrayLike | tuple[ArrayLike, ArrayLike]],
    xlabel: str = "",
    ylabel: str = "",
    title: str = "",
    ax: Axes | None = None,
    logy: bool = False,
) -> Axes:
    """Plot several labelled curves (losses, accuracies, learning rates) on one axes.

    Parameters
    ----------
    curves : mapping of str to array of shape (T,) or to a pair (x, y)
        Legend label -> values. A bare array is plotted against 0, 1, ..., T-1
        (for example one value per epoch); a pair ``(x, y)`` gives the x values.
    xlabel, ylabel, title : str
        Axis labels and title.
    ax : matplotlib Axes, optional
        Axes to draw into; a new figure is made when omitted.
    logy : bool
        Use a logarithmic y axis (losses spanning decades).

    Returns
    -------
    matplotlib Axes
        The axes drawn into.

    Examples
    --------
    >>> ax = plot_curves({"train": [1.0, 0.5, 0.3], "validation": [1.1, 0.7, 0.6]},
    ...                  xlabel="epoch", ylabel="loss")
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError(
            f"plot_curves: curves must be a non-empty dict label -> y or (x, y), got {curves!r:.80}"
        )
    ax = _new_axes(ax)
    for label, data in curves.items():
        if isinstance(data, tuple) and len(data) == 2:
            x, y = np.asarray(data[0]), np.asarray(data[1])
        else:
            y = np.asarray(data)
            x = np.arange(len(y))
        if x.shape != y.shape or y.ndim != 1:
            raise ValueError(
                f"plot_curves: curve {label!r} needs 1-D x and y of equal length, "
                f"got x shape {x.shape} and y shape {y.shape}"
            )
        ax.plot(x, y, label=str(label))
    if logy:
        ax.set_yscale("log")
    _label(ax, xlabel, ylabel, title)
    ax.legend()
    return ax


def plot_contours(
    ax: Axes,
    f: Callable[[NDArray[np.floating], NDArray[np.floating]], ArrayLike],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    levels: int | Sequence[float] = 20,
    log: bool = False,
    resolution: int = 200,
    xlabel: str = "$w_1$",
    ylabel: str = "$w_2$",
    title: str | None = None,
) -> Axes:
    """Draw the contour lines of a function of two variables (a loss surface).

    Parameters
    ----------
    ax : matplotlib Axes
        Axes to draw into.
    f : callable
        ``f(x, y)`` evaluated elementwise on two arrays of shape (R, R), returning
        shape (R, R); write it with NumPy operations, for example
        ``lambda x, y: x**2 + 10 * y**2``.
    xlim, ylim : pair of float
        The window.
    levels : int or sequence of float
        Number of contour levels, or the levels themselves.
    log : bool
        Space the levels geometrically (for surfaces such as Rosenbrock's that
        span several decades); needs positive values of ``f``.
    resolution : int
        Grid points per axis.
    xlabel, ylabel, title : str
        Labels.

    Returns
    -------
    matplotlib Axes
        The axes drawn into.
    """
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    z = np.asarray(f(gx, gy), dtype=np.float64)
    if z.shape != gx.shape:
        raise ValueError(
            f"plot_contours: f(x, y) must return the shape of its inputs {gx.shape}, got {z.shape}; "
            "write f with elementwise NumPy operations"
        )
    if log:
        positive = z[z > 0]
        if positive.size == 0:
            raise ValueError("plot_contours: log=True needs positive values of f in the window")
        if isinstance(levels, int):
            levels = np.geomspace(positive.min(), z.max(), levels)
        from matplotlib.colors import LogNorm

        ax.contour(gx, gy, np.where(z > 0, z, positive.min()), levels=levels,
                   norm=LogNorm(), cmap="viridis", linewidths=0.9)
    else:
        ax.contour(gx, gy, z, levels=levels, cmap="viridis", linewidths=0.9)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.grid(False)
    _label(ax, xlabel, ylabel, title)
    return ax


def plot_trajectory(
    ax: Axes,
    points: ArrayLike,
    label: str | None = None,
    color: str | None = None,
    marker: str = "o",
) -> Axes:
    """Plot an optimizer's path through a 2-D parameter space.

    Parameters
    ----------
    ax : matplotlib Axes
        Axes to draw into (typically after :func:`plot_contours`).
    points : array of shape (T, 2)
        Parameter values after each step, starting point first.
    label : str, optional
        Legend entry (for example the optimizer's name).
    color : str, optional
        Line colour; the next colour of the cycle when omitted.
    marker : str
        Marker at every step.

    Returns
    -------
    matplotlib Axes
        The axes drawn into; the start is a square, the end a star.
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] == 0:
        raise ValueError(f"plot_trajectory: points must have shape (T, 2) with T >= 1, got {pts.shape}")
    (line,) = ax.plot(pts[:, 0], pts[:, 1], marker=marker, markersize=3, linewidth=1.3,
                      color=color, label=label)
    c = line.get_color()
    ax.plot(pts[0, 0], pts[0, 1], marker="s", color=c, markersize=6, markeredgecolor="black")
    ax.plot(pts[-1, 0], pts[-1, 1], marker="*", color=c, markersize=11, markeredgecolor="black")
    if label:
        ax.legend(loc="best")
    return ax


def plot_function_and_derivative(
    ax: Axes,
    x: ArrayLike,
    f: Callable[[NDArray[np.floating]], ArrayLike] | ArrayLike,
    df: Callable[[NDArray[np.floating]], ArrayLike] | ArrayLike,
    name: str,
) -> Axes:
    """Plot a function and its derivative on shared axes (activation functions).

    Parameters
    ----------
    ax : matplotlib Axes
        Axes to draw into.
    x : array of shape (N,)
        Points where both are evaluated.
    f, df : callable or array of shape (N,)
        The function and its derivative, as callables on ``x`` or as values.
    name : str
        Name used in the legend and title, for example ``"tanh"``.

    Returns
    -------
    matplotlib Axes
        The axes drawn into: ``f`` solid, ``f'`` dashed.
    """
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    fx = np.asarray(f(xs) if callable(f) else f, dtype=np.float64).reshape(-1)
    dfx = np.asarray(df(xs) if callable(df) else df, dtype=np.float64).reshape(-1)
    if fx.shape != xs.shape or dfx.shape != xs.shape:
        raise ValueError(
            f"plot_function_and_derivative: f and df must give one value per x ({xs.shape[0]}), "
            f"got shapes {fx.shape} and {dfx.shape}"
        )
    ax.axhline(0.0, color="#888888", linewidth=0.8)
    ax.axvline(0.0, color="#888888", linewidth=0.8)
    ax.plot(xs, fx, label=f"{name}(x)")
    ax.plot(xs, dfx, linestyle="--", label=f"{name}'(x)")
    _label(ax, "x", None, name)
    ax.legend(loc="best")
    return ax


def plot_history(history: Any, ax: Any = None, metrics: Sequence[str] | str | None = None) -> list[Any]:
    """Draw a training run's curves against the epoch, one panel per quantity.

    Parameters
    ----------
    history : History
        What :func:`mlcourse.train.fit` returned.
    ax : matplotlib Axes or sequence of Axes, optional
        Where to draw; one Axes per panel. A new figure is made otherwise.
    metrics : str or sequence of str, optional
        The panels, e.g. ``["loss", "accuracy", "lr"]``; the validation
        curve ``val_<name>`` is added when recorded. Default: the loss and
        every recorded metric.

    Returns
    -------
    list of Axes
    """
    import matplotlib.pyplot as plt

    if metrics is None:
        skip = {"lr", "epoch_time", "penalty"}
        metrics = [k for k in history.history if not k.startswith("val_") and k not in skip]
    elif isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    unknown = [m for m in metrics if m not in history.history and f"val_{m}" not in history.history]
    if unknown or not metrics:
        raise ValueError(f"plot_history: nothing recorded for {unknown or metrics}; "
                         f"recorded: {sorted(history.history)}")
    if ax is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.4), squeeze=False)
        axes = list(axes[0])
    else:
        axes = list(np.ravel(ax)) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        if len(axes) != len(metrics):
            raise ValueError(f"plot_history: got {len(axes)} Axes for {len(metrics)} panels "
                             f"{metrics}; pass one Axes per panel or choose metrics")
    for axis, name in zip(axes, metrics):
        pretty = name.replace("_", " ")
        if name in history.history:
            axis.plot(history.epoch, history.history[name], marker="o", ms=3,
                      label="training" if name != "lr" else "learning rate")
        if f"val_{name}" in history.history:
            axis.plot(history.epoch, history.history[f"val_{name}"], marker="o", ms=3, label="validation")
        axis.set_xlabel("epoch")
        axis.set_ylabel(pretty)
        axis.set_title(pretty.capitalize() + (" per epoch" if name != "lr" else " schedule"))
        axis.legend()
        if len(history.epoch) <= 20:
            axis.set_xticks(history.epoch)
    return axes
