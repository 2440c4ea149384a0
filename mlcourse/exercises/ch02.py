"""Exercises of chapter 2 (multi-layer perceptrons).

Besides the exercise definitions, this module holds the chapter's reference
cost model of an MLP (:func:`mlp_layer_costs`), which the notebook uses after
the exercises so that no later cell calls a student's function.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register


def _relu(x: NDArray) -> NDArray:
    return np.maximum(x, 0)


def _mlp_forward(X: NDArray, W1: NDArray, b1: NDArray, W2: NDArray, b2: NDArray) -> NDArray:
    H = _relu(X @ W1 + b1)  # (B, C_h)
    return H @ W2 + b2  # (B, C_out)


def _mlp_case(rng: np.random.Generator, batch: int | None = None, c_in: int | None = None,
              c_h: int | None = None, c_out: int | None = None) -> tuple:
    b_size = int(rng.integers(1, 7)) if batch is None else batch
    c_in = int(rng.integers(1, 6)) if c_in is None else c_in
    c_h = int(rng.integers(2, 7)) if c_h is None else c_h
    c_out = int(rng.integers(1, 5)) if c_out is None else c_out
    return (rng.standard_normal((b_size, c_in)), rng.standard_normal((c_in, c_h)),
            rng.standard_normal((1, c_h)), rng.standard_normal((c_h, c_out)),
            rng.standard_normal((1, c_out)))


register(Exercise(
    id="ch02-mlp-forward",
    function="mlp_forward",
    points=2,
    summary="return Y = ReLU(X W1 + b1) W2 + b2, shape (B, C_out), for a network with one hidden layer",
    public=[
        ("a batch of 4, 3 inputs -> 5 hidden units -> 2 outputs",
         lambda rng: _mlp_case(rng, 4, 3, 5, 2)),
        ("one example (B = 1), 2 -> 4 -> 1", lambda rng: _mlp_case(rng, 1, 2, 4, 1)),
        ("a batch of 6, 4 -> 3 -> 3", lambda rng: _mlp_case(rng, 6, 4, 3, 3)),
    ],
    hidden=_mlp_case, n_hidden=6,
    reference=_mlp_forward,
    mistakes=[
        Mistake(lambda X, W1, b1, W2, b2: (X @ W1 + b1) @ W2 + b2,
                "the hidden layer needs its ReLU: H = max(0, X W1 + b1). Without it the two "
                "layers collapse into a single linear map"),
        Mistake(lambda X, W1, b1, W2, b2: _relu(_mlp_forward(X, W1, b1, W2, b2)),
                "the output layer is linear: no ReLU after H W2 + b2 (only the hidden layer has one)"),
        Mistake(lambda X, W1, b1, W2, b2: (_relu(X @ W1) + b1) @ W2 + b2,
                "add the bias b1 before the ReLU: H = max(0, X W1 + b1)"),
        Mistake(lambda X, W1, b1, W2, b2: _relu(X @ W1 + b1) @ W2,
                "the output layer has a bias too: add b2 (shape (1, C_out))"),
    ],
    hint="Two steps: H = max(0, X @ W1 + b1) of shape (B, C_h), then Y = H @ W2 + b2.",
))


def _collapse_linear(weights: Sequence[NDArray],
                     biases: Sequence[NDArray]) -> tuple[NDArray, NDArray]:
    W = np.eye(np.asarray(weights[0]).shape[0])  # (C_0, C_0)
    b = np.zeros((1, W.shape[0]))  # (1, C_0)
    for W_l, b_l in zip(weights, biases):
        W = W @ W_l  # (C_0, C_l)
        b = b @ W_l + b_l  # (1, C_l)
    return W, b


def _collapse_case(rng: np.random.Generator, widths: Sequence[int] | None = None) -> tuple:
    if widths is None:
        n_layers = int(rng.integers(1, 6))
        widths = [int(c) for c in rng.integers(1, 6, size=n_layers + 1)]
    weights = [rng.standard_normal((a, c)) for a, c in zip(widths[:-1], widths[1:])]
    biases = [rng.standard_normal((1, c)) for c in widths[1:]]
    return weights, biases


def _collapse_last_bias(weights, biases):
    W, _ = _collapse_linear(weights, biases)
    return W, biases[-1]


def _collapse_first_two(weights, biases):
    if len(weights) < 3:
        return _collapse_linear(weights[:1], biases[:1])
    return _collapse_linear(weights[:2], biases[:2])


def _collapse_bias_once(weights, biases):
    """Each bias multiplied only by the next matrix, not by all the later ones."""
    W, _ = _collapse_linear(weights, biases)
    b = biases[-1].copy()
    for l in range(len(weights) - 1):
        b = b + biases[l] @ weights[l + 1]
    return W, b


register(Exercise(
    id="ch02-collapse-linear",
    function="collapse_linear",
    points=3,
    summary="return (W, b) of the single linear layer equal to a stack of L linear layers "
            "(weights[l], biases[l]) without activations",
    public=[
        ("two layers 3 -> 4 -> 2", lambda rng: _collapse_case(rng, [3, 4, 2])),
        ("one layer: nothing to collapse", lambda rng: _collapse_case(rng, [2, 3])),
        ("four layers 4 -> 6 -> 5 -> 1 -> 3 (a one-unit bottleneck)",
         lambda rng: _collapse_case(rng, [4, 6, 5, 1, 3])),
    ],
    hidden=_collapse_case, n_hidden=8,
    reference=_collapse_linear,
    output_names=("W", "b"),
    mistakes=[
        Mistake(_collapse_last_bias,
                "the earlier biases reach the output too: each one passes through all the "
                "layers after it"),
        Mistake(_collapse_bias_once,
                "a bias passes through every later layer, not only the next one: b_l is "
                "multiplied by W_{l+1} W_{l+2} ... W_L"),
        Mistake(_collapse_first_two, "use every layer of the lists, not only the first two"),
    ],
    hint="fold one layer at a time: if x W + b equals the first l layers, then "
         "(x W + b) W_{l+1} + b_{l+1} equals the first l + 1 layers.",
))


def _validate_relu_width(output: Any) -> str | None:
    if not isinstance(output, (tuple, list)) or len(output) != 2:
        return ("return a pair (n_bound, n_measured) of two integers; got "
                f"{type(output).__name__}")
    try:
        n_bound, n_measured = float(output[0]), float(output[1])
    except (TypeError, ValueError):
        return "n_bound and n_measured must be numbers"
    want_bound, want_measured = relu_width_reference()
    problems = []
    if n_bound != want_bound:
        problems.append(f"n_bound = {n_bound:g} is not the smallest n with "
                        "(6 / n)^2 / 8 * 9 <= 0.01")
    if n_measured != want_measured:
        problems.append(f"n_measured = {n_measured:g} is not the smallest number of units whose "
                        "interpolant has a maximum error below 0.01 on the 601-point grid")
    return "; ".join(problems) or None


def relu_width_reference(eps: float = 0.01) -> tuple[int, int]:
    """Smallest n from the bound h^2/8 max|F''| <= eps, and the smallest n measured."""
    def target(x):
        return np.sin(3 * x) + 0.3 * x
    grid = np.linspace(-3.0, 3.0, 601)
    n_bound = int(np.ceil(6.0 / np.sqrt(8.0 * eps / 9.0)))
    n = 1
    while True:
        knots = np.linspace(-3.0, 3.0, n + 1)
        if np.abs(np.interp(grid, knots, target(knots)) - target(grid)).max() < eps:
            return n_bound, n
        n += 1


register(Exercise(
    id="ch02-relu-width",
    function="relu_width",
    points=2,
    summary="return (n_bound, n_measured): ReLU units the bound asks for, and the number "
            "the experiment needs, for a maximum error below 0.01",
    public=[("F(x) = sin 3x + 0.3x on [-3, 3], maximum error below 0.01", lambda rng: ())],
    validate=_validate_relu_width,
    hint="the bound: solve (6 / n)^2 / 8 * 9 <= 0.01 for the smallest integer n; the "
         "experiment: build the interpolant for increasing n and measure its maximum error.",
))


def mlp_layer_costs(layer_sizes: Sequence[int], batch: int, bits: int = 32) -> list[dict[str, int]]:
    """Cost of each fully connected layer of an MLP, for one forward pass of a batch.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[C_0, C_1, ..., C_L]``: the input width, the hidden widths and the
        output width. Layer l maps ``C_{l-1}`` features to ``C_l``.
    batch : int
        The batch size B.
    bits : int, default 32
        Bits per stored number (32 for float32).

    Returns
    -------
    list of dict, one per layer
        ``"c_in"``, ``"c_out"``, ``"macs"`` (multiply-accumulates
        ``B · C_in · C_out``), ``"weights"`` (``C_in · C_out``), ``"biases"``
        (``C_out``), ``"params"`` (their sum), ``"param_bits"`` and
        ``"activation_bits"`` (``bits · B · (C_in + C_out)``, the layer's input
        and output).

    Notes
    -----
    Each output entry ``Y[i, j] = sum_k X[i, k] W[k, j] + b[j]`` takes C_in
    multiply-accumulates, and a batch has ``B · C_out`` of them. Consecutive
    layers share their activations (one layer's output is the next one's
    input), so the activations of the whole network are
    ``bits · B · (C_0 + C_1 + ... + C_L)``, not the sum of the per-layer
    values. The bias additions are not counted as MACs.
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise ValueError(f"mlp_layer_costs: layer_sizes must hold at least two positive widths "
                         f"(input and output), got {list(layer_sizes)!r}")
    if int(batch) < 1 or int(bits) < 1:
        raise ValueError(f"mlp_layer_costs: batch and bits must be positive, got {batch!r} and {bits!r}")
    rows = []
    for c_in, c_out in zip(sizes[:-1], sizes[1:]):
        weights, biases = c_in * c_out, c_out
        rows.append({
            "c_in": c_in, "c_out": c_out,
            "macs": int(batch) * c_in * c_out,
            "weights": weights, "biases": biases, "params": weights + biases,
            "param_bits": int(bits) * (weights + biases),
            "activation_bits": int(bits) * int(batch) * (c_in + c_out),
        })
    return rows


def _mlp_cost(layer_sizes: Sequence[int], batch: int, bits: int = 32) -> tuple[int, int, int, int]:
    rows = mlp_layer_costs(layer_sizes, batch, bits)
    macs = sum(r["macs"] for r in rows)
    params = sum(r["params"] for r in rows)
    activations = int(bits) * int(batch) * sum(int(s) for s in layer_sizes)
    return macs, params, int(bits) * params, activations


def _cost_no_bias(layer_sizes, batch, bits=32):
    macs, _, _, act = _mlp_cost(layer_sizes, batch, bits)
    weights = sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    return macs, weights, bits * weights, act


def _cost_no_input(layer_sizes, batch, bits=32):
    macs, params, pbits, _ = _mlp_cost(layer_sizes, batch, bits)
    return macs, params, pbits, bits * batch * sum(layer_sizes[1:])


def _cost_no_batch(layer_sizes, batch, bits=32):
    _, params, pbits, act = _mlp_cost(layer_sizes, batch, bits)
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])), params, pbits, act


def _cost_fixed_32(layer_sizes, batch, bits=32):
    return _mlp_cost(layer_sizes, batch, 32)


def _cost_double_counted(layer_sizes, batch, bits=32):
    macs, params, pbits, _ = _mlp_cost(layer_sizes, batch, bits)
    return macs, params, pbits, sum(r["activation_bits"] for r in mlp_layer_costs(layer_sizes, batch, bits))


def _cost_case(rng: np.random.Generator) -> tuple:
    n_layers = int(rng.integers(1, 5))
    sizes = [int(s) for s in rng.integers(1, 300, size=n_layers + 1)]
    return sizes, int(rng.integers(1, 257)), int(rng.choice([8, 16, 32, 64]))


register(Exercise(
    id="ch02-mlp-cost",
    function="mlp_cost",
    points=3,
    summary="return (macs, params, param_bits, activation_bits) of an MLP with widths layer_sizes "
            "for one forward pass of a batch",
    public=[
        ("the lecture's 2 -> 3 layer, B = 4, float32", lambda rng: ([2, 3], 4, 32)),
        ("an MNIST MLP 784 -> 256 -> 128 -> 10, B = 64, float32", lambda rng: ([784, 256, 128, 10], 64, 32)),
        ("3 -> 5 -> 5 -> 2, B = 10, 16-bit numbers", lambda rng: ([3, 5, 5, 2], 10, 16)),
    ],
    hidden=_cost_case, n_hidden=8,
    reference=_mlp_cost,
    output_names=("macs", "params", "param_bits", "activation_bits"),
    rtol=0.0, atol=0.0,
    mistakes=[
        Mistake(_cost_no_bias,
                "params counts the biases too: each layer has C_in·C_out weights and C_out biases "
                "(the lecture's 192 bits count only the 6 weights of its example)"),
        Mistake(_cost_no_input,
                "the input X is an activation that must be stored too: the lecture counts "
                "(2B + 3B)·32 bits for its 2 -> 3 layer"),
        Mistake(_cost_no_batch,
                "every example of the batch goes through the layer: a layer costs B·C_in·C_out "
                "multiply-accumulates"),
        Mistake(_cost_fixed_32, "use the bits argument, not always 32"),
        Mistake(_cost_double_counted,
                "a hidden layer's output is the next layer's input: count each activation once, "
                "bits·B·(C_0 + C_1 + ... + C_L)"),
    ],
    hint="Loop over consecutive pairs (C_in, C_out) = zip(layer_sizes[:-1], layer_sizes[1:]).",
))
