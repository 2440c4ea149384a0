"""Adam and AdamW: momentum and RMSprop scaling, both bias-corrected.

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

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam: momentum on the gradient and RMSprop scaling, both bias-corrected.

    Parameters
    ----------
    params : iterable of Parameter or of dict
    lr : float, default 1e-3
        Learning rate η >= 0.
    betas : tuple of 2 floats, default (0.9, 0.999)
        Decay rates β₁, β₂ in [0, 1) of the first and second moment estimates.
    eps : float, default 1e-8
        Added to the denominator (>= 0).
    weight_decay : float, default 0
        L2 penalty λ >= 0 *added to the gradient* (coupled; see
        :class:`AdamW` for the decoupled form).
    amsgrad : bool, default False
        Divide by the running maximum of the second-moment estimate (Reddi,
        Kale and Kumar, "On the Convergence of Adam and Beyond", ICLR 2018).

    Notes
    -----
    Kingma and Ba, "Adam: A Method for Stochastic Optimization" (ICLR 2015).
    At step ``t = 1, 2, ...`` (``m`` and ``v`` start at 0):

    1. ``g ← g_t + λ θ`` (if λ ≠ 0);
    2. ``m ← β₁ m + (1 − β₁) g`` and ``v ← β₂ v + (1 − β₂) g²``;
    3. bias correction ``m̂ = m / (1 − β₁ᵗ)``, ``v̂ = v / (1 − β₂ᵗ)``
       (amsgrad: ``v_max ← max(v_max, v)`` and ``v̂ = v_max / (1 − β₂ᵗ)``);
    4. ``θ ← θ − η m̂ / (√v̂ + ε)``.

    Because ``m`` and ``v`` start at zero they are biased towards zero early
    on; dividing by ``1 − βᵗ`` removes the bias. The lecture's example:
    β₁ = 0.9, g₁ = 0.2 gives m₁ = 0.02 and m̂₁ = 0.02 / 0.1 = 0.2. On the
    first step ``m̂ = g`` and ``√v̂ = |g|``, so every coordinate moves by about
    ``η`` against the sign of its gradient, whatever the gradient's scale.
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        name = type(self).__name__
        betas = group["betas"]
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(
                f"{name}: betas must be a pair (beta1, beta2), got {betas!r}"
            ) from None
        check_number(beta1, name, "betas[0] (beta1)", low=0.0, high=1.0, high_open=True)
        check_number(beta2, name, "betas[1] (beta2)", low=0.0, high=1.0, high_open=True)
        check_number(group["eps"], name, "eps", low=0.0)
        check_number(group["weight_decay"], name, "weight_decay", low=0.0)

    def _update(
        self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)  # m
            state["exp_avg_sq"] = np.zeros_like(p.data)  # v
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)  # v_max
        state["step"] += 1
        t = state["step"]
        lr, eps, lam = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        g = grad
        if lam != 0:
            if self._decoupled:
                p.data *= 1.0 - lr * lam  # AdamW 1. θ ← θ (1 − ηλ)
            else:
                g = grad + lam * p.data  # 1. g ← g_t + λθ
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1.0 - beta1) * g  # 2. m ← β₁ m + (1 − β₁) g
        v *= beta2
        v += (1.0 - beta2) * (g * g)  # 2. v ← β₂ v + (1 − β₂) g²
        if group["amsgrad"]:
            v_max = state.setdefault("max_exp_avg_sq", np.zeros_like(p.data))
            np.maximum(v_max, v, out=v_max)  # v_max ← max(v_max, v)
            v = v_max
        m_hat = m / (1.0 - beta1**t)  # 3. m̂ = m / (1 − β₁ᵗ)
        v_hat = v / (1.0 - beta2**t)  # 3. v̂ = v / (1 − β₂ᵗ)
        p.data -= lr * m_hat / (np.sqrt(v_hat) + eps)  # 4. θ ← θ − η m̂ / (√v̂ + ε)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, ICLR 2019).

    Parameters
    ----------
    params : iterable of Parameter or of dict
    lr : float, default 1e-3
    betas : tuple of 2 floats, default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
        Decoupled decay λ >= 0: ``θ ← (1 − η λ) θ`` before the Adam step.
    amsgrad : bool, default False

    Notes
    -----
    Loshchilov and Hutter, "Decoupled Weight Decay Regularization" (2019).
    In :class:`Adam`, an L2 penalty ``λ θ`` added to the gradient is divided
    by ``√v̂`` like the rest of the gradient, so weights with large gradients
    are barely decayed. AdamW shrinks the weights directly instead,

    1. ``θ ← θ (1 − η λ)``,

    and then takes the Adam step (steps 2–4 of :class:`Adam`) with the plain
    gradient ``g_t``.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )
