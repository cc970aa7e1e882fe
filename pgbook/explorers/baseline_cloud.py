"""Notebook 05's explorer: the cloud of per-batch REINFORCE estimates around the exact gradient,
from total return to reward-to-go and baselines, and its total variance against the batch size."""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .. import envs
from .._checks import check_int
from ..estimators import reinforce_gradient
from ..exact import evaluate, policy_gradient
from ..plots import CYCLE, EXACT_COLOR, legend
from ..policies import SoftmaxPolicy
from ..quality import batch_estimates, quality
from ..rollout import sample_episodes
from ._view import frozen, view


def _corridor():  # notebook 05's first problem; the constant baseline is a rough guess (returns ~ -18)
    return envs.short_corridor(), SoftmaxPolicy(envs.short_corridor_features()), np.array([-0.5, 0.5]), -10.0


def _gridworld():  # its second: 44 tabular parameters at a random theta; returns lie in [-1, 1]
    mdp = envs.gridworld()
    theta = 0.5 * np.random.default_rng(5).normal(size=(mdp.n_states, mdp.n_actions))
    return mdp, SoftmaxPolicy.tabular(mdp.n_states, mdp.n_actions), theta, 0.5


PROBLEMS = {"short corridor": _corridor, "gridworld": _gridworld}  # name: () -> (mdp, policy, theta, constant)
RETURNS = ("total", "reward_to_go")
BASELINES = ("none", "constant", "mean", "optimal", "V(s)")
BATCH_SIZES = (2, 4, 8, 16, 32, 64)
N_POINTS = 100  # batch estimates drawn per setting; the pool holds N_POINTS * max(BATCH_SIZES) episodes


class Pool(NamedTuple):
    """One problem's episodes, exact gradient, baselines, and the plane the cloud is drawn in:
    plane (2, n_params), rows u1 along grad J and u2 across it (the widest spread of the plain
    REINFORCE samples once the part along grad J is removed)."""

    mdp: object
    policy: SoftmaxPolicy
    theta: np.ndarray
    episodes: object
    exact: np.ndarray
    baselines: dict
    plane: np.ndarray


@lru_cache(maxsize=4)
def _pool(problem: str, seed: int) -> Pool:
    mdp, policy, theta, constant = PROBLEMS[problem]()
    episodes = sample_episodes(mdp, policy, theta, N_POINTS * max(BATCH_SIZES), np.random.default_rng(seed))
    exact = policy_gradient(mdp, policy, theta)
    u1 = exact.ravel() / np.linalg.norm(exact)
    g = reinforce_gradient(episodes, policy, theta, mdp.gamma).samples.reshape(episodes.n_episodes, -1)
    residual = (g - g.mean(axis=0)) @ (np.eye(u1.size) - np.outer(u1, u1))
    widest = np.linalg.eigh(residual.T @ residual)[1][:, -1]
    for u2 in [widest, *np.eye(u1.size)]:  # Gram-Schmidt; a coordinate axis if nothing spreads across
        u2 = u2 - (u2 @ u1) * u1
        if np.linalg.norm(u2) > 0.5:
            break
    u2 = u2 / np.linalg.norm(u2) * np.sign(u2[np.argmax(np.abs(u2))])  # a sign that does not depend on rounding
    baselines = {"none": None, "constant": constant, "mean": "mean", "optimal": "optimal",
                 "V(s)": frozen(evaluate(mdp, policy.probs(theta)).V)}
    return Pool(mdp, policy, frozen(theta), episodes, frozen(exact), baselines, frozen(np.stack([u1, u2])))


@lru_cache(maxsize=64)
def _cloud(problem: str, seed: int, returns: str, baseline: str) -> tuple[np.ndarray, np.ndarray]:
    """For every batch size: the first N_POINTS batch estimates in the plane (K, N_POINTS, 2), and the
    total variance of all the pool's batch estimates (K,), by `quality`."""
    p = _pool(problem, seed)
    est = batch_estimates(p.episodes, p.policy, p.theta, p.mdp.gamma, BATCH_SIZES, returns, p.baselines[baseline])
    points = np.stack([e[:N_POINTS].reshape(N_POINTS, -1) @ p.plane.T for e in est])
    return frozen(points), frozen(np.array([quality(e, p.exact).total_variance for e in est]))


def _build(v, ax, bx):
    v.cloud, = v.track(*ax.plot([], [], "o", alpha=0.6, ms=6, color=CYCLE[0], gid="estimates",
                                label=f"{N_POINTS} batch estimates"))
    v.exact, = v.track(*ax.plot([], [], "X", ms=15, color=EXACT_COLOR, gid="exact", label=r"exact $\nabla J$"))
    ax.axvline(0, color="0.5", lw=1.5, gid="downhill")  # left of it, a step along the estimate goes downhill
    ax.set(xlabel=r"along $\nabla J$", ylabel=r"across $\nabla J$")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(5))
    legend(ax, "below", ncols=2)
    v.ref, = bx.loglog(BATCH_SIZES, BATCH_SIZES, "o-", color="0.6", gid="variance: plain",
                       label="total return, no baseline")
    v.tv, = v.track(*bx.loglog(BATCH_SIZES, BATCH_SIZES, "o-", color=CYCLE[1], gid="variance", label="this estimator"))
    v.now, = v.track(*bx.plot([1], [1], "o", ms=14, mfc="none", mew=3, color=CYCLE[1], gid="variance at N"))
    bx.set(xlabel="episodes per batch $N$", ylabel="total variance")
    bx.set_xticks(BATCH_SIZES, [str(n) for n in BATCH_SIZES])
    bx.minorticks_off()
    legend(bx, "below")
    v.left, v.right = v.title(ax), v.title(bx)


def baseline_cloud_figure(problem: str = "short corridor", returns: str = "total", baseline: str = "none",
                          batch_size: int = 8, seed: int = 0, axes=None) -> Figure:
    """Left: N_POINTS per-batch REINFORCE estimates, batches of batch_size episodes cut from one pool
    (`sample_episodes` with default_rng(seed)), drawn in the plane `Pool.plane` around the exact
    gradient. Right: the total variance of the batch estimates (trace of their covariance over all
    the pool's batches) against the batch size, beside plain REINFORCE's.

    problem: a key of PROBLEMS; returns: one of RETURNS; baseline: one of BASELINES ("constant" is
    -10 on the corridor and 0.5 on the gridworld, "V(s)" the exact state values); batch_size: one
    of BATCH_SIZES. axes: None or the two axes to draw on. Returns the figure.
    """
    for name, value, allowed in (("problem", problem, tuple(PROBLEMS)), ("returns", returns, RETURNS),
                                 ("baseline", baseline, BASELINES), ("batch_size", batch_size, BATCH_SIZES)):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    seed = check_int("seed", seed, 0)
    p = _pool(problem, seed)
    points, tv = _cloud(problem, seed, returns, baseline)
    ref = _cloud(problem, seed, "total", "none")[1]
    k = BATCH_SIZES.index(batch_size)
    v = view(axes, _build)
    ax, bx = v.axes
    centre = p.plane @ p.exact.ravel()
    if v.background_changes((problem, seed)):
        half = 2.5 * _cloud(problem, seed, "total", "none")[0][0].std(axis=0).max()  # plain REINFORCE, N = 2
        ax.set(xlim=(centre[0] - half, centre[0] + half), ylim=(centre[1] - half, centre[1] + half))
        v.ref.set_ydata(ref)
        bx.set_ylim(ref[-1] / 10, ref[0] * 20)  # baselines lower it; a leave-one-out b at N = 2 may raise it
    v.cloud.set_data(*points[k].T)
    v.exact.set_data(*centre[:, None])
    v.tv.set_ydata(tv)
    v.now.set_data([batch_size], [tv[k]])
    lo, hi = np.array([ax.get_xlim(), ax.get_ylim()]).T
    off = int((~np.all((points[k] >= lo) & (points[k] <= hi), axis=1)).sum())
    b = {"none": "", "constant": f" − ({p.baselines['constant']:g})"}.get(baseline, f" − {baseline}")
    v.left.set_text(f"{'total return' if returns == 'total' else 'reward-to-go'}{b}, N = {batch_size}"
                    + (f" ({off} off the plot)" if off else ""))
    v.right.set_text(f"total variance {tv[k]:.3g}")
    return v.figure
