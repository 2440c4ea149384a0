"""Using a trained model: accuracy, evaluation in batches and predictions.

See Also
--------
Chapter 6 (training) measures accuracy; chapter 12 evaluates and predicts
on MNIST.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .data import DataLoader
from .functional import sigmoid, softmax
from .module import Module
from .validation import check_int

__all__ = ["accuracy", "evaluate", "predict", "predict_logits", "predict_proba"]


@contextmanager
def _evaluation_mode(model: Module) -> Iterator[None]:
    """Put ``model`` in eval mode and restore every sub-module's own mode afterwards."""
    modes = [(m, m.training) for _, m in model.named_modules()]
    model.eval()
    try:
        yield
    finally:
        for module, mode in modes:
            module.training = mode


def _binary_threshold(loss_fn: Any) -> float:
    """0 for losses on logits (``BCEWithLogitsLoss``), 0.5 for losses on probabilities."""
    return 0.0 if getattr(loss_fn, "takes_logits", False) else 0.5


def accuracy(outputs: NDArray, y: NDArray, threshold: float = 0.5) -> float:
    """Fraction of correctly classified examples.

    Parameters
    ----------
    outputs : ndarray of shape (N, C) or (N,) / (N, 1)
        Scores of C classes (logits or probabilities: the arg-max is the
        same), or one score per example for a binary problem.
    y : ndarray of shape (N,) or (N, C)
        Integer labels, or one-hot / probability rows (arg-max taken).
        Binary problems: labels 0/1 of shape (N,) or (N, 1).
    threshold : float, default 0.5
        Binary problems only: predict class 1 when the score exceeds it. 0.5
        suits probabilities (after a sigmoid); pass 0.0 for logits.

    Returns
    -------
    float in [0, 1]
    """
    outputs, y = np.asarray(outputs), np.asarray(y)
    if outputs.ndim == 0 or len(outputs) != len(y):
        raise ValueError(f"accuracy: outputs and y must have one row per example, got shapes "
                         f"{outputs.shape} and {y.shape}")
    if len(y) == 0:
        raise ValueError("accuracy: no examples")
    binary = outputs.ndim == 1 or (outputs.ndim == 2 and outputs.shape[1] == 1)
    if binary:
        predicted = (outputs.reshape(len(outputs)) > threshold).astype(np.int64)  # (N,)
        labels = y.reshape(len(y)) if y.ndim <= 2 and y.size == len(y) else None
    else:
        predicted = outputs.reshape(len(outputs), -1).argmax(axis=1)  # (N,)
        if y.ndim == 2 and y.shape == outputs.shape:
            labels = y.argmax(axis=1)
        else:
            labels = y if y.ndim == 1 else None
    if labels is None:
        raise ValueError(f"accuracy: labels of shape {y.shape} do not fit outputs of shape "
                         f"{outputs.shape}; expected ({len(y)},) class indices"
                         + ("" if binary else f" or one-hot rows {outputs.shape}"))
    if labels.dtype.kind not in "iub" and not np.all(labels == np.round(labels)):
        raise ValueError("accuracy: y holds non-integer values; accuracy needs class labels "
                         "(for regression, use the loss instead)")
    return np.count_nonzero(predicted == labels) / len(labels)


def _is_classification(y: NDArray, loss_fn: Any) -> bool:
    """Integer or boolean labels, or a loss that declares classification targets (BCE)."""
    if np.asarray(y).dtype.kind in "iub":
        return True
    return bool(getattr(loss_fn, "classification", False))


def _resolve_metrics(metrics: Any, y: NDArray, loss_fn: Any) -> list[tuple[str, Callable[..., float]]]:
    """Turn ``metrics`` into (name, fn(outputs, y) -> float) pairs."""
    if metrics is None:
        metrics = ("accuracy",) if _is_classification(y, loss_fn) else ()
    elif isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    threshold = _binary_threshold(loss_fn)
    resolved = []
    for metric in metrics:
        if metric in ("accuracy", "acc"):
            resolved.append(("accuracy", lambda out, yb, t=threshold: accuracy(out, yb, threshold=t)))
        elif callable(metric):
            resolved.append((getattr(metric, "__name__", "metric"), metric))
        else:
            raise ValueError(f"unknown metric {metric!r}: use 'accuracy' or a callable "
                             "f(outputs, y) -> float")
    names = [name for name, _ in resolved]
    if len(set(names)) != len(names):
        raise ValueError(f"metric names must be unique, got {names}")
    return resolved


def _as_arrays(data: Any, who: str) -> tuple[NDArray, NDArray]:
    if isinstance(data, DataLoader):
        return data.X, data.y
    if isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = np.asarray(data[0]), np.asarray(data[1])
        if len(X) != len(y):
            raise ValueError(f"{who}: X and y must have the same number of examples, got "
                             f"{len(X)} and {len(y)}")
        return X, y
    raise TypeError(f"{who}: expected a DataLoader or a tuple (X, y), got {type(data).__name__}")


def _batches(n: int, batch_size: int) -> Iterator[slice]:
    for start in range(0, n, batch_size):
        yield slice(start, start + batch_size)


def _run_eval(
    model: Module,
    loss_fn: Any,
    X: NDArray,
    y: NDArray | None,
    batch_size: int,
    metric_fns: Sequence[tuple[str, Callable[..., float]]],
) -> dict[str, float]:
    """Example-weighted means of the loss and metrics over ``X`` in batches, in eval mode."""
    check_int(batch_size, "evaluate", "batch_size")
    totals: dict[str, float] = {}
    n = len(X)
    if n == 0:
        raise ValueError("evaluate: no examples")
    with _evaluation_mode(model):
        for index in _batches(n, batch_size):
            xb, yb = X[index], y[index]
            out = model(xb)
            weight = len(xb)
            if loss_fn is not None:
                totals["loss"] = totals.get("loss", 0.0) + weight * float(loss_fn(out, yb))
            for name, fn in metric_fns:
                totals[name] = totals.get(name, 0.0) + weight * float(fn(out, yb))
    return {k: v / n for k, v in totals.items()}


def evaluate(
    model: Module,
    loss_fn: Any,
    X: NDArray,
    y: NDArray,
    batch_size: int = 1024,
    metrics: Any = None,
) -> dict[str, float]:
    """Loss and metrics of ``model`` on a data set, in evaluation mode.

    Parameters
    ----------
    model : Module
    loss_fn : loss module or None
        A batch-mean loss such as :class:`~mlcourse.losses.CrossEntropyLoss`;
        None skips the loss.
    X : ndarray of shape (N, ...)
    y : ndarray of shape (N, ...)
    batch_size : int, default 1024
        Only limits memory; the result does not depend on it (up to rounding).
    metrics : "accuracy", callables, or None
        None computes the accuracy when ``y`` holds class labels (integer
        labels, or the 0/1 targets of a BCE loss).

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ...}``: averages over all N examples.

    Notes
    -----
    The model is switched to evaluation mode (dropout off, BatchNorm running
    statistics) and every sub-module's previous mode is restored afterwards.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"evaluate: X and y must have the same number of examples, got {len(X)} "
                         f"and {len(y)}")
    return _run_eval(model, loss_fn, X, y, batch_size, _resolve_metrics(metrics, y, loss_fn))


def predict_logits(model: Module, X: NDArray, batch_size: int = 1024) -> NDArray:
    """The model's raw outputs for ``X`` (N, ...) in evaluation mode, computed in batches.

    Returns
    -------
    ndarray of shape (N, C)
    """
    X = np.asarray(X)
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(f"predict: expected a batch of inputs of shape (N, ...), got {X.shape}")
    check_int(batch_size, "predict", "batch_size")
    with _evaluation_mode(model):
        return np.concatenate([np.asarray(model(X[index])) for index in _batches(len(X), batch_size)])


def predict_proba(model: Module, X: NDArray, batch_size: int = 1024) -> NDArray:
    """Class probabilities: softmax of the logits (N, C), or sigmoid for one output column.

    Use it for models that output logits (trained with ``CrossEntropyLoss`` or
    ``BCEWithLogitsLoss``).
    """
    z = predict_logits(model, X, batch_size).astype(np.float64)
    if z.ndim == 2 and z.shape[1] > 1:
        return softmax(z, axis=1)  # (N, C)
    return sigmoid(z)


def predict(model: Module, X: NDArray, batch_size: int = 1024, threshold: float = 0.5) -> NDArray[np.int64]:
    """Predicted class indices for ``X``, in evaluation mode.

    Parameters
    ----------
    model : Module
    X : ndarray of shape (N, ...)
    batch_size : int, default 1024
    threshold : float, default 0.5
        Models with one output only: class 1 when the output exceeds it (0.5
        after a sigmoid; pass 0.0 for a model that outputs logits).

    Returns
    -------
    ndarray of shape (N,), int64
        The arg-max over the classes.
    """
    out = predict_logits(model, X, batch_size)
    if out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1):
        return (out.reshape(len(out)) > threshold).astype(np.int64)
    return out.reshape(len(out), -1).argmax(axis=1).astype(np.int64)
