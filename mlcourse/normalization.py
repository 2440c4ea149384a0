"""Normalization layers: batch normalization and layer normalization.

See Also
--------
Chapter 11 (normalization and deep networks) derives both forward and
backward passes and compares them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .module import Module, Parameter
from .validation import as_float_array, check_int, check_ndim, check_number

__all__ = ["BatchNorm1d", "LayerNorm"]


class BatchNorm1d(Module):
    """Batch normalization of features ``(B, C)``: batch statistics in training, running averages in eval.

    Parameters
    ----------
    num_features : int
        C, the number of features.
    eps : float, default 1e-5
        Added to the variance before the square root.
    momentum : float or None, default 0.1
        Weight of the newest batch in the running averages. None uses the
        cumulative average of all batches seen (as PyTorch does).
    affine : bool, default True
        Learn a per-feature scale γ (``weight``) and shift β (``bias``).
    dtype : numpy dtype, default float32

    Attributes
    ----------
    weight : Parameter of shape (C,) or None
        γ, initialised to 1.
    bias : Parameter of shape (C,) or None
        β, initialised to 0.
    running_mean : ndarray of shape (C,)
        Buffer (saved by ``state_dict``), initialised to 0.
    running_var : ndarray of shape (C,)
        Buffer, initialised to 1.
    num_batches_tracked : int
        Buffer: training batches seen.

    Notes
    -----
    Training, over the batch of size N (Ioffe and Szegedy, "Batch
    Normalization: Accelerating Deep Network Training by Reducing Internal
    Covariate Shift", ICML 2015):

    .. math::
        \\mu = \\frac1N \\sum_n x_n,\\quad
        \\sigma^2 = \\frac1N \\sum_n (x_n - \\mu)^2,\\quad
        \\hat x_n = \\frac{x_n - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}},\\quad
        y_n = \\gamma \\hat x_n + \\beta.

    Backward, with ``dy = ∂L/∂y`` and ``σ = sqrt(σ² + ε)`` (every x̂_n
    depends on x_m through μ and σ², which gives the two sums):

    .. math::
        \\frac{\\partial L}{\\partial \\gamma} = \\sum_n dy_n \\hat x_n,\\quad
        \\frac{\\partial L}{\\partial \\beta} = \\sum_n dy_n,\\quad
        dx = \\frac{1}{N} \\frac{\\gamma}{\\sigma}
        \\Big(N\\, dy - \\sum_n dy_n - \\hat x \\sum_n dy_n \\hat x_n\\Big).

    The running statistics follow PyTorch's rule
    ``running = (1 − momentum) · running + momentum · batch_stat``, where the
    variance statistic is the *unbiased* batch variance ``σ² · N / (N − 1)``
    (normalising uses the biased σ²). In evaluation
    ``y = γ (x − running_mean) / sqrt(running_var + ε) + β``, a fixed affine
    map whose backward is ``dx = dy · γ / sqrt(running_var + ε)``.

    A bias in the layer before BatchNorm is redundant: the mean subtraction
    removes it, and β takes its role. The cache holds x̂ and 1/σ.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        self.num_features = check_int(num_features, "BatchNorm1d", "num_features")
        self.eps = check_number(eps, "BatchNorm1d", "eps", low=0.0, low_open=True)
        self.momentum = (None if momentum is None
                         else check_number(momentum, "BatchNorm1d", "momentum", low=0.0, high=1.0))
        self.affine = bool(affine)
        if self.affine:
            self.weight: Parameter | None = Parameter(np.ones(self.num_features, dtype=dtype))
            self.bias: Parameter | None = Parameter(np.zeros(self.num_features, dtype=dtype))
        else:
            self.weight = None
            self.bias = None
        self.running_mean: NDArray[np.floating]
        self.running_var: NDArray[np.floating]
        self.num_batches_tracked: int
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", 0)
        self._cache: tuple[str, NDArray[np.floating], NDArray[np.floating]] | None = None

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        self.running_mean[...] = 0
        self.running_var[...] = 1
        self.num_batches_tracked = 0

    def forward(self, x: NDArray) -> NDArray:
        """Normalise each feature, then scale by γ and shift by β.

        Parameters
        ----------
        x : ndarray of shape (B, C)

        Returns
        -------
        ndarray of shape (B, C)
        """
        x = as_float_array(x, "BatchNorm1d")
        check_ndim(x, 2, "BatchNorm1d", layout="of shape (batch, num_features)")
        if x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d({self.num_features}) expected input of shape "
                             f"(batch, {self.num_features}), got {x.shape}")
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    f"BatchNorm1d: training needs at least 2 examples per batch to estimate a "
                    f"variance, got a batch of {n}; use a larger batch, model.eval(), or LayerNorm"
                )
            mean = x.mean(axis=0)  # (C,)
            centred = x - mean  # (B, C)
            var = np.mean(centred * centred, axis=0)  # (C,), biased
            inv_std = 1.0 / np.sqrt(var + self.eps)  # (C,)
            x_hat = centred * inv_std  # (B, C)
            self.num_batches_tracked += 1
            m = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * mean
            self.running_var *= 1.0 - m
            self.running_var += (m * n / (n - 1)) * var
            self._cache = ("train", x_hat, inv_std)
        else:
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)  # (C,)
            x_hat = (x - self.running_mean) * inv_std  # (B, C)
            self._cache = ("eval", x_hat, inv_std)
        if not self.affine:
            return x_hat
        return x_hat * self.weight.data + self.bias.data  # (B, C)

    def backward(self, grad_output: NDArray) -> NDArray:
        """Accumulate dL/dγ and dL/dβ; return dL/dx of shape (B, C).

        Parameters
        ----------
        grad_output : ndarray of shape (B, C)

        Returns
        -------
        ndarray of shape (B, C)
        """
        self._require_cache(self._cache)
        mode, x_hat, inv_std = self._cache
        if grad_output.shape != x_hat.shape:
            raise ValueError(f"BatchNorm1d.backward expected grad_output of shape {x_hat.shape}, "
                             f"got {grad_output.shape}")
        if self.affine:
            self.weight.grad += np.sum(grad_output * x_hat, axis=0)  # (C,)
            self.bias.grad += grad_output.sum(axis=0)  # (C,)
            grad_x_hat = grad_output * self.weight.data  # (B, C)
        else:
            grad_x_hat = grad_output
        if mode == "eval":
            return grad_x_hat * inv_std  # (B, C)
        n = x_hat.shape[0]
        sum_g = grad_x_hat.sum(axis=0)  # (C,)
        sum_g_xhat = np.sum(grad_x_hat * x_hat, axis=0)  # (C,)
        return (inv_std / n) * (n * grad_x_hat - sum_g - x_hat * sum_g_xhat)  # (B, C)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}")


class LayerNorm(Module):
    """Layer normalization over the last dimension: each example normalised on its own.

    Parameters
    ----------
    normalized_shape : int or (int,)
        D, the size of the last dimension.
    eps : float, default 1e-5
    elementwise_affine : bool, default True
        Learn a per-feature scale γ (``weight``, initialised to 1) and shift
        β (``bias``, initialised to 0), both of shape (D,).
    dtype : numpy dtype, default float32

    Notes
    -----
    For each row x of D features (Ba, Kiros and Hinton, "Layer
    Normalization", arXiv:1607.06450, 2016):

    .. math::
        \\mu = \\frac1D \\sum_d x_d,\\quad
        \\sigma^2 = \\frac1D \\sum_d (x_d - \\mu)^2,\\quad
        \\hat x = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}},\\quad
        y = \\gamma \\hat x + \\beta.

    It is batch normalization with the roles of the axes swapped, so the
    backward has the same form with sums over the D features of one row:

    .. math::
        dx = \\frac{1}{D\\,\\sigma}\\Big(D\\, g - \\sum_d g_d - \\hat x \\sum_d g_d \\hat x_d\\Big),
        \\qquad g = \\gamma \\odot dy,

    and ``∂L/∂γ = Σ dy ⊙ x̂``, ``∂L/∂β = Σ dy`` over all rows. The same
    computation runs in training and evaluation (no running statistics) and
    works for any batch size, including 1. The cache holds x̂ and 1/σ.
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, tuple):
            if len(normalized_shape) != 1:
                raise ValueError(f"LayerNorm normalises the last dimension only; normalized_shape must "
                                 f"be an int or a 1-tuple, got {normalized_shape!r}")
            normalized_shape = normalized_shape[0]
        self.normalized_shape = check_int(normalized_shape, "LayerNorm", "normalized_shape")
        self.eps = check_number(eps, "LayerNorm", "eps", low=0.0, low_open=True)
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight: Parameter | None = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            self.bias: Parameter | None = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
        else:
            self.weight = None
            self.bias = None
        self._cache: tuple | None = None

    def forward(self, x: NDArray) -> NDArray:
        """Normalise each row over its last dimension, then scale and shift.

        Parameters
        ----------
        x : ndarray of shape (..., D)

        Returns
        -------
        ndarray of shape (..., D)
        """
        x = as_float_array(x, "LayerNorm")
        if x.ndim < 1 or x.shape[-1] != self.normalized_shape:
            raise ValueError(f"LayerNorm({self.normalized_shape}) expected input of shape "
                             f"(..., {self.normalized_shape}), got {x.shape}")
        mean = x.mean(axis=-1, keepdims=True)  # (..., 1)
        centred = x - mean  # (..., D)
        var = np.mean(centred * centred, axis=-1, keepdims=True)  # (..., 1)
        inv_std = 1.0 / np.sqrt(var + self.eps)  # (..., 1)
        x_hat = centred * inv_std  # (..., D)
        self._cache = (x_hat, inv_std)
        if not self.elementwise_affine:
            return x_hat
        return x_hat * self.weight.data + self.bias.data  # (..., D)

    def backward(self, grad_output: NDArray) -> NDArray:
        """Accumulate dL/dγ and dL/dβ; return dL/dx.

        Parameters
        ----------
        grad_output : ndarray of shape (..., D)

        Returns
        -------
        ndarray of shape (..., D)
        """
        self._require_cache(self._cache)
        x_hat, inv_std = self._cache
        if grad_output.shape != x_hat.shape:
            raise ValueError(f"LayerNorm.backward expected grad_output of shape {x_hat.shape}, "
                             f"got {grad_output.shape}")
        if self.elementwise_affine:
            lead = tuple(range(x_hat.ndim - 1))
            self.weight.grad += np.sum(grad_output * x_hat, axis=lead)  # (D,)
            self.bias.grad += np.sum(grad_output, axis=lead)  # (D,)
            g = grad_output * self.weight.data  # (..., D)
        else:
            g = grad_output
        d = self.normalized_shape
        sum_g = g.sum(axis=-1, keepdims=True)  # (..., 1)
        sum_g_xhat = np.sum(g * x_hat, axis=-1, keepdims=True)  # (..., 1)
        return (inv_std / d) * (d * g - sum_g - x_hat * sum_g_xhat)  # (..., D)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
