"""The base class of the learning-rate schedules, ``LambdaLR`` and ``lr_curve`` for plots.

See Also
--------
Chapter 8 (learning-rate schedules).
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from ..validation import check_int, check_number

__all__ = ['LRScheduler', 'LambdaLR', 'lr_curve']


class LRScheduler:
    """Base class of the learning-rate schedules.

    Parameters
    ----------
    optimizer : Optimizer
        Any object with ``param_groups``, a list of dicts with an ``"lr"``
        entry (e.g. :class:`mlcourse.optim.SGD`).
    last_epoch : int, default -1
        The index of the last step taken. Leave at -1 to start a new
        schedule; pass a step index to resume one (the groups must then
        already have ``"initial_lr"``).

    Attributes
    ----------
    optimizer : Optimizer
    base_lrs : list of float
        The base learning rate η₀ of each parameter group.
    last_epoch : int
        The number of :meth:`step` calls since construction (0 right after it).

    Notes
    -----
    Sub-classes implement :meth:`get_lr`, the learning rate of each group at
    step ``last_epoch`` as a function of ``base_lrs`` and ``last_epoch``.
    """

    def __init__(self, optimizer: Any, last_epoch: int = -1) -> None:
        name = type(self).__name__
        groups = getattr(optimizer, "param_groups", None)
        if not isinstance(groups, list) or not all(isinstance(g, dict) and "lr" in g for g in groups):
            raise TypeError(
                f"{name}: expected an optimizer with param_groups (e.g. mlcourse.optim.SGD), "
                f"got {type(optimizer).__name__}"
            )
        if (isinstance(last_epoch, bool) or not isinstance(last_epoch, (int, np.integer))
                or last_epoch < -1):
            raise ValueError(f"{name}: last_epoch must be an integer >= -1, got {last_epoch!r}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: param_groups[{i}] has no 'initial_lr', needed to resume a schedule "
                        f"at last_epoch={last_epoch}; start a new schedule with last_epoch=-1"
                    )
        self.base_lrs: list[float] = [float(group["initial_lr"]) for group in groups]
        self.last_epoch = int(last_epoch)
        self._last_lr: list[float] = []
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each parameter group at step ``last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def step(self) -> None:
        """Advance by one step (an epoch or a batch) and set the new learning rates."""
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _set_lrs(self, lrs: Sequence[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = float(lr)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _restart(self) -> None:
        """Start again at step 0 (used by :class:`SequentialLR`)."""
        self.last_epoch = -1
        self.step()

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last :meth:`step` (one per parameter group)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (enough to resume the schedule)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by :meth:`state_dict`."""
        self.__dict__.update(copy.deepcopy(state_dict))

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        return f"{type(self).__name__}({extra + ', ' if extra else ''}last_epoch={self.last_epoch})"


class LambdaLR(LRScheduler):
    """Learning rate ``η₀ · f(k)`` for a user-supplied factor function ``f``.

    Parameters
    ----------
    optimizer : Optimizer
    lr_lambda : callable or list of callables
        ``f(k) -> float`` for step ``k``; one per parameter group or one for all.
    last_epoch : int, default -1
    """

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        n = len(getattr(optimizer, "param_groups", []))
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * n
        else:
            self.lr_lambdas = list(lr_lambda)
            if len(self.lr_lambdas) != n or not all(callable(f) for f in self.lr_lambdas):
                raise ValueError(
                    f"LambdaLR: expected one callable or {n} callables (one per parameter group), "
                    f"got {lr_lambda!r}"
                )
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]


class _LRProbe:
    """A stand-in optimizer holding only hyper-parameters, for :func:`lr_curve`."""

    def __init__(self, param_groups: list[dict[str, Any]]) -> None:
        self.param_groups = param_groups
        self.defaults = {"lr": param_groups[0]["lr"]} if param_groups else {}


def lr_curve(schedule: LRScheduler | Callable[[Any], LRScheduler], steps: int, lr: float = 0.1,
             group: int | None = 0) -> NDArray[np.float64]:
    """The learning rate a schedule gives at steps ``0, 1, ..., steps - 1``.

    Parameters
    ----------
    schedule : LRScheduler or callable
        Either a schedule (it is copied, together with a stand-in for its
        optimizer, so neither it nor the real optimizer changes), or a factory
        ``f(optimizer) -> LRScheduler`` such as
        ``lambda opt: StepLR(opt, step_size=30)``, called with a stand-in
        optimizer of one group with learning rate ``lr``.
    steps : int
        Number of values (> 0).
    lr : float, default 0.1
        Base learning rate for a factory.
    group : int or None, default 0
        Which parameter group to return; None returns all of them.

    Returns
    -------
    ndarray of shape (steps,), or (steps, n_groups) when ``group`` is None
        Entry ``k`` is the learning rate used after ``k`` calls of ``step()``.

    Examples
    --------
    >>> lr_curve(lambda opt: StepLR(opt, step_size=2, gamma=0.5), 5, lr=1.0)
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])
    """
    steps = check_int(steps, "lr_curve", "steps")
    if isinstance(schedule, LRScheduler):
        source = schedule.optimizer
        probe = _LRProbe([{k: v for k, v in g.items() if k != "params"} for g in source.param_groups])
        sched = copy.deepcopy(schedule, memo={id(source): probe})
    elif callable(schedule):
        lr = check_number(lr, "lr_curve", "lr", low=0.0)
        sched = schedule(_LRProbe([{"lr": lr}]))
        if not isinstance(sched, LRScheduler):
            raise TypeError(
                f"lr_curve: the factory must return an LRScheduler, got {type(sched).__name__}"
            )
    else:
        raise TypeError(
            "lr_curve: expected an LRScheduler or a factory f(optimizer) -> LRScheduler, "
            f"got {type(schedule).__name__}"
        )
    n_groups = len(sched.optimizer.param_groups)
    out = np.empty((steps, n_groups), dtype=np.float64)
    out[0] = sched.get_last_lr()
    for k in range(1, steps):
        sched.step()
        out[k] = sched.get_last_lr()
    if group is None:
        return out
    if not -n_groups <= group < n_groups:
        raise ValueError(f"lr_curve: group must be in [0, {n_groups}), got {group}")
    return out[:, group]
