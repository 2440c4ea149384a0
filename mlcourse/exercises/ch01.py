"""Exercises of chapter 1 (the neuron and the perceptron).

Besides the exercise definitions, this module holds the chapter's reference
perceptron (:func:`train_perceptron`), which the notebook uses after the
exercises so that no later cell calls a student's function.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

#: The four inputs of a two-input logic gate, one per row: (0,0), (0,1), (1,0), (1,1).
GATE_INPUTS: NDArray[np.float64] = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)

#: Truth tables of the two-input gates, in the row order of :data:`GATE_INPUTS`.
GATES: dict[str, NDArray[np.int64]] = {
    "AND": np.array([0, 0, 0, 1]),
    "OR": np.array([0, 1, 1, 1]),
    "NAND": np.array([1, 1, 1, 0]),
    "NOR": np.array([1, 0, 0, 0]),
    "XOR": np.array([0, 1, 1, 0]),
    "XNOR": np.array([1, 0, 0, 1]),
}


def _neuron_forward(X: NDArray, W: NDArray, b: NDArray) -> NDArray:
    return X @ W + b  # (B, C_out)


def _perceptron_epoch_counting(X: NDArray, y: NDArray, w: NDArray, b: float,
                               lr: float) -> tuple[NDArray[np.float64], float, int]:
    """One epoch of the perceptron rule; also returns how many examples it got wrong."""
    w = np.array(w, dtype=np.float64)
    b = float(b)
    n_wrong = 0
    for x_i, y_i in zip(X, y):
        y_hat = 1.0 if x_i @ w + b > 0 else 0.0
        error = float(y_i) - y_hat
        n_wrong += error != 0
        w = w + lr * error * x_i  # (C_in,)
        b = b + lr * error
    return w, b, int(n_wrong)


def _perceptron_epoch(X: NDArray, y: NDArray, w: NDArray, b: float,
                      lr: float) -> tuple[NDArray[np.float64], float]:
    w, b, _ = _perceptron_epoch_counting(X, y, w, b, lr)
    return w, b


def train_perceptron(
    X: NDArray,
    y: NDArray,
    lr: float = 1.0,
    epochs: int = 100,
    w0: NDArray | None = None,
    b0: float = 0.0,
) -> dict[str, Any]:
    """Train a single step neuron with the perceptron rule, example by example.

    Parameters
    ----------
    X : ndarray of shape (B, C_in)
        The examples, visited in row order every epoch.
    y : ndarray of shape (B,)
        Targets in {0, 1}.
    lr : float
        The learning rate α > 0.
    epochs : int
        Most epochs to run; training stops after the first epoch without a
        mistake.
    w0 : ndarray of shape (C_in,), optional
        Initial weights (zeros when omitted).
    b0 : float
        Initial bias.

    Returns
    -------
    dict
        ``"w"`` (C_in,) and ``"b"``: the final parameters; ``"mistakes"``: a
        list with the number of mistakes made in each epoch; ``"states"``: a
        list of ``(w, b)`` after each epoch; ``"converged"``: whether an epoch
        ended without a mistake.

    Notes
    -----
    With the prediction :math:`\\hat y = [\\mathbf x \\mathbf w + b > 0]`, each
    example updates

    .. math::
        \\mathbf w \\leftarrow \\mathbf w + \\alpha (y - \\hat y)\\, \\mathbf x^\\top,
        \\qquad b \\leftarrow b + \\alpha (y - \\hat y).

    The rule is Rosenblatt's (1958); it stops making mistakes after finitely
    many updates when the data are linearly separable (Novikoff, 1962), and
    never stops on data that are not, such as XOR. See chapter 1.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).reshape(-1)
    if X.ndim != 2 or y.shape[0] != X.shape[0]:
        raise ValueError(f"train_perceptron: expected X of shape (B, C_in) and y of shape (B,), "
                         f"got {X.shape} and {y.shape}")
    if not lr > 0:
        raise ValueError(f"train_perceptron: lr must be positive, got {lr!r}")
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64).reshape(-1)
    b = float(b0)
    mistakes: list[int] = []
    states: list[tuple[NDArray[np.float64], float]] = []
    for _ in range(epochs):
        w, b, n_wrong = _perceptron_epoch_counting(X, y, w, b, lr)
        mistakes.append(n_wrong)
        states.append((w.copy(), b))
        if mistakes[-1] == 0:
            break
    return {"w": w, "b": b, "mistakes": mistakes, "states": states,
            "converged": bool(mistakes and mistakes[-1] == 0)}


def _forward_case(rng: np.random.Generator, batch: int | None = None) -> tuple:
    b_size = int(rng.integers(1, 7)) if batch is None else batch
    c_in, c_out = int(rng.integers(1, 6)), int(rng.integers(2, 5))
    return (rng.standard_normal((b_size, c_in)), rng.standard_normal((c_in, c_out)),
            rng.standard_normal((1, c_out)))


register(Exercise(
    id="ch01-neuron-forward",
    function="neuron_forward",
    points=2,
    summary="return Z = X W + b, shape (B, C_out), for X (B, C_in), W (C_in, C_out), b (1, C_out)",
    public=[
        ("a batch of 4 examples, 3 inputs -> 2 neurons", lambda rng: (
            rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal((1, 2)))),
        ("one example (B = 1), 3 inputs -> 3 neurons", lambda rng: (
            rng.standard_normal((1, 3)), rng.standard_normal((3, 3)), rng.standard_normal((1, 3)))),
        ("a batch of 5, 2 inputs -> 4 neurons", lambda rng: _forward_case(rng, 5)),
    ],
    hidden=_forward_case,
    reference=_neuron_forward,
    mistakes=[
        Mistake(lambda X, W, b: X @ W,
                "the bias is missing: add b (shape (1, C_out)); NumPy repeats it for every row"),
        Mistake(lambda X, W, b: W.T @ X.T + b.T,
                "that is the column format Wᵀ Xᵀ + bᵀ, of shape (C_out, B); the row format "
                "wants one row per example: X @ W + b"),
        Mistake(lambda X, W, b: X @ W + b.sum(),
                "each neuron has its own bias: add the row b, not its sum"),
    ],
    hint="Z[i, j] = sum_k X[i, k] W[k, j] + b[0, j]: one row per example, one column per neuron.",
))


def _epoch_case(rng: np.random.Generator, b_size: int | None = None, c_in: int | None = None) -> tuple:
    """Dyadic numbers only, so every implementation computes z exactly (ties at 0 are real)."""
    b_size = int(rng.integers(3, 9)) if b_size is None else b_size
    c_in = int(rng.integers(1, 5)) if c_in is None else c_in
    if rng.random() < 0.5:
        X = rng.integers(0, 2, size=(b_size, c_in)).astype(np.float64)
    else:
        X = rng.integers(-3, 4, size=(b_size, c_in)) / 2.0
    y = rng.integers(0, 2, size=b_size)
    w = rng.integers(-2, 3, size=c_in) / 2.0
    b = float(rng.integers(-2, 3) / 2.0)
    lr = float(rng.choice([0.25, 0.5, 1.0]))
    return X, y, w, b, lr


def _epoch_all_at_once(X, y, w, b, lr):
    error = y - (X @ w + b > 0)  # (B,)
    return w + lr * X.T @ error, b + lr * error.sum()


def _epoch_ge(X, y, w, b, lr):
    w, b = np.array(w, dtype=np.float64), float(b)
    for x_i, y_i in zip(X, y):
        error = y_i - float(x_i @ w + b >= 0)
        w, b = w + lr * error * x_i, b + lr * error
    return w, b


def _epoch_no_bias(X, y, w, b, lr):
    w_new, _ = _perceptron_epoch(X, y, w, b, lr)
    return w_new, b


def _epoch_sign_flipped(X, y, w, b, lr):
    w, b = np.array(w, dtype=np.float64), float(b)
    for x_i, y_i in zip(X, y):
        error = float(x_i @ w + b > 0) - y_i
        w, b = w + lr * error * x_i, b + lr * error
    return w, b


register(Exercise(
    id="ch01-perceptron-epoch",
    function="perceptron_epoch",
    points=3,
    summary="run one epoch of the perceptron rule over the rows of X in order; return (w, b)",
    public=[
        ("AND from w = (0, 0), b = 0, lr = 1", lambda rng: (GATE_INPUTS.copy(), GATES["AND"].copy(),
                                                            np.zeros(2), 0.0, 1.0)),
        ("OR from w = (0.5, -0.5), b = 0.5, lr = 0.5", lambda rng: (
            GATE_INPUTS.copy(), GATES["OR"].copy(), np.array([0.5, -0.5]), 0.5, 0.5)),
        ("6 examples with 3 features", lambda rng: _epoch_case(rng, 6, 3)),
    ],
    hidden=_epoch_case, n_hidden=8,
    reference=_perceptron_epoch,
    output_names=("w", "b"),
    mistakes=[
        Mistake(_epoch_all_at_once,
                "update after each example, in order: the prediction for example i must use the "
                "weights already changed by examples 0..i-1 (you updated once with all errors)"),
        Mistake(_epoch_ge,
                "the prediction is 1 only when z > 0 strictly; at z = 0 the neuron says 0"),
        Mistake(_epoch_no_bias, "the bias learns too: b <- b + lr (y - y_hat)"),
        Mistake(_epoch_sign_flipped, "the error is y - y_hat (target minus prediction), not y_hat - y"),
    ],
    hint="for each row x_i: y_hat = 1 if x_i @ w + b > 0 else 0; then "
         "w += lr (y_i - y_hat) x_i and b += lr (y_i - y_hat).",
))


def _describe(outputs: NDArray) -> str:
    for name, table in GATES.items():
        if np.array_equal(outputs, table):
            return f" (that is {name})"
    return ""


def _validate_nand(output: Any) -> str | None:
    if not isinstance(output, (tuple, list)) or len(output) != 2:
        return ("return a pair (w, b): w an array of shape (2,), b a number; got "
                f"{type(output).__name__}")
    w, b = output
    try:
        w = np.asarray(w, dtype=np.float64).reshape(-1)
        b_arr = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return "w and b must be numbers"
    if w.shape != (2,):
        return f"w must hold two weights, shape (2,); got {w.size} numbers"
    if b_arr.size != 1:
        return f"b must be one number; got an array of shape {b_arr.shape}"
    b = float(b_arr.reshape(()))
    if not (np.all(np.isfinite(w)) and np.isfinite(b)):
        return "w and b must be finite numbers"
    z = GATE_INPUTS @ w + b  # (4,)
    got = (z > 0).astype(np.int64)
    target = GATES["NAND"]
    if np.array_equal(got, target):
        return None
    rows = ", ".join(f"({int(a)},{int(c)})" for a, c in GATE_INPUTS)
    message = (f"on the inputs {rows} your neuron outputs {got.tolist()}{_describe(got)}; "
               f"NAND needs {target.tolist()}")
    ties = [f"({int(a)},{int(c)})" for (a, c), zi, t in zip(GATE_INPUTS, z, target)
            if zi == 0 and t == 1]
    if ties:
        message += (f". At {', '.join(ties)} z = 0 exactly, and the step gives 1 only for z > 0: "
                    "move b a little")
    elif np.array_equal(got, GATES["AND"]):
        message += ". NAND is NOT AND: flip the signs of w and b"
    return message


register(Exercise(
    id="ch01-nand-weights",
    function="nand_weights",
    points=1,
    summary="return (w, b), w of shape (2,), such that the step neuron computes NAND",
    public=[("NAND on the four inputs (0,0), (0,1), (1,0), (1,1)", lambda rng: ())],
    validate=_validate_nand,
    hint="NAND(x1, x2) = 1 - AND(x1, x2): which side of the AND line is which?",
))


def _fold_standardization(w: NDArray, b: float, mu: NDArray,
                          sigma: NDArray) -> tuple[NDArray[np.float64], float]:
    w = np.asarray(w, dtype=np.float64)
    w_raw = w / sigma  # (C_in,)
    return w_raw, float(b - mu @ w_raw)


def _fold_case(rng: np.random.Generator, c_in: int | None = None) -> tuple:
    c_in = int(rng.integers(1, 7)) if c_in is None else c_in
    return (rng.standard_normal(c_in), float(rng.standard_normal()),
            3.0 * rng.standard_normal(c_in), rng.uniform(0.2, 5.0, size=c_in))


register(Exercise(
    id="ch01-fold-standardization",
    function="fold_standardization",
    points=3,
    summary="return (w_raw, b_raw) with x w_raw + b_raw = ((x - mu) / sigma) w + b for every x",
    public=[
        ("two inputs, mu = (10, -2), sigma = (4, 0.5)", lambda rng: (
            np.array([1.0, -2.0]), 0.5, np.array([10.0, -2.0]), np.array([4.0, 0.5]))),
        ("mu = 0, sigma = 1: nothing to fold", lambda rng: (
            rng.standard_normal(3), 0.25, np.zeros(3), np.ones(3))),
        ("five inputs, random statistics", lambda rng: _fold_case(rng, 5)),
    ],
    hidden=_fold_case, n_hidden=8,
    reference=_fold_standardization,
    output_names=("w_raw", "b_raw"),
    mistakes=[
        Mistake(lambda w, b, mu, sigma: (w / sigma, b),
                "the bias changes too: subtracting mu shifts every score by a constant"),
        Mistake(lambda w, b, mu, sigma: (w * sigma, b - mu @ w),
                "standardising divides x by sigma, so each weight is divided by its sigma"),
        Mistake(lambda w, b, mu, sigma: (w / sigma, b - mu @ w),
                "the shift of the bias is sum_i mu_i w_i / sigma_i: divide by sigma there too"),
        Mistake(lambda w, b, mu, sigma: (w / sigma, b + mu @ (w / sigma)),
                "check the sign of the bias shift: z contains -mu_i w_i / sigma_i"),
    ],
    hint="expand z = sum_i (x_i - mu_i) / sigma_i * w_i + b and collect the terms that "
         "multiply x_i and the terms that do not.",
))


#: The eight corners of the unit cube, in the row order the chapter uses.
CUBE_INPUTS: NDArray[np.float64] = np.array(
    [[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=np.float64)


def and3_experiment_reference() -> tuple[int, float]:
    """Updates of the perceptron on three-input AND, and the Novikoff bound for (1, 1, 1, -2.5)."""
    y = CUBE_INPUTS.min(axis=1).astype(np.int64)
    run = train_perceptron(CUBE_INPUTS, y, lr=1.0, epochs=1000)
    X_tilde = np.hstack([CUBE_INPUTS, np.ones((8, 1))])  # (8, 4)
    u = np.array([1.0, 1.0, 1.0, -2.5])
    u /= np.linalg.norm(u)
    gamma = ((2 * y - 1) * (X_tilde @ u)).min()
    R = np.linalg.norm(X_tilde, axis=1).max()
    return int(sum(run["mistakes"])), float((R / gamma) ** 2)


def _validate_and3(output: Any) -> str | None:
    if not isinstance(output, (tuple, list)) or len(output) != 2:
        return ("return a pair (updates, bound): an int and a float; got "
                f"{type(output).__name__}")
    try:
        updates, bound = float(output[0]), float(output[1])
    except (TypeError, ValueError):
        return "updates and bound must be numbers"
    want_updates, want_bound = and3_experiment_reference()
    problems = []
    if updates != want_updates:
        problems.append(f"the number of updates {updates:g} is not right: count every example "
                        "whose error y - y_hat is not 0, over all epochs until an epoch makes no "
                        "mistake, rows in the order of CUBE_INPUTS, from w = 0, b = 0, lr = 1")
    if not abs(bound - want_bound) <= 1e-3 * want_bound:
        problems.append(f"the bound {bound:g} is not (R / gamma)^2 for u = (1, 1, 1, -2.5) / "
                        "|(1, 1, 1, -2.5)| on the inputs with a constant 1 appended")
    return "; ".join(problems) or None


register(Exercise(
    id="ch01-and3-experiment",
    function="and3_experiment",
    points=2,
    summary="return (updates, bound): the perceptron's updates on 3-input AND and its Novikoff bound",
    public=[("three-input AND on the eight corners of the cube", lambda rng: ())],
    validate=_validate_and3,
    hint="run your perceptron_epoch (or a loop of your own) in a scratch cell, count the updates, "
         "then return the two numbers you found.",
))
