"""Sampling many episodes at once (notebook 03).

All episodes advance together: one step of the loop moves every episode that has not ended, so
the Python loop runs over time steps, never over episodes. Episodes are stored as padded
(N, T) arrays with a mask, T being the longest episode in the batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import check_positive_int
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


def _categorical(cdf: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of the cumulative table cdf (n, k) by inverse transform: (n,) ints."""
    u = rng.random(cdf.shape[0])
    return np.minimum((cdf < u[:, None]).sum(axis=1), cdf.shape[1] - 1)


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
    pi = np.asarray(pi, dtype=np.float64)
    if pi.shape not in ((mdp.n_states, mdp.n_actions), (n_episodes, mdp.n_states, mdp.n_actions)):
        raise ValueError(f"pi has shape {pi.shape}, expected (S, A) = {(mdp.n_states, mdp.n_actions)} "
                         f"or (n_episodes, S, A) = {(n_episodes, mdp.n_states, mdp.n_actions)}")
    pi_cdf = np.cumsum(np.broadcast_to(pi, (n_episodes, mdp.n_states, mdp.n_actions)), axis=2)
    P_cdf = np.cumsum(mdp.P, axis=2)
    s = _categorical(np.broadcast_to(np.cumsum(mdp.rho), (n_episodes, mdp.n_states)), rng)
    active = ~mdp.terminal[s]
    steps = []  # per time step: (states, actions, rewards, mask), each (N,)
    for _ in range(max_steps):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        st = np.zeros(n_episodes, dtype=np.int64)
        at = np.zeros(n_episodes, dtype=np.int64)
        rt = np.zeros(n_episodes)
        st[idx] = s[idx]
        at[idx] = _categorical(pi_cdf[idx, s[idx]], rng)
        rt[idx] = mdp.R[s[idx], at[idx]]
        steps.append((st, at, rt, active.copy()))
        s[idx] = _categorical(P_cdf[s[idx], at[idx]], rng)
        active[idx] = ~mdp.terminal[s[idx]]
    if not steps:  # every episode started in a terminal state
        empty = np.zeros((n_episodes, 0))
        return Episodes(empty.astype(np.int64), empty.astype(np.int64), empty, empty.astype(bool),
                        np.zeros(n_episodes, dtype=bool))
    states, actions, rewards, mask = (np.stack(x, axis=1) for x in zip(*steps))
    return Episodes(states, actions, rewards, mask, truncated=active.copy())
