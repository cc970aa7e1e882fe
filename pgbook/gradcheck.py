"""Independent gradients: central finite differences and a relative error (notebook 03).

Central differences have truncation error O(eps^2) and round-off error O(machine eps / eps), so
the total error is smallest near eps ~ (machine eps)^(1/3) ~ 6e-6 for well-scaled functions.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._checks import as_float_array


def finite_difference(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    """Central difference (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every entry i; shaped like x."""
    x = as_float_array("x", x)
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """||a - b|| / max(||a||, ||b||), and 0 when both are zero (Euclidean norms over all entries)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)
