"""Callbacks: code that :func:`~mlcourse.train.fit` runs at fixed points of training.

:class:`Callback` is the base class; :class:`EarlyStopping` stops training
when a monitored quantity stops improving and keeps the best weights.

See Also
--------
Chapter 6 (the training loop) and chapter 10 (early stopping as a
regularizer).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import TYPE_CHECKING, Mapping

from numpy.typing import NDArray

from .module import Module
from .validation import check_choice, check_int, check_number

if TYPE_CHECKING:
    from .history import History

__all__ = ["Callback", "EarlyStopping"]


class Callback:
    """Base class for objects :func:`~mlcourse.train.fit` calls at fixed points of training.

    Override any of the methods; the defaults do nothing. ``on_epoch_end``
    returns True to stop training after that epoch.
    """

    def on_train_begin(self, model: Module, history: History) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, epoch: int, model: Module) -> None:
        """At the start of each epoch (1-based)."""

    def on_batch_end(self, step: int, logs: Mapping[str, float], model: Module) -> None:
        """After each optimizer step; ``logs`` has ``loss`` and ``lr`` of that batch."""

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: Module) -> bool | None:
        """After validation; ``logs`` has this epoch's History entries. Return True to stop."""
        return None

    def on_train_end(self, model: Module, history: History) -> None:
        """After the last epoch (also after an early stop)."""


class EarlyStopping(Callback):
    """Stop training when a monitored quantity stops improving, and keep the best weights.

    Parameters
    ----------
    patience : int, default 5
        Epochs without improvement to wait before stopping.
    min_delta : float, default 0.0
        Smallest change that counts as an improvement.
    mode : {"min", "max"}, default "min"
        Whether smaller (a loss) or larger (an accuracy) is better.
    restore_best : bool, default True
        At the end of training, load the weights (the whole ``state_dict``,
        buffers included) of the best epoch back into the model.
    monitor : str, default "val_loss"
        The :class:`~mlcourse.train.History` key to watch.

    Attributes
    ----------
    best : float
        The best value seen.
    best_epoch : int or None
        The (1-based) epoch that gave it: ``history[monitor][best_epoch - 1]``.
    stopped_epoch : int or None
        The epoch after which training stopped, or None if it ran to the end.
    best_state : OrderedDict or None
        A copy of the model's state_dict at the best epoch (the checkpoint).

    Notes
    -----
    With ``mode="min"``, epoch t improves when ``value_t < best − min_delta``;
    training stops after ``patience`` consecutive epochs without improvement.
    Outside :func:`~mlcourse.train.fit`, call :meth:`update` once per epoch
    and :meth:`restore` at the end.

    Examples
    --------
    >>> stopper = EarlyStopping(patience=3)
    >>> history = fit(model, loss_fn, opt, (X, y), epochs=100, val_data=(Xv, yv),
    ...               callbacks=[stopper])
    >>> stopper.best_epoch
    """

    def __init__(
        self,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best: bool = True,
        monitor: str = "val_loss",
    ) -> None:
        self.patience = check_int(patience, "EarlyStopping", "patience", low=0)
        self.min_delta = check_number(min_delta, "EarlyStopping", "min_delta", low=0.0)
        self.mode = check_choice(mode, "EarlyStopping", "mode", ("min", "max"))
        self.restore_best = bool(restore_best)
        self.monitor = monitor
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far (called at the start of each fit)."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_state: OrderedDict[str, NDArray] | None = None
        self.wait = 0
        self._epoch = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def update(self, value: float, model: Module | None = None, epoch: int | None = None) -> bool:
        """Record one epoch's value; return True when training should stop.

        Parameters
        ----------
        value : float
            The monitored quantity this epoch.
        model : Module, optional
            When given, its state_dict is copied at each new best.
        epoch : int, optional
            1-based epoch number (counted automatically otherwise).
        """
        self._epoch = self._epoch + 1 if epoch is None else int(epoch)
        value = float(value)
        if math.isnan(value):
            raise FloatingPointError(f"EarlyStopping: {self.monitor} is NaN at epoch {self._epoch}")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, self._epoch, 0
            if model is not None:
                self.best_state = model.state_dict()  # already a copy of every array
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = self._epoch
            return True
        return False

    def restore(self, model: Module) -> bool:
        """Load the best checkpoint into ``model``; returns False when there is none."""
        if self.best_state is None:
            return False
        model.load_state_dict(self.best_state)
        return True

    def on_train_begin(self, model: Module, history: History) -> None:
        self.reset()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: Module) -> bool:
        if self.monitor not in logs:
            hint = " pass val_data to fit, or monitor='loss'" if self.monitor.startswith("val_") else ""
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but fit reports only "
                           f"{sorted(logs)};{hint}")
        return self.update(logs[self.monitor], model, epoch)

    def on_train_end(self, model: Module, history: History) -> None:
        if self.restore_best:
            self.restore(model)

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, mode={self.mode!r}, best_epoch={self.best_epoch})")
