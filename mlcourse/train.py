"""The training loop: ``fit`` runs epochs of mini-batches and records a :class:`History`.

One training step is exactly what the lectures write in pseudocode::

    for xb, yb in loader:                    # one epoch
        model.zero_grad()
        loss = loss_fn(model(xb), yb)        # forward
        model.backward(loss_fn.backward())   # backward
        optimizer.step()                     # update

:func:`fit` adds what a real run needs around it: validation after every
epoch, learning-rate schedules, callbacks (e.g.
:class:`~mlcourse.callbacks.EarlyStopping`), a progress bar, a clear
error when the loss diverges, and a :class:`~mlcourse.history.History` of
the run. Evaluating and predicting with a trained model are in
:mod:`mlcourse.metrics` (also importable from here).

See Also
--------
Chapter 6 (training: data, batches, epochs) writes the loop; chapter 12 uses
:func:`fit` on MNIST end to end.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .callbacks import Callback
from .data import DataLoader
from .history import History
from .metrics import (
    _as_arrays,
    _resolve_metrics,
    _run_eval,
    accuracy,
    evaluate,
    predict,
    predict_logits,
    predict_proba,
)
from .module import Module, Parameter
from .validation import check_choice, check_int, check_number

__all__ = [
    "Callback",
    "History",
    "TrainingDivergedError",
    "accuracy",
    "clip_grad_norm_",
    "evaluate",
    "fit",
    "predict",
    "predict_logits",
    "predict_proba",
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


@dataclass
class _Run:
    """What one call of :func:`fit` carries from batch to batch."""

    model: Module
    loss_fn: Any
    optimizer: Any
    loader: DataLoader
    metric_fns: Sequence[tuple[str, Callable[..., float]]]
    callbacks: list[Callback]
    history: History
    scheduler: Any
    scheduler_step: str
    regularizer: Callable[[Module], float] | None
    grad_clip: float | None
    trainable: list[Parameter]
    last_epoch: int
    step: int
    bar: Any = None
    postfix_every: int = 1


def _train_step(run: _Run, epoch: int, batch: int, xb: NDArray, yb: NDArray,
                lr: float) -> tuple[float, NDArray, float]:
    """One step: zero_grad, forward, loss, backward, regularizer, clipping, update.

    Returns the loss, the model's output and the regularizer's penalty (0 without one).
    """
    n_batches = len(run.loader)
    penalty = 0.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        run.model.zero_grad()
        try:
            out = run.model(xb)
            loss = float(run.loss_fn(out, yb))
        except FloatingPointError as exc:
            raise _diverged(epoch, run.last_epoch, batch, n_batches, run.step, float("nan"), lr,
                            f"non-finite values in the forward pass ({exc})") from exc
        if not math.isfinite(loss):
            raise _diverged(epoch, run.last_epoch, batch, n_batches, run.step, loss, lr,
                            f"the loss is {loss}")
        run.model.backward(run.loss_fn.backward())
        if run.regularizer is not None:
            penalty = float(run.regularizer(run.model))
        if run.grad_clip is not None:
            clip_grad_norm_(run.trainable, run.grad_clip)
        run.optimizer.step()
    return loss, out, penalty


def _train_epoch(run: _Run, epoch: int) -> dict[str, float]:
    """One pass over the training data; returns the epoch's mean loss, metrics and penalty."""
    seen = 0
    loss_sum = penalty_sum = 0.0
    metric_sums = [0.0] * len(run.metric_fns)
    for batch, (xb, yb) in enumerate(run.loader, start=1):
        run.step += 1
        lr = _current_lr(run.optimizer)
        loss, out, penalty = _train_step(run, epoch, batch, xb, yb, lr)
        n = len(xb)
        seen += n
        loss_sum += n * loss
        penalty_sum += n * penalty
        for i, (_, fn) in enumerate(run.metric_fns):
            metric_sums[i] += n * float(fn(out, yb))
        run.history.batch_loss.append(loss)
        run.history.batch_lr.append(lr)
        if run.scheduler is not None and run.scheduler_step == "batch":
            run.scheduler.step()
        for cb in run.callbacks:
            cb.on_batch_end(run.step, {"loss": loss, "lr": lr}, run.model)
        if run.bar is not None:
            run.bar.update(1)
            if batch % run.postfix_every == 0:
                post = {"loss": f"{loss_sum / seen:.4f}"}
                if run.metric_fns:
                    post[run.metric_fns[0][0][:3]] = f"{metric_sums[0] / seen:.4f}"
                run.bar.set_postfix(post, refresh=False)
    logs: dict[str, float] = {"loss": loss_sum / seen}
    for (name, _), total in zip(run.metric_fns, metric_sums):
        logs[name] = total / seen
    if run.regularizer is not None:
        logs["penalty"] = penalty_sum / seen
    return logs


def _as_callbacks(callbacks: Iterable[Any]) -> list[Callback]:
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be mlcourse.callbacks.Callback instances (subclass "
                            f"Callback and override what you need); item {i} is "
                            f"{type(cb).__name__}")
    return callbacks


def _training_loader(train_data: Any, batch_size: int | None, shuffle: bool,
                     seed: int | np.random.Generator | None) -> DataLoader:
    if isinstance(train_data, DataLoader):
        if batch_size is not None:
            raise ValueError("fit: batch_size applies to (X, y) data only; the DataLoader has its "
                             f"own batch_size ({train_data.batch_size})")
        return train_data
    X, y = _as_arrays(train_data, "fit(train_data)")
    return DataLoader(X, y, batch_size=32 if batch_size is None else batch_size, shuffle=shuffle,
                      rng=seed)


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
    evaluation mode only while validating. ``fit`` never changes the model
    otherwise: to skip the unused gradient with respect to the training
    inputs, build the first layer with ``Linear(..., input_grad=False)``.

    Classification is recognised from integer labels or from the loss's
    ``classification`` attribute; a loss with ``takes_logits`` classifies a
    single output column by its sign (see :class:`mlcourse.losses.Loss`).

    Examples
    --------
    >>> history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05, momentum=0.9),
    ...               (x_train, y_train), epochs=5, batch_size=128, val_data=(x_val, y_val))
    >>> history.plot()
    """
    check_int(epochs, "fit", "epochs", low=0)
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an mlcourse Module, got {type(model).__name__}")
    check_choice(scheduler_step, "fit", "scheduler_step", ("epoch", "batch"))
    if grad_clip is not None:
        check_number(grad_clip, "fit", "grad_clip", low=0.0, low_open=True)
    loader = _training_loader(train_data, batch_size, shuffle, seed)
    val_arrays = None if val_data is None else _as_arrays(val_data, "fit(val_data)")
    val_batch = val_data.batch_size if isinstance(val_data, DataLoader) else 1024
    history = History() if history is None else history
    first_epoch = (history.epoch[-1] if history.epoch else 0) + 1
    run = _Run(
        model=model, loss_fn=loss_fn, optimizer=optimizer, loader=loader,
        metric_fns=_resolve_metrics(metrics, loader.y, loss_fn), callbacks=_as_callbacks(callbacks),
        history=history, scheduler=scheduler, scheduler_step=scheduler_step,
        regularizer=regularizer, grad_clip=grad_clip,
        trainable=[p for p in model.parameters() if p.requires_grad],
        last_epoch=first_epoch + int(epochs) - 1, step=len(history.batch_loss),
        postfix_every=max(1, len(loader) // 10),
    )
    for cb in run.callbacks:
        cb.on_train_begin(model, history)
    if epochs > 0 and _want_progress(progress):
        from tqdm.auto import tqdm

        run.bar = tqdm(total=int(epochs) * len(loader), unit="batch", leave=True)
    try:
        for epoch in range(first_epoch, run.last_epoch + 1):
            model.train()
            for cb in run.callbacks:
                cb.on_epoch_begin(epoch, model)
            if run.bar is not None:
                run.bar.set_description(f"epoch {epoch}/{run.last_epoch}", refresh=False)
            start = time.perf_counter()
            epoch_lr = _current_lr(optimizer)
            logs = _train_epoch(run, epoch)
            if scheduler is not None and scheduler_step == "epoch":
                scheduler.step()
            if val_arrays is not None:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    val = _run_eval(model, loss_fn, val_arrays[0], val_arrays[1], val_batch,
                                    run.metric_fns)
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["lr"] = epoch_lr
            logs["epoch_time"] = time.perf_counter() - start
            history.append(epoch, logs)
            if run.bar is not None:
                shown = {k: f"{v:.4f}" for k, v in logs.items() if k not in ("lr", "epoch_time")}
                run.bar.set_postfix(shown, refresh=True)
            stops = [bool(cb.on_epoch_end(epoch, dict(logs), model)) for cb in run.callbacks]
            if any(stops):
                break
    finally:
        if run.bar is not None:
            run.bar.close()
    for cb in run.callbacks:
        cb.on_train_end(model, history)
    return history
