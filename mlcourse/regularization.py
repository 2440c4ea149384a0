"""Regularization and normalization: dropout, LayerDrop, batch and layer norm, residuals, penalties.

See Also
--------
Chapter 10 (regularization) derives :class:`Dropout`, :class:`LayerDrop`, the
penalties :func:`l1_penalty` and :func:`l2_penalty`, and :class:`EarlyStopping`;
chapter 11 (normalization and deep networks) derives :class:`BatchNorm1d`,
:class:`LayerNorm` and :class:`Residual`.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from .validation import as_float_array, as_generator, check_ndim, check_number, check_probability
from .module import Module, Parameter
from .train import Callback

__all__ = [
    "Dropout",
    "LayerDrop",
    "prune_layerdrop",
    "BatchNorm1d",
    "LayerNorm",
    "Residual",
    "l1_penalty",
    "l2_penalty",
    "EarlyStopping",
]



class Dropout(Module):
    """Inverted dropout: zero each input with probability ``p`` in training, scale the rest.

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        Probability of dropping a unit.
    rng : Generator, int or None
        Source of the masks (an int seeds a new generator; None uses OS
        entropy). Re-seed with ``layer.rng = np.random.default_rng(seed)``.

    Attributes
    ----------
    mask : ndarray or None
        The last mask drawn in training, already scaled: entries are 0 or
        ``1 / (1 − p)``. Backward multiplies by it.
    reuse_mask : bool, default False
        When True, training forwards reuse ``mask`` instead of drawing a new
        one (as long as the input shape matches). Gradient checks need this:
        a finite difference compares two forwards, which must drop the same
        units.

    Notes
    -----
    In training, with ``m_i ~ Bernoulli(1 − p)``,

    .. math::
        y_i = \\frac{m_i}{1 - p} x_i, \\qquad
        \\frac{\\partial L}{\\partial x_i} = \\frac{m_i}{1 - p}
        \\frac{\\partial L}{\\partial y_i}.

    Scaling by ``1 / (1 − p)`` while training keeps ``E[y_i] = x_i``, so
    evaluation is the identity: no rescaling at test time (Srivastava et al.,
    "Dropout: A Simple Way to Prevent Neural Networks from Overfitting",
    JMLR 2014, scale the weights at test time instead; the two are equivalent
    in expectation). The cache holds the mask.

    Examples
    --------
    >>> drop = Dropout(0.5, rng=0)
    >>> drop.reuse_mask = True   # freeze the mask for a gradient check
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.p = check_probability(p, "Dropout")
        self.rng = as_generator(rng, "Dropout")
        self.reuse_mask = False
        self.mask: NDArray | None = None
        self._cache: NDArray | str | None = None

    def forward(self, x: NDArray) -> NDArray:
        """Return ``x · mask`` in training, ``x`` itself in evaluation.

        Parameters
        ----------
        x : ndarray of shape (B, ...)

        Returns
        -------
        ndarray of the shape of x
        """
        x = as_float_array(x, "Dropout")
        if not self.training or self.p == 0.0:
            self._cache = "identity"
            return x
        if not (self.reuse_mask and self.mask is not None and self.mask.shape == x.shape):
            draw_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
            keep = self.rng.random(x.shape, dtype=draw_dtype) >= self.p  # (B, ...)
            self.mask = keep.astype(x.dtype)
            self.mask *= 1.0 / (1.0 - self.p)
        mask = self.mask if self.mask.dtype == x.dtype else self.mask.astype(x.dtype)
        self._cache = mask
        return x * mask  # (B, ...)

    def backward(self, grad_output: NDArray) -> NDArray:
        """Return ``grad_output · mask`` (or ``grad_output`` in evaluation)."""
        self._require_cache(self._cache)
        if isinstance(self._cache, str):
            return grad_output
        if grad_output.shape != self._cache.shape:
            raise ValueError(f"Dropout.backward expected grad_output of shape {self._cache.shape}, "
                             f"got {grad_output.shape}")
        return grad_output * self._cache  # (B, ...)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class LayerDrop(Module):
    """Skip a whole block with probability ``p`` while training (structured dropout).

    Parameters
    ----------
    block : Module
        A block whose output has the shape of its input, typically a
        :class:`Residual` block, so that skipping it leaves ``y = x``.
    p : float in [0, 1), default 0.1
        Probability of skipping the block at each training forward pass.
    rng : Generator, int or None
        Source of the skip decisions.

    Attributes
    ----------
    active : bool, default True
        False removes the block in every mode (the layer is the identity);
        this is how a depth is chosen at inference, see :func:`prune_layerdrop`.
    reuse_decision : bool, default False
        When True, training forwards repeat the last skip decision (for
        gradient checks).
    skipped : bool
        Whether the last forward pass skipped the block.

    Notes
    -----
    With ``s ~ Bernoulli(p)`` drawn once per forward pass (for the whole
    batch), ``y = x`` when ``s = 1`` and ``y = f(x)`` otherwise; backward is
    the identity or ``f``'s backward accordingly. Wrap a residual block,
    ``LayerDrop(Residual(f))``: skipping then means ``y = x`` instead of
    ``y = x + f(x)``.

    Fan, Grave and Joulin, "Reducing Transformer Depth on Demand with
    Structured Dropout" (ICLR 2020, arXiv:1909.11556, 2019) train with
    LayerDrop so that a shallower sub-network can be taken at inference
    without fine-tuning, e.g. by dropping every other layer. In evaluation
    every active block runs, unscaled.
    """

    def __init__(self, block: Module, p: float = 0.1, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if not isinstance(block, Module):
            raise TypeError(f"LayerDrop expects a Module to wrap, got {type(block).__name__}")
        fan_in, fan_out = getattr(block, "in_features", None), getattr(block, "out_features", None)
        if fan_in is not None and fan_out is not None and fan_in != fan_out:
            raise ValueError(
                f"LayerDrop: the wrapped block must keep the shape of its input, but "
                f"{type(block).__name__} maps {fan_in} features to {fan_out}; wrap a block with "
                "equal input and output sizes (typically Residual(...))"
            )
        self.block = block
        self.p = check_probability(p, "LayerDrop")
        self.rng = as_generator(rng, "LayerDrop")
        self.active = True
        self.reuse_decision = False
        self.skipped = False
        self._cache: str | None = None

    def set_active(self, active: bool = True) -> "LayerDrop":
        """Keep (True) or remove (False) the block in every mode; returns self."""
        self.active = bool(active)
        return self

    def forward(self, x: NDArray) -> NDArray:
        """Return ``x`` when the block is skipped or removed, ``block(x)`` otherwise.

        Parameters
        ----------
        x : ndarray of shape (B, ...)

        Returns
        -------
        ndarray of the shape of x
        """
        if not self.active:
            skip = True
        elif self.training and self.p > 0.0:
            skip = self.skipped if (self.reuse_decision and self._cache is not None) else bool(
                self.rng.random() < self.p)
        else:
            skip = False
        self.skipped = skip
        if skip:
            self._cache = "skipped"
            return x
        y = self.block(x)
        if np.shape(y) != np.shape(x):
            raise ValueError(
                f"LayerDrop: the wrapped {type(self.block).__name__} changed the shape from "
                f"{np.shape(x)} to {np.shape(y)}; LayerDrop needs a block whose output has the "
                "shape of its input (typically Residual(...))"
            )
        self._cache = "ran"
        return y

    def backward(self, grad_output: NDArray) -> NDArray:
        """Return ``grad_output`` if the block was skipped, else ``block.backward(grad_output)``."""
        self._require_cache(self._cache)
        if self._cache == "skipped":
            return grad_output
        return self.block.backward(grad_output)

    def extra_repr(self) -> str:
        return f"p={self.p}" + ("" if self.active else ", active=False")


def prune_layerdrop(
    model: Module, drop_every: int | None = None, keep: Sequence[int] | None = None
) -> list[int]:
    """Choose a depth at inference: switch the :class:`LayerDrop` blocks of a model on or off.

    Parameters
    ----------
    model : Module
        A model containing LayerDrop blocks; they are numbered 0, 1, 2, ...
        in the order of :meth:`Module.named_modules`.
    drop_every : int, optional
        Remove the blocks at depth d ≡ 0 (mod k), k = ``drop_every``,
        counting depth from 1: with 2 that is every other block (numbers
        1, 3, 5, ...; the 2nd, 4th, 6th). This is the "every other" pruning
        of Fan et al. (2019), with k = ⌊1/r⌋ for a pruning rate r.
    keep : sequence of int, optional
        Keep exactly these blocks and remove the others.

    With neither argument every block is switched back on (full depth).

    Returns
    -------
    list of int
        The numbers of the blocks that remain active.

    Examples
    --------
    >>> kept = prune_layerdrop(model, drop_every=2)   # half the depth
    >>> prune_layerdrop(model)                        # full depth again
    """
    if drop_every is not None and keep is not None:
        raise ValueError("prune_layerdrop: give drop_every or keep, not both")
    blocks = [m for _, m in model.named_modules() if isinstance(m, LayerDrop)]
    if not blocks:
        raise ValueError(f"prune_layerdrop: {type(model).__name__} contains no LayerDrop block")
    if drop_every is not None:
        if isinstance(drop_every, bool) or not isinstance(drop_every, (int, np.integer)) or drop_every < 2:
            raise ValueError(f"prune_layerdrop: drop_every must be an integer >= 2, got {drop_every!r}")
        active = [(i + 1) % drop_every != 0 for i in range(len(blocks))]
    elif keep is not None:
        wanted = {int(i) for i in keep}
        outside = sorted(i for i in wanted if not 0 <= i < len(blocks))
        if outside:
            raise ValueError(f"prune_layerdrop: keep={sorted(wanted)} names blocks {outside}, but the "
                             f"model has {len(blocks)} LayerDrop blocks (0..{len(blocks) - 1})")
        active = [i in wanted for i in range(len(blocks))]
    else:
        active = [True] * len(blocks)
    for block, on in zip(blocks, active):
        block.set_active(on)
    return [i for i, on in enumerate(active) if on]


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
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"BatchNorm1d: num_features must be a positive integer, got {num_features!r}")
        if not eps > 0:
            raise ValueError(f"BatchNorm1d: eps must be positive, got {eps!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm1d: momentum must lie in [0, 1] or be None, got {momentum!r}")
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        if self.affine:
            self.weight: Parameter | None = Parameter(np.ones(self.num_features, dtype=dtype))
            self.bias: Parameter | None = Parameter(np.zeros(self.num_features, dtype=dtype))
        else:
            self.weight = None
            self.bias = None
        self.running_mean: NDArray = np.zeros(self.num_features, dtype=dtype)
        self.running_var: NDArray = np.ones(self.num_features, dtype=dtype)
        self.num_batches_tracked = 0
        self._cache: tuple | None = None

    def _buffers(self) -> dict[str, NDArray]:
        return {
            "running_mean": self.running_mean,
            "running_var": self.running_var,
            "num_batches_tracked": np.array(self.num_batches_tracked, dtype=np.int64),
        }

    def _load_buffer(self, name: str, value: NDArray) -> None:
        if name == "num_batches_tracked":
            self.num_batches_tracked = int(value)
        else:
            setattr(self, name, np.array(value, dtype=getattr(self, name).dtype, copy=True))

    def astype(self, dtype: Any) -> "BatchNorm1d":
        """Convert parameters and running statistics to ``dtype``; returns self."""
        super().astype(dtype)
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)
        return self

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
        if isinstance(normalized_shape, bool) or not isinstance(normalized_shape, (int, np.integer)) \
                or normalized_shape < 1:
            raise ValueError(f"LayerNorm: normalized_shape must be a positive integer, got {normalized_shape!r}")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps!r}")
        self.normalized_shape = int(normalized_shape)
        self.eps = float(eps)
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


class Residual(Module):
    """A skip connection around a block: ``y = x + block(x)``.

    Parameters
    ----------
    block : Module
        Any module whose output has the shape of its input.

    Notes
    -----
    By the chain rule, with the identity path and the block's path adding up
    (a variable used twice),

    .. math::
        \\frac{\\partial L}{\\partial x} = g + J_f(x)^\\top g, \\qquad g = \\frac{\\partial L}{\\partial y},

    i.e. ``g + block.backward(g)``. The identity term passes the upstream
    gradient unchanged, which is why gradients stay alive through many
    residual blocks (He, Zhang, Ren and Sun, "Deep Residual Learning for Image
    Recognition", CVPR 2016).
    """

    def __init__(self, block: Module) -> None:
        super().__init__()
        if not isinstance(block, Module):
            raise TypeError(f"Residual expects a Module to wrap, got {type(block).__name__}")
        fan_in, fan_out = getattr(block, "in_features", None), getattr(block, "out_features", None)
        if fan_in is not None and fan_out is not None and fan_in != fan_out:
            raise ValueError(f"Residual: x + block(x) needs equal input and output sizes, but "
                             f"{type(block).__name__} maps {fan_in} features to {fan_out}")
        self.block = block
        self._cache: tuple[int, ...] | None = None

    def forward(self, x: NDArray) -> NDArray:
        """Return ``x + block(x)``.

        Parameters
        ----------
        x : ndarray of shape (B, ...)

        Returns
        -------
        ndarray of the shape of x
        """
        out = self.block(x)
        if np.shape(out) != np.shape(x):
            raise ValueError(f"Residual: the block maps shape {np.shape(x)} to {np.shape(out)}; "
                             "x + block(x) needs the block to keep the shape")
        self._cache = np.shape(x)
        return x + out  # (B, ...)

    def backward(self, grad_output: NDArray) -> NDArray:
        """Return ``grad_output + block.backward(grad_output)``."""
        self._require_cache(self._cache)
        if grad_output.shape != self._cache:
            raise ValueError(f"Residual.backward expected grad_output of shape {self._cache}, "
                             f"got {grad_output.shape}")
        return grad_output + self.block.backward(grad_output)  # (B, ...)


def _penalised(model_or_params: Any, include_bias: bool, who: str) -> list[Parameter]:
    """The parameters a penalty applies to (see l2_penalty's Notes)."""
    if isinstance(model_or_params, Module):
        named: Iterable[Any] = model_or_params.named_parameters()
    elif isinstance(model_or_params, Parameter):
        return [model_or_params] if model_or_params.requires_grad else []
    elif isinstance(model_or_params, Mapping):
        named = model_or_params.items()
    else:
        named = list(model_or_params)
    chosen = []
    for item in named:
        if isinstance(item, Parameter):
            name, param, by_name = "", item, False
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Parameter):
            (name, param), by_name = item, True
        else:
            raise TypeError(f"{who}: expected a Module, Parameters, or (name, Parameter) pairs, "
                            f"got an item of type {type(item).__name__}")
        if not param.requires_grad:
            continue
        is_weight = name.rsplit(".", 1)[-1] == "weight" and param.data.ndim >= 2
        if include_bias or not by_name or is_weight:
            chosen.append(param)
    return chosen



def l2_penalty(
    model_or_params: Any, lam: float, include_bias: bool = False, accumulate_grad: bool = True
) -> float:
    """The L2 penalty ``λ Σ ‖W‖²`` over the weights; adds its gradient ``2λW`` into ``W.grad``.

    Parameters
    ----------
    model_or_params : Module, Mapping[str, Parameter], iterable of (name, Parameter) or of Parameter
        Where the weights come from (see Notes for which are penalised).
    lam : float
        λ >= 0.
    include_bias : bool, default False
        Penalise every trainable parameter, biases and normalization scales
        included.
    accumulate_grad : bool, default True
        Add the gradient into ``.grad``; False only computes the value.

    Returns
    -------
    float
        The penalty, to be added to the data loss.

    Notes
    -----
    With the lectures' convention the penalised objective is

    .. math::
        \\tilde L = L + \\lambda \\sum_l \\lVert W_l \\rVert^2, \\qquad
        \\frac{\\partial \\tilde L}{\\partial W_l} = \\frac{\\partial L}{\\partial W_l} + 2\\lambda W_l.

    (``torch.optim.SGD(weight_decay=wd)`` adds ``wd · W``, i.e. ``wd = 2λ``.)

    Which parameters count as weights: with names (a Module, a mapping or
    ``named_parameters()``), those named ``weight`` with at least 2
    dimensions, i.e. the weight matrices of :class:`~mlcourse.layers.Linear`;
    biases and the 1-D scales γ of BatchNorm and LayerNorm are left alone.
    A plain list of Parameters is taken as chosen by the caller: all of them
    are penalised. Frozen parameters (``requires_grad=False``) never are.
    """
    lam = check_number(lam, "l2_penalty", "lam", low=0.0)
    total = 0.0
    for p in _penalised(model_or_params, include_bias, "l2_penalty"):
        flat = p.data.reshape(-1)
        total += float(np.dot(flat, flat))
        if accumulate_grad:
            p.grad += (2.0 * lam) * p.data
    return lam * total


def l1_penalty(
    model_or_params: Any, lam: float, include_bias: bool = False, accumulate_grad: bool = True
) -> float:
    """The L1 penalty ``λ Σ ‖W‖₁`` over the weights; adds its (sub)gradient ``λ sign(W)``.

    Parameters
    ----------
    model_or_params, lam, include_bias, accumulate_grad
        As in :func:`l2_penalty` (same choice of weights).

    Returns
    -------
    float
        The penalty.

    Notes
    -----
    .. math::
        \\tilde L = L + \\lambda \\sum_l \\sum_{ij} |W_{l,ij}|, \\qquad
        \\frac{\\partial \\tilde L}{\\partial W_l} = \\frac{\\partial L}{\\partial W_l}
        + \\lambda \\operatorname{sign}(W_l),

    taking the subgradient 0 at W = 0. The constant pull towards zero, of the
    same size for small and large weights, is what drives many weights to
    exactly zero (sparsity), unlike L2's pull proportional to W.
    """
    lam = check_number(lam, "l1_penalty", "lam", low=0.0)
    total = 0.0
    for p in _penalised(model_or_params, include_bias, "l1_penalty"):
        total += float(np.abs(p.data).sum())
        if accumulate_grad:
            p.grad += lam * np.sign(p.data)
    return lam * total


class EarlyStopping(Callback):
    """Stop training when a monitored quantity stops improving, and keep the best weights.

    Parameters
    ----------
    patience : int, default 5
        Epochs without improvement to wait before stopping.
    min_delta : float, default 0.0
        Smallest change that counts as an improvement.
    mode : {"min", "max"}, default "min"
        Whether smaller (a loss) or larger (an accuracy) is better.
    restore_best : bool, default True
        At the end of training, load the weights (the whole ``state_dict``,
        buffers included) of the best epoch back into the model.
    monitor : str, default "val_loss"
        The :class:`~mlcourse.train.History` key to watch.

    Attributes
    ----------
    best : float
        The best value seen.
    best_epoch : int or None
        The (1-based) epoch that gave it: ``history[monitor][best_epoch - 1]``.
    stopped_epoch : int or None
        The epoch after which training stopped, or None if it ran to the end.
    best_state : OrderedDict or None
        A copy of the model's state_dict at the best epoch (the checkpoint).

    Notes
    -----
    With ``mode="min"``, epoch t improves when ``value_t < best − min_delta``;
    training stops after ``patience`` consecutive epochs without improvement.
    Outside :func:`~mlcourse.train.fit`, call :meth:`update` once per epoch
    and :meth:`restore` at the end.

    Examples
    --------
    >>> stopper = EarlyStopping(patience=3)
    >>> history = fit(model, loss_fn, opt, (X, y), epochs=100, val_data=(Xv, yv),
    ...               callbacks=[stopper])
    >>> stopper.best_epoch
    """

    def __init__(
        self,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best: bool = True,
        monitor: str = "val_loss",
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best = bool(restore_best)
        self.monitor = monitor
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far (called at the start of each fit)."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_state: OrderedDict[str, NDArray] | None = None
        self.wait = 0
        self._epoch = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def update(self, value: float, model: Module | None = None, epoch: int | None = None) -> bool:
        """Record one epoch's value; return True when training should stop.

        Parameters
        ----------
        value : float
            The monitored quantity this epoch.
        model : Module, optional
            When given, its state_dict is copied at each new best.
        epoch : int, optional
            1-based epoch number (counted automatically otherwise).
        """
        self._epoch = self._epoch + 1 if epoch is None else int(epoch)
        value = float(value)
        if math.isnan(value):
            raise FloatingPointError(f"EarlyStopping: {self.monitor} is NaN at epoch {self._epoch}")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, self._epoch, 0
            if model is not None:
                self.best_state = model.state_dict()  # already a copy of every array
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = self._epoch
            return True
        return False

    def restore(self, model: Module) -> bool:
        """Load the best checkpoint into ``model``; returns False when there is none."""
        if self.best_state is None:
            return False
        model.load_state_dict(self.best_state)
        return True

    def on_train_begin(self, model: Module, history: Any) -> None:
        self.reset()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: Module) -> bool:
        if self.monitor not in logs:
            hint = " pass val_data to fit, or monitor='loss'" if self.monitor.startswith("val_") else ""
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but fit reports only "
                           f"{sorted(logs)};{hint}")
        return self.update(logs[self.monitor], model, epoch)

    def on_train_end(self, model: Module, history: Any) -> None:
        if self.restore_best:
            self.restore(model)

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, mode={self.mode!r}, best_epoch={self.best_epoch})")
