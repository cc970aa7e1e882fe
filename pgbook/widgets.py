"""Interactive explorers (a helper module; notebook 04).

`bandit_learning_figure` is the explorer's whole callback, compute and redraw, exposed so that
`benchmarks/bench_learn.py` can time it and the notebook can draw a static grid of settings with it.
Sliders redraw only when released (`continuous_update=False`): one learning run per release.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from . import envs
from .learn import reinforce
from .policies import SoftmaxPolicy

MEANS = (1.0, 0.8, 0.2)  # the explorer's 3-armed bandit: arm 0 is best, arm 1 a close second


def bandit_learning_figure(alpha: float = 0.5, batch_size: int = 4, n_updates: int = 100,
                           reward_offset: float = 0.0, seed: int = 0, means=MEANS, axes=None):
    """Run batch REINFORCE on a bandit and draw pi(a) and exact J against the update number.

    axes: None (a new figure) or two axes (probabilities, J). Returns the figure.
    """
    mdp = envs.bandit(means)
    K = mdp.n_actions
    policy = SoftmaxPolicy(envs.state_blind_features(2, K))
    hist = reinforce(mdp, policy, np.zeros(K), alpha, n_updates, batch_size, np.random.default_rng(seed),
                     returns="total", reward_offset=reward_offset)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(7, 2.6), constrained_layout=True)
    ax, bx = axes
    for a in range(K):
        ax.plot(hist.pi[0, :, 0, a], label=f"arm {a} (mean {mdp.R[0, a]:g})")
    ax.set(ylim=(0, 1), yticks=[0, 0.5, 1], xlabel="update", ylabel="pi(a)")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(f"alpha={alpha:g}, batch={batch_size}, offset={reward_offset:g}, seed={seed}", fontsize=9)
    bx.plot(hist.J[0], color="k")
    bx.axhline(max(means), ls="--", color="C3", lw=1)
    bx.set(xlabel="update", ylabel="exact J", ylim=(min(means) - 0.05, max(means) + 0.05))
    for a in (ax, bx):  # few ticks: tick layout is most of the redraw time (benchmarks/bench_learn.py)
        a.xaxis.set_major_locator(MaxNLocator(4))
        a.yaxis.set_major_locator(MaxNLocator(3))
    return ax.figure


def bandit_explorer(means=MEANS):
    """ipywidgets explorer: step size, batch size, number of updates, reward offset, seed."""
    import ipywidgets as w  # imported here: the rest of pgbook does not need ipywidgets

    def show(alpha, batch_size, n_updates, reward_offset, seed):
        bandit_learning_figure(alpha, batch_size, n_updates, reward_offset, seed, means)
        plt.show()

    style = dict(continuous_update=False)
    return w.interactive(
        show,
        alpha=w.FloatLogSlider(value=0.5, base=10, min=-2, max=1, description="step size", **style),
        batch_size=w.IntSlider(value=4, min=1, max=64, description="batch size", **style),
        n_updates=w.IntSlider(value=100, min=10, max=400, step=10, description="updates", **style),
        reward_offset=w.FloatSlider(value=0.0, min=-20, max=20, step=1, description="offset", **style),
        seed=w.IntSlider(value=0, min=0, max=20, description="seed", **style))
