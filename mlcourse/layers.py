"""Layers: ``Linear`` (Y = X W + b), ``Flatten`` and the skip connection ``Residual``.

See Also
--------
Chapter 2 (multi-layer perceptrons) derives the shapes; chapter 5 derives
the backward pass; chapter 11 adds residual connections.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numpy.typing import NDArray

from .validation import as_float_array, as_generator, check_int, check_ndim
from .module import Module, Parameter

__all__ = ["Flatten", "Linear", "Residual"]


class Linear(Module):
    """Fully connected layer ``Y = X W + b``.

    Parameters
    ----------
    in_features : int
        C_in, the number of input features.
    out_features : int
        C_out, the number of output units.
    bias : bool, default True
        Whether to add a learnable bias ``b`` of shape ``(1, C_out)``.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights. Pass a seeded generator (or a seed) for
        reproducible results; without one, fresh OS entropy is used.
    init : str or callable, optional
        How to initialise ``W``. ``None`` follows PyTorch's default,
        ``U(-1/sqrt(C_in), 1/sqrt(C_in))`` for both ``W`` and ``b``. A string
        names an initializer of :mod:`mlcourse.init` without its trailing
        underscore (``"kaiming_normal"``, ``"xavier_uniform"``, ``"lecun_normal"``,
        ...), a callable is called as ``init(W, rng=rng)`` and must fill ``W`` in
        place. With an explicit init the bias starts at zero.
    dtype : numpy dtype, default float32
        float32 trains twice as fast as float64; gradient checks use float64.
    input_grad : bool, default True
        Whether backward computes dL/dX. Build the *first* layer of a model
        with ``input_grad=False``: its input is data, nothing upstream needs
        dL/dX, and skipping the product ``G Wᵀ`` saves as much time as the
        layer's forward pass. Backward then returns None.

    Attributes
    ----------
    weight : Parameter of shape (C_in, C_out)
        Note the layout: PyTorch stores ``(C_out, C_in)`` and computes
        ``X Wᵀ``; here the code reads exactly as the lectures' ``X W + b``.
    bias : Parameter of shape (1, C_out) or None
    input_grad : bool
        The constructor argument (``needs_input_grad`` is an older name for it).

    Notes
    -----
    For ``X`` of shape ``(B, C_in)`` and upstream gradient ``G = dL/dY`` of
    shape ``(B, C_out)``:

    .. math::
        \\frac{\\partial L}{\\partial X} = G W^\\top,\\qquad
        \\frac{\\partial L}{\\partial W} = X^\\top G,\\qquad
        \\frac{\\partial L}{\\partial b} = \\mathbf 1^\\top G.

    The cache holds the input ``X``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        init: str | Callable[..., Any] | None = None,
        dtype: Any = np.float32,
        input_grad: bool = True,
    ) -> None:
        super().__init__()
        self.in_features = check_int(in_features, "Linear", "in_features")
        self.out_features = check_int(out_features, "Linear", "out_features")
        rng = as_generator(rng, "Linear")
        weight = np.empty((self.in_features, self.out_features), dtype=dtype)
        bound = 1.0 / np.sqrt(self.in_features)
        if init is None:
            weight[...] = rng.uniform(-bound, bound, size=weight.shape)
        else:
            _apply_init(init, weight, rng)
        self.weight = Parameter(weight)
        if bias:
            b = (
                rng.uniform(-bound, bound, size=(1, self.out_features))
                if init is None
                else np.zeros((1, self.out_features))
            )
            self.bias: Parameter | None = Parameter(b.astype(dtype))
        else:
            self.bias = None
        self.input_grad = bool(input_grad)
        self._cache: NDArray | None = None

    @property
    def needs_input_grad(self) -> bool:
        """Older name of :attr:`input_grad`."""
        return self.input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self.input_grad = bool(value)

    def forward(self, x: NDArray) -> NDArray:
        """Return ``x @ W + b``.

        Parameters
        ----------
        x : ndarray of shape (B, C_in)

        Returns
        -------
        ndarray of shape (B, C_out)
        """
        x = as_float_array(x, "Linear")
        check_ndim(x, 2, "Linear", layout="of shape (batch, in_features); use Flatten() first for images")
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) expected input of shape "
                f"(batch, {self.in_features}), got {x.shape}: {x.shape[1]} features instead of "
                f"{self.in_features}"
            )
        self._cache = x
        y = x @ self.weight.data  # (B, C_out)
        if self.bias is not None:
            y += self.bias.data  # (B, C_out), b broadcast over the batch
        return y

    def backward(self, grad_output: NDArray) -> NDArray | None:
        """Accumulate dL/dW and dL/db; return dL/dX.

        Parameters
        ----------
        grad_output : ndarray of shape (B, C_out)

        Returns
        -------
        ndarray of shape (B, C_in), or None for a layer built with ``input_grad=False``
        """
        self._require_cache(self._cache)
        x = self._cache
        if grad_output.shape != (x.shape[0], self.out_features):
            raise ValueError(
                f"Linear.backward expected grad_output of shape {(x.shape[0], self.out_features)}, "
                f"got {grad_output.shape}"
            )
        self.weight.grad += x.T @ grad_output  # (C_in, C_out)
        if self.bias is not None:
            self.bias.grad += grad_output.sum(axis=0, keepdims=True)  # (1, C_out)
        if not self.input_grad:
            return None  # the first layer of a model: nothing upstream needs dL/dX
        return grad_output @ self.weight.data.T  # (B, C_in)

    def extra_repr(self) -> str:
        extra = "" if self.input_grad else ", input_grad=False"
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}{extra}"
        )


def _apply_init(init: str | Callable[..., Any], weight: NDArray, rng: np.random.Generator) -> None:
    """Fill ``weight`` in place with the initializer ``init`` names."""
    if callable(init):
        init(weight, rng=rng)
        return
    from . import init as init_module  # imported here: only Linear needs it

    name = init if init.endswith("_") else init + "_"
    fn = getattr(init_module, name, None)
    if fn is None or not callable(fn):
        known = sorted(n[:-1] for n in dir(init_module) if n.endswith("_") and not n.startswith("_"))
        raise ValueError(f"Linear: unknown init {init!r}; expected one of {known} or a callable")
    fn(weight, rng=rng)


class Flatten(Module):
    """Flatten every dimension but the first: ``(B, d1, d2, ...) -> (B, d1*d2*...)``.

    Notes
    -----
    Backward only reshapes the gradient back to the input's shape.
    """

    def __init__(self) -> None:
        super().__init__()
        self._shape: tuple[int, ...] | None = None

    def forward(self, x: NDArray) -> NDArray:
        x = np.asarray(x)
        if x.ndim < 1:
            raise ValueError(f"Flatten: expected an array with a batch dimension, got shape {x.shape}")
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)  # (B, prod(rest))

    def backward(self, grad_output: NDArray) -> NDArray:
        self._require_cache(self._shape)
        return grad_output.reshape(self._shape)  # (B, d1, d2, ...)


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
