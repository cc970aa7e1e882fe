"""Every trajectory of a tiny MDP at its fixed return while theta moves its probability (notebook 02)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from .._checks import as_float_array
from ..animation import Movie, animate, frame_indices
from ..plots import CYCLE, EXACT_COLOR, FULL_WIDTH, LABELS, STYLE, legend
from ._common import same_shape

RISING, FALLING = CYCLE[0], CYCLE[1]


def _distinct(R: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The distinct returns (to 9 decimals), each return's index among them, and the smallest gap
    between two of them (1 if there is only one)."""
    values, group = np.unique(np.round(R, 9), return_inverse=True)
    return values, group, float(np.diff(values).min()) if len(values) > 1 else 1.0


def spread_returns(R, width: float = 0.6) -> np.ndarray:
    """Where each trajectory's stem stands: its return R (n,), trajectories with equal returns spread
    evenly over `width` times the smallest gap between distinct returns, in their order in R."""
    R = as_float_array("R", R, ndim=1)
    values, group, gap = _distinct(R)
    x = R.copy()
    for g in range(len(values)):
        members = np.flatnonzero(group == g)
        if len(members) > 1:
            x[members] += np.linspace(-width / 2, width / 2, len(members)) * gap
    return x


def trajectory_probabilities(theta, p, R, dlogp, J, slope, theta_label: str = r"\theta",
                             title: str = "θ = {theta:+.2f}: slope {slope:+.3f}", n_frames: int = 24,
                             fps: float = 6) -> Movie:
    """As one parameter theta sweeps, each trajectory's probability p(tau) moves while its return R(tau)
    stays put (left: one stem per trajectory at x = R(tau), height p(tau), blue where dp/dtheta >= 0,
    orange where < 0; a black triangle at the mean return J); J(theta) with the tangent of slope
    `slope` at the current theta (right).

    theta: (K,) the sweep; p, dlogp: (K, n) every trajectory's probability and d log p / d theta at
    each theta; R: (n,) the returns; J, slope: (K,) the objective and its derivative (e.g. the
    score-function sum of p R dlogp) along the sweep; theta_label: TeX of the parameter's name (the
    x-axis label); title: J's title, formatted with the theta and slope shown (plain text: a new TeX
    string in every frame would take most of the drawing time). Frames follow the motion of p.
    """
    theta = as_float_array("theta", theta, ndim=1)
    p, dlogp = as_float_array("p", p, ndim=2), as_float_array("dlogp", dlogp, ndim=2)
    R, J, slope = (as_float_array(name, x, ndim=1) for name, x in (("R", R), ("J", J), ("slope", slope)))
    same_shape(p=p, dlogp=dlogp)
    same_shape(**{"p[0]": p[0], "R": R})
    same_shape(theta=theta, J=J, slope=slope, **{"p[:, 0]": p[:, 0]})
    if len(theta) < 2 or (np.diff(theta) <= 0).any():
        raise ValueError(f"theta must increase, with at least 2 values, got {theta.tolist()}")
    frames = frame_indices(p, n_frames)
    x = spread_returns(R)
    half = 0.12 * (theta[-1] - theta[0])  # half-length of the tangent, along theta
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 4.6), width_ratios=(1.35, 1))
        stems = ax.vlines(x, 0, p[0], lw=4, gid="stems")
        mean = ax.scatter([J[0]], [0], marker="^", s=200, color=EXACT_COLOR, zorder=4, clip_on=False, gid="J")
        values, _, gap = _distinct(R)
        ax.set(xlim=(x.min() - 0.5 * gap, x.max() + 0.5 * gap), ylim=(0, 1.08 * p.max()),
               xlabel=r"return $R(\tau)$, fixed", ylabel=r"$p_\theta(\tau)$")
        if len(values) <= 12:
            ax.set_xticks(values)  # a tick at every return
        ax.grid(False, axis="x")
        handles = [Line2D([], [], color=RISING, lw=4), Line2D([], [], color=FALLING, lw=4),
                   Line2D([], [], marker="^", ms=12, ls="", color=EXACT_COLOR)]
        legend(ax, "below", handles=handles, ncols=3,
               labels=[r"$p(\tau)$ rising", r"$p(\tau)$ falling", r"$J$: mean of $R(\tau)$"])
        bx.plot(theta, J, color="0.45", gid="curve", label=LABELS["J"])
        tangent, = bx.plot([], [], color=EXACT_COLOR, lw=2.5, gid="tangent",
                           label=rf"slope $\Sigma_\tau\, p\,R\;\partial\log p/\partial {theta_label}$")
        dot, = bx.plot([], [], "o", color=EXACT_COLOR, ms=9, zorder=4, gid="now")
        pad = 0.15 * np.ptp(J)
        bx.set(xlim=(theta[0], theta[-1]), ylim=(J.min() - pad, J.max() + pad), xlabel=f"${theta_label}$",
               ylabel=LABELS["J"])
        legend(bx, "below", ncols=1)
        heading = bx.set_title("")

        def update(i):
            k = frames[i]
            stems.set_segments([[(a, 0), (a, h)] for a, h in zip(x, p[k])])
            stems.set_color(np.where(dlogp[k] >= 0, RISING, FALLING))
            mean.set_offsets([[J[k], 0]])
            t = np.array([theta[k] - half, theta[k] + half])
            tangent.set_data(t, J[k] + slope[k] * (t - theta[k]))
            dot.set_data([theta[k]], [J[k]])
            heading.set_text(title.format(theta=theta[k], slope=slope[k]))
            return [stems, mean, tangent, dot, heading]

        return animate(fig, update, len(frames), fps, steps=frames)
