"""Independent gradients: central finite differences and a relative error (notebook 03).

Central differences have truncation error O(eps^2) and round-off error O(machine eps / eps), so
the total error is smallest near eps ~ (machine eps)^(1/3) ~ 6e-6 for well-scaled functions.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._checks import as_float_array


def finite_difference(f: Callable[[np.ndarray], float | np.ndarray], x, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every entry i of x.

    For a scalar f the result is shaped like x (a gradient); for an array-valued f it is the
    Jacobian, shaped f(x).shape + x.shape, so jac[i, j] = d f_i / d x_j.
    """
    x = as_float_array("x", x)
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    columns = []
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    out = np.stack(columns, axis=-1)  # f.shape + (x.size,)
    return out.reshape(out.shape[:-1] + x.shape)


def relative_error(a, b) -> float:
    """||a - b|| / max(||a||, ||b||), and 0 when both are zero (Euclidean norms over all entries)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)
