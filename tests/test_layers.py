"""Linear and Flatten: values, shapes, dtypes, initialisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcourse.layers import Flatten, Linear


def test_linear_computes_x_w_plus_b(rng: np.random.Generator) -> None:
    layer = Linear(3, 2, rng=rng)
    layer.weight.data[...] = [[1, 2], [3, 4], [5, 6]]
    layer.bias.data[...] = [[0.5, -0.5]]
    y = layer(np.array([[1.0, 0.0, -1.0]], dtype=np.float32))
    np.testing.assert_array_equal(y, [[1 - 5 + 0.5, 2 - 6 - 0.5]])
    assert y.dtype == np.float32


def test_linear_backward_is_the_lecture_formulas(rng: np.random.Generator) -> None:
    layer = Linear(4, 3, rng=rng, dtype=np.float64)
    x, g = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    layer(x)
    dx = layer.backward(g)
    np.testing.assert_allclose(dx, g @ layer.weight.data.T)  # dL/dX = G Wᵀ
    np.testing.assert_allclose(layer.weight.grad, x.T @ g)  # dL/dW = Xᵀ G
    np.testing.assert_allclose(layer.bias.grad, g.sum(axis=0, keepdims=True))  # dL/db = 1ᵀ G


@given(batch=st.integers(1, 6), c_in=st.integers(1, 7), c_out=st.integers(1, 7), bias=st.booleans())
def test_linear_shapes(batch: int, c_in: int, c_out: int, bias: bool) -> None:
    layer = Linear(c_in, c_out, bias=bias, rng=np.random.default_rng(0))
    assert layer.weight.shape == (c_in, c_out)
    assert (layer.bias is None) == (not bias)
    if bias:
        assert layer.bias.shape == (1, c_out)
    y = layer(np.ones((batch, c_in), dtype=np.float32))
    assert y.shape == (batch, c_out)
    assert layer.backward(np.ones_like(y)).shape == (batch, c_in)
    assert layer.num_parameters() == c_in * c_out + (c_out if bias else 0)


def test_default_initialisation_is_pytorchs_uniform(rng: np.random.Generator) -> None:
    layer = Linear(100, 50, rng=rng)
    bound = 1 / np.sqrt(100)
    assert layer.weight.dtype == np.float32
    assert np.abs(layer.weight.data).max() <= bound
    assert layer.weight.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)  # std of U(-a, a)
    assert np.abs(layer.bias.data).max() <= bound


def test_seeded_generators_give_identical_layers() -> None:
    a = Linear(5, 4, rng=np.random.default_rng(7))
    b = Linear(5, 4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_callable_init_fills_the_weight_and_zeroes_the_bias(rng: np.random.Generator) -> None:
    def constant(w: np.ndarray, rng: np.random.Generator) -> None:
        w[...] = 0.25

    layer = Linear(3, 2, rng=rng, init=constant, dtype=np.float64)
    assert (layer.weight.data == 0.25).all() and layer.weight.dtype == np.float64
    assert not layer.bias.data.any()


def test_flatten_round_trip(rng: np.random.Generator) -> None:
    x = rng.standard_normal((4, 2, 3, 5))
    flat = Flatten()
    y = flat(x)
    assert y.shape == (4, 30)
    np.testing.assert_array_equal(y[1], x[1].ravel())
    g = rng.standard_normal(y.shape)
    np.testing.assert_array_equal(flat.backward(g), g.reshape(x.shape))


def test_linear_keeps_the_input_of_its_last_forward_for_backward(rng: np.random.Generator) -> None:
    layer = Linear(2, 2, rng=rng, dtype=np.float64)
    first, second = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    layer(first)
    layer(second)
    layer.backward(np.ones((3, 2)))
    np.testing.assert_allclose(layer.weight.grad, second.T @ np.ones((3, 2)))
