"""Loss functions: a number that says how wrong the predictions are, and its gradient.

A loss is called as ``loss(prediction, target)`` and returns the loss (a
Python float for ``reduction="mean"`` or ``"sum"``, an array of per-example
losses for ``"none"``). ``loss.backward()`` then returns dL/d(prediction),
the gradient that starts the backward pass of the model.

Reductions and defaults follow PyTorch: ``"mean"`` averages over every
element (MSE, L1, BCE) or over the batch (cross-entropy). Averaging makes
the loss, and so the size of a gradient step, independent of the batch size.

Losses are modules without parameters: putting one inside a model adds
nothing to ``parameters()`` or ``state_dict()``.

See Also
--------
Chapter 4 (loss functions) derives each loss and its gradient, including the
fused softmax-cross-entropy gradient ``(P − Y)/N``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import as_float_array, check_finite, check_ndim, check_same_shape
from .functional import log_softmax, sigmoid, softplus
from .module import Module

__all__ = ["Loss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"]

Array = NDArray[np.floating]

_REDUCTIONS = ("mean", "sum", "none")


class Loss(Module):
    """Base class of the losses.

    Sub-classes implement ``_losses(prediction, target)``, returning the
    unreduced losses ℓ and their derivative dℓ/d(prediction) (one per entry of
    the prediction), computed side by side. The base class validates the
    inputs, reduces, and scales the gradient.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default "mean"

    Attributes
    ----------
    classification : bool
        Whether the targets are classes (class False: real-valued targets).
        :func:`~mlcourse.train.fit` then reports the accuracy by default.
    takes_logits : bool
        Whether the prediction is a logit rather than a probability or a
        value; a binary prediction is then class 1 when it exceeds 0
        (instead of 0.5).

    Notes
    -----
    With ℓ₁..ℓₙ the unreduced losses, "mean" returns L = (1/n) Σ ℓₖ, so
    dL/dŷ = (1/n) dℓ/dŷ; "sum" returns Σ ℓₖ; "none" returns the ℓₖ and its
    backward takes an upstream gradient dL/dℓ of their shape (ones if
    omitted). The cache holds dℓ/dŷ and the shape of ℓ.
    """

    classification: bool = False
    takes_logits: bool = False

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
            )
        self.reduction = reduction
        self._cache: tuple[Array, tuple[int, ...]] | None = None

    def _losses(self, prediction: Array, target: NDArray) -> tuple[Array, Array]:
        raise NotImplementedError

    def _check_prediction(self, prediction: Any) -> Array:
        name = type(self).__name__
        prediction = as_float_array(prediction, name, "prediction")
        check_finite(prediction, name, "prediction")
        return prediction

    def _check_float_target(self, target: Any, prediction: Array, hint: str = "") -> Array:
        """A floating-point target of the prediction's shape, in the prediction's dtype."""
        name = type(self).__name__
        target = np.asarray(target)
        if not np.issubdtype(target.dtype, np.floating):
            raise TypeError(
                f"{name}: target must be a floating-point array like the prediction, got dtype "
                f"{target.dtype}; convert with target.astype(np.float32)"
            )
        check_same_shape(prediction, target, name, hint)
        check_finite(target, name, "target")
        return target.astype(prediction.dtype, copy=False)

    def forward(self, prediction: NDArray, target: NDArray) -> float | Array:
        """Compute the loss (float for "mean"/"sum", array for "none") and cache its gradient."""
        prediction = self._check_prediction(prediction)
        losses, grad = self._losses(prediction, target)
        self._cache = (grad, losses.shape)
        if self.reduction == "mean":
            return float(losses.mean())
        if self.reduction == "sum":
            return float(losses.sum())
        return losses

    def backward(self, grad_output: Any = None) -> Array:
        """Return dL/d(prediction), with the prediction's shape and dtype.

        Parameters
        ----------
        grad_output : float or ndarray, optional
            dL_total/dL: a scalar (default 1) for "mean" and "sum"; for
            "none", an array of the unreduced losses' shape (default ones).
        """
        self._require_cache(self._cache)
        grad, loss_shape = self._cache
        name = type(self).__name__
        if self.reduction == "none":
            upstream = np.ones(loss_shape) if grad_output is None else np.asarray(grad_output)
            if upstream.shape != loss_shape:
                raise ValueError(
                    f"{name}.backward (reduction='none') expected grad_output of shape {loss_shape} "
                    f"(one entry per loss), got {upstream.shape}"
                )
            upstream = upstream.reshape(loss_shape + (1,) * (grad.ndim - len(loss_shape)))
        else:
            upstream = 1.0 if grad_output is None else np.asarray(grad_output)
            if np.ndim(upstream) != 0:
                raise ValueError(
                    f"{name}.backward (reduction={self.reduction!r}) expected a scalar grad_output, "
                    f"got shape {np.shape(upstream)}"
                )
            if self.reduction == "mean":
                upstream = upstream / max(int(np.prod(loss_shape)), 1)
        return (grad * upstream).astype(grad.dtype, copy=False)  # like prediction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(Loss):
    """Mean squared error (L2 loss) ``ℓ = (ŷ − y)²`` per entry.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" divides by the number of entries (batch × outputs).

    Notes
    -----
    dℓ/dŷ = 2(ŷ − y); with "mean" over n entries, dL/dŷ = 2(ŷ − y)/n.
    Prediction and target must have the same shape (no broadcasting: a
    (B, 1) prediction against a (B,) target is a common silent bug).
    """

    def _losses(self, prediction: Array, target: NDArray) -> tuple[Array, Array]:
        target = self._check_float_target(target, prediction, _RESHAPE_HINT)
        diff = prediction - target  # like prediction
        return diff * diff, 2 * diff


class L1Loss(Loss):
    """Mean absolute error (L1 loss) ``ℓ = |ŷ − y|`` per entry.

    Notes
    -----
    dℓ/dŷ = sign(ŷ − y) (0 where ŷ = y, as in PyTorch); with "mean" over n
    entries, divided by n. The gradient has the same size however far off a
    prediction is, so outliers pull less than under MSE.
    """

    def _losses(self, prediction: Array, target: NDArray) -> tuple[Array, Array]:
        target = self._check_float_target(target, prediction, _RESHAPE_HINT)
        diff = prediction - target  # like prediction
        return np.abs(diff), np.sign(diff)


class BCELoss(Loss):
    """Binary cross-entropy on probabilities: ``ℓ = −[y log p + (1 − y) log(1 − p)]``.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default "mean"

    Notes
    -----
    The prediction p must be a probability in [0, 1] (a sigmoid output).
    As in PyTorch, each log is clamped to ≥ −100 so that p = 0 or 1 gives a
    large finite loss instead of inf, and the gradient

    .. math:: \\frac{\\partial \\ell}{\\partial p} = \\frac{p - y}{p(1 - p)}

    uses max(p(1 − p), 1e-12) in the denominator. Composed with a sigmoid,
    p = σ(z), the chain rule gives dℓ/dz = p − y; :class:`BCEWithLogitsLoss`
    computes that directly and stably, and is preferable for training.
    """

    classification = True

    def _losses(self, prediction: Array, target: NDArray) -> tuple[Array, Array]:
        target = self._check_float_target(target, prediction, _RESHAPE_HINT)
        outside = (prediction < 0) | (prediction > 1)
        if outside.any():
            index = tuple(int(i) for i in np.argwhere(outside)[0])
            raise ValueError(
                f"BCELoss: predictions must be probabilities in [0, 1], got {prediction[index]:g} at "
                f"index {index}; apply Sigmoid first, or use BCEWithLogitsLoss on the logits"
            )
        log_p = _clamped_log(prediction)
        log_1mp = _clamped_log(1 - prediction)
        losses = -(target * log_p + (1 - target) * log_1mp)
        grad = (prediction - target) / np.maximum(prediction * (1 - prediction), 1e-12)
        return losses, grad.astype(prediction.dtype, copy=False)


class BCEWithLogitsLoss(Loss):
    """Sigmoid and binary cross-entropy in one step, on logits z.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default "mean"

    Notes
    -----
    With p = σ(z), −log p = softplus(−z) and −log(1 − p) = softplus(z), so

    .. math:: \\ell = y\\,\\mathrm{softplus}(-z) + (1-y)\\,\\mathrm{softplus}(z)
              = \\max(z, 0) - z y + \\log(1 + e^{-|z|}),

    which never exponentiates a positive number (finite for z = ±1000). The
    gradient simplifies to dℓ/dz = σ(z) − y, divided by n for "mean".
    """

    classification = True
    takes_logits = True

    def _losses(self, prediction: Array, target: NDArray) -> tuple[Array, Array]:
        target = self._check_float_target(target, prediction, _RESHAPE_HINT)
        losses = softplus(prediction) - prediction * target
        return losses, sigmoid(prediction) - target


class CrossEntropyLoss(Loss):
    """Softmax and cross-entropy in one step, on logits of shape (N, C).

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" averages over the N examples.
    label_smoothing : float in [0, 1], default 0
        Mixes the target with the uniform distribution: Y ← (1 − ε) Y + ε/C.

    Notes
    -----
    The target is either integer class labels of shape (N,) in [0, C), or
    class probabilities (e.g. one-hot rows) of shape (N, C). With one-hot
    or probability rows Y and P = softmax(Z):

    .. math:: \\ell_n = -\\sum_c Y_{nc} \\log P_{nc},\\qquad
              \\log P_{nc} = Z_{nc} - \\log\\sum_k e^{Z_{nk}}.

    The log-sum-exp is computed after subtracting the row maximum, so logits
    of ±1000 give finite losses without overflow. Differentiating through the
    softmax (its Jacobian is P_c(δ_ck − P_k)) collapses to the fused gradient

    .. math:: \\frac{\\partial \\ell_n}{\\partial Z_{nk}}
              = P_{nk} \\sum_c Y_{nc} - Y_{nk} = P_{nk} - Y_{nk}

    for rows that sum to 1, i.e. (P − Y)/N for the batch mean.
    """

    classification = True
    takes_logits = True

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float, np.floating)):
            raise TypeError(f"CrossEntropyLoss: label_smoothing must be a number, got {label_smoothing!r}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def _target_matrix(self, logits: Array, target: Any) -> Array:
        """The target as rows of class probabilities Y of shape (N, C)."""
        n, c = logits.shape
        target = np.asarray(target)
        if target.ndim == 1:
            if not np.issubdtype(target.dtype, np.integer):
                raise TypeError(
                    f"CrossEntropyLoss: a target of shape ({target.shape[0]},) must hold integer class "
                    f"labels, got dtype {target.dtype}; convert with target.astype(np.int64), or pass "
                    f"class probabilities of shape ({n}, {c})"
                )
            if target.shape[0] != n:
                raise ValueError(
                    f"CrossEntropyLoss: logits have shape {logits.shape} but labels have shape "
                    f"{target.shape}; expected ({n},), one label per row of logits"
                )
            bad = (target < 0) | (target >= c)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"CrossEntropyLoss: labels must be in [0, {c}) for {c} classes, got {int(target[i])} "
                    f"at index {i}"
                )
            y = np.zeros_like(logits)  # (N, C)
            y[np.arange(n), target] = 1
        elif target.ndim == 2:
            if not np.issubdtype(target.dtype, np.floating):
                raise TypeError(
                    f"CrossEntropyLoss: a target of shape {target.shape} must hold class probabilities "
                    f"(floats), got dtype {target.dtype}; pass integer labels of shape ({n},) instead"
                )
            check_same_shape(logits, target, "CrossEntropyLoss",
                             " (probability targets have one row per example and one column per class)")
            check_finite(target, "CrossEntropyLoss", "target")
            y = target.astype(logits.dtype, copy=False)  # (N, C)
        else:
            raise ValueError(
                f"CrossEntropyLoss: expected integer labels of shape ({n},) or probabilities of shape "
                f"({n}, {c}), got target of shape {target.shape}"
            )
        if self.label_smoothing:
            y = (1 - self.label_smoothing) * y + self.label_smoothing / c  # (N, C)
        return y

    def _losses(self, prediction: Array, target: NDArray) -> tuple[Array, Array]:
        check_ndim(prediction, 2, "CrossEntropyLoss", "prediction", "of logits with shape (N, C)")
        y = self._target_matrix(prediction, target)  # (N, C)
        log_p = log_softmax(prediction, axis=1)  # (N, C)
        losses = -(y * log_p).sum(axis=1)  # (N,)
        grad = np.exp(log_p) * y.sum(axis=1, keepdims=True) - y  # (N, C): P − Y for rows summing to 1
        return losses, grad

    def extra_repr(self) -> str:
        smoothing = f", label_smoothing={self.label_smoothing:g}" if self.label_smoothing else ""
        return super().extra_repr() + smoothing


_RESHAPE_HINT = " (reshape one of them, e.g. target.reshape(prediction.shape), if that is what you mean)"


def _clamped_log(p: Array) -> Array:
    """``max(log p, −100)`` without evaluating log(0) (which would warn)."""
    positive = p > 0
    return np.where(positive, np.maximum(np.log(np.where(positive, p, 1)), -100), -100).astype(
        p.dtype, copy=False
    )
