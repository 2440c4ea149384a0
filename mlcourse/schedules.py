"""Learning-rate schedules: step, multi-step, exponential, 1/t, cosine, SGDR, cyclic, warm-up.

A schedule wraps an optimizer and sets ``group["lr"]`` of each of its
parameter groups. The usage and the counting follow PyTorch's
``torch.optim.lr_scheduler``::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = StepLR(opt, step_size=30, gamma=0.1)   # sets lr for epoch 0
    for epoch in range(100):
        train_one_epoch(model, opt)                  # uses opt's current lr
        sched.step()                                 # lr for the next epoch

Constructing a schedule records each group's starting learning rate as
``group["initial_lr"]`` (the *base* learning rate η₀; it is kept if already
there), sets ``last_epoch = 0`` and writes the learning rate for step 0.
Each :meth:`~LRScheduler.step` increments ``last_epoch`` by one and writes
the learning rate for that step. Whether a "step" is an epoch or a
mini-batch is up to the caller.

Differences from PyTorch, by design: each schedule computes its learning
rate in closed form from ``base_lrs`` and ``last_epoch`` (PyTorch updates
most of them recursively from the current ``group["lr"]``). The values are
the same as long as nothing else changes the learning rate; here a schedule
simply overwrites a learning rate set by hand at its next step, and two
schedules on one optimizer do not compound (use :class:`SequentialLR` to
chain them in time). Schedules never cycle momentum.

:func:`lr_curve` returns the whole curve of a schedule as an array, without
a model, for plots.

See Also
--------
Chapter 8 (learning-rate schedules) plots every schedule and trains with a few.
"""

from __future__ import annotations

import bisect
import copy
import math
from collections import Counter
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from .validation import check_int, check_number

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "InverseTimeLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "LinearLR",
    "SequentialLR",
    "lr_curve",
]


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
