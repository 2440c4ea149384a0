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

from .base import LambdaLR, LRScheduler, lr_curve
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .cyclic import CyclicLR
from .decay import ExponentialLR, InverseTimeLR, MultiStepLR, StepLR
from .warmup import LinearLR, SequentialLR

__all__ = ['CosineAnnealingLR', 'CosineAnnealingWarmRestarts', 'CyclicLR', 'ExponentialLR', 'InverseTimeLR', 'LRScheduler', 'LambdaLR', 'LinearLR', 'MultiStepLR', 'SequentialLR', 'StepLR', 'lr_curve']
