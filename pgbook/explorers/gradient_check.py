"""Notebook 03's explorer: REINFORCE's error bars and finite differences' V against the exact gradient."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.figure import Figure

from .. import envs
from .._checks import check_int, check_real
from ..estimators import reinforce_gradient
from ..exact import expected_return, policy_gradient
from ..gradcheck import finite_difference
from ..plots import CYCLE, EXACT_COLOR, legend
from ..policies import SoftmaxPolicy
from ..rollout import sample_episodes
from ._view import frozen, view

THETA = (-0.5, 0.5)  # notebook 03's point on the short corridor: p(right) = sigmoid(-1) ~ 0.27
MAX_EPISODES = 10_000
EPS_GRID = np.logspace(-12, -0.5, 47)


@lru_cache(maxsize=1)
def _corridor():
    """The short corridor and its state-blind policy, made once (both are read-only), and theta."""
    return envs.short_corridor(), SoftmaxPolicy(envs.short_corridor_features()), frozen(np.array(THETA))


def _J(theta) -> float:
    mdp, policy, _ = _corridor()
    return expected_return(mdp, policy, theta)


@lru_cache(maxsize=8)
def _running_estimate(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of dJ/dtheta_0 from the first n of MAX_EPISODES episodes: (n,) each, n = 1, 2, ..."""
    mdp, policy, theta = _corridor()
    episodes = sample_episodes(mdp, policy, theta, MAX_EPISODES, np.random.default_rng(seed), max_steps=100_000)
    g = reinforce_gradient(episodes, policy, theta, mdp.gamma).samples[:, 0]
    n = np.arange(1, g.size + 1)
    mean = np.cumsum(g) / n
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 1: no standard error
        se = np.sqrt(np.maximum(np.cumsum(g**2) - n * mean**2, 0.0) / (n - 1) / n)
    return frozen(mean), frozen(se)


@lru_cache(maxsize=1)
def _fd_sweep() -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The exact dJ/dtheta_0; for every step in EPS_GRID the relative error of its central difference,
    and the truncation (eps^2 |J'''| / 6) and round-off (eps_mach |J| / eps) estimates, relative to |J'|."""
    mdp, policy, theta = _corridor()
    g0 = policy_gradient(mdp, policy, theta)[0]
    err = np.array([abs(finite_difference(_J, theta, e)[0] - g0) for e in EPS_GRID]) / abs(g0)
    h, e0 = 1e-2, np.array([1.0, 0.0])  # J''' by the 4-point central stencil: a guide needs ~4 digits
    J3 = (_J(theta + 2 * h * e0) - 2 * _J(theta + h * e0)
          + 2 * _J(theta - h * e0) - _J(theta - 2 * h * e0)) / (2 * h**3)
    truncation = EPS_GRID**2 * abs(J3) / (6 * abs(g0))
    roundoff = np.finfo(float).eps * abs(_J(theta)) / (EPS_GRID * abs(g0))
    return g0, frozen(err), frozen(truncation), frozen(roundoff)


def _build(v, ax, bx, g0, err, truncation, roundoff):
    v.band, = v.track(ax.fill_between([1, 2], 0, 0, color=CYCLE[0], alpha=0.25, lw=0, gid="band",
                                      label="± 2 s.e."))
    v.run, = v.track(*ax.plot([], [], color=CYCLE[0], gid="estimate", label="running estimate"))
    v.bar, = v.track(*ax.plot([], [], color=CYCLE[0], lw=3, gid="error bar at N"))
    v.dot, = v.track(*ax.plot([], [], "o", color=CYCLE[0], ms=9, gid="estimate at N"))
    ax.axhline(g0, color=EXACT_COLOR, lw=2, gid="exact", label="exact")
    ax.set(xscale="log", xlim=(2, 1.5 * MAX_EPISODES), xlabel="episodes $n$", ylabel=r"$\partial J/\partial\theta_0$")
    legend(ax, "below")
    bx.loglog(EPS_GRID, err, "o-", ms=4, lw=1.5, color=CYCLE[0], gid="measured", label="measured")
    bx.loglog(EPS_GRID, truncation, "--", color=CYCLE[1], gid="truncation", label=r"$\propto\varepsilon^2$")
    bx.loglog(EPS_GRID, roundoff, ":", color=CYCLE[2], lw=3, gid="round-off",
              label=r"$\propto\varepsilon_{mach}/\varepsilon$")
    v.at, = v.track(bx.axvline(1.0, color="0.4", lw=1.5, gid="chosen eps"))
    v.mark, = v.track(*bx.plot([], [], "*", color=EXACT_COLOR, ms=18, gid="error at eps"))
    bx.set(xticks=10.0 ** np.arange(-12, 1, 3), yticks=10.0 ** np.arange(-12, 1, 4), ylim=(1e-13, 1),
           xlabel=r"finite-difference step $\varepsilon$", ylabel="relative error")
    bx.minorticks_off()
    legend(bx, "below")
    v.left, v.right = v.title(ax), v.title(bx)


def gradient_check_figure(n_episodes: int = 100, eps: float = 1e-5, seed: int = 0, axes=None) -> Figure:
    """The short corridor at theta = THETA, the component dJ/dtheta_0.

    Left: REINFORCE's running estimate (total return) from the first n <= N episodes of a pool of
    MAX_EPISODES (`sample_episodes` with default_rng(seed)), +-2 standard errors, against the exact
    gradient. Right: the relative error of central differences of the exact J against the step,
    the V of truncation and round-off, with eps marked. axes: None or the two axes to draw on.
    Returns the figure.
    """
    N = check_int("n_episodes", n_episodes, 10, MAX_EPISODES)
    eps = check_real("eps", eps, 1e-15, 1.0)
    mean, se = _running_estimate(check_int("seed", seed, 0))
    g0, *sweep = _fd_sweep()
    v = view(axes, lambda v, ax, bx: _build(v, ax, bx, g0, *sweep))
    if v.background_changes(seed):  # y-range: exact +- 2 standard errors of 10 episodes
        half = 2 * se[-1] * np.sqrt(MAX_EPISODES / 10)
        v.axes[0].set_ylim(g0 - half, g0 + half)
    n = np.unique(np.rint(np.geomspace(2, N, 150)).astype(int))
    v.band.set_data(n, mean[n - 1] - 2 * se[n - 1], mean[n - 1] + 2 * se[n - 1])
    v.run.set_data(n, mean[n - 1])
    v.bar.set_data([N, N], [mean[N - 1] - 2 * se[N - 1], mean[N - 1] + 2 * se[N - 1]])
    v.dot.set_data([N], [mean[N - 1]])
    v.left.set_text(f"N = {N:,}: {mean[N - 1]:.1f} ± {2 * se[N - 1]:.1f}   (exact {g0:.2f})")
    err = abs(finite_difference(_J, _corridor()[2], eps)[0] - g0) / abs(g0)
    v.at.set_xdata([eps, eps])
    v.mark.set_data([eps], [max(err, 1e-13)])  # an exact 0 sits on the floor of the axis
    v.right.set_text(f"ε = {eps:.0e}: relative error {err:.1e}")
    return v.figure
