"""Sampling many episodes at once (notebook 03), returned as an `Episodes` batch.

All episodes advance together: the Python loop runs over time steps, never over episodes, and
each step moves only the episodes still running. Steps are logged as they happen, so the result
is stored compactly and time-major; the padded (N, T) views are built only if asked for.

Order of the random draws (one stream, `rng.random`, so a plain loop can reproduce it exactly):

    u = rng.random(N)                  start states of episodes 0..N-1
    for t = 0, 1, ... (while some episode runs and t < max_steps):
        u = rng.random(2 m)            m = number of running episodes, in increasing index order:
                                       u[:m] their actions, then u[m:] their next states

Each draw is an inverse transform: with p the distribution (rho, pi(.|s) or P(.|s, a)), its
outcomes of positive probability o_0 < o_1 < ... in index order and c_j = p[o_0] + ... + p[o_j],
the outcome is o_k for the smallest k with u <= c_k, and the last outcome when there is none
(`bisect.bisect_left(c[:-1], u)` in Python). An episode stops on entering a terminal state; one
still running after max_steps steps is cut there and marked truncated.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._checks import check_positive_int, check_probability, check_rng
from ._episodes import Episodes
from .mdp import TabularMDP
from .policies import SoftmaxPolicy

__all__ = ["CategoricalTable", "Episodes", "categorical_table", "draw", "sample_episodes", "sample_from_probs"]



class CategoricalTable(NamedTuple):
    """Inverse-transform table for n rows of probabilities, from `categorical_table`.

    Row r's outcomes of positive probability are support[r*K : r*K + K] in index order (padded to
    K, the largest support); cum (n, K - 1) holds their running sums without the last, inf on
    padding; full is True when every row has all K outcomes (then outcome k is k itself).
    """

    support: np.ndarray
    cum: np.ndarray
    K: int
    full: bool


def categorical_table(p: ArrayLike) -> CategoricalTable:
    """The table for rows of probabilities p (..., k), flattened to n rows (p is assumed checked).

    Deterministic rows then need no comparison at all, and sparse rows compare with few columns.
    """
    p = np.asarray(p, dtype=np.float64).reshape(-1, np.shape(p)[-1])
    n_pos = (p > 0).sum(axis=1)
    K = int(n_pos.max())
    support = np.argsort(p <= 0, axis=1, kind="stable")[:, :K]
    cum = np.cumsum(np.take_along_axis(p, support, axis=1), axis=1)[:, :-1]
    cum[np.arange(K - 1) >= n_pos[:, None] - 1] = np.inf
    return CategoricalTable(support.ravel(), cum, K, bool(np.all(n_pos == p.shape[1])))


def draw(table: CategoricalTable, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One outcome per entry of rows (m,) from uniforms u (m,), as int64: the first outcome whose
    running sum reaches u, support[row, k] with k = #{j : cum[row, j] < u} (module docstring)."""
    support, cum, K, full = table
    if K == 1:
        return support.take(rows)
    # 1-D takes (2-D fancy indexing is slower); with full support the count k is the outcome itself
    k = (cum[:, 0].take(rows) < u) if K == 2 else (cum[rows] < u[:, None]).sum(axis=1)
    return k.astype(np.int64) if full else support.take(rows * K + k)


def sample_episodes(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike, n_episodes: int,
                    rng: np.random.Generator, max_steps: int = 1000) -> Episodes:
    """Sample n_episodes episodes of pi_theta in mdp, all advancing together (draw order: module doc).

    Rewards are the expected rewards R[s, a]. An episode ends on entering a terminal state, or is
    cut after max_steps steps (`Episodes.truncated`). theta: policy.theta_shape.
    """
    policy.check_mdp(mdp)
    return sample_from_probs(mdp, policy.probs(theta), n_episodes, rng, max_steps)


def sample_from_probs(mdp: TabularMDP, pi: ArrayLike, n_episodes: int, rng: np.random.Generator,
                      max_steps: int = 1000) -> Episodes:
    """Like `sample_episodes`, from a probability table pi: (S, A) shared by all episodes, or
    (n_episodes, S, A), one policy per episode (e.g. one per independent learning run)."""
    n_episodes = check_positive_int("n_episodes", n_episodes)
    max_steps = check_positive_int("max_steps", max_steps)
    rng = check_rng(rng)
    S, A = mdp.n_states, mdp.n_actions
    pi = check_probability("pi", pi, axis=-1)
    if pi.shape not in ((S, A), (n_episodes, S, A)):
        raise ValueError(f"pi has shape {pi.shape}, expected (S, A) = {(S, A)} "
                         f"or (n_episodes, S, A) = {(n_episodes, S, A)}")
    per_episode = pi.ndim == 3
    pi_table, P_table = categorical_table(pi), categorical_table(mdp.P)
    s = draw(categorical_table(mdp.rho), np.zeros(n_episodes, np.int64), rng.random(n_episodes))
    live, R = ~mdp.terminal, mdp.R.ravel()
    ids = np.flatnonzero(live[s])  # the running episodes, in increasing order
    s = s[ids]
    log = []  # per time step (ids, s, a, r) of the running episodes: the compact, time-major layout
    for _ in range(max_steps):
        m = ids.size
        if m == 0:
            break
        u = rng.random(2 * m)
        a = draw(pi_table, ids * S + s if per_episode else s, u[:m])
        sa = s * A + a
        log.append((ids, s, a, R.take(sa)))
        s = draw(P_table, sa, u[m:])
        running = live.take(s)
        ids, s = ids[running], s[running]
    truncated = np.zeros(n_episodes, dtype=bool)
    truncated[ids] = True  # still running after max_steps
    counts = np.array([len(step[0]) for step in log], dtype=np.int64)
    i, states, actions, rewards = ([np.concatenate(x) for x in zip(*log)] if log
                                   else [np.zeros(0, np.int64)] * 3 + [np.zeros(0)])
    return Episodes._trusted(i, states, actions, rewards, np.concatenate([[0], np.cumsum(counts)]),
                             truncated, max_steps)
