"""Bad input gets a clear error that says what was expected and what came."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mlcourse.activations import (
    ACTIVATIONS, ELU, GELU, PReLU, ReLU, RReLU, LeakyReLU, Softmax, Softplus,
)
from mlcourse.layers import Flatten, Linear
from mlcourse.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss
from mlcourse.module import BackwardBeforeForwardError, Sequential


def test_linear_given_785_features_says_so() -> None:
    layer = Linear(784, 10)
    with pytest.raises(ValueError, match=re.escape(
        "Linear(784, 10) expected input of shape (batch, 784), got (32, 785): 785 features instead of 784"
    )):
        layer(np.zeros((32, 785), dtype=np.float32))


def test_integer_input_is_rejected_with_a_hint() -> None:
    with pytest.raises(TypeError, match="Linear: input must be a floating-point array .* got dtype int64; "
                                        "convert with x.astype\\(np.float32\\)"):
        Linear(3, 2)(np.ones((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="ReLU: input must be a floating-point array .* got dtype bool"):
        ReLU()(np.ones(3, dtype=bool))


def test_wrong_rank_says_so() -> None:
    with pytest.raises(ValueError, match=re.escape(
        "Linear: expected a 2-D input of shape (batch, in_features); use Flatten() first for images, "
        "got shape (8, 28, 28) (3-D)"
    )):
        Linear(784, 10)(np.zeros((8, 28, 28), dtype=np.float32))
    with pytest.raises(ValueError, match=re.escape("CrossEntropyLoss: expected a 2-D prediction of logits "
                                                   "with shape (N, C), got shape (5,) (1-D)")):
        CrossEntropyLoss()(np.zeros(5), np.zeros(5, dtype=int))


@pytest.mark.parametrize("module", [Linear(3, 2), Flatten(), *(cls() for cls in ACTIVATIONS.values()),
                                    Softmax(), Sequential(Linear(3, 2), ReLU())],
                         ids=lambda m: type(m).__name__)
def test_backward_before_forward(module) -> None:
    with pytest.raises(BackwardBeforeForwardError, match=r"backward\(\) was called before forward\(\)"):
        module.backward(np.ones((2, 3), dtype=np.float32))


@pytest.mark.parametrize("loss", [MSELoss(), L1Loss(), BCELoss(), BCEWithLogitsLoss(), CrossEntropyLoss()],
                         ids=lambda m: type(m).__name__)
def test_loss_backward_before_forward(loss) -> None:
    with pytest.raises(BackwardBeforeForwardError, match=f"{type(loss).__name__}.backward"):
        loss.backward()


def test_backward_with_a_wrongly_shaped_gradient() -> None:
    act = ReLU()
    act(np.ones((2, 3)))
    with pytest.raises(ValueError, match=re.escape("ReLU.backward expected grad_output of shape (2, 3) "
                                                   "(the shape of the forward output), got (3, 2)")):
        act.backward(np.ones((3, 2)))
    layer = Linear(3, 2)
    layer(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=re.escape("Linear.backward expected grad_output of shape (4, 2)")):
        layer.backward(np.ones((4, 3), dtype=np.float32))
    loss = MSELoss("none")
    loss(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=re.escape("expected grad_output of shape (3,) (one entry per loss), "
                                                   "got (2,)")):
        loss.backward(np.ones(2))


@pytest.mark.parametrize("bad, kind, index", [(np.nan, "NaN", "(1, 2)"), (np.inf, "inf", "(1, 2)"),
                                              (-np.inf, "-inf", "(1, 2)")])
def test_nan_or_inf_in_a_loss_input_says_where(bad: float, kind: str, index: str) -> None:
    prediction = np.zeros((2, 3))
    prediction[1, 2] = bad
    with pytest.raises(FloatingPointError, match=re.escape(f"MSELoss: prediction contains {kind} at index {index}")):
        MSELoss()(prediction, np.zeros((2, 3)))
    with pytest.raises(FloatingPointError, match=re.escape(f"CrossEntropyLoss: prediction contains {kind} at "
                                                           f"index {index}")):
        CrossEntropyLoss()(prediction, np.array([0, 1]))
    with pytest.raises(FloatingPointError, match=re.escape(f"BCEWithLogitsLoss: target contains {kind} at "
                                                           f"index {index}")):
        BCEWithLogitsLoss()(np.zeros((2, 3)), prediction)


def test_loss_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=re.escape("MSELoss: prediction has shape (4, 1) but target has shape "
                                                   "(4,); they must match")):
        MSELoss()(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match=re.escape("CrossEntropyLoss: logits have shape (4, 3) but labels have "
                                                   "shape (5,)")):
        CrossEntropyLoss()(np.zeros((4, 3)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match=re.escape("CrossEntropyLoss: prediction has shape (4, 3) but target "
                                                   "has shape (4, 2)")):
        CrossEntropyLoss()(np.zeros((4, 3)), np.zeros((4, 2)))


def test_cross_entropy_label_errors() -> None:
    logits = np.zeros((3, 10))
    with pytest.raises(ValueError, match=re.escape("labels must be in [0, 10) for 10 classes, got 10 at index 2")):
        CrossEntropyLoss()(logits, np.array([0, 9, 10]))
    with pytest.raises(ValueError, match=re.escape("labels must be in [0, 10) for 10 classes, got -1 at index 0")):
        CrossEntropyLoss()(logits, np.array([-1, 0, 1]))
    with pytest.raises(TypeError, match=re.escape("a target of shape (3,) must hold integer class labels, got "
                                                  "dtype float64; convert with target.astype(np.int64)")):
        CrossEntropyLoss()(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="must hold class probabilities \\(floats\\), got dtype int64"):
        CrossEntropyLoss()(logits, np.zeros((3, 10), dtype=np.int64))


def test_loss_target_dtype_and_bce_range() -> None:
    with pytest.raises(TypeError, match="MSELoss: target must be a floating-point array .* got dtype int64"):
        MSELoss()(np.zeros(3), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=re.escape("BCELoss: predictions must be probabilities in [0, 1], got "
                                                   "1.5 at index (1,); apply Sigmoid first")):
        BCELoss()(np.array([0.5, 1.5]), np.array([1.0, 0.0]))
    with pytest.raises(TypeError, match="MSELoss: prediction must be a floating-point array"):
        MSELoss()(np.array([1, 2]), np.zeros(2))


@pytest.mark.parametrize("make, message", [
    (lambda: LeakyReLU(-0.1), "LeakyReLU: invalid negative_slope -0.1; expected a value in [0.0, inf)"),
    (lambda: RReLU(0.4, 0.2), "RReLU: lower must be <= upper, got lower=0.4 > upper=0.2"),
    (lambda: RReLU(-0.1, 0.2), "RReLU: invalid lower -0.1; expected a value in [0.0, inf)"),
    (lambda: ELU(0.0), "ELU: invalid alpha 0.0; expected a value in (0.0, inf)"),
    (lambda: Softplus(beta=-1), "Softplus: invalid beta -1; expected a value in (0.0, inf)"),
    (lambda: Softplus(threshold=float("nan")), "Softplus: threshold must be a finite number in (0.0, inf), got nan"),
    (lambda: GELU("erf"), "GELU: approximate must be 'none' or 'tanh', got 'erf'"),
    (lambda: PReLU(0), "PReLU: num_parameters must be a positive integer, got 0"),
    (lambda: CrossEntropyLoss(label_smoothing=1.5), "label_smoothing must be in [0, 1], got 1.5"),
    (lambda: MSELoss("avg"), "MSELoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: Linear(0, 3), "Linear: in_features must be a positive integer, got 0"),
])
def test_bad_hyper_parameters(make, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_non_numeric_hyper_parameters() -> None:
    with pytest.raises(TypeError, match="Linear: out_features must be a positive integer, got float 2.5"):
        Linear(3, 2.5)
    with pytest.raises(TypeError, match=r"LeakyReLU: negative_slope must be a number in \[0.0, inf\), got str '0.1'"):
        LeakyReLU("0.1")
    with pytest.raises(TypeError, match="Softmax: axis must be an integer, got 1.0"):
        Softmax(axis=1.0)
