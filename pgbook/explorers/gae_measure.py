"""Notebook 09's section 4 and its explorer (`gae_tradeoff`): GAE(lambda) on the gridworld, the exact
squared bias and the measured variance of the gradient estimate, with the exact V or a critic learned
by TD(0).

One episode gives g_i = sum_t gamma^t A_t grad log pi(a_t|s_t) with A_t = GAE(lambda) from fixed
critic values (`gradient_samples`); a batch averages B of them, so against the exact grad J

    MSE(lambda, B) = ||E[g] - grad J||^2 + tr Cov[g_i] / B,

the squared bias exact (`expected_gae_gradient`), the total variance measured once per critic on a
pool of POOL episodes (`measure`, cached, read-only), so the explorer's slider releases only pick
numbers out of that table, and the notebook's tables are the same numbers.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .. import envs
from .._checks import as_float_array, check_real
from ..critic import td0
from ..estimators import gae, score_sums
from ..exact import evaluate, policy_gradient
from ..mdp import TabularMDP
from ..montecarlo import as_estimate
from ..policies import SoftmaxPolicy
from ..rollout import Episodes, sample_episodes
from ._view import frozen

LAMBDAS = (0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)
CRITICS = {"exact V": None, "TD(0), 5 episodes": 5, "TD(0), 20 episodes": 20, "TD(0), 100 episodes": 100}
POOL = 20_000  # episodes (default_rng(7)) the variances are measured on, independent of the critics'
__all__ = ["CRITICS", "LAMBDAS", "POOL", "Measured", "check_critic", "critic_values", "expected_gae_gradient",
           "gradient_samples", "measure", "pool", "problem"]


def expected_gae_gradient(mdp: TabularMDP, policy: SoftmaxPolicy, theta, V_critic, lam: float) -> np.ndarray:
    """E[sum_t gamma^t A_t grad log pi(a_t|s_t)] for GAE(lam) with fixed critic values V_critic (S,),
    exactly: shaped like theta. E[A_t | s, a] = D(s, a) + gamma lam sum_s' P(s'|s, a) u(s'), with D the
    expected TD error after (s, a) and u = (I - gamma lam P_pi)^-1 sum_a pi D over non-terminal states."""
    lam = check_real("lam", lam, 0.0, 1.0)
    V_critic = as_float_array("V_critic", V_critic, ndim=1)
    if V_critic.shape != (mdp.n_states,):
        raise ValueError(f"V_critic must hold one value per state, shape ({mdp.n_states},), got {V_critic.shape}")
    pi = policy.probs(theta)
    d = evaluate(mdp, pi).d
    live = ~mdp.terminal
    V_next = np.where(live, V_critic, 0.0)  # the value after entering a terminal state is 0
    D = mdp.R + mdp.gamma * mdp.P @ V_next - V_critic[:, None]  # expected TD error after (s, a)
    delta_bar = np.sum(pi * D, axis=1)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)[np.ix_(live, live)]
    u = np.zeros(mdp.n_states)
    u[live] = np.linalg.solve(np.eye(live.sum()) - mdp.gamma * lam * P_pi, delta_bar[live])
    A_lam = D + mdp.gamma * lam * mdp.P @ u  # E[A_t | s_t = s, a_t = a]
    return policy.weighted_score(theta, d[:, None] * pi * A_lam)


def gradient_samples(episodes: Episodes, policy: SoftmaxPolicy, theta, gamma: float, V_critic,
                     lam: float) -> np.ndarray:
    """One GAE(lam) gradient sample per episode, g_i = sum_t gamma^t A_t grad log pi(a_t|s_t): (N, theta.size)."""
    A_hat = gae(episodes, V_critic, gamma, lam, layout="steps")
    g = score_sums(episodes, policy, theta, episodes.step_discounts(gamma) * A_hat)
    return g.reshape(episodes.n_episodes, -1)


@lru_cache(maxsize=1)
def problem() -> tuple[TabularMDP, SoftmaxPolicy, np.ndarray, np.ndarray]:
    """Notebooks 05 and 09's gridworld policy (44 logits, 0.5 N(0, 1) from default_rng(5)): mdp, policy,
    theta and the exact grad J (read-only)."""
    mdp = envs.gridworld()
    policy = SoftmaxPolicy.tabular(mdp.n_states, mdp.n_actions)
    theta = frozen(0.5 * np.random.default_rng(5).normal(size=(mdp.n_states, mdp.n_actions)))
    return mdp, policy, theta, frozen(policy_gradient(mdp, policy, theta))


def critic_values(critic: str) -> np.ndarray:
    """The critic's state values (S,): the exact V, or notebook 09's TD(0) critic 0 (alpha_w = 0.1, from V = 0)
    after k of the first 100 of 5,000 episodes sampled with default_rng(6)."""
    mdp, policy, theta, _ = problem()
    k = CRITICS[check_critic(critic)]
    return frozen(evaluate(mdp, policy.probs(theta)).V) if k is None else _td_history()[k]


@lru_cache(maxsize=1)
def _td_history() -> np.ndarray:
    """TD(0) critic 0 of notebook 09's section 2 after 0, 1, ..., 100 episodes: (101, S), read-only."""
    mdp, policy, theta, _ = problem()
    episodes = sample_episodes(mdp, policy, theta, 5000, np.random.default_rng(6)).select(slice(0, 100))
    return frozen(td0(episodes, np.zeros(mdp.n_states), mdp.gamma, 0.1)[0])


@lru_cache(maxsize=1)
def pool() -> Episodes:
    """The POOL episodes of `problem`'s policy (default_rng(7)) every variance is measured on."""
    mdp, policy, theta, _ = problem()
    return sample_episodes(mdp, policy, theta, POOL, np.random.default_rng(7))


class Measured(NamedTuple):
    """One critic, every lambda of LAMBDAS (L of them), n = 44 parameters, N = POOL episodes."""

    expected: np.ndarray  # (L, n) E[g], exact
    bias2: np.ndarray  # (L,) ||E[g] - grad J||^2, exact
    mean: np.ndarray  # (L, n) mean of the N samples g_i
    stderr: np.ndarray  # (L, n) its standard error
    spread: np.ndarray  # (L, N) ||g_i - mean||^2 per episode: its mean is about tr Cov, paired across lambda
    var: np.ndarray  # (L,) tr Cov[g_i], unbiased (spread summed / (N - 1))
    var_se: np.ndarray  # (L,) its standard error over episodes


@lru_cache(maxsize=len(CRITICS))
def measure(critic: str) -> Measured:
    """The exact bias and the measured variance of GAE(lambda) for this critic, every lambda (cached)."""
    mdp, policy, theta, grad = problem()
    V_c, episodes = critic_values(critic), pool()
    rows = []
    for lam in LAMBDAS:
        expected = expected_gae_gradient(mdp, policy, theta, V_c, lam).ravel()
        samples = gradient_samples(episodes, policy, theta, mdp.gamma, V_c, lam)
        est = as_estimate(samples)
        spread = np.sum((samples - est.mean) ** 2, axis=1)
        rows.append((expected, np.sum((expected - grad.ravel()) ** 2), est.mean, est.stderr, spread,
                     spread.sum() / (POOL - 1), spread.std(ddof=1) / np.sqrt(POOL)))
    return Measured(*(frozen(np.array(column)) for column in zip(*rows)))


def check_critic(critic: str) -> str:
    """critic, if it is a key of CRITICS; else a TypeError (not a string) or a ValueError naming the choices."""
    if not isinstance(critic, str):
        raise TypeError(f"critic must be a string, one of {tuple(CRITICS)}, got {type(critic).__name__} {critic!r}")
    if critic not in CRITICS:
        raise ValueError(f"critic must be one of {tuple(CRITICS)}, got {critic!r}")
    return critic
