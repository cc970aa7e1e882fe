"""Ground truth by linear algebra: values, occupancy, J and the exact policy gradient (notebook 03).

With M = the state-to-state matrix of pi restricted to non-terminal states, the Bellman equations
are one linear system, and the discounted occupancy d solves the transposed one:

    (I - gamma M) V = r_pi            V[s]  = E[sum_t gamma^t r_t | s_0 = s]
    (I - gamma M)^T d = rho           d[s]  = sum_t gamma^t Pr(s_t = s)
    Q[s, a] = R[s, a] + gamma sum_s' P[s, a, s'] V[s']
    J = rho . V,   grad J = sum_{s, a} d(s) pi(a|s) (Q(s, a) - V(s)) grad log pi(a|s)

The last line is the policy gradient theorem (Sutton & Barto 2018, section 13.2).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_probability
from .mdp import TabularMDP
from .policies import SoftmaxPolicy


class Evaluation(NamedTuple):
    """Exact evaluation of a policy. V: (S,), Q: (S, A), d: (S,) discounted occupancy, J: float."""

    V: np.ndarray
    Q: np.ndarray
    d: np.ndarray
    J: float


def _closure(adj: np.ndarray, start: np.ndarray) -> np.ndarray:
    """States reachable from `start` along edges adj[s, s'] (a boolean (S,) mask)."""
    seen = start.copy()
    frontier = np.flatnonzero(start)
    while frontier.size:
        new = adj[frontier].any(axis=0) & ~seen
        seen |= new
        frontier = np.flatnonzero(new)
    return seen


def _undefined_states(mdp: TabularMDP, P_pi: np.ndarray) -> np.ndarray:
    """For gamma = 1: mask of states whose episode may never end; raise if a start state is one."""
    live = ~mdp.terminal
    adj = (P_pi > 0) & live[:, None]  # terminal states have no outgoing edges
    can_end = _closure(adj.T, mdp.terminal)
    trapped = live & ~can_end  # no terminal state is reachable from here
    tainted = _closure(adj.T, trapped)  # states that can reach a trap
    starts = np.flatnonzero((mdp.rho > 0) & tainted)
    if starts.size:
        s0 = int(starts[0])
        trap = int(np.flatnonzero(_closure(adj, np.eye(mdp.n_states, dtype=bool)[s0]) & trapped)[0])
        raise ValueError(
            f"with gamma = 1 the episode from start state {s0} does not terminate with probability 1 "
            f"under this policy: it can reach state {trap}, from which no terminal state is reachable, "
            f"so the value equations (I - P_pi) V = r_pi are singular. Use gamma < 1 or a policy "
            f"that reaches a terminal state.")
    return tainted


def evaluate(mdp: TabularMDP, pi) -> Evaluation:
    """Evaluate the probability table pi (S, A) exactly by two linear solves.

    States from which the episode may never end (only possible with gamma = 1, and only if no
    start state reaches them) get V = Q = nan and d = 0.
    """
    pi = as_float_array("pi", pi, ndim=2)
    if pi.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"pi has shape {pi.shape}, expected (S, A) = {(mdp.n_states, mdp.n_actions)}")
    check_probability("pi", pi, axis=1)
    live = ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    ok = ~_undefined_states(mdp, P_pi) if mdp.gamma == 1.0 else np.ones(mdp.n_states, bool)
    keep = live & ok  # solve only where values are defined; terminal states have V = 0
    M = P_pi if keep.all() else P_pi[np.ix_(keep, keep)]  # skip an (S, S) copy when all are kept
    L = np.eye(M.shape[0]) - mdp.gamma * M
    r_pi = np.einsum("sa,sa->s", pi, mdp.R)[keep]
    V = np.where(ok, 0.0, np.nan)
    d = np.zeros(mdp.n_states)
    if M.shape[0]:
        V[keep] = np.linalg.solve(L, r_pi)
        d[keep] = np.linalg.solve(L.T, mdp.rho[keep])
    # an action that may lead to a state with undefined V has undefined Q too (even where pi never
    # takes it), so the zeros that nan_to_num puts in place of undefined V never enter a defined Q
    Q = mdp.R + mdp.gamma * (mdp.P @ np.nan_to_num(V))
    if not ok.all():
        Q[mdp.P @ ~ok > 0] = np.nan
        Q[~ok] = np.nan
    Q[mdp.terminal] = 0.0
    return Evaluation(V=V, Q=Q, d=d, J=float(mdp.rho @ np.nan_to_num(V)))


def expected_return(mdp: TabularMDP, policy: SoftmaxPolicy, theta) -> float:
    """J(theta) = E[sum_t gamma^t r_t] from the start distribution rho."""
    policy.check_mdp(mdp)
    return evaluate(mdp, policy.probs(theta)).J


def policy_gradient(mdp: TabularMDP, policy: SoftmaxPolicy, theta) -> np.ndarray:
    """Exact grad J(theta) by the policy gradient theorem; shaped like theta."""
    policy.check_mdp(mdp)
    pi = policy.probs(theta)
    V, Q, d, _ = evaluate(mdp, pi)
    adv = Q - V[:, None]
    # states with undefined values are never visited (d = 0): they contribute nothing
    weights = np.where(d[:, None] > 0, d[:, None] * pi * np.nan_to_num(adv), 0.0)
    return policy.weighted_score(theta, weights)
