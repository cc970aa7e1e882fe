"""Figures for the notebooks at lecture size (a helper module: readers need not study it).

`use_style()` makes every figure projector-ready: full width is `FULL_WIDTH` inches at `DPI`, so a
default figure renders about 1000 px wide in Jupyter's inline backend (which saves at the figure's
dpi and crops to the drawn area), and every text is at least 13 pt, i.e. at least 16 px (12 CSS pt)
even when a browser scales that figure down to 900 px. One colour cycle (Okabe & Ito's, which
colour-blind readers can tell apart), exact values always in `EXACT_COLOR`, legends beside the axes
(`legend`). Every plot helper takes `ax=None` (a new axis is made) and returns the axis it drew on.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

from ._checks import as_float_array, check_real, same_shape

FULL_WIDTH = 10.0  # inches: plt.subplots(1, 2, figsize=(FULL_WIDTH, 4)) is a full-width figure
DPI = 100
CYCLE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")  # Okabe-Ito
EXACT_COLOR = "black"  # exact values (the truth an estimate is held against), in every figure
LABELS = {  # one spelling of each recurring axis label
    "J": r"$J(\theta)$", "grad": r"$\nabla_\theta J$", "update": "update $k$", "step": "step $k$",
    "N": "episodes $N$", "p_right": r"$p(\mathrm{right})$", "pi": r"$\pi(a)$", "sigma": r"$\sigma$",
}
STYLE = {
    "figure.figsize": (FULL_WIDTH, 4.2), "figure.dpi": DPI, "savefig.dpi": "figure",
    "figure.constrained_layout.use": True,  # room for labels and outside legends; no tight_layout()
    "font.size": 14, "axes.titlesize": 15, "axes.labelsize": 14, "xtick.labelsize": 13,
    "ytick.labelsize": 13, "legend.fontsize": 13, "legend.title_fontsize": 13,
    "figure.titlesize": 16, "axes.prop_cycle": cycler(color=CYCLE), "lines.linewidth": 2.2,
    "lines.markersize": 7, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
    "axes.spines.right": False, "legend.frameon": False, "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply pgbook's lecture style. Call it once in a notebook's setup cell (not done on import)."""
    plt.rcParams.update(STYLE)


def _axis(ax):
    return plt.subplots()[1] if ax is None else ax


def legend(ax, where: str = "right", **kwargs):
    """A legend beside the axes instead of on the data: where is "right", "below" or "above"."""
    places = {"right": dict(loc="upper left", bbox_to_anchor=(1.01, 1.0)),
              "below": dict(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=3),
              "above": dict(loc="lower center", bbox_to_anchor=(0.5, 1.02), ncols=3)}
    if where not in places:
        raise ValueError(f"where must be one of {sorted(places)}, got {where!r}")
    return ax.legend(**(places[where] | kwargs))


def jitter(n: int, width: float = 0.56) -> np.ndarray:
    """n offsets spread evenly over [-width/2, width/2) with no random numbers (the golden-ratio
    sequence), to spread the dots of a strip plot: the same picture on every run."""
    return (np.arange(n) * 0.6180339887) % 1 * width - width / 2


def error_bars(labels, means, stderrs, truth=None, k: float = 2.0, ax=None):
    """Point estimates with +-k standard errors, and the true values as black bars if given.

    labels: (n,) names; means, stderrs, truth: (n,). The estimates are the errorbar container
    labelled "estimate ..."; the exact values the horizontal segments labelled "exact", drawn
    behind the estimates and wider than them, so that an estimate on the truth stays visible.
    """
    means = as_float_array("means", means, ndim=1)
    stderrs = as_float_array("stderrs", stderrs, ndim=1)
    k = check_real("k", k, 0.0)
    arrays = {"labels": np.asarray(labels), "stderrs": stderrs}
    if truth is not None:
        arrays["truth"] = truth = as_float_array("truth", truth, ndim=1)
    same_shape(means=means, **arrays)
    if (stderrs < 0).any():
        raise ValueError(f"stderrs must be >= 0, got {stderrs.min():g}")
    ax = _axis(ax)
    x = np.arange(len(means))
    ax.errorbar(x, means, yerr=k * stderrs, fmt="o", capsize=6, elinewidth=2.2, zorder=2,
                label=rf"estimate $\pm$ {k:g} s.e.")
    if truth is not None:
        ax.hlines(truth, x - 0.3, x + 0.3, color=EXACT_COLOR, lw=3, label="exact", zorder=1.5)
    ax.set_xticks(x, [str(s) for s in labels])
    legend(ax)
    return ax


def mc_error_curve(n, errors, label: str = "Monte Carlo error", guide: bool = True, ax=None):
    """Log-log plot of an estimator's error against the sample size, with a c / sqrt(n) guide.

    n: (K,) sample sizes; errors: (K,) positive errors (e.g. the RMS error over independent batches).
    The dashed guide passes through the first point, so a slope parallel to it is the Monte Carlo
    rate 1/sqrt(n) (introduced in notebook 03).
    """
    n, errors = as_float_array("n", n, ndim=1), as_float_array("errors", errors, ndim=1)
    same_shape(errors=errors, n=n)
    if n.size == 0 or (n <= 0).any() or (errors <= 0).any():
        raise ValueError(f"n and errors must be non-empty and positive for a log-log plot, got "
                         f"min n = {n.min(initial=np.inf):g}, min error = {errors.min(initial=np.inf):g}")
    ax = _axis(ax)
    ax.loglog(n, errors, "o-", label=label)
    if guide:
        ax.loglog(n, errors[0] * np.sqrt(n[0] / n), "--", color=EXACT_COLOR, lw=1.5,
                  label=r"$\propto 1/\sqrt{N}$ guide")
    ax.set_xlabel(LABELS["N"])
    ax.set_ylabel("error")
    legend(ax)
    return ax
