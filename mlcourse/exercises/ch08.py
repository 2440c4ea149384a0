"""Exercises of chapter 8 (learning-rate schedules).

* ``ch08-momentum-floor``: a derivation the chapter leaves to the student, the
  stationary loss of SGD with heavy-ball momentum on the noisy quadratic;
* ``ch08-sgdr-lr``: the SGDR learning rate at step ``k`` (cosine annealing
  with warm restarts, cycles growing by ``T_mult``);
* ``ch08-cyclic-lr``: Smith's triangular and triangular2 cyclical learning
  rate at iteration ``k``;
* ``ch08-warmup-cosine``: linear warm-up followed by cosine annealing, as
  ``SequentialLR([LinearLR, CosineAnnealingLR])`` runs it.

The schedule references are written out in closed form here (the chapter
checks :mod:`mlcourse.schedules` against the same formulas), so a change in the
library cannot change what a student is graded against.
"""

from __future__ import annotations

import math

import numpy as np

from mlcourse.grading import Exercise, Mistake, register
from mlcourse.schedules import (CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, LinearLR,
                                SequentialLR, lr_curve)


def _momentum_floor(eta: float, a: float, sigma: float, beta: float) -> float:
    # w_(k+1) = (1 + beta - eta a) w_k - beta w_(k-1) - eta sigma xi_k is an AR(2) process;
    # its stationary second moment is v = (1 + beta) eta sigma^2 / ((1 - beta) a (2 (1 + beta)
    # - eta a)), and E[f] = a v / 2.
    return (1 + beta) * eta * sigma**2 / (2 * (1 - beta) * (2 * (1 + beta) - eta * a))


def _momentum_case(rng: np.random.Generator) -> tuple[float, float, float, float]:
    a = float(rng.uniform(0.2, 20.0))
    beta = float(rng.choice([0.0, rng.uniform(0.0, 0.99)]))
    eta = float(rng.uniform(0.01, 0.95)) * 2 * (1 + beta) / a   # inside the stability limit
    return eta, a, float(rng.uniform(0.1, 3.0)), beta


register(Exercise(
    id="ch08-momentum-floor",
    function="momentum_noise_floor",
    points=3,
    summary="return the stationary E[f(w)] of SGD with heavy-ball momentum beta on the noisy "
            "quadratic f = a w^2 / 2 with gradient noise of std sigma",
    public=[
        ("beta = 0: the plain-SGD floor of the chapter", lambda rng: (0.1, 1.0, 1.0, 0.0)),
        ("beta = 0.9, a small rate", lambda rng: (0.01, 1.0, 1.0, 0.9)),
        ("beta = 0.5, a large rate eta a = 2 (beyond plain SGD's limit)",
         lambda rng: (0.5, 4.0, 0.5, 0.5)),
        ("sigma = 2, a = 10, beta = 0.8", lambda rng: (0.05, 10.0, 2.0, 0.8)),
    ],
    hidden=_momentum_case,
    n_hidden=8,
    reference=_momentum_floor,
    rtol=1e-6,
    mistakes=[
        Mistake(lambda eta, a, s, b: eta * s**2 / (2 * (2 - eta * a)),
                "that is the plain-SGD floor: with momentum, w_(k+1) depends on w_k AND w_(k-1), "
                "so you need E[w_k w_(k-1)] as a second unknown"),
        Mistake(lambda eta, a, s, b: eta / (1 - b) * s**2 / (2 * (2 - eta / (1 - b) * a)),
                "substituting the effective rate eta / (1 - beta) into the plain-SGD formula is "
                "only a small-rate approximation; solve the two stationary equations exactly"),
        Mistake(lambda eta, a, s, b: (1 + b) * eta * s**2 / ((1 - b) * (2 * (1 + b) - eta * a)),
                "that is a v = a E[w^2]; the loss is f = a w^2 / 2, so E[f] = a v / 2"),
        Mistake(lambda eta, a, s, b: eta * s**2 / (2 * (1 - b) * (2 * (1 + b) - eta * a)),
                "close: a factor (1 + beta) is missing in the numerator; recheck the equation for "
                "c = E[w_(k+1) w_k]"),
    ],
    hint="Write w_(k+1) = (1 + beta - eta a) w_k - beta w_(k-1) - eta sigma xi_k. In the "
         "stationary state take E[w_(k+1)^2] = v and E[w_(k+1) w_k] = c, two linear equations "
         "in v and c.",
))


def _sgdr_reference(k: int, eta_min: float, eta_max: float, T_0: int, T_mult: int) -> float:
    curve = lr_curve(lambda opt: CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult,
                                                             eta_min=eta_min), k + 1, lr=eta_max)
    return float(curve[-1])


def _sgdr_position(k: int, T_0: int, T_mult: int, grow: bool = True,
                   late: bool = False) -> tuple[float, float]:
    """(T_cur, T_i) at step k; ``grow=False`` and ``late=True`` reproduce two mistakes."""
    T_i, T_cur = T_0, k
    while T_cur > T_i if late else T_cur >= T_i:
        T_cur -= T_i
        if grow:
            T_i *= T_mult
    return float(T_cur), float(T_i)


def _sgdr_with(grow: bool = True, late: bool = False, use_min: bool = True):
    def wrong(k, eta_min, eta_max, T_0, T_mult):
        T_cur, T_i = _sgdr_position(int(k), int(T_0), int(T_mult), grow=grow, late=late)
        low = eta_min if use_min else 0.0
        return low + 0.5 * (eta_max - low) * (1.0 + math.cos(math.pi * T_cur / T_i))
    return wrong


def _sgdr_case(rng: np.random.Generator) -> tuple:
    T_0 = int(rng.integers(1, 13))
    T_mult = int(rng.integers(1, 4))
    k = int(rng.integers(0, 160))
    eta_max = float(rng.uniform(0.05, 1.0))
    eta_min = float(rng.choice([0.0, rng.uniform(0.0, 0.01)]))
    return (k, eta_min, eta_max, T_0, T_mult)


register(Exercise(
    id="ch08-sgdr-lr",
    function="sgdr_lr",
    points=3,
    summary="return the SGDR learning rate at step k for eta_min, eta_max, T_0, T_mult",
    public=[
        ("k = 0: the run starts at eta_max", lambda rng: (0, 0.0, 0.1, 10, 2)),
        ("halfway through the first cycle", lambda rng: (5, 0.0, 0.1, 10, 2)),
        ("the last step of the first cycle", lambda rng: (9, 0.001, 0.1, 10, 2)),
        ("k = T_0: the first restart", lambda rng: (10, 0.001, 0.1, 10, 2)),
        ("inside the second cycle (length T_0 T_mult = 20)", lambda rng: (17, 0.001, 0.1, 10, 2)),
        ("k = 30: the second restart", lambda rng: (30, 0.001, 0.1, 10, 2)),
        ("T_mult = 1: cycles of equal length", lambda rng: (25, 0.01, 0.5, 8, 1)),
        ("third cycle with T_mult = 3 (restarts at 4, 16, 52)", lambda rng: (50, 0.0, 1.0, 4, 3)),
    ],
    hidden=_sgdr_case,
    n_hidden=8,
    reference=lambda k, eta_min, eta_max, T_0, T_mult: _sgdr_with()(k, eta_min, eta_max, T_0,
                                                                     T_mult),
    mistakes=[
        Mistake(_sgdr_with(grow=False),
                "every cycle of yours has length T_0: after each restart the next cycle is "
                "T_mult times longer (T_i = T_0 T_mult^i), so the restarts are at T_0, "
                "T_0 (1 + T_mult), T_0 (1 + T_mult + T_mult^2), ..."),
        Mistake(_sgdr_with(late=True),
                "your restarts come one step late: a cycle of length T_i covers T_cur = 0, ..., "
                "T_i - 1, so at the restart step itself T_cur = 0 and the rate is back at eta_max "
                "(use T_cur >= T_i, not T_cur > T_i, to move to the next cycle)"),
        Mistake(_sgdr_with(grow=False, late=True),
                "two slips: the cycles must grow by T_mult, and at a restart step T_cur = 0 "
                "(the rate is eta_max there, not eta_min)"),
        Mistake(_sgdr_with(use_min=False),
                "the cosine runs between eta_min and eta_max: "
                "eta = eta_min + (eta_max - eta_min) (1 + cos(pi T_cur / T_i)) / 2"),
    ],
    hint="Walk through the cycles: start with T_cur = k and T_i = T_0; while T_cur >= T_i, "
         "subtract T_i from T_cur and multiply T_i by T_mult. Then apply the cosine formula.",
))


def _cyclic_reference(k: int, base_lr: float, max_lr: float, step_size: int, mode: str) -> float:
    curve = lr_curve(lambda opt: CyclicLR(opt, base_lr=base_lr, max_lr=max_lr,
                                          step_size_up=step_size, mode=mode), k + 1)
    return float(curve[-1])


def _cyclic_with(half_period: bool = False, early_halving: bool = False,
                 ignore_mode: bool = False):
    def wrong(k, base_lr, max_lr, step_size, mode):
        s = step_size / 2 if half_period else step_size
        cycle = math.floor(1 + k / (2 * s))
        x = abs(k / s - 2 * cycle + 1)
        height = max(0.0, 1.0 - x)
        scale = 1.0
        if mode == "triangular2" and not ignore_mode:
            scale = 0.5 ** (cycle if early_halving else cycle - 1)
        return base_lr + (max_lr - base_lr) * height * scale
    return wrong


def _cyclic_case(rng: np.random.Generator) -> tuple:
    step_size = int(rng.integers(1, 12))
    k = int(rng.integers(0, 10 * step_size))
    base = float(rng.uniform(0.0, 0.05))
    top = base + float(rng.uniform(0.01, 1.0))
    return (k, base, top, step_size, str(rng.choice(["triangular", "triangular2"])))


register(Exercise(
    id="ch08-cyclic-lr",
    function="cyclic_lr",
    points=2,
    summary="return Smith's cyclical learning rate at iteration k (mode triangular or triangular2)",
    public=[
        ("k = 0: the cycle starts at base_lr", lambda rng: (0, 0.001, 0.006, 4, "triangular")),
        ("k = step_size: the peak", lambda rng: (4, 0.001, 0.006, 4, "triangular")),
        ("on the way down", lambda rng: (6, 0.001, 0.006, 4, "triangular")),
        ("second cycle, triangular", lambda rng: (11, 0.001, 0.006, 4, "triangular")),
        ("first cycle, triangular2 (full height)", lambda rng: (3, 0.001, 0.006, 4, "triangular2")),
        ("second peak, triangular2 (half height)", lambda rng: (12, 0.001, 0.006, 4, "triangular2")),
        ("third cycle, triangular2 (quarter height)", lambda rng: (23, 0.0, 1.0, 5, "triangular2")),
    ],
    hidden=_cyclic_case,
    n_hidden=8,
    reference=lambda k, base_lr, max_lr, step_size, mode: _cyclic_with()(
        k, base_lr, max_lr, step_size, mode),
    mistakes=[
        Mistake(_cyclic_with(early_halving=True),
                "triangular2 keeps the full amplitude in the first cycle and halves it from the "
                "second on: scale = 1 / 2^(cycle - 1) with cycle = floor(1 + k / (2 step_size))"),
        Mistake(_cyclic_with(half_period=True),
                "step_size is HALF a cycle: the rate climbs for step_size iterations and falls "
                "for another step_size, so a cycle lasts 2 step_size iterations"),
        Mistake(_cyclic_with(ignore_mode=True),
                "with mode='triangular2' the amplitude (max_lr - base_lr) is halved at the start "
                "of every new cycle"),
    ],
    hint="Smith's formulas: cycle = floor(1 + k / (2 step_size)), "
         "x = |k / step_size - 2 cycle + 1|, lr = base_lr + (max_lr - base_lr) max(0, 1 - x) scale.",
))


def _warmup_cosine_reference(k: int, eta0: float, warmup: int, total: int,
                             start_factor: float) -> float:
    def make(opt):
        warm = LinearLR(opt, start_factor=start_factor, total_iters=warmup)
        cosine = CosineAnnealingLR(opt, T_max=total - warmup)
        return SequentialLR(opt, [warm, cosine], milestones=[warmup])
    return float(lr_curve(make, k + 1, lr=eta0)[-1])


def _warmup_with(cos_from_zero: bool = False, cos_over_total: bool = False,
                 from_zero: bool = False):
    def wrong(k, eta0, warmup, total, start_factor):
        if k < warmup:
            f = 0.0 if from_zero else start_factor
            return eta0 * (f + (1.0 - f) * k / warmup)
        t = k if cos_from_zero else k - warmup
        length = total if cos_over_total else total - warmup
        return eta0 * 0.5 * (1.0 + math.cos(math.pi * t / length))
    return wrong


def _warmup_case(rng: np.random.Generator) -> tuple:
    warmup = int(rng.integers(1, 20))
    total = warmup + int(rng.integers(1, 100))
    k = int(rng.integers(0, total + 1))
    return (k, float(rng.uniform(0.01, 1.0)), warmup, total, float(rng.uniform(0.01, 0.5)))


register(Exercise(
    id="ch08-warmup-cosine",
    function="warmup_cosine_lr",
    points=2,
    summary="return the learning rate at step k of a linear warm-up followed by cosine annealing",
    public=[
        ("k = 0: start_factor eta0", lambda rng: (0, 0.1, 10, 100, 0.01)),
        ("in the middle of the warm-up", lambda rng: (4, 0.1, 10, 100, 0.01)),
        ("k = warmup: the peak eta0", lambda rng: (10, 0.1, 10, 100, 0.01)),
        ("a quarter into the cosine", lambda rng: (32, 0.1, 10, 100, 0.25)),
        ("the end of the cosine: 0", lambda rng: (100, 0.1, 10, 100, 0.25)),
        ("a long warm-up", lambda rng: (61, 0.5, 40, 80, 0.1)),
    ],
    hidden=_warmup_case,
    n_hidden=8,
    reference=lambda k, eta0, warmup, total, start_factor: _warmup_with()(
        k, eta0, warmup, total, start_factor),
    mistakes=[
        Mistake(_warmup_with(cos_from_zero=True),
                "the cosine starts when the warm-up ends: measure its progress from k - warmup "
                "(SequentialLR restarts the second schedule at its milestone)"),
        Mistake(_warmup_with(cos_over_total=True),
                "the cosine lasts total - warmup steps, so that it reaches 0 exactly at k = total"),
        Mistake(_warmup_with(from_zero=True),
                "the warm-up starts at start_factor * eta0, not at 0: "
                "eta0 (start_factor + (1 - start_factor) k / warmup)"),
    ],
    hint="Two pieces: for k < warmup, eta0 (f + (1 - f) k / W); from k = warmup on, "
         "eta0 (1 + cos(pi (k - W) / (total - W))) / 2.",
))
