"""The Bellman equations of a fixed policy, solved with one LU factorization (used by `exact`, `theorem`).

With M = P_pi restricted to the states whose values are solved (non-terminal ones, and with
gamma = 1 only those from which the episode can end) and L = I - gamma M:

    L V = r_pi    values;   L h = 1    expected (discounted) number of steps from each state;
    L^T d = rho   discounted occupancy;   L X = B    per-state gradients in `theorem`.

One LU of L serves them all (`lu_solve` with and without transposition). Other rows of L are
rows of the identity, so one (S, S) system holds every state and the unsolved ones come out 0.

Precision: float64 holds a probability near 1 only to about 1e-16, so when episodes last h steps
on average the solved values carry relative errors of about h * 1e-16 (measured on the short
corridor: 7e-8 at h = 2e9, 4e-3 at h = 4e13, and the wrong sign of J at h = 5e17). Beyond
MAX_LENGTH steps the solve refuses with a ValueError instead of returning such numbers.
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy.linalg import LinAlgWarning, lu_factor, lu_solve

from ._checks import as_float_array, check_probability
from ._traps import closure, edges, undefined
from .mdp import TabularMDP
from .policies import SoftmaxPolicy

MAX_LENGTH = 1e12  # expected steps per episode beyond which values lose more than ~1e-4 relative


class Chain(NamedTuple):
    """A policy's chain, solved. pi (S, A) the table; ok (S,) states whose values are defined;
    keep (S,) states solved (ok and non-terminal); lu: LU factors of L^T; V (S,), nan where not ok;
    h (S,) expected discounted number of steps, 0 where not kept."""

    pi: np.ndarray
    ok: np.ndarray
    keep: np.ndarray
    lu: tuple
    V: np.ndarray
    h: np.ndarray


def tables(mdp: TabularMDP, pi, ndim: int | None = 2) -> np.ndarray:
    """pi (..., S, A) checked and renormalised (a copy): rows within PROB_TOL of distributions."""
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a pgbook.TabularMDP, got {type(mdp).__name__}")
    pi = as_float_array("pi", pi, ndim=ndim)
    if pi.ndim < 2 or pi.shape[-2:] != (mdp.n_states, mdp.n_actions):
        lead = "" if ndim == 2 else "..., "
        raise ValueError(f"pi has shape {pi.shape}, expected ({lead}S, A) = "
                         f"({lead}{mdp.n_states}, {mdp.n_actions})")
    return check_probability("pi", pi, axis=-1)


def policy_table(mdp: TabularMDP, policy: SoftmaxPolicy, theta) -> tuple[np.ndarray, np.ndarray]:
    """(theta, pi): theta checked against the policy, the policy against the MDP, pi (S, A) as `tables`."""
    if not isinstance(policy, SoftmaxPolicy):
        raise TypeError(f"policy must be a pgbook.SoftmaxPolicy, got {type(policy).__name__}")
    theta = policy.check_theta(theta)
    policy.check_mdp(mdp)
    return theta, tables(mdp, policy.probs(theta))


def too_long(gamma: float, state: int, h: float, where: str = "") -> ValueError:
    """The error for episodes too long for float64 (see the module docstring)."""
    steps = (f"about {h:.2g} steps on average" if np.isfinite(h) and 1e-3 < h < 1e16 else
             "longer than float64 can resolve (over about 1e15 steps on average: the chance of ending "
             "is below about 1e-15 per step)")
    what = ("with gamma = 1, an episode" if gamma == 1 else
            f"with gamma = {gamma!r}, the discounted horizon sum_t gamma^t Pr(running at t)")
    return ValueError(
        f"{where}{what} from state {state} lasts {steps} under this policy. Beyond {MAX_LENGTH:.0e} "
        f"steps the Bellman equations cannot be solved reliably in float64: probabilities near 1 are "
        f"stored only to about 1e-16, so J and its gradient would carry relative errors of about "
        f"(steps) x 1e-16, even the wrong sign. Keep the policy away from near-deterministic choices "
        f"(smaller |theta|), or use gamma < 1.")


def _lu_solve(lu: tuple, b: np.ndarray, transposed: bool) -> np.ndarray:
    # lu holds the factors of L^T (see _factor), so L x = b is LAPACK's transposed solve
    return lu_solve(lu, b, trans=0 if transposed else 1, check_finite=False)


def solve(chain: Chain, B: np.ndarray, transposed: bool = False) -> np.ndarray:
    """X with L X = B (or L^T X = B): B (S, ...) -> (S, ...); rows of unsolved states return B's rows.

    A single right-hand side goes as a vector: OpenBLAS spreads several right-hand sides over its
    threads even for tiny systems, which costs milliseconds of waiting on a busy machine."""
    flat = B.reshape(B.shape[0], -1)
    X = _lu_solve(chain.lu, flat[:, 0] if flat.shape[1] == 1 else flat, transposed)
    return X.reshape(B.shape)


def transitions(mdp: TabularMDP, pi: np.ndarray) -> np.ndarray:
    """P_pi[..., s, s'] = sum_a pi[..., s, a] P[s, a, s'] for tables pi (..., S, A): (..., S, S)."""
    return np.einsum("...sa,sat->...st", pi, mdp.P)


def matrix(mdp: TabularMDP, P_pi: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """L = I - gamma M for P_pi (..., S, S) and keep (..., S), computed in place of P_pi (an (S, S)
    copy costs as much as forming P_pi): unsolved states get rows of the identity and are never a
    successor."""
    L = np.multiply(P_pi, -mdp.gamma, out=P_pi)
    if not keep.all():
        L *= keep[..., :, None] & keep[..., None, :]
    diagonal = np.arange(L.shape[-1])
    L[..., diagonal, diagonal] += 1.0
    return L


def lengths_ok(h: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Mask of solved states whose expected number of steps h is at most MAX_LENGTH and sane (h >= 1
    in exact arithmetic, so h < 0.5 or nan means a garbage solve of a near-singular L)."""
    return ~keep | ((h >= 0.5) & (h <= MAX_LENGTH))


def _factor(mdp: TabularMDP, P_pi: np.ndarray, keep: np.ndarray) -> tuple[tuple, bool]:
    """LU factors of L^T, and whether L is exactly singular in float64."""
    L = matrix(mdp, P_pi, keep)
    with warnings.catch_warnings():  # an exactly singular L is reported by the caller, in words
        warnings.simplefilter("ignore", LinAlgWarning)
        lu = lu_factor(L.T, overwrite_a=True, check_finite=False)  # L.T is Fortran-ordered: no copy
    return lu, bool((np.diagonal(lu[0]) == 0).any())


def chain(mdp: TabularMDP, pi: np.ndarray, where: str = "") -> Chain:
    """Solve the chain of the (validated) table pi (S, A): V and h by one LU; see the module docstring.

    States that may never end (gamma = 1) or whose episodes are too long for float64 get V = nan if
    no start state reaches them; otherwise ValueError (`where` prefixes the message).
    """
    r_pi = np.einsum("sa,sa->s", pi, mdp.R)
    ok = np.ones(mdp.n_states, bool)
    if mdp.gamma == 1.0:
        ok = ~undefined(mdp, transitions(mdp, pi), where=where)
    for _ in range(2):  # a second pass only if some unreached state's episodes are too long
        keep = ok & ~mdp.terminal
        lu, singular = _factor(mdp, transitions(mdp, pi), keep)
        # one right-hand side per call (see `solve`): values, and the expected number of steps
        V, h = _lu_solve(lu, r_pi * keep, False), _lu_solve(lu, keep * 1.0, False)
        if singular:  # no state to blame in particular: name a start state
            raise too_long(mdp.gamma, int(np.flatnonzero(mdp.rho > 0)[0]), np.inf, where)
        bad = ~lengths_ok(h, keep)
        if not bad.any():
            return Chain(pi, ok, keep, lu, np.where(ok, V, np.nan), h)
        adj = edges(mdp, transitions(mdp, pi))
        reached = bad & closure(adj, mdp.rho > 0)
        if reached.any():
            s = int(np.flatnonzero(reached)[0])
            raise too_long(mdp.gamma, s, float(h[s]), where)
        ok = ok & ~closure(adj.T, bad)  # unreached: undefined like a trap, and solve again without
    raise too_long(mdp.gamma, int(np.flatnonzero(bad)[0]), float(h[bad][0]), where)


def q_values(mdp: TabularMDP, ch: Chain) -> np.ndarray:
    """Q[s, a] = R[s, a] + gamma sum_s' P[s, a, s'] V[s']: (S, A); 0 in terminal states, nan where
    an action may lead to a state with undefined V (even where pi never takes it)."""
    Q = mdp.R + mdp.gamma * (mdp.P @ np.nan_to_num(ch.V))
    if not ch.ok.all():  # nan_to_num's zeros for undefined V never enter a defined Q
        Q[mdp.P @ ~ch.ok > 0] = np.nan
        Q[~ch.ok] = np.nan
    Q[mdp.terminal] = 0.0
    return Q


def values_many(mdp: TabularMDP, pi: np.ndarray, lead: tuple[int, ...]) -> np.ndarray:
    """V for a stack of validated tables pi (R, S, A) by one batched solve: (R, S), nan where undefined.

    Same equations and checks as `chain`; a table whose solve fails them goes through `chain`, which
    raises (naming pi[index], with index in the stack's shape `lead`) or handles unreached states."""
    P_pi = transitions(mdp, pi)
    r_pi = np.einsum("rsa,sa->rs", pi, mdp.R)
    def where(r: int) -> str:  # pi[i, j, :, :] for the r-th table of a stack of shape lead
        return f"pi[{', '.join(str(int(i)) for i in np.unravel_index(r, lead))}, :, :]: " if lead else ""
    ok = np.ones(r_pi.shape, bool)
    if mdp.gamma == 1.0:  # which states can end depends only on which actions have pi > 0
        support = (pi > 0).reshape(len(pi), -1)
        inverse = (np.zeros(len(pi), int) if support.all() else  # the usual case: skip a slow sort
                   np.unique(support, axis=0, return_inverse=True)[1].ravel())
        for k in np.unique(inverse):
            rows = np.flatnonzero(inverse == k)
            ok[rows] = ~undefined(mdp, P_pi[rows[0]], where=where(rows[0]))
    keep = ok & ~mdp.terminal
    try:
        X = np.linalg.solve(matrix(mdp, P_pi, keep), np.stack([r_pi * keep, keep * 1.0], axis=-1))
    except np.linalg.LinAlgError:  # some L exactly singular: let `chain` find which and say why
        X = np.full(r_pi.shape + (2,), np.nan)
    V = np.where(ok, X[..., 0], np.nan)
    for r in np.flatnonzero(~lengths_ok(X[..., 1], keep).all(axis=1)):
        V[r] = chain(mdp, pi[r], where(r)).V
    return V
