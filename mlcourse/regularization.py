"""Regularization: dropout, LayerDrop and the L1 and L2 weight penalties.

See Also
--------
Chapter 10 (regularization) derives :class:`Dropout`, :class:`LayerDrop` and
the penalties :func:`l1_penalty` and :func:`l2_penalty`. Early stopping, the
other regularizer of chapter 10, is a training callback
(:class:`mlcourse.callbacks.EarlyStopping`); the normalization layers of
chapter 11 live in :mod:`mlcourse.normalization` and ``Residual`` in
:mod:`mlcourse.layers` (all three are still importable from here).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .module import Module, Parameter
from .validation import as_float_array, as_generator, check_number, check_probability

__all__ = ["Dropout", "LayerDrop", "l1_penalty", "l2_penalty", "prune_layerdrop"]

# names that lived here before the library was split into one file per idea
_MOVED = {"BatchNorm1d": "normalization", "LayerNorm": "normalization", "Residual": "layers",
          "EarlyStopping": "callbacks"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        return getattr(importlib.import_module(f"{__package__}.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
