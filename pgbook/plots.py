"""Figures for the notebooks (a helper module: readers need not study it).

Every function takes `ax=None` (a new axis is made) and returns the axis it drew on.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 80,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
}


def use_style() -> None:
    """Apply pgbook's matplotlib defaults. Call it once in a notebook's setup cell (not done on import)."""
    plt.rcParams.update(STYLE)


def _axis(ax):
    return plt.subplots()[1] if ax is None else ax


def error_bars(labels, means, stderrs, truth=None, k: float = 2.0, ax=None):
    """Point estimates with +-k standard errors, and the true values as crosses if given."""
    ax = _axis(ax)
    x = np.arange(len(labels))
    ax.errorbar(x, means, yerr=k * np.asarray(stderrs), fmt="o", capsize=4, label=f"estimate +- {k:g} s.e.")
    if truth is not None:
        ax.plot(x, truth, "x", color="k", markersize=9, label="exact")
    ax.set_xticks(x, labels)
    ax.legend()
    return ax


def mc_error_curve(n, errors, label: str = "Monte Carlo error", guide: bool = True, ax=None):
    """Log-log plot of an estimator's error against the sample size, with a c / sqrt(n) guide.

    n: (K,) sample sizes; errors: (K,) positive errors (e.g. the RMS error over independent batches).
    The dashed guide passes through the first point, so a slope parallel to it is the Monte Carlo
    rate 1/sqrt(n) (introduced in notebook 03).
    """
    from ._checks import as_float_array  # plots stay importable on their own; checks are shared

    n, errors = as_float_array("n", n, ndim=1), as_float_array("errors", errors, ndim=1)
    if n.shape != errors.shape:
        raise ValueError(f"n has shape {n.shape} but errors has shape {errors.shape}; expected equal")
    if n.size == 0 or (n <= 0).any() or (errors <= 0).any():
        raise ValueError(f"n and errors must be non-empty and positive for a log-log plot, got "
                         f"min n = {n.min(initial=np.inf):g}, min error = {errors.min(initial=np.inf):g}")
    ax = _axis(ax)
    ax.loglog(n, errors, "o-", label=label)
    if guide:
        ax.loglog(n, errors[0] * np.sqrt(n[0] / n), "k--", label=r"$\propto 1/\sqrt{N}$ guide")
    ax.set_xlabel("number of episodes N")
    ax.set_ylabel("error")
    ax.legend()
    return ax
