"""Classifiers at a glance: decision boundaries, digit images and confusion matrices.

Matplotlib is imported inside the functions only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The Okabe-Ito palette, also the colour cycle of the course style.
from .style import COLORS, _label, _new_axes

__all__ = ['confusion_matrix', 'plot_confusion_matrix', 'plot_decision_boundary', 'show_digits']


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
