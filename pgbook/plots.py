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
