"""Notebook 10's explorer: PPO's epochs on one batch of the short corridor, with and without clipping,
and the exact J and the exact KL from the policy that collected the batch after every epoch.

One batch of N_EPISODES episodes from theta_old = THETA_OLD, advantages A_t = G_t - V_old(s_t) (GAE with
lambda = 1 and the exact V_old), then full-batch gradient ascent on `ppo.clipped_surrogate` with a fixed
step. A step's ratio r_t = pi(a_t|s_t) / pi_old(a_t|s_t) depends on the step only through (s_t, a_t),
so the gradient (1/N) sum over unclipped steps of gamma^t A_t r_t grad log pi(a_t|s_t) needs only the
sums of gamma^t A_t over the steps at each (s, a), split by the sign of A_t (which side clipping acts
on): computed once per batch, an epoch costs microseconds instead of a pass over the batch's steps.
Runs are cached for MAX_EPOCHS epochs, so the epochs slider only cuts them short.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from .. import envs
from .._checks import check_int, check_real
from ..estimators import gae
from ..exact import evaluate, expected_return_many
from ..plots import CYCLE, EXACT_COLOR, legend
from ..policies import SoftmaxPolicy
from ..rollout import sample_episodes
from ._view import frozen, view

THETA_OLD = (-0.5, 0.5)  # notebook 10's theta_old: p(right) = sigmoid(-1) ~ 0.269
N_EPISODES = 1000
MAX_EPOCHS = 200
CLIPS = (None, 0.05, 0.1, 0.2, 0.3, 0.5)  # the explorer's choices of epsilon (None: no clipping)
ALPHAS = (0.0005, 0.001, 0.002, 0.005, 0.01)  # and of the step size


class Batch(NamedTuple):
    """One batch, reduced to what the epochs need (read-only arrays)."""

    policy: SoftmaxPolicy
    log_old: np.ndarray  # (S, A) log pi_old
    sums: np.ndarray  # (2, S, A): (1/N) sum of gamma^t A_t over the steps at (s, a) with A_t > 0 [0], A_t < 0 [1]
    visited: np.ndarray  # (S, A) bool: some step of the batch took a in s
    J_old: float
    kl_weights: np.ndarray  # (S, A): dbar_old(s) pi_old(a|s), so KL(theta) = sum kl_weights (log_old - log pi_theta)


def theta_at(p: float) -> np.ndarray:
    """The state-blind theta with p(right) = p, centred like THETA_OLD."""
    x = np.log(p / (1 - p))
    return np.array([x / 2, -x / 2])


@lru_cache(maxsize=1)
def corridor():
    """The short corridor, the book's state-blind policy and J* = J(2 - sqrt 2) (notebook 03)."""
    mdp, policy = envs.short_corridor(), SoftmaxPolicy(envs.short_corridor_features())
    J_star = float(expected_return_many(mdp, policy.probs(theta_at(2 - np.sqrt(2))))[()])
    return mdp, policy, J_star


@lru_cache(maxsize=8)
def batch(seed: int) -> Batch:
    """The batch of `sample_episodes` with default_rng(seed) (seed 10: notebook 10's), reduced."""
    mdp, policy, _ = corridor()
    theta_old = np.array(THETA_OLD)
    pi_old = policy.probs(theta_old)
    old = evaluate(mdp, pi_old)
    episodes = sample_episodes(mdp, policy, theta_old, N_EPISODES, np.random.default_rng(seed), max_steps=10_000)
    adv = episodes.step_discounts(mdp.gamma) * gae(episodes, old.V, mdp.gamma, 1.0, layout="steps")
    flat, size = episodes.step_state * mdp.n_actions + episodes.step_action, mdp.n_states * mdp.n_actions
    sums = np.stack([np.bincount(flat, weights=np.where(sign * adv > 0, adv, 0.0), minlength=size)
                     for sign in (1, -1)]).reshape(2, mdp.n_states, mdp.n_actions) / N_EPISODES
    visited = np.bincount(flat, minlength=size).reshape(mdp.n_states, mdp.n_actions) > 0
    return Batch(policy, frozen(policy.log_probs(theta_old)), frozen(sums), frozen(visited), old.J,
                 frozen(old.d[:, None] * pi_old / old.d.sum()))


@lru_cache(maxsize=64)
def run(seed: int, clip: float | None, alpha: float) -> np.ndarray:
    """theta after each of 0, ..., MAX_EPOCHS epochs of theta += alpha grad L(theta) on the batch's
    clipped surrogate (clip None: unclipped), as `ppo.clipped_surrogate_gradient` computes it:
    (MAX_EPOCHS + 1, 2), read-only."""
    b = batch(seed)
    theta, thetas = np.array(THETA_OLD), [np.array(THETA_OLD)]
    for _ in range(MAX_EPOCHS):
        r = np.exp(b.policy.log_probs(theta) - b.log_old)  # the ratio of every (s, a)
        if clip is None:
            W = (b.sums[0] + b.sums[1]) * r
        else:  # the gradient flows where min(r A, clip(r) A) is r A: A > 0 and r <= 1 + eps, A < 0 and r >= 1 - eps
            W = b.sums[0] * r * (r <= 1 + clip) + b.sums[1] * r * (r >= 1 - clip)
        theta = theta + alpha * b.policy.weighted_score(theta, W)
        thetas.append(theta)
    return frozen(np.array(thetas))


@lru_cache(maxsize=64)
def measures(seed: int, clip: float | None, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """After every epoch: the exact J (E + 1,), the exact KL(pi_old || pi_theta) averaged over dbar_old
    (`ppo.mean_kl`) (E + 1,), and the smallest and largest ratio over the batch's steps (E + 1, 2); E = MAX_EPOCHS."""
    mdp, policy, _ = corridor()
    b, thetas = batch(seed), run(seed, clip, alpha)
    log_pi = policy.log_probs_many(thetas)  # (E + 1, S, A)
    J = expected_return_many(mdp, np.exp(log_pi))
    kl = np.sum(b.kl_weights * (b.log_old - log_pi), axis=(1, 2))
    r = np.exp(log_pi - b.log_old)[:, b.visited]
    return frozen(J), frozen(kl), frozen(np.stack([r.min(axis=1), r.max(axis=1)], axis=1))


def _build(v, ax, bx, J_old, J_star):
    v.ref_J, = v.track(*ax.plot([], [], color="0.6", gid="J: no clipping", label="no clipping"))
    v.J, = v.track(*ax.plot([], [], color=CYCLE[1], gid="J", label="this setting"))
    ax.axhline(J_old, color="0.4", ls=":", lw=1.5, gid="J_old", label=r"$J(\theta_{old})$")
    ax.axhline(J_star, color=EXACT_COLOR, ls="--", lw=1.5, gid="J*", label="$J^*$")
    ax.set(ylim=(-36, -10), xlabel="epoch on the same batch", ylabel=r"exact $J(\theta)$")
    legend(ax, "below", ncols=2)
    v.ref_kl, = v.track(*bx.plot([], [], color="0.6", gid="KL: no clipping", label="no clipping"))
    v.kl, = v.track(*bx.plot([], [], color=CYCLE[1], gid="KL", label="this setting"))
    v.edge, = v.track(bx.axhline(1.0, color=CYCLE[0], ls="-.", lw=1.5, gid="KL at the clip",
                                 label=r"KL at $p = (1 + \varepsilon)\,p_{old}$"))
    bx.set(yscale="log", ylim=(1e-5, 10), xlabel="epoch on the same batch",
           ylabel=r"exact $\overline{\mathrm{KL}}(\pi_{old}\,\Vert\,\pi_\theta)$")
    legend(bx, "below", ncols=2)
    v.left, v.right = v.title(ax), v.title(bx)


def ppo_epochs_figure(clip: float | None = 0.2, alpha: float = 0.002, n_epochs: int = 100, seed: int = 10,
                      axes=None) -> Figure:
    """n_epochs epochs of full-batch gradient ascent with step alpha on one batch's PPO surrogate, clipped
    at 1 +- clip (None: unclipped), beside the unclipped run with the same step (grey). Left: the exact J
    after every epoch; right: the exact KL from pi_old, with the KL of the policy whose RIGHT ratio is
    1 + clip. clip: None or in (0, 1]; alpha in [1e-5, 0.05]; n_epochs in [1, MAX_EPOCHS]; seed picks the
    batch. axes: None or the two axes to draw on. Returns the figure.
    """
    if clip is not None:
        clip = check_real("clip", clip, 1e-6, 1.0)
    alpha = check_real("alpha", alpha, 1e-5, 0.05)
    n_epochs = check_int("n_epochs", n_epochs, 1, MAX_EPOCHS)
    seed = check_int("seed", seed, 0)
    mdp, policy, J_star = corridor()
    b = batch(seed)
    J, kl, ratios = (x[: n_epochs + 1] for x in measures(seed, clip, alpha))
    ref_J, ref_kl, _ = (x[: n_epochs + 1] for x in measures(seed, None, alpha))
    v = view(axes, lambda v, ax, bx: _build(v, ax, bx, b.J_old, J_star))  # J_old is exact: the same for every batch
    if v.background_changes(n_epochs):
        for ax in v.axes:
            ax.set_xlim(0, n_epochs)
    epochs = np.arange(n_epochs + 1)
    v.J.set_data(epochs, J)
    v.ref_J.set_data(epochs, ref_J)
    v.kl.set_data(epochs[1:], kl[1:])  # KL = 0 at epoch 0: off a log axis
    v.ref_kl.set_data(epochs[1:], ref_kl[1:])
    p_old = np.exp(b.log_old[0, envs.RIGHT])
    edge = None if clip is None or (1 + clip) * p_old >= 1 else theta_at((1 + clip) * p_old)
    if edge is not None:
        v.edge.set_ydata([np.sum(b.kl_weights * (b.log_old - policy.log_probs(edge)))] * 2)
    v.edge.set_visible(edge is not None)
    eps = "no clipping" if clip is None else f"ε = {clip:g}"
    below = " (below the plot)" if J[-1] < v.axes[0].get_ylim()[0] else ""
    v.left.set_text(f"{eps}, α = {alpha:g}: final J = {J[-1]:.2f}{below}")
    v.right.set_text(f"largest KL {kl.max():.2g}; ratios in [{ratios[:, 0].min():.2f}, {ratios[:, 1].max():.2f}]")
    return v.figure
