"""The record of a training run: one entry per epoch for every quantity.

See Also
--------
Chapter 6 (the training loop); :func:`mlcourse.plotting.plot_history` draws it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["History"]


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

        See :func:`mlcourse.plotting.plot_history`, which this calls.
        """
        from .plotting import plot_history

        return plot_history(self, ax=ax, metrics=metrics)

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(empty)"
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if k != "epoch_time")
        return f"History(epochs={len(self.epoch)}, last: {last})"
