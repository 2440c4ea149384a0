"""mlcourse: the foundations of deep learning, derived by hand and written in NumPy.

Every public name lives in the module that implements the idea a chapter
teaches (``mlcourse.layers``, ``mlcourse.losses``, ``mlcourse.optim``, ...)
and is re-exported here. Names are resolved lazily on first use, so
``import mlcourse`` stays fast and matplotlib or ipywidgets load only when a
plot or a widget is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    # chapter 2 and 5: the core abstraction
    "Parameter": "module",
    "Module": "module",
    "Sequential": "module",
    "Linear": "layers",
    "Flatten": "layers",
    # chapter 3: activations
    "Identity": "activations",
    "Sigmoid": "activations",
    "Tanh": "activations",
    "ReLU": "activations",
    "LeakyReLU": "activations",
    "PReLU": "activations",
    "RReLU": "activations",
    "ELU": "activations",
    "SELU": "activations",
    "GELU": "activations",
    "Softplus": "activations",
    "Softsign": "activations",
    "Softmax": "activations",
    "binary_step": "activations",
    "arctan": "activations",
    "binary_step_grad": "activations",
    "arctan_grad": "activations",
    "Activation": "activations",
    "ACTIVATIONS": "activations",
    "activation_names": "activations",
    "activation_and_derivative": "activations",
    # chapter 4: losses
    "Loss": "losses",
    "MSELoss": "losses",
    "L1Loss": "losses",
    "BCELoss": "losses",
    "BCEWithLogitsLoss": "losses",
    "CrossEntropyLoss": "losses",
    # chapters 10 and 11: regularization and normalization
    "Dropout": "regularization",
    "LayerDrop": "regularization",
    "BatchNorm1d": "normalization",
    "LayerNorm": "normalization",
    "Residual": "layers",
    "l1_penalty": "regularization",
    "l2_penalty": "regularization",
    "EarlyStopping": "callbacks",
    "prune_layerdrop": "regularization",
    # chapters 6 and 12: data and the training loop
    "DataLoader": "data",
    "load_mnist": "data",
    "load_digits": "data",
    "train_val_split": "data",
    "kfold_indices": "data",
    "Standardizer": "data",
    "fit": "train",
    "History": "history",
    "evaluate": "metrics",
    "accuracy": "metrics",
    "predict": "metrics",
    "predict_proba": "metrics",
    "predict_logits": "metrics",
    "Callback": "callbacks",
    "TrainingDivergedError": "train",
    "clip_grad_norm_": "train",
    "save": "io",
    "load": "io",
}

_SUBMODULES = {
    "module", "layers", "activations", "functional", "losses", "gradcheck", "autograd", "init",
    "optim", "schedules", "regularization", "normalization", "data", "train", "callbacks",
    "history", "metrics", "io", "plotting", "widgets", "grading", "validation",
}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'mlcourse' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
