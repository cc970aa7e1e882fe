"""Bigger steps from one batch (notebook 10): importance ratios, PPO's clipped surrogate and its
gradient, the exact KL between two policies, and the KL-constrained natural-gradient step.

A batch of N episodes sampled with pi_old = pi(theta_old); per-step arrays (n_steps,) are aligned
with `episodes.step_state` (advantages may also be padded (N, T)); theta has policy.theta_shape.

    r_t(theta) = pi_theta(a_t|s_t) / pi_old(a_t|s_t)                  step_ratios
    w_i(theta) = prod_t r_t(theta) = p_theta(tau_i) / p_old(tau_i)    trajectory_ratios
    L(theta) = (1/N) sum_i sum_t gamma^t min(r_t A_t, clip(r_t, 1 - eps, 1 + eps) A_t)
                                                                      clipped_surrogate (Schulman et al. 2017)
    KL(theta_old, theta) = sum_s dbar(s) KL(pi_old(.|s) || pi_theta(.|s)),  dbar = d / sum(d)
                                                                      mean_kl
    w = sqrt(2 delta / g^T Fbar^+ g) Fbar^+ g,  Fbar = F / sum(d)     kl_step (Schulman et al. 2015)

d is the discounted occupancy of theta_old (`exact.evaluate`), so dbar weights states as the
surrogate does, and 1/2 w^T Fbar w is the second-order expansion of mean_kl(theta, theta + w).
The surrogate keeps the gamma^t of the policy gradient theorem (notebook 07), so its gradient at
theta = theta_old is the REINFORCE estimate with step weights gamma^t A_t; PPO implementations
usually drop gamma^t and average over steps instead of episodes.
"""
from __future__ import annotations

import numpy as np

from . import exact
from ._checks import check_real
from .estimators import visit_weights
from .mdp import TabularMDP
from .policies import SoftmaxPolicy
from .rollout import Episodes

__all__ = ["clipped_surrogate", "clipped_surrogate_gradient", "kl_step", "mean_kl", "step_ratios",
           "trajectory_ratios"]


def _log_ratios(episodes: Episodes, policy: SoftmaxPolicy, theta, theta_old) -> np.ndarray:
    """log r_t for every step: (n_steps,). ValueError if a step lies outside the policy's table."""
    S, A = policy.n_states, policy.n_actions
    if episodes.n_steps and (episodes.step_state.max() >= S or episodes.step_action.max() >= A):
        raise ValueError(f"episodes visit state {episodes.step_state.max()} or take action "
                         f"{episodes.step_action.max()}, outside the policy's (S, A) = ({S}, {A}) table")
    flat = episodes.step_state * A + episodes.step_action
    # log-probabilities stay finite for huge logits, where a ratio of probabilities would be 0 / 0
    return (policy.log_probs(theta).ravel() - _old_log_probs(policy, theta_old).ravel())[flat]


def _old_log_probs(policy: SoftmaxPolicy, theta_old) -> np.ndarray:
    try:
        return policy.log_probs(theta_old)
    except ValueError as err:  # the policy's message says "theta": name the argument that was wrong
        raise ValueError(f"theta_old: {err}") from None


def step_ratios(episodes: Episodes, policy: SoftmaxPolicy, theta, theta_old) -> np.ndarray:
    """r_t = pi_theta(a_t|s_t) / pi_old(a_t|s_t) for every step of the batch: (n_steps,)."""
    return np.exp(_log_ratios(episodes, policy, theta, theta_old))


def trajectory_ratios(episodes: Episodes, policy: SoftmaxPolicy, theta, theta_old) -> np.ndarray:
    """w_i = p_theta(tau_i) / p_old(tau_i) = prod_t r_t for every episode: (N,); the dynamics cancel."""
    log_w = np.bincount(episodes.step_episode, weights=_log_ratios(episodes, policy, theta, theta_old),
                        minlength=episodes.n_episodes)
    return np.exp(log_w)


def _terms(episodes, policy, theta, theta_old, advantages, gamma, clip):
    """(r_t, gamma^t A_t, active_t): active where the gradient flows through r (not clipped)."""
    gamma = check_real("gamma", gamma, 0.0, 1.0)
    if clip is not None:
        clip = check_real("clip", clip, 0.0)
    r = step_ratios(episodes, policy, theta, theta_old)
    adv = episodes.step_discounts(gamma) * episodes.as_steps("advantages", advantages)
    if clip is None:
        return r, adv, np.ones(r.shape, bool)
    # min(r A, clip(r) A) takes the clipped, constant branch only where r is beyond the clip on the
    # side that would raise the objective: A > 0 and r > 1 + eps, or A < 0 and r < 1 - eps
    active = ~(((adv > 0) & (r > 1 + clip)) | ((adv < 0) & (r < 1 - clip)))
    return np.where(active, r, np.clip(r, 1 - clip, 1 + clip)), adv, active


def clipped_surrogate(episodes: Episodes, policy: SoftmaxPolicy, theta, theta_old, advantages,
                      gamma: float, clip: float | None = 0.2) -> float:
    """PPO's clipped surrogate L(theta) (module docstring), a float; clip=None gives the unclipped
    importance-sampled surrogate (1/N) sum_i sum_t gamma^t r_t A_t. advantages: (n_steps,) or (N, T),
    estimated once at theta_old (e.g. `estimators.gae`). Only its gradient and its value relative to
    theta_old mean anything: it is an objective for a few epochs on one batch, not J."""
    r, adv, _ = _terms(episodes, policy, theta, theta_old, advantages, gamma, clip)
    return float(np.sum(r * adv) / episodes.n_episodes)


def clipped_surrogate_gradient(episodes: Episodes, policy: SoftmaxPolicy, theta, theta_old, advantages,
                               gamma: float, clip: float | None = 0.2) -> np.ndarray:
    """grad L(theta) = (1/N) sum over unclipped steps of gamma^t A_t r_t grad log pi_theta(a_t|s_t):
    shaped like theta. At a kink (r_t exactly 1 +- clip) the unclipped branch's gradient is used."""
    r, adv, active = _terms(episodes, policy, theta, theta_old, advantages, gamma, clip)
    W = visit_weights(episodes, policy.n_states, policy.n_actions, adv * r * active)  # (N, S, A)
    return policy.weighted_score(theta, W.sum(axis=0) / episodes.n_episodes)


def mean_kl(mdp: TabularMDP, policy: SoftmaxPolicy, theta_old, theta) -> float:
    """sum_s dbar(s) sum_a pi_old(a|s) log(pi_old(a|s) / pi_theta(a|s)), with dbar the discounted
    occupancy of theta_old normalised to sum 1 (states it never visits do not count): a float >= 0."""
    policy.check_mdp(mdp)
    log_old, log_new = _old_log_probs(policy, theta_old), policy.log_probs(theta)
    pi_old = np.exp(log_old)
    d = exact.evaluate(mdp, pi_old).d
    return float(d @ np.sum(pi_old * (log_old - log_new), axis=1) / d.sum())


def kl_step(mdp: TabularMDP, policy: SoftmaxPolicy, theta, delta: float) -> np.ndarray:
    """The step w maximising grad J . w subject to 1/2 w^T Fbar w = delta: shaped like theta.

    Fbar = F / sum(d) is the Fisher matrix of `exact.fisher` averaged over the normalised occupancy,
    the Hessian of mean_kl at w = 0; with w_nat = `exact.natural_gradient` = F^+ grad J the step is
    sqrt(2 delta sum(d) / grad J . w_nat) w_nat. Zero where grad J = 0 (no direction gains)."""
    delta = check_real("delta", delta, 0.0)
    g = exact.policy_gradient(mdp, policy, theta)
    w_nat = exact.natural_gradient(mdp, policy, theta)
    total = exact.evaluate(mdp, policy.probs(theta)).d.sum()
    gain = float(np.sum(g * w_nat))  # g^T F^+ g >= 0
    return np.zeros_like(w_nat) if gain <= 0 else np.sqrt(2 * delta * total / gain) * w_nat
