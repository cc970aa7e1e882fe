"""Critics (notebook 09): TD(0) for a table of state values, and the one-step actor-critic.

TD(0) (Sutton & Barto 2018, section 6.1) moves V(s_t) towards the bootstrapped target r_t + gamma V(s_t+1),
with V = 0 after an episode's last step (it entered a terminal state). The one-step actor-critic
(section 13.5) uses that TD error delta at every step for both of its learners, a table w of state
values (the critic) and the policy's theta (the actor):

    delta = r + gamma w[s'] - w[s];   w[s] += alpha_w delta;   theta += alpha gamma^t delta grad log pi(a|s, theta)

Both functions advance many independent runs together: the Python loop runs over steps, never runs.
Random draws of `actor_critic`, so that a plain loop reproduces it with one run: at each iteration
`rng.random(m)` for the start states of the m runs beginning an episode (if m > 0), then
`rng.random((2, n))` for the n runs taking a step, row 0 their actions and row 1 their next states,
runs in increasing order, each draw by `rollout.draw`'s inverse transform. With one run that is the
order of `rollout.sample_episodes(mdp, policy, theta, 1, rng)`, episode after episode.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_positive_int, check_real, check_rng
from ._estimator_inputs import fits
from .exact import expected_length
from .learn import BookRun, _per_run
from .mdp import TabularMDP
from .policies import SoftmaxPolicy, log_softmax
from .rollout import Episodes, categorical_table, draw

__all__ = ["actor_critic", "td0"]


def td0(episodes: Episodes, V0: ArrayLike, gamma: float, alpha: float, n_runs: int = 1) -> np.ndarray:
    """TD(0), V(s_t) += alpha (r_t + gamma V(s_t+1) - V(s_t)) step by step: V after each episode (R, E + 1, S).

    Run r learns from episodes r E, ..., r E + E - 1 in that order (E = n_episodes / n_runs), starting
    from V0, (S,) or (R, S); row [r, k] is its V after k episodes. Episodes cut at max_steps are
    refused: the value after the cut is unknown.
    """
    R, gamma = check_positive_int("n_runs", n_runs), check_real("gamma", gamma, 0.0, 1.0)
    alpha = check_real("alpha", alpha, 0.0)
    V0 = as_float_array("V0", V0)
    if V0.ndim not in (1, 2):
        raise ValueError(f"V0 must hold state values, (S,) or (n_runs, S), got shape {V0.shape}")
    V = _per_run("V0", V0, R, V0.shape[-1:])
    if episodes.n_episodes % R:
        raise ValueError(f"n_runs = {R} does not split the {episodes.n_episodes} episodes into equal streams")
    if episodes.truncated.any():
        raise ValueError(f"td0: {episodes.truncated.sum()} of {episodes.n_episodes} episodes were cut at max_steps = "
                         f"{episodes.max_steps} before reaching a terminal state, so the value after their last "
                         f"step is unknown: sample them with a larger max_steps")
    fits(episodes, n_states=V.shape[1], what="V0")
    E = episodes.n_episodes // R
    order = np.lexsort((episodes.step_time, episodes.step_episode))  # episode by episode, step by step
    i, s, r = episodes.step_episode[order], episodes.step_state[order], episodes.step_reward[order]
    last = episodes.next_step[order] < 0
    s_next = np.append(episodes.step_state, 0)[episodes.next_step][order]  # any state after the last step
    run = i // E
    counts = np.bincount(run, minlength=R)
    stream = np.full((R, counts.max(initial=0)), -1)  # stream[r, j]: run r's j-th step
    stream[run, np.arange(i.size) - np.repeat(np.cumsum(counts) - counts, counts)] = np.arange(i.size)
    hist, seen = np.empty((R, E + 1, V.shape[1])), np.zeros((R, E + 1), bool)
    hist[:, 0], seen[:, 0] = V, True
    for k in stream.T:  # step j of every run at once: each run touches only its own row of V
        rows = np.flatnonzero(k >= 0)
        k = k[rows]
        target = r[k] + gamma * np.where(last[k], 0.0, V[rows, s_next[k]])
        V[rows, s[k]] += alpha * (target - V[rows, s[k]])
        end = rows[last[k]], i[k[last[k]]] % E + 1
        hist[end], seen[end] = V[end[0]], True
    for e in range(1, E + 1):  # an episode of no steps (it started in a terminal state) changes nothing
        hist[~seen[:, e], e] = hist[~seen[:, e], e - 1]
    return hist


def actor_critic(mdp: TabularMDP, policy: SoftmaxPolicy, theta0: ArrayLike, alpha: ArrayLike, alpha_w: ArrayLike,
                 n_episodes: int, n_runs: int, rng: np.random.Generator, w0: ArrayLike | None = None,
                 max_steps: int = 1000, truncation: str = "raise") -> BookRun:
    """One-step actor-critic (Sutton & Barto 2018, section 13.5) with a table of state values w (S,) as critic.

    theta0: theta_shape or (n_runs, *theta_shape); alpha, alpha_w: positive, or one per run (n_runs,);
    w0: the critic's start, (S,) or (n_runs, S), default 0 (its values at terminal states are never used).
    Returns a `learn.BookRun`: undiscounted returns and lengths (R, E), theta (R, E + 1, *theta_shape)
    and w (R, E + 1, S) before each episode and after the last, stopped (R,). truncation: an episode
    still running after max_steps steps either raises ("raise", with gamma, max_steps and the expected
    episode length) or ends its run ("stop": from that episode on returns are nan, lengths 0, and
    theta and w stay as they were when it was cut).
    """
    policy.check_mdp(mdp)
    rng, gamma = check_rng(rng), mdp.gamma
    R, E = check_positive_int("n_runs", n_runs), check_positive_int("n_episodes", n_episodes)
    max_steps = check_positive_int("max_steps", max_steps)
    if truncation not in ("raise", "stop"):
        raise ValueError(f"truncation must be one of ('raise', 'stop'), got {truncation!r}")
    a_th, a_w = (_per_run(n, x, R, ()) for n, x in (("alpha", alpha), ("alpha_w", alpha_w)))
    if (a_th <= 0).any() or (a_w <= 0).any():
        raise ValueError(f"alpha and alpha_w must be positive, got {alpha!r} and {alpha_w!r}")
    theta = _per_run("theta0", theta0, R, policy.theta_shape).reshape(R, -1)
    S, A, T = mdp.n_states, mdp.n_actions, mdp.terminal
    if (mdp.rho[T] > 0).any():
        raise ValueError(f"rho puts mass on the terminal state {np.flatnonzero(T & (mdp.rho > 0))[0]}: "
                         f"actor_critic needs episodes of at least one step")
    # phi2[s * A + a] = phi(s, a): (S A, d); a tabular policy's logits are theta itself
    phi2 = np.eye(S * A) if policy.is_tabular else policy.phi.reshape(S * A, -1)
    rho, P = categorical_table(mdp.rho), categorical_table(mdp.P)
    w = np.zeros((R, S)) if w0 is None else _per_run("w0", w0, R, (S,))
    returns, lengths = np.full((R, E), np.nan), np.zeros((R, E), np.int64)
    theta_hist, w_hist, stopped = np.empty((R, E + 1, theta.shape[1])), np.empty((R, E + 1, S)), np.full(R, E)
    theta_hist[:, 0], w_hist[:, 0] = theta, w
    s, t, ret, k = np.zeros(R, np.int64), np.zeros(R, np.int64), np.zeros(R), np.zeros(R, np.int64)
    live, start = np.ones(R, bool), np.ones(R, bool)
    while live.any():
        if start.any():
            new = np.flatnonzero(start)
            s[new] = draw(rho, np.zeros(new.size, np.int64), rng.random(new.size))
            start[:] = False
        run = np.flatnonzero(live)
        u = rng.random((2, run.size))
        rows = (s[run] * A)[:, None] + np.arange(A)  # (n, A): rows of phi2 for the actions in s
        z = np.einsum("nak,nk->na", phi2[rows], theta[run])
        p = np.exp(log_softmax(z))  # pi(.|s, theta) as policy.probs computes it
        if (p > 0).all():  # rollout.draw's inverse transform, without building a table
            a = (np.cumsum(p[:, :-1], axis=1) < u[0][:, None]).sum(axis=1)
        else:
            a = draw(categorical_table(p), np.arange(run.size), u[0])
        s2 = draw(P, s[run] * A + a, u[1])
        r = mdp.R[s[run], a]
        delta = r + gamma * np.where(T[s2], 0.0, w[run, s2]) - w[run, s[run]]
        w[run, s[run]] += a_w[run] * delta
        score = phi2[s[run] * A + a] - np.einsum("na,nak->nk", p, phi2[rows])  # grad log pi(a|s)
        theta[run] += (a_th[run] * gamma ** t[run] * delta)[:, None] * score
        s[run], t[run], ret[run] = s2, t[run] + 1, ret[run] + r
        cut = run[~T[s2] & (t[run] == max_steps)]
        if cut.size and truncation == "raise":
            _refuse(mdp, policy, theta[cut[0]], max_steps, f"run {cut[0]}, episode {k[cut[0]]}")
        for c in cut:  # truncation="stop"
            stopped[c], live[c] = k[c], False
            theta_hist[c, k[c] + 1:], w_hist[c, k[c] + 1:] = theta[c], w[c]
        done = run[T[s2]]
        returns[done, k[done]], lengths[done, k[done]] = ret[done], t[done]
        k[done] += 1
        theta_hist[done, k[done]], w_hist[done, k[done]] = theta[done], w[done]
        t[done], ret[done], start[done] = 0, 0.0, True
        live[done] &= k[done] < E
        start &= live
    return BookRun(returns, lengths, theta_hist.reshape((R, E + 1) + policy.theta_shape), w_hist, stopped)


def _refuse(mdp: TabularMDP, policy: SoftmaxPolicy, theta: np.ndarray, max_steps: int, where: str) -> None:
    """The ValueError for an episode cut at max_steps, with the expected length under the run's theta."""
    try:
        length = f"{expected_length(mdp, policy.probs(theta.reshape(policy.theta_shape))):.4g} steps"
    except ValueError:
        length = "too long for float64"
    raise ValueError(f"actor_critic, {where}: an episode was cut at max_steps = {max_steps} before reaching a "
                     f"terminal state (gamma = {mdp.gamma:g}; expected episode length under the run's current "
                     f"policy: {length}). Raise max_steps, or pass truncation='stop' to end such runs "
                     f"(BookRun.stopped says when).")
