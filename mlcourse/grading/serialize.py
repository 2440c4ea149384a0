"""A safe wire format for values coming back from student code.

Student code is untrusted, so what its process sends back must never be
unpickled (unpickling can run arbitrary code). Values are encoded as JSON, with
NumPy arrays as dtype, shape and base64 bytes; decoding builds only plain
containers, numbers, strings and arrays of numeric or boolean dtype.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

_ALLOWED_KINDS = set("biufc")  # bool, int, uint, float, complex
MAX_DEPTH = 20


class UnsupportedValue(TypeError):
    """Raised for a value that cannot travel between the grader and student code."""


def encode(value: Any) -> str:
    """Encode ``value`` (arrays, numbers, strings, None, lists, tuples, dicts) as JSON text."""
    return json.dumps(_to_jsonable(value, 0))


def decode(text: str | bytes) -> Any:
    """Inverse of :func:`encode`; raises ValueError on anything malformed."""
    try:
        return _from_jsonable(json.loads(text), 0)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed value: {exc}") from exc


def _to_jsonable(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise UnsupportedValue("value is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return {"__int__": str(int(value))}
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return {"__float__": repr(v)} if not math.isfinite(v) else v
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (complex, np.complexfloating)):
        return {"__complex__": [float(np.real(value)), float(np.imag(value))]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ALLOWED_KINDS:
            raise UnsupportedValue(f"arrays of dtype {value.dtype} cannot be returned; use numbers")
        array = np.ascontiguousarray(value)
        return {
            "__ndarray__": base64.b64encode(array.tobytes()).decode("ascii"),
            "dtype": array.dtype.str,
            "shape": list(array.shape),
        }
    if isinstance(value, tuple):
        return {"__tuple__": [_to_jsonable(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [_to_jsonable(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise UnsupportedValue("dictionaries must have string keys")
        return {"__dict__": {k: _to_jsonable(v, depth + 1) for k, v in value.items()}}
    raise UnsupportedValue(
        f"a value of type {type(value).__name__} cannot be returned; return NumPy arrays, "
        "numbers or tuples of them"
    )


def _from_jsonable(obj: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("value is nested too deeply")
    if obj is None or isinstance(obj, (bool, str, float)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, list):
        return [_from_jsonable(v, depth + 1) for v in obj]
    if isinstance(obj, dict):
        if "__int__" in obj:
            return int(obj["__int__"])
        if "__float__" in obj:
            return float(obj["__float__"])
        if "__complex__" in obj:
            re, im = obj["__complex__"]
            return complex(float(re), float(im))
        if "__tuple__" in obj:
            return tuple(_from_jsonable(v, depth + 1) for v in obj["__tuple__"])
        if "__dict__" in obj:
            return {str(k): _from_jsonable(v, depth + 1) for k, v in obj["__dict__"].items()}
        if "__ndarray__" in obj:
            dtype = np.dtype(str(obj["dtype"]))
            if dtype.kind not in _ALLOWED_KINDS:
                raise ValueError(f"dtype {dtype} not allowed")
            shape = tuple(int(s) for s in obj["shape"])
            data = base64.b64decode(obj["__ndarray__"], validate=True)
            return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    raise ValueError(f"unexpected value in encoded data: {type(obj).__name__}")
