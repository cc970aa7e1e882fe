"""Score-function and pathwise samples side by side (notebook 06): as the policy's sigma shrinks,
and as the cost steepens into a step."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .._checks import as_float_array, check_real
from ..animation import Movie, animate
from ..plots import CYCLE, EXACT_COLOR, FULL_WIDTH, LABELS, STYLE, legend
from ._common import Strips, same_shape

NAMES = ("score function", "pathwise")


def _samples(values, score, pathwise, exact):
    """Check the shared arguments: values (F,), score and pathwise (F, M), exact a float or (F,)."""
    values = as_float_array("values", values, ndim=1)
    score, pathwise = as_float_array("score", score, ndim=2), as_float_array("pathwise", pathwise, ndim=2)
    same_shape(score=score, pathwise=pathwise)
    exact = np.broadcast_to(as_float_array("exact", exact), values.shape) if np.ndim(exact) == 0 else \
        as_float_array("exact", exact, ndim=1)
    same_shape(values=values, exact=exact, **{"score[:, 0]": score[:, 0]})
    if score.shape[1] < 2:
        raise ValueError(f"score and pathwise need at least 2 samples per frame, got shape {score.shape}")
    return values, score, pathwise, exact


def _range(score, pathwise, exact, width: float, xlim):
    """A fixed x-range: xlim if given, else exact +- width s.d. of the wider estimator in frame 0."""
    if xlim is not None:
        lo, hi = (check_real(f"xlim[{i}]", v) for i, v in enumerate(xlim))
        if lo >= hi:
            raise ValueError(f"xlim must be increasing, got {tuple(xlim)}")
        return lo, hi
    half = width * max(score[0].std(ddof=1), pathwise[0].std(ddof=1), 1e-12)
    return exact[0] - half, exact[0] + half


def sigma_shrinks(sigmas, score, pathwise, exact, width: float = 4.0, xlim=None, fps: float = 4) -> Movie:
    """As sigma shrinks, one-episode score-function samples spread while pathwise samples
    concentrate: strips of samples around the exact gradient (left) and each estimator's sample
    standard deviation against sigma (right).

    sigmas: (F,) the policy's sigma per frame (e.g. decreasing); score, pathwise: (F, M) one gradient
    component's per-episode samples (the same noise across frames makes the dots move smoothly);
    exact: the exact component, a float or (F,). The x-range is xlim, or exact +- `width` s.d. of
    the wider estimator in frame 0.
    """
    sigmas, score, pathwise, exact = _samples(sigmas, score, pathwise, exact)
    lo, hi = _range(score, pathwise, exact, check_real("width", width, 0.1), xlim)
    sd = np.stack([score.std(axis=1, ddof=1), pathwise.std(axis=1, ddof=1)])  # (2, F): what is drawn
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 4.2), width_ratios=(1.4, 1))
        strips = Strips(ax, NAMES, lo, hi, score.shape[1])
        ax.set_xlabel("one-episode gradient estimate")
        lines = [bx.loglog([], [], "o-", color=CYCLE[j], ms=5, gid=f"sd:{name}", label=name)[0]
                 for j, name in enumerate(NAMES)]
        bx.set(xlim=(sigmas.min() / 1.3, sigmas.max() * 1.3), ylim=(sd.min() / 2, sd.max() * 2),
               xlabel=LABELS["sigma"], ylabel="sample s.d.")
        if sigmas[-1] < sigmas[0]:
            bx.invert_xaxis()  # time runs left to right
        legend(bx, "below", ncols=2)
        title = ax.set_title("")

        def update(i):
            strips.set([score[i], pathwise[i]], exact[i])
            for line, s in zip(lines, sd):
                line.set_data(sigmas[: i + 1], s[: i + 1])
            title.set_text(rf"$\sigma$ = {sigmas[i]:.3g}")
            return [*strips.artists, *lines, title]

        return animate(fig, update, len(sigmas), fps, steps=range(len(sigmas)))


def steep_cost(widths, x, cost, density, score, pathwise, exact, width: float = 4.0, xlim=None,
               fps: float = 3, xlabel: str = r"batch estimate of $dF/d\mu$") -> Movie:
    """Where the pathwise gradient lies: a cost steepening towards a step (left, with the density of
    the sampled x), and batch estimates of dF/dmu from both estimators around the truth (right).

    widths: (F,) the steepness parameter per frame; x: (G,) a grid; cost: (F, G) f on the grid per
    frame; density: (G,) the sampling density of x, drawn scaled to the height of the cost's range;
    score, pathwise: (F, M) batch estimates; exact: a float or (F,) the true dF/dmu; the x-range
    of the estimates as in `sigma_shrinks`; xlabel: the estimates' axis label.
    """
    widths, score, pathwise, exact = _samples(widths, score, pathwise, exact)
    x, density = as_float_array("x", x, ndim=1), as_float_array("density", density, ndim=1)
    cost = as_float_array("cost", cost, ndim=2)
    same_shape(x=x, density=density)
    if cost.shape != (len(widths), len(x)):
        raise ValueError(f"cost must have shape (len(widths), len(x)) = {(len(widths), len(x))}, got {cost.shape}")
    lo, hi = _range(score, pathwise, exact, check_real("width", width, 0.1), xlim)
    c_lo, c_hi = cost.min(), cost.max()
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 4.2), width_ratios=(1, 1.2))
        ax.fill_between(x, c_lo, c_lo + 0.9 * (c_hi - c_lo) * density / density.max(), color=CYCLE[5],
                        alpha=0.35, lw=0, gid="density", label="density of $x$ (scaled)")
        curve, = ax.plot(x, cost[0], color=EXACT_COLOR, gid="cost", label="cost $f(x)$")
        ax.set(xlabel="$x$", xlim=(x[0], x[-1]))
        legend(ax, "below", ncols=2)
        strips = Strips(bx, NAMES, lo, hi, score.shape[1])
        bx.set_xlabel(xlabel)
        title = ax.set_title("")

        def update(i):
            curve.set_ydata(cost[i])
            strips.set([score[i], pathwise[i]], exact[i])
            title.set_text(f"width w = {widths[i]:.3g}")
            return [curve, *strips.artists, title]

        return animate(fig, update, len(widths), fps, steps=range(len(widths)))
