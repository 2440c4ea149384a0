"""Save and load model weights: a model's ``state_dict`` in a NumPy ``.npz`` file.

The file holds one array per entry of ``model.state_dict()`` under its dotted
name (``"0.weight"``, ``"1.running_mean"``, ...) and nothing else, so it can
also be opened with ``np.load``. Loading goes into an existing model of the
same architecture: build the model, then ``load(model, path)``.

See Also
--------
Chapter 12 (putting it together) saves a trained MNIST classifier and loads
it back.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Mapping

import numpy as np
from numpy.typing import NDArray

from .module import Module, StateDictMismatchError, state_dict_problems

__all__ = ["StateDictMismatchError", "save", "load", "load_state"]


def _npz_path(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def save(model: Module | Mapping[str, NDArray], path: str | os.PathLike[str]) -> Path:
    """Write the model's parameters and buffers to an ``.npz`` file.

    Parameters
    ----------
    model : Module or mapping of str -> ndarray
        A model (its ``state_dict()`` is saved) or a state dict.
    path : path-like
        ``".npz"`` is appended when the name does not end with it (as
        ``np.savez`` does). Missing parent directories are an error.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    state = model.state_dict() if isinstance(model, Module) else model
    if not isinstance(state, Mapping):
        raise TypeError(f"save: expected a Module or a state dict, got {type(model).__name__}")
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"save: state names must be non-empty strings without '/', got {name!r}")
        arrays[name] = np.asarray(value)
    target = _npz_path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"save: the directory {target.parent} does not exist")
    with open(target, "wb") as f:
        np.savez(f, **arrays)
    return target


def load_state(path: str | os.PathLike[str]) -> "OrderedDict[str, NDArray]":
    """Read a file written by :func:`save` into a state dict (name -> array)."""
    target = Path(path)
    if not target.exists() and target.suffix != ".npz":
        target = _npz_path(target)
    if not target.is_file():
        raise FileNotFoundError(f"load: no such file {target}")
    with np.load(target, allow_pickle=False) as npz:
        return OrderedDict((name, npz[name]) for name in npz.files)


def load(model: Module, path: str | os.PathLike[str], strict: bool = True) -> Module:
    """Load weights saved by :func:`save` into ``model`` (same architecture); returns the model.

    Parameters
    ----------
    model : Module
        The model to fill; build it first with the same layers as the saved one.
    path : path-like
        The ``.npz`` file (the suffix may be left out).
    strict : bool, default True
        Require exactly the model's names. With False, entries missing from
        the file keep their current values and extra entries are ignored;
        shapes must still match.

    Returns
    -------
    Module
        ``model``, with its parameters and buffers replaced.

    Raises
    ------
    StateDictMismatchError
        Listing every missing name, unexpected name and shape mismatch; the
        model is left unchanged.
    """
    if not isinstance(model, Module):
        raise TypeError(f"load: the first argument must be the Module to load into, got "
                        f"{type(model).__name__}; use load_state(path) to read the arrays only")
    state = load_state(path)
    problems = state_dict_problems(model.state_dict(), state, strict, source="file")
    if problems:
        raise StateDictMismatchError(
            f"load: {path} does not fit {type(model).__name__} - " + " | ".join(problems)
            + ". Build the model with the same layers and sizes as the one that was saved",
            problems,
        )
    model.load_state_dict(state, strict=False)
    return model
