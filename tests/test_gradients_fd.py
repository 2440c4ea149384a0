"""One finite-difference check (float64) over every module of the library.

Each entry of ``CASES`` is one module under test; hypothesis draws the
input shape and a seed, and :mod:`mlcourse.gradcheck` compares the
hand-derived input and parameter gradients with central differences.
Adding a module is one line::

    Case("BatchNorm1d", lambda rng, s: BatchNorm1d(s[1])),
    Case("Dropout", lambda rng, s: Dropout(0.5, rng=rng)),   # its rng is replayed

Inputs are drawn away from kinks (``kinks=``), where a derivative jumps
and central differences straddling the kink would be meaningless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from mlcourse.activations import (
    ELU, GELU, PReLU, ReLU, RReLU, SELU, Identity, LeakyReLU, Sigmoid, Softmax, Softplus,
    Softsign, Tanh,
)
from mlcourse.gradcheck import check_loss_gradients, check_module_gradients
from mlcourse.layers import Flatten, Linear, Residual
from mlcourse.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss
from mlcourse.module import Module, Sequential
from mlcourse.normalization import BatchNorm1d, LayerNorm
from mlcourse.regularization import Dropout, LayerDrop

Shape = tuple[int, ...]
Sampler = Callable[[np.random.Generator, Shape], NDArray]

BATCH = st.tuples(st.integers(1, 4), st.integers(1, 5))
"""(B, C) for layers, activations and losses."""
BATCH_OF_2 = st.tuples(st.integers(2, 4), st.integers(1, 5))
"""(B, C) with B >= 2, for batch normalization in training mode."""
ANY_RANK = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)
IMAGES = st.lists(st.integers(1, 3), min_size=2, max_size=4).map(tuple)


def normal(scale: float = 1.0, kinks: tuple[float, ...] = (), margin: float = 1e-2) -> Sampler:
    """N(0, scale²) entries, redrawn while closer than ``margin`` to any kink."""

    def sample(rng: np.random.Generator, shape: Shape) -> NDArray:
        x = scale * rng.standard_normal(shape)
        for _ in range(100):
            near = np.zeros(shape, dtype=bool)
            for k in kinks:
                near |= np.abs(x - k) < margin
            if not near.any():
                return x
            x[near] = scale * rng.standard_normal(int(near.sum()))
        raise RuntimeError("could not draw an input away from the kinks")

    return sample


def probabilities(rng: np.random.Generator, shape: Shape) -> NDArray:
    return rng.uniform(0.05, 0.95, size=shape)


def same_shape_normal(rng: np.random.Generator, prediction: NDArray) -> NDArray:
    return rng.standard_normal(prediction.shape)


def same_shape_binary(rng: np.random.Generator, prediction: NDArray) -> NDArray:
    return rng.uniform(0, 1, size=prediction.shape)


def off_by_at_least_a_tenth(rng: np.random.Generator, prediction: NDArray) -> NDArray:
    """Targets at distance ≥ 0.1 from the prediction (|ŷ − y| has a kink at 0)."""
    sign = rng.choice([-1.0, 1.0], size=prediction.shape)
    return prediction + sign * rng.uniform(0.1, 1.0, size=prediction.shape)


def labels(rng: np.random.Generator, logits: NDArray) -> NDArray:
    return rng.integers(0, logits.shape[1], size=logits.shape[0])


def class_probabilities(rng: np.random.Generator, logits: NDArray) -> NDArray:
    return rng.dirichlet(np.ones(logits.shape[1]), size=logits.shape[0])


@dataclass(frozen=True)
class Case:
    """A module under test.

    build(rng, input_shape) returns the module; sample(rng, shape) draws the
    input; for a loss, target(rng, prediction) draws the target.
    """

    name: str
    build: Callable[[np.random.Generator, Shape], Module]
    shapes: st.SearchStrategy = BATCH
    sample: Sampler = normal()
    target: Callable[[np.random.Generator, NDArray], NDArray] | None = None


KINK0 = normal(kinks=(0.0,))


def _shifted_norm(norm: Module, rng: np.random.Generator) -> Module:
    """A normalization layer whose scale γ and shift β are not 1 and 0 (so both are tested)."""
    norm.astype(np.float64)
    norm.weight.data[...] = rng.uniform(0.5, 2.0, size=norm.weight.shape)
    norm.bias.data[...] = rng.standard_normal(norm.bias.shape)
    return norm


def _eval_batchnorm(norm: BatchNorm1d, rng: np.random.Generator) -> Module:
    """BatchNorm in evaluation mode, with running statistics that are not 0 and 1."""
    _shifted_norm(norm, rng)
    norm.running_mean[...] = rng.standard_normal(norm.num_features)
    norm.running_var[...] = rng.uniform(0.5, 2.0, size=norm.num_features)
    return norm.eval()


def _frozen_dropout(shape: Shape, rng: np.random.Generator) -> Module:
    """Dropout with its mask drawn once and reused (no generator to replay)."""
    drop = Dropout(0.3, rng=rng)
    drop(np.ones(shape))
    drop.reuse_mask = True
    return drop
REDUCTIONS = ("mean", "sum", "none")

CASES: list[Case] = [
    Case("Linear", lambda rng, s: Linear(s[1], 3, rng=rng)),
    Case("Linear(bias=False)", lambda rng, s: Linear(s[1], 2, bias=False, rng=rng)),
    Case("Flatten", lambda rng, s: Flatten(), shapes=IMAGES),
    Case("MLP", lambda rng, s: Sequential(Linear(s[1], 4, rng=rng), Tanh(), Linear(4, 2, rng=rng))),
    Case("Residual(Linear)", lambda rng, s: Residual(Linear(s[1], s[1], rng=rng))),
    Case("Residual(MLP)", lambda rng, s: Residual(Sequential(Linear(s[1], 4, rng=rng), Tanh(),
                                                             Linear(4, s[1], rng=rng)))),
    Case("BatchNorm1d(train)", lambda rng, s: _shifted_norm(BatchNorm1d(s[1]), rng), shapes=BATCH_OF_2),
    Case("BatchNorm1d(eval)", lambda rng, s: _eval_batchnorm(BatchNorm1d(s[1]), rng)),
    Case("BatchNorm1d(affine=False)", lambda rng, s: BatchNorm1d(s[1], affine=False), shapes=BATCH_OF_2),
    Case("LayerNorm", lambda rng, s: _shifted_norm(LayerNorm(s[-1]), rng), shapes=ANY_RANK),
    Case("LayerNorm(elementwise_affine=False)", lambda rng, s: LayerNorm(s[1], elementwise_affine=False)),
    Case("Dropout(train)", lambda rng, s: Dropout(0.5, rng=rng), shapes=ANY_RANK),  # rng replayed
    Case("Dropout(fixed mask)", lambda rng, s: _frozen_dropout(s, rng), shapes=ANY_RANK),
    Case("Dropout(eval)", lambda rng, s: Dropout(0.5, rng=rng).eval(), shapes=ANY_RANK),
    Case("LayerDrop(train)", lambda rng, s: LayerDrop(Residual(Linear(s[1], s[1], rng=rng)), p=0.5,
                                                      rng=rng)),
    Case("LayerDrop(eval)", lambda rng, s: LayerDrop(Residual(Linear(s[1], s[1], rng=rng)), p=0.5,
                                                     rng=rng).eval()),
    Case("Identity", lambda rng, s: Identity(), shapes=ANY_RANK),
    Case("Sigmoid", lambda rng, s: Sigmoid(), shapes=ANY_RANK, sample=normal(3.0)),
    Case("Tanh", lambda rng, s: Tanh(), shapes=ANY_RANK, sample=normal(2.0)),
    Case("ReLU", lambda rng, s: ReLU(), shapes=ANY_RANK, sample=KINK0),
    Case("LeakyReLU", lambda rng, s: LeakyReLU(0.2), shapes=ANY_RANK, sample=KINK0),
    Case("PReLU", lambda rng, s: PReLU(init=0.3), shapes=ANY_RANK, sample=KINK0),
    Case("PReLU(C)", lambda rng, s: PReLU(s[1], init=0.1), sample=KINK0),
    Case("RReLU(train)", lambda rng, s: RReLU(0.1, 0.4, rng=rng), shapes=ANY_RANK, sample=KINK0),
    Case("RReLU(eval)", lambda rng, s: RReLU(0.1, 0.4, rng=rng).eval(), shapes=ANY_RANK, sample=KINK0),
    Case("ELU", lambda rng, s: ELU(0.7), shapes=ANY_RANK, sample=KINK0),
    Case("SELU", lambda rng, s: SELU(), shapes=ANY_RANK, sample=KINK0),
    Case("GELU", lambda rng, s: GELU(), shapes=ANY_RANK, sample=normal(3.0)),
    Case("GELU(tanh)", lambda rng, s: GELU("tanh"), shapes=ANY_RANK, sample=normal(3.0)),
    Case("Softplus", lambda rng, s: Softplus(), shapes=ANY_RANK, sample=normal(3.0)),
    Case("Softplus(beta=2,threshold=3)", lambda rng, s: Softplus(2.0, 3.0), sample=normal(2.0, kinks=(1.5,))),
    Case("Softsign", lambda rng, s: Softsign(), shapes=ANY_RANK, sample=normal(3.0)),
    Case("Softmax", lambda rng, s: Softmax(), sample=normal(2.0)),
    Case("Softmax(axis=0)", lambda rng, s: Softmax(axis=0), shapes=ANY_RANK, sample=normal(2.0)),
    *[Case(f"MSELoss({r})", lambda rng, s, r=r: MSELoss(r), target=same_shape_normal) for r in REDUCTIONS],
    *[Case(f"L1Loss({r})", lambda rng, s, r=r: L1Loss(r), target=off_by_at_least_a_tenth) for r in REDUCTIONS],
    *[Case(f"BCELoss({r})", lambda rng, s, r=r: BCELoss(r), sample=probabilities, target=same_shape_binary)
      for r in REDUCTIONS],
    *[Case(f"BCEWithLogitsLoss({r})", lambda rng, s, r=r: BCEWithLogitsLoss(r), sample=normal(3.0),
           target=same_shape_binary) for r in REDUCTIONS],
    *[Case(f"CrossEntropyLoss({r}, labels)", lambda rng, s, r=r: CrossEntropyLoss(r), sample=normal(2.0),
           target=labels) for r in REDUCTIONS],
    *[Case(f"CrossEntropyLoss({r}, probabilities)", lambda rng, s, r=r: CrossEntropyLoss(r),
           sample=normal(2.0), target=class_probabilities) for r in REDUCTIONS],
    Case("CrossEntropyLoss(label_smoothing)", lambda rng, s: CrossEntropyLoss(label_smoothing=0.2),
         sample=normal(2.0), target=labels),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
@settings(max_examples=8)
@given(data=st.data())
def test_gradients_match_central_differences(case: Case, data: st.DataObject) -> None:
    shape = data.draw(case.shapes, label="shape")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = case.sample(rng, shape)
    module = case.build(rng, shape)
    if case.target is None:
        report = check_module_gradients(module, x, rng=rng)
        assert set(report) == {"input"} | {name for name, _ in module.named_parameters()}
    else:
        report = check_loss_gradients(module, x, case.target(rng, x), rng=rng)
        assert set(report) == {"input"}
    assert report.max_error < 1e-6


def _library_modules() -> set[type]:
    """Every concrete Module class that the library defines (not the grading or exercise code)."""
    import importlib
    import inspect
    import pkgutil

    import mlcourse

    skip = ("mlcourse.grading", "mlcourse.exercises", "mlcourse.distributed")
    found: set[type] = set()
    for info in pkgutil.walk_packages(mlcourse.__path__, "mlcourse."):
        if info.name.startswith(skip):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Module) and obj.__module__ == info.name:
                found.add(obj)
    return found


ABSTRACT = {"Module", "Activation", "Loss"}
"""Base classes without a forward pass of their own."""


def test_every_module_of_the_library_has_a_finite_difference_case() -> None:
    covered = {type(case.build(np.random.default_rng(0), (2, 3))).__name__ for case in CASES}
    classes = {cls.__name__ for cls in _library_modules()} - ABSTRACT
    assert classes - covered == set(), "add a Case for each of these"
    assert {"Linear", "BatchNorm1d", "LayerNorm", "Dropout", "Residual", "LayerDrop",
            "Softmax", "CrossEntropyLoss"} <= classes  # the walk found the library
