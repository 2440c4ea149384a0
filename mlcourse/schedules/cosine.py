"""Cosine annealing, and its warm restarts (SGDR).

See Also
--------
Chapter 8 (learning-rate schedules).
"""

from __future__ import annotations

import math
from typing import Any

from ..validation import check_int, check_number
from .base import LRScheduler

__all__ = ['CosineAnnealingLR', 'CosineAnnealingWarmRestarts']


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from η₀ down to ``eta_min`` over ``T_max`` steps (no restarts).

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Half-period of the cosine in steps (> 0).
    eta_min : float, default 0
        The lowest learning rate (>= 0).
    last_epoch : int, default -1

    Notes
    -----
    Loshchilov and Hutter, "SGDR: Stochastic Gradient Descent with Warm
    Restarts" (2016), without the restarts:

    .. math:: \\eta_k = \\eta_{\\min} + \\tfrac12 (\\eta_0 - \\eta_{\\min})
              \\left(1 + \\cos\\frac{\\pi k}{T_{\\max}}\\right)

    Past ``T_max`` the cosine rises again (as in PyTorch); stop the schedule
    at ``T_max`` or use :class:`CosineAnnealingWarmRestarts`. PyTorch computes
    the same values by a recursion; here the closed form is used.
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = check_int(T_max, "CosineAnnealingLR", "T_max")
        self.eta_min = check_number(eta_min, "CosineAnnealingLR", "eta_min", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1.0 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2.0
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def extra_repr(self) -> str:
        return f"T_max={self.T_max}, eta_min={self.eta_min}"


def _cycle_containing(epoch: float, T_0: int, T_mult: int) -> tuple[int, int]:
    """The start and length of the SGDR cycle that contains ``epoch``, in exact integers.

    Cycle n starts at ``T_0 (1 + T_mult + ... + T_mult^(n-1))`` and lasts
    ``T_0 T_mult^n``. Walking the cycles in integers finds every restart
    exactly; the closed form ``n = floor(log_{T_mult}(epoch (T_mult - 1) / T_0 + 1))``
    misses some in floating point (``T_0 = 10, T_mult = 3`` at epoch 1210).
    """
    start, length = 0, T_0
    while start + length <= epoch:
        start += length
        length *= T_mult
    return start, length


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing restarted every ``T_i`` steps, with ``T_i`` growing by ``T_mult``.

    Parameters
    ----------
    optimizer : Optimizer
    T_0 : int
        Length of the first cycle (> 0).
    T_mult : int, default 1
        Each cycle is ``T_mult`` (>= 1) times longer than the previous one.
    eta_min : float, default 0
        The lowest learning rate (>= 0).
    last_epoch : int, default -1

    Notes
    -----
    Loshchilov and Hutter, "SGDR: Stochastic Gradient Descent with Warm
    Restarts" (2016), equation 5:

    .. math:: \\eta = \\eta_{\\min} + \\tfrac12 (\\eta_{\\max} - \\eta_{\\min})
              \\left(1 + \\cos\\frac{\\pi T_{cur}}{T_i}\\right)

    with ``η_max`` the base learning rate, ``T_cur`` the steps since the last
    restart and ``T_i`` the current cycle length: ``T_0, T_0 T_mult,
    T_0 T_mult², ...``. Restarts (``T_cur = 0``, ``η = η_max``) happen at
    ``T_0``, ``T_0 (1 + T_mult)``, ..., e.g. at 10, 30, 70, 150 for ``T_0 = 10,
    T_mult = 2``.

    As in PyTorch, :meth:`step` may be given a (fractional) epoch, e.g.
    ``sched.step(epoch + i / n_batches)`` after each batch, which anneals
    within an epoch and restarts exactly at the cycle boundaries.
    """

    def __init__(self, optimizer: Any, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_0 = check_int(T_0, "CosineAnnealingWarmRestarts", "T_0")
        self.T_mult = check_int(T_mult, "CosineAnnealingWarmRestarts", "T_mult")
        self.eta_min = check_number(eta_min, "CosineAnnealingWarmRestarts", "eta_min", low=0.0)
        self.T_i: int = self.T_0
        self.T_cur: float = float(last_epoch)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1.0 + math.cos(math.pi * self.T_cur / self.T_i)) / 2.0
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance by one step, or jump to a (possibly fractional) ``epoch``."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        else:
            epoch = check_number(epoch, "CosineAnnealingWarmRestarts.step", "epoch", low=0.0)
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    start, self.T_i = _cycle_containing(epoch, self.T_0, self.T_mult)
                    self.T_cur = epoch - start
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())

    def extra_repr(self) -> str:
        return f"T_0={self.T_0}, T_mult={self.T_mult}, eta_min={self.eta_min}"
