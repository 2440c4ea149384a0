"""Exercises of chapter 5 (backpropagation).

* ``ch05-linear-backward``: the three gradients of ``Y = X W + b``;
* ``ch05-layer-delta``: one step of the error recursion
  ``δˡ = (δˡ⁺¹ Wˡ⁺¹ᵀ) ∘ σ′(zˡ)`` and the weight gradient ``aˡ⁻¹ᵀ δˡ``;
* ``ch05-numerical-gradient``: central differences on the softmax
  cross-entropy, tested with a large step ``h`` so that the analytic formula
  does not pass for a finite difference.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]


def _linear_backward(X: Array, W: Array, dY: Array) -> tuple[Array, Array, Array]:
    return dY @ W.T, X.T @ dY, dY.sum(axis=0, keepdims=True)


def _linear_case(rng: np.random.Generator, b: int | None = None, cin: int | None = None,
                 cout: int | None = None) -> tuple[Array, Array, Array]:
    b = b or int(rng.integers(1, 7))
    cin = cin or int(rng.integers(1, 6))
    cout = cout or int(rng.integers(1, 6))
    return (rng.standard_normal((b, cin)), rng.standard_normal((cin, cout)),
            rng.standard_normal((b, cout)))


register(Exercise(
    id="ch05-linear-backward",
    function="linear_backward",
    points=3,
    summary="return (dX, dW, db) for Y = X W + b given dY = dL/dY",
    public=[
        ("a batch of 4, 3 inputs -> 2 outputs", lambda rng: _linear_case(rng, 4, 3, 2)),
        ("a square layer, 3 -> 3, batch of 5", lambda rng: _linear_case(rng, 5, 3, 3)),
        ("a batch of one example, 4 -> 3", lambda rng: _linear_case(rng, 1, 4, 3)),
    ],
    hidden=_linear_case,
    n_hidden=6,
    reference=_linear_backward,
    output_names=("dX", "dW", "db"),
    mistakes=[
        Mistake(lambda X, W, dY: (dY @ W, X.T @ dY, dY.sum(axis=0, keepdims=True)),
                "dX = dY W^T: multiply dY by W transposed (with a square W the shapes agree, "
                "but the values do not)"),
        Mistake(lambda X, W, dY: (dY @ W.T, dY.T @ X, dY.sum(axis=0, keepdims=True)),
                "your dW is the transpose of the right one: dW = X^T dY has W's shape (C_in, C_out)"),
        Mistake(lambda X, W, dY: (dY @ W.T, X.T @ dY, dY.sum(axis=0)),
                "db must keep b's shape (1, C_out): sum over the batch with keepdims=True"),
        Mistake(lambda X, W, dY: (dY @ W.T, X.T @ dY, dY.mean(axis=0, keepdims=True)),
                "b is added to every row, so its gradient is the SUM of the rows of dY, not their "
                "mean (any 1/B of a mean loss is already inside dY)"),
    ],
    hint="Start from the shapes: dX has X's shape (B, C_in), dW has W's shape (C_in, C_out), "
         "db has b's shape (1, C_out).",
))


def _sigmoid(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-z))


def _layer_delta(delta_next: Array, W_next: Array, z: Array, a_prev: Array) -> tuple[Array, Array]:
    s = _sigmoid(z)
    delta = (delta_next @ W_next.T) * s * (1 - s)
    return delta, a_prev.T @ delta


def _delta_case(rng: np.random.Generator, b: int | None = None, c_prev: int | None = None,
                c: int | None = None, c_next: int | None = None) -> tuple[Array, ...]:
    b = b or int(rng.integers(1, 6))
    c_prev = c_prev or int(rng.integers(1, 5))
    c = c or int(rng.integers(1, 5))
    c_next = c_next or int(rng.integers(1, 5))
    return (rng.standard_normal((b, c_next)), rng.standard_normal((c, c_next)),
            2.0 * rng.standard_normal((b, c)), rng.standard_normal((b, c_prev)))


def _delta_with(derivative):
    def wrong(delta_next, W_next, z, a_prev):
        delta = (delta_next @ W_next.T) * derivative(z)
        return delta, a_prev.T @ delta
    return wrong


register(Exercise(
    id="ch05-layer-delta",
    function="layer_delta",
    points=2,
    summary="return (delta, dW) of a sigmoid layer from delta_next, W_next, z and a_prev",
    public=[
        ("batch of 3; 2 -> 4 -> 3 units", lambda rng: _delta_case(rng, 3, 2, 4, 3)),
        ("a single example; 3 -> 3 -> 2 units", lambda rng: _delta_case(rng, 1, 3, 3, 2)),
    ],
    hidden=_delta_case,
    n_hidden=6,
    reference=_layer_delta,
    output_names=("delta", "dW"),
    mistakes=[
        Mistake(_delta_with(lambda z: z * (1 - z)),
                "sigma'(z) = sigma(z) (1 - sigma(z)): apply the sigmoid to z first, then use the formula"),
        Mistake(_delta_with(_sigmoid),
                "multiply by the DERIVATIVE sigma'(z) = sigma(z)(1 - sigma(z)), not by sigma(z)"),
        Mistake(_delta_with(lambda z: np.ones_like(z)),
                "the error must also pass through the activation: multiply elementwise by sigma'(z)"),
        Mistake(lambda dn, Wn, z, a: (_layer_delta(dn, Wn, z, a)[0],
                                      _layer_delta(dn, Wn, z, a)[0].T @ a),
                "dW = a_prev^T delta has the shape (C_prev, C) of W, not its transpose"),
    ],
    hint="Shapes: delta_next (B, C_next) times W_next^T (C_next, C) gives (B, C); "
         "then an elementwise product with sigma'(z).",
))


def _mean_ce(Z: Array, y: NDArray[np.int64]) -> float:
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def _difference_quotient(Z: Array, y: NDArray[np.int64], h: float, kind: str) -> Array:
    grad = np.zeros_like(Z)
    base = _mean_ce(Z, y)
    for index in np.ndindex(*Z.shape):
        old = Z[index]
        Z[index] = old + h
        f_plus = _mean_ce(Z, y)
        Z[index] = old - h
        f_minus = _mean_ce(Z, y)
        Z[index] = old
        if kind == "central":
            grad[index] = (f_plus - f_minus) / (2 * h)
        elif kind == "forward":
            grad[index] = (f_plus - base) / h
        else:
            grad[index] = (f_plus - f_minus) / h
    return grad


def _analytic_ce(Z: Array, y: NDArray[np.int64], h: float) -> Array:
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1
    return P / len(y)


def _ce_case(rng: np.random.Generator, n: int | None = None, c: int | None = None,
             h: float | None = None) -> tuple[Array, NDArray[np.int64], float]:
    n = n or int(rng.integers(1, 6))
    c = c or int(rng.integers(2, 6))
    h = h if h is not None else float(rng.choice([1e-4, 1e-3, 0.1, 0.3, 0.5]))
    return 2.0 * rng.standard_normal((n, c)), rng.integers(0, c, size=n), h


register(Exercise(
    id="ch05-numerical-gradient",
    function="numerical_grad_ce",
    points=2,
    summary="return the central-difference gradient of ce_loss(Z, y) with respect to Z (step h)",
    public=[
        ("3 examples, 4 classes, h = 1e-5", lambda rng: _ce_case(rng, 3, 4, 1e-5)),
        ("2 examples, 3 classes, a large step h = 0.5", lambda rng: _ce_case(rng, 2, 3, 0.5)),
    ],
    hidden=_ce_case,
    n_hidden=5,
    reference=lambda Z, y, h: _difference_quotient(Z, y, h, "central"),
    mistakes=[
        Mistake(lambda Z, y, h: _difference_quotient(Z, y, h, "forward"),
                "that is the one-sided difference (f(Z + h e) - f(Z)) / h; use the central one, "
                "(f(Z + h e) - f(Z - h e)) / (2h), whose error is O(h^2) instead of O(h)"),
        Mistake(lambda Z, y, h: _difference_quotient(Z, y, h, "no-two"),
                "the two evaluations are 2h apart: divide by 2h, not by h"),
        Mistake(_analytic_ce,
                "this is the analytic gradient (P - Y)/N; the exercise asks for the finite "
                "difference, which differs from it visibly for a large step such as h = 0.5"),
    ],
    hint="Loop over every entry of Z (np.ndindex(*Z.shape)), perturb it by +h and -h, call "
         "ce_loss, and restore the entry.",
))
