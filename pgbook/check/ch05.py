"""Self-checking exercise of notebook 05 (variance and baselines): the optimal constant baseline.

For a REINFORCE sample g - b B with E[B] = 0 (B the score sum that multiplies the baseline), the
variance of component k is smallest at b_k = E[g_k B_k] / E[B_k^2] (notebook 05, exercise 1). The
learner writes its sample version. The checker feeds samples that reproduce a distribution exactly
(each outcome repeated as often as its probability says), so a right answer must return the
population ratio, which the checker computes from the distribution itself in exact rational
arithmetic (sympy): an answer that shares no code with the learner's.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._core import Verdict, _fmt, returned_none

__all__ = ["optimal_baseline"]


class _Case(NamedTuple):
    name: str
    g: np.ndarray  # (N, n) per-episode samples without a baseline
    B: np.ndarray  # (N, n) the score sums that multiply b
    b: np.ndarray  # (n,) the exact E[g_k B_k] / E[B_k^2]


def _case(name: str, probs, outcomes) -> _Case:
    """outcomes: one (g, B) pair of sympy rational vectors per outcome, with probability probs[o]
    (rationals). The sample repeats outcome o probs[o] * L times (L the common denominator), in an
    interleaved order; b is computed from the probabilities, not from the sample."""
    import sympy as sp

    L = sp.ilcm(*[sp.Rational(p).q for p in probs])
    counts = [int(sp.Rational(p) * L) for p in probs]
    n = len(outcomes[0][0])
    b = [sum(p * g[k] * B[k] for p, (g, B) in zip(probs, outcomes))
         / sum(p * B[k] ** 2 for p, (_, B) in zip(probs, outcomes)) for k in range(n)]
    rows = [o for o, c in enumerate(counts) for _ in range(c)]
    order = np.argsort(np.arange(len(rows)) * 7 % len(rows), kind="stable")  # outcomes interleaved
    rows = [rows[i] for i in order]
    g = np.array([[float(x) for x in outcomes[o][0]] for o in rows])
    B = np.array([[float(x) for x in outcomes[o][1]] for o in rows])
    return _Case(name, g, B, np.array([float(x) for x in b]))


def _cases() -> list[_Case]:
    import sympy as sp

    R = sp.Rational
    # a three-armed bandit with a tabular softmax: pi = (1/2, 1/3, 1/6), score psi(a) = e_a - pi, g = r(a) psi(a)
    pi, r = [R(1, 2), R(1, 3), R(1, 6)], [R(1), R(2), R(-1)]  # b = (1, 3/2, -3/5): one per component
    psi = [[int(k == a) - pi[k] for k in range(3)] for a in range(3)]
    bandit = _case("a three-armed bandit", pi, [([r[a] * x for x in psi[a]], psi[a]) for a in range(3)])
    # two steps of a two-action softmax with p(right) = 1/4, reward -1 after right and -2 after left;
    # reward-to-go: g = G_0 psi(a_0) + G_1 psi(a_1), B = psi(a_0) + psi(a_1)
    p = R(1, 4)
    score = {1: [1 - p, -(1 - p)], 0: [-p, p]}  # right, left (theta = one preference per action)
    reward = {1: R(-1), 0: R(-2)}
    probs, outcomes = [], []
    for a0 in (1, 0):
        for a1 in (1, 0):
            probs.append((p if a0 else 1 - p) * (p if a1 else 1 - p))
            G0, G1 = reward[a0] + reward[a1], reward[a1]
            outcomes.append(([G0 * score[a0][k] + G1 * score[a1][k] for k in range(2)],
                             [score[a0][k] + score[a1][k] for k in range(2)]))
    episode = _case("a two-step episode with reward-to-go", probs, outcomes)
    return [bandit, episode]


def _mistakes(g: np.ndarray, B: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """What the typical wrong answers return on (g, B), with what to say about each."""
    n = g.shape[1]
    pooled = np.full(n, np.sum(g * B) / np.sum(B * B))
    ref = (g * B).sum(axis=0) / (B * B).sum(axis=0)
    return [
        (pooled, "it is one number shared by all components (sums over components too). That is the best "
         "single b for the total variance; the exercise asks for one b_k per component k: sum over "
         "episodes only (axis 0)."),
        (g.mean(axis=0), "that is the mean of g_k, i.e. the gradient estimate itself, not a level of return. "
         "Weight by the score: b_k = E[g_k B_k] / E[B_k^2]."),
        (-ref, "it has the wrong sign: b_k = E[g_k B_k] / E[B_k^2]."),
        (ref**2, "it is the square of the right answer."),
    ]


def optimal_baseline(func) -> Verdict:
    """Check func(g, B) -> b (n,): the per-component optimal constant baseline from samples,
    b_k = sum_i g_ik B_ik / sum_i B_ik^2, for per-episode samples g, B of shape (N, n).

    Recognised mistakes: dividing by the mean (or sum) of B, which is 0 for a score sum; one b
    for all components; the mean of g; the sign; the square; summing over the wrong axis; changing
    the input arrays.
    """
    if not callable(func):
        return Verdict(False, f"optimal_baseline should be a function of (g, B), got {type(func).__name__}.")
    cases = _cases()
    for case in cases:
        g, B = case.g.copy(), case.B.copy()
        call = f"optimal_baseline(g, B) on {case.name} ({len(g)} episodes, {g.shape[1]} components)"
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                answer = func(g, B)
                if answer is None:
                    return returned_none(call)
                got = np.asarray(answer, dtype=np.float64)
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"{call} raised {type(err).__name__}: {err}")
        if not (np.array_equal(g, case.g) and np.array_equal(B, case.B)):
            return Verdict(False, f"{call} changed its input arrays g or B: work on copies "
                                  f"(e.g. g * B makes a new array).")
        pooled, pooled_hint = _mistakes(case.g, case.B)[0]
        if got.size == 1 and np.allclose(got, pooled[0], rtol=1e-9, atol=1e-12):
            return Verdict(False, f"{call}: {pooled_hint}")
        if got.shape != case.b.shape:
            hint = (" It looks like a sum over the components (axis 1); sum over the episodes (axis 0)."
                    if got.shape == (len(g),) else "")
            return Verdict(False, f"{call} returned shape {got.shape}, expected {case.b.shape}: one b_k per "
                                  f"component of theta.{hint}")
        if not np.all(np.isfinite(got)):
            return Verdict(False, f"{call} contains NaN or infinity: {_fmt(got)}. Did you divide by the mean or "
                                  f"the sum of B? A score sum has mean zero (E[B_k] = 0; in this sample exactly 0), "
                                  f"so divide by the mean (or sum) of B_k^2 and weight g_k by B_k.")
        if np.allclose(got, case.b, rtol=1e-9, atol=1e-12):
            continue
        for value, hint in _mistakes(case.g, case.B):
            if np.allclose(got, value, rtol=1e-9, atol=1e-12):
                return Verdict(False, f"{call}: {hint}")
        return Verdict(False, f"{call} = {_fmt(got)}, expected {_fmt(case.b)} (E[g_k B_k] / E[B_k^2] per component).")
    shown = "; ".join(f"{c.name}, b = {_fmt(c.b)}" for c in cases)
    return Verdict(True, f"optimal_baseline gives b_k = E[g_k B_k] / E[B_k^2] exactly on {len(cases)} test "
                         f"distributions ({shown}).")
