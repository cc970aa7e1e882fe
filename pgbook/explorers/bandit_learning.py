"""Notebook 04's explorer: batch REINFORCE on a 3-armed bandit, step size, batch size, reward offset."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import envs
from ..learn import reinforce
from ..plots import CYCLE, EXACT_COLOR, LABELS, legend
from ..policies import SoftmaxPolicy
from ._view import view

MEANS = (1.0, 0.8, 0.2)  # arm 0 is best, arm 1 a close second


def _build(v, ax, bx, R):
    v.arms = v.track(*[ax.plot([], [], gid=f"pi:{a}", label=f"arm {a} ({r:g})")[0] for a, r in enumerate(R)])
    v.J, = v.track(*bx.plot([], [], color=CYCLE[0], gid="J"))
    bx.axhline(R.max(), ls="--", color=EXACT_COLOR, lw=1.5, gid="best arm", label="best arm")
    ax.set(ylim=(0, 1), yticks=[0, 0.5, 1], xlabel=LABELS["update"], ylabel=LABELS["pi"])
    bx.set(xlabel=LABELS["update"], ylabel=r"exact $J(\theta)$", ylim=(R.min() - 0.05, R.max() + 0.05))
    legend(ax, "below", ncols=min(len(R), 3), title="arm (mean reward)", columnspacing=1.0, handlelength=1.2)
    legend(bx, "below")
    v.left, v.right = v.title(ax), v.title(bx)


def bandit_learning_figure(alpha: float = 0.5, batch_size: int = 4, n_updates: int = 100,
                           reward_offset: float = 0.0, seed: int = 0, means=MEANS, axes=None) -> Figure:
    """Run batch REINFORCE (`learn.reinforce`: total return, no baseline, default_rng(seed)) on a
    bandit with these arm means from uniform preferences, and draw pi(a) (left) and the exact J
    (right) against the update number. axes: None (a new figure) or two axes. Returns the figure.
    """
    mdp = envs.bandit(means)
    K = mdp.n_actions
    policy = SoftmaxPolicy(envs.state_blind_features(2, K))
    hist = reinforce(mdp, policy, np.zeros(K), alpha, n_updates, batch_size, np.random.default_rng(seed),
                     returns="total", reward_offset=reward_offset)
    R = mdp.R[0]
    v = view(axes, lambda v, ax, bx: _build(v, ax, bx, R), signature=tuple(R))  # other arms: drawn afresh
    if v.background_changes(n_updates):
        for ax in v.axes:
            ax.set_xlim(0, n_updates)
    steps = np.arange(n_updates + 1)
    for a, line in enumerate(v.arms):
        line.set_data(steps, hist.pi[0, :, 0, a])
    v.J.set_data(steps, hist.J[0])
    v.left.set_text(f"α = {alpha:g}, batch {batch_size}, offset {reward_offset:g}, seed {seed}")
    v.right.set_text(f"final J = {hist.J[0, -1]:.3f}")
    return v.figure
