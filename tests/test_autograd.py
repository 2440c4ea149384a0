"""The scalar autograd engine against hand-computed gradients and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlcourse.autograd import Value
from mlcourse.gradcheck import numerical_gradient, rel_error


def test_lecture_example_z_equals_xy_plus_x() -> None:
    x, y = Value(3.0, label="x"), Value(-4.0, label="y")
    z = x * y + x
    z.backward()
    assert z.data == -9.0
    assert x.grad == -3.0  # dz/dx = y + 1
    assert y.grad == 3.0  # dz/dy = x


def test_input_used_twice_gets_both_contributions() -> None:
    x = Value(2.0)
    y = x * x  # dy/dx = 2x
    y.backward()
    assert x.grad == 4.0
    a = Value(1.5)
    b = a.tanh() + a.exp() * a  # d/da = 1 - tanh² + e^a (1 + a)
    b.backward()
    assert a.grad == pytest.approx(1 - math.tanh(1.5) ** 2 + math.exp(1.5) * 2.5, rel=1e-14)


@pytest.mark.parametrize(
    "f, df, x0",
    [
        (lambda v: v + 2.0, lambda x: 1.0, 0.7),
        (lambda v: 2.0 + v, lambda x: 1.0, 0.7),
        (lambda v: v - 2.0, lambda x: 1.0, 0.7),
        (lambda v: 2.0 - v, lambda x: -1.0, 0.7),
        (lambda v: v * 3.0, lambda x: 3.0, 0.7),
        (lambda v: 3.0 * v, lambda x: 3.0, 0.7),
        (lambda v: v / 4.0, lambda x: 0.25, 0.7),
        (lambda v: 4.0 / v, lambda x: -4.0 / x**2, 0.7),
        (lambda v: v**3, lambda x: 3 * x**2, -0.7),
        (lambda v: v**0.5, lambda x: 0.5 / math.sqrt(x), 0.7),
        (lambda v: 2.0**v, lambda x: 2.0**x * math.log(2.0), 0.7),
        (lambda v: -v, lambda x: -1.0, 0.7),
        (lambda v: v.exp(), lambda x: math.exp(x), 0.7),
        (lambda v: v.log(), lambda x: 1 / x, 0.7),
        (lambda v: v.tanh(), lambda x: 1 - math.tanh(x) ** 2, 0.7),
        (lambda v: v.sigmoid(), lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, -0.7),
        (lambda v: v.relu(), lambda x: 1.0, 0.7),
        (lambda v: v.relu(), lambda x: 0.0, -0.7),
    ],
)
def test_each_operation_has_the_hand_derived_gradient(f, df, x0: float) -> None:
    v = Value(x0)
    out = f(v)
    out.backward()
    assert v.grad == pytest.approx(df(x0), rel=1e-12)


def test_value_to_a_value_power() -> None:
    a, b = Value(1.7), Value(-0.4)
    c = a**b
    c.backward()
    assert c.data == pytest.approx(1.7**-0.4)
    assert a.grad == pytest.approx(-0.4 * 1.7**-1.4)
    assert b.grad == pytest.approx(1.7**-0.4 * math.log(1.7))


def test_sigmoid_is_stable_for_large_inputs() -> None:
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_chain_of_ten_thousand_operations() -> None:
    x = Value(0.5)
    out = x
    for _ in range(10_000):
        out = out * 1.0001 + 0.0  # two operations per step, derivative 1.0001 each
    out.backward()
    assert len(out.topological_order()) > 20_000
    assert x.grad == pytest.approx(1.0001**10_000, rel=1e-9)


def test_gradients_accumulate_and_zero_grad_resets() -> None:
    x, y = Value(3.0), Value(-4.0)
    z = x * y + x
    z.backward()
    z.backward()
    assert (x.grad, y.grad) == (-6.0, 6.0)
    z.zero_grad()
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)


def test_topological_order_puts_operands_first() -> None:
    x, y = Value(3.0, "x"), Value(-4.0, "y")
    p = x * y
    p.label = "p"
    z = p + x
    z.label = "z"
    order = z.topological_order()
    position = {id(v): i for i, v in enumerate(order)}
    assert order[-1] is z and len(order) == 4
    for v in order:
        assert all(position[id(parent)] < position[id(v)] for parent in v.parents)
    z.backward()
    table = z.trace().splitlines()
    assert table[0].split() == ["node", "op", "inputs", "data", "grad"]
    assert table[-1].split() == ["z", "+", "p,", "x", "-9", "1"]


def test_repr_shows_data_grad_op_and_label() -> None:
    x = Value(3.0, label="x")
    assert repr(x) == "Value(data=3, grad=0, label='x')"
    assert repr(x * 2) == "Value(data=6, grad=0, op='*')"


def _mlp_expression(w: np.ndarray) -> tuple[Value, list[Value]]:
    """A 2-2-1 tanh network on two inputs with a squared-error loss, as Values."""
    params = [Value(float(v)) for v in w]
    x1, x2, target = 0.5, -1.5, 0.25
    h1 = (params[0] * x1 + params[1] * x2 + params[2]).tanh()
    h2 = (params[3] * x1 + params[4] * x2 + params[5]).relu()
    out = (params[6] * h1 + params[7] * h2 + params[8]).sigmoid()
    loss = (out - target) ** 2 + 0.01 * (params[0] ** 2 + params[3] ** 2)
    return loss, params


def test_small_network_matches_finite_differences() -> None:
    w = np.array([0.3, -0.2, 0.1, -0.5, -0.4, 0.2, 0.8, -0.6, 0.05])
    loss, params = _mlp_expression(w)
    loss.backward()
    analytic = np.array([p.grad for p in params])
    numeric = numerical_gradient(lambda v: _mlp_expression(v)[0].data, w.copy())
    assert rel_error(analytic, numeric) < 1e-8
    assert np.all(analytic != 0)  # every weight matters at this point (the ReLU unit is active)


def test_clear_errors() -> None:
    with pytest.raises(ValueError, match=r"log of a non-positive number: log\(-2\)"):
        Value(-2.0).log()
    with pytest.raises(ValueError, match="non-positive"):
        Value(0.0).log()
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        1.0 / Value(0.0)
    with pytest.raises(TypeError, match="operands must be numbers or Values, got 'a'"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="real number"):
        Value("3")
    with pytest.raises(TypeError, match="real number"):
        Value([1.0])
    with pytest.raises(ValueError, match="non-integer power"):
        Value(-2.0) ** 0.5
    with pytest.raises(OverflowError, match="overflows"):
        Value(1000.0).exp()


@pytest.mark.parametrize("base", [0.0, 2.5, -3.0])
def test_power_zero_is_one_with_zero_gradient(base: float) -> None:
    # a⁰ = 1 for every a, also a = 0 (as in PyTorch): the derivative is 0, not 0·0⁻¹
    x = Value(base)
    y = x**0
    y.backward()
    assert y.data == 1.0
    assert x.grad == 0.0


def test_power_zero_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    xt = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (xt**0).backward()
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == float(xt.grad)
