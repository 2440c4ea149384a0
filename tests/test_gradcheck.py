"""The gradient checker itself: it must pass right gradients and catch wrong ones."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from mlcourse.activations import RReLU, Tanh
from mlcourse.gradcheck import (
    GradientCheckError, check_loss_gradients, check_module_gradients, numerical_gradient,
    numerical_gradient_array, rel_error,
)
from mlcourse.layers import Linear
from mlcourse.losses import CrossEntropyLoss, MSELoss
from mlcourse.module import Module, Parameter, Sequential


def test_numerical_gradient_of_a_known_function(rng: np.random.Generator) -> None:
    x = rng.standard_normal((3, 4))
    before = x.copy()
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8)
    assert np.array_equal(x, before)  # restored exactly


def test_numerical_gradient_array_against_an_upstream_gradient(rng: np.random.Generator) -> None:
    x, g = rng.standard_normal(5), rng.standard_normal(5)
    grad = numerical_gradient_array(np.sin, x, g)
    np.testing.assert_allclose(grad, np.cos(x) * g, rtol=1e-8)


def test_numerical_gradient_rejects_bad_inputs() -> None:
    with pytest.raises(TypeError, match="floating-point ndarray.*int64"):
        numerical_gradient(lambda v: 0.0, np.arange(3))
    with pytest.raises(ValueError, match="must return a scalar.*numerical_gradient_array"):
        numerical_gradient(lambda v: v * 2, np.ones(3))
    with pytest.warns(UserWarning, match="float64"):
        numerical_gradient(lambda v: float(v.sum()), np.ones(2, dtype=np.float32))


def test_rel_error_is_the_course_formula_for_scalars() -> None:
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error(0.0, 0.0) == 0.0
    assert rel_error(2.0, 1.0) == pytest.approx(0.5)  # |2 − 1| / max(2, 1)
    assert rel_error(-1.0, 1.0) == pytest.approx(2.0)
    # a zero entry in both arrays, or round-off next to a large entry, is not blown up
    assert rel_error([0.0, 1.0], [1e-12, 1.0]) == pytest.approx(1e-12)
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.ones(2), np.ones(3))


class BuggyLinear(Linear):
    """Linear whose weight gradient forgets a factor (a typical hand-derivation slip)."""

    def backward(self, grad_output: NDArray) -> NDArray:
        grad_input = super().backward(grad_output)
        self.weight.grad[1, 0] *= 1.5
        return grad_input


def test_check_module_gradients_reports_every_name(rng: np.random.Generator) -> None:
    model = Sequential(Linear(3, 4, rng=rng), Tanh(), Linear(4, 2, rng=rng))
    report = check_module_gradients(model, rng.standard_normal((5, 3)))
    assert set(report) == {"input", "0.weight", "0.bias", "2.weight", "2.bias"}
    assert report.max_error < 1e-7
    assert "0.weight" in str(report)


def test_check_module_gradients_names_the_wrong_parameter_and_entry(rng: np.random.Generator) -> None:
    model = Sequential(Linear(3, 4, rng=rng), Tanh(), BuggyLinear(4, 2, rng=rng))
    with pytest.raises(GradientCheckError) as info:
        check_module_gradients(model, rng.standard_normal((5, 3)))
    message = str(info.value)
    assert "parameter '2.weight'" in message
    assert "worst entry at index (1, 0)" in message
    assert "analytic" in message and "numeric" in message


def test_check_module_gradients_leaves_the_module_untouched(rng: np.random.Generator) -> None:
    layer = Linear(3, 2, rng=rng)
    weight = layer.weight.data.copy()
    check_module_gradients(layer, rng.standard_normal((4, 3)))
    assert layer.weight.data.dtype == np.float32
    assert np.array_equal(layer.weight.data, weight)
    assert not layer.weight.grad.any()


def test_random_modules_are_checked_by_replaying_their_generator(rng: np.random.Generator) -> None:
    x = rng.standard_normal((6, 4))
    x[np.abs(x) < 1e-2] = 0.5
    layer = RReLU(0.0, 1.0, rng=np.random.default_rng(0))
    report = check_module_gradients(layer, x)
    assert report["input"] < 1e-8
    state = layer.rng.bit_generator.state
    check_module_gradients(layer, x)
    assert layer.rng.bit_generator.state == state  # the check used a copy


class GlobalNoise(Module):
    """Forward draws from a fresh generator every call: not checkable."""

    def forward(self, x: NDArray) -> NDArray:
        return x + np.random.default_rng().standard_normal(x.shape)

    def backward(self, grad_output: NDArray) -> NDArray:
        return grad_output


def test_nondeterministic_forward_is_refused(rng: np.random.Generator) -> None:
    with pytest.raises(GradientCheckError, match="two forward passes on the same input differ"):
        check_module_gradients(GlobalNoise(), rng.standard_normal(3))


class Scale(Module):
    """y = a·x with a scalar parameter a, backward written wrongly for a."""

    def __init__(self) -> None:
        super().__init__()
        self.a = Parameter(np.array([2.0]))
        self._x: NDArray | None = None

    def forward(self, x: NDArray) -> NDArray:
        self._x = x
        return self.a.data * x

    def backward(self, grad_output: NDArray) -> NDArray:
        self._require_cache(self._x)
        self.a.grad += np.sum(grad_output)  # wrong: should be sum(g * x)
        return grad_output * self.a.data


def test_wrong_parameter_gradient_is_caught(rng: np.random.Generator) -> None:
    with pytest.raises(GradientCheckError, match="parameter 'a'.*index \\(0,\\)"):
        check_module_gradients(Scale(), rng.standard_normal(4) + 3)


def test_check_loss_gradients(rng: np.random.Generator) -> None:
    report = check_loss_gradients(CrossEntropyLoss(), rng.standard_normal((4, 3)), np.array([0, 2, 1, 2]))
    assert report["input"] < 1e-8

    class HalfMSE(MSELoss):
        def backward(self, grad_output=None):  # forgets the factor 2
            return super().backward(grad_output) / 2

    with pytest.raises(GradientCheckError, match="HalfMSE: the gradient of the input is wrong"):
        check_loss_gradients(HalfMSE(), rng.standard_normal(5), rng.standard_normal(5))


def test_grad_output_shape_is_checked(rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="grad_output has shape \\(3,\\).*\\(4, 2\\)"):
        check_module_gradients(Linear(3, 2, rng=rng), rng.standard_normal((4, 3)), np.ones(3))
