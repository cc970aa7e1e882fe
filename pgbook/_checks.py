"""Input checks shared by the package: every message names the problem and the offending value.

Not part of the taught material; the math modules call these so that bad input fails early with
an error a learner can act on, instead of a traceback from deep inside numpy.
"""
from __future__ import annotations

import numbers

import numpy as np


def as_float_array(name: str, x, ndim: int | None = None) -> np.ndarray:
    """Return `x` as a new float64 array; TypeError for non-numbers, ValueError for NaN/inf or bad ndim."""
    try:
        arr = np.array(x, dtype=np.float64)  # always a copy: callers may freeze it
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}: {err}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if arr.ndim == 0 and not np.isfinite(arr):  # argwhere finds no index in a 0-d array
        raise ValueError(f"{name} is {arr}, expected a finite number")
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        raise ValueError(f"{name}{list(idx)} is {arr[idx]}, expected a finite number")
    return arr


def check_probability(name: str, x: np.ndarray, axis: int = -1, atol: float = 1e-8) -> None:
    """ValueError unless `x` is non-negative and sums to 1 along `axis` (message gives the first bad index)."""
    neg = np.argwhere(x < 0)
    if neg.size:
        idx = tuple(int(i) for i in neg[0])
        raise ValueError(f"{name}{list(idx)} is {x[idx]:.6g}, expected a probability (>= 0)")
    sums = np.asarray(x.sum(axis=axis))
    if x.ndim == 1:
        if abs(float(sums) - 1.0) > atol:
            raise ValueError(f"{name} sums to {float(sums):.6g}, expected 1")
        return
    bad = np.argwhere(np.abs(sums - 1.0) > atol)
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        label = f"{name}[{', '.join(str(i) for i in idx)}, :]"
        raise ValueError(f"{label} sums to {sums[idx]:.6g}, expected 1")


def check_real(name: str, value, low: float, high: float) -> float:
    """Return `value` as a float in [low, high]; TypeError for non-numbers, ValueError outside the range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not (low <= value <= high):  # also rejects NaN
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value!r}")
    return value


def check_positive_int(name: str, value) -> int:
    """Return `value` as an int >= 1; TypeError for non-integers, ValueError for smaller values."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)
