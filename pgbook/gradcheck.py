"""Independent gradients: central finite differences and a relative error (notebook 03).

Central differences have truncation error O(eps^2) and round-off error O(machine eps / eps), so
the total error is smallest near eps ~ (machine eps)^(1/3) ~ 6e-6 for well-scaled functions.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_real


def finite_difference(f: Callable[[np.ndarray], float | np.ndarray], x: ArrayLike, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every entry i of x.

    For a scalar f the result is shaped like x (a gradient); for an array-valued f it is the
    Jacobian, shaped f(x).shape + x.shape, so jac[i, j] = d f_i / d x_j. f receives fresh arrays,
    so x is never modified; a NaN or inf from f is refused in words rather than passed on.
    """
    x = as_float_array("x", x)
    eps = check_real("eps", eps)
    if eps <= 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    columns = []
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    out = np.stack(columns, axis=-1)  # f.shape + (x.size,)
    bad = np.argwhere(~np.isfinite(out))
    if bad.size:
        i = np.unravel_index(int(bad[0, -1]), x.shape)
        raise ValueError(f"f is not finite at x +- eps e_i for i = {list(map(int, i))} (eps = {eps:g}): "
                         f"the difference quotient came out {out[tuple(bad[0])]}")
    return out.reshape(out.shape[:-1] + x.shape)


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    """||a - b|| / max(||a||, ||b||), and 0 when both are zero (Euclidean norms over all entries)."""
    a, b = as_float_array("a", a), as_float_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)
