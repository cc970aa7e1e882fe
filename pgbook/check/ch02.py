"""Chapter 02: grad J of a tiny MDP as a sum over every trajectory, written by the learner.

The reference is `pgbook.exact.policy_gradient` on `pgbook.symbolic.unrolled_mdp` (the policy
gradient theorem by linear algebra), not an enumeration, so the check does not share the method it
is checking. The enumeration here only recognises typical mistakes.
"""
from __future__ import annotations

import itertools

import numpy as np

from ._core import Verdict, close, returned_none

__all__ = ["enumerated_gradient"]


def _cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]]:
    """(rho, P, R, theta, horizon): notebook 02's MDP, then 3 states x 2 actions over 3 steps and
    2 states x 3 actions over 1 step, with dynamics that differ by action (so dropping them shows)."""
    p, q = 0.8, 0.25
    cases = [(np.array([0.7, 0.3]), np.array([[[p, 1 - p], [1 - p, p]], [[q, 1 - q], [1 - q, q]]]),
              np.array([[1.0, -1.0], [0.0, 2.0]]), np.array([[0.3, -0.2], [0.5, 0.1]]), 2)]
    rng = np.random.default_rng(2)  # fixed numbers, drawn once
    for S, A, H in ((3, 2, 3), (2, 3, 1)):
        P = rng.dirichlet(np.ones(S), size=(S, A))
        cases.append((rng.dirichlet(np.ones(S)), P, rng.normal(size=(S, A)).round(2),
                      rng.normal(size=(S, A)).round(2), H))
    return cases


def _enumerate(rho, P, R, theta, H, dynamics=True, minus_pi=True, uniform=False) -> np.ndarray:
    """sum_tau w(tau) R(tau) grad log p(tau) with w = p(tau); the flags switch on typical mistakes:
    no P factors in p(tau), a score without its -pi term, uniform weights 1 / #trajectories."""
    S, A = theta.shape
    pi = np.exp(theta - theta.max(axis=1, keepdims=True))
    pi /= pi.sum(axis=1, keepdims=True)
    trajs = [(s, a) for s in itertools.product(range(S), repeat=H + 1) for a in itertools.product(range(A), repeat=H)]
    total = np.zeros((S, A))
    for s, a in trajs:
        w, ret, score = rho[s[0]], 0.0, np.zeros((S, A))
        for t in range(H):
            w *= pi[s[t], a[t]] * (P[s[t], a[t], s[t + 1]] if dynamics else 1.0)
            ret += R[s[t], a[t]]
            score[s[t], a[t]] += 1.0
            if minus_pi:
                score[s[t]] -= pi[s[t]]
        total += (1.0 / len(trajs) if uniform else w) * ret * score
    return total


# (flags of `_enumerate`, hint): what a typical mistake computes instead (computed only for a wrong answer)
_MISTAKES = (
    (dict(dynamics=False), "p(tau) is missing the dynamics. P(s'|s, a) drops out of grad log p(tau), "
                           "but not out of p(tau): weight each trajectory by its full probability."),
    (dict(minus_pi=False), "the score counts each visited (s_t, a_t) but misses its second term: "
                           "grad log pi(a|s) is 1 at (s, a) minus pi(.|s) across the row of s."),
    (dict(uniform=True), "every trajectory got the same weight. The sum is an expectation: weight "
                         "each trajectory by its probability p(tau)."),
)


def enumerated_gradient(func) -> Verdict:
    """Hold `func(rho, P, R, theta, horizon) -> grad J` (S, A) against the exact gradient.

    The MDP: rho (S,) start distribution, P (S, A, S) with P[s, a, s'] = Pr(s' | s, a), R (S, A)
    rewards, a tabular softmax policy with logits theta (S, A) used at every step, J the expected
    undiscounted sum of the first `horizon` rewards. Tried on three MDPs. Recognised mistakes: the
    dynamics left out of p(tau) (they drop out of grad log p(tau), not out of p(tau)), a score
    without its -pi term, trajectories averaged with equal weights, and the sign.
    """
    from .. import exact, symbolic
    from ..policies import SoftmaxPolicy

    if not callable(func):
        return Verdict(False, f"enumerated_gradient should be given a function, got {type(func).__name__}.")
    cases = _cases()
    for n, (rho, P, R, theta, H) in enumerate(cases):
        mdp, phi = symbolic.unrolled_mdp(rho, P, R, H)
        expected = exact.policy_gradient(mdp, SoftmaxPolicy(phi), theta.ravel()).reshape(theta.shape)
        where = f"On MDP {n + 1} ({theta.shape[0]} states, {theta.shape[1]} actions, horizon {H})"
        try:  # copies: a learner's function may modify its inputs
            got = func(rho.copy(), P.copy(), R.copy(), theta.copy(), H)
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"{where} enumerated_gradient raised {type(err).__name__}: {err}")
        if got is None:
            return returned_none(f"{where} enumerated_gradient")
        hints = [(lambda a, f=flags: np.allclose(a, _enumerate(rho, P, R, theta, H, **f), rtol=1e-6, atol=1e-9), hint)
                 for flags, hint in _MISTAKES]
        hints.append((lambda a: np.allclose(a, -expected, rtol=1e-6, atol=1e-9),
                      "the sign is flipped: the answer is +sum p(tau) R(tau) grad log p(tau)."))
        verdict = close(f"{where} enumerated_gradient(...)", got, expected, hints=hints)
        if not verdict:
            return verdict
    return Verdict(True, f"enumerated_gradient agrees with the policy gradient theorem on all {len(cases)} MDPs.")
