"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

See Also
--------
Chapter 7 (optimizers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..module import Parameter
from ..validation import check_number
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay.

    Parameters
    ----------
    params : iterable of Parameter or of dict
        See :class:`Optimizer`.
    lr : float, default 1e-3
        Learning rate η >= 0 (PyTorch's default; in practice always pass one).
    momentum : float, default 0
        Momentum factor μ in [0, 1).
    dampening : float, default 0
        Dampening τ in [0, 1]: the new gradient enters the buffer with weight
        ``1 - τ``. ``dampening=momentum`` gives the averaged form of momentum.
    nesterov : bool, default False
        Nesterov momentum; needs ``momentum > 0`` and ``dampening = 0``.
    weight_decay : float, default 0
        L2 penalty λ >= 0: ``λ θ`` is added to the gradient (on every
        parameter of the group, biases included; use parameter groups to
        exempt biases).

    Notes
    -----
    With gradient ``g_t`` of parameter ``θ`` at step ``t = 1, 2, ...``:

    1. ``g ← g_t + λ θ`` (if λ ≠ 0);
    2. if μ ≠ 0: ``b ← g`` on the first step, otherwise ``b ← μ b + (1 − τ) g``;
       then ``g ← g + μ b`` (Nesterov) or ``g ← b``;
    3. ``θ ← θ − η g``.

    The buffer starts at the *first gradient itself* (no dampening on step
    1), as in PyTorch.

    **The lectures' two forms of momentum.** The plain form
    ``v ← β v + g, θ ← θ − η v`` is ``SGD(lr=η, momentum=β)``. The averaged
    (exponential moving average) form ``v ← β v + (1 − β) g, θ ← θ − η' v``
    is ``SGD(lr=η', momentum=β, dampening=β)``, apart from the first step,
    where PyTorch's buffer takes ``g`` undamped. The averaged buffer is
    ``(1 − β)`` times the plain one (both are linear in the gradients), so
    the two forms take the same steps when

    .. math:: \\eta_{\\text{plain}} = (1 - \\beta)\\,\\eta_{\\text{avg}} ,

    e.g. β = 0.9 and η_avg = 0.1 behave like η_plain = 0.01: the averaged form
    needs a ten times larger learning rate for the same steps. On a constant
    gradient the plain buffer grows to ``g / (1 − β)`` while the averaged one
    stays at ``g``.

    Nesterov's variant evaluates the momentum step "ahead": with
    ``θ − η μ b`` substituted, the update uses ``g + μ b`` in place of ``b``
    (Sutskever et al. 2013, "On the importance of initialization and
    momentum in deep learning").

    Examples
    --------
    >>> import numpy as np
    >>> from mlcourse import Parameter
    >>> w = Parameter(np.array([1.0, -2.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad[:] = [0.5, 0.5]
    >>> opt.step()
    >>> w.data
    array([ 0.95, -2.05])
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
            weight_decay=weight_decay,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        check_number(group["momentum"], "SGD", "momentum", low=0.0, high=1.0, high_open=True)
        check_number(group["dampening"], "SGD", "dampening", low=0.0, high=1.0)
        check_number(group["weight_decay"], "SGD", "weight_decay", low=0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r} and dampening={group['dampening']!r}"
            )

    def _update(
        self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        lr, mu, tau = float(group["lr"]), float(group["momentum"]), float(group["dampening"])
        lam = float(group["weight_decay"])
        g = grad + lam * p.data if lam != 0 else grad  # 1. g ← g_t + λθ
        if mu != 0:
            b = state.get("momentum_buffer")
            if b is None:  # 2. b ← g on the first step
                b = state["momentum_buffer"] = g.copy()
            else:  # 2. b ← μ b + (1 − τ) g
                b *= mu
                b += g if tau == 0 else (1.0 - tau) * g
            g = g + mu * b if group["nesterov"] else b
        p.data -= lr * g  # 3. θ ← θ − η g
