"""Exercises of chapter 6 (training: data, batches, epochs).

* ``ch06-count-updates``: how many parameter updates ``epochs`` epochs of
  mini-batches make, with and without ``drop_last``;
* ``ch06-expected-distinct`` (a derivation the chapter does not make): the
  expected number of distinct examples that ``k`` draws *with* replacement
  reach among ``n``, the quantity behind "an epoch of independent draws misses
  about 1/e of the data";
* ``ch06-minibatch-indices``: the index batches of one shuffled epoch (every
  example exactly once); checked by its properties, since any permutation is
  a right answer;
* ``ch06-standardize``: feature scaling with statistics of the training data
  only, with hints for the usual leaks (test or pooled statistics);
* ``ch06-kfold-split``: the (train, validation) index pairs of k-fold
  cross-validation; checked by its properties.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mlcourse.grading import Exercise, Mistake, register

Array = NDArray[np.float64]


def _count_updates(n: int, batch_size: int, epochs: int, drop_last: bool) -> int:
    per_epoch = n // batch_size if drop_last else math.ceil(n / batch_size)
    return per_epoch * epochs


def _updates_case(rng: np.random.Generator) -> tuple[int, int, int, bool]:
    batch_size = int(rng.choice([1, 7, 16, 32, 50, 64, 100, 128, 256]))
    n = int(rng.integers(batch_size, 20 * batch_size + 2))
    return n, batch_size, int(rng.integers(1, 12)), bool(rng.integers(0, 2))


register(Exercise(
    id="ch06-count-updates",
    function="count_updates",
    points=1,
    summary="return the number of parameter updates of `epochs` epochs of mini-batches",
    public=[
        ("the lecture's example: 1,000 examples, batches of 100, one epoch",
         lambda rng: (1000, 100, 1, False)),
        ("1,000 examples, batches of 128, 3 epochs", lambda rng: (1000, 128, 3, False)),
        ("the same with drop_last=True", lambda rng: (1000, 128, 3, True)),
        ("batch larger than the data set, 2 epochs", lambda rng: (50, 64, 2, False)),
    ],
    hidden=_updates_case,
    n_hidden=8,
    reference=_count_updates,
    mistakes=[
        Mistake(lambda n, b, e, d: (n // b) * e,
                "without drop_last the last, smaller batch still makes an update: round n / "
                "batch_size UP (math.ceil)"),
        Mistake(lambda n, b, e, d: math.ceil(n / b) * e,
                "with drop_last=True the incomplete last batch is skipped: round n / batch_size DOWN"),
        Mistake(lambda n, b, e, d: n // b if d else math.ceil(n / b),
                "that is the number of updates in ONE epoch; multiply by the number of epochs"),
        Mistake(lambda n, b, e, d: n / b * e,
                "the number of updates is a whole number: an epoch has ceil(n / batch_size) "
                "batches (floor with drop_last)"),
    ],
    hint="One update per mini-batch; an epoch has ceil(n / batch_size) mini-batches, or "
         "floor(n / batch_size) when the last incomplete one is dropped.",
))


def _as_index_array(batch: Any, what: str) -> tuple[NDArray[np.int64] | None, str | None]:
    array = np.asarray(batch)
    if array.ndim != 1:
        return None, f"{what} must be a 1-D array of indices, got shape {array.shape}"
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.issubdtype(array.dtype, np.floating) or not np.all(array == np.round(array)):
            return None, f"{what} must hold integer indices, got dtype {array.dtype}"
    return array.astype(np.int64), None


def _coverage_problem(indices: NDArray[np.int64], n: int, what: str) -> str | None:
    """Say which indices are out of range, repeated or missing (None when 0..n-1 once each)."""
    outside = indices[(indices < 0) | (indices >= n)]
    if outside.size:
        return f"{what} contain(s) the index {int(outside[0])}, outside 0..{n - 1}"
    counts = np.bincount(indices, minlength=n)
    repeated, missing = np.flatnonzero(counts > 1), np.flatnonzero(counts == 0)
    if repeated.size:
        return (f"{what}: example {int(repeated[0])} appears {int(counts[repeated[0]])} times"
                + (f" and example {int(missing[0])} never" if missing.size else "")
                + "; draw a permutation (sampling WITHOUT replacement), not rng.integers or "
                  "rng.choice with replacement")
    if missing.size:
        return (f"{what}: {missing.size} example(s) never appear (e.g. {int(missing[0])}); "
                "every example must be used once")
    return None


def _validate_minibatches(output: Any, n: int, batch_size: int, seed: int) -> str | None:
    if isinstance(output, np.ndarray) or not isinstance(output, (list, tuple)):
        return (f"return a list of 1-D index arrays (one per mini-batch), got "
                f"{type(output).__name__}")
    expected_count = math.ceil(n / batch_size)
    if len(output) != expected_count:
        dropped = len(output) == n // batch_size and n % batch_size
        return (f"expected {expected_count} mini-batches for n={n} and batch_size={batch_size}, "
                f"got {len(output)}"
                + ("; the last, smaller batch of the remaining examples must be kept" if dropped else ""))
    batches = []
    for i, batch in enumerate(output):
        array, problem = _as_index_array(batch, f"batch {i}")
        if problem:
            return problem
        batches.append(array)
    sizes = [len(b) for b in batches]
    want = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    if sizes != want:
        return f"batch sizes should be {want[:3]}...{want[-1:]}, got {sizes[:3]}...{sizes[-1:]}"
    everything = np.concatenate(batches)
    problem = _coverage_problem(everything, n, "the batches")
    if problem:
        return problem
    if n >= 8 and np.array_equal(everything, np.arange(n)):
        return "the examples come in their stored order 0, 1, 2, ...: shuffle them first"
    return None


register(Exercise(
    id="ch06-minibatch-indices",
    function="minibatch_indices",
    points=2,
    summary="return the list of index arrays of one shuffled epoch (each example exactly once)",
    public=[
        ("10 examples, batches of 4 (the last has 2)", lambda rng: (10, 4, 0)),
        ("100 examples, batches of 25", lambda rng: (100, 25, 1)),
        ("7 examples, batch of 10 (a single short batch)", lambda rng: (7, 10, 2)),
        ("1,000 examples, batches of 128", lambda rng: (1000, 128, 3)),
    ],
    hidden=lambda rng: (int(rng.integers(8, 400)), int(rng.integers(1, 70)), int(rng.integers(0, 10**6))),
    n_hidden=8,
    validate=_validate_minibatches,
    hint="rng = np.random.default_rng(seed); order = rng.permutation(n); then cut `order` "
         "into consecutive slices of batch_size.",
))


def _standardize(X_train: Array, X_test: Array) -> tuple[Array, Array]:
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std


def _standardize_case(rng: np.random.Generator, n_train: int | None = None,
                      n_test: int | None = None, c: int | None = None) -> tuple[Array, Array]:
    """Features with very different offsets and scales, like raw measurements; the test rows
    come from a slightly shifted and wider distribution, as new data often do."""
    n_train = n_train or int(rng.integers(4, 40))
    n_test = n_test or int(rng.integers(2, 20))
    c = c or int(rng.integers(1, 6))
    offsets = rng.uniform(-50.0, 200.0, size=c)
    scales = 10.0 ** rng.uniform(-2, 3, size=c)
    X_train = offsets + scales * rng.standard_normal((n_train, c))
    X_test = offsets + scales * (0.8 + 1.3 * rng.standard_normal((n_test, c)))
    return X_train, X_test


def _own_statistics(X_train: Array, X_test: Array) -> tuple[Array, Array]:
    with np.errstate(divide="ignore", invalid="ignore"):  # a single test row has std 0
        return _standardize(X_train, X_train)[0], _standardize(X_test, X_test)[0]


def _pooled(X_train: Array, X_test: Array) -> tuple[Array, Array]:
    pooled = np.concatenate([X_train, X_test])
    mean, std = pooled.mean(axis=0), pooled.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std


def _sample_std(X_train: Array, X_test: Array) -> tuple[Array, Array]:
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    return (X_train - mean) / std, (X_test - mean) / std


def _global_statistics(X_train: Array, X_test: Array) -> tuple[Array, Array]:
    mean, std = X_train.mean(), X_train.std()
    return (X_train - mean) / std, (X_test - mean) / std


register(Exercise(
    id="ch06-standardize",
    function="standardize",
    points=2,
    summary="return (Z_train, Z_test): both standardised with the training mean and std per feature",
    public=[
        ("3 features on very different scales; 20 train, 5 test rows",
         lambda rng: _standardize_case(rng, 20, 5, 3)),
        ("one feature; 6 train, 3 test rows", lambda rng: _standardize_case(rng, 6, 3, 1)),
        ("a single test example", lambda rng: _standardize_case(rng, 12, 1, 4)),
    ],
    hidden=_standardize_case,
    n_hidden=6,
    reference=_standardize,
    output_names=("Z_train", "Z_test"),
    rtol=1e-6,
    atol=1e-9,
    mistakes=[
        Mistake(_own_statistics,
                "Z_test was standardised with the TEST set's own mean and std: use the training "
                "statistics for both (at prediction time a single example has no statistics of "
                "its own, and test data must not influence the model)"),
        Mistake(_pooled,
                "you computed the statistics on training and test data together: that leaks the "
                "test set into training. Use X_train only"),
        Mistake(_sample_std,
                "use the population standard deviation (np.std with the default ddof=0), as "
                "mlcourse.data.Standardizer does"),
        Mistake(_global_statistics,
                "one mean and one std for the whole matrix mixes the features: compute them per "
                "feature (per column), with axis=0"),
        Mistake(lambda X_train, X_test: (X_train - X_train.mean(axis=0), X_test - X_train.mean(axis=0)),
                "you centred the features but did not divide by their standard deviations"),
        Mistake(lambda X_train, X_test: (X_train / X_train.std(axis=0), X_test / X_train.std(axis=0)),
                "you scaled the features but did not subtract their means first"),
        Mistake(lambda X_train, X_test: ((X_train - X_train.mean(axis=0)) / X_train.var(axis=0),
                                         (X_test - X_train.mean(axis=0)) / X_train.var(axis=0)),
                "divide by the standard deviation, not by the variance"),
    ],
    hint="mean = X_train.mean(axis=0) and std = X_train.std(axis=0), shape (C,); apply the same "
         "(X - mean) / std to both arrays.",
))


def _validate_kfold(output: Any, n: int, k: int, seed: int) -> str | None:
    if isinstance(output, np.ndarray) or not isinstance(output, (list, tuple)):
        return f"return a list of k (train_idx, val_idx) pairs, got {type(output).__name__}"
    if len(output) != k:
        return f"expected k={k} folds, got {len(output)}"
    vals = []
    for i, pair in enumerate(output):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return f"fold {i} must be a pair (train_idx, val_idx), got {type(pair).__name__}"
        train, problem = _as_index_array(pair[0], f"train_idx of fold {i}")
        if problem:
            return problem
        val, problem = _as_index_array(pair[1], f"val_idx of fold {i}")
        if problem:
            return problem
        if len(val) == 0:
            return f"fold {i} has an empty validation part"
        shared = np.intersect1d(train, val)
        if shared.size:
            return (f"fold {i}: example {int(shared[0])} is in both train_idx and val_idx; a model "
                    "must never be validated on examples it was trained on")
        problem = _coverage_problem(np.concatenate([train, val]), n,
                                    f"fold {i}: train_idx and val_idx together")
        if problem:
            return problem
        vals.append(val)
    problem = _coverage_problem(np.concatenate(vals), n, "the validation parts of the folds")
    if problem:
        return problem + " (each example must be validated on in exactly one fold)"
    sizes = sorted(len(v) for v in vals)
    if sizes[-1] - sizes[0] > 1:
        return (f"the fold sizes {sorted(len(v) for v in vals)} differ by more than one: with "
                f"n={n} and k={k} use sizes {n // k} or {n // k + 1} (np.array_split does this)")
    if n >= 2 * k and n >= 10 and all(np.array_equal(np.sort(v), np.arange(v.min(), v.max() + 1))
                                      for v in vals):
        return ("every validation fold is a block of consecutive examples: shuffle the "
                "indices first, in case the data are sorted (by class, by date, ...)")
    return None


register(Exercise(
    id="ch06-kfold-split",
    function="kfold_split",
    points=2,
    summary="return k pairs (train_idx, val_idx) whose validation parts partition 0..n-1",
    public=[
        ("10 examples, 5 folds of 2", lambda rng: (10, 5, 0)),
        ("11 examples, 3 folds (sizes 4, 4, 3)", lambda rng: (11, 3, 1)),
        ("100 examples, 10 folds", lambda rng: (100, 10, 2)),
    ],
    hidden=lambda rng: (int(rng.integers(10, 300)), int(rng.integers(2, 11)), int(rng.integers(0, 10**6))),
    n_hidden=8,
    validate=_validate_kfold,
    hint="Shuffle 0..n-1 with np.random.default_rng(seed).permutation(n), cut it into k nearly "
         "equal parts (np.array_split), and let fold i validate on part i and train on the rest.",
))



def _expected_distinct(n: int, k: int) -> float:
    return float(n * (1.0 - (1.0 - 1.0 / n) ** k))


def _distinct_case(rng: np.random.Generator) -> tuple[int, int]:
    n = int(rng.choice([1, 2, 3, 7, 10, 50, 256, 1000, 60_000]))
    k = int(rng.choice([0, 1, 2, 5, n, 2 * n, int(rng.integers(1, 5 * n + 2))]))
    return n, k


register(Exercise(
    id="ch06-expected-distinct",
    function="expected_distinct",
    points=2,
    summary="return the expected number of distinct examples among n that k independent "
            "uniform draws (with replacement) pick",
    public=[
        ("n = 2 examples, k = 2 draws (by hand: 1.5)", lambda rng: (2, 2)),
        ("n = 10, k = 10", lambda rng: (10, 10)),
        ("n = 1000, k = 1000 (one 'epoch' of independent draws)", lambda rng: (1000, 1000)),
        ("no draws at all", lambda rng: (5, 0)),
    ],
    hidden=_distinct_case,
    n_hidden=8,
    reference=_expected_distinct,
    rtol=1e-9,
    atol=1e-9,
    mistakes=[
        Mistake(lambda n, k: float(min(n, k)),
                "draws WITH replacement can pick the same example twice: the expected count is "
                "smaller than min(n, k)"),
        Mistake(lambda n, k: float(n * (1 - np.exp(-k / n))),
                "n (1 - e^(-k/n)) is the large-n approximation; the exact expectation uses "
                "(1 - 1/n)^k"),
        Mistake(lambda n, k: float(n * (1.0 - 1.0 / n) ** k),
                "that is the expected number of examples NEVER drawn; the question asks for the "
                "ones drawn at least once"),
    ],
    hint="Write the count as a sum of indicators, one per example, and use linearity of "
         "expectation: P(example i is never drawn in k draws) = (1 - 1/n)^k.",
))
