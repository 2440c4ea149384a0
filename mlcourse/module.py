"""Parameters, modules and containers: the core abstraction of the course.

A :class:`Module` has an explicit ``forward(x)`` and a hand-derived
``backward(grad_output)``. Forward keeps what backward needs in a cache;
backward *adds* into each ``Parameter.grad`` (gradients accumulate until
``zero_grad()``) and returns the gradient with respect to its input.

See Also
--------
Chapter 2 (multi-layer perceptrons) and chapter 5 (backpropagation).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator

import numpy as np
from numpy.typing import NDArray

__all__ = ["Parameter", "Module", "Sequential", "BackwardBeforeForwardError"]


class BackwardBeforeForwardError(RuntimeError):
    """Raised when ``backward`` is called on a module whose ``forward`` has not run."""


class Parameter:
    """A learnable array with its gradient.

    Parameters
    ----------
    data : array_like
        The initial value. It is stored as a NumPy array (its dtype is kept
        when it is already floating point, otherwise converted to float32).

    Attributes
    ----------
    data : ndarray
        The current value; optimizers update it in place.
    grad : ndarray
        The accumulated gradient dL/d(data), same shape and dtype as ``data``.
        Backward passes add into it; :meth:`zero_grad` resets it.
    requires_grad : bool
        When False, optimizers skip the parameter (used to freeze layers).
    """

    __slots__ = ("data", "grad", "requires_grad")

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        array = np.asarray(data)
        if not np.issubdtype(array.dtype, np.floating):
            array = array.astype(np.float32)
        self.data: NDArray[np.floating] = np.array(array, copy=True)
        self.grad: NDArray[np.floating] = np.zeros_like(self.data)
        self.requires_grad = requires_grad

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Reset the accumulated gradient to zero (in place)."""
        self.grad.fill(0)

    def astype(self, dtype: Any) -> "Parameter":
        """Convert value and gradient to ``dtype`` in place and return self."""
        self.data = self.data.astype(dtype)
        self.grad = self.grad.astype(dtype)
        return self

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer, activation and model.

    Sub-classes implement :meth:`forward` and :meth:`backward`. Assigning a
    :class:`Parameter` or a :class:`Module` to an attribute registers it, so
    :meth:`named_parameters` finds it under a dotted name such as
    ``"layers.0.weight"``.

    Notes
    -----
    The contract of a backward pass, for ``y = forward(x)`` and an upstream
    gradient ``g = dL/dy``:

    * it *adds* ``dL/dθ`` into ``θ.grad`` for every parameter θ;
    * it returns ``dL/dx``, with the shape of ``x``;
    * it raises :class:`BackwardBeforeForwardError` if forward has not run.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() "
                f"before assigning attribute {name!r}"
            )
        params, modules = self.__dict__["_parameters"], self.__dict__["_modules"]
        params.pop(name, None)
        modules.pop(name, None)
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self.__dict__["_parameters"].pop(name, None)
        self.__dict__["_modules"].pop(name, None)
        object.__delattr__(self, name)

    def forward(self, x: NDArray) -> NDArray:
        """Compute the output from the input, keeping what backward needs."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_output: NDArray) -> NDArray:
        """Add parameter gradients into ``.grad`` and return dL/d(input)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def _require_cache(self, cache: Any) -> None:
        """Raise a clear error when backward runs before forward."""
        if cache is None:
            raise BackwardBeforeForwardError(
                f"{type(self).__name__}.backward() was called before forward(): "
                "run a forward pass first (backward needs the values forward caches)"
            )

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)`` pairs, each parameter once."""
        seen: set[int] = set()
        for name, param in self._named_parameters_all(prefix):
            if id(param) not in seen:
                seen.add(id(param))
                yield name, param

    def _named_parameters_all(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, param in self._parameters.items():
            yield prefix + name, param
        for name, module in self._modules.items():
            yield from module._named_parameters_all(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        """All parameters of this module and its sub-modules (shared ones once)."""
        return [p for _, p in self.named_parameters()]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """Yield ``(dotted_name, module)`` for this module and every sub-module."""
        yield prefix.rstrip("."), self
        for name, module in self._modules.items():
            yield from module.named_modules(prefix + name + ".")

    def children(self) -> list["Module"]:
        return list(self._modules.values())

    def zero_grad(self) -> None:
        """Reset the gradients of every parameter to zero."""
        for p in self.parameters():
            p.zero_grad()

    def num_parameters(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.data.size for p in self.parameters()))

    def train(self, mode: bool = True) -> "Module":
        """Switch this module and all sub-modules to training mode; returns self."""
        object.__setattr__(self, "training", bool(mode))
        for module in self._modules.values():
            module.train(mode)
        return self

    def eval(self) -> "Module":
        """Switch to evaluation mode (dropout off, running statistics used)."""
        return self.train(False)

    def _buffers(self) -> dict[str, NDArray]:
        """Non-learnable state to save (e.g. running statistics); override."""
        return {}

    def _load_buffer(self, name: str, value: NDArray) -> None:
        setattr(self, name, np.array(value, copy=True))

    def state_dict(self) -> "OrderedDict[str, NDArray]":
        """Copies of every parameter and buffer, by dotted name."""
        state: OrderedDict[str, NDArray] = OrderedDict()
        for mod_name, module in self.named_modules():
            prefix = mod_name + "." if mod_name else ""
            for name, param in module._parameters.items():
                state.setdefault(prefix + name, param.data.copy())
            for name, buf in module._buffers().items():
                state[prefix + name] = np.array(buf, copy=True)
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy values from ``state`` into this model's parameters and buffers.

        Raises
        ------
        KeyError
            With ``strict=True``, when names are missing or unexpected.
        ValueError
            When a shape does not match; nothing is changed in that case.
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                "state_dict does not match the model: "
                f"missing {missing or 'nothing'}; unexpected {unexpected or 'nothing'}"
            )
        mismatched = [
            f"{k}: model has {own[k].shape}, state has {np.shape(state[k])}"
            for k in own
            if k in state and np.shape(state[k]) != own[k].shape
        ]
        if mismatched:
            raise ValueError("shape mismatch in state_dict: " + "; ".join(mismatched))
        for mod_name, module in self.named_modules():
            prefix = mod_name + "." if mod_name else ""
            for name, param in module._parameters.items():
                if prefix + name in state:
                    param.data[...] = np.asarray(state[prefix + name], dtype=param.data.dtype)
            for name in module._buffers():
                if prefix + name in state:
                    module._load_buffer(name, np.asarray(state[prefix + name]))

    def astype(self, dtype: Any) -> "Module":
        """Convert every parameter to ``dtype`` (e.g. float64 for gradient checks)."""
        for p in self.parameters():
            p.astype(dtype)
        return self

    def extra_repr(self) -> str:
        """The arguments shown inside the parentheses of ``repr``; override."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        if not self._modules:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}(" + (extra if extra else "")]
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        lines.append(")")
        return "\n".join(lines)


class Sequential(Module):
    """Modules applied one after the other; backward runs them in reverse.

    Parameters
    ----------
    *modules : Module
        The layers, in the order of the forward pass. Their parameters are
        named ``"0.weight"``, ``"1.weight"``, ...

    Examples
    --------
    >>> from mlcourse import Sequential, Linear, ReLU
    >>> model = Sequential(Linear(784, 128), ReLU(), Linear(128, 10))
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential expects Module instances; argument {i} is "
                    f"{type(module).__name__}"
                )
            setattr(self, str(i), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, index: int | slice) -> Module:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        setattr(self, str(len(self)), module)
        return self

    def forward(self, x: NDArray) -> NDArray:
        for module in self._modules.values():
            x = module(x)
        return x

    def backward(self, grad_output: NDArray) -> NDArray:
        for module in reversed(self._modules.values()):
            grad_output = module.backward(grad_output)
        return grad_output
