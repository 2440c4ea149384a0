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
from typing import Any, Iterator, Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BackwardBeforeForwardError",
    "Module",
    "ModuleReuseError",
    "Parameter",
    "Sequential",
    "StateDictMismatchError",
]


class BackwardBeforeForwardError(RuntimeError):
    """Raised when ``backward`` is called on a module whose ``forward`` has not run."""


class ModuleReuseError(ValueError):
    """Raised when one module instance would sit at two places of a model.

    A module keeps what its forward pass computed for its backward pass; a
    second use would overwrite the first's cache and give wrong gradients.
    """


class StateDictMismatchError(KeyError, ValueError):
    """A state does not fit the model: names missing or unexpected, or shapes differ.

    A ``KeyError`` (a name problem) and a ``ValueError`` (a shape problem) at
    once, so that either ``except`` catches it.

    Attributes
    ----------
    problems : list of str
        One entry per kind of mismatch, e.g. ``"missing in the state: 2.bias"``.
    """

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


def state_dict_problems(own: Mapping[str, Any], state: Mapping[str, Any], strict: bool = True,
                        source: str = "state") -> list[str]:
    """What keeps ``state`` from loading into a model whose ``state_dict()`` is ``own``.

    Parameters
    ----------
    own, state : mapping of str -> array
    strict : bool
        Whether missing and unexpected names count (shapes always do).
    source : str
        What ``state`` is called in the messages ("state", "file").

    Returns
    -------
    list of str
        Empty when the state fits.
    """
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k}: model {np.shape(own[k])}, {source} {np.shape(state[k])}"
              for k in own if k in state and np.shape(state[k]) != np.shape(own[k])]
    problems = []
    if strict and missing:
        problems.append(f"missing in the {source}: {', '.join(missing)}")
    if strict and unexpected:
        problems.append(f"not in the model: {', '.join(unexpected)}")
    if shapes:
        problems.append(f"shape mismatch: {'; '.join(shapes)}")
    return problems


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
        object.__setattr__(self, "_buffer_names", [])
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

    def backward(self, grad_output: NDArray) -> NDArray | None:
        """Add parameter gradients into ``.grad`` and return dL/d(input).

        A layer built not to compute dL/d(input) (``Linear(..., input_grad=False)``,
        the first layer of a model) returns None.
        """
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
        """Reset the gradients of every parameter to zero (in place).

        Called once per training step, so it walks the modules directly
        instead of building the list of named parameters; a parameter shared
        by two modules is simply zeroed twice.
        """
        for p in self._parameters.values():
            p.grad.fill(0)
        for module in self._modules.values():
            module.zero_grad()

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

    def register_buffer(self, name: str, value: Any) -> None:
        """Declare ``name`` as a buffer: state that is saved but not learned.

        Buffers (e.g. BatchNorm's running statistics) are ordinary attributes
        that :meth:`state_dict` saves, :meth:`load_state_dict` restores and
        :meth:`astype` converts (when floating point); optimizers never see
        them. ``value`` is the initial value (an array or a Python number).
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"{type(self).__name__}.register_buffer: name must be an identifier, "
                            f"got {name!r}")
        if name in self._parameters or name in self._modules:
            raise ValueError(f"{type(self).__name__}.register_buffer: {name!r} is already a "
                             "parameter or a sub-module")
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        setattr(self, name, value)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """Yield ``(dotted_name, value)`` for the buffers of this module and its sub-modules."""
        for mod_name, module in self.named_modules():
            full = prefix + (mod_name + "." if mod_name else "")
            for name in module._buffer_names:
                yield full + name, getattr(module, name)

    def state_dict(self) -> "OrderedDict[str, NDArray]":
        """Copies of every parameter and buffer, by dotted name."""
        state: OrderedDict[str, NDArray] = OrderedDict()
        for mod_name, module in self.named_modules():
            prefix = mod_name + "." if mod_name else ""
            for name, param in module._parameters.items():
                state.setdefault(prefix + name, param.data.copy())
            for name in module._buffer_names:
                state[prefix + name] = np.array(getattr(module, name), copy=True)
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy values from ``state`` into this model's parameters and buffers.

        Parameters
        ----------
        state : mapping of str -> array
            E.g. another model's :meth:`state_dict`.
        strict : bool, default True
            Require exactly this model's names. With False, entries missing
            from ``state`` keep their values and extra entries are ignored;
            shapes must still match.

        Raises
        ------
        StateDictMismatchError
            (a KeyError and a ValueError) listing every missing name,
            unexpected name and shape mismatch; nothing is changed then.
        """
        problems = state_dict_problems(self.state_dict(), state, strict)
        if problems:
            raise StateDictMismatchError(
                f"load_state_dict: the state does not fit {type(self).__name__} - "
                + " | ".join(problems), problems)
        for mod_name, module in self.named_modules():
            prefix = mod_name + "." if mod_name else ""
            for name, param in module._parameters.items():
                if prefix + name in state:
                    param.data[...] = np.asarray(state[prefix + name], dtype=param.data.dtype)
            for name in module._buffer_names:
                if prefix + name in state:
                    current = getattr(module, name)
                    value = np.asarray(state[prefix + name])
                    if isinstance(current, np.ndarray):
                        value = np.array(value, dtype=current.dtype, copy=True)
                    else:  # a Python number such as a counter
                        value = type(current)(value)
                    object.__setattr__(module, name, value)

    def astype(self, dtype: Any) -> "Module":
        """Convert every parameter and floating-point buffer to ``dtype``; returns self.

        E.g. ``model.astype(np.float64)`` for gradient checks.
        """
        for p in self.parameters():
            p.astype(dtype)
        for _, module in self.named_modules():
            for name in module._buffer_names:
                value = getattr(module, name)
                if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                    object.__setattr__(module, name, value.astype(dtype))
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

    Raises
    ------
    ModuleReuseError
        When one module instance would appear twice (``act = ReLU()`` used
        after two layers): its forward cache would hold only the second
        use, and backward would compute wrong gradients. Create one module
        per position; to share weights, share the Parameters instead
        (``b.weight = a.weight``).

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
            self._check_not_used(module, i)
            setattr(self, str(i), module)

    def _check_not_used(self, module: Module, index: int) -> None:
        """Raise ModuleReuseError if ``module`` (or a part of it) is already in this model."""
        inside = {id(m): name for name, m in self.named_modules() if m is not self}
        for _, part in module.named_modules():
            if id(part) in inside or part is self:
                where = inside.get(id(part), "the Sequential itself")
                raise ModuleReuseError(
                    f"Sequential: the same {type(part).__name__} instance is used at position "
                    f"{where.split('.')[0] if where else '?'} and again at position {index}. A "
                    "module keeps its forward cache for backward, so a second use would overwrite "
                    f"the first's and give wrong gradients: create a new {type(part).__name__}(...) "
                    "for each position (to share weights, assign the same Parameter to two layers)"
                )

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
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append expects a Module, got {type(module).__name__}")
        self._check_not_used(module, len(self))
        setattr(self, str(len(self)), module)
        return self

    def forward(self, x: NDArray) -> NDArray:
        for module in self._modules.values():
            x = module(x)
        return x

    def backward(self, grad_output: NDArray | None) -> NDArray | None:
        grad: NDArray | None = grad_output
        for name, module in reversed(self._modules.items()):
            if grad is None:
                raise ValueError(
                    f"Sequential.backward: the layer after position {name} returned no input "
                    "gradient (it was built with input_grad=False), but the layers before it "
                    "need one; only the first layer of a model may skip it"
                )
            grad = module.backward(grad)
        return grad
