"""A 3-armed bandit's policy as a point on the probability simplex (notebooks 01 and 04)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .._checks import as_float_array, check_int, check_probability
from ..animation import Movie, animate, frame_indices
from ..plots import CYCLE, EXACT_COLOR, FULL_WIDTH, LABELS, STYLE, legend
from ._common import as_runs, same_shape

CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])  # simplex vertices on the page


def to_simplex(p) -> np.ndarray:
    """Probability vectors p (..., 3) to points in the triangle (..., 2). A change of p (summing to
    0) maps to the displacement on the page the same way."""
    return np.asarray(p) @ CORNERS


def simplex_grid(n: int = 9, margin: float = 0.04) -> np.ndarray:
    """Probability vectors (M, 3) on an even grid inside the simplex, each entry >= margin: the
    points where a notebook evaluates the exact gradient field."""
    n = check_int("n", n, 2)
    g = np.linspace(margin, 1 - 2 * margin, n)
    return np.array([(a, b, 1 - a - b) for a in g for b in g if 1 - a - b >= margin - 1e-12])


def bandit_simplex(pi, exact=None, field=None, labels=("arm 0", "arm 1", "arm 2"), n_trails: int = 5,
                   exact_label: str = "exact ascent", n_frames: int = 40, fps: float = 8,
                   title: str = "step {k}") -> Movie:
    """Runs of a 3-armed bandit's policy moving on the simplex (left) and as bars (right).

    pi: (R, K, 3) or (K, 3) every run's action probabilities after each of K - 1 steps; the first
    n_trails runs leave a trail. exact: (K, 3) optional, the path of exact gradient ascent (black,
    named exact_label).
    field: optional (points (M, 3), velocities (M, 3)), e.g. points = `simplex_grid()` and
    velocities (diag p - p p^T) grad J, the way pi moves under exact ascent: grey unit arrows.
    Bars: the mean over runs, each run a dot, exact ascent a black tick. Frames follow the motion.
    title: the bars' title, formatted with the step k shown (e.g. what the notebook asserts about it).
    """
    pi = check_probability("pi", as_runs("pi", pi, 1))
    if pi.shape[2] != 3:
        raise ValueError(f"pi must hold 3 action probabilities along its last axis, got shape {pi.shape}")
    path = pi.transpose(1, 0, 2).reshape(pi.shape[1], -1)
    if exact is not None:
        exact = check_probability("exact", exact)
        same_shape(**{"pi[0]": pi[0], "exact": exact})
        path = np.hstack([path, exact])
    frames = frame_indices(path, n_frames)
    R = len(pi)
    xy = to_simplex(pi)
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 4.6), width_ratios=(1.15, 1))
        if field is not None:
            points, vel = (as_float_array(f"field[{i}]", f, ndim=2) for i, f in enumerate(field))
            same_shape(**{"field points": points, "field velocities": vel})
            d = to_simplex(vel)
            d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
            ax.quiver(*to_simplex(points).T, *d.T, color="0.65", angles="xy", scale=16, width=0.005,
                      gid="field", label="exact ascent direction")
        ax.plot(*CORNERS[[0, 1, 2, 0]].T, "-", color="0.3", lw=1.2)
        for c, lab in zip(CORNERS, labels):
            ax.annotate(lab, c, ha="center", va="top" if c[1] == 0 else "bottom", fontsize=14,
                        xytext=(0, -6 if c[1] == 0 else 6), textcoords="offset points")
        ax.set(xlim=(-0.12, 1.12), ylim=(-0.14, 0.98), aspect="equal")
        ax.axis("off")
        colour = [CYCLE[r % 6] if r < n_trails else CYCLE[5] for r in range(R)]
        trails = [ax.plot([], [], "-", lw=1.6, color=colour[r], gid=f"trail:{r}")[0]
                  for r in range(min(n_trails, R))]
        dots = ax.scatter(*xy[:, 0].T, s=30 if R <= 20 else 12, c=colour, zorder=3, gid="runs",
                          label="REINFORCE runs" if R > 1 else "REINFORCE")
        x = np.arange(3)
        bars = bx.bar(x, pi[:, 0].mean(axis=0), width=0.7, color=CYCLE[0], alpha=0.45, gid="mean",
                      label=f"mean of {R} runs" if R > 1 else "REINFORCE")
        jitter = np.linspace(-0.25, 0.25, R) if R > 1 else np.zeros(1)
        strip = bx.scatter((x[None] + jitter[:, None]).ravel(), pi[:, 0].ravel(), s=10, color=CYCLE[0],
                           gid="run dots", label="one run") if R > 1 else None
        bx.set(ylim=(0, 1), xticks=x, xticklabels=[lab.replace(" (", "\n(") for lab in labels],
               ylabel=LABELS["pi"])
        bx.grid(False, axis="x")
        if exact is not None:
            exact_path, = ax.plot([], [], "-", color=EXACT_COLOR, lw=2.2, gid="exact")
            exact_dot, = ax.plot([], [], "s", color=EXACT_COLOR, ms=9, zorder=4, label=exact_label)
            ticks = bx.hlines(exact[0], x - 0.4, x + 0.4, color=EXACT_COLOR, lw=3, gid="exact ticks",
                              label=exact_label)
        legend(ax, "below", ncols=2)
        legend(bx, "below", ncols=2)
        heading = bx.set_title("")

        def update(i):
            k = frames[i]
            for r, trail in enumerate(trails):
                trail.set_data(*xy[r, : k + 1].T)
            dots.set_offsets(xy[:, k])
            for bar, h in zip(bars, pi[:, k].mean(axis=0)):
                bar.set_height(h)
            if strip is not None:
                strip.set_offsets(np.column_stack([(x[None] + jitter[:, None]).ravel(), pi[:, k].ravel()]))
            if exact is not None:
                exact_path.set_data(*to_simplex(exact[: k + 1]).T)
                exact_dot.set_data(*to_simplex(exact[k : k + 1]).T)
                ticks.set_segments([[(a - 0.4, h), (a + 0.4, h)] for a, h in zip(x, exact[k])])
            heading.set_text(title.format(k=k))
            return [*trails, dots, *bars, heading] + ([strip] if strip is not None else []) + \
                ([exact_path, exact_dot, ticks] if exact is not None else [])

        return animate(fig, update, len(frames), fps, steps=frames)
