"""Sampling many episodes at once (notebook 03).

All episodes advance together: one step of the loop moves every episode that has not ended, so
the Python loop runs over time steps, never over episodes. Episodes are stored as padded
(N, T) arrays with a mask, T being the longest episode in the batch. For speed the loop keeps only
the running episodes and their states, logs them per step, and fills the padded arrays once at the
end; categorical draws are inverse transforms over the outcomes that have positive probability.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_float_array, check_positive_int, check_probability
from .mdp import TabularMDP
from .policies import SoftmaxPolicy


@dataclass(frozen=True)
class Episodes:
    """A batch of N episodes padded to T steps. Entries where mask is False are padding (0).

    states (N, T) int, actions (N, T) int, rewards (N, T) float, mask (N, T) bool,
    truncated (N,) bool: True where the episode was cut at max_steps without reaching a terminal state.
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    mask: np.ndarray
    truncated: np.ndarray

    @property
    def n_episodes(self) -> int:
        return self.states.shape[0]

    @property
    def lengths(self) -> np.ndarray:
        """Number of steps in each episode: (N,)."""
        return self.mask.sum(axis=1)

    def discounts(self, gamma: float) -> np.ndarray:
        """gamma^t for t = 0..T-1: (T,)."""
        return gamma ** np.arange(self.states.shape[1], dtype=np.float64)

    def returns(self, gamma: float) -> np.ndarray:
        """R(tau) = sum_t gamma^t r_t for each episode: (N,)."""
        return self.rewards @ self.discounts(gamma)

    def rewards_to_go(self, gamma: float) -> np.ndarray:
        """G_t = sum_{t' >= t} gamma^(t' - t) r_t' for every step: (N, T), zero on padding."""
        G = np.zeros_like(self.rewards)
        running = np.zeros(self.n_episodes)
        for t in range(self.rewards.shape[1] - 1, -1, -1):  # a loop over time, not episodes
            running = self.rewards[:, t] + gamma * running
            G[:, t] = running
        return G * self.mask


def _table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse-transform tables for rows of probabilities p (..., k), flattened to (n, k) rows.

    support (n, K): each row's outcomes with positive probability, in order, padded to K = the
    largest support; cum (n, K - 1): their running sums without the last one, inf on padding.
    Deterministic rows then need no comparison at all, and sparse rows compare with few columns.
    """
    p = p.reshape(-1, p.shape[-1])
    n_pos = (p > 0).sum(axis=1)
    K = int(n_pos.max())
    support = np.argsort(p <= 0, axis=1, kind="stable")[:, :K]
    cum = np.cumsum(np.take_along_axis(p, support, axis=1), axis=1)[:, :-1]
    cum[np.arange(K - 1) >= n_pos[:, None] - 1] = np.inf
    return support, cum


def _draw(table: tuple[np.ndarray, np.ndarray], rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One outcome per entry of rows (n,): the first outcome whose running sum reaches u ~ U[0, 1)."""
    support, cum = table
    u = rng.random(rows.size)  # drawn even for deterministic rows, so the random stream never changes
    if cum.shape[1] == 0:
        return support[rows, 0]
    if cum.shape[1] == 1:  # the common two-outcome case, without an (n, 1) temporary
        return support[rows, (cum[rows, 0] < u).view(np.int8)]
    return support[rows, (cum[rows] < u[:, None]).sum(axis=1)]


def sample_episodes(mdp: TabularMDP, policy: SoftmaxPolicy, theta, n_episodes: int,
                    rng: np.random.Generator, max_steps: int = 1000) -> Episodes:
    """Sample n_episodes episodes of pi_theta in mdp, all advancing together.

    Rewards are the expected rewards R[s, a]. An episode ends on entering a terminal state or after
    max_steps steps (then truncated is True for it).
    """
    policy.check_mdp(mdp)
    return sample_from_probs(mdp, policy.probs(theta), n_episodes, rng, max_steps)


def sample_from_probs(mdp: TabularMDP, pi, n_episodes: int, rng: np.random.Generator,
                      max_steps: int = 1000) -> Episodes:
    """Like `sample_episodes`, from a probability table pi: (S, A) shared by all episodes, or
    (n_episodes, S, A), one policy per episode (e.g. one per independent learning run)."""
    n_episodes = check_positive_int("n_episodes", n_episodes)
    max_steps = check_positive_int("max_steps", max_steps)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    S, A = mdp.n_states, mdp.n_actions
    pi = as_float_array("pi", pi)
    if pi.shape not in ((S, A), (n_episodes, S, A)):
        raise ValueError(f"pi has shape {pi.shape}, expected (S, A) = {(S, A)} "
                         f"or (n_episodes, S, A) = {(n_episodes, S, A)}")
    check_probability("pi", pi, axis=-1)
    per_episode = pi.ndim == 3
    pi_table, P_table = _table(pi), _table(mdp.P)
    s = _draw(_table(mdp.rho[None]), np.zeros(n_episodes, dtype=np.int64), rng)
    ids = np.flatnonzero(~mdp.terminal[s])  # the episodes still running, and their states s
    s = s[ids]
    log = []  # per time step (ids, states, actions) of the running episodes only: no (N,) arrays
    for _ in range(max_steps):
        if ids.size == 0:
            break
        a = _draw(pi_table, ids * S + s if per_episode else s, rng)
        log.append((ids, s, a))
        s = _draw(P_table, s * A + a, rng)
        running = ~mdp.terminal[s]
        ids, s = ids[running], s[running]
    T = len(log)
    i, states, actions = ([np.concatenate(x) for x in zip(*log)] if log else [np.zeros(0, np.int64)] * 3)
    flat = i * T + np.repeat(np.arange(T), [len(step[0]) for step in log])  # (i, t) in an (N, T) array

    def pad(values, dtype):  # scatter the logged steps into zero padding, once at the end
        out = np.zeros(n_episodes * T, dtype=dtype)
        out[flat] = values
        return out.reshape(n_episodes, T)

    truncated = np.zeros(n_episodes, dtype=bool)
    truncated[ids] = True  # still running after max_steps
    return Episodes(pad(states, np.int64), pad(actions, np.int64), pad(mdp.R[states, actions], np.float64),
                    pad(True, bool), truncated)
