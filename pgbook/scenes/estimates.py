"""Monte Carlo gradient estimates around the exact gradient (notebooks 03 and 05)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

from .._checks import as_float_array, check_int, check_real
from ..animation import Movie, animate
from ..plots import CYCLE, EXACT_COLOR, FULL_WIDTH, LABELS, STYLE, error_bars, legend
from ._common import same_shape


def estimate_convergence(sizes, means, stderrs, exact, labels=None, k: float = 2.0, fps: float = 4) -> Movie:
    """One frame per sample size N: the estimate +- k s.e. against the exact gradient (left), and
    each component's s.e. against N on log-log axes with a 1/sqrt(N) guide (right).

    sizes: (F,) increasing N; means, stderrs: (F, n) the estimate and its standard error from the
    first sizes[f] episodes; exact: (n,). Draws the data as given (see `plots.error_bars`).
    """
    sizes = as_float_array("sizes", sizes, ndim=1)
    means, stderrs = as_float_array("means", means, ndim=2), as_float_array("stderrs", stderrs, ndim=2)
    exact = as_float_array("exact", exact, ndim=1)
    same_shape(means=means, stderrs=stderrs)
    same_shape(**{"means[0]": means[0], "exact": exact})
    if len(sizes) != len(means) or (np.diff(sizes) <= 0).any() or sizes[0] <= 0 or (stderrs <= 0).any():
        raise ValueError(f"sizes must be positive and increasing, one per row of means ({len(means)}), and "
                         f"stderrs positive; got sizes {sizes.tolist()}, min stderr {stderrs.min():g}")
    labels = [rf"$\theta_{i + 1}$" for i in range(len(exact))] if labels is None else list(labels)
    lo = min((means - k * stderrs).min(), exact.min())
    hi = max((means + k * stderrs).max(), exact.max())
    pad = 0.08 * (hi - lo)
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 4.4), width_ratios=(1.2, 1))
        lines = [bx.loglog(sizes[:1], stderrs[:1, j], "o-", color=CYCLE[j % 6], label=labels[j],
                           gid=f"stderr:{j}")[0] for j in range(len(exact))]
        guide = stderrs[0].max() * np.sqrt(sizes[0] / sizes)
        bx.loglog(sizes, guide, "--", color=EXACT_COLOR, lw=1.5, label=r"$\propto 1/\sqrt{N}$", gid="guide")
        bx.set(xlabel=LABELS["N"], ylabel="standard error", xlim=(sizes[0] / 1.5, sizes[-1] * 1.5))
        legend(bx)
        ax.axhline(0, color="0.6", lw=1)
        error_bars(labels, means[0], stderrs[0], exact, k, ax=ax)
        legend(ax, "below", ncols=2)
        ax.set(ylim=(lo - pad, hi + pad), ylabel=LABELS["grad"] + " component")
        title = ax.set_title("")
        points, (low, high), (bars,) = ax.containers[0].lines
        x = np.arange(len(exact))

        def update(i):
            ends = means[i] - k * stderrs[i], means[i] + k * stderrs[i]
            points.set_ydata(means[i])
            low.set_ydata(ends[0])
            high.set_ydata(ends[1])
            bars.set_segments([[(a, b), (a, c)] for a, b, c in zip(x, *ends)])
            title.set_text(f"N = {sizes[i]:,.0f} episodes")
            for j, line in enumerate(lines):
                line.set_data(sizes[: i + 1], stderrs[: i + 1, j])
            return [points, low, high, bars, title, *lines]

        return animate(fig, update, len(sizes), fps, steps=range(len(sizes)))


def gradient_clouds(clouds: dict, exact, axis_labels=(r"$\partial J/\partial\theta_1$",
                    r"$\partial J/\partial\theta_2$"), hold: int = 5, morph: int = 6, fps: float = 8) -> Movie:
    """Per-batch gradient estimates as a cloud of points around the exact gradient, one estimator
    after another (e.g. total return -> reward-to-go -> baselines), each batch gliding from its
    estimate under one estimator to its estimate under the next.

    clouds: {name: (M, 2)} the same M batches under each estimator, in order; exact: (2,).
    Left: the points, the exact gradient (black cross) and the 2-s.d. ellipse of the points drawn.
    Right: the spread of each estimator reached so far, the trace of its 2 x 2 sample covariance.
    """
    names = list(clouds)
    pts = np.stack([as_float_array(f"clouds[{n!r}]", clouds[n], ndim=2) for n in names]) if names else None
    if pts is None or pts.shape[2] != 2 or pts.shape[1] < 3:
        raise ValueError(f"clouds must map names to arrays (M, 2) with M >= 3, got shapes "
                         f"{[np.shape(c) for c in clouds.values()]}")
    exact = as_float_array("exact", exact, ndim=1)
    same_shape(**{"exact": exact, "one point": pts[0, 0]})
    hold, morph = check_int("hold", hold, 1), check_int("morph", morph, 0)
    check_real("fps", fps, 0.5, 50)
    spread = np.array([np.trace(np.cov(p.T)) for p in pts])
    # frame f shows (1 - t) * stage s + t * stage s + 1
    plan = [step for s in range(len(names)) for step in [(s, 0.0)] * hold +
            [(s, (j + 1) / (morph + 1)) for j in range(morph if s + 1 < len(names) else 0)]]
    lo, hi = np.percentile(pts.reshape(-1, 2), [1, 99], axis=0)
    lo, hi = np.minimum(lo, exact), np.maximum(hi, exact)
    # one span for both axes: with equal aspect, a square view keeps the panel as wide as it is tall
    centre, half = (lo + hi) / 2, 0.55 * (hi - lo).max()
    lo, hi = centre - half, centre + half
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 4.6), width_ratios=(1.1, 1))
        dots = ax.scatter(*pts[0].T, s=14, color=CYCLE[0], alpha=0.55, lw=0, gid="estimates",
                          label=f"{pts.shape[1]} batch estimates")
        ellipse = Ellipse((0, 0), 1, 1, fill=False, color=CYCLE[0], lw=2.2, gid="ellipse", label="2 s.d.")
        ax.add_patch(ellipse)
        cross, = ax.plot(*exact, "x", color=EXACT_COLOR, ms=14, mew=3, gid="exact", label="exact", zorder=4)
        ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]),
               xlabel=axis_labels[0], ylabel=axis_labels[1], aspect="equal")
        legend(ax, "below")
        title = ax.set_title("")
        bars = bx.barh(np.arange(len(names))[::-1], np.zeros(len(names)), color=CYCLE[0], alpha=0.6, gid="spread")
        values = [bx.text(0, y, "", va="center", fontsize=13) for y in np.arange(len(names))[::-1]]
        bx.set(yticks=np.arange(len(names))[::-1], yticklabels=names, xlim=(0, 1.3 * spread.max()),
               xlabel="spread (trace of covariance)")
        bx.grid(False, axis="y")

        def update(i):
            s, t = plan[i]
            p = pts[s] if t == 0 else (1 - t) * pts[s] + t * pts[s + 1]
            dots.set_offsets(p)
            evals, evecs = np.linalg.eigh(np.cov(p.T))
            ellipse.set(center=p.mean(axis=0), width=4 * np.sqrt(max(evals[1], 0)),
                        height=4 * np.sqrt(max(evals[0], 0)), angle=np.degrees(np.arctan2(*evecs[::-1, 1])))
            for j, (bar, text) in enumerate(zip(bars, values)):
                bar.set_width(spread[j] if j <= s else 0)
                text.set(x=spread[j] if j <= s else 0, text=f" {spread[j]:.3g}" if j <= s else "")
            title.set_text(names[s] if t == 0 else f"{names[s]} → {names[s + 1]}")
            return [dots, ellipse, cross, *bars, *values, title]  # the cross stays on top of the dots

        return animate(fig, update, len(plan), fps)
