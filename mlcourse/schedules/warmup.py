"""Warm-up and chaining: a linear ramp, and schedules one after the other.

See Also
--------
Chapter 8 (learning-rate schedules).
"""

from __future__ import annotations

import bisect
import copy
from typing import Any, Sequence

from ..validation import check_int, check_number
from .base import LRScheduler

__all__ = ['LinearLR', 'SequentialLR']


class LinearLR(LRScheduler):
    """Linear change of the factor from ``start_factor`` to ``end_factor`` over ``total_iters`` steps.

    The usual linear warm-up is ``LinearLR(opt, start_factor=0.01,
    total_iters=warmup_steps)``; chain it into a decay with
    :class:`SequentialLR`.

    Parameters
    ----------
    optimizer : Optimizer
    start_factor : float, default 1/3
        Factor at step 0, in (0, 1].
    end_factor : float, default 1.0
        Factor from step ``total_iters`` on, in [0, 1].
    total_iters : int, default 5
        Length of the ramp (> 0).
    last_epoch : int, default -1

    Notes
    -----
    .. math:: \\eta_k = \\eta_0 \\left(f_s + (f_e - f_s)\\,
              \\frac{\\min(k, K)}{K}\\right)

    Warm-up keeps the first updates small while Adam's moment estimates, or
    batch-normalization statistics, are still unreliable, and lets large
    learning rates be used safely afterwards (Goyal et al. 2017, "Accurate,
    Large Minibatch SGD: Training ImageNet in 1 Hour").
    """

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        self.start_factor = check_number(start_factor, "LinearLR", "start_factor",
                                          low=0.0, high=1.0, low_open=True)
        self.end_factor = check_number(end_factor, "LinearLR", "end_factor", low=0.0, high=1.0)
        self.total_iters = check_int(total_iters, "LinearLR", "total_iters")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base * factor for base in self.base_lrs]

    def extra_repr(self) -> str:
        return (f"start_factor={self.start_factor}, end_factor={self.end_factor}, "
                f"total_iters={self.total_iters}")


class SequentialLR(LRScheduler):
    """Run schedules one after another, switching at the given milestones.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer every schedule in ``schedulers`` was built on.
    schedulers : list of LRScheduler
        ``len(milestones) + 1`` schedules.
    milestones : list of int
        Increasing steps at which the next schedule takes over; it then starts
        from its own step 0.
    last_epoch : int, default -1
        Only -1 (a new schedule); resume a saved one with :meth:`load_state_dict`.

    Notes
    -----
    Linear warm-up into cosine annealing, as in PyTorch::

        warm = LinearLR(opt, start_factor=0.01, total_iters=5)
        cos = CosineAnnealingLR(opt, T_max=95)
        sched = SequentialLR(opt, [warm, cos], milestones=[5])

    gives ``0.01 η₀ → η₀`` over steps 0–5, then the cosine from η₀ (step 5)
    down to 0 (step 100). All schedules share the base learning rate that the
    first one recorded in ``group["initial_lr"]``.
    """

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1) -> None:
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("SequentialLR: expected at least one scheduler, got none")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler):
                raise TypeError(
                    f"SequentialLR: schedulers[{i}] is a {type(s).__name__}, not an LRScheduler"
                )
            if s.optimizer is not optimizer:
                raise ValueError(
                    f"SequentialLR: schedulers[{i}] ({type(s).__name__}) was built on a different "
                    "optimizer; every schedule must wrap the optimizer passed to SequentialLR"
                )
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: expected {len(schedulers) - 1} milestones for {len(schedulers)} "
                f"schedulers, got {len(milestones)}"
            )
        for m in milestones:
            check_int(m, "SequentialLR", "milestones")
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"SequentialLR: milestones must be increasing, got {milestones}")
        if last_epoch != -1:
            raise ValueError(
                f"SequentialLR: last_epoch must be -1 (a new schedule), got {last_epoch!r}; "
                "resume a saved schedule with load_state_dict"
            )
        self._schedulers = schedulers
        self._milestones = milestones
        self.optimizer = optimizer
        self.base_lrs = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self._restart()

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._restart()
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def _restart(self) -> None:
        for group, lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = lr
        self._schedulers[0]._restart()
        self.last_epoch = 0
        self._last_lr = self._schedulers[0].get_last_lr()

    def get_lr(self) -> list[float]:
        return self.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        for s, sd in zip(self._schedulers, state.pop("_schedulers")):
            s.load_state_dict(sd)
        self.__dict__.update(copy.deepcopy(state))

    def extra_repr(self) -> str:
        names = ", ".join(type(s).__name__ for s in self._schedulers)
        return f"[{names}], milestones={self._milestones}"
