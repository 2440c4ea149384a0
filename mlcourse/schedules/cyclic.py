"""Cyclical learning rates: triangular and exponential cycles between two bounds.

See Also
--------
Chapter 8 (learning-rate schedules).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..validation import check_int, check_number
from .base import LRScheduler

__all__ = ['CyclicLR']


class CyclicLR(LRScheduler):
    """Cyclical learning rate: a triangle wave between ``base_lr`` and ``max_lr``.

    Parameters
    ----------
    optimizer : Optimizer
    base_lr : float or list of float
        Lower bound (>= 0), per group or for all; replaces the optimizer's lr.
    max_lr : float or list of float
        Upper bound (>= base_lr).
    step_size_up : int, default 2000
        Steps from ``base_lr`` up to ``max_lr`` (> 0). Smith recommends 2–10
        epochs' worth of iterations.
    step_size_down : int, optional
        Steps back down; ``step_size_up`` when omitted.
    mode : {"triangular", "triangular2", "exp_range"}, default "triangular"
        ``"triangular2"`` halves the amplitude every cycle, ``"exp_range"``
        multiplies it by ``gamma**k`` at step ``k``.
    gamma : float, default 1.0
        Factor of ``"exp_range"`` (in (0, 1]).
    last_epoch : int, default -1
        Counts *batches*: call :meth:`step` after every mini-batch.

    Notes
    -----
    Smith, "Cyclical Learning Rates for Training Neural Networks" (WACV 2017).
    With cycle length ``L = up + down``, cycle number ``c = ⌊1 + k / L⌋`` and
    position ``x = 1 + k / L − c ∈ [0, 1)`` in the cycle:

    .. math:: s = \\begin{cases} x / r & x \\le r \\\\ (1 - x) / (1 - r) & x > r \\end{cases},
              \\qquad r = \\frac{\\text{up}}{L},

    .. math:: \\eta_k = \\eta_{\\text{base}} + (\\eta_{\\max} - \\eta_{\\text{base}})\\, s\\,
              \\text{scale},

    with ``scale = 1`` (triangular), ``1 / 2^{c-1}`` (triangular2) or
    ``gamma^k`` (exp_range). These are PyTorch's formulas; unlike PyTorch's
    default (``cycle_momentum=True``), momentum is not cycled.
    """

    _MODES = ("triangular", "triangular2", "exp_range")

    def __init__(self, optimizer: Any, base_lr: float | Sequence[float], max_lr: float | Sequence[float],
                 step_size_up: int = 2000, step_size_down: int | None = None,
                 mode: str = "triangular", gamma: float = 1.0, last_epoch: int = -1) -> None:
        groups = getattr(optimizer, "param_groups", None)
        if not isinstance(groups, list):
            raise TypeError(
                f"CyclicLR: expected an optimizer with param_groups, got {type(optimizer).__name__}"
            )
        base_lrs = self._per_group("base_lr", base_lr, len(groups))
        self.max_lrs = self._per_group("max_lr", max_lr, len(groups))
        for i, (lo, hi) in enumerate(zip(base_lrs, self.max_lrs)):
            if hi < lo:
                raise ValueError(
                    f"CyclicLR: max_lr must be >= base_lr, got max_lr={hi} < base_lr={lo} (group {i})"
                )
        up = check_int(step_size_up, "CyclicLR", "step_size_up")
        down = (up if step_size_down is None
                else check_int(step_size_down, "CyclicLR", "step_size_down"))
        self.step_size_up, self.step_size_down = up, down
        self.total_size = float(up + down)
        self.step_ratio = up / self.total_size
        if mode not in self._MODES:
            raise ValueError(f"CyclicLR: mode must be one of {list(self._MODES)}, got {mode!r}")
        self.mode = mode
        self.gamma = check_number(gamma, "CyclicLR", "gamma", low=0.0, high=1.0, low_open=True)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, groups):
                group["lr"] = lr
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs
        self._set_lrs(self.get_lr())

    @staticmethod
    def _per_group(name: str, value: Any, n: int) -> list[float]:
        values = list(value) if isinstance(value, (list, tuple)) else [value] * n
        if len(values) != n:
            raise ValueError(
                f"CyclicLR: expected {n} values of {name} (one per parameter group), got {len(values)}"
            )
        return [check_number(v, "CyclicLR", name, low=0.0) for v in values]

    def get_lr(self) -> list[float]:
        k = self.last_epoch
        cycle = math.floor(1 + k / self.total_size)
        x = 1.0 + k / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = 1 / (2.0 ** (cycle - 1))
        else:
            scale = self.gamma**k
        return [lo + (hi - lo) * height * scale for lo, hi in zip(self.base_lrs, self.max_lrs)]

    def extra_repr(self) -> str:
        return (f"base_lr={self.base_lrs}, max_lr={self.max_lrs}, step_size_up={self.step_size_up}, "
                f"step_size_down={self.step_size_down}, mode={self.mode!r}")
