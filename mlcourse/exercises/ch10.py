"""Exercises of chapter 10 (regularization).

* ``ch10-l2-penalty-grad``: the L2 penalty ``λ Σ ‖W‖²`` of a dict of named
  parameters and its gradient ``2λW``, with biases left alone;
* ``ch10-elastic-net``: derive and compute the minimiser of one weight's
  quadratic loss plus an L1 and an L2 penalty (soft thresholding, then
  shrinking);
* ``ch10-dropout-ridge``: derive the expected squared loss of a linear model
  whose inputs go through inverted dropout with keep probability ``q``: the
  plain loss plus a data-dependent L2 penalty (Srivastava et al. 2014, §9);
* ``ch10-max-norm``: the max-norm constraint of the dropout recipe, each
  unit's incoming weight vector (a column of ``W``) projected onto the ball
  of radius ``c``;
* ``ch10-early-stopping``: the best epoch and the epoch at which early
  stopping with a given patience ends training, from a list of validation
  losses.

The references are written out here so that each can be read next to its
exercise; the chapter checks :mod:`mlcourse.regularization` against the same
formulas, and checks the dropout-ridge formula by Monte Carlo.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]


def _l2_penalty_and_grad(weights: dict[str, Array], lam: float) -> tuple[float, dict[str, Array]]:
    penalty = 0.0
    grads = {}
    for name, w in weights.items():
        if name.endswith("weight"):
            penalty += lam * float(np.sum(w * w))
            grads[name] = 2.0 * lam * w
        else:
            grads[name] = np.zeros_like(w)
    return penalty, grads


def _mlp_params(rng: np.random.Generator, sizes: list[int]) -> dict[str, Array]:
    params = {}
    for i, (c_in, c_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"{2 * i}.weight"] = rng.standard_normal((c_in, c_out))
        params[f"{2 * i}.bias"] = rng.standard_normal((1, c_out))
    return params


def _l2_case(rng: np.random.Generator) -> tuple:
    depth = int(rng.integers(1, 4))
    sizes = [int(v) for v in rng.integers(1, 6, size=depth + 1)]
    return _mlp_params(rng, sizes), float(rng.choice([1e-4, 1e-3, 0.01, 0.5]))


def _with_biases(weights: dict[str, Array], lam: float) -> tuple[float, dict[str, Array]]:
    return (lam * float(sum(np.sum(w * w) for w in weights.values())),
            {name: 2.0 * lam * w for name, w in weights.items()})


def _half_gradient(weights: dict[str, Array], lam: float) -> tuple[float, dict[str, Array]]:
    penalty, grads = _l2_penalty_and_grad(weights, lam)
    return penalty, {name: g / 2.0 for name, g in grads.items()}


def _norm_not_squared(weights: dict[str, Array], lam: float) -> tuple[float, dict[str, Array]]:
    penalty = lam * float(sum(np.linalg.norm(w) for n, w in weights.items() if n.endswith("weight")))
    return penalty, _l2_penalty_and_grad(weights, lam)[1]


register(Exercise(
    id="ch10-l2-penalty-grad",
    function="l2_penalty_and_grad",
    points=2,
    summary="return (penalty, grads): lam * sum of squared weights, and 2 lam W for weights, "
            "zeros for biases",
    public=[
        ("one layer: '0.weight' = [[1, -2], [3, 0]], '0.bias' = [[5, 5]], lam = 0.1",
         lambda rng: ({"0.weight": np.array([[1.0, -2.0], [3.0, 0.0]]),
                       "0.bias": np.array([[5.0, 5.0]])}, 0.1)),
        ("a 4 -> 3 -> 2 MLP, lam = 1e-3", lambda rng: (_mlp_params(rng, [4, 3, 2]), 1e-3)),
        ("a 2 -> 5 -> 5 -> 1 MLP, lam = 0.01", lambda rng: (_mlp_params(rng, [2, 5, 5, 1]), 0.01)),
    ],
    hidden=_l2_case,
    n_hidden=6,
    reference=_l2_penalty_and_grad,
    output_names=("penalty", "grads"),
    mistakes=[
        Mistake(_with_biases,
                "biases are not penalised: only the entries whose name ends in 'weight' count, "
                "and a bias gets a zero gradient (np.zeros_like)"),
        Mistake(_half_gradient,
                "the derivative of lam * w**2 is 2 * lam * w: the factor 2 is missing"),
        Mistake(_norm_not_squared,
                "the penalty is the SQUARED norm, lam * sum(W**2), not lam * ||W||"),
    ],
    hint="Loop over weights.items(); name.endswith('weight') tells a weight from a bias.",
))


def _elastic_net(w0: Array, a: Array, lam1: float, lam2: float) -> Array:
    shrunk = np.sign(w0) * np.maximum(np.abs(w0) - lam1 / a, 0.0)
    return shrunk * a / (a + 2.0 * lam2)


def _elastic_case(rng: np.random.Generator, shape: tuple[int, ...] | None = None) -> tuple:
    shape = shape or (int(rng.integers(2, 5)), int(rng.integers(2, 6)))
    w0 = rng.standard_normal(shape) * 2.0
    a = rng.uniform(0.5, 3.0, size=shape)
    lam1 = float(rng.uniform(0.2, 1.5))
    lam2 = float(rng.uniform(0.1, 2.0))
    return w0, a, lam1, lam2


register(Exercise(
    id="ch10-elastic-net",
    function="elastic_net_minimizer",
    points=3,
    summary="return argmin_w a/2 (w - w0)^2 + lam1 |w| + lam2 w^2, elementwise (derive it first)",
    public=[
        ("scalars: w0 = [2, -0.3, 0.5], a = 1, lam1 = 0.4, lam2 = 0.5",
         lambda rng: (np.array([2.0, -0.3, 0.5]), np.ones(3), 0.4, 0.5)),
        ("lam2 = 0 is soft thresholding", lambda rng: (*_elastic_case(rng, (3, 4))[:3], 0.0)),
        ("lam1 = 0 is the L2 shrinkage of section 3",
         lambda rng: (*_elastic_case(rng, (2, 5))[:2], 0.0, 0.7)),
        ("a (3, 4) array with a different curvature for every weight",
         lambda rng: _elastic_case(rng, (3, 4))),
    ],
    hidden=_elastic_case,
    n_hidden=8,
    reference=_elastic_net,
    mistakes=[
        Mistake(lambda w0, a, l1, l2: np.sign(w0) * np.maximum(np.abs(w0) - l1 / a, 0.0),
                "the L2 term also acts: after thresholding, the weight is shrunk by a / (a + 2 lam2)"),
        Mistake(lambda w0, a, l1, l2: np.sign(w0) * np.maximum(np.abs(w0) - l1 / (a + 2 * l2), 0.0)
                * a / (a + 2 * l2),
                "the weight is zero exactly when |w0| <= lam1 / a (check the subgradient at w = 0: "
                "the L2 term has zero slope there), so threshold with lam1 / a"),
        Mistake(lambda w0, a, l1, l2: np.sign(w0) * np.maximum(np.abs(w0) - l1 / a, 0.0) * a / (a + l2),
                "the derivative of lam2 w^2 is 2 lam2 w: the shrink factor is a / (a + 2 lam2)"),
        Mistake(lambda w0, a, l1, l2: np.where(np.abs(w0) <= l1 / a, 0.0, w0) * a / (a + 2 * l2),
                "that is hard thresholding: the surviving weights also move by lam1 / a towards 0"),
    ],
    hint="Write the optimality condition for w > 0 and for w < 0, solve each for w, and find for "
         "which w0 each solution is consistent with its sign; otherwise w = 0.",
))


def _expected_dropout_loss(X: Array, y: Array, w: Array, q: float) -> float:
    residual = y - X @ w  # (N,)
    penalty = (1.0 - q) / q * np.sum(w ** 2 * np.sum(X ** 2, axis=0))
    return float((residual @ residual + penalty) / len(y))


def _ridge_case(rng: np.random.Generator, n: int | None = None, d: int | None = None,
                q: float | None = None) -> tuple:
    n = int(rng.integers(8, 40)) if n is None else n
    d = int(rng.integers(3, 9)) if d is None else d
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, size=d)
    w = rng.standard_normal(d)
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    q = float(rng.uniform(0.2, 0.95)) if q is None else q
    return X, y, w, q


def _ridge_drop_not_keep(X, y, w, q):
    return _expected_dropout_loss(X, y, w, 1.0 - q)


def _ridge_not_inverted(X, y, w, q):
    residual = y - q * X @ w
    return float((residual @ residual + q * (1 - q) * np.sum(w ** 2 * np.sum(X ** 2, axis=0)))
                 / len(y))


def _ridge_no_penalty(X, y, w, q):
    residual = y - X @ w
    return float(residual @ residual / len(y))


def _ridge_plain_norm(X, y, w, q):
    residual = y - X @ w
    return float((residual @ residual + (1 - q) / q * len(y) * np.sum(w ** 2)) / len(y))


register(Exercise(
    id="ch10-dropout-ridge",
    function="expected_dropout_loss",
    points=3,
    summary="return E over the masks of (1/N) sum_n (y_n - sum_j m_nj x_nj w_j / q)^2, exactly "
            "(a closed form, derived by hand)",
    public=[
        ("N = 2, D = 2, q = 0.8: X = [[1, 2], [3, 0]], y = [1, 2], w = [1, -1]",
         lambda rng: (np.array([[1.0, 2.0], [3.0, 0.0]]), np.array([1.0, 2.0]),
                      np.array([1.0, -1.0]), 0.8)),
        ("q = 1 (no dropout) is the plain mean squared error",
         lambda rng: _ridge_case(rng, 10, 3, 1.0)),
        ("N = 20, D = 5, q = 0.8", lambda rng: _ridge_case(rng, 20, 5, 0.8)),
    ],
    hidden=_ridge_case,
    n_hidden=8,
    reference=_expected_dropout_loss,
    mistakes=[
        Mistake(_ridge_drop_not_keep,
                "q is the KEEP probability (the paper's p): the penalty factor is (1 - q) / q"),
        Mistake(_ridge_not_inverted,
                "these are inverted-dropout masks: the kept inputs are divided by q, so the "
                "expected prediction is X w, not q X w"),
        Mistake(_ridge_no_penalty,
                "the mean of the prediction is X w, but its variance adds to the expected "
                "squared error: E[(y - z)^2] = (y - E z)^2 + Var z"),
        Mistake(_ridge_plain_norm,
                "the penalty on w_j is weighted by sum_n x_nj^2: a weight on a large input "
                "is penalised more"),
    ],
    hint="For one example, write z = sum_j m_j x_j w_j / q; compute E[z] and Var[z] from "
         "E[m_j] = q and Var[m_j] = q (1 - q), with the m_j independent.",
))


def _max_norm(W: Array, c: float) -> Array:
    norms = np.sqrt(np.sum(W ** 2, axis=0, keepdims=True))  # (1, C_out)
    return W * np.minimum(1.0, c / np.maximum(norms, 1e-300))


def _max_norm_case(rng: np.random.Generator, shape: tuple[int, int] | None = None) -> tuple:
    shape = shape or (int(rng.integers(2, 8)), int(rng.integers(2, 8)))
    W = rng.standard_normal(shape) * rng.uniform(0.2, 2.0, size=shape[1])
    norms = np.linalg.norm(W, axis=0)
    c = float(np.median(norms))  # some columns inside the ball, some outside
    return W, c


register(Exercise(
    id="ch10-max-norm",
    function="max_norm_project",
    points=2,
    summary="return W with every column (a unit's incoming weights) scaled down to norm <= c; "
            "columns already inside the ball unchanged",
    public=[
        ("W = [[3, 0.6], [4, 0.8]], c = 2",
         lambda rng: (np.array([[3.0, 0.6], [4.0, 0.8]]), 2.0)),
        ("a (5, 4) weight matrix, c at the median column norm",
         lambda rng: _max_norm_case(rng, (5, 4))),
        ("a (3, 6) weight matrix (more units than inputs)",
         lambda rng: _max_norm_case(rng, (3, 6))),
    ],
    hidden=_max_norm_case,
    n_hidden=8,
    reference=_max_norm,
    mistakes=[
        Mistake(lambda W, c: W * np.minimum(1.0, c / np.linalg.norm(W, axis=1, keepdims=True)),
                "W has shape (C_in, C_out): the weights INTO one unit are a column, W[:, j], "
                "so the norms run over axis 0"),
        Mistake(lambda W, c: W * c / np.linalg.norm(W, axis=0, keepdims=True),
                "the constraint is |w| <= c: columns already inside the ball stay as they are"),
        Mistake(lambda W, c: np.clip(W, -c, c),
                "max-norm bounds the length of each unit's weight vector, not each entry"),
        Mistake(lambda W, c: W * min(1.0, c / np.linalg.norm(W)),
                "each unit has its own constraint: one norm per column, not one for the matrix"),
    ],
    hint="np.linalg.norm(W, axis=0, keepdims=True) gives one norm per column; np.minimum(1, c / "
         "norms) is the factor each column is multiplied by.",
))


def _early_stopping_epochs(val_losses: Array, patience: int) -> tuple[int, int]:
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, value in enumerate(np.asarray(val_losses, dtype=float), start=1):
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)


def _stopping_case(rng: np.random.Generator) -> tuple:
    n = int(rng.integers(5, 30))
    t = np.arange(n)
    turn = rng.uniform(2, n)
    losses = 1.0 / (1.0 + t) + 0.02 * np.maximum(t - turn, 0) + 0.03 * rng.standard_normal(n)
    losses = np.round(losses + 1.0, 2)
    return losses, int(rng.integers(1, 6))


def _ties_take_last(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, value in enumerate(val_losses, start=1):
        if value <= best:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)


def _one_too_late(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, value in enumerate(val_losses, start=1):
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if wait > patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)


def _zero_based(val_losses, patience):
    best_epoch, stop_epoch = _early_stopping_epochs(val_losses, patience)
    return best_epoch - 1, stop_epoch - 1


def _global_minimum(val_losses, patience):
    return int(np.argmin(val_losses)) + 1, _early_stopping_epochs(val_losses, patience)[1]


register(Exercise(
    id="ch10-early-stopping",
    function="early_stopping_epochs",
    points=2,
    summary="return (best_epoch, stop_epoch), both 1-based, for early stopping with the given "
            "patience on these validation losses",
    public=[
        ("losses [0.9, 0.7, 0.6, 0.65, 0.62, 0.61, 0.7, 0.5], patience 3",
         lambda rng: (np.array([0.9, 0.7, 0.6, 0.65, 0.62, 0.61, 0.7, 0.5]), 3)),
        ("a tie with the best value is not an improvement: [1.0, 0.8, 0.8, 0.9], patience 2",
         lambda rng: (np.array([1.0, 0.8, 0.8, 0.9]), 2)),
        ("never stops: steadily falling losses, patience 2",
         lambda rng: (np.array([1.0, 0.9, 0.8, 0.75, 0.7]), 2)),
        ("a noisy U-shaped curve, patience 4", lambda rng: (_stopping_case(rng)[0], 4)),
    ],
    hidden=_stopping_case,
    n_hidden=8,
    reference=_early_stopping_epochs,
    output_names=("best_epoch", "stop_epoch"),
    mistakes=[
        Mistake(_zero_based, "epochs are counted from 1: the first loss is epoch 1"),
        Mistake(_ties_take_last,
                "an epoch improves only if its loss is strictly below the best so far (<, not <=)"),
        Mistake(_one_too_late,
                "stop as soon as `patience` epochs in a row have not improved (wait >= patience), "
                "not one epoch later"),
        Mistake(_global_minimum,
                "training has stopped at stop_epoch: the best epoch is the best one seen up to "
                "then, not the minimum of the whole list"),
    ],
    hint="Keep three numbers while looping: the best loss, its epoch, and the epochs since it.",
))
