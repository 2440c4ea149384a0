"""Exercises of chapter 12 (putting it together: an MNIST classifier).

* ``ch12-confusion-matrix``: count true class i predicted as j into a (K, K)
  matrix (rows true, columns predicted);
* ``ch12-smoothed-ce``: a derivation: the loss and the gradient with respect
  to the logits of cross-entropy with label smoothing;
* ``ch12-lr-range``: read a learning-rate range test the way the chapter
  does: smooth the losses, find the rate of the lowest smoothed loss before
  divergence, suggest a tenth of it;
* a two-part assignment, your own training loop: ``ch12-early-stopper`` (a
  class that tracks the best validation loss, writes a checkpoint file when it
  improves and says when to stop) and ``ch12-train-loop`` (mini-batch SGD with
  that early stopping, restoring the best checkpoint), graded on a small fixed
  softmax-regression task that the grader builds in the sandbox.

The references are written out here. The two assignment parts are graded
through a ``driver``: source code that runs in the grader's sandbox, builds
the task, drives the student's class or function and returns what is
compared; the reference runs the very same driver on the reference
implementation, so the two cannot drift apart.
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


def _smoothed_ce(logits: NDArray, y: NDArray, eps: float) -> tuple[float, NDArray]:
    batch, classes = logits.shape
    z = logits - logits.max(axis=1, keepdims=True)  # (B, C), shifted for stability
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # (B, C)
    q = np.full((batch, classes), eps / classes)  # (B, C) smoothed targets
    q[np.arange(batch), y] += 1.0 - eps
    loss = -(q * log_p).sum() / batch
    return float(loss), (np.exp(log_p) - q) / batch


def _ce_case(rng: np.random.Generator, batch: int | None = None, classes: int | None = None,
             scale: float = 2.0, eps: float | None = None) -> tuple:
    batch = int(rng.integers(1, 9)) if batch is None else batch
    classes = int(rng.integers(2, 8)) if classes is None else classes
    logits = scale * rng.standard_normal((batch, classes))
    y = rng.integers(0, classes, size=batch)
    eps = float(rng.choice([0.0, 0.05, 0.1, 0.2, 0.3])) if eps is None else eps
    return logits, y.astype(np.int64), eps


def _ce_hidden(rng: np.random.Generator) -> tuple:
    scale = float(rng.choice([0.5, 2.0, 300.0]))  # 300: overflows a naive exp
    return _ce_case(rng, scale=scale)


def _ce_spread_over_others(logits, y, eps):
    batch, classes = logits.shape
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    q = np.full((batch, classes), eps / (classes - 1))
    q[np.arange(batch), y] = 1.0 - eps
    return float(-(q * log_p).sum() / batch), (np.exp(log_p) - q) / batch


register(Exercise(
    id="ch12-smoothed-ce",
    function="smoothed_cross_entropy",
    points=3,
    summary="return (loss, dlogits): the mean label-smoothed cross-entropy of (B, C) logits and "
            "its (B, C) gradient with respect to the logits",
    public=[
        ("B=4, C=3, eps=0.1", lambda rng: _ce_case(rng, 4, 3, eps=0.1)),
        ("eps=0 is the plain cross-entropy", lambda rng: _ce_case(rng, 5, 4, eps=0.0)),
        ("a single example, 6 classes, eps=0.2", lambda rng: _ce_case(rng, 1, 6, eps=0.2)),
        ("logits of size 500: needs the max-shift", lambda rng: _ce_case(rng, 3, 5, 500.0, 0.1)),
    ],
    hidden=_ce_hidden,
    n_hidden=6,
    reference=_smoothed_ce,
    output_names=("loss", "dlogits"),
    rtol=1e-6,
    atol=1e-9,
    mistakes=[
        Mistake(lambda z, y, eps: (_smoothed_ce(z, y, eps)[0], _smoothed_ce(z, y, eps)[1] * len(z)),
                "the loss is the MEAN over the batch, so its gradient carries a factor 1/B"),
        Mistake(lambda z, y, eps: (_smoothed_ce(z, y, 0.0)[0], _smoothed_ce(z, y, 0.0)[1]),
                "that is the plain cross-entropy: the targets are q = (1 - eps) one_hot(y) + "
                "eps / C, not the one-hot vector"),
        Mistake(_ce_spread_over_others,
                "this exercise spreads eps over ALL C classes (eps / C each, the true class "
                "included: Szegedy et al.'s form), not over the C - 1 others"),
        Mistake(lambda z, y, eps: (_smoothed_ce(z, y, eps)[0], -_smoothed_ce(z, y, eps)[1]),
                "the sign: dL/dz = (softmax(z) - q) / B"),
    ],
    hint="Derive first: with p = softmax(z) and sum_c q_c = 1, the gradient of "
         "-sum_c q_c log p_c with respect to z is p - q. Compute log p stably as "
         "z - max(z) - log(sum exp(z - max(z))).",
))


def _lr_range(lrs: NDArray, losses: NDArray, beta: float = 0.9) -> float:
    average, best, best_index = 0.0, np.inf, 0
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * float(loss)
        smoothed = average / (1 - beta ** t)  # bias-corrected moving average
        if smoothed < best:
            best, best_index = smoothed, t - 1
        elif smoothed > 4 * best:
            break  # diverged: nothing after this point counts
    return float(lrs[best_index] / 10)


def _range_curve(rng: np.random.Generator, steps: int | None = None, dip: bool = False) -> tuple:
    steps = int(rng.integers(30, 120)) if steps is None else steps
    lo, hi = 10.0 ** rng.uniform(-6, -4), 10.0 ** rng.uniform(0, 1.5)
    lrs = lo * (hi / lo) ** (np.arange(steps) / (steps - 1))
    best = 10.0 ** rng.uniform(np.log10(lo) + 1.5, np.log10(hi) - 0.5)  # the curve's minimum
    u = np.log10(lrs / best)
    losses = 2.3 - 1.5 / (1 + np.exp(-3 * (u + 1.5))) + np.where(u > 0, 4 * u ** 2, 0.0)
    losses = losses + 0.08 * rng.standard_normal(steps)
    if dip:  # after the divergence, a spurious low value that must not count
        losses[-3:] = 0.01
    return lrs, np.abs(losses), float(rng.choice([0.8, 0.9, 0.95]))


def _range_no_correction(lrs, losses, beta=0.9):
    average, best, index = 0.0, np.inf, 0
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        if average < best:
            best, index = average, t - 1
        elif average > 4 * best:
            break
    return float(lrs[index] / 10)


def _range_no_stop(lrs, losses, beta=0.9):
    average, best, index = 0.0, np.inf, 0
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        if average / (1 - beta ** t) < best:
            best, index = average / (1 - beta ** t), t - 1
    return float(lrs[index] / 10)


register(Exercise(
    id="ch12-lr-range",
    function="lr_from_range_test",
    points=2,
    summary="return a tenth of the learning rate at which the bias-corrected moving average of "
            "the range-test losses is lowest, ignoring everything after it exceeds 4x its minimum",
    public=[
        ("a 100-step curve, beta=0.9", lambda rng: _range_curve(rng, 100)[:2] + (0.9,)),
        ("a spurious dip after the divergence", lambda rng: _range_curve(rng, 80, dip=True)),
        ("a short curve of 30 steps", lambda rng: _range_curve(rng, 30)),
    ],
    hidden=lambda rng: _range_curve(rng, dip=bool(rng.random() < 0.5)),
    n_hidden=6,
    reference=_lr_range,
    rtol=1e-9,
    mistakes=[
        Mistake(lambda lrs, losses, beta=0.9: 10 * _lr_range(lrs, losses, beta),
                "suggest a TENTH of the rate of the lowest smoothed loss: at that rate the loss "
                "is about to blow up"),
        Mistake(_range_no_correction,
                "divide the moving average by (1 - beta**t): it starts at 0, so without the "
                "correction its first values are far too small"),
        Mistake(_range_no_stop,
                "stop reading the curve once the smoothed loss exceeds 4 times its minimum so "
                "far: what comes after a divergence is not a loss worth trusting"),
    ],
    hint="One loop over t = 1, 2, ...: update the average, correct it, remember the smallest "
         "value and its index, break once the corrected value exceeds 4 times the smallest.",
))


class _EarlyStopperReference:
    def __init__(self, patience: int, path: str) -> None:
        self.patience, self.path = patience, path
        self.best, self.best_epoch, self.bad_epochs = np.inf, None, 0

    def update(self, epoch: int, val_loss: float, params: dict) -> bool:
        if val_loss < self.best:
            self.best, self.best_epoch, self.bad_epochs = val_loss, epoch, 0
            np.savez(self.path, **params)
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def restore(self) -> dict:
        with np.load(self.path) as saved:
            return {name: saved[name] for name in saved.files}


_STOPPER_DRIVER = '''
def _drive(EarlyStopper, patience, val_losses, seed):
    import os
    import tempfile
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "best.npz")
        stopper = EarlyStopper(int(patience), path)
        flags, written = [], []
        for epoch, loss in enumerate(val_losses, start=1):
            params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
            stop = bool(stopper.update(epoch, float(loss), params))
            flags.append(stop)
            written.append(os.path.exists(path))
            params["W"] += 100.0  # training goes on: the checkpoint must be a copy
            if stop:
                break
        best = stopper.restore()
        return (np.array(flags), np.array(written), float(stopper.best),
                int(stopper.best_epoch), best["W"], best["b"])
'''


def _driver(source: str):
    namespace = {"np": np, "math": __import__("math")}
    exec(compile(source, "<driver>", "exec"), namespace)
    return namespace["_drive"]


def _stopper_case(rng: np.random.Generator, n: int | None = None,
                  patience: int | None = None) -> tuple:
    n = int(rng.integers(4, 15)) if n is None else n
    patience = int(rng.integers(1, 4)) if patience is None else patience
    losses = np.round(1.0 / np.arange(1, n + 1) + 0.1 * rng.random(n), 2)  # ties happen
    return patience, losses, int(rng.integers(0, 2**31))


class _StopperLessOrEqual(_EarlyStopperReference):
    def update(self, epoch, val_loss, params):
        if val_loss <= self.best:
            self.best, self.best_epoch, self.bad_epochs = val_loss, epoch, 0
            np.savez(self.path, **params)
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


class _StopperNeverResets(_EarlyStopperReference):
    def update(self, epoch, val_loss, params):
        if val_loss < self.best:
            self.best, self.best_epoch = val_loss, epoch
            np.savez(self.path, **params)
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


register(Exercise(
    id="ch12-early-stopper",
    function="EarlyStopper",
    points=3,
    summary="class EarlyStopper(patience, path): update(epoch, val_loss, params) saves an .npz "
            "checkpoint on improvement and returns True to stop; restore() loads the best params",
    public=[
        ("patience 2: improves, then two worse epochs",
         lambda rng: (2, np.array([0.9, 0.7, 0.8, 0.75]), 1)),
        ("a tie is not an improvement (patience 1)",
         lambda rng: (1, np.array([0.9, 0.5, 0.5, 0.4]), 2)),
        ("the counter restarts after an improvement (patience 2)",
         lambda rng: (2, np.array([1.0, 1.1, 0.8, 0.9, 0.7, 0.8, 0.9]), 3)),
        ("never stops: every epoch improves", lambda rng: (3, np.linspace(1.0, 0.1, 6), 4)),
    ],
    hidden=_stopper_case,
    n_hidden=6,
    reference=lambda *args: _driver(_STOPPER_DRIVER)(_EarlyStopperReference, *args),
    driver=_STOPPER_DRIVER,
    output_names=("stop flags", "checkpoint file exists", "best", "best_epoch", "best W", "best b"),
    mistakes=[
        Mistake(lambda *args: _driver(_STOPPER_DRIVER)(_StopperLessOrEqual, *args),
                "an epoch that only equals the best loss is not an improvement: compare with <, "
                "not <="),
        Mistake(lambda *args: _driver(_STOPPER_DRIVER)(_StopperNeverResets, *args),
                "reset the count of epochs without improvement to 0 whenever the loss improves"),
    ],
    hint="Keep best (start at infinity), best_epoch and a count of epochs without improvement. "
         "On improvement: update them, reset the count and np.savez(path, **params). Stop when "
         "the count reaches patience. restore() reads the file back with np.load.",
))


def _train_reference(params, grad_fn, loss_fn, train_data, val_data, lr, epochs, batch_size,
                     patience, path, seed):
    X, y = train_data
    X_val, y_val = val_data
    rng = np.random.default_rng(seed)
    stopper = _EarlyStopperReference(patience, path)
    history = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            grads = grad_fn(params, X[batch], y[batch])
            params = {name: params[name] - lr * grads[name] for name in params}
        history.append(loss_fn(params, X_val, y_val))
        if stopper.update(epoch, history[-1], params):
            break
    return stopper.restore(), history


def _train_no_restore(params, grad_fn, loss_fn, train_data, val_data, lr, epochs, batch_size,
                      patience, path, seed):
    best, history = _train_reference(params, grad_fn, loss_fn, train_data, val_data, lr, epochs,
                                      batch_size, patience, path, seed)
    X, y = train_data
    rng = np.random.default_rng(seed)  # replay the run to find the last parameters
    for _ in range(len(history)):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            grads = grad_fn(params, X[batch], y[batch])
            params = {name: params[name] - lr * grads[name] for name in params}
    return params, history


_TRAIN_DRIVER = '''
def _drive(train, seed, n_train, dim, lr, epochs, batch_size, patience):
    import os
    import tempfile
    rng = np.random.default_rng(seed)
    classes = 3
    teacher = rng.standard_normal((dim, classes))
    X = rng.standard_normal((n_train + 200, dim))
    y = (X @ teacher + 1.5 * rng.standard_normal((n_train + 200, classes))).argmax(axis=1)

    def loss_fn(params, X, y):
        z = X @ params["W"] + params["b"]
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_p[np.arange(len(y)), y].mean())

    def grad_fn(params, X, y):
        z = X @ params["W"] + params["b"]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1.0
        return {"W": X.T @ p / len(y), "b": p.sum(axis=0) / len(y)}

    params = {"W": np.zeros((dim, classes)), "b": np.zeros(classes)}
    with tempfile.TemporaryDirectory() as folder:
        best, history = train(params, grad_fn, loss_fn, (X[:n_train], y[:n_train]),
                              (X[n_train:], y[n_train:]), lr, epochs, batch_size, patience,
                              os.path.join(folder, "best.npz"), seed)
    return best["W"], best["b"], np.array(history, dtype=float)
'''


def _train_case(rng: np.random.Generator) -> tuple:
    return (int(rng.integers(0, 2**31)), int(rng.integers(20, 60)), int(rng.integers(10, 40)),
            float(rng.choice([0.05, 0.1, 0.3])), int(rng.integers(5, 40)),
            int(rng.choice([4, 8, 16, 64])), int(rng.integers(1, 4)))


register(Exercise(
    id="ch12-train-loop",
    function="train",
    points=4,
    summary="train(params, grad_fn, loss_fn, train_data, val_data, lr, epochs, batch_size, "
            "patience, path, seed) -> (best params, validation-loss history), with early stopping",
    public=[
        ("30 examples in 20 dimensions, batches of 8, patience 2",
         lambda rng: (7, 30, 20, 0.1, 40, 8, 2)),
        ("a last batch smaller than the others (25 = 3 x 8 + 1), patience 3",
         lambda rng: (11, 25, 10, 0.3, 10, 8, 3)),
        ("full batches (batch_size > N), 5 epochs", lambda rng: (3, 40, 15, 0.3, 5, 64, 2)),
    ],
    hidden=_train_case,
    n_hidden=4,
    reference=lambda *args: _driver(_TRAIN_DRIVER)(_train_reference, *args),
    driver=_TRAIN_DRIVER,
    requires=("ch12-early-stopper",),
    output_names=("best W", "best b", "validation-loss history"),
    rtol=1e-7,
    atol=1e-10,
    mistakes=[
        Mistake(lambda *args: _driver(_TRAIN_DRIVER)(_train_no_restore, *args),
                "return the parameters of the BEST epoch (stopper.restore()), not the last ones"),
    ],
    hint="rng = np.random.default_rng(seed) once; each epoch: order = rng.permutation(N), then "
         "batches order[start:start + batch_size]; params = {k: params[k] - lr * grads[k]}; after "
         "the epoch the validation loss goes into the history and into stopper.update.",
    timeout=30.0,
))
