"""Exercises of chapter 7 (optimizers).

* ``ch07-momentum-step``: one step of SGD with momentum in the plain form
  ``v ← β v + g``, ``w ← w − η v``, returning the new parameters and velocity;
* ``ch07-rmsprop-step``: one RMSProp step ``s ← β s + (1 − β) g²``,
  ``w ← w − η g / (√s + ε)``;
* ``ch07-adam-step``: one Adam step with bias correction, returning the new
  parameters and the (uncorrected) moment estimates ``m`` and ``v``.

The references are written out here (not taken from :mod:`mlcourse.optim`)
so that each formula can be read next to its exercise; the chapter checks
that :mod:`mlcourse.optim` takes the same steps.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]


def _shape(rng: np.random.Generator) -> tuple[int, ...]:
    if rng.random() < 0.5:
        return (int(rng.integers(1, 7)),)
    return (int(rng.integers(1, 5)), int(rng.integers(1, 5)))


def _momentum_step(w: Array, v: Array, g: Array, lr: float, beta: float) -> tuple[Array, Array]:
    v_new = beta * v + g
    return w - lr * v_new, v_new


def _momentum_case(rng: np.random.Generator, shape: tuple[int, ...] | None = None,
                   first: bool = False) -> tuple:
    shape = shape or _shape(rng)
    w = rng.standard_normal(shape)
    v = np.zeros(shape) if first else rng.standard_normal(shape)
    g = rng.standard_normal(shape)
    lr = float(rng.choice([0.01, 0.05, 0.1, 0.3]))
    beta = float(rng.choice([0.5, 0.8, 0.9, 0.99]))
    return w, v, g, lr, beta


register(Exercise(
    id="ch07-momentum-step",
    function="sgd_momentum_step",
    points=2,
    summary="return (w_new, v_new) after one step of SGD with momentum: v = beta v + g, w = w - lr v",
    public=[
        ("first step (v = 0), 3 parameters, lr = 0.1, beta = 0.9",
         lambda rng: (np.array([1.0, -2.0, 0.5]), np.zeros(3), np.array([0.5, 0.5, -1.0]), 0.1, 0.9)),
        ("a later step: 5 parameters with a velocity", lambda rng: _momentum_case(rng, (5,))),
        ("a (2, 3) weight matrix", lambda rng: _momentum_case(rng, (2, 3))),
    ],
    hidden=_momentum_case,
    n_hidden=6,
    reference=_momentum_step,
    output_names=("w_new", "v_new"),
    mistakes=[
        Mistake(lambda w, v, g, lr, beta: (w - lr * (beta * v + (1 - beta) * g), beta * v + (1 - beta) * g),
                "that is the averaged form v = beta v + (1 - beta) g; this exercise uses the plain "
                "form v = beta v + g (the two differ by the factor 1 - beta, which the learning "
                "rate absorbs)"),
        Mistake(lambda w, v, g, lr, beta: (w - lr * v, beta * v + g),
                "update the velocity first, then move w with the NEW velocity: w - lr (beta v + g)"),
        Mistake(lambda w, v, g, lr, beta: (w + lr * (beta * v + g), beta * v + g),
                "the step goes against the velocity (downhill): w - lr v, not w + lr v"),
        Mistake(lambda w, v, g, lr, beta: (w - lr * (beta * v + g), beta * v - lr * g),
                "here v accumulates gradients (v = beta v + g); the learning rate enters only "
                "in the update of w"),
    ],
    hint="Two lines: first v_new from v and g, then w_new from w and v_new.",
))


def _rmsprop_step(w: Array, g: Array, s: Array, lr: float, beta: float,
                  eps: float) -> tuple[Array, Array]:
    s_new = beta * s + (1 - beta) * g * g
    return w - lr * g / (np.sqrt(s_new) + eps), s_new


def _rmsprop_case(rng: np.random.Generator, shape: tuple[int, ...] | None = None) -> tuple:
    shape = shape or _shape(rng)
    scale = 10.0 ** rng.uniform(-2, 1, size=shape)
    g = rng.standard_normal(shape) * scale
    s = rng.uniform(0.5, 2.0, size=shape) * scale**2
    flat_g, flat_s = g.reshape(-1), s.reshape(-1)
    flat_g[0], flat_s[0] = 0.0, 0.0
    w = rng.standard_normal(shape)
    lr = float(rng.choice([1e-3, 1e-2, 0.1]))
    beta = float(rng.choice([0.9, 0.99]))
    return w, g, s, lr, beta, 1e-8


def _rmsprop_no_eps(w, g, s, lr, beta, eps):
    s_new = beta * s + (1 - beta) * g * g
    with np.errstate(divide="ignore", invalid="ignore"):
        return w - lr * g / np.sqrt(s_new), s_new


register(Exercise(
    id="ch07-rmsprop-step",
    function="rmsprop_step",
    points=2,
    summary="return (w_new, s_new) after one RMSProp step: s = beta s + (1 - beta) g^2, "
            "w = w - lr g / (sqrt(s) + eps)",
    public=[
        ("the lecture's g = [0.02, -0.04, 1.6, -0.01], first step (s = 0)",
         lambda rng: (np.zeros(4), np.array([0.02, -0.04, 1.6, -0.01]), np.zeros(4), 0.01, 0.9, 1e-8)),
        ("6 parameters; the first has had no gradient so far (g = s = 0)",
         lambda rng: _rmsprop_case(rng, (6,))),
        ("a (3, 2) weight matrix", lambda rng: _rmsprop_case(rng, (3, 2))),
    ],
    hidden=_rmsprop_case,
    n_hidden=6,
    reference=_rmsprop_step,
    output_names=("w_new", "s_new"),
    mistakes=[
        Mistake(_rmsprop_no_eps,
                "a parameter that has had no gradient yet has s = 0, and g / sqrt(s) = 0 / 0 is NaN: "
                "add eps to the denominator, sqrt(s) + eps"),
        Mistake(lambda w, g, s, lr, beta, eps: (w - lr * g / np.sqrt(beta * s + (1 - beta) * g * g + eps),
                                                beta * s + (1 - beta) * g * g),
                "put eps outside the square root, sqrt(s) + eps, as mlcourse and PyTorch do (the "
                "variant sqrt(s + eps) of some slides gives slightly different steps)"),
        Mistake(lambda w, g, s, lr, beta, eps: (w - lr * g / (np.sqrt(s) + eps), beta * s + (1 - beta) * g * g),
                "update s first and divide by the square root of the NEW s (it already contains "
                "the current gradient)"),
        Mistake(lambda w, g, s, lr, beta, eps: (w - lr * g / (beta * s + (1 - beta) * g * g + eps),
                                                beta * s + (1 - beta) * g * g),
                "divide by the square ROOT of s: s has the units of g squared"),
    ],
    hint="s is an exponential moving average of the SQUARED gradient; the step divides g by "
         "sqrt(s) + eps element-wise.",
))


def _adam_step(w: Array, g: Array, m: Array, v: Array, t: int, lr: float, beta1: float,
               beta2: float, eps: float) -> tuple[Array, Array, Array]:
    m_new = beta1 * m + (1 - beta1) * g
    v_new = beta2 * v + (1 - beta2) * g * g
    m_hat = m_new / (1 - beta1**t)
    v_hat = v_new / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def _adam_no_correction(w, g, m, v, t, lr, beta1, beta2, eps):
    m_new = beta1 * m + (1 - beta1) * g
    v_new = beta2 * v + (1 - beta2) * g * g
    return w - lr * m_new / (np.sqrt(v_new) + eps), m_new, v_new


def _adam_returns_hats(w, g, m, v, t, lr, beta1, beta2, eps):
    w_new, m_new, v_new = _adam_step(w, g, m, v, t, lr, beta1, beta2, eps)
    return w_new, m_new / (1 - beta1**t), v_new / (1 - beta2**t)


def _adam_only_m_corrected(w, g, m, v, t, lr, beta1, beta2, eps):
    m_new = beta1 * m + (1 - beta1) * g
    v_new = beta2 * v + (1 - beta2) * g * g
    return w - lr * m_new / (1 - beta1**t) / (np.sqrt(v_new) + eps), m_new, v_new


def _adam_case(rng: np.random.Generator, shape: tuple[int, ...] | None = None,
               t: int | None = None) -> tuple:
    shape = shape or _shape(rng)
    t = t or int(rng.integers(1, 30))
    w = rng.standard_normal(shape)
    g = rng.standard_normal(shape) * 0.3
    if t == 1:
        m, v = np.zeros(shape), np.zeros(shape)
    else:
        m = rng.standard_normal(shape) * 0.1 * (1 - 0.9 ** (t - 1))
        v = rng.uniform(0.02, 0.2, size=shape) * (1 - 0.999 ** (t - 1))
    lr = float(rng.choice([1e-3, 1e-2, 0.1]))
    return w, g, m, v, t, lr, 0.9, 0.999, 1e-8


register(Exercise(
    id="ch07-adam-step",
    function="adam_step",
    points=3,
    summary="return (w_new, m_new, v_new) after Adam step t (bias-corrected step; "
            "m_new, v_new uncorrected)",
    public=[
        ("the lecture's example: g1 = 0.2 at t = 1 (so m1 = 0.02, m_hat = 0.2)",
         lambda rng: (np.array([1.0]), np.array([0.2]), np.zeros(1), np.zeros(1), 1, 0.1, 0.9, 0.999, 1e-8)),
        ("first step, 4 parameters", lambda rng: _adam_case(rng, (4,), 1)),
        ("step t = 3, a (2, 3) matrix", lambda rng: _adam_case(rng, (2, 3), 3)),
        ("step t = 10, 5 parameters", lambda rng: _adam_case(rng, (5,), 10)),
    ],
    hidden=_adam_case,
    n_hidden=6,
    reference=_adam_step,
    output_names=("w_new", "m_new", "v_new"),
    mistakes=[
        Mistake(_adam_no_correction,
                "the bias correction is missing: divide m by 1 - beta1**t and v by 1 - beta2**t "
                "before taking the step (at t = 1 without it, m = 0.1 g is ten times too small)"),
        Mistake(_adam_returns_hats,
                "return the UNcorrected moments m and v (they are the optimizer's state for the next "
                "step); the corrected m_hat and v_hat are only used to compute the step"),
        Mistake(_adam_only_m_corrected,
                "correct both moments: v_hat = v / (1 - beta2**t) as well as m_hat = m / (1 - beta1**t)"),
    ],
    hint="Update m and v, correct them with 1 - beta**t (t counts from 1), step with "
         "m_hat / (sqrt(v_hat) + eps), and return the updated m and v as they are.",
))
