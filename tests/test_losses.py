"""Losses: values against the formulas, reductions, fused gradients, stability."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlcourse
from mlcourse.activations import Sigmoid, Softmax
from mlcourse.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss

LOSSES = [MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss]


def test_values_against_the_formulas() -> None:
    p, y = np.array([[0.5, 2.0], [1.0, -1.0]]), np.array([[0.0, 1.0], [1.0, 1.0]])
    assert MSELoss()(p, y) == pytest.approx((0.25 + 1 + 0 + 4) / 4)
    assert L1Loss()(p, y) == pytest.approx((0.5 + 1 + 0 + 2) / 4)
    assert MSELoss("sum")(p, y) == pytest.approx(5.25)
    q = np.array([0.9, 0.2])
    t = np.array([1.0, 0.0])
    assert BCELoss()(q, t) == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2)
    logits, labels = np.array([[2.0, 0.0, -1.0]]), np.array([0])
    assert CrossEntropyLoss()(logits, labels) == pytest.approx(np.log(np.exp(logits).sum()) - 2.0)


def test_mean_and_sum_return_floats_none_returns_the_per_example_losses(rng: np.random.Generator) -> None:
    logits, labels = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    per_example = CrossEntropyLoss("none")(logits, labels)
    assert per_example.shape == (5,)
    mean, total = CrossEntropyLoss()(logits, labels), CrossEntropyLoss("sum")(logits, labels)
    assert isinstance(mean, float) and isinstance(total, float)
    assert mean == pytest.approx(per_example.mean()) and total == pytest.approx(per_example.sum())
    p, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    assert MSELoss("none")(p, y).shape == (4, 2)


def test_fused_cross_entropy_gradient_is_p_minus_y_over_n(rng: np.random.Generator) -> None:
    logits, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    loss = CrossEntropyLoss()
    loss(logits, labels)
    expected = (Softmax()(logits) - np.eye(4)[labels]) / 6
    np.testing.assert_allclose(loss.backward(), expected, atol=1e-15)
    sum_loss = CrossEntropyLoss("sum")
    sum_loss(logits, labels)
    np.testing.assert_allclose(sum_loss.backward(), expected * 6, atol=1e-14)


def test_integer_labels_and_one_hot_targets_agree(rng: np.random.Generator) -> None:
    logits, labels = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    a, b = CrossEntropyLoss(label_smoothing=0.1), CrossEntropyLoss(label_smoothing=0.1)
    assert a(logits, labels) == pytest.approx(b(logits, np.eye(3)[labels]))
    np.testing.assert_allclose(a.backward(), b.backward())


def test_label_smoothing_mixes_in_the_uniform_distribution(rng: np.random.Generator) -> None:
    logits, labels = rng.standard_normal((4, 5)), rng.integers(0, 5, 4)
    smoothed = 0.8 * np.eye(5)[labels] + 0.2 / 5
    assert CrossEntropyLoss(label_smoothing=0.2)(logits, labels) == pytest.approx(
        CrossEntropyLoss()(logits, smoothed)
    )


def test_bce_with_logits_equals_bce_after_a_sigmoid(rng: np.random.Generator) -> None:
    z, y = rng.standard_normal(8), rng.uniform(size=8)
    fused, plain = BCEWithLogitsLoss(), BCELoss()
    assert fused(z, y) == pytest.approx(plain(Sigmoid()(z), y))
    np.testing.assert_allclose(fused.backward(), (1 / (1 + np.exp(-z)) - y) / 8)  # (σ(z) − y)/N


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_stable_for_huge_logits(scale: float) -> None:
    z = np.array([[scale, 0.0, -scale], [scale, scale, -scale]])
    ce = CrossEntropyLoss()
    value = ce(z, np.array([0, 2]))
    grad = ce.backward()
    assert np.isfinite(value) and np.isfinite(grad).all()
    expected_second_row = 2 * scale if scale > 0 else 0.0  # -log P(class 2)
    assert ce(z[1:], np.array([2])) == pytest.approx(expected_second_row + (np.log(2) if scale > 0 else 0.0))
    bce = BCEWithLogitsLoss()
    value = bce(np.array([scale, -scale]), np.array([1.0, 1.0]))
    assert value == pytest.approx(abs(scale) / 2)  # one of the two is wrong by |z|
    assert np.isfinite(bce.backward()).all()
    for dtype in (np.float32, np.float64):
        assert np.isfinite(CrossEntropyLoss()(z.astype(dtype), np.array([0, 1])))


def test_bce_log_is_clamped_at_minus_100() -> None:
    assert BCELoss()(np.array([0.0]), np.array([1.0])) == pytest.approx(100.0)
    loss = BCELoss()
    loss(np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    assert np.isfinite(loss.backward()).all()


@pytest.mark.parametrize("loss_cls", LOSSES)
def test_none_reduction_takes_an_upstream_gradient(loss_cls, rng: np.random.Generator) -> None:
    if loss_cls is CrossEntropyLoss:
        p, y = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    else:
        p, y = rng.uniform(0.1, 0.9, (4, 3)), rng.uniform(0, 1, (4, 3))
    none, total = loss_cls("none"), loss_cls("sum")
    losses = none(p, y)
    total(p, y)
    np.testing.assert_allclose(none.backward(), total.backward())  # default upstream: ones
    g = rng.standard_normal(losses.shape)
    double = none.backward(2 * g)
    np.testing.assert_allclose(double, 2 * none.backward(g))


@given(batch=st.integers(1, 5), classes=st.integers(1, 6), seed=st.integers(0, 1000))
def test_gradient_rows_sum_to_zero_for_probability_targets(batch: int, classes: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    loss = CrossEntropyLoss()
    loss(rng.standard_normal((batch, classes)), rng.dirichlet(np.ones(classes), size=batch))
    np.testing.assert_allclose(loss.backward().sum(axis=1), 0.0, atol=1e-15)


@pytest.mark.parametrize("loss_cls", LOSSES)
def test_float32_predictions_give_float32_gradients(loss_cls, rng: np.random.Generator) -> None:
    p = rng.uniform(0.1, 0.9, (4, 3)).astype(np.float32)
    y = rng.integers(0, 3, 4) if loss_cls is CrossEntropyLoss else rng.uniform(0, 1, (4, 3))
    loss = loss_cls()
    assert isinstance(loss(p, y), float)
    assert loss.backward().dtype == np.float32


def test_losses_have_no_parameters_and_print_well() -> None:
    for cls in LOSSES:
        assert cls().parameters() == [] and cls().state_dict() == {}
    assert repr(CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss(reduction='mean', label_smoothing=0.1)"
    assert repr(MSELoss("sum")) == "MSELoss(reduction='sum')"


def test_every_exported_loss_is_reachable_from_the_package() -> None:
    for name, where in mlcourse._EXPORTS.items():
        if where == "losses":
            assert getattr(mlcourse, name) is getattr(mlcourse.losses, name)
