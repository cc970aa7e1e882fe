"""Chapter 04: one episode of Sutton & Barto's REINFORCE with a learned baseline (2018, section 13.4).

The learner writes `func(policy, theta, w, states, actions, rewards, alpha, alpha_w, gamma) ->
(theta, w)`: for t = 0, 1, ..., T-1 along the given episode,

    delta = G_t - w[S_t];   w[S_t] += alpha_w delta;   theta += alpha gamma^t delta grad log pi(A_t|S_t, theta)

with G_t = R_{t+1} + gamma R_{t+2} + ... and theta changing at every step. The reference differentiates
log pi with sympy (log-softmax of the features, `sympy.diff`), so it shares no code with
`SoftmaxPolicy.score`, which the learner will likely call. Typical mistakes are recognised by
computing what they compute, with the same reference.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ._core import Verdict, _fmt, returned_none

__all__ = ["book_baseline_update"]


class _Case(NamedTuple):
    name: str
    policy: object  # pgbook.SoftmaxPolicy
    theta: np.ndarray
    w: np.ndarray
    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    alpha: float
    alpha_w: float
    gamma: float


@lru_cache(maxsize=None)
def _score_function(shape: tuple[int, int, int], values: tuple[float, ...]):
    """grad_theta log pi(a|s) from sympy for the features phi (S, A, d) = values.reshape(shape):
    a function of theta (d,) returning (S, A, d)."""
    import sympy as sp

    phi = np.array(values, dtype=float).reshape(shape)
    S, A, d = shape
    th = sp.symbols(f"t0:{d}")
    grads = []
    for s in range(S):
        logits = [sum(float(phi[s, a, k]) * th[k] for k in range(d)) for a in range(A)]
        log_norm = sp.log(sum(sp.exp(z) for z in logits))
        grads.append([[sp.diff(z - log_norm, t) for t in th] for z in logits])
    f = sp.lambdify([th], grads, "numpy")
    return lambda theta: np.array(f(list(theta)), dtype=float).reshape(S, A, d)


def _features(policy) -> np.ndarray:
    """The policy's features (S, A, d); one-hot features for a tabular policy (d = S A)."""
    if policy.phi is not None:
        return np.asarray(policy.phi)
    S, A = policy.n_states, policy.n_actions
    return np.eye(S * A).reshape(S, A, S * A)


def _update(case: _Case, gamma_t: bool = True, discount_G: bool = True, total_return: bool = False,
            frozen: bool = False, delta_after_w: bool = False, baseline: bool = True, w_rate: bool = True,
            sign: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The book's update on the case's episode; the flags switch on one typical mistake each."""
    phi = _features(case.policy)
    score = _score_function(phi.shape, tuple(phi.ravel().tolist()))
    theta0 = case.theta.reshape(-1).astype(float)
    theta, w = theta0.copy(), case.w.astype(float).copy()
    r, T = case.rewards, len(case.rewards)
    g = case.gamma if discount_G else 1.0
    G = np.array([sum(g ** (k - t) * r[k] for k in range(t, T)) for t in range(T)])
    if total_return:
        G = np.full(T, G[0])
    for t in range(T):
        s, a = int(case.states[t]), int(case.actions[t])
        delta = G[t] - w[s]
        w[s] += (case.alpha_w if w_rate else 1.0) * delta
        if delta_after_w:
            delta = G[t] - w[s]
        step = delta if baseline else G[t]
        psi = score(theta0 if frozen else theta)[s, a]
        theta = theta + sign * case.alpha * (case.gamma ** t if gamma_t else 1.0) * step * psi
    return theta.reshape(case.theta.shape), w


def _cases() -> list[_Case]:
    """Two episodes: the short corridor with the book's features (gamma = 1, w starts at 0), and a
    3-state tabular problem with gamma = 0.9, rewards of both signs and a non-zero starting w."""
    from .. import envs
    from ..policies import SoftmaxPolicy

    corridor = SoftmaxPolicy(envs.short_corridor_features())
    left, right = 0, 1
    # 0 -left-> 0 -right-> 1 -left-> 2 -left-> 1 -left-> 2 -right-> goal (state 1 reverses the actions)
    walk = _Case("the short corridor (the book's features, gamma = 1, 6 steps)", corridor,
                 np.array([0.3, -0.2]), np.zeros(4), np.array([0, 0, 1, 2, 1, 2]),
                 np.array([left, right, left, left, left, right]), -np.ones(6), 0.1, 0.2, 1.0)
    tabular = _Case("a 3-state tabular problem (gamma = 0.9, 7 steps)", SoftmaxPolicy.tabular(3, 3),
                    np.array([[0.2, -0.4, 0.1], [0.0, 0.5, -0.3], [-0.1, 0.2, 0.3]]), np.array([0.5, -0.2, 0.1]),
                    np.array([0, 1, 1, 2, 0, 2, 1]), np.array([2, 0, 1, 1, 0, 2, 2]),
                    np.array([1.0, -0.5, 2.0, 0.0, -1.0, 3.0, 0.5]), 0.3, 0.25, 0.9)
    return [walk, tabular]


_MISTAKES = [
    (dict(frozen=True), "every grad log pi is taken at the theta the episode started with. In the book's "
     "update theta changes at every step, and step t uses the current theta (that is what makes it differ "
     "from a batch update with one episode)."),
    (dict(gamma_t=False), "the theta step lacks the factor gamma^t. It is part of the gradient of J from the "
     "start state; dropping it is a common slip (Nota & Thomas 2020 found it missing in many implementations)."),
    (dict(discount_G=False), "G_t must be discounted: G_t = R_{t+1} + gamma R_{t+2} + gamma^2 R_{t+3} + ..."),
    (dict(total_return=True), "every step uses the whole return G_0; the book uses the return from step t "
     "on, G_t (rewards before t cannot depend on A_t)."),
    (dict(delta_after_w=True), "delta is recomputed after w[S_t] was updated. Compute delta = G_t - w[S_t] once, "
     "then use the same delta in both updates."),
    (dict(baseline=False), "the theta step uses G_t instead of delta = G_t - w[S_t]: the baseline is learned "
     "but never subtracted."),
    (dict(w_rate=False), "w[S_t] should move by alpha_w * delta, not by delta."),
    (dict(sign=-1.0), "it has the wrong sign: REINFORCE ascends J, theta += alpha gamma^t delta grad log pi."),
]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return np.allclose(a, b, rtol=1e-8, atol=1e-10)


def book_baseline_update(func) -> Verdict:
    """Check func(policy, theta, w, states, actions, rewards, alpha, alpha_w, gamma) -> (theta, w):
    one episode of REINFORCE with a per-state baseline w (S,) as Sutton & Barto (2018, section 13.4)
    write it. states, actions, rewards: (T,), rewards[t] = R_{t+1}; theta: policy.theta_shape.
    The inputs must not be changed.
    """
    if not callable(func):
        return Verdict(False, f"book_baseline_update should be a function, got {type(func).__name__}.")
    cases = _cases()
    for case in cases:
        args = [case.policy, case.theta.copy(), case.w.copy(), case.states.copy(), case.actions.copy(),
                case.rewards.copy(), case.alpha, case.alpha_w, case.gamma]
        call = f"On {case.name}, your function"
        try:
            out = func(*args)
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"{call} raised {type(err).__name__}: {err}")
        if out is None:
            return returned_none(call)
        inputs = ("theta", "w", "states", "actions", "rewards")
        for name, given, kept in zip(inputs, args[1:6], (case.theta, case.w, case.states, case.actions, case.rewards)):
            if not np.array_equal(given, kept):
                return Verdict(False, f"{call} changed its input {name}: work on a copy (e.g. w = w.copy()).")
        if not (isinstance(out, tuple) and len(out) == 2):
            return Verdict(False, f"{call} should return a pair (theta, w), got {type(out).__name__}.")
        try:
            theta, w = (np.asarray(x, dtype=float) for x in out)
        except (TypeError, ValueError):
            return Verdict(False, f"{call} returned something that is not two arrays of numbers.")
        want_theta, want_w = _update(case)
        for name, got, want in (("theta", theta, want_theta), ("w", w, want_w)):
            if got.shape != want.shape:
                return Verdict(False, f"{call} returned {name} of shape {got.shape}, expected {want.shape}.")
        theta_ok = _same(theta, want_theta)
        if theta_ok and _same(w, want_w):
            continue
        for flags, hint in _MISTAKES:
            t_m, w_m = _update(case, **flags)
            if _same(theta, t_m) and _same(w, w_m):
                return Verdict(False, f"{call} is not right: {hint}")
        wrong, got, want = ("w", w, want_w) if theta_ok else ("theta", theta, want_theta)
        return Verdict(False, f"{call} returned {wrong} = {_fmt(got)}, expected {_fmt(want)}.")
    return Verdict(True, "book_baseline_update gives Sutton & Barto's update of theta and w on both test "
                         f"episodes: {cases[0].name} and {cases[1].name}.")
