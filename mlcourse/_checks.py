"""Former home of the input checks; they live in :mod:`mlcourse.validation` now."""

from __future__ import annotations

from .validation import (
    as_float_array,
    check_finite,
    check_grad_output,
    check_ndim,
    check_same_shape,
)

__all__ = ["as_float_array", "check_finite", "check_grad_output", "check_ndim", "check_same_shape"]
