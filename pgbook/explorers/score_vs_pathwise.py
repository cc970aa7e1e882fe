"""Notebook 06's explorer: score-function vs pathwise estimates of dF/dmu for x ~ N(mu, sigma^2), as
sigma shrinks (the score function's variance explodes) and as the cost steepens into a step (the
pathwise estimate is mostly 0, then exactly 0 with a zero error bar: confidently wrong)."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from scipy.special import ndtr

from .._checks import check_int, check_real
from ..pathwise import pathwise_gaussian, score_gaussian
from ..plots import CYCLE, EXACT_COLOR, jitter, legend
from ._view import view

MU = -0.5  # notebook 06's ball, launched to x ~ N(mu, sigma^2), scores if it clears the wall at 0
N_DRAWS = 1000
WIDTHS = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0)  # steepness of the cost; 0 is a step
X_GRID = np.linspace(-3, 2, 1001)
SAMPLE_RANGE = 1000.0  # the strips' symmetric-log x-range: +-SAMPLE_RANGE
NAMES, ROWS = ("score function", "pathwise"), (1, 0)


def _cost(width: float):
    """f(x) = Phi(x / width) and f' (width 0: the step 1{x > 0} and 0), Phi the standard normal CDF.

    Chosen for its closed form: E[Phi(x / w)] over x ~ N(mu, sigma^2) is Phi(mu / s), s = sqrt(sigma^2 + w^2),
    so dF/dmu = phi(mu / s) / s exactly, for every width including the step.
    """
    if width == 0:
        return (lambda x: (x > 0).astype(float)), np.zeros_like
    return (lambda x: ndtr(x / width)), (lambda x: np.exp(-0.5 * (x / width) ** 2) / (width * np.sqrt(2 * np.pi)))


def _build(v, ax, bx):
    v.cost, = v.track(*ax.plot([], [], color=EXACT_COLOR, gid="cost", label="cost $f(x)$"))
    v.density, = v.track(*ax.plot([], [], color=CYCLE[5], gid="density", label="density of $x$ (scaled)"))
    v.draws, = v.track(*ax.plot([], [], "|", ms=14, color=CYCLE[0], gid="draws", label="draws of $x$"))
    ax.set(xlim=(X_GRID[0], X_GRID[-1]), ylim=(-0.15, 1.1), xlabel="$x$")
    legend(ax, "below", ncols=2)
    v.dots = v.track(*[bx.plot(np.zeros(N_DRAWS), y + jitter(N_DRAWS), "o", ms=4, alpha=0.4, color=CYCLE[i],
                               gid=f"samples:{name}")[0] for i, (name, y) in enumerate(zip(NAMES, ROWS))])
    v.bars = v.track(*[bx.plot([], [], "|-", color=EXACT_COLOR, lw=3, ms=16, gid=f"mean:{name}")[0] for name in NAMES])
    v.stats = v.track(*[bx.text(-SAMPLE_RANGE, y + 0.33, "", fontsize=13, va="bottom", zorder=4,
                                bbox=dict(fc="white", ec="none", alpha=0.85, pad=1)) for y in ROWS])
    v.exact, = v.track(bx.axvline(0, color=EXACT_COLOR, lw=2, gid="exact"))
    bx.set_xscale("symlog", linthresh=1.0)
    ticks = [-100, -10, -1, 0, 1, 10, 100]
    bx.set(xlim=(-SAMPLE_RANGE, SAMPLE_RANGE), ylim=(-0.5, 1.75), yticks=ROWS,
           yticklabels=["score\nfunction", "pathwise"], xlabel=r"one-draw estimate of $dF/d\mu$")
    bx.set_xticks(ticks, [str(t) for t in ticks])
    bx.minorticks_off()
    bx.grid(False, axis="y")
    v.left, v.right = v.title(ax), v.title(bx)


def score_vs_pathwise_figure(sigma: float = 0.5, width: float = 0.01, seed: int = 0, axes=None) -> Figure:
    """x ~ N(MU, sigma^2), cost f(x) = Phi(x / width) (width 0: a step at 0), F(mu) = E[f(x)].

    Left: the cost, the density of x and the first 200 draws. Right: N_DRAWS one-draw estimates
    of dF/dmu from the same draws (default_rng(seed)), score function f(x) (x - mu) / sigma^2 (no
    baseline) and pathwise f'(x), with mean +-2 s.e. (black bars) and the exact dF/dmu (black
    line), on a symmetric-log axis. axes: None or the two axes to draw on. Returns the figure.
    """
    sigma = check_real("sigma", sigma, 1e-3, 10.0)
    width = check_real("width", width, 0.0, 10.0)
    seed = check_int("seed", seed, 0)
    f, df = _cost(width)
    s = np.hypot(sigma, width)
    exact = np.exp(-0.5 * (MU / s) ** 2) / (s * np.sqrt(2 * np.pi))
    estimates = [score_gaussian(f, MU, sigma, N_DRAWS, np.random.default_rng(seed)),
                 pathwise_gaussian(df, MU, sigma, N_DRAWS, np.random.default_rng(seed))]  # the same draws
    v = view(axes, _build, width_ratios=(1, 1.25))
    v.cost.set_data(X_GRID, f(X_GRID))
    density = np.exp(-0.5 * ((X_GRID - MU) / sigma) ** 2)
    v.density.set_data(X_GRID, 0.9 * density / density.max())
    v.draws.set_data(MU + sigma * np.random.default_rng(seed).standard_normal(200), np.full(200, -0.07))
    for est, y, dots, bar, text in zip(estimates, ROWS, v.dots, v.bars, v.stats):
        g, m, se = est.samples[:, 0], est.mean[0], est.stderr[0]
        dots.set_xdata(np.clip(g, -SAMPLE_RANGE, SAMPLE_RANGE))
        bar.set_data([m - 2 * se, m + 2 * se], [y, y])
        beyond = int((np.abs(g) > SAMPLE_RANGE).sum())
        text.set_text(f"mean {m:.3g} ± {2 * se:.2g} (2 s.e.), s.d. {g.std(ddof=1):.3g}"
                      + (f", {beyond} beyond the axis" if beyond else ""))
    v.exact.set_xdata([exact, exact])
    v.left.set_text(f"σ = {sigma:.3g}, " + ("a step cost" if width == 0 else f"cost width {width:g}"))
    v.right.set_text(f"exact dF/dμ = {exact:.3g}")
    return v.figure
