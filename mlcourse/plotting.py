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

from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The Okabe-Ito palette, also the colour cycle of the course style.
COLORS: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)

__all__ = [
    "COLORS",
    "style_path",
    "use_style",
    "plot_curves",
    "plot_decision_boundary",
    "plot_contours",
    "plot_trajectory",
    "show_digits",
    "confusion_matrix",
    "plot_confusion_matrix",
    "plot_function_and_derivative",
]


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


def _class_labels(output: Any, n: int) -> NDArray[np.int64]:
    scores = np.asarray(output)
    if scores.ndim == 2 and scores.shape[1] > 1:
        labels = scores.argmax(axis=1)
    else:
        scores = scores.reshape(-1)
        if scores.dtype.kind == "f" and not np.all(np.equal(np.mod(scores, 1), 0)):
            labels = (scores >= 0.5).astype(np.int64)
        else:
            labels = scores.astype(np.int64)
    if labels.shape != (n,):
        raise ValueError(
            f"plot_decision_boundary: predict_fn must return one label or score row per point; "
            f"for {n} grid points it returned shape {np.asarray(output).shape}"
        )
    return labels


def plot_decision_boundary(
    ax: Axes,
    predict_fn: Callable[[NDArray[np.floating]], ArrayLike],
    X: ArrayLike,
    y: ArrayLike,
    resolution: int = 200,
    title: str | None = None,
    padding: float = 0.5,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
) -> Axes:
    """Shade the regions a 2-D classifier assigns to each class and plot the data on top.

    Parameters
    ----------
    ax : matplotlib Axes
        Axes to draw into.
    predict_fn : callable
        Takes an array of shape (N, 2) and returns class labels of shape (N,),
        class scores of shape (N, K) (the arg-max is taken) or probabilities
        of class 1 of shape (N,) or (N, 1) (thresholded at 0.5).
    X : array of shape (B, 2)
        The data points.
    y : array of shape (B,)
        Their integer class labels.
    resolution : int
        Grid points per axis where ``predict_fn`` is evaluated.
    title : str, optional
        Axes title.
    padding : float
        Margin around the data when ``xlim``/``ylim`` are not given.
    xlim, ylim : pair of float, optional
        Plotting window.

    Returns
    -------
    matplotlib Axes
        The axes drawn into.
    """
    from matplotlib.colors import ListedColormap

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (B, 2), got {X.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"plot_decision_boundary: y must have one label per row of X ({X.shape[0]}), "
            f"got shape {y.shape}"
        )
    if resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be >= 2, got {resolution}")
    x0, x1 = xlim if xlim is not None else (X[:, 0].min() - padding, X[:, 0].max() + padding)
    y0, y1 = ylim if ylim is not None else (X[:, 1].min() - padding, X[:, 1].max() + padding)
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])  # (R*R, 2)
    labels = _class_labels(predict_fn(grid), grid.shape[0]).reshape(gx.shape)
    n_classes = int(max(labels.max(), y.max())) + 1
    cmap = ListedColormap(COLORS[:n_classes])
    ax.contourf(gx, gy, labels, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.22)
    if n_classes > 1:
        ax.contour(gx, gy, labels, levels=np.arange(n_classes - 1) + 0.5, colors="#333333",
                   linewidths=1.0)
    for k in range(n_classes):
        mask = y == k
        if mask.any():
            ax.scatter(X[mask, 0], X[mask, 1], color=COLORS[k], edgecolor="black", linewidth=0.6,
                       s=40, zorder=3, label=f"class {k}")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    _label(ax, "$x_1$", "$x_2$", title)
    ax.legend(loc="best")
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


def show_digits(
    images: ArrayLike,
    labels: ArrayLike | None = None,
    predictions: ArrayLike | None = None,
    ncols: int = 8,
    title: str | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Show a grid of digit images (MNIST), with their labels and predictions.

    Parameters
    ----------
    images : array of shape (N, 784) or (N, 28, 28)
        Flattened or square grey-scale images; any square size works.
    labels : array of shape (N,), optional
        True labels, written above each image.
    predictions : array of shape (N,), optional
        Predicted labels; written as ``pred (true)``, in red when wrong.
    ncols : int
        Images per row.
    title : str, optional
        Figure title.
    fig : matplotlib Figure, optional
        Figure to draw into (for example inside an interactive figure);
        a new one is made when omitted.

    Returns
    -------
    matplotlib Figure
        The figure with one axes per image.
    """
    imgs = np.asarray(images, dtype=np.float64)
    if imgs.ndim == 2:
        side = int(round(np.sqrt(imgs.shape[1])))
        if side * side != imgs.shape[1]:
            raise ValueError(
                f"show_digits: flattened images need a square number of pixels, got {imgs.shape[1]}"
            )
        imgs = imgs.reshape(-1, side, side)
    if imgs.ndim != 3 or imgs.shape[0] == 0:
        raise ValueError(f"show_digits: images must have shape (N, H*W) or (N, H, W), got {imgs.shape}")
    n = imgs.shape[0]
    for name, arr in (("labels", labels), ("predictions", predictions)):
        if arr is not None and np.asarray(arr).reshape(-1).shape[0] != n:
            raise ValueError(
                f"show_digits: {name} must have one entry per image ({n}), "
                f"got shape {np.asarray(arr).shape}"
            )
    if ncols < 1:
        raise ValueError(f"show_digits: ncols must be >= 1, got {ncols}")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(1.1 * ncols, 1.25 * nrows + (0.4 if title else 0.0)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    true = None if labels is None else np.asarray(labels).reshape(-1)
    pred = None if predictions is None else np.asarray(predictions).reshape(-1)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(imgs[i], cmap="gray_r", interpolation="nearest")
        if pred is not None:
            wrong = true is not None and pred[i] != true[i]
            text = f"{pred[i]}" + (f" ({true[i]})" if true is not None else "")
            ax.set_title(text, fontsize=9, color=COLORS[3] if wrong else "black")
        elif true is not None:
            ax.set_title(f"{true[i]}", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> NDArray[np.int64]:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true : array of shape (N,)
        True integer labels in ``0 .. n_classes - 1``.
    y_pred : array of shape (N,)
        Predicted integer labels.
    n_classes : int
        Number of classes K.

    Returns
    -------
    ndarray of shape (K, K), int64
        ``cm[i, j]`` = number of examples of true class i predicted as j; the
        diagonal holds the correct predictions and ``cm.sum() == N``.

    Notes
    -----
    ``cm = sum_n e_{y_n} e_{yhat_n}^T`` with ``e_k`` the k-th unit vector;
    computed with one ``np.bincount`` over the flat index ``K * y + yhat``.
    """
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(
            f"confusion_matrix: y_true and y_pred must be 1-D of equal length, got shapes {t.shape} "
            f"and {p.shape}"
        )
    for name, arr in (("y_true", t), ("y_pred", p)):
        if arr.size and arr.dtype.kind not in "iu":
            raise TypeError(f"confusion_matrix: {name} must hold integer labels, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
            raise ValueError(
                f"confusion_matrix: {name} must lie in 0..{n_classes - 1}, "
                f"got values from {arr.min()} to {arr.max()}"
            )
    flat = n_classes * t.astype(np.int64) + p.astype(np.int64)  # (N,)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def plot_confusion_matrix(
    cm: ArrayLike,
    ax: Axes | None = None,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    title: str | None = None,
) -> Axes:
    """Show a confusion matrix as an image with the count (or share) in each cell.

    Parameters
    ----------
    cm : array of shape (K, K)
        Counts, rows are true classes, columns predicted ones
        (see :func:`confusion_matrix`).
    ax : matplotlib Axes, optional
        Axes to draw into; a new figure is made when omitted.
    class_names : sequence of K str, optional
        Tick labels; ``0 .. K-1`` when omitted.
    normalize : bool
        Divide each row by its sum, so the diagonal shows each class's recall.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib Axes
        The axes drawn into.
    """
    m = np.asarray(cm, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"plot_confusion_matrix: cm must be square (K, K), got shape {m.shape}")
    k = m.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(names) != k:
        raise ValueError(f"plot_confusion_matrix: need {k} class names, got {len(names)}")
    if normalize:
        rows = m.sum(axis=1, keepdims=True)  # (K, 1)
        m = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    ax = _new_axes(ax)
    ax.imshow(m, cmap="Blues")
    ax.grid(False)
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    if k <= 20:
        threshold = m.max() / 2 if m.max() > 0 else 1.0
        for i in range(k):
            for j in range(k):
                text = f"{m[i, j]:.2f}" if normalize else f"{int(m[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7 if k > 10 else 9,
                        color="white" if m[i, j] > threshold else "black")
    _label(ax, "predicted class", "true class",
           title or ("confusion matrix (row-normalised)" if normalize else "confusion matrix"))
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
