"""Ground truth by linear algebra: values, occupancy, J and the exact policy gradient (notebook 03);
J of a stack of policies, the expected episode length; the Fisher matrix and natural gradient (notebook 10).

With M = the state-to-state matrix of pi restricted to non-terminal states, the Bellman equations
are one linear system, and the discounted occupancy d solves the transposed one:

    (I - gamma M) V = r_pi            V[s]  = E[sum_t gamma^t r_t | s_0 = s]
    (I - gamma M)^T d = rho           d[s]  = sum_t gamma^t Pr(s_t = s)
    Q[s, a] = R[s, a] + gamma sum_s' P[s, a, s'] V[s']
    J = rho . V,   grad J = sum_{s, a} d(s) pi(a|s) (Q(s, a) - V(s)) grad log pi(a|s)

The last line is the policy gradient theorem (Sutton & Barto 2018, section 13.2). One LU
factorization of I - gamma M serves V and d (`pgbook._bellman`). With gamma = 1, policies whose
episodes last longer than float64 can resolve (over 1e12 steps on average) raise a ValueError.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _bellman, _traps
from .mdp import TabularMDP
from .policies import SoftmaxPolicy


class Evaluation(NamedTuple):
    """Exact evaluation of a policy. V: (S,), Q: (S, A), d: (S,) discounted occupancy, J: float."""

    V: np.ndarray
    Q: np.ndarray
    d: np.ndarray
    J: float


def evaluate(mdp: TabularMDP, pi: ArrayLike) -> Evaluation:
    """Evaluate the probability table pi (S, A) exactly: one LU for V and d.

    States from which the episode may never end, or lasts too long for float64 (only possible with
    gamma = 1, and only if no start state reaches them; otherwise ValueError) get V = Q = nan and
    d = 0. `pi` (a table within PROB_TOL of distributions, renormalised) is not modified.
    """
    return _evaluate(mdp, _bellman.tables(mdp, pi))


def _evaluate(mdp: TabularMDP, pi: np.ndarray) -> Evaluation:
    """`evaluate` for a table pi (S, A) already checked by `_bellman.tables`."""
    ch = _bellman.chain(mdp, pi)
    d = _bellman.solve(ch, mdp.rho * ch.keep, transposed=True)
    return Evaluation(V=ch.V, Q=_bellman.q_values(mdp, ch), d=d, J=float(mdp.rho @ np.nan_to_num(ch.V)))


def expected_return(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike) -> float:
    """J(theta) = E[sum_t gamma^t r_t] from the start distribution rho."""
    _, pi = _bellman.policy_table(mdp, policy, theta)
    return float(mdp.rho @ np.nan_to_num(_bellman.chain(mdp, pi).V))


def policy_gradient(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike) -> np.ndarray:
    """Exact grad J(theta) by the policy gradient theorem; shaped like theta."""
    theta, pi = _bellman.policy_table(mdp, policy, theta)
    V, Q, d, _ = _evaluate(mdp, pi)
    # states with undefined values are never visited (d = 0): they contribute nothing
    weights = np.where(d[:, None] > 0, d[:, None] * pi * np.nan_to_num(Q - V[:, None]), 0.0)
    return policy.weighted_score(theta, weights)


def expected_return_many(mdp: TabularMDP, pi: ArrayLike) -> np.ndarray:
    """J for a stack of probability tables pi (..., S, A) by one batched solve: (...).

    The same numbers as `evaluate(mdp, pi[i]).J` for each table, with the same errors (messages
    name the table, e.g. pi[3, 7, :, :]). `pi` is not modified.
    """
    pi = _bellman.tables(mdp, pi, ndim=None)
    lead = pi.shape[:-2]
    V = _bellman.values_many(mdp, pi.reshape((-1, mdp.n_states, mdp.n_actions)), lead)
    return (np.nan_to_num(V) @ mdp.rho).reshape(lead)


def expected_length(mdp: TabularMDP, pi: ArrayLike) -> float:
    """Expected number of steps per episode under the table pi (S, A), from rho; gamma plays no role.

    inf if an episode may never end (a start state can reach a state with no way to a terminal
    one, or there is no terminal state); ValueError if finite but too long for float64 (> 1e12).
    """
    pi = _bellman.tables(mdp, pi)
    undiscounted = TabularMDP(mdp.P, mdp.R, mdp.rho, 1.0, mdp.terminal)
    endless = _traps.undefined(undiscounted, _bellman.transitions(mdp, pi), strict=False)
    if (endless & (mdp.rho > 0)).any():
        return float("inf")
    return float(mdp.rho @ _bellman.chain(undiscounted, pi).h)


def _compatible(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(B, y) with B = sqrt(d pi) psi: (S*A, n) and y = sqrt(d pi) (Q - V): (S*A,), so that
    F = B^T B and grad J = B^T y (the policy gradient theorem). Rows with d pi = 0 are zero."""
    theta, pi = _bellman.policy_table(mdp, policy, theta)
    V, Q, d, _ = _evaluate(mdp, pi)
    root = np.sqrt(np.where(d[:, None] > 0, d[:, None] * pi, 0.0)).ravel()
    psi = policy.score(theta).reshape(mdp.n_states * mdp.n_actions, theta.size)  # C order
    adv = np.nan_to_num(Q - V[:, None]).ravel()  # undefined values only where d = 0
    return root[:, None] * psi, root * adv


def fisher(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike) -> np.ndarray:
    """Fisher information F = sum_s d(s) sum_a pi(a|s) psi psi^T, psi = grad log pi(a|s): (n, n).

    n = theta.size, theta flattened in C order; d is the discounted occupancy of `evaluate`.
    Symmetric positive semi-definite. A tabular policy gives n = S*A, so F holds (S*A)^2 numbers.
    """
    B, _ = _compatible(mdp, policy, theta)
    return B.T @ B  # numpy computes X.T @ X as one symmetric product: F is exactly symmetric


def natural_gradient(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike) -> np.ndarray:
    """The minimum-norm solution w of F w = grad J (w = pinv(F) grad J), shaped like theta.

    Computed as the minimum-norm least-squares fit of the advantage by psi . w, weighted by
    d(s) pi(a|s) (compatible function approximation, Sutton et al. 2000): with F = B^T B and
    grad J = B^T y, pinv(F) grad J = pinv(B) y, and B's condition number is the square root of F's
    (near-deterministic policies keep their small directions). For a tabular policy
    w(s, a) = A(s, a) - mean_a A(s, a) wherever d(s) > 0, and 0 elsewhere (Kakade 2001).
    """
    B, y = _compatible(mdp, policy, theta)
    w = np.linalg.lstsq(B, y, rcond=None)[0]
    return w.reshape(policy.theta_shape)
