"""Exercises of chapter 12 (putting it together: an MNIST classifier).

* ``ch12-confusion-matrix``: count true class i predicted as j into a (K, K)
  matrix (rows true, columns predicted);
* ``ch12-precision-recall``: per-class precision and recall read off a
  confusion matrix;
* ``ch12-top-k-mistakes``: the indices of the k most confident wrong
  predictions, most confident first;
* ``ch12-trainable-mask``: which parameters train at a given stage of
  unfreezing (transfer learning), from their dotted names.

The references are written out here; the chapter checks
:func:`mlcourse.plotting.confusion_matrix` against the same definition.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register


def _confusion_matrix(y_true: NDArray, y_pred: NDArray, k: int) -> NDArray[np.int64]:
    cm = np.zeros((k, k), dtype=np.int64)  # (K, K)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _cm_case(rng: np.random.Generator, n: int | None = None, k: int | None = None,
             accuracy: float = 0.7) -> tuple:
    k = int(rng.integers(2, 7)) if k is None else k
    n = int(rng.integers(1, 40)) if n is None else n
    y_true = rng.integers(0, k, size=n)
    wrong = rng.random(n) > accuracy
    y_pred = np.where(wrong, rng.integers(0, k, size=n), y_true)
    return y_true.astype(np.int64), y_pred.astype(np.int64), k


def _cm_absent_class(rng: np.random.Generator) -> tuple:
    y_true, y_pred, _ = _cm_case(rng, 20, 3, 0.6)
    return y_true, y_pred, 5  # classes 3 and 4 never occur


register(Exercise(
    id="ch12-confusion-matrix",
    function="confusion_matrix",
    points=2,
    summary="return the (k, k) int matrix cm with cm[i, j] = number of examples of true class i "
            "predicted as class j",
    public=[
        ("the 6 examples of the text, 3 classes",
         lambda rng: (np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)),
        ("30 examples of 4 classes, 70 % right", lambda rng: _cm_case(rng, 30, 4)),
        ("5 classes, two of which never occur", _cm_absent_class),
        ("a single example", lambda rng: _cm_case(rng, 1, 2)),
    ],
    hidden=_cm_case,
    n_hidden=6,
    reference=_confusion_matrix,
    mistakes=[
        Mistake(lambda y_true, y_pred, k: _confusion_matrix(y_true, y_pred, k).T,
                "rows and columns are swapped: the row is the TRUE class and the column the "
                "PREDICTED one, cm[y_true[n], y_pred[n]] += 1 (then cm.sum(axis=1) counts each "
                "true class)"),
        Mistake(lambda y_true, y_pred, k: (y_true[:, None] == y_pred[None, :]).astype(np.int64),
                "compare with the classes, not example against example: the matrix is (k, k), "
                "one row per true class and one column per predicted class"),
    ],
    hint="Start from np.zeros((k, k), dtype=int) and add 1 at [y_true[n], y_pred[n]] for every "
         "example n (a loop is fine; np.add.at does it in one call). Use k, not the largest label "
         "+ 1: a class may be absent from the data.",
))


def _precision_recall(cm: NDArray) -> tuple[NDArray, NDArray]:
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)  # (K,)
    predicted = cm.sum(axis=0)  # (K,) column sums
    actual = cm.sum(axis=1)  # (K,) row sums
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    return precision, recall


def _pr_case(rng: np.random.Generator, k: int | None = None) -> tuple:
    k = int(rng.integers(2, 7)) if k is None else k
    cm = rng.integers(0, 6, size=(k, k)) + np.diag(rng.integers(5, 30, size=k))
    return (cm.astype(np.int64),)


def _pr_never_predicted(rng: np.random.Generator) -> tuple:
    (cm,) = _pr_case(rng, 4)
    cm[:, 2] = 0  # class 2 is never predicted: its precision is 0 by convention
    return (cm,)


def _pr_swapped(cm):
    precision, recall = _precision_recall(cm)
    return recall, precision


def _pr_by_total(cm):
    cm = np.asarray(cm, dtype=np.float64)
    share = np.diag(cm) / cm.sum()
    return share, share


register(Exercise(
    id="ch12-precision-recall",
    function="precision_recall",
    points=2,
    summary="return (precision, recall), each of shape (K,), from a (K, K) confusion matrix "
            "(rows true, columns predicted); 0 where a class is never predicted / never occurs",
    public=[
        ("the 3 x 3 matrix of the text",
         lambda rng: (np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]]),)),
        ("a 5 x 5 matrix", lambda rng: _pr_case(rng, 5)),
        ("class 2 is never predicted (precision 0 by convention)", _pr_never_predicted),
    ],
    hidden=_pr_case,
    n_hidden=5,
    reference=_precision_recall,
    output_names=("precision", "recall"),
    mistakes=[
        Mistake(_pr_swapped,
                "precision and recall are swapped: precision_j = cm[j, j] / (sum of COLUMN j, "
                "everything predicted as j); recall_i = cm[i, i] / (sum of ROW i, every example "
                "of class i)"),
        Mistake(_pr_by_total,
                "divide the diagonal by a column sum (precision) or a row sum (recall), not by "
                "the total number of examples"),
    ],
    hint="The diagonal holds the true positives; cm.sum(axis=0) are the column sums, "
         "cm.sum(axis=1) the row sums. Guard the division where a sum is 0 (np.divide with where=).",
))


def _top_k_mistakes(probs: NDArray, y: NDArray, k: int) -> NDArray[np.int64]:
    pred = probs.argmax(axis=1)  # (N,)
    confidence = probs.max(axis=1)  # (N,)
    wrong = np.flatnonzero(pred != y)  # (M,)
    order = np.argsort(-confidence[wrong], kind="stable")
    return wrong[order[:k]].astype(np.int64)


def _probs_case(rng: np.random.Generator, n: int | None = None, c: int | None = None,
                k: int | None = None) -> tuple:
    n = int(rng.integers(5, 40)) if n is None else n
    c = int(rng.integers(2, 6)) if c is None else c
    k = int(rng.integers(1, 8)) if k is None else k
    y = rng.integers(0, c, size=n)
    logits = 2.5 * rng.standard_normal((n, c))
    logits[np.arange(n), y] += 2.0  # mostly right, some confident mistakes
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True), y.astype(np.int64), k


def _few_mistakes(rng: np.random.Generator) -> tuple:
    probs, y, _ = _probs_case(rng, 12, 3, 5)
    y = probs.argmax(axis=1)
    y[[3, 8]] = (y[[3, 8]] + 1) % 3  # exactly two mistakes, fewer than k = 5
    return probs, y.astype(np.int64), 5


register(Exercise(
    id="ch12-top-k-mistakes",
    function="top_k_mistakes",
    points=2,
    summary="return the indices (at most k, int) of the wrongly classified examples with the "
            "highest predicted-class probability, most confident first",
    public=[
        ("4 examples, 3 classes, k = 2",
         lambda rng: (np.array([[0.95, 0.03, 0.02], [0.18, 0.8, 0.02], [0.08, 0.02, 0.9],
                                [0.3, 0.6, 0.1]]), np.array([0, 2, 0, 1]), 2)),
        ("30 examples, 4 classes, k = 5", lambda rng: _probs_case(rng, 30, 4, 5)),
        ("only two mistakes, k = 5 (return both)", _few_mistakes),
    ],
    hidden=_probs_case,
    n_hidden=6,
    reference=_top_k_mistakes,
    mistakes=[
        Mistake(lambda probs, y, k: _top_k_mistakes(probs, y, len(y))[::-1][:k],
                "the order is reversed: the MOST confident mistake comes first (sort the "
                "confidences in decreasing order)"),
        Mistake(lambda probs, y, k: np.argsort(-probs.max(axis=1), kind="stable")[:k],
                "keep only the wrong predictions (argmax != y) before ranking: this returns the "
                "most confident predictions, right or wrong"),
        Mistake(lambda probs, y, k: np.flatnonzero(probs.argmax(axis=1) != y)[
                    np.argsort(probs[np.flatnonzero(probs.argmax(axis=1) != y),
                                     y[probs.argmax(axis=1) != y]], kind="stable")][:k],
                "rank by the probability of the PREDICTED class (probs.max(axis=1)), not by how "
                "little probability the true class got"),
    ],
    hint="pred = probs.argmax(axis=1); wrong = np.flatnonzero(pred != y); sort wrong by "
         "-probs.max(axis=1)[wrong] and keep the first k.",
))


def _trainable_mask(names: list[str], stage: int) -> NDArray[np.bool_]:
    layers: list[str] = []
    for name in names:
        layer = name.rsplit(".", 1)[0]
        if layer not in layers:
            layers.append(layer)
    top = set(layers[max(len(layers) - (stage + 1), 0):])
    return np.array([name.rsplit(".", 1)[0] in top for name in names], dtype=bool)


def _mlp_names(n_layers: int, bias: bool = True, step: int = 2) -> list[str]:
    names = []
    for i in range(n_layers):
        names.append(f"{step * i}.weight")
        if bias:
            names.append(f"{step * i}.bias")
    return names


def _mask_case(rng: np.random.Generator) -> tuple:
    n_layers = int(rng.integers(2, 6))
    names = _mlp_names(n_layers, bias=bool(rng.integers(0, 2)), step=int(rng.integers(1, 4)))
    return names, int(rng.integers(0, n_layers + 2))


def _mask_from_bottom(names, stage):
    layers = list(dict.fromkeys(name.rsplit(".", 1)[0] for name in names))
    bottom = set(layers[:stage + 1])
    return np.array([name.rsplit(".", 1)[0] in bottom for name in names], dtype=bool)


def _mask_off_by_one(names, stage):
    return _trainable_mask(names, stage - 1) if stage > 0 else np.zeros(len(names), dtype=bool)


def _mask_by_parameter(names, stage):
    mask = np.zeros(len(names), dtype=bool)
    mask[max(len(names) - (stage + 1), 0):] = True
    return mask


register(Exercise(
    id="ch12-trainable-mask",
    function="trainable_mask",
    points=2,
    summary="return a bool array (one per name): True for the parameters of the top stage + 1 "
            "layers (a layer is the name without its last '.part'), False for the frozen ones",
    public=[
        ("the MLP of the text at stage 0 (head only)",
         lambda rng: (["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], 0)),
        ("a 4-layer MLP at stage 2", lambda rng: (_mlp_names(4), 2)),
        ("stage 5 of a 3-layer MLP (everything trains)", lambda rng: (_mlp_names(3), 5)),
        ("nested names, layers without bias",
         lambda rng: (["body.0.weight", "body.1.weight", "head.weight"], 1)),
    ],
    hidden=_mask_case,
    n_hidden=6,
    reference=_trainable_mask,
    mistakes=[
        Mistake(_mask_from_bottom,
                "this unfreezes the lowest layers; transfer learning retrains the TOP: the last "
                "layers in the list (closest to the output) train first"),
        Mistake(_mask_off_by_one,
                "stage 0 already trains one layer (the head): at stage s the top s + 1 layers train"),
        Mistake(_mask_by_parameter,
                "count layers, not parameters: '4.weight' and '4.bias' belong to the same layer "
                "'4' and are frozen or trained together"),
    ],
    hint="List the layers in order of first appearance (name.rsplit('.', 1)[0]), take the last "
         "stage + 1 of them, and mark every name whose layer is among those.",
))
