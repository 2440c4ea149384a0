"""Every name that was public before the library was re-organised still imports from its old path.

The list was generated from the code as it stood before the split into one file
per idea (notebooks, exercise files and students' own code import these names),
so it must only ever grow.
"""

from __future__ import annotations

import importlib

import pytest

PUBLIC: dict[str, tuple[str, ...]] = {
    'mlcourse': (
        'ACTIVATIONS', 'Activation', 'BCELoss', 'BCEWithLogitsLoss', 'BatchNorm1d', 'Callback',
        'CrossEntropyLoss', 'DataLoader', 'Dropout', 'ELU', 'EarlyStopping', 'Flatten', 'GELU',
        'History', 'Identity', 'L1Loss', 'LayerDrop', 'LayerNorm', 'LeakyReLU', 'Linear',
        'Loss', 'MSELoss', 'Module', 'PReLU', 'Parameter', 'RReLU', 'ReLU', 'Residual', 'SELU',
        'Sequential', 'Sigmoid', 'Softmax', 'Softplus', 'Softsign', 'Standardizer', 'Tanh',
        'TrainingDivergedError', 'accuracy', 'activation_and_derivative', 'activation_names',
        'activations', 'arctan', 'arctan_grad', 'autograd', 'binary_step', 'binary_step_grad',
        'clip_grad_norm_', 'data', 'evaluate', 'fit', 'gradcheck', 'grading', 'init', 'io',
        'kfold_indices', 'l1_penalty', 'l2_penalty', 'layers', 'load', 'load_digits',
        'load_mnist', 'losses', 'module', 'optim', 'plotting', 'predict', 'predict_logits',
        'predict_proba', 'prune_layerdrop', 'regularization', 'save', 'schedules', 'train',
        'train_val_split', 'widgets',
    ),
    'mlcourse.activations': (
        'ACTIVATIONS', 'Activation', 'ELU', 'GELU', 'Identity', 'LeakyReLU', 'PReLU', 'RReLU',
        'ReLU', 'SELU', 'Sigmoid', 'Softmax', 'Softplus', 'Softsign', 'Tanh',
        'activation_and_derivative', 'activation_names', 'arctan', 'arctan_grad', 'binary_step',
        'binary_step_grad', 'erf', 'erfc', 'log_softmax', 'sigmoid', 'softmax', 'softplus',
    ),
    'mlcourse.autograd': (
        'Value',
    ),
    'mlcourse.data': (
        'ChecksumError', 'DataLoader', 'MNIST_SHA256', 'NotFittedError', 'Standardizer',
        'as_generator', 'kfold_indices', 'load_digits', 'load_mnist', 'make_blobs',
        'make_circles', 'make_moons', 'make_regression_1d', 'make_spirals', 'make_xor',
        'train_val_split',
    ),
    'mlcourse.gradcheck': (
        'GradientCheckError', 'GradientComparison', 'GradientReport', 'check_loss_gradients',
        'check_module_gradients', 'numerical_gradient', 'numerical_gradient_array', 'rel_error',
    ),
    'mlcourse.init': (
        'NONLINEARITIES', 'Tensor', 'calculate_gain', 'compute_fans', 'constant_',
        'kaiming_normal_', 'kaiming_uniform_', 'lecun_normal_', 'lecun_uniform_', 'normal_',
        'ones_', 'uniform_', 'xavier_normal_', 'xavier_uniform_', 'zeros_',
    ),
    'mlcourse.io': (
        'StateDictMismatchError', 'load', 'load_state', 'save',
    ),
    'mlcourse.layers': (
        'Flatten', 'Linear',
    ),
    'mlcourse.losses': (
        'BCELoss', 'BCEWithLogitsLoss', 'CrossEntropyLoss', 'L1Loss', 'Loss', 'MSELoss',
    ),
    'mlcourse.module': (
        'BackwardBeforeForwardError', 'Module', 'Parameter', 'Sequential',
    ),
    'mlcourse.optim': (
        'Adagrad', 'Adam', 'AdamW', 'Optimizer', 'RMSprop', 'SGD',
    ),
    'mlcourse.plotting': (
        'COLORS', 'confusion_matrix', 'plot_confusion_matrix', 'plot_contours', 'plot_curves',
        'plot_decision_boundary', 'plot_function_and_derivative', 'plot_trajectory',
        'show_digits', 'style_path', 'use_style',
    ),
    'mlcourse.regularization': (
        'BatchNorm1d', 'Dropout', 'EarlyStopping', 'LayerDrop', 'LayerNorm', 'Residual',
        'l1_penalty', 'l2_penalty', 'prune_layerdrop',
    ),
    'mlcourse.schedules': (
        'CosineAnnealingLR', 'CosineAnnealingWarmRestarts', 'CyclicLR', 'ExponentialLR',
        'InverseTimeLR', 'LRScheduler', 'LambdaLR', 'LinearLR', 'MultiStepLR', 'SequentialLR',
        'StepLR', 'lr_curve',
    ),
    'mlcourse.train': (
        'Callback', 'History', 'TrainingDivergedError', 'accuracy', 'clip_grad_norm_',
        'evaluate', 'fit', 'predict', 'predict_logits', 'predict_proba',
    ),
    'mlcourse.widgets': (
        'Control', 'Dropdown', 'FRAME_COLORS', 'FRAME_DPI', 'Fixed', 'Frames', 'IntSlider',
        'InteractiveFigure', 'LIVE_DPI', 'Slider', 'WidgetDrawError', 'compute_frames',
        'frame_grid', 'interactive_figure', 'static_html',
    ),
    'mlcourse._checks': (
        'as_float_array', 'check_finite', 'check_grad_output', 'check_ndim', 'check_same_shape',
    ),
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_every_old_public_name_still_imports(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in PUBLIC[module] if not hasattr(mod, name)]
    assert not missing, f"{module} lost public names: {missing}"


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_from_import_works_for_every_name(module: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {module} import {', '.join(PUBLIC[module])}", namespace)
    assert all(name in namespace for name in PUBLIC[module])


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_no_old_name_is_shadowed_by_a_submodule(module: str) -> None:
    # a package whose submodule has the name of a function it re-exports (activations/softmax.py
    # beside the function softmax) hands out the submodule after the first import of it
    import types

    mod = importlib.import_module(module)
    submodules = set(PUBLIC["mlcourse"]) - {n for n in PUBLIC["mlcourse"] if n[:1].isupper()}
    shadowed = [name for name in PUBLIC[module] if isinstance(getattr(mod, name), types.ModuleType)
                and not (module == "mlcourse" and name in submodules)]
    assert not shadowed, f"{module}: these names are now modules, not what they were: {shadowed}"


def test_names_re_exported_by_mlcourse_are_the_same_objects() -> None:
    import mlcourse

    for module, names in PUBLIC.items():
        if module == "mlcourse":
            continue
        mod = importlib.import_module(module)
        for name in names:
            if name in mlcourse.__all__ and not isinstance(getattr(mlcourse, name), type(mod)):
                assert getattr(mlcourse, name) is getattr(mod, name), f"{module}.{name}"
