"""Exercises of chapter 7 (optimizers).

* ``ch07-rmsprop-step``: one RMSProp step ``s ← β s + (1 − β) g²``,
  ``w ← w − η g / (√s + ε)``;
* ``ch07-adam-step``: one Adam step with bias correction, returning the new
  parameters and the (uncorrected) moment estimates ``m`` and ``v``;
* ``ch07-nesterov-rate`` (a derivation the chapter does not make): the
  convergence rate of Nesterov momentum on a one-dimensional quadratic, the
  spectral radius of its 2 x 2 iteration matrix;
* a two-part assignment: ``ch07-amsgrad``, AMSGrad written as a subclass of
  ``mlcourse.optim.Optimizer`` (graded through a driver that runs it on
  gradient sequences whose size first falls and then rises, where AMSGrad and
  Adam differ), and ``ch07-amsgrad-train``, the student's optimizer training
  a logistic regression.

The references are written out here (not taken from :mod:`mlcourse.optim`)
so that each formula can be read next to its exercise; the chapter checks
that :mod:`mlcourse.optim` takes the same steps.
"""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]

_KNOWN_FIELDS = {f.name for f in dataclasses.fields(Exercise)}


def _contract(**fields):
    """The grader-contract fields (``driver``, ``requires``, ...) this version of Exercise has."""
    return {k: v for k, v in fields.items() if k in _KNOWN_FIELDS}


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


# What the AMSGrad assignment exposes in the grader's sandbox: the Optimizer base class and
# Parameter, never an optimizer that would hold the answer. ``mlcourse.optim.optimizer`` holds
# only the base class; it imports its number checks from ``mlcourse.validation``.
_SANDBOX = tuple(name for name in ("mlcourse.module", "mlcourse.validation",
                                   "mlcourse.optim.optimizer") if _importable(name))


def _shape(rng: np.random.Generator) -> tuple[int, ...]:
    if rng.random() < 0.5:
        return (int(rng.integers(1, 7)),)
    return (int(rng.integers(1, 5)), int(rng.integers(1, 5)))


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


def _heavy_ball_rate(lr: float, beta: float, lam: float) -> float:
    R = np.array([[beta, lam], [-lr * beta, 1 - lr * lam]])
    return float(np.abs(np.linalg.eigvals(R)).max())


def _nesterov_rate(lr: float, beta: float, lam: float) -> float:
    # state (v, u) with v_t = beta v + lam u, u_t = u - lr (lam u + beta v_t)
    R = np.array([[beta, lam], [-lr * beta**2, 1 - lr * lam * (1 + beta)]])
    return float(np.abs(np.linalg.eigvals(R)).max())


def _rate_case(rng: np.random.Generator) -> tuple[float, float, float]:
    lam = float(10.0 ** rng.uniform(-1, 2))
    lr = float(rng.uniform(0.05, 2.5) / lam)
    beta = float(rng.choice([0.0, 0.3, 0.6, 0.9, 0.97, float(rng.uniform(0, 0.99))]))
    return lr, beta, lam


register(Exercise(
    id="ch07-nesterov-rate",
    function="nesterov_rate",
    points=3,
    summary="return the convergence rate (spectral radius of the iteration) of Nesterov "
            "momentum with step lr and momentum beta on f(w) = lam w^2 / 2",
    public=[
        ("lr = 0.05, beta = 0.9, lam = 1 (slow spiral)", lambda rng: (0.05, 0.9, 1.0)),
        ("lr = 0.1, beta = 0.5, lam = 5 (complex eigenvalues)", lambda rng: (0.1, 0.5, 5.0)),
        ("lr = 0.3, beta = 0.9, lam = 10 (too large a step: the rate exceeds 1)",
         lambda rng: (0.3, 0.9, 10.0)),
        ("beta = 0: gradient descent", lambda rng: (0.02, 0.0, 20.0)),
    ],
    hidden=_rate_case,
    n_hidden=8,
    reference=_nesterov_rate,
    rtol=1e-6,
    atol=1e-9,
    mistakes=[
        Mistake(_heavy_ball_rate,
                "that is the rate of heavy-ball momentum; Nesterov evaluates the gradient at the "
                "look-ahead point, which changes the second row of the iteration matrix"),
        Mistake(lambda lr, beta, lam: abs(1 - lr * lam),
                "that is gradient descent's rate |1 - lr lam|; with momentum the state is the pair "
                "(velocity, parameter) and the rate is the largest |eigenvalue| of a 2 x 2 matrix"),
    ],
    hint="Write one step of the library form (v = beta v + g, u = u - lr (g + beta v)) with "
         "g = lam u as a linear map of (v, u); the rate is the largest absolute eigenvalue.",
))


def _amsgrad_path(w0, grads, lr, betas, eps, variant="amsgrad"):
    """Parameters after each step of two parameter groups (the second with lr / 2)."""
    beta1, beta2 = betas
    path = []
    state = []
    for k, (start, sign, group_lr) in enumerate(((w0, 1.0, lr), (w0[::-1], -1.0, lr / 2))):
        w = np.array(start, dtype=np.float64)
        m, v, v_max = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
        v_hat_max = np.zeros_like(w)
        rows = []
        for t, g in enumerate(grads, start=1):
            g = sign * np.asarray(g, dtype=np.float64)
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            v_max = np.maximum(v_max, v)
            if variant == "amsgrad":
                v_hat = v_max / (1 - beta2**t)
            elif variant == "adam":
                v_hat = v / (1 - beta2**t)
            elif variant == "max-of-corrected":
                v_hat_max = np.maximum(v_hat_max, v / (1 - beta2**t))
                v_hat = v_hat_max
            else:  # no bias correction at all
                v_hat = v_max
            m_hat = m / (1 - beta1**t) if variant != "uncorrected" else m
            w = w - group_lr * m_hat / (np.sqrt(v_hat) + eps)
            rows.append(w.copy())
        state.append(np.array(rows))
    path = np.concatenate(state, axis=1)
    return path, "ValueError"


def _amsgrad_case(rng: np.random.Generator, n: int | None = None, steps: int | None = None):
    n = n or int(rng.integers(1, 5))
    steps = steps or int(rng.integers(8, 30))
    # gradients whose size falls by orders of magnitude and then rises again, so that the
    # running maximum of v matters and the bias corrections matter
    t = np.arange(steps)
    size = 10.0 ** (2.0 * np.cos(2 * np.pi * t / steps) + rng.uniform(-0.5, 0.5, steps))
    grads = size[:, None] * rng.standard_normal((steps, n))
    w0 = rng.standard_normal(n)
    lr = float(rng.choice([1e-3, 1e-2, 0.1]))
    betas = (float(rng.choice([0.0, 0.5, 0.9])), float(rng.choice([0.9, 0.99, 0.999])))
    return w0, grads, lr, betas, 1e-8


_AMSGRAD_DRIVER = """
def _drive(answer, w0, grads, lr, betas, eps):
    from mlcourse.module import Parameter
    from mlcourse.optim import Optimizer

    if not (isinstance(answer, type) and issubclass(answer, Optimizer)):
        raise TypeError("AMSGrad must be a class derived from mlcourse.optim.Optimizer, got "
                        + repr(answer))
    w = Parameter(np.array(w0, dtype=np.float64))
    u = Parameter(np.array(w0[::-1], dtype=np.float64))
    opt = answer([{"params": [w]}, {"params": [u], "lr": lr / 2}], lr=lr, betas=betas, eps=eps)
    rows = []
    for g in grads:
        w.grad[...] = g
        u.grad[...] = -g
        opt.step()
        rows.append(np.concatenate([w.data, u.data]))
    try:
        answer([Parameter(np.zeros(1))], lr=-0.1)
        bad = "no error for lr = -0.1"
    except ValueError:
        bad = "ValueError"
    return np.array(rows), bad
"""


register(Exercise(
    id="ch07-amsgrad",
    function="AMSGrad",
    points=4,
    summary="class AMSGrad(Optimizer): Adam whose step divides by the running maximum of the "
            "second moment (PyTorch's amsgrad=True rule)",
    public=[
        ("3 parameters, 12 steps, gradients shrinking then growing",
         lambda rng: _amsgrad_case(rng, 3, 12)),
        ("1 parameter, 20 steps", lambda rng: _amsgrad_case(rng, 1, 20)),
    ],
    hidden=_amsgrad_case,
    n_hidden=5,
    reference=_amsgrad_path,
    output_names=("parameters after each step", "what lr = -0.1 raises"),
    rtol=1e-6,
    atol=1e-10,
    mistakes=[
        Mistake(lambda *a: _amsgrad_path(*a, variant="adam"),
                "that is plain Adam: keep v_max = max(v_max, v) in the state and divide by "
                "sqrt(v_max / (1 - beta2**t)) instead of sqrt(v_hat)"),
        Mistake(lambda *a: _amsgrad_path(*a, variant="max-of-corrected"),
                "take the maximum of the UNcorrected v (v_max = max(v_max, v)), then correct it "
                "with 1 - beta2**t, as PyTorch and mlcourse do"),
        Mistake(lambda *a: _amsgrad_path(*a, variant="uncorrected"),
                "the bias corrections are missing: divide m by 1 - beta1**t and v_max by "
                "1 - beta2**t (t counts this parameter's steps from 1)"),
    ],
    hint="Keep step, m, v and v_max per parameter in `state`; read lr, betas and eps from "
         "`group` (a group may override lr); raise ValueError for lr < 0.",
    **_contract(driver=_AMSGRAD_DRIVER,
                sandbox_modules=_SANDBOX),
))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _train_logistic(X: Array, y: Array, lr: float, steps: int) -> tuple[Array, Array]:
    n, d = X.shape
    w, b = np.zeros(d), np.zeros(1)
    m = [np.zeros(d), np.zeros(1)]
    v = [np.zeros(d), np.zeros(1)]
    v_max = [np.zeros(d), np.zeros(1)]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        r = _sigmoid(X @ w + b) - y                                      # (N,)
        grads = [X.T @ r / n, np.array([r.mean()])]
        new = []
        for k, (p, g) in enumerate(zip((w, b), grads)):
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g
            v_max[k] = np.maximum(v_max[k], v[k])
            step = lr * (m[k] / (1 - beta1**t)) / (np.sqrt(v_max[k] / (1 - beta2**t)) + eps)
            new.append(p - step)
        w, b = new
    return w, b


def _logistic_case(rng: np.random.Generator, n: int | None = None, d: int | None = None):
    n = n or int(rng.integers(10, 60))
    d = d or int(rng.integers(1, 5))
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, size=d)
    w_true = rng.standard_normal(d)
    y = (rng.random(n) < _sigmoid(X @ w_true + 0.5)).astype(np.float64)
    return X, y, float(rng.choice([0.01, 0.05, 0.1])), int(rng.integers(5, 60))


register(Exercise(
    id="ch07-amsgrad-train",
    function="train_logistic_amsgrad",
    points=2,
    summary="return (w, b) of a logistic regression trained from zeros by `steps` full-batch "
            "steps of your AMSGrad with learning rate lr",
    public=[
        ("40 examples, 2 features, 30 steps", lambda rng: (*_logistic_case(rng, 40, 2)[:2], 0.05, 30)),
        ("15 examples, 3 features, 10 steps", lambda rng: (*_logistic_case(rng, 15, 3)[:2], 0.1, 10)),
    ],
    hidden=_logistic_case,
    n_hidden=5,
    reference=_train_logistic,
    output_names=("w", "b"),
    rtol=1e-6,
    atol=1e-9,
    mistakes=[
        Mistake(lambda X, y, lr, steps: tuple(-x for x in _train_logistic(X, y, lr, steps)),
                "the parameters move the wrong way: the gradient of the mean BCE with respect to "
                "w is X^T (p - y) / N (p - y, not y - p)"),
    ],
    hint="w = Parameter(np.zeros(D)), b = Parameter(np.zeros(1)); each step: p = sigmoid(X w + b), "
         "w.grad[...] = X^T (p - y) / N, b.grad[...] = mean(p - y), then opt.step().",
    **_contract(requires=("ch07-amsgrad",), sandbox_modules=_SANDBOX),
))
