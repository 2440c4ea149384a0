"""Exercises of chapter 5 (backpropagation).

* ``ch05-softmax-backward`` (a derivation the chapter does not make): the
  backward pass of softmax alone, for any upstream gradient ``dP``;
* a three-part assignment, a two-layer network written from scratch
  (``X → Linear → ReLU → Linear → softmax cross-entropy``):

  - ``ch05-twolayer-forward``: the mean loss (numerically stable);
  - ``ch05-twolayer-backward``: the four parameter gradients, by the error
    recursion;
  - ``ch05-twolayer-gradcheck``: the student's own gradient check, central
    differences of part 1 against part 2 with the per-entry relative error.
    It is tested with large steps ``h``, where the finite differences and the
    analytic gradient differ by a reproducible amount, so returning zeros (or
    any constant) fails.

Parts 2 and 3 name the earlier parts in ``requires`` (the grader runs their
cells first, in the same sandbox).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]

_KNOWN_FIELDS = {f.name for f in dataclasses.fields(Exercise)}


def _contract(**fields):
    """The grader-contract fields (``requires``, ``driver``, ...) this version of Exercise has.

    The fields are written here as the contract defines them; a grader that
    does not know them yet simply does not receive them.
    """
    return {k: v for k, v in fields.items() if k in _KNOWN_FIELDS}


def _softmax(Z: Array) -> Array:
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _softmax_backward(Z: Array, dP: Array) -> Array:
    P = _softmax(Z)
    return P * (dP - np.sum(dP * P, axis=1, keepdims=True))


def _softmax_case(rng: np.random.Generator, n: int | None = None, c: int | None = None,
                  scale: float | None = None) -> tuple[Array, Array]:
    n = n or int(rng.integers(1, 6))
    c = c or int(rng.integers(2, 7))
    scale = scale if scale is not None else float(rng.choice([1.0, 3.0, 40.0]))
    return scale * rng.standard_normal((n, c)), rng.standard_normal((n, c))


register(Exercise(
    id="ch05-softmax-backward",
    function="softmax_backward",
    points=3,
    summary="return dZ = dL/dZ of P = softmax(Z) (row by row) given any upstream dP = dL/dP",
    public=[
        ("2 rows, 3 classes", lambda rng: _softmax_case(rng, 2, 3, 1.0)),
        ("4 rows, 5 classes", lambda rng: _softmax_case(rng, 4, 5, 2.0)),
        ("large logits (|z| up to about 100): compute softmax stably",
         lambda rng: _softmax_case(rng, 3, 4, 40.0)),
    ],
    hidden=_softmax_case,
    n_hidden=6,
    reference=_softmax_backward,
    rtol=1e-6,
    atol=1e-10,
    mistakes=[
        Mistake(lambda Z, dP: dP * _softmax(Z) * (1 - _softmax(Z)),
                "that keeps only the diagonal of the Jacobian, p_c (1 - p_c); softmax is not "
                "elementwise: every p_c depends on every z_j, so dz_j sums over all c"),
        Mistake(lambda Z, dP: _softmax(Z) - dP,
                "P - Y is the gradient of softmax FUSED with cross-entropy; here dP is an arbitrary "
                "upstream gradient, so use the Jacobian p_c (delta_cj - p_j)"),
        Mistake(lambda Z, dP: _softmax(Z) * (dP - np.sum(dP * _softmax(Z))),
                "the sum over classes is per row: np.sum(dP * P, axis=1, keepdims=True)"),
    ],
    hint="Write dz_j = sum_c dp_c p_c (delta_cj - p_j) and separate the two terms: one is "
         "elementwise, the other is the same for every j of a row.",
))


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _twolayer_loss(X: Array, y: NDArray[np.int64], W1: Array, b1: Array, W2: Array,
                   b2: Array) -> float:
    scores = _relu(X @ W1 + b1) @ W2 + b2                               # (B, C)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def _twolayer_grads(X, y, W1, b1, W2, b2, relu_mask=True, mean=True):
    z1 = X @ W1 + b1                                                    # (B, H)
    a1 = _relu(z1)
    P = _softmax(a1 @ W2 + b2)                                          # (B, C)
    P[np.arange(len(y)), y] -= 1.0
    delta2 = P / len(y) if mean else P                                  # (B, C)
    delta1 = delta2 @ W2.T                                              # (B, H)
    if relu_mask:
        delta1 = delta1 * (z1 > 0)
    return (X.T @ delta1, delta1.sum(axis=0, keepdims=True),
            a1.T @ delta2, delta2.sum(axis=0, keepdims=True))


def _twolayer_case(rng: np.random.Generator, b: int | None = None, d: int | None = None,
                   h: int | None = None, c: int | None = None,
                   scale: float = 1.0) -> tuple:
    b = b or int(rng.integers(2, 7))
    d = d or int(rng.integers(2, 5))
    h = h or int(rng.integers(2, 6))
    c = c or int(rng.integers(2, 5))
    X = rng.standard_normal((b, d))
    y = rng.integers(0, c, size=b)
    W1 = scale * rng.standard_normal((d, h)) / np.sqrt(d)
    b1 = 0.1 * rng.standard_normal((1, h))
    W2 = scale * rng.standard_normal((h, c)) / np.sqrt(h)
    b2 = 0.1 * rng.standard_normal((1, c))
    return X, y, W1, b1, W2, b2


register(Exercise(
    id="ch05-twolayer-forward",
    function="twolayer_loss",
    points=2,
    summary="return the mean softmax cross-entropy of X -> Linear(W1, b1) -> ReLU -> "
            "Linear(W2, b2), as a float",
    public=[
        ("4 examples, 3 inputs, 5 hidden units, 2 classes",
         lambda rng: _twolayer_case(rng, 4, 3, 5, 2)),
        ("6 examples, 2 inputs, 4 hidden units, 3 classes",
         lambda rng: _twolayer_case(rng, 6, 2, 4, 3)),
        ("large weights (scores in the hundreds): use a stable log-softmax",
         lambda rng: _twolayer_case(rng, 5, 4, 3, 3, scale=60.0)),
    ],
    hidden=lambda rng: _twolayer_case(rng, scale=float(rng.choice([1.0, 3.0, 60.0]))),
    n_hidden=6,
    reference=_twolayer_loss,
    rtol=1e-6,
    atol=1e-9,
    mistakes=[
        Mistake(lambda X, y, W1, b1, W2, b2: _twolayer_loss(X, y, W1, b1, W2, b2) * len(y),
                "average the per-example losses over the batch (mean, not sum)"),
        Mistake(lambda X, y, W1, b1, W2, b2: _twolayer_loss(X, y, W1, 0 * b1, W2, 0 * b2),
                "the biases are missing: z = X W + b in both layers"),
        Mistake(lambda X, y, W1, b1, W2, b2: float(
                    -np.log(_softmax((X @ W1 + b1) @ W2 + b2)[np.arange(len(y)), y]).mean()),
                "the hidden layer needs its ReLU, max(z, 0), before the second Linear"),
    ],
    hint="scores = relu(X @ W1 + b1) @ W2 + b2; subtract each row's maximum before exp; "
         "log p = shifted - log(sum(exp(shifted))); average -log p of the true class.",
))


register(Exercise(
    id="ch05-twolayer-backward",
    function="twolayer_grads",
    points=4,
    summary="return (dW1, db1, dW2, db2), the gradients of the mean loss of part 1, "
            "shaped like W1, b1, W2, b2",
    public=[
        ("4 examples, 3 inputs, 5 hidden units, 2 classes",
         lambda rng: _twolayer_case(rng, 4, 3, 5, 2)),
        ("a square hidden layer, 3 -> 3 -> 3, 5 examples",
         lambda rng: _twolayer_case(rng, 5, 3, 3, 3)),
        ("one example", lambda rng: _twolayer_case(rng, 1, 4, 3, 2)),
    ],
    hidden=_twolayer_case,
    n_hidden=6,
    reference=lambda *args: _twolayer_grads(*args),
    output_names=("dW1", "db1", "dW2", "db2"),
    rtol=1e-6,
    atol=1e-10,
    mistakes=[
        Mistake(lambda *a: _twolayer_grads(*a, relu_mask=False),
                "the error must pass through the ReLU: multiply delta1 by f'(z1) = (z1 > 0)"),
        Mistake(lambda *a: _twolayer_grads(*a, mean=False),
                "the loss is the MEAN over the batch: delta2 = (P - Y) / B"),
        Mistake(lambda *a: tuple(g.ravel() if g.shape[0] == 1 else g
                                 for g in _twolayer_grads(*a)),
                "db1 and db2 keep the biases' shapes (1, H) and (1, C): sum with keepdims=True"),
    ],
    hint="delta2 = (P - Y)/B (B, C); dW2 = a1^T delta2; delta1 = (delta2 W2^T) * (z1 > 0); "
         "dW1 = X^T delta1; each db sums its delta over the batch.",
    **_contract(requires=("ch05-twolayer-forward",)),
))


def _per_entry(g: Array, g_hat: Array, floor: float = 1e-8) -> float:
    return float(np.max(np.abs(g - g_hat) / np.maximum(np.maximum(np.abs(g), np.abs(g_hat)),
                                                          floor)))


def _central(X, y, params, h):
    grads = []
    for k, p in enumerate(params):
        num = np.zeros_like(p)
        for index in np.ndindex(*p.shape):
            old = p[index]
            p[index] = old + h
            plus = _twolayer_loss(X, y, *params)
            p[index] = old - h
            minus = _twolayer_loss(X, y, *params)
            p[index] = old
            num[index] = (plus - minus) / (2 * h)
        grads.append(num)
    return grads


def _gradcheck(X, y, W1, b1, W2, b2, h, per_entry=True):
    params = [W1, b1, W2, b2]
    analytic = _twolayer_grads(X, y, *params)
    numeric = _central(X, y, params, h)
    if per_entry:
        return tuple(_per_entry(g, n) for g, n in zip(analytic, numeric))
    return tuple(float(np.abs(g - n).max() / max(np.abs(g).max(), np.abs(n).max()))
                 for g, n in zip(analytic, numeric))


def _gradcheck_case(rng: np.random.Generator, step: float | None = None, **sizes) -> tuple:
    step = step if step is not None else float(rng.choice([0.05, 0.1, 0.2, 0.4]))
    return (*_twolayer_case(rng, **sizes), step)


register(Exercise(
    id="ch05-twolayer-gradcheck",
    function="twolayer_gradcheck",
    points=3,
    summary="return, for W1, b1, W2, b2, the largest per-entry relative error between "
            "twolayer_grads and central differences of twolayer_loss with step h",
    public=[
        ("4 examples, 3 -> 5 -> 2, step h = 0.1", lambda rng: _gradcheck_case(rng, 0.1, b=4, d=3,
                                                                             h=5, c=2)),
        ("6 examples, 2 -> 4 -> 3, a large step h = 0.3",
         lambda rng: _gradcheck_case(rng, 0.3, b=6, d=2, h=4, c=3)),
    ],
    hidden=_gradcheck_case,
    n_hidden=5,
    reference=_gradcheck,
    output_names=("W1", "b1", "W2", "b2"),
    rtol=1e-5,
    atol=1e-7,
    mistakes=[
        Mistake(lambda *a: _gradcheck(*a, per_entry=False),
                "that is the error of the whole array (largest difference over largest entry); "
                "the check asks for the largest PER-ENTRY ratio |g - g_hat| / max(|g|, |g_hat|, "
                "1e-8), which a wrong small entry cannot hide in"),
    ],
    hint="For each parameter array: perturb one entry by +h and -h (in place), call "
         "twolayer_loss, restore the entry; then take the per-entry ratio and its maximum.",
    **_contract(requires=("ch05-twolayer-forward", "ch05-twolayer-backward")),
))
