"""REINFORCE learning loops that record a history (notebook 04; `book_reinforce` is reused in 05).

Two ways to turn score-function gradient estimates into learning:

* `reinforce`: batch gradient ascent. Each update samples `batch_size` episodes with the current
  theta, forms the REINFORCE estimate g of grad J (as `pgbook.estimators` does) and steps
  theta <- theta + alpha g.
* `book_reinforce`: Sutton & Barto (2018), sections 13.3 and 13.4, one episode and one step at a time:
      delta = G_t - w[s_t];   w[s_t] += alpha_w delta;   theta += alpha gamma^t delta grad log pi(A_t|S_t, theta)
  theta changes *within* the episode, while the episode itself was sampled with its starting theta.

Both advance `n_runs` independent runs together as arrays: every run has its own theta, and one
call to `rollout.sample_from_probs` with a (n_runs, S, A) policy table samples all their episodes.
Python loops run over updates and time steps only, never over runs or episodes.
"""
from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_positive_int, check_real
from .estimators import RETURNS, leave_one_out_ratio, step_signals, visit_weights
from .mdp import TabularMDP
from .policies import SoftmaxPolicy
from .rollout import Episodes, sample_from_probs


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
    """What `book_reinforce` records. R runs, E episodes.

    returns (R, E) undiscounted episode returns; lengths (R, E) steps per episode;
    theta (R, E+1, *theta_shape) before each episode and after the last; w (R, E+1, n_w) the baseline
    weights likewise (n_w = 1 for a scalar baseline, S for a per-state table; zeros without a baseline);
    stopped (R,) the episode index at which a run hit max_steps and was stopped (E if it never did).
    After a run stops, its returns and lengths are nan / 0 and its theta and w stay frozen.
    """

    returns: np.ndarray
    lengths: np.ndarray
    theta: np.ndarray
    w: np.ndarray
    stopped: np.ndarray


def _softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis. Max and sum are taken column by column and by a matmul: numpy's
    reductions over a short last axis are ~10x slower, and the book's update calls this every step."""
    m = z[..., 0]
    for k in range(1, z.shape[-1]):
        m = np.maximum(m, z[..., k])
    e = np.exp(z - m[..., None])  # the max is subtracted, so no overflow for huge logits
    return e / (e @ np.ones(z.shape[-1]))[..., None]


def batch_probs(policy: SoftmaxPolicy, theta: np.ndarray) -> np.ndarray:
    """pi(a | s) for a stack of parameters theta (R, *theta_shape): (R, S, A)."""
    z = theta if policy.is_tabular else np.einsum("sak,rk->rsa", policy.phi, theta)
    return _softmax(z)


def batch_weighted_score(policy: SoftmaxPolicy, pi: np.ndarray, W: np.ndarray) -> np.ndarray:
    """`SoftmaxPolicy.weighted_score` with one policy per run: pi, W (R, S, A) -> (R, *theta_shape)."""
    centred = W - W.sum(axis=-1, keepdims=True) * pi
    return centred if policy.is_tabular else np.einsum("rsa,sak->rk", centred, policy.phi)


def expected_returns(mdp: TabularMDP, pi) -> np.ndarray:
    """Exact J for a stack of policy tables pi (..., S, A) by one batched solve: (...).

    Same equations as `pgbook.exact.evaluate`, (I - gamma M) V = r_pi on non-terminal states, for
    policies under which every episode ends (always true for softmax policies when gamma < 1, or
    when a terminal state is reachable from everywhere).
    """
    pi = np.asarray(pi, dtype=np.float64)
    live = ~mdp.terminal
    M = np.einsum("...sa,sat->...st", pi, mdp.P)[..., live, :][..., live]
    r_pi = np.einsum("...sa,sa->...s", pi, mdp.R)[..., live]
    V = np.linalg.solve(np.eye(M.shape[-1]) - mdp.gamma * M, r_pi[..., None])[..., 0]
    return V @ mdp.rho[live]


def _start(policy: SoftmaxPolicy, theta0, n_runs: int) -> np.ndarray:
    """theta0 of shape theta_shape (shared) or (n_runs, *theta_shape): a fresh (n_runs, ...) copy."""
    theta0 = as_float_array("theta0", theta0)
    if theta0.shape == policy.theta_shape:
        return np.repeat(theta0[None], n_runs, axis=0)
    if theta0.shape == (n_runs,) + policy.theta_shape:
        return theta0.copy()
    raise ValueError(f"theta0 has shape {theta0.shape}, expected {policy.theta_shape} or "
                     f"(n_runs, *theta_shape) = {(n_runs,) + policy.theta_shape}")


def _step_sizes(name: str, alpha, n_runs: int) -> np.ndarray:
    """alpha as a positive float or one per run: (n_runs,)."""
    a = as_float_array(name, alpha)
    if a.shape not in ((), (n_runs,)):
        raise ValueError(f"{name} must be a number or an array of one step size per run ({n_runs},), "
                         f"got shape {a.shape}")
    if (a <= 0).any():
        raise ValueError(f"{name} must be positive, got {alpha!r}")
    return np.broadcast_to(a, (n_runs,)).copy()


def _sample(mdp: TabularMDP, pi: np.ndarray, rng, max_steps: int) -> Episodes:
    episodes = sample_from_probs(mdp, pi, pi.shape[0], rng, max_steps)
    if episodes.truncated.any():  # a cut episode has a wrong return: refuse rather than learn from it
        raise ValueError(f"{int(episodes.truncated.sum())} of {episodes.n_episodes} episodes were cut at "
                         f"max_steps={max_steps} before terminating; raise max_steps")
    return episodes


def reinforce(mdp: TabularMDP, policy: SoftmaxPolicy, theta0, alpha, n_updates: int, batch_size: int,
              rng: np.random.Generator, n_runs: int = 1, returns: str = "reward_to_go",
              baseline=None, reward_offset: float = 0.0, max_steps: int = 1000) -> History:
    """Batch REINFORCE: n_updates steps theta += alpha * g, g from batch_size fresh episodes per run.

    alpha: a float or one per run (n_runs,). returns: "total" (R(tau) weights every step) or
    "reward_to_go" (gamma^t G_t). baseline: None, a float b, or "mean" (per run, the mean return
    of the *other* episodes in its batch, so it never depends on the episode it corrects).
    reward_offset: a constant added to every sampled reward (the learner sees it, J does not).
    """
    policy.check_mdp(mdp)
    n_runs, B = check_positive_int("n_runs", n_runs), check_positive_int("batch_size", batch_size)
    U = check_positive_int("n_updates", n_updates)
    alpha = _step_sizes("alpha", alpha, n_runs).reshape((n_runs,) + (1,) * len(policy.theta_shape))
    offset = check_real("reward_offset", reward_offset, -1e6, 1e6)
    if returns not in RETURNS:
        raise ValueError(f"returns must be one of {RETURNS}, got {returns!r}")
    if not (baseline is None or (isinstance(baseline, str) and baseline == "mean")
            or (not isinstance(baseline, str) and np.ndim(baseline) == 0)):
        raise ValueError(f"baseline must be None, a float or 'mean', got {baseline!r}")
    if baseline == "mean" and B < 2:
        raise ValueError(f"baseline='mean' uses the other episodes of a batch: need batch_size >= 2, got {B}")
    theta = _start(policy, theta0, n_runs)
    thetas, mean_return = [theta.copy()], np.zeros((n_runs, U))
    for u in range(U):
        pi = batch_probs(policy, theta)
        ep = _sample(mdp, np.repeat(pi, B, axis=0), rng, max_steps)  # run r owns rows r*B..r*B+B-1
        mean_return[:, u] = ep.returns(mdp.gamma).reshape(n_runs, B).mean(axis=1)
        ep = replace(ep, rewards=ep.rewards + offset * ep.mask)
        signal, per_step = step_signals(ep, mdp.gamma, returns)
        if baseline == "mean":  # per run, from the other episodes of its batch
            R_tau = ep.returns(mdp.gamma).reshape(n_runs, B).T  # (B, n_runs): leave-one-out runs over axis 0
            b = leave_one_out_ratio(R_tau, np.ones_like(R_tau)).T.reshape(-1, 1)
            signal = signal - b * per_step
        elif baseline is not None:
            signal = signal - float(baseline) * per_step
        W = visit_weights(ep, mdp.n_states, mdp.n_actions, signal)
        W = W.reshape(n_runs, B, mdp.n_states, mdp.n_actions).mean(axis=1)
        theta = theta + alpha * batch_weighted_score(policy, pi, W)
        thetas.append(theta.copy())
    theta_hist = np.stack(thetas, axis=1)
    pi_hist = batch_probs(policy, theta_hist.reshape((-1,) + policy.theta_shape))
    pi_hist = pi_hist.reshape(n_runs, U + 1, mdp.n_states, mdp.n_actions)
    return History(theta_hist, pi_hist, expected_returns(mdp, pi_hist), mean_return)


def book_episode_update(policy: SoftmaxPolicy, theta: np.ndarray, w: np.ndarray, episodes: Episodes,
                        alpha: np.ndarray, alpha_w: float | None, gamma: float,
                        scalar_baseline: bool) -> tuple[np.ndarray, np.ndarray]:
    """Apply the book's per-step updates for one episode per run (episode r belongs to run r).

    theta (R, *theta_shape), w (R, n_w), alpha (R,). With alpha_w None, w is a fixed baseline
    (zero in `book_reinforce`). Returns the new (theta, w); the inputs are not changed.
    """
    theta, w = theta.copy(), w.copy()
    r = np.arange(theta.shape[0])
    T = episodes.states.shape[1]
    # everything that does not depend on theta or w is computed once, outside the sequential loop;
    # arrays are time-major (T, R) so that row t is contiguous
    G = episodes.rewards_to_go(gamma).T
    step = (alpha[:, None] * gamma ** np.arange(T) * episodes.mask).T  # alpha gamma^t, 0 on padding
    s_t, a_t = episodes.states.T, episodes.actions.T
    ws = np.zeros_like(s_t) if scalar_baseline else s_t
    coef = step * (G - w[r, ws])  # alpha gamma^t delta, final if w is not learned (alpha_w None)
    if not policy.is_tabular:
        phi_s, phi_sa = policy.phi[s_t], policy.phi[s_t, a_t]  # (T, R, A, d), (T, R, d)
    for t in range(T):  # sequential: theta moves within the episode
        if alpha_w is not None:
            delta = G[t] - w[r, ws[t]]
            w[r, ws[t]] += alpha_w * delta * episodes.mask[:, t]
            coef[t] = step[t] * delta
        if policy.is_tabular:  # score = onehot(s_t, a_t) - pi(. | s_t), in row s_t of theta
            pi_s = _softmax(theta[r, s_t[t]])
            pi_s[r, a_t[t]] -= 1.0
            theta[r, s_t[t]] -= coef[t][:, None] * pi_s
        else:  # score = phi(s_t, a_t) - sum_b pi(b | s_t) phi(s_t, b)
            pi_s = _softmax(np.einsum("rad,rd->ra", phi_s[t], theta))
            theta += coef[t][:, None] * (phi_sa[t] - np.einsum("ra,rad->rd", pi_s, phi_s[t]))
    return theta, w


def book_reinforce(mdp: TabularMDP, policy: SoftmaxPolicy, theta0, alpha, n_episodes: int, n_runs: int,
                   rng: np.random.Generator, alpha_w: float | None = None, scalar_baseline: bool = False,
                   max_steps: int = 1000) -> BookRun:
    """REINFORCE as Sutton & Barto (2018) write it (section 13.3; with alpha_w, section 13.4).

    alpha: a float or one step size per run (n_runs,), so several step sizes run in one call.
    alpha_w: None for no baseline (w stays 0); else the step size of the learned baseline v(s, w).
    scalar_baseline: False gives a per-state table v(s, w) = w[s]; True a single number v(s, w) = w
      for every state, the book's choice for the state-blind short corridor (Figure 13.2).
    theta0: theta_shape (shared) or (n_runs, *theta_shape).
    A run whose episode lasts max_steps steps without ending is stopped (see `BookRun.stopped`): with
    large steps one long episode can push the policy to one that never reaches the goal.
    """
    policy.check_mdp(mdp)
    n_runs, E = check_positive_int("n_runs", n_runs), check_positive_int("n_episodes", n_episodes)
    alpha = _step_sizes("alpha", alpha, n_runs)
    if alpha_w is not None:
        alpha_w = check_real("alpha_w", alpha_w, 0.0, np.inf)
    theta = _start(policy, theta0, n_runs)
    w = np.zeros((n_runs, 1 if scalar_baseline else mdp.n_states))
    thetas, ws = [theta.copy()], [w.copy()]
    rets, lengths = np.full((n_runs, E), np.nan), np.zeros((n_runs, E), dtype=np.int64)
    stopped = np.full(n_runs, E)
    live = np.arange(n_runs)  # runs still learning; only these are sampled
    for e in range(E):
        if live.size:
            ep = sample_from_probs(mdp, batch_probs(policy, theta[live]), live.size, rng, max_steps)
            cut = ep.truncated  # an episode that never ended: stop that run (its return is unknown)
            stopped[live[cut]] = e
            live, ep = live[~cut], _select(ep, ~cut)
        if live.size:
            rets[live, e], lengths[live, e] = ep.rewards.sum(axis=1), ep.lengths
            theta[live], w[live] = book_episode_update(policy, theta[live], w[live], ep, alpha[live],
                                                       alpha_w, mdp.gamma, scalar_baseline)
        thetas.append(theta.copy())
        ws.append(w.copy())
    return BookRun(rets, lengths, np.stack(thetas, axis=1), np.stack(ws, axis=1), stopped)


def _select(ep: Episodes, rows: np.ndarray) -> Episodes:
    """The episodes in `rows` (a boolean (N,) mask), trimmed to their longest length."""
    T = int(ep.mask[rows].sum(axis=1).max(initial=0))
    return Episodes(ep.states[rows, :T], ep.actions[rows, :T], ep.rewards[rows, :T], ep.mask[rows, :T],
                    ep.truncated[rows])
