"""Score-function (REINFORCE) gradient estimates from sampled episodes (notebooks 03 and 05).

One sample per episode i (Williams 1992; Sutton & Barto 2018, section 13.3):

    returns="total":          g_i = sum_t grad log pi(a_t|s_t) (R(tau_i) - b)
    returns="reward_to_go":   g_i = sum_t grad log pi(a_t|s_t) gamma^t (G_t - b)

where R(tau) = sum_t gamma^t r_t, G_t = sum_{t'>=t} gamma^(t'-t) r_t', and b is an optional baseline.
Every variant is unbiased for grad J because E[grad log pi(a_t|s_t) | s_t, past] = 0: rewards earned
before t, and any b that does not depend on a_t, multiply a zero-mean factor.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_real
from .montecarlo import GradientEstimate, as_estimate
from .policies import SoftmaxPolicy
from .rollout import Episodes

RETURNS = ("total", "reward_to_go")
BASELINES = "None, a float, 'mean', 'optimal' or an array of per-state values (S,)"


def visit_weights(episodes: Episodes, n_states: int, n_actions: int, step_weights) -> np.ndarray:
    """W[i, s, a] = sum over steps t of episode i with (s_t, a_t) = (s, a) of step_weights[i, t]: (N, S, A)."""
    N = episodes.n_episodes
    w = np.asarray(step_weights, dtype=np.float64) * episodes.mask
    flat = (np.arange(N)[:, None] * n_states + episodes.states) * n_actions + episodes.actions
    counts = np.bincount(flat.ravel(), weights=w.ravel(), minlength=N * n_states * n_actions)
    return counts.reshape(N, n_states, n_actions)


def leave_one_out_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Per episode i: (sum_j num_j - num_i) / (sum_j den_j - den_i), 0 where that denominator is 0."""
    top, bottom = num.sum(axis=0) - num, den.sum(axis=0) - den
    safe = np.where(bottom != 0, bottom, 1.0)
    return np.where(bottom != 0, top / safe, 0.0)


def step_signals(episodes: Episodes, gamma: float, returns: str = "total") -> tuple[np.ndarray, np.ndarray]:
    """(signal, per_step): what multiplies each step's score, and what multiplies a baseline b there.

    "total": signal R(tau), per_step 1 (b is subtracted from R(tau) as it is);
    "reward_to_go": signal gamma^t G_t, per_step gamma^t (the step weight is gamma^t (G_t - b)).
    Both broadcast to (N, T); padding is masked later by `visit_weights`.
    """
    if returns not in RETURNS:
        raise ValueError(f"returns must be one of {RETURNS}, got {returns!r}")
    disc = episodes.discounts(gamma)
    if returns == "total":
        return episodes.returns(gamma)[:, None] * np.ones_like(disc), np.ones_like(disc)
    return disc * episodes.rewards_to_go(gamma), disc


def subtract_batch_baseline(baseline: str, g: np.ndarray, B: np.ndarray, R: np.ndarray) -> np.ndarray:
    """g - b B with b estimated from the *other* episodes along axis 0 (leave-one-out, so unbiased).

    g: per-episode samples (N, ...); B: the per-episode score sums that multiply b, shaped like g;
    R: per-episode returns (N, ...) without the trailing theta axes. "mean": b = mean of the other R;
    "optimal": per component, b = sum_j g_j B_j / sum_j B_j^2 over the other episodes.
    """
    if baseline == "mean":
        b = leave_one_out_ratio(R, np.ones_like(R))
        b = b.reshape(b.shape + (1,) * (g.ndim - b.ndim))
    else:
        b = leave_one_out_ratio(g * B, B * B)
    return g - b * B


def reinforce_gradient(episodes: Episodes, policy: SoftmaxPolicy, theta, gamma: float,
                       returns: str = "total", baseline=None) -> GradientEstimate:
    """REINFORCE estimate of grad J from a batch of episodes.

    returns: "total" weights every step by R(tau); "reward_to_go" by gamma^t G_t.
    baseline: None; a float b; "mean" (mean R(tau) of the *other* episodes in the batch, subtracted
      from R(tau) or from every G_t alike: unbiased either way, since b does not depend on a_t);
      "optimal" (per component k, b_k = E[g_k B_k] / E[B_k^2] with B = sum_t grad log pi *
      discount, again from the other episodes, so b never depends on the episode it corrects);
      or an array (S,) of state values b(s_t), e.g. the exact V from `pgbook.exact`.
    """
    gamma = check_real("gamma", gamma, 0.0, 1.0)
    signal, per_step = step_signals(episodes, gamma, returns)
    theta = policy.check_theta(theta)
    if gamma == 1.0 and episodes.truncated.any():
        raise ValueError(f"{int(episodes.truncated.sum())} of {episodes.n_episodes} episodes were cut at "
                         f"max_steps before terminating; with gamma = 1 their returns are wrong. "
                         f"Raise max_steps or use a policy that terminates.")
    S, A = policy.n_states, policy.n_actions
    N = episodes.n_episodes

    def score_sum(step_weights):  # sum_t step_weights[i, t] grad log pi(a_t|s_t): (N, *theta)
        return policy.weighted_score(theta, visit_weights(episodes, S, A, step_weights))

    g = score_sum(signal)
    if baseline is None:
        samples = g
    elif isinstance(baseline, str):
        if baseline not in ("mean", "optimal"):
            raise ValueError(f"baseline must be {BASELINES}; got the string {baseline!r}")
        if N < 2:
            raise ValueError(f"baseline={baseline!r} is estimated from the other episodes: need n_episodes >= 2, got {N}")
        B = score_sum(np.broadcast_to(per_step, episodes.mask.shape))
        samples = subtract_batch_baseline(baseline, g, B, episodes.returns(gamma))
    elif np.ndim(baseline) == 0:
        b = float(as_float_array("baseline", baseline))
        samples = g - b * score_sum(np.broadcast_to(per_step, episodes.mask.shape))
    else:
        b = as_float_array("baseline", baseline)
        if b.shape != (S,):
            raise ValueError(f"baseline array has shape {b.shape}, expected per-state values (S,) = ({S},); "
                             f"baseline must be {BASELINES}")
        samples = g - score_sum(per_step * b[episodes.states])
    return as_estimate(samples)
