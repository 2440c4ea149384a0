"""A scalar autograd engine: computational graphs and reverse-mode differentiation.

Every arithmetic operation on :class:`Value` objects records a node of a
graph: the result, the operands it came from, and the local derivatives
∂out/∂operand, computed right beside the forward computation.
``out.backward()`` then visits the nodes in reverse topological order and
applies the chain rule, accumulating

    ∂L/∂v += ∂L/∂out · ∂out/∂v

into every operand v: when a variable is used twice, its two contributions add.

>>> from mlcourse.autograd import Value
>>> x, y = Value(3.0, label="x"), Value(-4.0, label="y")
>>> z = x * y + x
>>> z.backward()
>>> x.grad, y.grad      # dz/dx = y + 1, dz/dy = x
(-3.0, 3.0)

This engine is for the chapter on computational graphs. The layers of
:mod:`mlcourse` do not use it: their backward passes are derived by hand.

See Also
--------
Chapter 5 (backpropagation).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

__all__ = ["Value"]


class Value:
    """A scalar that remembers how it was computed.

    Parameters
    ----------
    data : float
        The value.
    label : str, optional
        A name for display (``trace()``, ``repr``).

    Attributes
    ----------
    data : float
    grad : float
        ∂L/∂(this value), accumulated by :meth:`backward` calls on any output
        that depends on it; reset with :meth:`zero_grad`.
    op : str
        The operation that produced the value ("" for an input).
    parents : tuple of Value
        The operands of that operation.
    """

    __slots__ = ("data", "grad", "op", "label", "parents", "_local_grads")

    def __init__(
        self,
        data: Any,
        label: str = "",
        *,
        _parents: tuple["Value", ...] = (),
        _op: str = "",
        _local_grads: tuple[float, ...] = (),
    ) -> None:
        if isinstance(data, Value):
            raise TypeError("Value(data): data is already a Value; use it directly")
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"Value needs a real number, got {type(data).__name__} {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = _op
        self.parents = _parents
        self._local_grads = _local_grads

    @staticmethod
    def _lift(other: Any, op: str) -> "Value":
        if isinstance(other, Value):
            return other
        if isinstance(other, bool) or not isinstance(other, Real):
            raise TypeError(
                f"Value {op} {type(other).__name__}: operands must be numbers or Values, got {other!r}"
            )
        return Value(other)

    def __add__(self, other: Any) -> "Value":
        other = self._lift(other, "+")
        # ∂(a + b)/∂a = 1, ∂(a + b)/∂b = 1
        return Value(
            self.data + other.data, _parents=(self, other), _op="+", _local_grads=(1.0, 1.0)
        )

    def __mul__(self, other: Any) -> "Value":
        other = self._lift(other, "*")
        # ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
        return Value(
            self.data * other.data,
            _parents=(self, other),
            _op="*",
            _local_grads=(other.data, self.data),
        )

    def __pow__(self, exponent: Any) -> "Value":
        if isinstance(exponent, Value):
            return self._pow_value(exponent)
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError(
                f"Value ** {type(exponent).__name__}: the exponent must be a number or a Value"
            )
        k = float(exponent)
        a = self.data
        if a == 0.0 and k < 0:
            raise ZeroDivisionError(f"0 ** {k:g} is undefined (division by zero)")
        if a < 0 and not k.is_integer():
            raise ValueError(
                f"({a:g}) ** {k:g}: a negative number to a non-integer power is not real"
            )
        # ∂(aᵏ)/∂a = k·aᵏ⁻¹: 0 for k = 0 (a⁰ = 1 is constant, also at a = 0, as in
        # PyTorch), infinite at a = 0 for 0 < k < 1
        if k == 0:
            local = 0.0
        elif a == 0.0 and k < 1:
            local = math.inf
        else:
            local = k * a ** (k - 1)
        return Value(a**k, _parents=(self,), _op=f"**{k:g}", _local_grads=(local,))

    def _pow_value(self, exponent: "Value") -> "Value":
        a, b = self.data, exponent.data
        if a <= 0:
            raise ValueError(
                f"({a:g}) ** Value: a Value exponent needs a positive base (aᵇ = exp(b·log a))"
            )
        out = a**b
        # ∂(aᵇ)/∂a = b·aᵇ⁻¹, ∂(aᵇ)/∂b = aᵇ·log a
        return Value(
            out,
            _parents=(self, exponent),
            _op="**",
            _local_grads=(b * a ** (b - 1), out * math.log(a)),
        )

    def __rpow__(self, base: Any) -> "Value":
        return self._lift(base, "**")._pow_value(self)

    def __neg__(self) -> "Value":
        return self * -1.0

    def __sub__(self, other: Any) -> "Value":
        return self + (-self._lift(other, "-"))

    def __truediv__(self, other: Any) -> "Value":
        other = self._lift(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data:g} / 0")
        return self * other**-1

    def __radd__(self, other: Any) -> "Value":
        return self._lift(other, "+") + self

    def __rsub__(self, other: Any) -> "Value":
        return self._lift(other, "-") - self

    def __rmul__(self, other: Any) -> "Value":
        return self._lift(other, "*") * self

    def __rtruediv__(self, other: Any) -> "Value":
        return self._lift(other, "/") / self

    def exp(self) -> "Value":
        """eˣ; ∂/∂x = eˣ."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp({self.data:g}) overflows a float (limit about exp(709))"
            ) from None
        return Value(out, _parents=(self,), _op="exp", _local_grads=(out,))

    def log(self) -> "Value":
        """Natural logarithm; ∂/∂x = 1/x. Defined for x > 0 only."""
        if self.data <= 0:
            raise ValueError(f"log of a non-positive number: log({self.data:g}) is undefined")
        return Value(
            math.log(self.data), _parents=(self,), _op="log", _local_grads=(1.0 / self.data,)
        )

    def tanh(self) -> "Value":
        """tanh(x); ∂/∂x = 1 − tanh²(x)."""
        t = math.tanh(self.data)
        return Value(t, _parents=(self,), _op="tanh", _local_grads=(1.0 - t * t,))

    def sigmoid(self) -> "Value":
        """σ(x) = 1/(1 + e⁻ˣ); ∂/∂x = σ(x)(1 − σ(x))."""
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return Value(s, _parents=(self,), _op="sigmoid", _local_grads=(s * (1.0 - s),))

    def relu(self) -> "Value":
        """max(0, x); ∂/∂x = 1 for x > 0, else 0."""
        x = self.data
        return Value(
            max(x, 0.0), _parents=(self,), _op="relu", _local_grads=(1.0 if x > 0 else 0.0,)
        )

    def topological_order(self) -> list["Value"]:
        """Every node this value depends on, each after all of its operands (self last).

        Built with an explicit stack rather than recursion, so graphs of any
        depth work.
        """
        order: list[Value] = []
        visited: set[int] = {id(self)}
        stack: list[tuple[Value, int]] = [(self, 0)]
        while stack:
            node, next_parent = stack.pop()
            if next_parent < len(node.parents):
                stack.append((node, next_parent + 1))
                parent = node.parents[next_parent]
                if id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, 0))
            else:
                order.append(node)
        return order

    def backward(self, grad: float = 1.0) -> None:
        """Accumulate ∂self/∂v (times ``grad``) into ``v.grad`` for every node v of the graph.

        Notes
        -----
        The nodes are visited in reverse topological order, so when a node is
        reached, every path from it to the output has already contributed
        to its gradient. The gradients of this pass are collected first and
        then added to ``.grad``, so calling backward twice doubles every
        ``.grad`` (gradients accumulate, as in the layers).
        """
        order = self.topological_order()
        upstream: dict[int, float] = {id(self): float(grad)}
        for node in reversed(order):
            g = upstream.pop(id(node), 0.0)
            node.grad += g
            for parent, local in zip(node.parents, node._local_grads):
                upstream[id(parent)] = upstream.get(id(parent), 0.0) + g * local

    def zero_grad(self) -> None:
        """Reset ``.grad`` to 0 on this node and every node it depends on."""
        for node in self.topological_order():
            node.grad = 0.0

    def trace(self) -> str:
        """A table of the graph in topological order: name, operation, operands, data, grad.

        Unlabelled nodes are named v0, v1, ... by position.
        """
        order = self.topological_order()
        names = {id(n): (n.label or f"v{i}") for i, n in enumerate(order)}
        rows = [("node", "op", "inputs", "data", "grad")]
        for n in order:
            inputs = ", ".join(names[id(p)] for p in n.parents)
            rows.append((names[id(n)], n.op or "input", inputs, f"{n.data:.6g}", f"{n.grad:.6g}"))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{op}{label})"
