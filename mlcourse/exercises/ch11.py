"""Exercises of chapter 11 (normalization and deep networks).

* ``ch11-batchnorm-forward``: batch normalization in training mode, returning
  the output and the batch statistics ``(y, mean, var)``;
* ``ch11-batchnorm-backward``: the derived backward pass
  ``dx = (γ / (N σ)) (N dy − Σ dy − x̂ Σ dy x̂)`` with ``dγ`` and ``dβ``;
* ``ch11-layernorm-forward``: layer normalization, each row normalised over
  its own features.

The references are written out here (not taken from
:mod:`mlcourse.regularization`) so that each formula sits next to its
exercise; the chapter checks :class:`~mlcourse.regularization.BatchNorm1d` and
:class:`~mlcourse.regularization.LayerNorm` against the same formulas.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]


def _batchnorm_forward(x: Array, gamma: Array, beta: Array, eps: float) -> tuple[Array, Array, Array]:
    mean = x.mean(axis=0)  # (C,)
    var = ((x - mean) ** 2).mean(axis=0)  # (C,), biased
    x_hat = (x - mean) / np.sqrt(var + eps)  # (N, C)
    return gamma * x_hat + beta, mean, var


def _bn_case(rng: np.random.Generator, n: int | None = None, c: int | None = None,
             eps: float | None = None) -> tuple:
    n = int(rng.integers(2, 9)) if n is None else n
    c = int(rng.integers(1, 6)) if c is None else c
    scale = rng.uniform(0.5, 3.0, size=c)
    shift = rng.uniform(-4.0, 4.0, size=c)
    x = rng.standard_normal((n, c)) * scale + shift
    gamma = rng.uniform(0.5, 2.0, size=c) * rng.choice([-1.0, 1.0], size=c)
    beta = rng.standard_normal(c)
    eps = float(rng.choice([1e-5, 1e-3, 0.1])) if eps is None else eps
    return x, gamma, beta, eps


def _bn_wrong_axis(x, gamma, beta, eps):
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta, mean.ravel(), var.ravel()


def _bn_unbiased(x, gamma, beta, eps):
    mean = x.mean(axis=0)
    var = x.var(axis=0, ddof=1)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta, mean, var


def _bn_std_plus_eps(x, gamma, beta, eps):
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    return gamma * (x - mean) / (np.sqrt(var) + eps) + beta, mean, var


def _bn_no_affine(x, gamma, beta, eps):
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    return (x - mean) / np.sqrt(var + eps), mean, var


register(Exercise(
    id="ch11-batchnorm-forward",
    function="batchnorm_forward",
    points=2,
    summary="return (y, mean, var): batch normalization of x (N, C) in training mode, "
            "mean and biased var over the batch, y = gamma * x_hat + beta",
    public=[
        ("the 4 x 2 example of the text, gamma = 1, beta = 0",
         lambda rng: (np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [6.0, 60.0]]),
                      np.ones(2), np.zeros(2), 1e-5)),
        ("a batch of 8 with 3 features, learned gamma and beta", lambda rng: _bn_case(rng, 8, 3, 1e-5)),
        ("a batch of 2 (the smallest), eps = 0.1", lambda rng: _bn_case(rng, 2, 4, 0.1)),
    ],
    hidden=_bn_case,
    n_hidden=6,
    reference=_batchnorm_forward,
    output_names=("y", "mean", "var"),
    mistakes=[
        Mistake(_bn_wrong_axis,
                "the statistics are per feature, over the batch: average over axis 0 (the N "
                "examples), which gives mean and var of shape (C,); averaging over axis 1 "
                "normalises each example over its features (that is layer normalization)"),
        Mistake(_bn_unbiased,
                "batch normalization divides by N, not N - 1: use the biased variance "
                "mean((x - mean)**2) (np.var's default ddof=0)"),
        Mistake(_bn_std_plus_eps,
                "eps goes inside the square root: (x - mean) / sqrt(var + eps)"),
        Mistake(_bn_no_affine,
                "x_hat is right; finish with the learned scale and shift y = gamma * x_hat + beta"),
    ],
    hint="Three lines: mean over axis 0, biased variance over axis 0, then "
         "gamma * (x - mean) / sqrt(var + eps) + beta.",
))


def _batchnorm_backward(dy: Array, x: Array, gamma: Array, eps: float) -> tuple[Array, Array, Array]:
    n = x.shape[0]
    mean = x.mean(axis=0)  # (C,)
    inv_std = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=0) + eps)  # (C,)
    x_hat = (x - mean) * inv_std  # (N, C)
    dgamma = np.sum(dy * x_hat, axis=0)  # (C,)
    dbeta = dy.sum(axis=0)  # (C,)
    dx = (gamma * inv_std / n) * (n * dy - dbeta - x_hat * dgamma)  # (N, C)
    return dx, dgamma, dbeta


def _bn_backward_case(rng: np.random.Generator, n: int | None = None, c: int | None = None,
                      eps: float | None = None) -> tuple:
    x, gamma, _, eps = _bn_case(rng, n, c, eps)
    dy = rng.standard_normal(x.shape)
    return dy, x, gamma, eps


def _parts(x, gamma, eps):
    mean = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    return (x - mean) * inv_std, inv_std


def _bn_back_constant_stats(dy, x, gamma, eps):
    x_hat, inv_std = _parts(x, gamma, eps)
    return gamma * inv_std * dy, np.sum(dy * x_hat, axis=0), dy.sum(axis=0)


def _bn_back_no_var_term(dy, x, gamma, eps):
    x_hat, inv_std = _parts(x, gamma, eps)
    return (gamma * inv_std * (dy - dy.mean(axis=0)), np.sum(dy * x_hat, axis=0), dy.sum(axis=0))


def _bn_back_no_mean_term(dy, x, gamma, eps):
    x_hat, inv_std = _parts(x, gamma, eps)
    return (gamma * inv_std * (dy - x_hat * np.mean(dy * x_hat, axis=0)),
            np.sum(dy * x_hat, axis=0), dy.sum(axis=0))


def _bn_back_no_gamma(dy, x, gamma, eps):
    dx, dgamma, dbeta = _batchnorm_backward(dy, x, np.ones_like(gamma), eps)
    return dx, dgamma, dbeta


register(Exercise(
    id="ch11-batchnorm-backward",
    function="batchnorm_backward",
    points=3,
    summary="return (dx, dgamma, dbeta) of batch normalization in training mode, "
            "given dy = dL/dy (N, C), x (N, C), gamma (C,) and eps",
    public=[
        ("a batch of 4 with 2 features, gamma = 1", lambda rng: _bn_backward_case(rng, 4, 2, 1e-5)
         [:2] + (np.ones(2), 1e-5)),
        ("a batch of 6 with 3 features, learned gamma", lambda rng: _bn_backward_case(rng, 6, 3, 1e-5)),
        ("a batch of 2, eps = 0.1", lambda rng: _bn_backward_case(rng, 2, 3, 0.1)),
    ],
    hidden=_bn_backward_case,
    n_hidden=6,
    reference=_batchnorm_backward,
    output_names=("dx", "dgamma", "dbeta"),
    mistakes=[
        Mistake(_bn_back_constant_stats,
                "that is gamma * dy / sigma, the gradient with the batch mean and variance held "
                "constant; but both depend on every x_n, which adds the two sums: "
                "dx = gamma / (N sigma) * (N dy - sum(dy) - x_hat * sum(dy * x_hat))"),
        Mistake(_bn_back_no_var_term,
                "you kept the path through the mean but not the path through the variance: "
                "subtract also x_hat * mean(dy * x_hat) (over the batch, per feature)"),
        Mistake(_bn_back_no_mean_term,
                "you kept the path through the variance but not the path through the mean: "
                "subtract also mean(dy) (over the batch, per feature)"),
        Mistake(_bn_back_no_gamma,
                "dgamma and dbeta are right, but dx misses the factor gamma: the gradient reaching "
                "x_hat is gamma * dy"),
    ],
    hint="Recompute mean, sigma = sqrt(var + eps) and x_hat from x; dbeta = sum(dy), "
         "dgamma = sum(dy * x_hat) over axis 0; then the boxed formula of the text.",
))


def _layernorm_forward(x: Array, gamma: Array, beta: Array, eps: float) -> Array:
    mean = x.mean(axis=1, keepdims=True)  # (N, 1)
    var = ((x - mean) ** 2).mean(axis=1, keepdims=True)  # (N, 1)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta  # (N, D)


def _ln_case(rng: np.random.Generator, n: int | None = None, d: int | None = None,
             eps: float | None = None) -> tuple:
    n = int(rng.integers(1, 7)) if n is None else n
    d = int(rng.integers(2, 7)) if d is None else d
    x = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, size=(n, 1)) + rng.uniform(-3, 3, size=(n, 1))
    gamma = rng.uniform(0.5, 2.0, size=d)
    beta = rng.standard_normal(d)
    eps = float(rng.choice([1e-5, 1e-3, 0.1])) if eps is None else eps
    return x, gamma, beta, eps


def _ln_over_batch(x, gamma, beta, eps):
    return _batchnorm_forward(x, gamma, beta, eps)[0]


def _ln_unbiased(x, gamma, beta, eps):
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, ddof=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _ln_no_keepdims(x, gamma, beta, eps):
    mean = x.mean(axis=1)
    var = x.var(axis=1)
    with np.errstate(all="ignore"):
        return gamma * (x - mean) / np.sqrt(var + eps) + beta


register(Exercise(
    id="ch11-layernorm-forward",
    function="layernorm_forward",
    points=2,
    summary="return y (N, D): layer normalization, each row of x normalised over its own D "
            "features (biased variance), then y = gamma * x_hat + beta",
    public=[
        ("one example of 4 features", lambda rng: (np.array([[1.0, 2.0, 3.0, 6.0]]), np.ones(4),
                                                   np.zeros(4), 1e-5)),
        ("a batch of 5 with 3 features, learned gamma and beta", lambda rng: _ln_case(rng, 5, 3, 1e-5)),
        ("a batch of 3 with 3 features (square!), eps = 0.1", lambda rng: _ln_case(rng, 3, 3, 0.1)),
    ],
    hidden=_ln_case,
    n_hidden=6,
    reference=_layernorm_forward,
    mistakes=[
        Mistake(_ln_over_batch,
                "that normalises each feature over the batch (batch normalization); layer "
                "normalization averages over the features of each row: axis=1"),
        Mistake(_ln_unbiased,
                "divide by D, not D - 1: use the biased variance mean((x - mean)**2)"),
        Mistake(_ln_no_keepdims,
                "the row statistics have shape (N,); keep them as (N, 1) (keepdims=True) so that "
                "they broadcast along each row, not down the columns"),
    ],
    hint="The batch-normalization forward with axis=1 and keepdims=True.",
))
