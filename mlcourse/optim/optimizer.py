"""The optimizer base class: parameter groups, per-parameter state, ``step``, ``zero_grad``.

Every optimizer of :mod:`mlcourse.optim` derives from :class:`Optimizer` and
only writes its update rule; so can a student. This file depends on
nothing but :mod:`mlcourse.module` and :mod:`mlcourse.validation`.

See Also
--------
Chapter 7 (optimizers).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..module import Module, Parameter
from ..validation import check_number

__all__ = ["Optimizer"]


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
    A sub-class passes its hyper-parameters as ``defaults`` and implements

    * :meth:`_update` (the update rule for one parameter, from its gradient,
      its group's hyper-parameters and its own ``state`` dict), and
    * optionally :meth:`_validate_group` (check one group's hyper-parameters;
      call ``super()._validate_group(group)`` first, which checks ``lr``).

    :meth:`step` calls ``_update`` once per trainable parameter. For example,
    plain gradient descent ``θ ← θ − η g`` is::

        class GD(Optimizer):
            def __init__(self, params, lr=0.1):
                super().__init__(params, dict(lr=lr))

            def _update(self, p, grad, group, state):
                p.data -= group["lr"] * grad
    """

    def __init__(
        self, params: Iterable[Parameter] | Iterable[dict[str, Any]], defaults: dict[str, Any]
    ) -> None:
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
            self.add_param_group(group)  # type: ignore[arg-type]  # add_param_group checks it

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
            raise ValueError(
                f"{name}: a parameter group needs a 'params' entry, got keys {list(group)}"
            )
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
        """Raise for invalid hyper-parameters of one group; sub-classes extend it."""
        check_number(group["lr"], type(self).__name__, "learning rate lr", low=0.0)

    @property
    def lr(self) -> float:
        """The learning rate of the first group; setting it sets every group."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        value = check_number(value, type(self).__name__, "learning rate lr", low=0.0)
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

    def _update(
        self, p: Parameter, grad: NDArray[np.floating], group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        """Update ``p.data`` in place from ``grad``; keep what later steps need in ``state``."""
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
        params: dict[int, Parameter] = {}
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
