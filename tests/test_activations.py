"""Activations: values, derivatives, dtypes, stability, the plotting interface, erf."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlcourse
from mlcourse.activations import (
    ACTIVATIONS, ELU, GELU, PReLU, ReLU, RReLU, SELU, LeakyReLU, Sigmoid, Softmax, Softplus,
    Softsign, Tanh, activation_and_derivative, activation_names, arctan, arctan_grad, binary_step,
    binary_step_grad, erf, erfc,
)

GRID = np.linspace(-6, 6, 241)


def test_erf_matches_math_erf_everywhere() -> None:
    x = np.concatenate([np.linspace(-8, 8, 20001), [0.0, -0.0, 1e-300, 1.9999999, 2.0, 26.0, 40.0]])
    reference = np.array([math.erf(v) for v in x])
    assert np.abs(erf(x) - reference).max() < 1e-14
    assert erf(np.inf) == 1.0 and erf(-np.inf) == -1.0


def test_erfc_has_small_relative_error_in_the_tail() -> None:
    x = np.linspace(-5, 27, 8001)
    reference = np.array([math.erfc(v) for v in x])
    assert (np.abs(erfc(x) - reference) / reference).max() < 1e-12


def test_textbook_values() -> None:
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(Sigmoid()(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(Tanh()(x), 2 / (1 + np.exp(-2 * x)) - 1)  # tanh = 2σ(2x) − 1
    np.testing.assert_array_equal(ReLU()(x), [0, 0, 0, 0.5, 2])
    np.testing.assert_allclose(LeakyReLU(0.1)(x), [-0.2, -0.05, 0, 0.5, 2])
    np.testing.assert_allclose(ELU()(x), [np.exp(-2) - 1, np.exp(-0.5) - 1, 0, 0.5, 2])
    np.testing.assert_allclose(SELU()(np.array([1.0])), [1.0507009873554805])
    np.testing.assert_allclose(Softsign()(x), x / (1 + np.abs(x)))
    np.testing.assert_allclose(Softplus()(x), np.log1p(np.exp(x)))
    phi = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(GELU()(x), x * phi, rtol=1e-14)
    np.testing.assert_allclose(GELU("tanh")(x), x * phi, atol=1e-3)  # the approximation is close
    np.testing.assert_array_equal(binary_step(x), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(binary_step_grad(x), 0)
    np.testing.assert_allclose(arctan(x), np.arctan(x))
    np.testing.assert_allclose(arctan_grad(x), 1 / (1 + x**2))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_derivative_matches_backward_and_central_differences(name: str) -> None:
    x = GRID[np.abs(GRID) > 1e-3]  # away from the kink at 0
    f, df = activation_and_derivative(name, x)
    h = 1e-6
    numeric = (activation_and_derivative(name, x + h)[0] - activation_and_derivative(name, x - h)[0]) / (2 * h)
    np.testing.assert_allclose(df, numeric, atol=1e-7)
    act = ACTIVATIONS[name]().eval()
    np.testing.assert_array_equal(act(x), f)
    np.testing.assert_allclose(act.backward(np.ones_like(x)), df)


@pytest.mark.parametrize("name", ["binary_step", "arctan"])
def test_plain_functions_are_available_for_plotting(name: str) -> None:
    f, df = activation_and_derivative(name, GRID)
    assert f.shape == df.shape == GRID.shape
    assert name in activation_names()


def test_activation_and_derivative_passes_hyper_parameters_and_rejects_unknown_names() -> None:
    _, df = activation_and_derivative("leaky_relu", np.array([-1.0, 1.0]), negative_slope=0.2)
    np.testing.assert_allclose(df, [0.2, 1.0])
    with pytest.raises(ValueError, match="unknown activation 'swish'; expected one of"):
        activation_and_derivative("swish", GRID)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_float32_in_float32_out(name: str) -> None:
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    act = ACTIVATIONS[name](4) if name == "prelu" else ACTIVATIONS[name]()
    y = act(x)
    assert y.dtype == np.float32
    assert act.backward(np.ones_like(y)).dtype == np.float32
    assert act.derivative(x).dtype == np.float32
    assert Softmax()(x).dtype == np.float32


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_extreme_inputs_give_finite_values_without_warnings(name: str) -> None:
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for dtype in (np.float32, np.float64):
        f, df = activation_and_derivative(name, x.astype(dtype))
        assert np.isfinite(f).all() and np.isfinite(df).all()
    p = Softmax()(np.array([[1000.0, -1000.0, 999.0]]))
    np.testing.assert_allclose(p, [[1 / (1 + np.exp(-1)), 0, 1 / (1 + np.e)]])


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=5),
                  elements=st.floats(-50, 50)))
def test_softmax_rows_are_distributions_and_backward_is_the_jacobian_product(z: np.ndarray) -> None:
    softmax = Softmax()
    p = softmax(z)
    assert (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    g = np.cos(np.arange(z.size, dtype=np.float64)).reshape(z.shape)
    dz = softmax.backward(g)
    for row in range(z.shape[0]):
        np.testing.assert_allclose(dz[row], Softmax.jacobian(z[row]) @ g[row], atol=1e-12)


def test_softmax_jacobian_formula() -> None:
    z = np.array([1.0, 2.0, 0.5])
    p = np.exp(z) / np.exp(z).sum()
    jac = Softmax.jacobian(z)
    for i in range(3):
        for j in range(3):
            assert jac[i, j] == pytest.approx(p[i] * ((i == j) - p[j]))


def test_prelu_one_slope_per_feature(rng: np.random.Generator) -> None:
    act = PReLU(3, init=0.1, dtype=np.float64)
    act.weight.data[...] = [0.1, 0.2, 0.3]
    x = -np.ones((2, 3, 4))
    np.testing.assert_allclose(act(x)[:, :, 0], [[-0.1, -0.2, -0.3]] * 2)
    act.backward(np.ones_like(x))
    np.testing.assert_allclose(act.weight.grad, [-8.0, -8.0, -8.0])  # Σ g·x over 2·4 entries per slope
    with pytest.raises(ValueError, match="3 features on axis 1, got shape \\(2, 4\\)"):
        act(np.ones((2, 4)))


def test_rrelu_random_in_training_mean_slope_in_eval() -> None:
    x = -np.ones(10_000)
    act = RReLU(0.1, 0.3, rng=np.random.default_rng(0))
    slopes = -act(x)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.05
    np.testing.assert_array_equal(act.backward(np.ones_like(x)), slopes)  # backward reuses the slopes
    assert not np.array_equal(-act(x), slopes)  # fresh slopes every forward
    act.eval()
    np.testing.assert_allclose(act(x), -0.2)
    np.testing.assert_allclose(act.backward(np.ones_like(x)), 0.2)
    np.testing.assert_array_equal(act(-x), 1.0)


def test_rrelu_is_reproducible_with_a_seeded_generator() -> None:
    x = -np.linspace(0.1, 1, 5)
    a = RReLU(rng=np.random.default_rng(3))(x)
    b = RReLU(rng=np.random.default_rng(3))(x)
    np.testing.assert_array_equal(a, b)


def test_saturation_and_dead_units() -> None:
    assert Sigmoid().derivative(np.array([10.0]))[0] < 1e-4
    assert Tanh().derivative(np.array([5.0]))[0] < 1e-3
    assert ReLU().derivative(np.array([-3.0]))[0] == 0.0  # dead side
    assert Sigmoid().derivative(np.array([0.0]))[0] == 0.25  # σ′ is at most 1/4
    assert GELU()(np.array([-0.7517916]))[0] == pytest.approx(-0.16997, abs=1e-4)  # GELU's minimum


def test_kink_conventions_follow_pytorch() -> None:
    zero = np.zeros(1)
    assert ReLU().derivative(zero)[0] == 0.0
    assert LeakyReLU(0.3).derivative(zero)[0] == 0.3
    assert ELU(2.0).derivative(zero)[0] == 2.0


def test_every_exported_activation_is_reachable_from_the_package() -> None:
    for name, where in mlcourse._EXPORTS.items():
        if where == "activations":
            assert getattr(mlcourse, name) is getattr(mlcourse.activations, name)
