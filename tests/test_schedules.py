"""Tests for mlcourse.schedules: PyTorch parity, closed forms, SGDR restarts, cyclic values, lr_curve."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlcourse.module import Parameter
from mlcourse.optim import SGD, Adam
from mlcourse.schedules import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    InverseTimeLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    SequentialLR,
    StepLR,
    lr_curve,
)

GROUP_LRS = (0.1, 0.02)
STEPS = 80


def _our_optimizer(lrs=GROUP_LRS):
    return SGD([{"params": [Parameter(np.zeros(2))], "lr": lr} for lr in lrs], lr=lrs[0])


def _our_curve(make, steps=STEPS, lrs=GROUP_LRS):
    opt = _our_optimizer(lrs)
    sched = make(opt)
    values = [sched.get_last_lr()]
    assert values[0] == [g["lr"] for g in opt.param_groups]
    for _ in range(steps):
        opt.step()
        sched.step()
        values.append(sched.get_last_lr())
        assert values[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(values)


def _torch_curve(torch, make, steps=STEPS, lrs=GROUP_LRS):
    opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], lr=lrs[0])
    sched = make(opt)
    values = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        values.append(sched.get_last_lr())
    return np.array(values, dtype=np.float64)


def _torch_sequential(torch, build):
    def make(opt):
        schedulers, milestones = build(torch.optim.lr_scheduler, opt)
        return torch.optim.lr_scheduler.SequentialLR(opt, schedulers, milestones)
    return make


def _our_sequential(build):
    import mlcourse.schedules as ours

    def make(opt):
        schedulers, milestones = build(ours, opt)
        return SequentialLR(opt, schedulers, milestones)
    return make


# (name, builder(module, opt)) where module is mlcourse.schedules or torch.optim.lr_scheduler
PARITY_CASES = [
    ("StepLR-7-0.5", lambda m, o: m.StepLR(o, step_size=7, gamma=0.5)),
    ("StepLR-3", lambda m, o: m.StepLR(o, step_size=3)),
    ("StepLR-1-0.9", lambda m, o: m.StepLR(o, step_size=1, gamma=0.9)),
    ("MultiStepLR", lambda m, o: m.MultiStepLR(o, milestones=[10, 25, 40], gamma=0.5)),
    ("MultiStepLR-repeated", lambda m, o: m.MultiStepLR(o, milestones=[20, 5, 5], gamma=0.1)),
    ("ExponentialLR-0.95", lambda m, o: m.ExponentialLR(o, gamma=0.95)),
    ("ExponentialLR-0.8", lambda m, o: m.ExponentialLR(o, gamma=0.8)),
    ("CosineAnnealingLR-50", lambda m, o: m.CosineAnnealingLR(o, T_max=50)),
    ("CosineAnnealingLR-20-beyond-T_max", lambda m, o: m.CosineAnnealingLR(o, T_max=20, eta_min=0.001)),
    ("CosineAnnealingLR-7", lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01)),
    ("SGDR-10", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10)),
    ("SGDR-5-x2", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001)),
    ("SGDR-3-x3", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=3)),
    ("LinearLR-warmup", lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=10)),
    ("LinearLR-decay", lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=60)),
    ("LinearLR-defaults", lambda m, o: m.LinearLR(o)),
    ("LambdaLR", lambda m, o: m.LambdaLR(o, lambda k: 1.0 / (1.0 + 0.1 * k))),
]


def _cyclic(torch_side, **kwargs):
    def build(m, o):
        if torch_side:
            return m.CyclicLR(o, cycle_momentum=False, **kwargs)
        return m.CyclicLR(o, **kwargs)
    return build


CYCLIC_CASES = [
    ("CyclicLR-triangular", dict(base_lr=0.01, max_lr=0.1, step_size_up=5)),
    ("CyclicLR-triangular2", dict(base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=4,
                                  step_size_down=6, mode="triangular2")),
    ("CyclicLR-exp_range", dict(base_lr=0.001, max_lr=0.1, step_size_up=7, mode="exp_range", gamma=0.97)),
]

SEQUENTIAL_CASES = [
    ("warmup-cosine", lambda m, o: ([m.LinearLR(o, start_factor=0.1, total_iters=5),
                                     m.CosineAnnealingLR(o, T_max=40)], [5])),
    ("three-phases", lambda m, o: ([m.LinearLR(o, start_factor=0.25, total_iters=3),
                                    m.StepLR(o, step_size=4, gamma=0.5),
                                    m.ExponentialLR(o, gamma=0.9)], [3, 20])),
    ("warmup-sgdr", lambda m, o: ([m.LinearLR(o, start_factor=0.5, total_iters=4),
                                   m.CosineAnnealingWarmRestarts(o, T_0=6, T_mult=2)], [4])),
]


def _torch():
    return pytest.importorskip("torch", reason="PyTorch not installed: parity with torch.optim.lr_scheduler skipped")


def _assert_parity(ours, theirs, name):
    assert ours.shape == theirs.shape == (STEPS + 1, len(GROUP_LRS))
    assert np.ptp(ours[:, 0]) > 0, f"{name}: the learning rate never changed; the comparison is vacuous"
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("name, build", PARITY_CASES, ids=[c[0] for c in PARITY_CASES])
def test_parity_with_torch(name, build):
    torch = _torch()
    import mlcourse.schedules as ours

    _assert_parity(_our_curve(lambda o: build(ours, o)),
                   _torch_curve(torch, lambda o: build(torch.optim.lr_scheduler, o)), name)


@pytest.mark.parametrize("name, kwargs", CYCLIC_CASES, ids=[c[0] for c in CYCLIC_CASES])
def test_cyclic_parity_with_torch(name, kwargs):
    torch = _torch()
    import mlcourse.schedules as ours

    _assert_parity(_our_curve(lambda o: _cyclic(False, **kwargs)(ours, o)),
                   _torch_curve(torch, lambda o: _cyclic(True, **kwargs)(torch.optim.lr_scheduler, o)), name)


@pytest.mark.parametrize("name, build", SEQUENTIAL_CASES, ids=[c[0] for c in SEQUENTIAL_CASES])
def test_sequential_parity_with_torch(name, build):
    torch = _torch()
    _assert_parity(_our_curve(_our_sequential(build)), _torch_curve(torch, _torch_sequential(torch, build)), name)


@pytest.mark.parametrize("T_0, T_mult", [(4, 1), (3, 2)])
def test_sgdr_fractional_epochs_parity_with_torch(T_0, T_mult):
    torch = _torch()
    batches = 7
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    tsched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=T_0, T_mult=T_mult, eta_min=0.01)
    opt = SGD([Parameter(np.zeros(1))], lr=0.5)
    sched = CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=0.01)
    ours, theirs = [], []
    for epoch in range(12):
        for i in range(batches):
            topt.step()
            tsched.step(epoch + i / batches)
            sched.step(epoch + i / batches)
            theirs.append(tsched.get_last_lr()[0])
            ours.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len(set(np.round(ours, 12))) >= T_0 * batches  # a new value at every batch of a cycle


def test_inverse_time_matches_closed_form():
    for tau in (10, 2.5, 1):
        lrs = _our_curve(lambda o: InverseTimeLR(o, tau=tau), steps=60)
        k = np.arange(61)[:, None]
        expected = np.array(GROUP_LRS)[None, :] * tau / np.maximum(k, tau)
        np.testing.assert_allclose(lrs, expected, rtol=1e-14)
    lrs = lr_curve(lambda o: InverseTimeLR(o, tau=10), 41, lr=1.0)
    assert np.all(lrs[:11] == 1.0) and lrs[20] == 0.5 and lrs[40] == 0.25


def test_closed_forms_of_step_exponential_cosine():
    k = np.arange(50)
    np.testing.assert_allclose(lr_curve(lambda o: StepLR(o, 10, gamma=0.5), 50, lr=1.0), 0.5 ** (k // 10))
    np.testing.assert_allclose(lr_curve(lambda o: ExponentialLR(o, 0.9), 50, lr=2.0), 2.0 * 0.9**k, rtol=1e-14)
    cos = lr_curve(lambda o: CosineAnnealingLR(o, T_max=49, eta_min=0.1), 50, lr=1.0)
    np.testing.assert_allclose(cos, 0.1 + 0.45 * (1 + np.cos(np.pi * k / 49)), rtol=1e-14)
    assert cos[0] == 1.0 and cos[-1] == pytest.approx(0.1)


def test_sgdr_restart_positions_for_T_mult_2():
    # cycles of length 10, 20, 40: restarts at 10, 30, 70
    lrs = lr_curve(lambda o: CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.0), 80, lr=1.0)
    restarts = np.flatnonzero(lrs == 1.0)
    np.testing.assert_array_equal(restarts, [0, 10, 30, 70])
    increases = np.flatnonzero(np.diff(lrs) > 0) + 1
    np.testing.assert_array_equal(increases, [10, 30, 70])
    # the step before a restart is one step short of the end of a cycle: (1 + cos(pi (T-1)/T)) / 2
    for start, T in [(10, 10), (30, 20), (70, 40)]:
        assert lrs[start - 1] == pytest.approx((1 + math.cos(math.pi * (T - 1) / T)) / 2, rel=1e-12)
    assert lrs[20] == pytest.approx(0.5, rel=1e-12)  # halfway through the 20-step cycle


def test_cyclic_triangular_values():
    tri = lr_curve(lambda o: CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=4), 17)
    up = [0.1, 0.325, 0.55, 0.775, 1.0]
    expected = up + up[-2::-1] + up[1:] + up[-2::-1]
    np.testing.assert_allclose(tri, expected, rtol=1e-12)
    tri2 = lr_curve(lambda o: CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=4, mode="triangular2"), 25)
    peaks = tri2[[4, 12, 20]]
    np.testing.assert_allclose(peaks, [1.0, 0.55, 0.325], rtol=1e-12)
    np.testing.assert_allclose(tri2[[0, 8, 16, 24]], 0.1, rtol=1e-12)
    asym = lr_curve(lambda o: CyclicLR(o, base_lr=0.0, max_lr=1.0, step_size_up=2, step_size_down=4), 7)
    np.testing.assert_allclose(asym, [0, 0.5, 1, 0.75, 0.5, 0.25, 0], atol=1e-15)


def test_cyclic_sets_the_optimizer_lr_to_base_lr():
    opt = SGD([Parameter(np.zeros(1))], lr=5.0)
    sched = CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=10)
    assert opt.lr == 0.01 and sched.get_last_lr() == [0.01]
    assert opt.param_groups[0]["momentum"] == 0.0  # momentum is never cycled


def test_warmup_then_cosine_shape():
    lrs = lr_curve(lambda o: SequentialLR(o, [LinearLR(o, start_factor=0.01, total_iters=5),
                                               CosineAnnealingLR(o, T_max=95)], milestones=[5]), 101, lr=1.0)
    np.testing.assert_allclose(lrs[:6], [0.01, 0.208, 0.406, 0.604, 0.802, 1.0], rtol=1e-12)
    assert np.all(np.diff(lrs[5:]) < 0) and lrs[100] == pytest.approx(0.0, abs=1e-15)


def test_construction_sets_initial_lr_and_step_advances():
    opt = SGD([Parameter(np.zeros(1))], lr=0.3)
    sched = StepLR(opt, step_size=2, gamma=0.1)
    assert sched.last_epoch == 0 and sched.base_lrs == [0.3]
    assert opt.param_groups[0]["initial_lr"] == 0.3
    sched.step()
    assert sched.last_epoch == 1 and opt.lr == 0.3
    sched.step()
    assert sched.last_epoch == 2 and opt.lr == pytest.approx(0.03)


def test_get_last_lr_is_a_list_per_group_and_a_copy():
    opt = _our_optimizer((0.4, 0.2))
    sched = ExponentialLR(opt, gamma=0.5)
    sched.step()
    last = sched.get_last_lr()
    assert last == [0.2, 0.1]
    last[0] = 99.0
    assert sched.get_last_lr() == [0.2, 0.1] and opt.param_groups[0]["lr"] == 0.2


def test_schedule_drives_the_optimizer_steps():
    p = Parameter(np.zeros(1))
    opt = SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(4):
        p.grad[:] = 1.0
        opt.step()
        sched.step()
    assert p.data[0] == pytest.approx(-(1 + 0.5 + 0.25 + 0.125))


def test_works_with_adam_and_resumes_with_last_epoch():
    opt = Adam([Parameter(np.zeros(1))], lr=0.01)
    sched = MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
    for _ in range(3):
        sched.step()
    resumed = MultiStepLR(opt, milestones=[2, 4], gamma=0.1, last_epoch=sched.last_epoch)
    assert resumed.last_epoch == 4 and opt.lr == pytest.approx(1e-4)
    fresh = SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(fresh, step_size=2, last_epoch=3)


def test_state_dict_round_trip():
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
    for _ in range(5):
        sched.step()
    state = sched.state_dict()
    expected = lr_curve(sched, 10)
    opt2 = SGD([Parameter(np.zeros(1))], lr=1.0)
    other = CosineAnnealingWarmRestarts(opt2, T_0=3, T_mult=2)
    other.load_state_dict(state)
    np.testing.assert_array_equal(lr_curve(other, 10), expected)


def test_lr_curve_from_factory_and_from_instance():
    curve = lr_curve(lambda o: StepLR(o, step_size=2, gamma=0.5), 6, lr=1.0)
    assert curve.shape == (6,) and curve.dtype == np.float64
    np.testing.assert_array_equal(curve, [1, 1, 0.5, 0.5, 0.25, 0.25])

    opt = _our_optimizer((0.4, 0.2))
    sched = MultiStepLR(opt, milestones=[3], gamma=0.1)
    sched.step()
    both = lr_curve(sched, 5, group=None)
    assert both.shape == (5, 2)
    np.testing.assert_allclose(both, [[0.4, 0.2], [0.4, 0.2], [0.04, 0.02], [0.04, 0.02], [0.04, 0.02]])
    np.testing.assert_array_equal(lr_curve(sched, 5, group=1), both[:, 1])
    # the schedule and its optimizer are untouched
    assert sched.last_epoch == 1 and opt.param_groups[0]["lr"] == 0.4
    # and the curve equals stepping the real schedule
    manual = [sched.get_last_lr()]
    for _ in range(4):
        sched.step()
        manual.append(sched.get_last_lr())
    np.testing.assert_array_equal(both, manual)


def test_lr_curve_of_sequential_instance_leaves_it_untouched():
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    seq = SequentialLR(opt, [LinearLR(opt, 0.5, total_iters=2), ExponentialLR(opt, 0.5)], [2])
    curve = lr_curve(seq, 5)
    np.testing.assert_allclose(curve, [0.5, 0.75, 1.0, 0.5, 0.25])
    assert seq.last_epoch == 0 and opt.lr == 0.5


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda o: StepLR(o, step_size=0), ValueError, "step_size must be a positive integer, got 0"),
    (lambda o: StepLR(o, step_size=2.5), TypeError, "step_size must be a positive integer"),
    (lambda o: StepLR(o, step_size=2, gamma="0.1"), TypeError, "gamma must be a number"),
    (lambda o: StepLR(o, step_size=2, gamma=-0.1), ValueError, "gamma -0.1"),
    (lambda o: MultiStepLR(o, milestones=[3, -1]), ValueError, "non-negative integers"),
    (lambda o: ExponentialLR(o, gamma=float("nan")), ValueError, "finite number"),
    (lambda o: InverseTimeLR(o, tau=0), ValueError, r"tau 0; expected a value in \(0.0, inf\)"),
    (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be a positive integer"),
    (lambda o: CosineAnnealingLR(o, T_max=10, eta_min=-1.0), ValueError, "eta_min -1.0"),
    (lambda o: CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0 must be a positive integer"),
    (lambda o: CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), ValueError, "T_mult must be a positive integer"),
    (lambda o: CosineAnnealingWarmRestarts(o, T_0=5).step(-1.0), ValueError, "epoch -1.0"),
    (lambda o: CyclicLR(o, base_lr=0.1, max_lr=0.01), ValueError, "max_lr must be >= base_lr"),
    (lambda o: CyclicLR(o, base_lr=0.01, max_lr=0.1, mode="cosine"), ValueError,
     r"mode must be one of \['triangular', 'triangular2', 'exp_range'\]"),
    (lambda o: CyclicLR(o, base_lr=[0.1, 0.2], max_lr=1.0), ValueError, "one per parameter group"),
    (lambda o: LinearLR(o, start_factor=0.0), ValueError, "start_factor"),
    (lambda o: LinearLR(o, end_factor=1.5), ValueError, "end_factor"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], milestones=[]), ValueError, "expected 1 milestones"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(_our_optimizer((0.1,)), 3)], [4]), ValueError,
     "different optimizer"),
    (lambda o: SequentialLR(o, [], []), ValueError, "at least one scheduler"),
    (lambda o: StepLR(object(), 2), TypeError, "optimizer with param_groups"),
    (lambda o: lr_curve(lambda opt: StepLR(opt, 2), 0), ValueError, "steps must be a positive integer"),
    (lambda o: lr_curve(42, 10), TypeError, "LRScheduler or a factory"),
    (lambda o: lr_curve(lambda opt: opt, 10), TypeError, "must return an LRScheduler"),
])
def test_bad_arguments_raise(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call(SGD([Parameter(np.zeros(1))], lr=0.1))


def test_repr_and_base_class():
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    assert repr(StepLR(opt, 5)) == "StepLR(step_size=5, gamma=0.1, last_epoch=0)"
    with pytest.raises(NotImplementedError):
        LRScheduler(opt)
    assert isinstance(LambdaLR(opt, lambda k: 1.0), LRScheduler)


@pytest.mark.parametrize("T_0, T_mult, restart", [(10, 3, 1210), (1, 3, 121), (1, 2, 1023),
                                                 (7, 5, 7 * (5**6 - 1) // 4)])
def test_sgdr_step_to_epoch_restarts_exactly_where_a_cycle_starts(T_0, T_mult, restart):
    # cycles start at T_0 (T_mult^n - 1) / (T_mult - 1): 0, 10, 40, 130, 400, 1210 for 10 and 3.
    # The floating-point log of the closed form lands just below n at some of them.
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=0.0)
    sched.step(restart)
    assert sched.T_cur == 0
    assert opt.param_groups[0]["lr"] == 1.0
    sched.step(restart - 0.5)  # half a step before: the end of the previous cycle
    assert opt.param_groups[0]["lr"] < 1e-3


@pytest.mark.parametrize("T_0, T_mult", [(1, 2), (1, 3), (2, 3), (3, 2), (10, 3)])
def test_sgdr_jumping_to_an_epoch_agrees_with_stepping_there(T_0, T_mult):
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    stepped = CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult)
    other = SGD([Parameter(np.zeros(1))], lr=1.0)
    jumped = CosineAnnealingWarmRestarts(other, T_0=T_0, T_mult=T_mult)
    for epoch in range(1, 1500):
        stepped.step()
        jumped.step(epoch)
        assert (jumped.T_cur, jumped.T_i) == (stepped.T_cur, stepped.T_i), epoch
