"""RMSprop: divide the gradient by a running root-mean-square of recent gradients.

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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    Parameters
    ----------
    params : iterable of Parameter or of dict
    lr : float, default 1e-2
        Learning rate η >= 0.
    alpha : float, default 0.99
        Smoothing constant α in [0, 1) of the average of squared gradients.
    eps : float, default 1e-8
        Added to the denominator (>= 0).
    weight_decay : float, default 0
        L2 penalty λ >= 0 added to the gradient.
    momentum : float, default 0
        Momentum μ in [0, 1) applied to the scaled step.
    centered : bool, default False
        Divide by an estimate of the gradient's *standard deviation* (the
        mean square minus the squared mean) instead of its root mean square.

    Notes
    -----
    Proposed by Hinton in his Coursera lecture 6e (2012). At each step:

    1. ``g ← g_t + λ θ`` (if λ ≠ 0);
    2. ``v ← α v + (1 − α) g²`` (``v`` starts at 0);
    3. centered: ``m ← α m + (1 − α) g`` and ``d = √(v − m²) + ε``;
       otherwise ``d = √v + ε``;
    4. with momentum: ``b ← μ b + g / d`` (``b`` starts at 0) and ``θ ← θ − η b``;
       otherwise ``θ ← θ − η g / d``.

    In the lecture's example ``g = [0.02, −0.04, 1.6, −0.01]`` the third
    coordinate's step is divided by a large ``√v`` while the small ones are
    divided by small values, so all coordinates move at comparable speed.
    ``v − m²`` is clipped at 0 before the square root, which guards against
    a negative value from rounding (the exact value is never negative).
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        check_number(group["alpha"], "RMSprop", "alpha", low=0.0, high=1.0, high_open=True)
        check_number(group["eps"], "RMSprop", "eps", low=0.0)
        check_number(group["weight_decay"], "RMSprop", "weight_decay", low=0.0)
        check_number(group["momentum"], "RMSprop", "momentum", low=0.0, high=1.0, high_open=True)

    def _update(
        self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        mu, lam = float(group["momentum"]), float(group["weight_decay"])
        g = grad + lam * p.data if lam != 0 else grad  # 1. g ← g_t + λθ
        v = state["square_avg"]
        v *= alpha
        v += (1.0 - alpha) * (g * g)  # 2. v ← α v + (1 − α) g²
        if group["centered"]:
            if "grad_avg" not in state:
                state["grad_avg"] = np.zeros_like(p.data)
            m = state["grad_avg"]
            m *= alpha
            m += (1.0 - alpha) * g  # 3. m ← α m + (1 − α) g
            d = np.sqrt(np.maximum(v - m * m, 0.0)) + eps  # 3. d = √(v − m²) + ε
        else:
            d = np.sqrt(v) + eps  # 3. d = √v + ε
        if mu > 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(p.data)
            b = state["momentum_buffer"]
            b *= mu
            b += g / d  # 4. b ← μ b + g / d
            p.data -= lr * b  # 4. θ ← θ − η b
        else:
            p.data -= lr * g / d  # 4. θ ← θ − η g / d
