"""The training loop: ``fit`` runs epochs of mini-batches; ``evaluate`` and ``predict`` use a model.

One training step is exactly what the lectures write in pseudocode::

    for xb, yb in loader:                    # one epoch
        model.zero_grad()
        loss = loss_fn(model(xb), yb)        # forward
        model.backward(loss_fn.backward())   # backward
        optimizer.step()                     # update

:func:`fit` adds what a real run needs around it: validation after every
epoch, learning-rate schedules, callbacks (e.g.
:class:`~mlcourse.regularization.EarlyStopping`), a progress bar, a clear
error when the loss diverges, and a :class:`History` of the run.

See Also
--------
Chapter 6 (training: data, batches, epochs) writes the loop; chapter 12 uses
:func:`fit` on MNIST end to end.
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from .data import DataLoader
from .module import Module, Parameter, Sequential

__all__ = [
    "TrainingDivergedError",
    "Callback",
    "History",
    "fit",
    "evaluate",
    "accuracy",
    "predict",
    "predict_logits",
    "predict_proba",
    "clip_grad_norm_",
]


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during :func:`fit`.

    Attributes
    ----------
    epoch, batch, step : int
        Where it happened (1-based epoch; 1-based batch within the epoch;
        1-based step counted over the whole run).
    loss : float
        The offending value (NaN or inf), or NaN when an intermediate result
        overflowed before the loss could be computed.
    """

    def __init__(self, message: str, epoch: int, batch: int, step: int, loss: float) -> None:
        super().__init__(message)
        self.epoch, self.batch, self.step, self.loss = epoch, batch, step, loss


class Callback:
    """Base class for objects :func:`fit` calls at fixed points of training.

    Override any of the methods; the defaults do nothing. ``on_epoch_end``
    returns True to stop training after that epoch.
    """

    def on_train_begin(self, model: Module, history: "History") -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, epoch: int, model: Module) -> None:
        """At the start of each epoch (1-based)."""

    def on_batch_end(self, step: int, logs: Mapping[str, float], model: Module) -> None:
        """After each optimizer step; ``logs`` has ``loss`` and ``lr`` of that batch."""

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: Module) -> bool | None:
        """After validation; ``logs`` has this epoch's History entries. Return True to stop."""
        return None

    def on_train_end(self, model: Module, history: "History") -> None:
        """After the last epoch (also after an early stop)."""


class History:
    """What happened during :func:`fit`: one entry per epoch for every quantity.

    Attributes
    ----------
    history : dict of str -> list of float
        ``loss`` (mean training loss over the epoch's batches, measured while
        the weights were changing), ``lr`` (learning rate at the start of the
        epoch), ``epoch_time`` (seconds), each metric (``accuracy``, ...), and
        with validation data ``val_loss`` and ``val_<metric>`` (measured at
        the end of the epoch in evaluation mode). With a regularizer,
        ``penalty`` is its mean value; ``loss`` is the data loss without it,
        so that it compares with ``val_loss``.
    epoch : list of int
        The 1-based epoch numbers.
    batch_loss : list of float
        The loss of every training step (for plots of mini-batch noise).
    batch_lr : list of float
        The learning rate used at every step.

    Entries are also available as attributes and items: ``history.loss``,
    ``history["val_accuracy"]``.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.batch_loss: list[float] = []
        self.batch_lr: list[float] = []

    def append(self, epoch: int, logs: Mapping[str, float]) -> None:
        """Add one epoch's values."""
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        try:
            return self.history[key]
        except KeyError:
            raise KeyError(f"History has no {key!r}; recorded: {sorted(self.history)}") from None

    def __getattr__(self, name: str) -> list[float]:
        history = self.__dict__.get("history", {})
        if name in history:
            return history[name]
        raise AttributeError(f"History has no {name!r}; recorded: {sorted(history)}")

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def keys(self) -> list[str]:
        return list(self.history)

    def best(self, key: str = "val_loss", mode: str | None = None) -> tuple[int, float]:
        """The (1-based epoch, value) of the best entry of ``key``.

        ``mode`` is "min" or "max"; by default "max" for accuracies and "min"
        otherwise.
        """
        values = self[key]
        if not values:
            raise ValueError(f"History.best: {key!r} has no entries yet")
        mode = mode or ("max" if "acc" in key else "min")
        if mode not in ("min", "max"):
            raise ValueError(f"History.best: mode must be 'min' or 'max', got {mode!r}")
        array = np.asarray(values)
        i = int(np.nanargmin(array) if mode == "min" else np.nanargmax(array))
        return self.epoch[i], values[i]

    def plot(self, ax: Any = None, metrics: Sequence[str] | str | None = None) -> list[Any]:
        """Draw training (and validation) curves against the epoch, one panel per quantity.

        Parameters
        ----------
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
            metrics = [k for k in self.history if not k.startswith("val_") and k not in skip]
        elif isinstance(metrics, str):
            metrics = [metrics]
        metrics = list(metrics)
        unknown = [m for m in metrics if m not in self.history and f"val_{m}" not in self.history]
        if unknown or not metrics:
            raise ValueError(f"History.plot: nothing recorded for {unknown or metrics}; "
                             f"recorded: {sorted(self.history)}")
        if ax is None:
            fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.4), squeeze=False)
            axes = list(axes[0])
        else:
            axes = list(np.ravel(ax)) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
            if len(axes) != len(metrics):
                raise ValueError(f"History.plot: got {len(axes)} Axes for {len(metrics)} panels "
                                 f"{metrics}; pass one Axes per panel or choose metrics")
        for axis, name in zip(axes, metrics):
            pretty = name.replace("_", " ")
            if name in self.history:
                axis.plot(self.epoch, self.history[name], marker="o", ms=3,
                          label="training" if name != "lr" else "learning rate")
            if f"val_{name}" in self.history:
                axis.plot(self.epoch, self.history[f"val_{name}"], marker="o", ms=3, label="validation")
            axis.set_xlabel("epoch")
            axis.set_ylabel(pretty)
            axis.set_title(pretty.capitalize() + (" per epoch" if name != "lr" else " schedule"))
            axis.legend()
            if len(self.epoch) <= 20:
                axis.set_xticks(self.epoch)
        return axes

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(empty)"
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if k != "epoch_time")
        return f"History(epochs={len(self.epoch)}, last: {last})"


def _is_module(obj: Any) -> bool:
    return isinstance(obj, Module)


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
    return 0.0 if "logits" in type(loss_fn).__name__.lower() else 0.5


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
    y = np.asarray(y)
    if np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_):
        return True
    return "bce" in type(loss_fn).__name__.lower()


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
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"evaluate: batch_size must be a positive integer, got {batch_size!r}")
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
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"predict: batch_size must be a positive integer, got {batch_size!r}")
    with _evaluation_mode(model):
        return np.concatenate([np.asarray(model(X[index])) for index in _batches(len(X), batch_size)])


def predict_proba(model: Module, X: NDArray, batch_size: int = 1024) -> NDArray:
    """Class probabilities: softmax of the logits (N, C), or sigmoid for one output column.

    Use it for models that output logits (trained with ``CrossEntropyLoss`` or
    ``BCEWithLogitsLoss``).
    """
    z = predict_logits(model, X, batch_size).astype(np.float64)
    if z.ndim == 2 and z.shape[1] > 1:
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)  # (N, C)
        return p / p.sum(axis=1, keepdims=True)
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid, without overflow


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


def clip_grad_norm_(params: Iterable[Parameter], max_norm: float) -> float:
    """Scale gradients in place so that their global L2 norm is at most ``max_norm``.

    Parameters
    ----------
    params : iterable of Parameter
        Frozen ones (``requires_grad=False``) are left out.
    max_norm : float > 0

    Returns
    -------
    float
        The norm before clipping.

    Notes
    -----
    With ``‖g‖ = sqrt(Σ_p Σ g_p²)`` over all parameters, every gradient is
    multiplied by ``min(1, max_norm / (‖g‖ + 1e-6))``, as
    ``torch.nn.utils.clip_grad_norm_`` does: the direction is kept.
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be positive, got {max_norm!r}")
    grads = [p.grad for p in params if p.requires_grad]
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for g in grads:
            g *= scale
    return total


def _first_layer(model: Module) -> Module | None:
    """The layer that receives the training inputs, if it can skip computing dL/d(input).

    Nothing upstream of the first layer needs the gradient with respect to the
    data, so a layer with a ``needs_input_grad`` flag (set to True) may be
    told to skip it; for the first layer of an MLP on MNIST that saves one of
    the largest matrix products of the backward pass.
    """
    first = model
    while isinstance(first, Sequential) and len(first) > 0:
        first = first[0]
    return first if getattr(first, "needs_input_grad", None) is True else None


def _current_lr(optimizer: Any) -> float:
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return float(groups[0]["lr"])
    return float(getattr(optimizer, "lr", float("nan")))


def _want_progress(progress: Any) -> bool:
    if progress is True or progress is False:
        return progress
    if progress != "auto":
        raise ValueError(f"fit: progress must be True, False or 'auto', got {progress!r}")
    if "ipykernel" in sys.modules:
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
                return True
        except ImportError:  # pragma: no cover
            pass
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def _diverged(epoch: int, epochs: int, batch: int, n_batches: int, step: int, loss: float,
              lr: float, cause: str) -> TrainingDivergedError:
    return TrainingDivergedError(
        f"training diverged at epoch {epoch}/{epochs}, batch {batch}/{n_batches} (step {step}): "
        f"{cause}. The learning rate ({lr:g}) is probably too large: try a smaller one "
        f"(e.g. {lr / 10:g}), or standardise the inputs, or clip gradients (grad_clip=...)",
        epoch, batch, step, loss,
    )


def fit(
    model: Module,
    loss_fn: Any,
    optimizer: Any,
    train_data: DataLoader | tuple[NDArray, NDArray],
    epochs: int = 1,
    *,
    val_data: DataLoader | tuple[NDArray, NDArray] | None = None,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = 0,
    scheduler: Any = None,
    scheduler_step: str = "epoch",
    callbacks: Iterable[Any] = (),
    metrics: Any = None,
    regularizer: Callable[[Module], float] | None = None,
    grad_clip: float | None = None,
    progress: bool | str = "auto",
    history: History | None = None,
) -> History:
    """Train ``model`` for a number of epochs of mini-batch gradient descent.

    Parameters
    ----------
    model : Module
    loss_fn : loss module
        Called as ``loss_fn(outputs, yb)`` (a batch mean); ``loss_fn.backward()``
        returns dL/d(outputs).
    optimizer : Optimizer
        Must hold ``model``'s parameters; its ``step()`` is called once per batch.
    train_data : DataLoader or (X, y)
        A tuple is batched with ``batch_size`` (default 32) and reshuffled
        every epoch by a generator seeded with ``seed``.
    epochs : int, default 1
    val_data : DataLoader or (X, y), optional
        Evaluated after every epoch in evaluation mode (``val_loss``,
        ``val_<metric>``).
    batch_size : int, optional
        Only with a tuple ``train_data``.
    shuffle : bool, default True
        Only with a tuple ``train_data``.
    seed : int, Generator or None, default 0
        Only with a tuple ``train_data``: the shuffling generator.
    scheduler : learning-rate schedule, optional
        Its ``step()`` is called after every epoch or every batch.
    scheduler_step : {"epoch", "batch"}, default "epoch"
    callbacks : iterable of Callback
        E.g. ``[EarlyStopping(patience=3)]``.
    metrics : "accuracy", callables ``f(outputs, y) -> float``, or None
        None means accuracy for classification targets (integer labels, or
        the 0/1 targets of a BCE loss) and nothing for regression.
    regularizer : callable, optional
        ``regularizer(model) -> penalty`` is called after each backward pass;
        it must add its own gradient into the parameters' ``.grad``, as
        ``lambda m: l2_penalty(m, 1e-4)`` does. Its mean value per epoch is
        recorded as ``penalty``.
    grad_clip : float, optional
        Clip the global gradient norm to this value before each step
        (:func:`clip_grad_norm_`).
    progress : bool or "auto", default "auto"
        A tqdm progress bar over all batches of the run, with the epoch and
        the latest loss and accuracy (the notebook widget in Jupyter, text in
        a terminal). "auto" shows it in Jupyter and in an interactive
        terminal; False prints nothing.
    history : History, optional
        Continue this History (epochs are numbered on from it).

    Returns
    -------
    History
        Per-epoch ``loss``, metrics, ``val_*``, ``lr`` and ``epoch_time``.

    Raises
    ------
    TrainingDivergedError
        (a FloatingPointError) when the loss becomes NaN or infinite; the
        message names the epoch and step and suggests a smaller learning rate.

    Notes
    -----
    Each step: ``model.zero_grad()``; ``out = model(xb)``;
    ``loss = loss_fn(out, yb)``; ``model.backward(loss_fn.backward())``;
    the regularizer; gradient clipping; ``optimizer.step()``; a per-batch
    schedule step. The model is in training mode during the epoch and in
    evaluation mode only while validating.

    No one needs the gradient with respect to the training inputs, so when
    the first layer of the model has a ``needs_input_grad`` flag, it is set
    to False during ``fit`` (and back to True afterwards): that layer then
    skips computing dL/dX.

    Examples
    --------
    >>> history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05, momentum=0.9),
    ...               (x_train, y_train), epochs=5, batch_size=128, val_data=(x_val, y_val))
    >>> history.plot()
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    if not _is_module(model):
        raise TypeError(f"fit: model must be an mlcourse Module, got {type(model).__name__}")
    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"fit: scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
    if grad_clip is not None and not grad_clip > 0:
        raise ValueError(f"fit: grad_clip must be a positive number or None, got {grad_clip!r}")
    if isinstance(train_data, DataLoader):
        if batch_size is not None:
            raise ValueError("fit: batch_size applies to (X, y) data only; the DataLoader has its "
                             f"own batch_size ({train_data.batch_size})")
        loader = train_data
    else:
        X, y = _as_arrays(train_data, "fit(train_data)")
        loader = DataLoader(X, y, batch_size=32 if batch_size is None else batch_size,
                            shuffle=shuffle, rng=seed)
    val_arrays = None if val_data is None else _as_arrays(val_data, "fit(val_data)")
    val_batch = val_data.batch_size if isinstance(val_data, DataLoader) else 1024
    metric_fns = _resolve_metrics(metrics, loader.y, loss_fn)
    callbacks = list(callbacks)
    history = History() if history is None else history
    params = model.parameters()
    trainable = [p for p in params if p.requires_grad]

    n_batches = len(loader)
    first_epoch = (history.epoch[-1] if history.epoch else 0) + 1
    last_epoch = first_epoch + int(epochs) - 1
    step = len(history.batch_loss)
    for cb in callbacks:
        if hasattr(cb, "on_train_begin"):
            cb.on_train_begin(model, history)
    bar = None
    if epochs > 0 and _want_progress(progress):
        from tqdm.auto import tqdm

        bar = tqdm(total=int(epochs) * n_batches, unit="batch", leave=True)
    postfix_every = max(1, n_batches // 10)
    first = _first_layer(model)
    if first is not None:
        first.needs_input_grad = False
    try:
        for epoch in range(first_epoch, last_epoch + 1):
            model.train()
            for cb in callbacks:
                if hasattr(cb, "on_epoch_begin"):
                    cb.on_epoch_begin(epoch, model)
            if bar is not None:
                bar.set_description(f"epoch {epoch}/{last_epoch}", refresh=False)
            start = time.perf_counter()
            epoch_lr = _current_lr(optimizer)
            seen = 0
            loss_sum = penalty_sum = 0.0
            metric_sums = [0.0] * len(metric_fns)
            for batch, (xb, yb) in enumerate(loader, start=1):
                step += 1
                lr = _current_lr(optimizer)
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    for p in params:  # model.zero_grad(), without walking the modules every step
                        p.grad.fill(0)
                    try:
                        out = model(xb)
                        loss = float(loss_fn(out, yb))
                    except FloatingPointError as exc:
                        raise _diverged(epoch, last_epoch, batch, n_batches, step, float("nan"), lr,
                                        f"non-finite values in the forward pass ({exc})") from exc
                    if not math.isfinite(loss):
                        raise _diverged(epoch, last_epoch, batch, n_batches, step, loss, lr,
                                        f"the loss is {loss}")
                    model.backward(loss_fn.backward())
                    if regularizer is not None:
                        penalty_sum += len(xb) * float(regularizer(model))
                    if grad_clip is not None:
                        clip_grad_norm_(trainable, grad_clip)
                    optimizer.step()
                n = len(xb)
                seen += n
                loss_sum += n * loss
                for i, (_, fn) in enumerate(metric_fns):
                    metric_sums[i] += n * float(fn(out, yb))
                history.batch_loss.append(loss)
                history.batch_lr.append(lr)
                if scheduler is not None and scheduler_step == "batch":
                    scheduler.step()
                for cb in callbacks:
                    if hasattr(cb, "on_batch_end"):
                        cb.on_batch_end(step, {"loss": loss, "lr": lr}, model)
                if bar is not None:
                    bar.update(1)
                    if batch % postfix_every == 0:
                        post = {"loss": f"{loss_sum / seen:.4f}"}
                        if metric_fns:
                            post[metric_fns[0][0][:3]] = f"{metric_sums[0] / seen:.4f}"
                        bar.set_postfix(post, refresh=False)
            if scheduler is not None and scheduler_step == "epoch":
                scheduler.step()

            logs: dict[str, float] = {"loss": loss_sum / seen}
            for (name, _), total in zip(metric_fns, metric_sums):
                logs[name] = total / seen
            if regularizer is not None:
                logs["penalty"] = penalty_sum / seen
            if val_arrays is not None:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    val = _run_eval(model, loss_fn, val_arrays[0], val_arrays[1], val_batch, metric_fns)
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["lr"] = epoch_lr
            logs["epoch_time"] = time.perf_counter() - start
            history.append(epoch, logs)
            if bar is not None:
                shown = {k: f"{v:.4f}" for k, v in logs.items() if k not in ("lr", "epoch_time")}
                bar.set_postfix(shown, refresh=True)
            stop = False
            for cb in callbacks:
                if hasattr(cb, "on_epoch_end") and cb.on_epoch_end(epoch, dict(logs), model):
                    stop = True
            if stop:
                break
    finally:
        if first is not None:
            first.needs_input_grad = True
        if bar is not None:
            bar.close()
    for cb in callbacks:
        if hasattr(cb, "on_train_end"):
            cb.on_train_end(model, history)
    return history
