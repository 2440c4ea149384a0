"""Adagrad: per-coordinate learning rates from the sum of squared gradients.

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

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: per-coordinate learning rates from the sum of squared gradients.

    Parameters
    ----------
    params : iterable of Parameter or of dict
    lr : float, default 1e-2
        Learning rate η >= 0.
    lr_decay : float, default 0
        Decay d >= 0 of the learning rate with the step count.
    weight_decay : float, default 0
        L2 penalty λ >= 0 added to the gradient.
    initial_accumulator_value : float, default 0
        Starting value (>= 0) of the sum of squares.
    eps : float, default 1e-10
        Added to the denominator for numerical stability (>= 0).

    Notes
    -----
    Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online
    Learning and Stochastic Optimization" (JMLR 2011). At step ``t = 1, 2, ...``:

    1. ``g ← g_t + λ θ`` (if λ ≠ 0);
    2. ``η_t = η / (1 + (t − 1) d)``;
    3. ``s ← s + g²`` (element-wise, ``s`` starts at ``initial_accumulator_value``);
    4. ``θ ← θ − η_t g / (√s + ε)``.

    Coordinates with large past gradients take small steps. Since ``s`` only
    grows, the effective step size decays for ever, which is what RMSprop
    fixes.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number(group[name], "Adagrad", name, low=0.0)

    def _update(
        self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, float(group["initial_accumulator_value"]))
        state["step"] += 1
        t = state["step"]
        lam, eps = float(group["weight_decay"]), float(group["eps"])
        g = grad + lam * p.data if lam != 0 else grad  # 1. g ← g_t + λθ
        lr_t = float(group["lr"]) / (1.0 + (t - 1) * float(group["lr_decay"]))  # 2. η_t
        s = state["sum"]
        s += g * g  # 3. s ← s + g²
        p.data -= lr_t * g / (np.sqrt(s) + eps)  # 4. θ ← θ − η_t g / (√s + ε)
