"""Score-function (REINFORCE) gradient estimates from sampled episodes (notebooks 03, 05 and 09).

One sample per episode i (Williams 1992; Sutton & Barto 2018, section 13.3), a weighted sum of
the scores of its steps, g_i = sum_t w[i, t] grad log pi(a_t|s_t), with step weights

    returns="total":          w[i, t] = R(tau_i) - b
    returns="reward_to_go":   w[i, t] = gamma^t (G_t - b)

where R(tau) = sum_t gamma^t r_t, G_t = sum_{t'>=t} gamma^(t'-t) r_t', and b an optional baseline.
Every variant is unbiased for grad J because E[grad log pi(a_t|s_t) | s_t, past] = 0: rewards earned
before t, and any b that does not depend on a_t, multiply a zero-mean factor. Baselines (one code
path: `check_baseline`, then the per-step b of `step_weights` and `reinforce_gradient`, which
`learn` and `quality` use too): None; a float; "mean", the mean R(tau) of the *other*
episodes of the batch (or of its group of `group_size` consecutive episodes); an (S,) array of
state values b(s_t); and, in `reinforce_gradient` only, "optimal" (per component of theta).
Episodes cut at max_steps are refused unless the caller accepts them (`check_truncation`).
`gae` gives generalized advantage estimates (Schulman et al. 2016) as step weights.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_real
from ._estimator_inputs import (BASELINES, RETURNS, TRUNCATION, check_baseline, check_returns,
                                check_truncation, fits, group_size_for, leave_one_out)
from .montecarlo import GradientEstimate, as_estimate
from .policies import SoftmaxPolicy
from .rollout import Episodes

__all__ = ["BASELINES", "RETURNS", "TRUNCATION", "GradientEstimate", "as_estimate", "check_baseline",
           "check_returns", "check_truncation", "gae", "reinforce_gradient", "score_sums",
           "step_weights", "visit_weights"]


def _signal(episodes: Episodes, gamma: float, returns: str) -> tuple[np.ndarray, np.ndarray]:
    """(signal, per_step) per step (n_steps,): the weight without a baseline, and what multiplies b."""
    if returns == "total":
        return episodes.returns(gamma)[episodes.step_episode], np.ones(episodes.n_steps)
    disc = episodes.step_discounts(gamma)
    return disc * episodes.discounted_sums(episodes.step_reward, gamma), disc


def _baseline_per_step(episodes: Episodes, gamma: float, baseline, size: int) -> np.ndarray:
    """b at every step (n_steps,) for a checked baseline None, float, "mean" or (S,) array."""
    if isinstance(baseline, np.ndarray):
        fits(episodes, n_states=baseline.size, what=f"baseline (an array of {baseline.size} state values)")
        return baseline[episodes.step_state]
    if baseline == "mean":  # the mean return of the other episodes of the group
        R = episodes.returns(gamma)
        return leave_one_out(R, np.ones_like(R), size)[episodes.step_episode]
    return np.full(episodes.n_steps, baseline or 0.0)


def step_weights(episodes: Episodes, gamma: float, returns: str = "total", baseline: str | ArrayLike | None = None,
                 group_size: int | None = None, truncation: str = "raise", layout: str = "padded") -> np.ndarray:
    """Per-step weights w with g_i = sum_t w[i, t] grad log pi(a_t|s_t): (N, T), zero on padding.

    baseline: None, a float, "mean" (leave-one-out within consecutive groups of group_size
    episodes, default all N) or an (S,) array of state values (module docstring); "optimal" is per
    component of theta and lives only in `reinforce_gradient`. truncation: as in
    `reinforce_gradient`. layout="steps" gives the weights per step, (n_steps,) aligned with
    `episodes.step_state`, without building (N, T) arrays.
    """
    gamma = check_real("gamma", gamma, 0.0, 1.0)
    returns, baseline = check_returns(returns), check_baseline(baseline)
    if layout not in ("padded", "steps"):
        raise ValueError(f"layout must be 'padded' or 'steps', got {layout!r}")
    if isinstance(baseline, str) and baseline == "optimal":
        raise ValueError("baseline='optimal' is chosen per component of theta, so it is no step weight: "
                         "use reinforce_gradient(..., baseline='optimal')")
    check_truncation(episodes, gamma, truncation)
    size = group_size_for(episodes.n_episodes, group_size, baseline)
    signal, per_step = _signal(episodes, gamma, returns)
    w = signal - per_step * _baseline_per_step(episodes, gamma, baseline, size)
    return w if layout == "steps" else episodes.to_padded(w)


def visit_weights(episodes: Episodes, n_states: int, n_actions: int, step_weights: ArrayLike) -> np.ndarray:
    """W[i, s, a] = sum of step_weights over the steps of episode i with (s_t, a_t) = (s, a): (N, S, A).

    step_weights: padded (N, T) (padding ignored) or per step (n_steps,). ValueError if the
    episodes visit a state or action outside the (S, A) table.
    """
    fits(episodes, n_states, n_actions, what=f"the (S, A) = ({n_states}, {n_actions}) table")
    w = episodes.as_steps("step_weights", step_weights)
    N = episodes.n_episodes
    counts = np.bincount(episodes.visit_index(n_states, n_actions), weights=w, minlength=N * n_states * n_actions)
    return counts.reshape(N, n_states, n_actions)


def score_sums(episodes: Episodes, policy: SoftmaxPolicy, theta: ArrayLike, step_weights: ArrayLike) -> np.ndarray:
    """g_i = sum_t w[i, t] grad log pi(a_t|s_t) for each episode: (N, *theta_shape).

    step_weights: (N, T) or (n_steps,), e.g. from `step_weights`, or gamma^t times `gae`.
    """
    W = visit_weights(episodes, policy.n_states, policy.n_actions, step_weights)
    return policy.weighted_score(theta, W)


def reinforce_gradient(episodes: Episodes, policy: SoftmaxPolicy, theta: ArrayLike, gamma: float,
                       returns: str = "total", baseline: str | ArrayLike | None = None, truncation: str = "raise",
                       group_size: int | None = None) -> GradientEstimate:
    """REINFORCE estimate of grad J from a batch of episodes, one sample per episode (N, *theta_shape).

    returns: "total" weights every step by R(tau); "reward_to_go" by gamma^t G_t.
    baseline: None; a float b; "mean" (mean R(tau) of the *other* episodes, subtracted from R(tau)
      or from every G_t alike: unbiased either way, since b does not depend on a_t); "optimal" (per
      component k, b_k = sum_j g_jk B_jk / sum_j B_jk^2 over the other episodes j, with B the score
      sum that multiplies b, so b never depends on the episode it corrects); or an (S,) array of
      state values b(s_t), e.g. the exact V from `pgbook.exact`. With group_size, "mean" and
      "optimal" use only the other episodes of each group of group_size consecutive episodes.
    truncation: "raise" (default) refuses episodes cut at max_steps; "accept" uses them, biased:
      a cut episode's returns miss the rewards after the cut, at most gamma^max_steps max|r| / (1 - gamma)
      each with gamma < 1 and unbounded with gamma = 1 (`check_truncation`).
    The episodes' states and actions must fit the policy's (S, A) table.
    The stderr is `montecarlo.as_estimate`'s: with few episodes (below about 30) it is itself noisy
    and too often too small, so read it as a rough scale there.
    """
    gamma = check_real("gamma", gamma, 0.0, 1.0)
    theta = policy.check_theta(theta)
    returns, baseline = check_returns(returns), check_baseline(baseline, policy.n_states)
    check_truncation(episodes, gamma, truncation)
    fits(episodes, policy.n_states, policy.n_actions)
    size = group_size_for(episodes.n_episodes, group_size, baseline)
    signal, per_step = _signal(episodes, gamma, returns)
    g = score_sums(episodes, policy, theta, signal)  # without a baseline; h below is what b removes
    if isinstance(baseline, str) and baseline == "optimal":
        B = score_sums(episodes, policy, theta, per_step)
        h = leave_one_out(g * B, B * B, size) * B
    elif baseline is None:
        h = np.zeros_like(g)
    else:
        h = score_sums(episodes, policy, theta, per_step * _baseline_per_step(episodes, gamma, baseline, size))
    return as_estimate(g - h, scale=np.abs(g) + np.abs(h))  # g - h may be all rounding: see as_estimate


def gae(episodes: Episodes, V: ArrayLike, gamma: float, lam: float, truncation: str = "raise",
        layout: str = "padded") -> np.ndarray:
    """Generalized advantage estimates (Schulman et al. 2016): (N, T) aligned with the padded
    rewards, zero on padding (layout="steps": (n_steps,) aligned with `episodes.step_state`).

        delta_t = r_t + gamma V(s_{t+1}) - V(s_t),    A_t = sum_{l >= 0} (gamma lam)^l delta_{t+l}

    V: (S,) state values; the value after an episode's last step is 0 (it entered a terminal
    state). lam = 0 gives the TD error delta_t, lam = 1 gives G_t - V(s_t). With the exact V,
    E[A_t | s_t, a_t] = Q(s_t, a_t) - V(s_t) for every lam, so `score_sums` with weights
    gamma^t A_t is unbiased for grad J; with a learned V, lam trades bias (small lam) for variance.
    truncation="accept" takes the value after a cut episode's last step as 0 too, biased like its
    return (`reinforce_gradient`).
    """
    gamma, lam = check_real("gamma", gamma, 0.0, 1.0), check_real("lam", lam, 0.0, 1.0)
    V = as_float_array("V", V, ndim=1)
    if layout not in ("padded", "steps"):
        raise ValueError(f"layout must be 'padded' or 'steps', got {layout!r}")
    check_truncation(episodes, gamma, truncation)
    fits(episodes, n_states=V.size, what=f"V (an array of {V.size} state values)")
    v = V[episodes.step_state]
    v_next = np.append(v, 0.0)[episodes.next_step]  # next_step is -1 after the last step: value 0
    A = episodes.discounted_sums(episodes.step_reward + gamma * v_next - v, gamma * lam)
    return A if layout == "steps" else episodes.to_padded(A)
