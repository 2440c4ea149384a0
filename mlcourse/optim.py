"""Optimizers: SGD (with momentum and Nesterov), Adagrad, RMSprop, Adam and AdamW.

Each optimizer follows PyTorch's ``torch.optim`` update rule and defaults
exactly (the tests compare them step by step), so what a student learns here
carries over unchanged. Usage is the same as in PyTorch::

    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    for x, y in loader:
        model.zero_grad()            # or opt.zero_grad()
        loss = loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        opt.step()

Parameters are updated in place (``p.data -= ...``) and keep their dtype:
float32 weights stay float32. Parameters with ``requires_grad=False`` are
skipped (frozen).

See Also
--------
Chapter 7 (optimizers) derives every update rule; chapter 8 changes the
learning rate during training with :mod:`mlcourse.schedules`.
"""

from __future__ import annotations

import copy
import math
from numbers import Real
from typing import Any, Callable, Iterable

import numpy as np
from numpy.typing import NDArray

from .module import Module, Parameter

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]


def _check_number(owner: str, name: str, value: Any, low: float, high: float | None = None,
                  high_inclusive: bool = False) -> float:
    """Return ``value`` as a float or raise ValueError naming the valid range."""
    if high is None:
        interval = f"[{low}, inf)"
    else:
        interval = f"[{low}, {high}{']' if high_inclusive else ')'}"
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number in {interval}, got {value!r}")
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if value < low or too_high:
        raise ValueError(f"{owner}: invalid {name} {value!r}; expected a value in {interval}")
    return float(value)


def _buffer(state: dict[str, Any], name: str, like: NDArray[np.floating]) -> NDArray[np.floating]:
    """``state[name]``, created as zeros shaped like ``like`` on first use."""
    buf = state.get(name)
    if buf is None:
        buf = state[name] = np.zeros_like(like)
    return buf


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``step`` and ``zero_grad``.

    Parameters
    ----------
    params : iterable of Parameter, or iterable of dict
        The parameters to optimise, e.g. ``model.parameters()``. Alternatively a
        list of *parameter groups*: dicts with a ``"params"`` entry and any
        hyper-parameters that should differ from the defaults for that group,
        e.g. ``[{"params": body.parameters()}, {"params": head.parameters(),
        "lr": 0.1}]``.
    defaults : dict
        The hyper-parameters of a group that does not set them itself.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` (a list of Parameters) and the
        hyper-parameters (``"lr"``, ``"momentum"``, ...). Learning-rate
        schedules change ``group["lr"]``.
    state : dict
        Per-parameter state keyed by the Parameter (momentum buffers, moment
        estimates, step counts), created on the first ``step``.
    defaults : dict

    Notes
    -----
    Sub-classes implement :meth:`_validate_group` (check the hyper-parameters
    of one group) and :meth:`_update` (the update rule for one parameter).
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict[str, Any]],
                 defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Parameter, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, Module):
            raise TypeError(
                f"{name}: expected an iterable of Parameters, got the module "
                f"{type(params).__name__}; pass model.parameters()"
            )
        if isinstance(params, (Parameter, np.ndarray)):
            raise TypeError(
                f"{name}: params must be an iterable of Parameters (e.g. model.parameters()), "
                f"got a single {type(params).__name__}"
            )
        try:
            groups = list(params)
        except TypeError as exc:
            raise TypeError(
                f"{name}: params must be an iterable of Parameters or of dicts, "
                f"got {type(params).__name__}"
            ) from exc
        if not groups:
            raise ValueError(f"{name} got an empty parameter list: there is nothing to optimise")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters, e.g. layers unfrozen later in fine-tuning.

        Parameters
        ----------
        group : dict
            ``"params"`` (a Parameter or an iterable of them) and optional
            hyper-parameters; missing ones are taken from ``defaults``.
        """
        name = type(self).__name__
        if not isinstance(group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got {type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry, got keys {list(group)}")
        params = group["params"]
        params = [params] if isinstance(params, Parameter) else list(params)
        if not params:
            raise ValueError(f"{name}: a parameter group has an empty 'params' list")
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{name}: parameters must be mlcourse.Parameter objects; item {i} of a group "
                    f"is {type(p).__name__}"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group contains the same Parameter twice")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise ValueError(
                f"{name}: unknown hyper-parameter(s) {sorted(unknown)} in a parameter group; "
                f"expected some of {sorted(self.defaults)}"
            )
        new_group = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        new_group["params"] = params
        self._validate_group(new_group)
        self.param_groups.append(new_group)

    def _validate_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for invalid hyper-parameters of one group; override."""
        _check_number(type(self).__name__, "learning rate lr", group["lr"], 0.0)

    @property
    def lr(self) -> float:
        """The learning rate of the first group; setting it sets every group."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        value = _check_number(type(self).__name__, "learning rate lr", value, 0.0)
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to zero (in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad.fill(0)

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Update every trainable parameter once, from its current ``.grad``.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss (as in PyTorch); its
            value is returned.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if not p.requires_grad:
                    continue
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                self._update(p, p.grad, group, state)
        return loss

    def _update(self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any],
                state: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    def state_dict(self) -> dict[str, Any]:
        """A copy of the optimizer's state, with parameters replaced by their index.

        Returns
        -------
        dict
            ``"state"``: {index: {name: value}} for parameters with state;
            ``"param_groups"``: the hyper-parameters, with ``"params"`` as
            lists of indices in the order of ``param_groups``.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {
            index[id(p)]: copy.deepcopy(s)
            for group in self.param_groups
            for p in group["params"]
            if (s := self.state.get(p))
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict` (same groups, same shapes)."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state has {len(saved_groups)} parameter groups, "
                f"the optimizer {len(self.param_groups)}"
            )
        for i, (saved, own) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(saved['params'])} parameters in the "
                    f"state and {len(own['params'])} in the optimizer"
                )
        params = {}
        for saved, own in zip(saved_groups, self.param_groups):
            params.update(zip(saved["params"], own["params"]))
        new_state: dict[Parameter, dict[str, Any]] = {}
        for key, values in state_dict["state"].items():
            p = params[key]
            restored = {}
            for k, v in values.items():
                if isinstance(v, np.ndarray):
                    if v.shape != p.data.shape:
                        raise ValueError(
                            f"{name}.load_state_dict: state {k!r} of parameter {key} has shape "
                            f"{v.shape}, the parameter {p.data.shape}"
                        )
                    v = v.astype(p.data.dtype, copy=True)
                restored[k] = copy.deepcopy(v) if not isinstance(v, np.ndarray) else v
            new_state[p] = restored
        for saved, own in zip(saved_groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    own[k] = v
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)


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

    def __init__(self, params: Iterable[Parameter] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                        weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        _check_number("SGD", "momentum", group["momentum"], 0.0, 1.0)
        _check_number("SGD", "dampening", group["dampening"], 0.0, 1.0, high_inclusive=True)
        _check_number("SGD", "weight_decay", group["weight_decay"], 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r} and dampening={group['dampening']!r}"
            )

    def _update(self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any],
                state: dict[str, Any]) -> None:
        lr = float(group["lr"])
        momentum = float(group["momentum"])
        weight_decay = float(group["weight_decay"])
        if weight_decay != 0:
            grad = grad + weight_decay * p.data
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, copy=True)
            else:
                buf *= momentum
                dampening = float(group["dampening"])
                if dampening == 0:
                    buf += grad
                else:
                    buf += (1.0 - dampening) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        p.data -= lr * grad


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

    def __init__(self, params: Iterable[Parameter] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        _check_number("Adagrad", "lr_decay", group["lr_decay"], 0.0)
        _check_number("Adagrad", "weight_decay", group["weight_decay"], 0.0)
        _check_number("Adagrad", "initial_accumulator_value", group["initial_accumulator_value"], 0.0)
        _check_number("Adagrad", "eps", group["eps"], 0.0)

    def _update(self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any],
                state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, float(group["initial_accumulator_value"]))
        state["step"] += 1
        weight_decay = float(group["weight_decay"])
        if weight_decay != 0:
            grad = grad + weight_decay * p.data
        clr = float(group["lr"]) / (1.0 + (state["step"] - 1) * float(group["lr_decay"]))
        total = state["sum"]
        total += grad * grad
        denom = np.sqrt(total)
        denom += float(group["eps"])
        np.divide(grad, denom, out=denom)
        denom *= clr
        p.data -= denom


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

    def __init__(self, params: Iterable[Parameter] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        _check_number("RMSprop", "alpha", group["alpha"], 0.0, 1.0)
        _check_number("RMSprop", "eps", group["eps"], 0.0)
        _check_number("RMSprop", "weight_decay", group["weight_decay"], 0.0)
        _check_number("RMSprop", "momentum", group["momentum"], 0.0, 1.0)

    def _update(self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any],
                state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        alpha = float(group["alpha"])
        momentum = float(group["momentum"])
        weight_decay = float(group["weight_decay"])
        if weight_decay != 0:
            grad = grad + weight_decay * p.data
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1.0 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = _buffer(state, "grad_avg", p.data)
            grad_avg += (1.0 - alpha) * (grad - grad_avg)
            denom = square_avg - grad_avg * grad_avg
            np.maximum(denom, 0, out=denom)
            np.sqrt(denom, out=denom)
        else:
            denom = np.sqrt(square_avg)
        denom += float(group["eps"])
        np.divide(grad, denom, out=denom)
        if momentum > 0:
            buf = _buffer(state, "momentum_buffer", p.data)
            buf *= momentum
            buf += denom
            p.data -= float(group["lr"]) * buf
        else:
            denom *= float(group["lr"])
            p.data -= denom


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

    def __init__(self, params: Iterable[Parameter] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        name = type(self).__name__
        betas = group["betas"]
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}") from None
        _check_number(name, "betas[0] (beta1)", beta1, 0.0, 1.0)
        _check_number(name, "betas[1] (beta2)", beta2, 0.0, 1.0)
        _check_number(name, "eps", group["eps"], 0.0)
        _check_number(name, "weight_decay", group["weight_decay"], 0.0)

    def _update(self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any],
                state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        step = state["step"]
        lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        weight_decay = float(group["weight_decay"])
        if weight_decay != 0:
            if self._decoupled:
                p.data *= 1.0 - lr * weight_decay
            else:
                grad = grad + weight_decay * p.data
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1.0 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1.0 - beta2) * (grad * grad)
        bias_correction1 = 1.0 - beta1**step
        bias_correction2 = 1.0 - beta2**step
        if group["amsgrad"]:
            max_sq = _buffer(state, "max_exp_avg_sq", p.data)
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
            denom = np.sqrt(max_sq)
        else:
            denom = np.sqrt(exp_avg_sq)
        denom /= math.sqrt(bias_correction2)
        denom += float(group["eps"])
        np.divide(exp_avg, denom, out=denom)
        denom *= lr / bias_correction1
        p.data -= denom


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

    def __init__(self, params: Iterable[Parameter] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)
