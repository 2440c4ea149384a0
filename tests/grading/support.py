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


# Chapter 98: the Exercise fields beyond a plain function (sandbox_modules, requires, driver,
# weights). Registered on demand, so chapter 99's assignment stays as it is.

_SCALE_DRIVER = '''
def _drive(answer, x, s):
    layer = answer(s)
    return layer(x) if callable(layer) else None
'''

_NUMBER_DRIVER = '''
def _drive(answer):
    return float(answer)
'''


def _affine_case(rng):
    n, d, k = (int(v) for v in rng.integers(2, 5, size=3))
    return rng.standard_normal((n, d)), rng.standard_normal((d, k))


FEATURE_EXERCISES = [
    Exercise(
        id="ch98-scale-module", function="Scale", points=2,
        summary="a Module whose forward multiplies its input by s",
        public=[("3 x 2, s = 2", lambda rng: (rng.standard_normal((3, 2)), 2.0))],
        hidden=lambda rng: (rng.standard_normal((int(rng.integers(1, 5)), 3)), float(rng.normal())),
        reference=lambda x, s: x * s, sandbox_modules=("mlcourse.module",), driver=_SCALE_DRIVER,
    ),
    Exercise(
        id="ch98-affine", function="affine", points=1, summary="return x @ w",
        public=[("2 x 3 by 3 x 2", _affine_case)], hidden=_affine_case,
        reference=lambda x, w: x @ w,
    ),
    Exercise(
        id="ch98-affine-energy", function="affine_energy", points=3,
        summary="return the sum of squares of affine(x, w), using affine",
        public=[("case A", _affine_case, 2.0), ("case B", _affine_case)],
        hidden=_affine_case, hidden_weight=0.5, n_hidden=4,
        reference=lambda x, w: float(((x @ w) ** 2).sum()), requires=("ch98-affine",),
    ),
    Exercise(
        id="ch98-final-loss", function="final_loss", points=1,
        summary="the loss your experiment ends with",
        public=[("the value", lambda rng: ())], reference=lambda: 0.25, driver=_NUMBER_DRIVER,
        rtol=0.0, atol=1e-3,
    ),
]

FEATURE_SOLUTIONS = {
    "ch98-scale-module": '''from mlcourse.module import Module


class Scale(Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, x):
        ### BEGIN SOLUTION
        return x * self.s
        ### END SOLUTION
''',
    "ch98-affine": '''def affine(x, w):
    ### BEGIN SOLUTION
    return x @ w
    ### END SOLUTION
''',
    "ch98-affine-energy": '''def affine_energy(x, w):
    ### BEGIN SOLUTION
    return float((affine(x, w) ** 2).sum())
    ### END SOLUTION
''',
    "ch98-final-loss": '''losses = [1.0, 0.5, 0.25]
final_loss = None
### BEGIN SOLUTION
final_loss = losses[-1]
### END SOLUTION
''',
}

FEATURE_NAMES = {ex.id: ex.function for ex in FEATURE_EXERCISES}


def register_features() -> None:
    for ex in FEATURE_EXERCISES:
        if ex.id not in _REGISTRY:
            register(ex)


def make_feature_notebook(sources: dict[str, str] | None = None, drop: tuple[str, ...] = ()):
    """An instructor-style notebook holding the chapter-98 exercises (minus ``drop``)."""
    sources = {**FEATURE_SOLUTIONS, **(sources or {})}
    nb = nbformat.v4.new_notebook()
    nb.metadata["mlcourse"] = {"chapter": 98}
    nb.cells.append(nbformat.v4.new_code_cell("import numpy as np\nfrom mlcourse.grading import check"))
    for ex_id, source in sources.items():
        if ex_id in drop:
            continue
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = ["exercise"]
        cell.metadata["mlcourse"] = {"exercise": ex_id}
        nb.cells.append(cell)
        chk = nbformat.v4.new_code_cell(f'check("{ex_id}", {FEATURE_NAMES.get(ex_id, "None")})')
        chk.metadata["tags"] = ["check"]
        nb.cells.append(chk)
    return nb
