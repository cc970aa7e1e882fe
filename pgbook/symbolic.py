"""Symbolic policies, expectations and trajectories with sympy (notebooks 01 and 02).

Everything here builds small exact expressions for the notebooks to differentiate and compare:
a handful of actions, two states, two or three steps. Larger problems belong to `pgbook.exact`.
Tiny MDPs are given as sympy objects indexed like the numeric ones in `pgbook.mdp`:

    rho[s]          start distribution              (S,)
    P[s, a, s']     Pr(s' | s, a)                   (S, A, S)
    R[s, a]         expected reward                 (S, A), or R[s, a, s'] (S, A, S)
    pi[s, a]        policy, e.g. `softmax_policy`   (S, A)
"""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np
import sympy as sp

from ._checks import as_float_array, check_positive_int
from .mdp import TabularMDP

MAX_TRAJECTORIES = 100_000
"""The most trajectories `trajectories` (and so `enumerated_return`) will list. Listing 100,000 takes
a fraction of a second and a symbolic J over them about a minute (2,048 take ~1 s at S = A = 2);
the count grows like (S A)^H, so one more step past the limit is already too slow to wait for."""


def softmax(logits: Sequence) -> list[sp.Expr]:
    """pi_k = exp(z_k) / sum_j exp(z_j) for K symbolic logits z (notebook 01). Returns K expressions."""
    z = [sp.sympify(zk) for zk in logits]
    if not z:
        raise ValueError("softmax needs at least one logit, got an empty sequence")
    total = sum(sp.exp(zk) for zk in z)
    return [sp.exp(zk) / total for zk in z]


def sigmoid(x) -> sp.Expr:
    """1 / (1 + exp(-x)): the probability of action 1 of a two-action policy with log-odds x (notebook 01)."""
    return 1 / (1 + sp.exp(-sp.sympify(x)))


def score(p, params: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """grad log p with respect to each parameter: [d log p / d theta_k] (notebook 01).

    `sp.expand_log(force=True)` first splits log(product) into a sum of logs, so factors that do
    not contain theta visibly drop out instead of cancelling only after simplification.
    """
    logp = sp.expand_log(sp.log(p), force=True)
    return [sp.diff(logp, th) for th in params]


def expectation(probs: Sequence, values: Sequence) -> sp.Expr:
    """E[v] = sum_k probs[k] values[k] over a finite outcome space (notebook 01)."""
    probs, values = list(probs), list(values)
    if len(probs) != len(values):
        raise ValueError(f"got {len(probs)} probabilities but {len(values)} values; expected as many of each")
    return sp.Add(*[p * v for p, v in zip(probs, values)])


def gaussian_pdf(x, mu, sigma) -> sp.Expr:
    """Density of N(mu, sigma^2) at x (notebook 01)."""
    return sp.exp(-(x - mu) ** 2 / (2 * sigma ** 2)) / (sp.sqrt(2 * sp.pi) * sigma)


def gaussian_expectation(f, x: sp.Symbol, mu, sigma) -> sp.Expr:
    """E[f(x)] for x ~ N(mu, sigma^2), by integrating f * density over the real line (notebook 01)."""
    return sp.simplify(sp.integrate(f * gaussian_pdf(x, mu, sigma), (x, -sp.oo, sp.oo)))


def normal_moments(expr, noises: Sequence[sp.Symbol]) -> sp.Expr:
    """E[expr] for independent standard normal `noises` when expr is a polynomial in them (notebook 02).

    Uses E[eps^n] = (n - 1)!! for even n and 0 for odd n: exact and much faster than integrating.
    Other symbols in expr (parameters such as theta or sigma) are kept as they are.
    """
    noises = list(noises)
    if not noises:  # sp.Poly would otherwise treat every free symbol, parameters too, as a noise
        raise ValueError("normal_moments needs at least one noise symbol, got none")
    for e in noises:
        if not isinstance(e, sp.Symbol):
            raise TypeError(f"noises must be sympy Symbols, got {type(e).__name__} {e!r}")
    expr = sp.expand(expr)
    if not expr.is_polynomial(*noises):
        raise ValueError(f"normal_moments needs a polynomial in {list(noises)}, got {expr}")

    def moment(n: int):
        return 0 if n % 2 else sp.factorial2(n - 1)

    poly = sp.Poly(expr, *noises)
    return sp.Add(*[coeff * sp.Mul(*[moment(n) for n in powers]) for powers, coeff in poly.terms()])


def softmax_policy(logits: sp.Matrix) -> sp.Matrix:
    """Row-wise softmax of an (S, A) matrix of logits: pi[s, a] (notebook 02)."""
    logits = sp.Matrix(logits)
    return sp.Matrix([softmax(logits.row(s)) for s in range(logits.rows)])


def trajectories(n_states: int, n_actions: int, horizon: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every (states, actions) of a horizon-H episode: states (H + 1,), actions (H,) (notebook 02).

    There are S^(H+1) A^H of them; more than MAX_TRAJECTORIES (100,000) raises a ValueError instead
    of running for hours: at S = A = 2 that allows H <= 7.
    """
    S, A = check_positive_int("n_states", n_states), check_positive_int("n_actions", n_actions)
    H = check_positive_int("horizon", horizon)
    count = S ** (H + 1) * A ** H  # Python ints: exact, no overflow
    if count > MAX_TRAJECTORIES:
        shown = f"{count:,}" if count < 10**12 else f"about {float(count):.3g}"
        raise ValueError(f"{S} states, {A} actions and horizon {H} give S^(H+1) A^H = {shown} "
                         f"trajectories, more than the limit MAX_TRAJECTORIES = {MAX_TRAJECTORIES:,}; "
                         f"use pgbook.exact (or symbolic.unrolled_mdp) for larger problems")
    return [(tuple(s), tuple(a)) for s in itertools.product(range(S), repeat=H + 1)
            for a in itertools.product(range(A), repeat=H)]


def trajectory_probability(states, actions, rho, P, pi) -> sp.Expr:
    """p(tau) = rho(s_0) prod_t pi(a_t | s_t) P(s_{t+1} | s_t, a_t) (notebook 02)."""
    if len(states) != len(actions) + 1:
        raise ValueError(f"a trajectory has one more state than actions, got {len(states)} states "
                         f"and {len(actions)} actions")
    p = rho[states[0]]
    for t, a in enumerate(actions):
        p *= pi[states[t], a] * P[states[t], a, states[t + 1]]
    return p


def trajectory_return(states, actions, R) -> sp.Expr:
    """R(tau) = sum_t r_t with r_t = R[s_t, a_t], or R[s_t, a_t, s_{t+1}] if R is (S, A, S) (notebook 02)."""
    R = sp.Array(R)
    if R.rank() not in (2, 3):
        raise ValueError(f"R must have shape (S, A) or (S, A, S), got shape {R.shape}")
    if R.rank() == 2:
        return sp.Add(*[R[s, a] for s, a in zip(states, actions)])
    return sp.Add(*[R[states[t], a, states[t + 1]] for t, a in enumerate(actions)])


def enumerated_return(rho, P, R, pi, horizon: int) -> sp.Expr:
    """J = sum over every trajectory tau of p(tau) R(tau), undiscounted, as one expression (notebook 02).

    A sympy expression built by enumerating all S^(H+1) A^H trajectories (at most MAX_TRAJECTORIES);
    `pgbook.exact.expected_return` is the numeric J of a TabularMDP by linear algebra.
    """
    S, A = sp.Matrix(pi).shape
    return sp.Add(*[trajectory_probability(s, a, rho, P, pi) * trajectory_return(s, a, R)
                    for s, a in trajectories(S, A, horizon)])


def unrolled_mdp(rho, P, R, horizon: int) -> tuple[TabularMDP, np.ndarray]:
    """A numeric TabularMDP whose J equals `enumerated_return` for the same numbers (notebook 02).

    Time is put into the state: state t * S + s is "in s at step t", and state H * S is terminal,
    reached after H steps; gamma = 1. Also returns features phi (H*S + 1, A, S*A) with
    phi[t*S + s, a] = e_{s*A + a}, so SoftmaxPolicy(phi) with theta = logits.ravel() is the same
    stationary policy at every step.
    """
    H = check_positive_int("horizon", horizon)
    P = as_float_array("P", np.array(sp.Array(P).tolist(), dtype=object), ndim=3)
    S, A, S2 = P.shape
    if S2 != S:
        raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
    R = as_float_array("R", np.array(sp.Array(R).tolist(), dtype=object))
    if R.shape == (S, A, S):
        R = np.einsum("sat,sat->sa", P, R)  # expected reward given (s, a)
    elif R.shape != (S, A):
        raise ValueError(f"R has shape {R.shape}, expected (S, A) = {(S, A)} or (S, A, S)")
    rho = as_float_array("rho", np.array(list(rho), dtype=object), ndim=1)
    if rho.shape != (S,):
        raise ValueError(f"rho has shape {rho.shape}, expected (S,) = ({S},) to match P")
    n = H * S + 1
    P_big, R_big, rho_big = np.zeros((n, A, n)), np.zeros((n, A)), np.zeros(n)
    for t in range(H):
        rows = slice(t * S, (t + 1) * S)
        R_big[rows] = R
        if t + 1 < H:
            P_big[rows, :, (t + 1) * S:(t + 2) * S] = P
        else:
            P_big[rows, :, n - 1] = 1.0  # the last step always ends the episode
    P_big[n - 1, :, n - 1] = 1.0
    rho_big[:S] = rho
    terminal = np.arange(n) == n - 1
    phi = np.zeros((n, A, S * A))
    phi[:-1] = np.tile(np.eye(S * A).reshape(S, A, S * A), (H, 1, 1))
    return TabularMDP(P_big, R_big, rho_big, 1.0, terminal), phi
