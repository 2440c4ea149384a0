"""Exercises of chapter 4 (loss functions).

Three functions the chapter derives: a stable log-softmax, the mean softmax
cross-entropy with its fused gradient ``(P − Y)/N``, and the binary
cross-entropy computed from logits with its gradient ``(σ(z) − y)/B``.
The references are written here in plain NumPy, independently of
:mod:`mlcourse.losses` (which the notebook checks them against).
"""

from __future__ import annotations

import numpy as np

from mlcourse.grading import Exercise, Mistake, register


def _log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)  # (N, C), every entry <= 0
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)


def _naive_log_softmax(Z):
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        E = np.exp(Z)  # (N, C)
        return np.log(E / E.sum(axis=1, keepdims=True))


def _global_shift_log_softmax(Z):
    with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
        shifted = Z - Z.max()
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _column_shift_log_softmax(Z):
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        shifted = Z - Z.max(axis=0, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax(Z):
    return np.exp(_log_softmax(Z))


def _logits(rng, n=None, c=None, scale=None):
    n = int(rng.integers(1, 7)) if n is None else n
    c = int(rng.integers(2, 6)) if c is None else c
    scale = float(rng.choice([1.0, 5.0, 1000.0])) if scale is None else scale
    return (scale * rng.standard_normal((n, c)),)


def _far_apart_rows(rng):
    Z = rng.standard_normal((2, 4))
    Z[0] += 1000.0
    Z[1] -= 1000.0
    return (Z,)


register(Exercise(
    id="ch04-log-softmax",
    function="stable_log_softmax",
    points=2,
    summary="return log softmax(Z) row by row, of shape (N, C), finite even for logits of ±1000",
    public=[
        ("2 examples, 3 classes, moderate logits", lambda rng: _logits(rng, 2, 3, 2.0)),
        ("logits near +1000 (exp overflows)", lambda rng: (1000.0 + rng.standard_normal((3, 4)),)),
        ("logits near -1000 (exp underflows)", lambda rng: (-1000.0 + rng.standard_normal((3, 4)),)),
        ("one row near +1000, one near -1000", _far_apart_rows),
    ],
    hidden=_logits,
    reference=_log_softmax,
    mistakes=[
        Mistake(_naive_log_softmax,
                "np.exp(1000) is inf and np.exp(-1000) is 0 in float64, so exp-then-normalise gives "
                "nan or -inf: subtract each row's maximum first (log-sum-exp)"),
        Mistake(_global_shift_log_softmax,
                "shift each row by its OWN maximum (Z.max(axis=1, keepdims=True)); one global shift "
                "leaves rows far below the global maximum underflowing to exp(...) = 0"),
        Mistake(_column_shift_log_softmax,
                "the shift must be the same for all entries of a row (a row is one example): take "
                "the maximum along axis=1, not axis=0"),
        Mistake(_softmax, "return the LOG-probabilities (all <= 0), not the probabilities"),
        Mistake(lambda Z: Z - Z.max(axis=1, keepdims=True),
                "after shifting by the row maximum m you still need to subtract "
                "log(sum_j exp(z_j - m)) from every entry"),
    ],
    hint="log p_i = (z_i - m) - log(sum_j exp(z_j - m)) with m the row maximum.",
))


def _softmax_cross_entropy(Z, y):
    n = Z.shape[0]
    log_p = _log_softmax(Z)  # (N, C)
    loss = -float(log_p[np.arange(n), y].mean())
    dZ = np.exp(log_p)  # (N, C): P
    dZ[np.arange(n), y] -= 1.0  # P − Y
    return loss, dZ / n


def _ce_case(rng, n=None, c=None):
    n = int(rng.integers(1, 9)) if n is None else n
    c = int(rng.integers(2, 7)) if c is None else c
    return 3.0 * rng.standard_normal((n, c)), rng.integers(0, c, size=n)


def _ce_variant(Z, y, loss_scale=1.0, grad_fn=None):
    loss, dZ = _softmax_cross_entropy(Z, y)
    return loss * loss_scale, grad_fn(dZ, Z, y)


register(Exercise(
    id="ch04-softmax-ce-grad",
    function="softmax_cross_entropy",
    points=3,
    summary="return (loss, dZ): the mean softmax cross-entropy of logits Z (N, C) with integer labels y (N,) "
            "and its gradient dL/dZ (N, C)",
    public=[
        ("3 examples, 4 classes", lambda rng: _ce_case(rng, 3, 4)),
        ("one example (N = 1), 5 classes", lambda rng: _ce_case(rng, 1, 5)),
        ("8 examples, 2 classes", lambda rng: _ce_case(rng, 8, 2)),
    ],
    hidden=_ce_case,
    reference=_softmax_cross_entropy,
    output_names=("loss", "dZ"),
    mistakes=[
        Mistake(lambda Z, y: _ce_variant(Z, y, grad_fn=lambda d, Z, y: d * Z.shape[0]),
                "the loss is the MEAN over the N examples, so its gradient is (P - Y) / N: divide by "
                "N = Z.shape[0]"),
        Mistake(lambda Z, y: _ce_variant(Z, y, grad_fn=lambda d, Z, y: -d),
                "check the sign: dL/dz = p - y (probabilities minus one-hot targets), not y - p"),
        Mistake(lambda Z, y: _ce_variant(Z, y, loss_scale=Z.shape[0], grad_fn=lambda d, Z, y: d * Z.shape[0]),
                "average over the batch: the loss is the mean of the N per-example losses and dZ is "
                "(P - Y) / N"),
        Mistake(lambda Z, y: _ce_variant(Z, y, loss_scale=Z.shape[0], grad_fn=lambda d, Z, y: d),
                "the gradient is right but the loss is a sum: return the mean over the N examples"),
        Mistake(lambda Z, y: _ce_variant(Z, y, grad_fn=lambda d, Z, y: d / Z.shape[1]),
                "divide by the number of examples N only (the loss averages over examples; the "
                "classes of one example are summed)"),
        Mistake(lambda Z, y: _ce_variant(Z, y, grad_fn=lambda d, Z, y: _softmax(Z) / Z.shape[0]),
                "subtract the one-hot targets: dZ[n, y[n]] gets p - 1, the other entries p"),
    ],
    hint="Build P with a stable softmax, then subtract 1 at (n, y[n]) and divide by N.",
))


def _bce_with_logits(z, y):
    b = z.shape[0]
    losses = np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))  # (B,)
    e = np.exp(-np.abs(z))  # (B,), in (0, 1]
    p = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # (B,): σ(z) without overflow
    return float(losses.mean()), (p - y) / b


def _naive_bce(z, y):
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        p = 1.0 / (1.0 + np.exp(-z))
        loss = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
        return loss, (p - y) / z.shape[0]


def _bce_case(rng, b=None, scale=None):
    b = int(rng.integers(1, 9)) if b is None else b
    scale = float(rng.choice([1.0, 4.0, 1000.0])) if scale is None else scale
    return scale * rng.standard_normal(b), rng.integers(0, 2, size=b).astype(np.float64)


def _huge_logits(rng):
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0, 40.0, -40.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])
    return z, y


def _bce_variant(z, y, grad_fn):
    loss, dz = _bce_with_logits(z, y)
    return loss, grad_fn(dz, z)


register(Exercise(
    id="ch04-bce-with-logits",
    function="bce_with_logits",
    points=2,
    summary="return (loss, dz): the mean binary cross-entropy of sigmoid(z) against y, computed stably "
            "from the logits z (B,), and dL/dz (B,)",
    public=[
        ("5 moderate logits, labels 0/1", lambda rng: _bce_case(rng, 5, 2.0)),
        ("logits of +-1000 and +-40, right and wrong", _huge_logits),
        ("soft targets y in (0, 1)", lambda rng: (3.0 * rng.standard_normal(4), rng.uniform(0.0, 1.0, 4))),
    ],
    hidden=_bce_case,
    reference=_bce_with_logits,
    output_names=("loss", "dz"),
    mistakes=[
        Mistake(_naive_bce,
                "sigmoid(1000) rounds to exactly 1.0, so log(1 - p) = log(0) = -inf: write the loss "
                "from the logit, max(z, 0) - z*y + log1p(exp(-|z|))"),
        Mistake(lambda z, y: _bce_variant(z, y, lambda d, z: d * z.shape[0]),
                "the loss is the MEAN over the B examples, so dL/dz = (sigmoid(z) - y) / B"),
        Mistake(lambda z, y: _bce_variant(z, y, lambda d, z: -d),
                "check the sign: dL/dz = sigmoid(z) - y, not y - sigmoid(z)"),
    ],
    hint="-log sigmoid(z) = softplus(-z) and -log(1 - sigmoid(z)) = softplus(z); "
         "softplus(x) = max(x, 0) + log1p(exp(-|x|)) never overflows.",
))


def _gaussian_nll(mu, log_var, y):
    n = mu.size
    var = np.exp(log_var)  # (B, C)
    r = mu - y
    loss = float(np.mean(0.5 * log_var + 0.5 * r * r / var + 0.5 * np.log(2 * np.pi)))
    dmu = r / var / n  # (B, C)
    dlog_var = 0.5 * (1.0 - r * r / var) / n  # (B, C)
    return loss, dmu, dlog_var


def _nll_case(rng):
    shape = (int(rng.integers(1, 7)), int(rng.integers(1, 4)))
    return (rng.standard_normal(shape), rng.uniform(-3.0, 3.0, size=shape),
            2.0 * rng.standard_normal(shape))


def _nll_no_constant(mu, log_var, y):
    loss, dmu, dlv = _gaussian_nll(mu, log_var, y)
    return loss - 0.5 * np.log(2 * np.pi), dmu, dlv


def _nll_var_as_std(mu, log_var, y):
    n = mu.size
    s = np.exp(log_var)
    r = mu - y
    return (float(np.mean(log_var + 0.5 * r * r / s ** 2 + 0.5 * np.log(2 * np.pi))),
            r / s ** 2 / n, (1.0 - r * r / s ** 2) / n)


def _nll_sum(mu, log_var, y):
    loss, dmu, dlv = _gaussian_nll(mu, log_var, y)
    return loss * mu.size, dmu * mu.size, dlv * mu.size


register(Exercise(
    id="ch04-gaussian-nll",
    function="gaussian_nll",
    points=3,
    summary="return (loss, dmu, dlog_var): the mean Gaussian negative log-likelihood with a "
            "predicted log-variance, and its gradients",
    public=[
        ("log_var = 0: half the squared error plus a constant", lambda rng: (
            rng.standard_normal((4, 1)), np.zeros((4, 1)), rng.standard_normal((4, 1)))),
        ("a (3, 2) batch with varied variances", lambda rng: (
            rng.standard_normal((3, 2)), np.array([[-2.0, 0.0], [1.0, 2.5], [0.5, -1.0]]),
            rng.standard_normal((3, 2)))),
        ("one example, one output", lambda rng: (
            np.array([[0.3]]), np.array([[-0.7]]), np.array([[1.1]]))),
    ],
    hidden=_nll_case, n_hidden=8,
    reference=_gaussian_nll,
    output_names=("loss", "dmu", "dlog_var"),
    mistakes=[
        Mistake(_nll_no_constant,
                "include the constant 0.5 log(2 pi): the loss is the full negative log-density"),
        Mistake(_nll_var_as_std,
                "log_var is the log of the variance sigma^2, not of sigma: sigma^2 = exp(log_var)"),
        Mistake(_nll_sum, "average over all B * C entries (the mean, as MSELoss does)"),
    ],
    hint="-log N(y; mu, s2) = 0.5 log s2 + (y - mu)^2 / (2 s2) + 0.5 log(2 pi) with s2 = "
         "exp(log_var); differentiate in mu and in log_var (d s2 / d log_var = s2).",
))


def _smoothed_ce_floor(eps, K):
    p = np.full(int(K), eps / K)  # (K,)
    p[0] += 1.0 - eps
    return float(-np.sum(p * np.log(p)))


def _floor_other_convention(eps, K):
    p = np.full(int(K), eps / (K - 1))
    p[0] = 1.0 - eps
    return float(-np.sum(p * np.log(p)))


def _floor_case(rng):
    return float(rng.uniform(0.01, 0.6)), int(rng.integers(2, 1001))


register(Exercise(
    id="ch04-smoothing-floor",
    function="smoothed_ce_floor",
    points=2,
    summary="return the smallest mean cross-entropy any model can reach on targets smoothed "
            "with label_smoothing = eps over K classes",
    public=[
        ("eps = 0.1, K = 10", lambda rng: (0.1, 10)),
        ("eps = 0.2, K = 2", lambda rng: (0.2, 2)),
        ("eps = 0.05, K = 1000", lambda rng: (0.05, 1000)),
    ],
    hidden=_floor_case, n_hidden=8,
    reference=_smoothed_ce_floor,
    mistakes=[
        Mistake(lambda eps, K: 0.0,
                "with soft targets the cross-entropy cannot reach 0: CE = H(p) + KL(p || q) >= H(p)"),
        Mistake(_floor_other_convention,
                "use the convention of the exercise: 1 - eps + eps / K on the true class and "
                "eps / K on each of the others"),
        Mistake(lambda eps, K: _smoothed_ce_floor(eps, K) / np.log(2),
                "use natural logarithms, as the loss does (not bits)"),
    ],
    hint="the best model predicts q = p exactly; the loss is then the entropy H(p) of the "
         "smoothed target. Write H(p) in closed form: one term for the true class, K - 1 equal "
         "terms for the others.",
))
