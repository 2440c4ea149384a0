"""Exercises of chapter 11 (normalization and deep networks).

* ``ch11-batchnorm-forward``: batch normalization in training mode, returning
  the output and the batch statistics ``(y, mean, var)``;
* ``ch11-batchnorm-backward``: the derived backward pass
  ``dx = (γ / (N σ)) (N dy − Σ dy − x̂ Σ dy x̂)`` with ``dγ`` and ``dβ``;
* ``ch11-groupnorm-forward``: group normalization (Wu and He, 2018): the
  features of each example split into ``G`` contiguous groups, each group
  normalised with its own mean and variance; ``G = 1`` is layer normalization;
* ``ch11-groupnorm-backward``: its backward pass ``(dx, dγ, dβ)``, derived
  by the student from the batch-normalization derivation of the chapter.

The references are written out here (not taken from
:mod:`mlcourse.regularization`) so that each formula sits next to its
exercise; the chapter checks :class:`~mlcourse.regularization.BatchNorm1d` and
:class:`~mlcourse.regularization.LayerNorm` against the same formulas (group
normalization is not in the library: the chapter builds it after the
exercises and checks it against finite differences).
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


def _groupnorm_parts(x: Array, groups: int, eps: float) -> tuple[Array, Array]:
    n, c = x.shape
    xg = x.reshape(n, groups, c // groups)  # (N, G, C/G)
    centred = xg - xg.mean(axis=2, keepdims=True)  # (N, G, C/G)
    inv_std = 1.0 / np.sqrt(np.mean(centred ** 2, axis=2, keepdims=True) + eps)  # (N, G, 1)
    return (centred * inv_std).reshape(n, c), inv_std


def _groupnorm_forward(x: Array, gamma: Array, beta: Array, groups: int, eps: float) -> Array:
    x_hat, _ = _groupnorm_parts(x, groups, eps)
    return gamma * x_hat + beta  # (N, C)


def _groupnorm_backward(dy: Array, x: Array, gamma: Array, groups: int,
                        eps: float) -> tuple[Array, Array, Array]:
    n, c = x.shape
    m = c // groups
    x_hat, inv_std = _groupnorm_parts(x, groups, eps)
    dgamma = np.sum(dy * x_hat, axis=0)  # (C,)
    dbeta = np.sum(dy, axis=0)  # (C,)
    g = (dy * gamma).reshape(n, groups, m)  # (N, G, C/G)
    xh = x_hat.reshape(n, groups, m)
    dx = inv_std / m * (m * g - g.sum(axis=2, keepdims=True)
                        - xh * np.sum(g * xh, axis=2, keepdims=True))
    return dx.reshape(n, c), dgamma, dbeta


def _gn_case(rng: np.random.Generator, n: int | None = None, groups: int | None = None,
             size: int | None = None, eps: float | None = None) -> tuple:
    n = int(rng.integers(1, 6)) if n is None else n
    groups = int(rng.integers(2, 5)) if groups is None else groups
    size = int(rng.integers(2, 5)) if size is None else size
    c = groups * size
    x = rng.standard_normal((n, c)) * rng.uniform(0.5, 3.0, size=c) + rng.uniform(-3, 3, size=c)
    gamma = rng.uniform(0.5, 2.0, size=c) * rng.choice([-1.0, 1.0], size=c)
    beta = rng.standard_normal(c)
    eps = float(rng.choice([1e-5, 1e-3, 0.1])) if eps is None else eps
    return x, gamma, beta, groups, eps


def _gn_layer(x, gamma, beta, groups, eps):
    return _groupnorm_forward(x, gamma, beta, 1, eps)


def _gn_batch(x, gamma, beta, groups, eps):
    return _batchnorm_forward(x, gamma, beta, eps)[0]


def _gn_interleaved(x, gamma, beta, groups, eps):
    n, c = x.shape
    xt = x.reshape(n, c // groups, groups).transpose(0, 2, 1).reshape(n, c)
    y = _groupnorm_forward(xt, np.ones(c), np.zeros(c), groups, eps)
    y = y.reshape(n, groups, c // groups).transpose(0, 2, 1).reshape(n, c)
    return gamma * y + beta


def _gn_unbiased(x, gamma, beta, groups, eps):
    n, c = x.shape
    xg = x.reshape(n, groups, c // groups)
    x_hat = (xg - xg.mean(axis=2, keepdims=True)) / np.sqrt(xg.var(axis=2, ddof=1, keepdims=True)
                                                              + eps)
    return gamma * x_hat.reshape(n, c) + beta


register(Exercise(
    id="ch11-groupnorm-forward",
    function="groupnorm_forward",
    points=2,
    summary="return y (N, C): the C features of each example split into `groups` contiguous "
            "groups, each normalised with its own mean and biased variance, then gamma, beta",
    public=[
        ("one example, 4 features in 2 groups: x = [[1, 3, 10, 30]]",
         lambda rng: (np.array([[1.0, 3.0, 10.0, 30.0]]), np.ones(4), np.zeros(4), 2, 1e-5)),
        ("a batch of 4, 6 features in 3 groups, learned gamma and beta",
         lambda rng: _gn_case(rng, 4, 3, 2, 1e-5)),
        ("groups = 1 is layer normalization", lambda rng: _gn_case(rng, 3, 1, 5, 1e-3)),
        ("a batch of 2, 8 features in 2 groups, eps = 0.1", lambda rng: _gn_case(rng, 2, 2, 4, 0.1)),
    ],
    hidden=_gn_case,
    n_hidden=8,
    reference=_groupnorm_forward,
    mistakes=[
        Mistake(_gn_layer, "the statistics are per group, not over all C features of the example"),
        Mistake(_gn_batch, "group normalization never looks at the other examples of the batch: "
                           "average over the features of one group of one example"),
        Mistake(_gn_interleaved,
                "the groups are contiguous: group k holds features k*C/G ... (k+1)*C/G - 1, "
                "so reshape to (N, G, C // G), not (N, C // G, G)"),
        Mistake(_gn_unbiased, "divide by the group size, not by the group size - 1 (biased "
                              "variance, as in the other normalizations)"),
    ],
    hint="x.reshape(N, G, C // G), statistics over axis 2 with keepdims=True, reshape back, "
         "then gamma and beta per feature.",
))


def _gn_backward_case(rng: np.random.Generator, n: int | None = None, groups: int | None = None,
                      size: int | None = None, eps: float | None = None) -> tuple:
    x, gamma, _, groups, eps = _gn_case(rng, n, groups, size, eps)
    return rng.standard_normal(x.shape), x, gamma, groups, eps


def _gn_back_constant_stats(dy, x, gamma, groups, eps):
    x_hat, inv_std = _groupnorm_parts(x, groups, eps)
    n, c = x.shape
    dx = (dy * gamma).reshape(n, groups, -1) * inv_std
    return dx.reshape(n, c), np.sum(dy * x_hat, axis=0), dy.sum(axis=0)


def _gn_back_layer(dy, x, gamma, groups, eps):
    return _groupnorm_backward(dy, x, gamma, 1, eps)


def _gn_back_gamma_after(dy, x, gamma, groups, eps):
    dx, dgamma, dbeta = _groupnorm_backward(dy, x, np.ones_like(gamma), groups, eps)
    return dx * gamma, dgamma, dbeta


def _gn_back_batch_sums(dy, x, gamma, groups, eps):
    dx, dgamma, dbeta = _groupnorm_backward(dy, x, gamma, groups, eps)
    x_hat, _ = _groupnorm_parts(x, groups, eps)
    return dx, np.sum(dy * x_hat, axis=1), np.sum(dy, axis=1)


register(Exercise(
    id="ch11-groupnorm-backward",
    function="groupnorm_backward",
    points=3,
    summary="return (dx, dgamma, dbeta) of group normalization, shapes (N, C), (C,), (C,): "
            "derive dx first",
    public=[
        ("one example, 4 features in 2 groups, gamma = 1",
         lambda rng: (rng.standard_normal((1, 4)), np.array([[1.0, 3.0, 10.0, 30.0]]), np.ones(4),
                      2, 1e-5)),
        ("a batch of 3, 6 features in 3 groups, learned gamma",
         lambda rng: _gn_backward_case(rng, 3, 3, 2, 1e-5)),
        ("groups = 1 (layer normalization), eps = 1e-3",
         lambda rng: _gn_backward_case(rng, 2, 1, 5, 1e-3)),
    ],
    hidden=_gn_backward_case,
    n_hidden=8,
    reference=_groupnorm_backward,
    output_names=("dx", "dgamma", "dbeta"),
    mistakes=[
        Mistake(_gn_back_constant_stats,
                "the mean and the variance of a group depend on every x of that group: "
                "treating them as constants keeps only the first term of the derivation"),
        Mistake(_gn_back_layer, "the sums in dx run over the features of ONE GROUP of one example, "
                                "not over all C features"),
        Mistake(_gn_back_gamma_after,
                "gamma multiplies x_hat before the group statistics are undone: form "
                "g = gamma * dy first, then apply the Jacobian of x_hat to g"),
        Mistake(_gn_back_batch_sums,
                "gamma and beta are shared by all examples: their gradients sum over the batch "
                "(axis 0), one value per feature"),
    ],
    hint="Section 3's four steps hold inside each group, with the batch axis replaced by the "
         "C // G features of the group; reshape g = gamma * dy to (N, G, C // G).",
))
