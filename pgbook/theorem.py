"""The policy gradient theorem, state by state (notebook 07).

Writing V(s) = sum_a pi(a|s) Q(s, a) and differentiating gives one linear system for the vector of
per-state gradients (Sutton & Barto 2018, section 13.2):

    grad V(s) = sum_a grad pi(a|s) Q(s, a) + gamma sum_a pi(a|s) sum_s' P(s'|s, a) grad V(s')

Unrolled, grad J = sum_s d(s) sum_a Q(s, a) grad pi(a|s) with d the discounted occupancy. Many
implementations instead weight states by their undiscounted visit counts eta(s); that direction is
not the gradient of any function (Nota & Thomas 2020).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _bellman
from ._checks import as_float_array
from .exact import evaluate
from .mdp import TabularMDP
from .policies import SoftmaxPolicy


class OnPolicy(NamedTuple):
    """eta: (S,) expected visits per episode; mu = eta / length: (S,); length: expected episode length."""

    eta: np.ndarray
    mu: np.ndarray
    length: float


def _immediate(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike) -> tuple[np.ndarray, _bellman.Chain]:
    """(b, chain): b[s] = sum_a grad pi(a|s) Q(s, a): (S, *theta_shape); the chain holds pi and
    the LU factors of I - gamma M that `pgbook.exact` uses for V, reused here for the gradients."""
    theta, pi = _bellman.policy_table(mdp, policy, theta)
    ch = _bellman.chain(mdp, pi)
    Q = _bellman.q_values(mdp, ch)
    if np.isnan(Q).any():
        s = int(np.argwhere(np.isnan(Q))[0, 0])
        raise ValueError(f"state {s} never terminates under this policy with gamma = 1, so its value "
                         f"and gradient are undefined; use gamma < 1 or a policy that terminates")
    # grad pi = pi * grad log pi; one weight table per state s keeps only row s: (S, S, A)
    W = np.eye(mdp.n_states)[:, :, None] * (pi * Q)[None]
    return policy.weighted_score(theta, W), ch


def per_state_gradients(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike) -> np.ndarray:
    """grad_theta V(s) for every state, by solving the one-step recursion: (S, *theta_shape).

    The recursion's matrix is the Bellman equations' I - gamma M, so the LU of the values serves.
    Terminal states have V = 0 whatever theta is, so their gradient is 0.
    """
    b, ch = _immediate(mdp, policy, theta)
    return _bellman.solve(ch, b * ch.keep.reshape((-1,) + (1,) * (b.ndim - 1)))


def recursion_residual(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike,
                       grads: ArrayLike) -> np.ndarray:
    """grads[s] - (b[s] + gamma sum_s' P_pi[s, s'] grads[s']) on live states, 0 on terminal ones.

    grads: (S, *theta_shape), any candidate for the per-state gradients (solved, finite differences).
    """
    b, ch = _immediate(mdp, policy, theta)
    grads = as_float_array("grads", grads)
    if grads.shape != b.shape:
        raise ValueError(f"grads has shape {grads.shape}, expected (S, *theta_shape) = {b.shape}")
    live = ~mdp.terminal
    P_pi = _bellman.transitions(mdp, ch.pi)
    nxt = np.tensordot(P_pi[:, live], grads[live], axes=1)  # terminal successors contribute 0
    return (grads - b - mdp.gamma * nxt) * live.reshape((-1,) + (1,) * (b.ndim - 1))


def on_policy_distribution(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike) -> OnPolicy:
    """Sutton & Barto's mu (section 9.2): visit counts eta of the *undiscounted* episode, normalised.

    eta solves (I - P_pi)^T eta = rho over live states whatever mdp.gamma is, so episodes must end
    with probability 1 (ValueError from `pgbook.exact.evaluate` otherwise). sum(eta) is the expected
    episode length: the proportionality constant in grad J = length * sum_s mu(s) sum_a q grad pi.
    """
    _, pi = _bellman.policy_table(mdp, policy, theta)
    if not mdp.terminal.any():
        raise ValueError("the on-policy distribution mu needs an episodic MDP (some terminal state); "
                         "this MDP has none, so undiscounted visit counts are infinite")
    undiscounted = TabularMDP(mdp.P, mdp.R, mdp.rho, 1.0, mdp.terminal)
    eta = evaluate(undiscounted, pi).d
    length = float(eta.sum())
    return OnPolicy(eta=eta, mu=eta / length, length=length)


def undiscounted_direction(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike) -> np.ndarray:
    """E[sum_t G_t grad log pi(a_t|s_t)]: the update without gamma^t, shaped like theta.

    Equal to sum_s eta(s) sum_a pi(a|s) (Q(s, a) - V(s)) grad log pi(a|s), with eta the undiscounted
    visit counts and Q, V the discounted values. It is grad J when gamma = 1, and otherwise not.
    """
    eta = on_policy_distribution(mdp, policy, theta).eta
    pi = policy.probs(theta)
    V, Q, _, _ = evaluate(mdp, pi)
    adv = np.nan_to_num(Q - V[:, None])  # states with undefined values have eta = 0
    return policy.weighted_score(theta, eta[:, None] * pi * adv)


def asymmetry(jac: ArrayLike) -> float:
    """||jac - jac^T|| / ||jac|| (Frobenius): 0 for the Jacobian of a gradient field (a Hessian)."""
    jac = as_float_array("jac", jac, ndim=2)
    if jac.shape[0] != jac.shape[1]:
        raise ValueError(f"jac must be square, got shape {jac.shape}")
    scale = np.linalg.norm(jac)
    return 0.0 if scale == 0 else float(np.linalg.norm(jac - jac.T) / scale)
