"""The REINFORCE surrogate loss and its gradient by a hand-written backward pass (notebook 08).

    L(theta) = -(1/N) sum_i sum_t w[i, t] log pi_theta(a_t^i | s_t^i)

with the weights w (the returns G) computed from the episodes and then held fixed: they are data,
not functions of theta. Only the gradient of L means anything: it is the REINFORCE estimate (with
a minus sign, because optimisers minimise). Its value says nothing about how good the policy is.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_positive_int, check_real
from .mdp import TabularMDP
from .policies import SoftmaxPolicy
from .rollout import Episodes, sample_from_probs


def _weights(episodes: Episodes, weights) -> np.ndarray:
    """weights as a float (N, T) array, zero on padding; ValueError for the wrong shape."""
    w = as_float_array("weights", weights)
    if w.shape != episodes.mask.shape:
        raise ValueError(f"weights have shape {w.shape}, expected one per step (N, T) = {episodes.mask.shape}")
    return w * episodes.mask


def surrogate_loss(episodes: Episodes, policy: SoftmaxPolicy, theta, weights) -> float:
    """L(theta) for a batch; weights: (N, T), e.g. R(tau) repeated along t, or gamma^t G_t."""
    w = _weights(episodes, weights)
    logp = policy.log_probs(theta)[episodes.states, episodes.actions]  # gather: (N, T)
    return float(-(w * logp).sum() / episodes.n_episodes)


def log_softmax_backward(z, grad_out) -> np.ndarray:
    """Vector-Jacobian product of log_softmax along the last axis: (..., A) -> (..., A).

    d log_softmax(z)_a / d z_b = [a == b] - softmax(z)_b, so upstream gradients g give
    g_b - softmax(z)_b * sum_a g_a: each output pulls its own logit up and every logit down by pi.
    """
    z, g = as_float_array("z", z), as_float_array("grad_out", grad_out)
    if z.shape != g.shape:
        raise ValueError(f"grad_out has shape {g.shape}, expected the shape of z {z.shape}")
    e = np.exp(z - z.max(axis=-1, keepdims=True))  # max subtracted: no overflow
    return g - e / e.sum(axis=-1, keepdims=True) * g.sum(axis=-1, keepdims=True)


def surrogate_gradient(episodes: Episodes, policy: SoftmaxPolicy, theta, weights) -> np.ndarray:
    """dL/dtheta by a backward pass through gather -> log_softmax -> linear logits; shaped like theta."""
    w = _weights(episodes, weights)
    S, A = policy.n_states, policy.n_actions
    z = policy.logits(theta)  # forward: (S, A)
    # backward of the gather logp[s_t, a_t]: scatter-add -w/N onto the (s, a) each step took
    flat = episodes.states * A + episodes.actions
    g_logp = -np.bincount(flat.ravel(), weights=w.ravel(), minlength=S * A).reshape(S, A) / episodes.n_episodes
    g_z = log_softmax_backward(z, g_logp)
    # backward of z[s, a] = theta . phi[s, a] (tabular: z is theta itself)
    return g_z if policy.is_tabular else np.einsum("sa,sak->k", g_z, policy.phi)


def batched_logits(policy: SoftmaxPolicy, thetas: np.ndarray) -> np.ndarray:
    """Logits of many parameter vectors at once: thetas (R, *theta_shape) -> (R, S, A)."""
    return thetas.copy() if policy.is_tabular else np.einsum("sak,rk->rsa", policy.phi, thetas)


def per_step_reinforce(mdp: TabularMDP, policy: SoftmaxPolicy, theta, alpha: float, n_episodes: int, n_runs: int,
                       rng: np.random.Generator, max_steps: int = 1000) -> np.ndarray:
    """Sutton & Barto's REINFORCE (2018, section 13.3), n_runs independent runs side by side.

    Each run generates an episode with its current theta, then updates once per step,
        theta <- theta + alpha gamma^t G_t grad log pi(a_t | s_t, theta),
    with theta already changed by the earlier steps. Returns the final thetas: (n_runs, *theta_shape).
    """
    alpha = check_real("alpha", alpha, 0.0, np.inf)
    n_episodes, n_runs = check_positive_int("n_episodes", n_episodes), check_positive_int("n_runs", n_runs)
    policy.check_mdp(mdp)
    thetas = np.broadcast_to(policy.check_theta(theta), (n_runs, *policy.theta_shape)).copy()
    runs = np.arange(n_runs)
    for _ in range(n_episodes):  # episodes are sequential within a run; runs are vectorised
        z = batched_logits(policy, thetas)
        pi = np.exp(z - z.max(axis=2, keepdims=True))
        ep = sample_from_probs(mdp, pi / pi.sum(axis=2, keepdims=True), n_runs, rng, max_steps)
        signal = ep.discounts(mdp.gamma) * ep.rewards_to_go(mdp.gamma)  # gamma^t G_t, 0 on padding
        for t in range(ep.mask.shape[1]):
            s, a = ep.states[:, t], ep.actions[:, t]
            z_s = batched_logits(policy, thetas)[runs, s]  # logits at the current theta: (R, A)
            g_z = log_softmax_backward(z_s, np.eye(policy.n_actions)[a] * signal[:, t, None])
            if policy.is_tabular:
                thetas[runs, s] += alpha * g_z
            else:
                thetas += alpha * np.einsum("ra,rak->rk", g_z, policy.phi[s])
    return thetas
