"""Exercises of chapter 3 (activation functions).

- ``ch03-stable-sigmoid``: σ(x) and σ′(x) to full relative precision for |x| up to 700;
- ``ch03-elu-grad``: the derivative of the ELU, with the left derivative at the kink;
- ``ch03-dead-relu-fraction``: the share of a layer's ReLU units that are dead on a batch.
"""

from __future__ import annotations

import numpy as np

from mlcourse.grading import Exercise, Mistake, register


def _sigmoid_and_derivative(x):
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    s = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ds = e / (1.0 + e) ** 2  # σ(x)σ(−x), symmetric in x
    return s, ds


def _naive_cancelling(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s, s * (1.0 - s)


def _naive_overflowing(x):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-x)
        return 1.0 / (1.0 + e), e / (1.0 + e) ** 2


def _squared(x):
    s, _ = _sigmoid_and_derivative(x)
    return s, s * s


def _flipped(x):
    s, ds = _sigmoid_and_derivative(-x)
    return s, ds


def _sigmoid_case(rng):
    n = int(rng.integers(4, 12))
    parts = [rng.normal(0.0, 5.0, size=n), rng.uniform(30.0, 700.0, size=n), rng.uniform(-700.0, -30.0, size=n)]
    x = rng.permutation(np.concatenate(parts))
    return (x.reshape(3, n) if rng.random() < 0.5 else x,)


register(Exercise(
    id="ch03-stable-sigmoid",
    function="sigmoid_and_derivative",
    points=3,
    summary="return (σ(x), σ′(x)) with full relative precision for every |x| ≤ 700",
    public=[
        ("moderate inputs, |x| < 10", lambda rng: (rng.normal(0.0, 3.0, size=8),)),
        ("large positive inputs, 30 to 700", lambda rng: (np.sort(rng.uniform(30.0, 700.0, size=6)),)),
        ("large negative inputs, -700 to -30", lambda rng: (np.sort(rng.uniform(-700.0, -30.0, size=6)),)),
        ("a (3, 4) batch mixing all three", lambda rng: (np.concatenate(
            [rng.normal(0.0, 3.0, 4), rng.uniform(30.0, 700.0, 4), rng.uniform(-700.0, -30.0, 4)]).reshape(3, 4),)),
    ],
    hidden=_sigmoid_case,
    reference=_sigmoid_and_derivative,
    output_names=("s", "ds"),
    rtol=1e-6,
    atol=0.0,
    mistakes=[
        Mistake(_naive_cancelling,
                "σ(x)(1 − σ(x)) loses every digit for large x: σ(x) rounds to 1.0 once x ≳ 37, so "
                "1 − σ(x) becomes 0 instead of about e^(−x). Use 1 − σ(x) = σ(−x), computed directly"),
        Mistake(_naive_overflowing,
                "e^(−x)/(1 + e^(−x))² overflows for x ≲ −355 (the square of e^(−x) exceeds 1.8e308) "
                "and gives 0; only ever exponentiate −|x|"),
        Mistake(_squared, "σ′(x) = σ(x)(1 − σ(x)) = σ(x)σ(−x), not σ(x)²"),
        Mistake(_flipped, "σ(x) = 1/(1 + e^(−x)) is near 1 for large positive x: check the sign of the exponent"),
    ],
    hint="Write everything with e = exp(−|x|), which lies in (0, 1]: σ(|x|) = 1/(1 + e), σ(−|x|) = e/(1 + e).",
))


def _elu_grad(x, alpha):
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def _elu_case(rng):
    shape = (int(rng.integers(2, 6)), int(rng.integers(2, 5))) if rng.random() < 0.5 else (int(rng.integers(5, 15)),)
    x = rng.normal(0.0, 3.0, size=shape)
    x.flat[rng.integers(0, x.size)] = 0.0
    return x, float(rng.uniform(0.1, 2.0))


register(Exercise(
    id="ch03-elu-grad",
    function="elu_grad",
    points=2,
    summary="return the derivative of ELU_α at every entry of x (α at x = 0)",
    public=[
        ("α = 1, seven points from -3 to 3", lambda rng: (np.linspace(-3.0, 3.0, 7), 1.0)),
        ("α = 0.5, including x = 0", lambda rng: (np.array([-4.0, -1.0, -0.1, 0.0, 0.1, 2.0]), 0.5)),
        ("α = 1.7, a (4, 3) batch", lambda rng: (rng.normal(0.0, 2.0, size=(4, 3)), 1.7)),
    ],
    hidden=_elu_case,
    reference=_elu_grad,
    mistakes=[
        Mistake(lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))),
                "that is ELU(x) itself; the task is its derivative f′(x)"),
        Mistake(lambda x, alpha: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0))),
                "the negative branch is α(eˣ − 1), so its derivative is α eˣ: keep the factor α"),
        Mistake(lambda x, alpha: np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0.0))),
                "at the kink x = 0 use the left derivative α (as mlcourse and PyTorch do): the linear "
                "branch is x > 0, not x >= 0"),
        Mistake(lambda x, alpha: np.where(x > 0, 1.0, alpha * np.expm1(np.minimum(x, 0.0))),
                "d/dx α(eˣ − 1) = α eˣ: the −1 disappears when you differentiate"),
    ],
    hint="Differentiate each branch: x for x > 0 and α(eˣ − 1) for x ≤ 0.",
))


def _dead_fraction(Z):
    return float(np.mean(np.all(Z <= 0, axis=0)))


def _with_dead_units(rng, batch, units, n_dead, n_zero=0):
    Z = rng.normal(0.0, 1.0, size=(batch, units))
    Z[rng.integers(0, batch), :] = np.abs(Z[0]) + 0.1  # every unit is active on some example...
    columns = rng.permutation(units)
    Z[:, columns[:n_dead]] = -np.abs(Z[:, columns[:n_dead]]) - 0.05  # ...except the dead ones
    Z[:, columns[n_dead:n_dead + n_zero]] = 0.0  # exactly 0 everywhere: relu′(0) = 0, dead too
    return Z


def _dead_case(rng):
    batch, units = int(rng.integers(3, 20)), int(rng.integers(4, 12))
    n_dead = int(rng.integers(0, units - 1))
    n_zero = int(rng.integers(0, 2)) if n_dead < units - 2 else 0
    return (_with_dead_units(rng, batch, units, n_dead, n_zero),)


register(Exercise(
    id="ch03-dead-relu-fraction",
    function="dead_relu_fraction",
    points=2,
    summary="return the fraction of the C units whose ReLU derivative is 0 on every example of Z (B, C)",
    public=[
        ("8 examples, 5 units, 2 dead", lambda rng: (_with_dead_units(rng, 8, 5, 2),)),
        ("a unit that is exactly 0 on every example", lambda rng: (_with_dead_units(rng, 6, 4, 1, n_zero=1),)),
        ("no dead unit", lambda rng: (_with_dead_units(rng, 10, 6, 0),)),
    ],
    hidden=_dead_case,
    reference=_dead_fraction,
    mistakes=[
        Mistake(lambda Z: float(np.mean(Z <= 0)),
                "that is the share of (example, unit) entries that are ≤ 0; a unit is dead only when its "
                "pre-activation is ≤ 0 for EVERY example: reduce over the batch axis with np.all(..., axis=0)"),
        Mistake(lambda Z: float(np.mean(np.all(Z <= 0, axis=1))),
                "axis 0 of Z is the batch and axis 1 the units: reduce over axis 0 to get one verdict per unit"),
        Mistake(lambda Z: float(np.mean(np.all(Z < 0, axis=0))),
                "relu′(0) = 0, so a unit whose pre-activation is exactly 0 on every example gets no "
                "gradient either: test Z <= 0"),
        Mistake(lambda Z: float(np.sum(np.all(Z <= 0, axis=0))),
                "return the fraction of units (a number between 0 and 1), not how many there are"),
    ],
    hint="A dead unit is a column of Z with no positive entry.",
))


def _sig(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _silu_backward(x, grad_out, beta):
    s = _sig(beta * x)  # like x
    ds = s * (1.0 - s)  # sigma'(beta x)
    dx = grad_out * (s + beta * x * ds)  # like x
    dbeta = float(np.sum(grad_out * x * x * ds))
    return dx, dbeta


def _silu_case(rng):
    shape = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(1, 3))))
    x = 3.0 * rng.standard_normal(shape)
    return x, rng.standard_normal(shape), float(rng.uniform(0.2, 3.0))


register(Exercise(
    id="ch03-swish-backward",
    function="swish_backward",
    points=3,
    summary="return (dx, dbeta), the gradients of L through y = x sigmoid(beta x) given dL/dy",
    public=[
        ("beta = 1 (SiLU), five points", lambda rng: (
            np.array([-3.0, -1.0, 0.0, 0.5, 2.0]), np.ones(5), 1.0)),
        ("beta = 1.7, a (3, 4) batch", lambda rng: (
            3.0 * rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), 1.7)),
        ("beta = 0.5, large inputs (no overflow)", lambda rng: (
            np.array([[-800.0, -30.0], [30.0, 800.0]]), rng.standard_normal((2, 2)), 0.5)),
    ],
    hidden=_silu_case, n_hidden=8,
    reference=_silu_backward,
    output_names=("dx", "dbeta"),
    mistakes=[
        Mistake(lambda x, g, beta: (g * _sig(beta * x), _silu_backward(x, g, beta)[1]),
                "the product rule gives two terms: d/dx [x s(beta x)] = s(beta x) + "
                "beta x s'(beta x)"),
        Mistake(lambda x, g, beta: (_silu_backward(x, np.ones_like(g), beta)[0],
                                    _silu_backward(x, np.ones_like(g), beta)[1]),
                "multiply by the upstream gradient grad_out (chain rule), for dx and for dbeta"),
        Mistake(lambda x, g, beta: (_silu_backward(x, g, beta)[0],
                                    float(np.sum(g * x * _sig(beta * x) * (1 - _sig(beta * x))))),
                "d/dbeta of s(beta x) is x s'(beta x), and y has another factor x: "
                "dy/dbeta = x^2 s'(beta x)"),
        Mistake(lambda x, g, beta: (g * (_sig(x) + x * _sig(x) * (1 - _sig(x))),
                                    _silu_backward(x, g, beta)[1]),
                "the sigmoid is evaluated at beta x, and its inner derivative brings a factor beta"),
    ],
    hint="with s = sigmoid(beta x) and s' = s (1 - s): dy/dx = s + beta x s', "
         "dy/dbeta = x^2 s'. dx = grad_out * dy/dx; dbeta sums grad_out * dy/dbeta over all entries.",
))
