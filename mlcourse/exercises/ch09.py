"""Exercises of chapter 9 (initialization).

* ``ch09-kaiming-std``: the standard deviation of Kaiming/He normal
  initialisation for a weight of shape ``(C_in, C_out, *kernel)`` followed by
  a leaky ReLU of slope ``a`` (ReLU for ``a = 0``);
* ``ch09-layer-variances``: the variance of the pre-activations of every layer
  of a given stack, the statistic the chapter follows through 50 layers;
* ``ch09-sigmoid-variances``: a derivation the chapter leaves to the student,
  the linearised variance recursion of a sigmoid network and its fixed point.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]


def _kaiming_std(shape: tuple[int, ...], a: float = 0.0) -> float:
    fan_in = int(shape[0]) * math.prod(int(k) for k in shape[2:])
    return math.sqrt(2.0 / ((1.0 + a * a) * fan_in))


def _kaiming_case(rng: np.random.Generator) -> tuple[tuple[int, ...], float]:
    c_in, c_out = (int(v) for v in rng.integers(2, 600, size=2))
    if c_in == c_out:
        c_out += 1
    kernel = tuple(int(k) for k in rng.integers(2, 6, size=int(rng.integers(0, 3))))
    slope = float(rng.choice([0.0, 0.01, 0.1, 0.2, 0.5]))
    return (c_in, c_out, *kernel), slope


def _kaiming_with(fan, gain2):
    def wrong(shape, a=0.0):
        return math.sqrt(gain2(a) / fan(shape))
    return wrong


def _fan_in(shape):
    return int(shape[0]) * math.prod(int(k) for k in shape[2:])


def _fan_out(shape):
    return int(shape[1]) * math.prod(int(k) for k in shape[2:])


_RELU_GAIN2 = lambda a: 2.0 / (1.0 + a * a)  # noqa: E731

register(Exercise(
    id="ch09-kaiming-std",
    function="kaiming_std",
    points=2,
    summary="return the std of Kaiming/He normal init for a weight of shape (C_in, C_out, *kernel) "
            "before a leaky ReLU of slope a",
    public=[
        ("Linear 784 -> 256, ReLU (a = 0)", lambda rng: ((784, 256), 0.0)),
        ("Linear 128 -> 512, leaky ReLU a = 0.1", lambda rng: ((128, 512), 0.1)),
        ("a 3x3 kernel, 16 -> 32 channels, ReLU", lambda rng: ((16, 32, 3, 3), 0.0)),
    ],
    hidden=_kaiming_case,
    n_hidden=8,
    reference=_kaiming_std,
    mistakes=[
        Mistake(_kaiming_with(_fan_out, _RELU_GAIN2),
                "you used fan_out: in the course's layout W: (C_in, C_out) the fan-in is shape[0] "
                "(PyTorch stores (C_out, C_in) and reads it from shape[1])"),
        Mistake(_kaiming_with(_fan_in, lambda a: 1.0),
                "1 / sqrt(fan_in) is LeCun's std: the ReLU zeroes half of the signal, "
                "so the gain sqrt(2 / (1 + a^2)) is missing"),
        Mistake(_kaiming_with(_fan_in, lambda a: 2.0),
                "with a leaky ReLU of slope a, E[f(y)^2] = (1 + a^2)/2 Var(y): divide the 2 by (1 + a^2)"),
        Mistake(lambda shape, a=0.0: _kaiming_std(shape, a) ** 2,
                "you returned the variance 2 / ((1 + a^2) fan_in); return its square root, the std"),
        Mistake(lambda shape, a=0.0: math.sqrt(2.0 / ((1.0 + a * a) * int(shape[0]))),
                "a weight of shape (C_in, C_out, k1, k2) has fan_in = C_in * k1 * k2: each output "
                "sums over the whole kernel"),
        Mistake(_kaiming_with(_fan_in, lambda a: 2.0 / (1.0 + a)),
                "the negative part is scaled by a, so its SQUARE contributes a^2: gain^2 = 2 / (1 + a^2)"),
    ],
    hint="std = gain / sqrt(fan_in) with gain^2 = 2 / (1 + a^2) and fan_in = shape[0] * prod(shape[2:]).",
))


def _activation(name: str):
    if name == "relu":
        return lambda y: np.maximum(y, 0.0)
    if name == "tanh":
        return np.tanh
    if name == "linear":
        return lambda y: y
    raise ValueError(f"unknown activation {name!r}")


def _layer_variances(x: Array, weights: list[Array], activation: str) -> Array:
    f = _activation(activation)
    out = []
    for W in weights:
        y = x @ W
        out.append(y.var())
        x = f(y)
    return np.array(out)


def _stack_case(rng: np.random.Generator, batch: int | None = None, widths: tuple[int, ...] | None = None,
                activation: str | None = None, scale: float = 1.0) -> tuple[Array, list[Array], str]:
    batch = batch or int(rng.integers(4, 12))
    widths = widths or tuple(int(v) for v in rng.integers(2, 9, size=int(rng.integers(2, 6))))
    activation = activation or str(rng.choice(["linear", "tanh", "relu"]))
    x = rng.standard_normal((batch, widths[0]))
    weights = [scale * rng.standard_normal((a, b)) / math.sqrt(a) for a, b in zip(widths[:-1], widths[1:])]
    return x, weights, activation


def _post_activation(x, weights, activation):
    f = _activation(activation)
    out = []
    for W in weights:
        x = f(x @ W)
        out.append(x.var())
    return np.array(out)


def _activation_first(x, weights, activation):
    f = _activation(activation)
    out = []
    for W in weights:
        y = f(x) @ W
        out.append(y.var())
        x = y
    return np.array(out)


register(Exercise(
    id="ch09-layer-variances",
    function="layer_variances",
    points=3,
    summary="return the (L,) array of Var(y^l) for y^l = x^l W^l, x^1 = x, x^(l+1) = f(y^l)",
    public=[
        ("ReLU stack 6 -> 5 -> 4 -> 3, batch 8",
         lambda rng: _stack_case(rng, 8, (6, 5, 4, 3), "relu", 1.5)),
        ("tanh stack 4 -> 4 -> 4, batch 10", lambda rng: _stack_case(rng, 10, (4, 4, 4), "tanh", 2.0)),
        ("linear, a single layer 5 -> 2, batch 6", lambda rng: _stack_case(rng, 6, (5, 2), "linear")),
    ],
    hidden=_stack_case,
    n_hidden=8,
    reference=_layer_variances,
    mistakes=[
        Mistake(_post_activation,
                "you returned the variance AFTER the activation, Var(f(y^l)); the chapter follows "
                "the pre-activation y^l = x^l W^l"),
        Mistake(_activation_first,
                "the input x^1 = x enters the first layer as it is; f is applied to each layer's "
                "output y^l, giving the next layer's input x^(l+1) = f(y^l)"),
    ],
    hint="Loop over the weights: y = x @ W; record y.var() (over all B * C_out entries); x = f(y).",
))


def _sigmoid_variances(v1: float, gain2: float, depth: int) -> tuple[Array, float]:
    # E[sigma(y)^2] = 1/4 + Var(y)/16 + O(Var^2) for y symmetric about 0, so
    # v_(l+1) = g^2 (1/4 + v_l / 16), with fixed point v* = (g^2 / 4) / (1 - g^2 / 16).
    v = np.empty(int(depth))
    v[0] = v1
    for l in range(1, int(depth)):
        v[l] = gain2 * (0.25 + v[l - 1] / 16.0)
    return v, gain2 / 4.0 / (1.0 - gain2 / 16.0)


def _sigmoid_with(mean2: float = 0.25, slope2: float = 1.0 / 16.0, shift: bool = False):
    def wrong(v1, gain2, depth):
        v = np.empty(int(depth))
        prev = v1
        for l in range(int(depth)):
            if l > 0 or shift:
                prev = gain2 * (mean2 + prev * slope2)
            v[l] = prev
        denominator = 1.0 - gain2 * slope2
        star = gain2 * mean2 / denominator if denominator > 0 else math.inf
        return v, star
    return wrong


def _sigmoid_case(rng: np.random.Generator) -> tuple[float, float, int]:
    return (float(rng.uniform(0.0, 3.0)), float(rng.uniform(0.05, 15.0)),
            int(rng.integers(2, 40)))


register(Exercise(
    id="ch09-sigmoid-variances",
    function="sigmoid_variances",
    points=3,
    summary="return (v, v_star): the linearised Var(y^l), l = 1..depth, of a sigmoid network "
            "with n Var(W) = gain2, and the fixed point of the recursion",
    public=[
        ("LeCun gain g^2 = 1, v_1 = 1, 5 layers", lambda rng: (1.0, 1.0, 5)),
        ("the small N(0, 0.01^2) at width 256: g^2 = 0.0256", lambda rng: (0.0256, 0.0256, 4)),
        ("a large gain g^2 = 8, starting at 0", lambda rng: (0.0, 8.0, 6)),
        ("depth 1: only v_1", lambda rng: (0.7, 2.0, 1)),
    ],
    hidden=_sigmoid_case,
    n_hidden=8,
    reference=_sigmoid_variances,
    output_names=("v", "v_star"),
    mistakes=[
        Mistake(_sigmoid_with(mean2=0.0),
                "you used Var(x) instead of E[x^2]: the sigmoid's outputs do not have mean zero, "
                "and E[x^2] = E[x]^2 + Var(x)"),
        Mistake(_sigmoid_with(mean2=0.5),
                "the mean of sigma(y) enters E[x^2] squared"),
        Mistake(_sigmoid_with(slope2=0.25),
                "to first order Var(sigma(y)) is Var(y) times the SQUARE of the slope sigma'(0); "
                "compute sigma'(0) from sigma' = sigma (1 - sigma)"),
        Mistake(_sigmoid_with(shift=True),
                "v[0] is v_1 itself, the variance of the first layer's pre-activation; the "
                "recursion starts from it (v[1] = g^2 (1/4 + v[0]/16))"),
    ],
    hint="Expand sigma(y) = sigma(0) + sigma'(0) y + O(y^3), take E[sigma(y)^2] for y "
         "symmetric about 0, and use Var(y^(l+1)) = n Var(W) E[(x^(l+1))^2]. The fixed point "
         "is the v with v_(l+1) = v_l = v.",
))
