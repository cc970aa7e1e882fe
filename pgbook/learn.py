"""REINFORCE learning loops that record a history (notebook 04; `book_reinforce` also in 05 and 08).

Two ways to turn score-function estimates of grad J into learning, for `n_runs` independent runs:

* `reinforce`: batch gradient ascent. Each update samples `batch_size` episodes per run with the
  run's current theta and steps theta <- theta + alpha g, g the REINFORCE estimate built from
  `estimators.step_weights` (so every baseline has one code path). All runs step together: one
  `rollout.sample_from_probs` call with one policy table per episode samples every batch.
* `book_reinforce`: Sutton & Barto (2018), sections 13.3 and 13.4, one episode at a time:
      delta = G_t - v(S_t, w);  w += alpha_w delta grad v;  theta += alpha gamma^t delta grad log pi(A_t|S_t, theta)
  theta changes *within* the episode, while the episode itself was sampled with its starting theta.
  Episode lengths vary widely (short corridor: mean 20 steps, some over 500), so the runs do not
  wait for each other's long episodes: each run is a lane of arrays that, at every iteration, takes
  one step of whatever it is doing, sampling its episode or updating from the one it just finished
  (`pgbook._book_lanes`). Each run draws from its own generator.

Both give exactly (to round-off) the numbers of the plain one-run loops that notebook 04 shows and
tests/test_learn.py checks them against: `reinforce` with n_runs=1, `book_reinforce` run by run.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._book_lanes import Lanes, refuse_cut
from ._checks import as_float_array, check_positive_int, check_real, check_rng
from .estimators import check_baseline, check_returns, step_weights, visit_weights
from .exact import expected_return_many
from .mdp import TabularMDP
from .policies import SoftmaxPolicy
from .rollout import sample_from_probs


class History(NamedTuple):
    """What `reinforce` records. R runs, U updates.

    theta (R, U+1, *theta_shape), pi (R, U+1, S, A), J (R, U+1) exact J of every iterate (of the
    MDP as given, without any reward offset), mean_return (R, U) mean discounted sampled return of
    each update's batch (also without the offset, so it estimates J of the iterate it was sampled from).
    """

    theta: np.ndarray
    pi: np.ndarray
    J: np.ndarray
    mean_return: np.ndarray


class BookRun(NamedTuple):
    """What `book_reinforce` (and `pgbook.critic.actor_critic`) records. R runs, E episodes.

    returns (R, E) undiscounted episode returns; lengths (R, E) steps per episode;
    theta (R, E+1, *theta_shape) before each episode and after the last; w (R, E+1, n_w) the baseline
    weights likewise (n_w = 1 for a scalar baseline, S for a per-state table or actor_critic's critic;
    zeros without a baseline);
    stopped (R,) the episode at which a run was stopped (truncation="stop"; E if it never was).
    After a run stops, its returns and lengths are nan / 0 and its theta and w stay frozen.
    """

    returns: np.ndarray
    lengths: np.ndarray
    theta: np.ndarray
    w: np.ndarray
    stopped: np.ndarray


def _per_run(name: str, x: ArrayLike, n_runs: int, shape: tuple[int, ...]) -> np.ndarray:
    """x shared by every run (shape) or one per run (n_runs, *shape), as a fresh (n_runs, *shape) array."""
    x = as_float_array(name, x)
    if x.shape == shape:
        return np.repeat(x[None], n_runs, axis=0)
    if x.shape != (n_runs,) + shape:
        raise ValueError(f"{name} has shape {x.shape}, expected {shape} or (n_runs, ...) = {(n_runs,) + shape}")
    return x


def _step_sizes(alpha, n_runs: int) -> np.ndarray:
    """alpha as a positive number or one per run: (n_runs,)."""
    a = as_float_array("alpha", alpha)
    if a.shape not in ((), (n_runs,)):
        raise ValueError(f"alpha must be a number or an array of one step size per run ({n_runs},), "
                         f"got shape {a.shape}")
    if (a <= 0).any():
        raise ValueError(f"alpha must be positive, got {alpha!r}")
    return np.broadcast_to(a, (n_runs,)).copy()


def _check_truncation(truncation, allowed: tuple[str, ...]) -> str:
    if not isinstance(truncation, str) or truncation not in allowed:
        raise ValueError(f"truncation must be one of {allowed}, got {truncation!r}")
    return truncation


def reinforce(mdp: TabularMDP, policy: SoftmaxPolicy, theta0, alpha, n_updates: int, batch_size: int,
              rng: np.random.Generator, n_runs: int = 1, returns: str = "reward_to_go", baseline=None,
              reward_offset: float = 0.0, max_steps: int = 1000, truncation: str = "raise") -> History:
    """Batch REINFORCE: n_updates steps theta += alpha * g, g from batch_size fresh episodes per run.

    theta0: theta_shape (shared) or (n_runs, *theta_shape); alpha: a positive number or one per run
    (n_runs,). returns: "total" (R(tau) weights every step) or "reward_to_go" (gamma^t G_t).
    baseline: None, a float b, "mean" (per run, the mean return of the *other* episodes of its
    batch, so it never depends on the episode it corrects) or an (S,) array of state values.
    reward_offset: a constant added to every sampled reward (the learner sees it, J does not).
    truncation: "raise" refuses a batch with an episode cut at max_steps (the message gives gamma,
    max_steps and the exact expected episode length); "accept" learns from it anyway, biased: a cut
    episode's return misses the rewards after the cut, at most gamma^max_steps max|r| / (1 - gamma)
    with gamma < 1, unbounded with gamma = 1.
    """
    policy.check_mdp(mdp)
    rng = check_rng(rng)
    n_runs, B = check_positive_int("n_runs", n_runs), check_positive_int("batch_size", batch_size)
    U, max_steps = check_positive_int("n_updates", n_updates), check_positive_int("max_steps", max_steps)
    alpha = _step_sizes(alpha, n_runs).reshape((n_runs,) + (1,) * len(policy.theta_shape))
    offset = check_real("reward_offset", reward_offset)
    returns, baseline = check_returns(returns), check_baseline(baseline, mdp.n_states)
    if isinstance(baseline, str) and baseline == "optimal":
        raise ValueError("baseline='optimal' is chosen per component of theta, so it is no step weight: "
                         "use estimators.reinforce_gradient(..., baseline='optimal') in your own loop")
    if isinstance(baseline, str) and B < 2:
        raise ValueError(f"baseline='mean' uses the other episodes of a run's batch: need batch_size >= 2, got {B}")
    truncation = _check_truncation(truncation, ("raise", "accept"))
    S, A = mdp.n_states, mdp.n_actions
    theta = _per_run("theta0", theta0, n_runs, policy.theta_shape)
    thetas, mean_return = [theta], np.zeros((n_runs, U))
    for u in range(U):
        pi = policy.probs_many(theta)  # (R, S, A)
        ep = sample_from_probs(mdp, np.repeat(pi, B, axis=0), n_runs * B, rng, max_steps)  # run r: rows rB..rB+B-1
        if truncation == "raise" and ep.truncated.any():
            r = int(np.flatnonzero(ep.truncated)[0]) // B
            refuse_cut(mdp, pi[r], ep.select(slice(r * B, r * B + B)), f"reinforce, run {r}, update {u}")
        mean_return[:, u] = ep.returns(mdp.gamma).reshape(n_runs, B).mean(axis=1)
        if offset:
            ep = ep.with_rewards(ep.step_reward + offset)
        w = step_weights(ep, mdp.gamma, returns, baseline, group_size=B, truncation="accept", layout="steps")
        W = visit_weights(ep, S, A, w).reshape(n_runs, B, S, A).mean(axis=1)  # mean over the batch
        theta = theta + alpha * policy.weighted_score_many(theta, W)
        thetas.append(theta)
    theta_hist = np.stack(thetas, axis=1)
    pi_hist = policy.probs_many(theta_hist.reshape((-1,) + policy.theta_shape)).reshape(n_runs, U + 1, S, A)
    return History(theta_hist, pi_hist, expected_return_many(mdp, pi_hist), mean_return)


def book_reinforce(mdp: TabularMDP, policy: SoftmaxPolicy, theta0, alpha, n_episodes: int, n_runs: int,
                   rng: np.random.Generator, alpha_w: float | None = None, scalar_baseline: bool = False,
                   max_steps: int = 1000, truncation: str = "raise") -> BookRun:
    """REINFORCE as Sutton & Barto (2018) write it (section 13.3; with alpha_w, section 13.4).

    theta0: theta_shape (shared) or (n_runs, *theta_shape); alpha: a positive number or one step
      size per run (n_runs,), so several step sizes run in one call.
    alpha_w: None for no baseline (w stays 0); else the positive step size of the learned baseline
      v(s, w): a per-state table w[s], or with scalar_baseline=True a single number w for every
      state (the book's choice for the state-blind short corridor, Figure 13.2).
    truncation: what to do with an episode still running after max_steps steps: "raise" (the
      message gives gamma, max_steps and the exact expected episode length); "stop" that run and
      record the episode in `BookRun.stopped` (with large steps one long episode can push the policy
      to one that never reaches the goal); or "accept" and learn from it anyway, biased like the
      batches of `reinforce`.
    rng: run r draws from its own generator, rng itself when n_runs = 1 and rng.spawn(n_runs)[r]
      otherwise, in the order of `rollout.sample_episodes(mdp, policy, theta, 1, ., max_steps)`
      called once per episode; so each run is exactly the plain one-run loop given its generator
      (tests/test_learn.py). The generators are read ahead in blocks: afterwards they stand further
      along than such a loop would leave them.
    """
    policy.check_mdp(mdp)
    rng = check_rng(rng)
    n_runs, E = check_positive_int("n_runs", n_runs), check_positive_int("n_episodes", n_episodes)
    max_steps = check_positive_int("max_steps", max_steps)
    alpha = _step_sizes(alpha, n_runs)
    if alpha_w is not None and check_real("alpha_w", alpha_w, 0.0) == 0.0:
        raise ValueError("alpha_w must be positive (or None for no baseline), got 0.0")
    if not isinstance(scalar_baseline, (bool, np.bool_)):
        raise TypeError(f"scalar_baseline must be True or False, got {type(scalar_baseline).__name__} "
                        f"{scalar_baseline!r}")
    truncation = _check_truncation(truncation, ("raise", "stop", "accept"))
    theta = _per_run("theta0", theta0, n_runs, policy.theta_shape).reshape(n_runs, -1)
    rngs = [rng] if n_runs == 1 else rng.spawn(n_runs)  # independent streams, one per run
    lanes = Lanes(mdp, policy, theta, alpha, alpha_w, bool(scalar_baseline), E, max_steps, truncation, rngs)
    returns, lengths, thetas, ws, stopped = lanes.run_all()
    return BookRun(returns, lengths, thetas.reshape((n_runs, E + 1) + policy.theta_shape), ws, stopped)
