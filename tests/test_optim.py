"""Tests for mlcourse.optim: closed forms on quadratics, PyTorch parity, state, dtype and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlcourse
from mlcourse.module import Parameter
from mlcourse.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

OPTIMIZERS = [SGD, Adagrad, RMSprop, Adam, AdamW]


def _quadratic_run(opt_factory, a, x0, steps):
    """Minimise f(x) = ½ Σ a_i x_i² (gradient a * x); return x_0, ..., x_steps."""
    p = Parameter(np.array(x0, dtype=np.float64))
    opt = opt_factory([p])
    xs = [p.data.copy()]
    for _ in range(steps):
        opt.zero_grad()
        p.grad += a * p.data
        opt.step()
        xs.append(p.data.copy())
    return np.array(xs)


def test_gradient_descent_on_quadratic_matches_closed_form():
    # x_{k+1} = x_k - lr a x_k  =>  x_k = (1 - lr a)^k x_0
    a = np.array([0.5, 1.0, 4.0, 19.0])
    x0 = np.array([1.0, -2.0, 0.5, 0.1])
    lr = 0.1
    xs = _quadratic_run(lambda ps: SGD(ps, lr=lr), a, x0, 40)
    k = np.arange(41)[:, None]
    np.testing.assert_allclose(xs, (1 - lr * a) ** k * x0, rtol=1e-12, atol=1e-300)
    # 1 - lr a = -0.9 for a = 19: the last coordinate oscillates in sign while shrinking
    assert np.all(np.sign(xs[1:, 3]) == -np.sign(xs[:-1, 3]))


def test_heavy_ball_momentum_matches_two_term_recursion():
    # v_k = beta v_{k-1} + a x_k, x_{k+1} = x_k - lr v_k (v_0 = a x_0) gives, for k >= 1,
    # x_{k+1} = (1 + beta - lr a) x_k - beta x_{k-1}, with x_1 = (1 - lr a) x_0.
    a = np.array([0.1, 1.0, 10.0])
    x0 = np.array([1.0, 1.0, 1.0])
    lr, beta = 0.05, 0.9
    xs = _quadratic_run(lambda ps: SGD(ps, lr=lr, momentum=beta), a, x0, 60)
    expected = [x0, (1 - lr * a) * x0]
    for _ in range(59):
        expected.append((1 + beta - lr * a) * expected[-1] - beta * expected[-2])
    np.testing.assert_allclose(xs, np.array(expected), rtol=1e-10, atol=1e-14)


def test_lecture_averaged_momentum_equals_plain_momentum_with_scaled_lr():
    # Lectures: v = beta v + (1 - beta) g, theta -= lr_avg v (v starts at 0).
    # It takes exactly the steps of plain SGD momentum with lr = (1 - beta) lr_avg.
    a = np.array([0.3, 2.0, 7.0])
    x0 = np.array([1.0, -1.0, 0.5])
    lr_avg, beta = 0.2, 0.8
    theta, v, lecture = x0.copy(), np.zeros(3), [x0.copy()]
    for _ in range(50):
        v = beta * v + (1 - beta) * (a * theta)
        theta = theta - lr_avg * v
        lecture.append(theta.copy())
    xs = _quadratic_run(lambda ps: SGD(ps, lr=(1 - beta) * lr_avg, momentum=beta), a, x0, 50)
    np.testing.assert_allclose(xs, np.array(lecture), rtol=1e-12, atol=1e-15)


def test_sgd_dampening_is_averaged_momentum_after_an_undamped_first_step():
    # SGD(momentum=beta, dampening=beta): b_1 = g_1, b_k = beta b_{k-1} + (1 - beta) g_k,
    # i.e. the lectures' average plus beta^k g_1 (PyTorch's first buffer is the raw gradient).
    a = np.array([0.5, 3.0])
    x0 = np.array([2.0, -1.0])
    lr, beta = 0.1, 0.7
    theta, b, ref = x0.copy(), None, [x0.copy()]
    for _ in range(30):
        g = a * theta
        b = g.copy() if b is None else beta * b + (1 - beta) * g
        theta = theta - lr * b
        ref.append(theta.copy())
    xs = _quadratic_run(lambda ps: SGD(ps, lr=lr, momentum=beta, dampening=beta), a, x0, 30)
    np.testing.assert_allclose(xs, np.array(ref), rtol=1e-12, atol=1e-15)


def test_adam_first_step_moves_each_coordinate_by_lr_against_the_gradient_sign():
    # step 1: m_hat = g, sqrt(v_hat) = |g|  =>  delta = -lr g / (|g| + eps)
    g = np.array([1e-3, -1.0, 1e3, -5.0, 0.2])
    p = Parameter(np.zeros(5))
    opt = Adam([p], lr=0.01)
    p.grad[:] = g
    opt.step()
    np.testing.assert_allclose(p.data, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-14)
    np.testing.assert_allclose(np.abs(p.data), 0.01, rtol=1e-5)


def test_adam_bias_correction_lecture_example():
    # beta1 = 0.9, g_1 = 0.2: m_1 = 0.1 * 0.2 = 0.02 and m_hat_1 = 0.02 / (1 - 0.9) = 0.2
    p = Parameter(np.zeros(1))
    opt = Adam([p], lr=1.0, betas=(0.9, 0.999), eps=0.0)
    p.grad[:] = 0.2
    opt.step()
    m = opt.state[p]["exp_avg"]
    assert m[0] == pytest.approx(0.02, rel=1e-14)
    assert m[0] / (1 - 0.9) == pytest.approx(0.2, rel=1e-14)
    assert opt.state[p]["step"] == 1


def test_rmsprop_lecture_example_scales_large_component_down():
    # v = (1 - alpha) g² on the first step, so every coordinate moves by lr / sqrt(1 - alpha)
    g = np.array([0.02, -0.04, 1.6, -0.01])
    p = Parameter(np.zeros(4))
    opt = RMSprop([p], lr=0.001, alpha=0.99, eps=0.0)
    p.grad[:] = g
    opt.step()
    np.testing.assert_allclose(p.data, -0.001 * np.sign(g) / math.sqrt(0.01), rtol=1e-12)
    ratio_sgd = np.abs(g) / np.abs(g).max()  # plain SGD steps are proportional to |g|
    assert ratio_sgd.min() < 0.01 and np.ptp(np.abs(p.data)) < 1e-15


def test_adagrad_constant_gradient_steps_shrink_like_one_over_sqrt_t():
    # s_t = t g², so step t is lr |g| / (sqrt(t) |g|) = lr / sqrt(t)
    p = Parameter(np.array([0.0, 0.0]))
    opt = Adagrad([p], lr=0.5, eps=0.0)
    previous = p.data.copy()
    for t in range(1, 21):
        p.grad[:] = [3.0, -0.01]
        opt.step()
        np.testing.assert_allclose(p.data - previous, [-0.5 / math.sqrt(t), 0.5 / math.sqrt(t)], rtol=1e-12)
        previous = p.data.copy()


def test_adamw_decay_is_decoupled_from_the_gradient():
    # zero gradient: Adam's moments stay 0, so AdamW only shrinks, theta_k = (1 - lr wd)^k theta_0
    p = Parameter(np.array([1.0, -3.0]))
    opt = AdamW([p], lr=0.1, weight_decay=0.5)
    for _ in range(10):
        opt.step()
    np.testing.assert_allclose(p.data, np.array([1.0, -3.0]) * 0.95**10, rtol=1e-13)
    # coupled (Adam) decay divides lambda*theta by its own RMS: a first step of ~lr per coordinate
    q = Parameter(np.array([1.0, -3.0]))
    Adam([q], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(q.data, [0.9, -2.9], rtol=1e-7)


def test_nesterov_matches_its_definition():
    # b_k = mu b_{k-1} + g_k (b_1 = g_1); theta -= lr (g_k + mu b_k)
    a = np.array([1.0, 5.0])
    x0 = np.array([1.0, 1.0])
    lr, mu = 0.05, 0.9
    theta, b, ref = x0.copy(), None, [x0.copy()]
    for _ in range(40):
        g = a * theta
        b = g.copy() if b is None else mu * b + g
        theta = theta - lr * (g + mu * b)
        ref.append(theta.copy())
    xs = _quadratic_run(lambda ps: SGD(ps, lr=lr, momentum=mu, nesterov=True), a, x0, 40)
    np.testing.assert_allclose(xs, np.array(ref), rtol=1e-12, atol=1e-15)


class _Regression:
    """A deterministic gradient per parameter: a fixed random least-squares problem.

    For a parameter P reshaped to (m, n): loss ½ ||A P - T||² / B (plus a small
    quartic term so the problem is not purely quadratic), with fixed A: (B, m)
    and T: (B, n). Both sides compute the gradient with this same NumPy code.
    """

    def __init__(self, shapes, seed=0, batch=9):
        rng = np.random.default_rng(seed)
        self.shapes = shapes
        self.init = [rng.standard_normal(s) for s in shapes]
        self.A, self.T = [], []
        for s in shapes:
            m = s[0]
            n = int(np.prod(s[1:])) if len(s) > 1 else 1
            self.A.append(rng.standard_normal((batch, m)))
            self.T.append(rng.standard_normal((batch, n)))

    def grad(self, i, value):
        A, T = self.A[i], self.T[i]
        P = value.reshape(A.shape[1], -1)
        G = A.T @ (A @ P - T) / A.shape[0] + 0.1 * P**3
        return G.reshape(value.shape)


SHAPES = [(5, 3), (1, 3), (4,), (3, 2)]


def _run_ours(cls, kwargs, problem, steps, groups=None):
    params = [Parameter(v.copy()) for v in problem.init]
    spec = params if groups is None else [{**g, "params": [params[i] for i in g["params"]]} for g in groups]
    opt = cls(spec, **kwargs)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        for i, p in enumerate(params):
            p.grad += problem.grad(i, p.data)
        opt.step()
        history.append([p.data.copy() for p in params])
    return history


def _run_torch(torch, cls, kwargs, problem, steps, groups=None):
    params = [torch.tensor(v.copy(), dtype=torch.float64, requires_grad=True) for v in problem.init]
    spec = params if groups is None else [{**g, "params": [params[i] for i in g["params"]]} for g in groups]
    opt = cls(spec, foreach=False, **kwargs)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        for i, p in enumerate(params):
            p.grad = torch.from_numpy(problem.grad(i, p.detach().numpy().copy()))
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


PARITY_CASES = [
    (SGD, "SGD", dict(lr=0.1)),
    (SGD, "SGD", dict(lr=0.05, momentum=0.9)),
    (SGD, "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    (SGD, "SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    (SGD, "SGD", dict(lr=0.1, momentum=0.8, dampening=0.8)),
    (SGD, "SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.01)),
    (SGD, "SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (Adagrad, "Adagrad", dict()),
    (Adagrad, "Adagrad", dict(lr=0.1, lr_decay=0.05)),
    (Adagrad, "Adagrad", dict(lr=0.1, weight_decay=0.05, initial_accumulator_value=0.1, eps=1e-3)),
    (RMSprop, "RMSprop", dict()),
    (RMSprop, "RMSprop", dict(lr=0.01, alpha=0.9)),
    # centered with the default alpha: with alpha = 0.9 the centred estimate v - m² of this
    # slowly varying gradient nearly cancels, the steps g / sqrt(v - m²) become erratic and any
    # rounding difference grows exponentially (both libraries agree only to ~1e-5 after 60 steps)
    (RMSprop, "RMSprop", dict(lr=0.01, centered=True)),
    (RMSprop, "RMSprop", dict(lr=0.005, momentum=0.9)),
    (RMSprop, "RMSprop", dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.01, eps=1e-6)),
    (Adam, "Adam", dict()),
    (Adam, "Adam", dict(lr=0.02, amsgrad=True)),
    (Adam, "Adam", dict(lr=0.02, weight_decay=0.1)),
    (Adam, "Adam", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-6, amsgrad=True, weight_decay=0.01)),
    (AdamW, "AdamW", dict()),
    (AdamW, "AdamW", dict(lr=0.02, weight_decay=0.1)),
    (AdamW, "AdamW", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("cls, torch_name, kwargs", PARITY_CASES,
                         ids=[f"{c[1]}-{'-'.join(f'{k}={v}' for k, v in c[2].items()) or 'defaults'}"
                              for c in PARITY_CASES])
def test_step_by_step_parity_with_torch(cls, torch_name, kwargs):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: parity with torch.optim skipped")
    problem = _Regression(SHAPES, seed=len(torch_name) + len(kwargs))
    steps = 60
    ours = _run_ours(cls, kwargs, problem, steps)
    theirs = _run_torch(torch, getattr(torch.optim, torch_name), kwargs, problem, steps)
    moved = max(np.abs(ours[-1][i] - problem.init[i]).max() for i in range(len(SHAPES)))
    assert moved > 1e-2, "the parameters barely moved: the comparison would be vacuous"
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for i, (x, y) in enumerate(zip(a, b)):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-13,
                                       err_msg=f"{torch_name}{kwargs}: param {i} at step {step + 1}")


def test_param_groups_parity_with_torch():
    torch = pytest.importorskip("torch", reason="PyTorch not installed: parity with torch.optim skipped")
    problem = _Regression(SHAPES, seed=11)
    groups = [{"params": [0, 1]}, {"params": [2, 3], "lr": 0.01, "momentum": 0.5}]
    ours = _run_ours(SGD, dict(lr=0.05, momentum=0.9), problem, 50, groups)
    theirs = _run_torch(torch, torch.optim.SGD, dict(lr=0.05, momentum=0.9), problem, 50, groups)
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-13)


def test_requires_grad_false_is_skipped():
    for cls in OPTIMIZERS:
        frozen = Parameter(np.ones((2, 2)), requires_grad=False)
        live = Parameter(np.ones((2, 2)))
        opt = cls([frozen, live], lr=0.1)
        frozen.grad[:] = 1.0
        live.grad[:] = 1.0
        opt.step()
        np.testing.assert_array_equal(frozen.data, 1.0)
        assert np.all(live.data < 1.0)
        assert frozen not in opt.state


@pytest.mark.parametrize("cls, kwargs", [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    (Adagrad, dict(lr=0.1, weight_decay=0.01, lr_decay=0.1)),
    (RMSprop, dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01)),
    (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    (AdamW, dict(lr=0.01)),
])
def test_float32_parameters_stay_float32_and_track_float64(cls, kwargs):
    problem = _Regression(SHAPES, seed=3)
    p32 = [Parameter(v.astype(np.float32)) for v in problem.init]
    p64 = [Parameter(v.copy()) for v in problem.init]
    o32, o64 = cls(p32, **kwargs), cls(p64, **kwargs)
    for _ in range(20):
        for params, opt in ((p32, o32), (p64, o64)):
            opt.zero_grad()
            for i, p in enumerate(params):
                p.grad += problem.grad(i, p.data).astype(p.data.dtype)
            opt.step()
    for a, b in zip(p32, p64):
        assert a.data.dtype == np.float32 and a.grad.dtype == np.float32
        np.testing.assert_allclose(a.data, b.data, rtol=1e-4, atol=1e-4)
    for state in o32.state.values():
        for value in state.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32


def test_update_is_in_place_and_gradient_is_not_modified():
    p = Parameter(np.array([1.0, 2.0]))
    data = p.data
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5)
    p.grad[:] = [0.1, 0.2]
    opt.step()
    assert p.data is data
    np.testing.assert_array_equal(p.grad, [0.1, 0.2])


def test_zero_grad_and_lr_property():
    a, b = Parameter(np.ones(3)), Parameter(np.ones(2))
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad[:] = 3.0
    b.grad[:] = 4.0
    opt.zero_grad()
    assert np.all(a.grad == 0) and np.all(b.grad == 0)
    assert opt.lr == 0.1
    opt.lr = 0.02
    assert [g["lr"] for g in opt.param_groups] == [0.02, 0.02]
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0


def test_step_uses_the_current_group_lr():
    p = Parameter(np.zeros(1))
    opt = SGD([p], lr=1.0)
    for lr in [1.0, 0.5, 0.25]:
        opt.param_groups[0]["lr"] = lr
        p.grad[:] = 1.0
        opt.step()
    assert p.data[0] == pytest.approx(-1.75)


def test_closure_value_is_returned():
    p = Parameter(np.array([2.0]))
    opt = SGD([p], lr=0.1)

    def closure():
        p.grad[:] = p.data
        return float(0.5 * p.data[0] ** 2)

    assert opt.step(closure) == 2.0
    assert p.data[0] == pytest.approx(1.8)


def test_add_param_group_for_staged_unfreezing():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


@pytest.mark.parametrize("cls, kwargs", [
    (SGD, dict(lr=0.1, momentum=0.9)),
    (Adagrad, dict(lr=0.1)),
    (RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    (Adam, dict(lr=0.01, amsgrad=True)),
])
def test_state_dict_round_trip_resumes_identically(cls, kwargs):
    problem = _Regression(SHAPES, seed=5)

    def run(params, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            for i, p in enumerate(params):
                p.grad += problem.grad(i, p.data)
            opt.step()

    params = [Parameter(v.copy()) for v in problem.init]
    opt = cls(params, **kwargs)
    run(params, opt, 5)
    saved_state, saved_values = opt.state_dict(), [p.data.copy() for p in params]
    run(params, opt, 5)
    fresh = [Parameter(v) for v in saved_values]
    opt2 = cls(fresh, **kwargs)
    opt2.load_state_dict(saved_state)
    run(fresh, opt2, 5)
    for a, b in zip(params, fresh):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("call, pattern", [
    (lambda ps: SGD(ps, lr=-0.1), r"learning rate lr -0.1; expected a value in \[0.0, inf\)"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), r"momentum -0.5; expected a value in \[0.0, 1.0\)"),
    (lambda ps: SGD(ps, lr=0.1, momentum=1.0), r"momentum 1.0"),
    (lambda ps: SGD(ps, lr=0.1, weight_decay=-1e-4), r"weight_decay -0.0001"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True), r"Nesterov momentum requires momentum > 0"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), r"dampening=0.1"),
    (lambda ps: SGD(ps, lr=float("nan")), r"finite number"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), r"beta1\) 1.0; expected a value in \[0.0, 1.0\)"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"beta2\) -0.1"),
    (lambda ps: Adam(ps, betas=0.9), r"betas must be a pair"),
    (lambda ps: Adam(ps, eps=-1e-8), r"eps -1e-08"),
    (lambda ps: AdamW(ps, weight_decay=-0.01), r"weight_decay -0.01"),
    (lambda ps: RMSprop(ps, alpha=1.5), r"alpha 1.5"),
    (lambda ps: RMSprop(ps, momentum=-0.1), r"momentum -0.1"),
    (lambda ps: Adagrad(ps, lr_decay=-1.0), r"lr_decay -1.0"),
    (lambda ps: Adagrad(ps, initial_accumulator_value=-1.0), r"initial_accumulator_value -1.0"),
    (lambda ps: SGD([{"params": ps, "lr": -1.0}], lr=0.1), r"learning rate lr -1.0"),
    (lambda ps: SGD([{"params": ps, "momentun": 0.9}], lr=0.1), r"unknown hyper-parameter.*momentun"),
    (lambda ps: SGD([], lr=0.1), r"empty parameter list"),
    (lambda ps: SGD(ps + ps, lr=0.1), r"same Parameter twice"),
])
def test_invalid_hyper_parameters_raise_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call([Parameter(np.zeros(2))])


def test_wrong_params_types_raise_type_error():
    model = mlcourse.Linear(2, 3, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"model.parameters\(\)"):
        SGD(model, lr=0.1)
    with pytest.raises(TypeError, match="single Parameter"):
        SGD(model.weight, lr=0.1)
    with pytest.raises(TypeError, match="mlcourse.Parameter"):
        SGD([np.zeros(3)], lr=0.1)


def test_sgd_trains_a_linear_layer():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    w_true = np.array([[1.0], [-2.0], [0.5]])
    y = X @ w_true + 0.3
    layer = mlcourse.Linear(3, 1, rng=rng, dtype=np.float64)
    opt = SGD(layer.parameters(), lr=0.1, momentum=0.9)
    for _ in range(600):
        opt.zero_grad()
        out = layer(X)
        layer.backward((out - y) / len(X))
        opt.step()
    np.testing.assert_allclose(layer.weight.data, w_true, atol=1e-6)
    np.testing.assert_allclose(layer.bias.data, [[0.3]], atol=1e-6)


def test_repr_lists_hyper_parameters():
    text = repr(SGD([Parameter(np.zeros(1))], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "momentum: 0.9" in text and "lr: 0.1" in text
    assert isinstance(SGD([Parameter(np.zeros(1))]), Optimizer)
