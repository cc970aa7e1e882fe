"""Which states of a policy's chain can end an episode: graph search over P_pi > 0 (used by `_bellman`).

With gamma = 1 a state's value is defined only if the episode ends from it with probability 1,
that is, if no state from which no terminal state is reachable (a trap) can be reached from it.
"""
from __future__ import annotations

import numpy as np

from .mdp import TabularMDP


def closure(adj: np.ndarray, start: np.ndarray) -> np.ndarray:
    """States reachable from the boolean mask `start` (S,) along edges adj[s, s'] (S, S): (S,)."""
    seen = start.copy()
    frontier = np.flatnonzero(start)
    while frontier.size:
        new = adj[frontier].any(axis=0) & ~seen
        seen |= new
        frontier = np.flatnonzero(new)
    return seen


def edges(mdp: TabularMDP, P_pi: np.ndarray) -> np.ndarray:
    """adj[s, s'] (S, S): the policy's chain may step from s to s'."""
    return (P_pi > 0) & ~mdp.terminal[:, None]  # an episode stops in a terminal state


def undefined(mdp: TabularMDP, P_pi: np.ndarray, strict: bool = True, where: str = "") -> np.ndarray:
    """Mask (S,) of states whose episode may never end (a trap is reachable); with `strict`, raise
    if a start state is one (`where` prefixes the message). Only meaningful with gamma = 1."""
    adj = edges(mdp, P_pi)
    trapped = ~mdp.terminal & ~closure(adj.T, mdp.terminal)  # no terminal state is reachable
    tainted = closure(adj.T, trapped)  # states that can reach a trap
    starts = np.flatnonzero((mdp.rho > 0) & tainted)
    if starts.size and strict:
        s0 = int(starts[0])
        trap = int(np.flatnonzero(closure(adj, np.eye(mdp.n_states, dtype=bool)[s0]) & trapped)[0])
        raise ValueError(
            f"{where}with gamma = 1 the episode from start state {s0} does not terminate with probability 1 "
            f"under this policy: it can reach state {trap}, from which no terminal state is reachable, "
            f"so the value equations (I - P_pi) V = r_pi are singular. Use gamma < 1 or a policy "
            f"that reaches a terminal state.")
    return tainted
