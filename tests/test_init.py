"""Tests for mlcourse.init: formulas, fans, gains, reproducibility, errors, deep ReLU stacks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlcourse
from mlcourse import init
from mlcourse.module import Parameter

# Tolerances for the moment checks. For n independent draws with variance s2:
# * the sample mean has standard error sqrt(s2 / n);
# * the sample variance has standard error sqrt((mu4 - s2**2) / n), which is
#   s2 * sqrt(2 / (n - 1)) for a normal (mu4 = 3 s2**2) and s2 * sqrt(0.8 / n)
#   for a uniform (mu4 = 9/5 s2**2).
# We allow N_SE = 6 standard errors: a correct initializer fails with
# probability ~2e-9 per check, while with n = 10**6 draws a wrong formula is
# caught as soon as the variance is off by more than 6 * sqrt(2e-6) = 0.85 %
# (the factor-2 mistakes the tests guard against are 100 times larger).
N_SE = 6.0
SHAPE = (1000, 1000)
SHAPE_RECT = (1200, 600)


def _check_moments(w: np.ndarray, mean: float, var: float, kurtosis: float) -> None:
    n = w.size
    se_mean = math.sqrt(var / n)
    se_var = var * math.sqrt((kurtosis - 1.0) / (n - 1))
    assert abs(w.mean() - mean) <= N_SE * se_mean, (w.mean(), mean, se_mean)
    assert abs(w.var(ddof=1) - var) <= N_SE * se_var, (w.var(ddof=1), var, se_var)


NORMAL, UNIFORM = 3.0, 9.0 / 5.0  # kurtosis mu4 / s2**2


@pytest.mark.parametrize(
    "fn, kwargs, shape, mean, var, kurt",
    [
        (init.normal_, dict(mean=0.5, std=2.0), SHAPE, 0.5, 4.0, NORMAL),
        (init.uniform_, dict(a=-1.0, b=3.0), SHAPE, 1.0, 16.0 / 12.0, UNIFORM),
        (init.lecun_normal_, {}, SHAPE_RECT, 0.0, 1.0 / 1200, NORMAL),
        (init.lecun_uniform_, {}, SHAPE_RECT, 0.0, 1.0 / 1200, UNIFORM),
        (init.xavier_normal_, {}, SHAPE_RECT, 0.0, 2.0 / 1800, NORMAL),
        (init.xavier_uniform_, {}, SHAPE_RECT, 0.0, 2.0 / 1800, UNIFORM),
        (init.xavier_normal_, dict(gain=5.0 / 3.0), SHAPE_RECT, 0.0, (25 / 9) * 2.0 / 1800, NORMAL),
        (init.kaiming_normal_, {}, SHAPE_RECT, 0.0, 2.0 / 1200, NORMAL),
        (init.kaiming_uniform_, {}, SHAPE_RECT, 0.0, 2.0 / 1200, UNIFORM),
        (init.kaiming_normal_, dict(mode="fan_out"), SHAPE_RECT, 0.0, 2.0 / 600, NORMAL),
        (init.kaiming_uniform_, dict(mode="fan_out"), SHAPE_RECT, 0.0, 2.0 / 600, UNIFORM),
        (init.kaiming_normal_, dict(a=0.2), SHAPE_RECT, 0.0, 2.0 / (1.04 * 1200), NORMAL),
        (init.kaiming_normal_, dict(nonlinearity="tanh"), SHAPE_RECT, 0.0, (25 / 9) / 1200, NORMAL),
        (init.kaiming_uniform_, dict(nonlinearity="linear"), SHAPE_RECT, 0.0, 1.0 / 1200, UNIFORM),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_empirical_mean_and_variance_match_formula(fn, kwargs, shape, mean, var, kurt):
    w = np.empty(shape)
    out = fn(w, rng=np.random.default_rng(0), **kwargs)
    assert out is w
    _check_moments(w, mean, var, kurt)


def test_float32_draws_match_formula_and_keep_dtype():
    w = np.empty(SHAPE_RECT, dtype=np.float32)
    init.kaiming_normal_(w, rng=np.random.default_rng(1))
    assert w.dtype == np.float32
    _check_moments(w.astype(np.float64), 0.0, 2.0 / 1200, NORMAL)


@pytest.mark.parametrize(
    "fn, kwargs, bound",
    [
        (init.xavier_uniform_, {}, math.sqrt(6.0 / (1200 + 600))),
        (init.lecun_uniform_, {}, math.sqrt(3.0 / 1200)),
        (init.kaiming_uniform_, {}, math.sqrt(6.0 / 1200)),
        (init.kaiming_uniform_, dict(mode="fan_out"), math.sqrt(6.0 / 600)),
        (init.uniform_, dict(a=-0.3, b=0.3), 0.3),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_uniform_bounds_are_respected_and_reached(fn, kwargs, bound, dtype):
    w = np.empty(SHAPE_RECT, dtype=dtype)
    fn(w, rng=np.random.default_rng(2), **kwargs)
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    # P(all 720,000 draws stay below 0.999 * bound on one side) = 0.9995**720000 ~ e^-360
    assert w.max() > 0.999 * bound and w.min() < -0.999 * bound


def test_xavier_bound_equals_lecture_fan_avg_form():
    fan_in, fan_out = 1200, 600
    fan_avg = (fan_in + fan_out) / 2
    w = init.xavier_uniform_(np.empty((fan_in, fan_out)), rng=np.random.default_rng(3))
    assert np.abs(w).max() <= math.sqrt(3.0 / fan_avg)
    assert math.isclose(math.sqrt(3.0 / fan_avg), math.sqrt(6.0 / (fan_in + fan_out)))


def test_fans_follow_the_in_out_layout():
    assert init.compute_fans((784, 256)) == (784, 256)
    assert init.compute_fans((1, 10)) == (1, 10)
    assert init.compute_fans((3, 16, 5, 5)) == (75, 400)
    # fan_in is shape[0]: kaiming fan_in uses 1000, fan_out uses 10
    w = init.kaiming_normal_(np.empty((1000, 10)), rng=np.random.default_rng(4))
    _check_moments(w, 0.0, 2.0 / 1000, NORMAL)
    w = init.kaiming_normal_(np.empty((10, 100000)), mode="fan_out", rng=np.random.default_rng(4))
    _check_moments(w, 0.0, 2.0 / 100000, NORMAL)


def test_compute_fans_rejects_fewer_than_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.compute_fans((5,))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_normal_(np.empty(5))


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("identity") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5.0 / 3.0, rel=1e-15)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2.0), rel=1e-15)
    assert init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2.0 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2.0 / 1.04))
    assert init.calculate_gain("leaky_relu", 0) == init.calculate_gain("relu")


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch", reason="PyTorch not installed: parity with torch.nn.init skipped")
    for name in ["linear", "sigmoid", "tanh", "relu", "selu"]:
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name), rel=1e-15)
    for slope in [None, 0.0, 0.1, 0.3]:
        assert init.calculate_gain("leaky_relu", slope) == pytest.approx(
            torch.nn.init.calculate_gain("leaky_relu", slope), rel=1e-15
        )


def test_unknown_nonlinearity_names_the_allowed_values():
    with pytest.raises(ValueError, match=r"unknown nonlinearity 'swish'.*'relu'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="'leaky_relu'"):
        init.kaiming_normal_(np.empty((4, 4)), nonlinearity="gelu", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="slope"):
        init.calculate_gain("leaky_relu", "big")


def test_bad_mode_raises_with_allowed_values():
    for fn in (init.kaiming_normal_, init.kaiming_uniform_):
        with pytest.raises(ValueError, match=r"mode must be one of \['fan_in', 'fan_out'\], got 'fan_avg'"):
            fn(np.empty((4, 4)), mode="fan_avg")


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: init.normal_(np.empty(3), std=-1.0), ValueError, r"invalid std -1.0; expected a value in \[0.0, inf\)"),
        (lambda: init.uniform_(np.empty(3), a=1.0, b=0.0), ValueError, "a <= b"),
        (lambda: init.normal_(np.empty(3), std=float("nan")), ValueError, "finite"),
        (lambda: init.normal_(np.zeros(3, dtype=np.int64)), TypeError, "floating-point"),
        (lambda: init.normal_([0.0, 1.0]), TypeError, "NumPy array or an mlcourse.Parameter"),
        (lambda: init.normal_(np.empty(3), rng="0"), TypeError, "numpy.random.Generator"),
        (lambda: init.normal_(np.empty(3), rng=np.random.RandomState(0)), TypeError, "Generator"),
        (lambda: init.xavier_uniform_(np.empty((3, 3)), gain=-1.0), ValueError, "invalid gain -1.0"),
        (lambda: init.constant_(np.empty(3)), TypeError, "val=0.5"),
        (lambda: init.constant_(np.empty(3), "one"), TypeError, "val must be a number"),
    ],
)
def test_bad_arguments_raise(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_read_only_array_is_rejected():
    w = np.zeros((3, 3))
    w.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        init.ones_(w)


def test_constant_zeros_ones_fill_in_place():
    w = np.full((3, 4), 7.0, dtype=np.float32)
    assert init.zeros_(w) is w and np.all(w == 0) and w.dtype == np.float32
    assert init.ones_(w) is w and np.all(w == 1)
    assert init.constant_(w, 0.25) is w and np.all(w == 0.25)


@pytest.mark.parametrize("fn", [init.normal_, init.uniform_, init.xavier_normal_, init.xavier_uniform_,
                                init.lecun_normal_, init.lecun_uniform_, init.kaiming_normal_,
                                init.kaiming_uniform_])
def test_parameter_is_filled_and_returned(fn):
    p = Parameter(np.zeros((50, 40), dtype=np.float32))
    data = p.data
    out = fn(p, rng=np.random.default_rng(5))
    assert out is p
    assert p.data is data and p.data.dtype == np.float32
    assert np.count_nonzero(p.data) == p.data.size
    assert np.all(p.grad == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", [init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.lecun_uniform_])
def test_same_seed_same_array(fn, dtype):
    a = fn(np.empty((30, 20), dtype=dtype), rng=np.random.default_rng(42))
    b = fn(np.empty((30, 20), dtype=dtype), rng=np.random.default_rng(42))
    c = fn(np.empty((30, 20), dtype=dtype), rng=np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_non_contiguous_view_is_filled():
    big = np.zeros((200, 100))
    view = big[:, ::2]
    init.kaiming_normal_(view, rng=np.random.default_rng(6))
    assert np.count_nonzero(big[:, ::2]) == view.size and np.all(big[:, 1::2] == 0)
    assert abs(view.std() - math.sqrt(2.0 / 200)) < 0.05 * math.sqrt(2.0 / 200)


def test_default_rng_gives_fresh_draws():
    a = init.normal_(np.empty(100))
    b = init.normal_(np.empty(100))
    assert not np.array_equal(a, b)


INIT_NAMES = ["zeros", "ones", "normal", "uniform", "xavier_normal", "xavier_uniform", "lecun_normal",
              "lecun_uniform", "kaiming_normal", "kaiming_uniform"]


@pytest.mark.parametrize("name", INIT_NAMES)
def test_linear_accepts_every_initializer_by_name(name):
    a = mlcourse.Linear(400, 300, init=name, rng=np.random.default_rng(7))
    b = mlcourse.Linear(400, 300, init=name, rng=np.random.default_rng(7))
    assert a.weight.data.shape == (400, 300) and a.weight.data.dtype == np.float32
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, 0)


def test_linear_kaiming_by_name_is_he_init_for_relu():
    layer = mlcourse.Linear(1000, 500, init="kaiming_normal", rng=np.random.default_rng(8), dtype=np.float64)
    _check_moments(layer.weight.data, 0.0, 2.0 / 1000, NORMAL)
    layer = mlcourse.Linear(1000, 500, init="xavier_uniform", rng=np.random.default_rng(8), dtype=np.float64)
    _check_moments(layer.weight.data, 0.0, 2.0 / 1500, UNIFORM)


def test_linear_constant_by_name_explains_how_to_pass_a_value():
    with pytest.raises(TypeError, match="constant_"):
        mlcourse.Linear(3, 2, init="constant")


def _relu_stack_second_moments(weight_init, n_nets=32, batch=8, width=256, depth=50, seed=0):
    """Mean of x_l² over a batch and over ``n_nets`` independent networks, for l = 0..depth.

    x_0 ~ N(0, 1) is the input; x_l = max(0, x_{l-1} W_l) with a fresh W_l per
    layer and per network, filled by ``weight_init``.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_nets, batch, width))  # (K, B, n)
    moments = [float(np.mean(x**2))]
    w = np.empty((n_nets, width, width))
    for _ in range(depth):
        for k in range(n_nets):
            weight_init(w[k], rng)
        x = np.maximum(x @ w, 0.0)  # (K, B, n)
        moments.append(float(np.mean(x**2)))
    return np.array(moments)


def test_kaiming_keeps_activation_second_moment_through_50_relu_layers():
    # What is measured: m_l = E[x_l²], the second moment of the post-ReLU
    # activations of layer l, averaged over the batch AND over 32 independent
    # networks (width 256, float64), relative to m_1 (layer 1). He et al.'s
    # derivation is a statement about this expectation over random weights:
    # Var(y_l) = n Var(W) E[x_{l-1}²] = Var(y_{l-1}) for Var(W) = 2/n, so m_l = m_1.
    # A single finite-width network fluctuates around it: each layer multiplies
    # m_l by a random factor of mean 1 and relative variance ~5/n (half the
    # units are cut, chi-square spread), and deep ReLU layers make the batch
    # examples almost collinear, so the batch does not average it out. After
    # 50 layers log(m_50 / m_1) has a standard deviation ~sqrt(50 * 5 / 256) ~ 1
    # for ONE network (Hanin & Rolnick 2018, "How to Start Training"), which
    # would make a [0.5, 2] check a lottery over seeds. Averaging 32 networks
    # divides the variance of the ratio by 32 (std ~0.23), well inside the band.
    kaiming = lambda w, rng: init.kaiming_normal_(w, rng=rng)  # noqa: E731
    m = _relu_stack_second_moments(kaiming)
    ratio = m[1:] / m[1]
    assert np.all((ratio >= 0.5) & (ratio <= 2.0)), ratio
    # E[x_1²] = ½ Var(y_1) = ½ · n · (2/n) · E[x_0²] = E[x_0²]: also the input's
    assert 0.5 <= m[-1] / m[0] <= 2.0


def test_small_gaussian_init_collapses_activations():
    # N(0, 0.01²): each layer multiplies the second moment by n · 1e-4 / 2 =
    # 0.0128 (width 256), i.e. 1e-95 after 50 layers; one network suffices.
    small = lambda w, rng: init.normal_(w, std=0.01, rng=rng)  # noqa: E731
    m = _relu_stack_second_moments(small, n_nets=1, batch=64)
    assert m[-1] / m[1] < 1e-3
    assert m[-1] / m[0] < 1e-3
    assert np.all(np.diff(m[1:]) < 0)
