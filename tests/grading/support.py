"""Exercises and notebooks made up for testing the grading system itself.

They live in chapter 99 so they never collide with the course's exercises.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np

from mlcourse.grading import Exercise, Mistake, register
from mlcourse.grading.exercise import _REGISTRY


def _linear_backward(X, W, dY):
    return dY @ W.T, X.T @ dY, dY.sum(axis=0, keepdims=True)


def _ce_grad(Z, y):
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1
    return P / len(y)


def _mse_grad(pred, target):
    return 2 * (pred - target) / pred.size


def _shapes(rng, b=None):
    b = b or int(rng.integers(2, 7))
    cin, cout = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    return rng.standard_normal((b, cin)), rng.standard_normal((cin, cout)), rng.standard_normal((b, cout))


def _logits(rng):
    n, c = int(rng.integers(2, 8)), int(rng.integers(2, 6))
    return rng.standard_normal((n, c)) * 3, rng.integers(0, c, size=n)


def _pairs(rng):
    shape = (int(rng.integers(2, 6)), int(rng.integers(1, 4)))
    return rng.standard_normal(shape), rng.standard_normal(shape)


EXERCISES = [
    Exercise(
        id="ch99-linear-backward", function="linear_backward", points=3,
        summary="return (dX, dW, db) of Y = X W + b given dY",
        public=[("batch of 4, 3 -> 2", lambda rng: (rng.standard_normal((4, 3)), rng.standard_normal((3, 2)),
                                                   rng.standard_normal((4, 2)))),
                ("batch of 1", lambda rng: _shapes(rng, 1))],
        hidden=_shapes, reference=_linear_backward, output_names=("dX", "dW", "db"),
        mistakes=[Mistake(lambda X, W, dY: (dY @ W.T, X.T @ dY, dY.sum(axis=0)),
                          "db must keep the shape (1, C_out) of b: sum with keepdims=True")],
        hint="dW has the shape of W, (C_in, C_out): which product of X and dY gives that?",
    ),
    Exercise(
        id="ch99-softmax-ce-grad", function="softmax_ce_grad", points=2,
        summary="return dL/dZ of the mean softmax cross-entropy",
        public=[("3 examples, 4 classes", _logits)], hidden=_logits, reference=_ce_grad,
        mistakes=[Mistake(lambda Z, y: _ce_grad(Z, y) * len(y),
                          "the loss is the mean over the batch, so divide P - Y by N")],
    ),
    Exercise(
        id="ch99-mse-grad", function="mse_grad", points=1,
        summary="return dL/dpred of the mean squared error",
        public=[("3 x 2", _pairs)], hidden=_pairs, reference=_mse_grad, timeout=4.0,
        mistakes=[Mistake(lambda p, t: 2 * (t - p) / p.size, "d/dp of (p - t)^2 is 2(p - t), not 2(t - p)")],
    ),
]

SOLUTIONS = {
    "ch99-linear-backward": '''def linear_backward(X, W, dY):
    """Gradients of Y = X W + b."""
    ### BEGIN SOLUTION
    dX = dY @ W.T
    dW = X.T @ dY
    db = dY.sum(axis=0, keepdims=True)
    ### END SOLUTION
    return dX, dW, db
''',
    "ch99-softmax-ce-grad": '''def softmax_ce_grad(Z, y):
    ### BEGIN SOLUTION
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1
    return P / len(y)
    ### END SOLUTION
''',
    "ch99-mse-grad": '''def mse_grad(pred, target):
    ### BEGIN SOLUTION
    return 2 * (pred - target) / pred.size
    ### END SOLUTION
''',
}

FUNCTIONS = {ex.id: ex.function for ex in EXERCISES}


def register_all() -> None:
    for ex in EXERCISES:
        if ex.id not in _REGISTRY:
            register(ex)


def make_notebook(sources: dict[str, str] | None = None, extra_cells=(), chapter: int = 99):
    """An instructor-style notebook holding the chapter-99 exercises."""
    sources = {**SOLUTIONS, **(sources or {})}
    nb = nbformat.v4.new_notebook()
    nb.metadata["mlcourse"] = {"chapter": chapter}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Test chapter"))
    nb.cells.append(nbformat.v4.new_code_cell("import numpy as np\nfrom mlcourse.grading import check"))
    for ex_id, source in sources.items():
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = ["exercise"]
        cell.metadata["mlcourse"] = {"exercise": ex_id}
        nb.cells.append(cell)
        chk = nbformat.v4.new_code_cell(f'check("{ex_id}", {FUNCTIONS[ex_id]})')
        chk.metadata["tags"] = ["check"]
        nb.cells.append(chk)
    for cell in extra_cells:
        nb.cells.append(cell)
    return nb


def write_notebook(nb, path: Path) -> Path:
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path
