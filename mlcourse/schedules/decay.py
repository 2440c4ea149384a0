"""Decaying schedules: step, multi-step, exponential and 1/t decay.

See Also
--------
Chapter 8 (learning-rate schedules).
"""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Any, Iterable

import numpy as np

from ..validation import check_int, check_number
from .base import LRScheduler

__all__ = ['ExponentialLR', 'InverseTimeLR', 'MultiStepLR', 'StepLR']


class StepLR(LRScheduler):
    """Step decay: multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Period T of the decay (> 0).
    gamma : float, default 0.1
        Factor (>= 0) applied at each period.
    last_epoch : int, default -1

    Notes
    -----
    .. math:: \\eta_k = \\eta_0\\, \\gamma^{\\lfloor k / T \\rfloor}

    The lectures' "divide by 10 every T epochs" is ``gamma=0.1``.
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = check_int(step_size, "StepLR", "step_size")
        self.gamma = check_number(gamma, "StepLR", "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.gamma ** (self.last_epoch // self.step_size)
        return [base * factor for base in self.base_lrs]

    def extra_repr(self) -> str:
        return f"step_size={self.step_size}, gamma={self.gamma}"


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone step.

    Parameters
    ----------
    optimizer : Optimizer
    milestones : iterable of int
        Steps at which the learning rate drops (non-negative; a step listed
        twice drops it twice).
    gamma : float, default 0.1
    last_epoch : int, default -1

    Notes
    -----
    .. math:: \\eta_k = \\eta_0\\, \\gamma^{\\#\\{m \\in \\text{milestones} : m \\le k\\}}
    """

    def __init__(self, optimizer: Any, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        try:
            ms = list(milestones)
        except TypeError:
            raise ValueError(
                f"MultiStepLR: milestones must be a list of integers, got {milestones!r}"
            ) from None
        for m in ms:
            if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0:
                raise ValueError(f"MultiStepLR: milestones must be non-negative integers, got {ms!r}")
        self.milestones = Counter(int(m) for m in ms)
        self._sorted_milestones = sorted(self.milestones.elements())
        self.gamma = check_number(gamma, "MultiStepLR", "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.gamma ** bisect.bisect_right(self._sorted_milestones, self.last_epoch)
        return [base * factor for base in self.base_lrs]

    def extra_repr(self) -> str:
        return f"milestones={self._sorted_milestones}, gamma={self.gamma}"


class ExponentialLR(LRScheduler):
    """Exponential decay: multiply the learning rate by ``gamma`` every step.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Factor per step (>= 0), e.g. 0.95.
    last_epoch : int, default -1

    Notes
    -----
    .. math:: \\eta_k = \\eta_0\\, \\gamma^{k}
    """

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_number(gamma, "ExponentialLR", "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.gamma**self.last_epoch
        return [base * factor for base in self.base_lrs]

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}"


class InverseTimeLR(LRScheduler):
    """The lectures' ``1/t`` decay: constant for ``tau`` steps, then ``η₀ τ / k``.

    Parameters
    ----------
    optimizer : Optimizer
    tau : float
        Length τ (> 0) of the constant phase.
    last_epoch : int, default -1

    Notes
    -----
    .. math:: \\eta_k = \\frac{\\eta_0\\, \\tau}{\\max(k, \\tau)}

    A decay proportional to ``1/k`` satisfies the classical stochastic
    approximation conditions ``Σ η_k = ∞``, ``Σ η_k² < ∞`` (Robbins and Monro,
    1951). Not part of PyTorch; it equals ``LambdaLR(opt, lambda k: tau /
    max(k, tau))``.
    """

    def __init__(self, optimizer: Any, tau: float, last_epoch: int = -1) -> None:
        self.tau = check_number(tau, "InverseTimeLR", "tau", low=0.0, low_open=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.tau / max(self.last_epoch, self.tau)
        return [base * factor for base in self.base_lrs]

    def extra_repr(self) -> str:
        return f"tau={self.tau}"
