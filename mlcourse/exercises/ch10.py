"""Exercises of chapter 10 (regularization).

* ``ch10-inverted-dropout``: the training-time forward pass of inverted
  dropout for a given keep-mask, ``y = m ⊙ x / (1 − p)``;
* ``ch10-l2-penalty-grad``: the L2 penalty ``λ Σ ‖W‖²`` of a dict of named
  parameters and its gradient ``2λW``, with biases left alone;
* ``ch10-soft-threshold``: the proximal step of the L1 penalty (soft
  thresholding), ``sign(w) · max(|w| − t, 0)``;
* ``ch10-early-stopping``: the best epoch and the epoch at which early
  stopping with a given patience ends training, from a list of validation
  losses.

The references are written out here so that each can be read next to its
exercise; the chapter checks that :mod:`mlcourse.regularization` (Dropout,
l2_penalty, EarlyStopping) computes the same things.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]


def _shape(rng: np.random.Generator) -> tuple[int, ...]:
    return (int(rng.integers(1, 6)), int(rng.integers(1, 7)))


def _inverted_dropout(x: Array, p: float, mask: Array) -> Array:
    return mask * x / (1.0 - p)


def _dropout_case(rng: np.random.Generator, shape: tuple[int, ...] | None = None,
                  p: float | None = None) -> tuple:
    shape = shape or _shape(rng)
    p = float(rng.choice([0.1, 0.2, 0.25, 0.5, 0.8])) if p is None else p
    x = rng.standard_normal(shape)
    mask = (rng.random(shape) >= p).astype(np.float64)
    mask.reshape(-1)[0] = 1.0
    return x, p, mask


register(Exercise(
    id="ch10-inverted-dropout",
    function="inverted_dropout",
    points=2,
    summary="return the inverted-dropout output y = mask * x / (1 - p) for a given 0/1 keep-mask",
    public=[
        ("x = [[1, 2, 3, 4]], p = 0.5, mask = [[1, 0, 1, 0]]",
         lambda rng: (np.array([[1.0, 2.0, 3.0, 4.0]]), 0.5, np.array([[1.0, 0.0, 1.0, 0.0]]))),
        ("a (4, 6) batch with p = 0.2", lambda rng: _dropout_case(rng, (4, 6), 0.2)),
        ("a (3, 5) batch with p = 0.75", lambda rng: _dropout_case(rng, (3, 5), 0.75)),
    ],
    hidden=_dropout_case,
    n_hidden=6,
    reference=_inverted_dropout,
    mistakes=[
        Mistake(lambda x, p, mask: mask * x,
                "the kept units must be scaled by 1/(1 - p): without it the expected output is "
                "(1 - p) x in training but x in evaluation, so the next layer sees inputs of a "
                "different size at test time"),
        Mistake(lambda x, p, mask: mask * x * (1.0 - p),
                "multiplying by (1 - p) is the original test-time rule (scale the weights at "
                "evaluation); inverted dropout divides by (1 - p) during training instead"),
        Mistake(lambda x, p, mask: mask * x / p,
                "divide by the keep probability 1 - p, not by the drop probability p"),
        Mistake(lambda x, p, mask: (1.0 - mask) * x / (1.0 - p),
                "mask = 1 means 'keep this unit': multiply by mask, not by 1 - mask"),
    ],
    hint="One line: multiply x by the mask, then divide by the keep probability.",
))


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


def _soft_threshold(w: Array, t: float) -> Array:
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


def _soft_case(rng: np.random.Generator) -> tuple:
    w = rng.standard_normal(_shape(rng))
    w.reshape(-1)[0] = 0.0
    return w, float(rng.choice([0.0, 0.05, 0.3, 1.0]))


register(Exercise(
    id="ch10-soft-threshold",
    function="l1_soft_threshold",
    points=2,
    summary="return sign(w) * max(|w| - t, 0) elementwise (the proximal step of t * |w|)",
    public=[
        ("w = [-1.5, -0.3, 0, 0.2, 0.8], t = 0.5",
         lambda rng: (np.array([-1.5, -0.3, 0.0, 0.2, 0.8]), 0.5)),
        ("a (3, 4) weight matrix, t = 0.3", lambda rng: (rng.standard_normal((3, 4)), 0.3)),
        ("t = 0 leaves w unchanged", lambda rng: (rng.standard_normal((2, 5)), 0.0)),
    ],
    hidden=_soft_case,
    n_hidden=6,
    reference=_soft_threshold,
    mistakes=[
        Mistake(lambda w, t: w - t * np.sign(w),
                "that is a subgradient step: weights smaller than t jump over zero to the other "
                "side; soft thresholding sets every |w| <= t exactly to 0"),
        Mistake(lambda w, t: np.maximum(w - t, 0.0),
                "negative weights must shrink towards zero too (to -(|w| - t)), not vanish: "
                "work with |w| and put the sign back"),
        Mistake(lambda w, t: np.where(np.abs(w) <= t, 0.0, w),
                "that is hard thresholding: the weights that survive must also shrink by t"),
    ],
    hint="np.sign, np.abs and np.maximum(..., 0) are all you need.",
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
