"""Self-checking exercises of notebook 10 (bigger steps): the KL-constrained step and PPO's clipped objective.

The trust-region step is judged by what it must achieve, computed here from an eigendecomposition of F
(not from the pseudo-inverse formula a learner writes): the most first-order gain g . w that any w with
1/2 w^T F w <= delta can reach, sqrt(2 delta sum_i (u_i . g)^2 / lambda_i) over the eigenpairs with
lambda_i > 0. The clipped objective is compared with a case-by-case form of PPO's min.
"""
from __future__ import annotations

import numpy as np

from ._core import Verdict, _fmt, returned_none

__all__ = ["clipped_objective", "trust_region_step"]


def _fisher_problems() -> list[tuple[np.ndarray, np.ndarray, float]]:
    """(F, g, delta) test problems: a diagonal F, a dense positive-definite F, and a singular F shaped
    like a tabular softmax Fisher matrix: blocks d (diag pi - pi pi^T), null along each block's ones, and
    a zero block for a terminal state (d = 0), so that inv and solve fail on it as they would in an MDP."""
    rng = np.random.default_rng(10)
    B = rng.normal(size=(5, 5))
    blocks = []
    for d, z in ((0.7, rng.normal(size=3)), (0.3, rng.normal(size=3))):
        pi = np.exp(z) / np.exp(z).sum()
        blocks.append(d * (np.diag(pi) - np.outer(pi, pi)))
    F_tab = np.zeros((9, 9))
    F_tab[:3, :3], F_tab[3:6, 3:6] = blocks  # the third state is terminal: its block stays 0
    g_tab = F_tab @ rng.normal(size=9)  # a policy gradient lies in the range of F
    return [(np.diag([2.0, 0.5, 1.0]), np.array([1.0, -1.0, 0.5]), 0.01),
            (B @ B.T / 5 + 0.1 * np.eye(5), rng.normal(size=5), 0.05),
            (F_tab, g_tab, 0.02)]


def _best_gain(F: np.ndarray, g: np.ndarray, delta: float) -> float:
    lam, U = np.linalg.eigh(F)
    keep = lam > 1e-12 * lam.max()
    return float(np.sqrt(2 * delta * np.sum((U[:, keep].T @ g) ** 2 / lam[keep])))


def trust_region_step(func) -> Verdict:
    """Check func(F, g, delta) -> w, the w maximising g . w subject to 1/2 w^T F w = delta (F may be singular)."""
    if not callable(func):
        return Verdict(False, f"trust_region_step should be a function of (F, g, delta), got {type(func).__name__}.")
    problems = _fisher_problems()
    for k, (F, g, delta) in enumerate(problems):
        where = f"on test problem {k + 1} ({F.shape[0]} parameters{', F singular' if k == 2 else ''})"
        try:
            w = func(F.copy(), g.copy(), delta)
            if w is None:
                return returned_none(f"trust_region_step {where}")
            w = np.asarray(w, dtype=np.float64)
        except np.linalg.LinAlgError as err:
            return Verdict(False, f"trust_region_step raised LinAlgError {where}: {err}. A Fisher matrix of a "
                                  f"softmax policy is singular (shifting all logits of a state changes nothing): "
                                  f"use np.linalg.pinv(F) or np.linalg.lstsq instead of inv or solve.")
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"trust_region_step raised {type(err).__name__} {where}: {err}")
        if w.shape != g.shape:
            return Verdict(False, f"trust_region_step returned shape {w.shape} {where}, expected {g.shape} (like g).")
        if not np.all(np.isfinite(w)):
            return Verdict(False, f"trust_region_step returned NaN or infinity {where}: {_fmt(w)}. F is singular "
                                  f"there: use the pseudo-inverse (np.linalg.pinv) instead of an inverse.")
        quad, gain, best = 0.5 * w @ F @ w, float(g @ w), _best_gain(F, g, delta)
        if gain < 0:
            return Verdict(False, f"the step goes downhill {where}: g . w = {gain:.6g} < 0. Check the sign.")
        cosine = gain / (np.linalg.norm(g) * np.linalg.norm(w)) if gain > 0 else 0.0
        if quad > delta * (1 + 1e-6) or gain < best * (1 - 1e-6):
            if cosine > 1 - 1e-9:
                return Verdict(False, f"{where} the step points along g itself: that is the plain gradient. "
                                      f"The trust-region step points along F^+ g (the natural gradient).")
            if abs(quad / delta - 0.5) < 1e-6:
                hint = ("its quadratic KL 1/2 w^T F w is delta / 2: the 1/2 belongs to the constraint, so the "
                        "scale is sqrt(2 delta / g^T F^+ g).")
            elif abs(quad / delta - 2) < 1e-6:
                hint = "its quadratic KL 1/2 w^T F w is 2 delta: the scale is sqrt(2 delta / g^T F^+ g)."
            elif gain > 0 and abs(gain / np.sqrt(2 * quad * best**2 / (2 * delta)) - 1) < 1e-6:
                hint = (f"the direction is right but the length is not: 1/2 w^T F w = {quad:.6g}, expected "
                        f"delta = {delta:g}. Scale the step so that the constraint holds exactly.")
            else:
                hint = (f"g . w = {gain:.6g} with 1/2 w^T F w = {quad:.6g}; the best step reaches g . w = "
                        f"{best:.6g} with 1/2 w^T F w = {delta:g}.")
            return Verdict(False, f"trust_region_step is not right {where}: {hint}")
    return Verdict(True, f"trust_region_step reaches the largest first-order gain with 1/2 w^T F w = delta on all "
                         f"{len(problems)} test problems, including a singular F.")


def _clip_reference(ratio, advantage, eps):
    # case by case: a positive advantage may raise the ratio only up to 1 + eps, a negative one lower it only to 1 - eps
    return np.where(advantage >= 0, advantage * np.minimum(ratio, 1 + eps), advantage * np.maximum(ratio, 1 - eps))


def clipped_objective(func) -> Verdict:
    """Check func(ratio, advantage, eps) -> min(r A, clip(r, 1 - eps, 1 + eps) A), elementwise on arrays."""
    if not callable(func):
        return Verdict(False, f"clipped_objective should be a function of (ratio, advantage, eps), got "
                              f"{type(func).__name__}.")
    r, A = np.meshgrid([0.0, 0.5, 0.79, 0.85, 1.0, 1.1, 1.19, 1.3, 2.0, 5.0], [-2.0, -0.5, 0.0, 0.7, 3.0])
    wrong = [
        (lambda e: np.maximum(r * A, np.clip(r, 1 - e, 1 + e) * A),
         "it takes the larger of the two terms; PPO takes the smaller one, a pessimistic bound on r A."),
        (lambda e: np.clip(r, 1 - e, 1 + e) * A,
         "it is clip(r) A alone; without the min, a change that made the objective worse would not count "
         "in full (e.g. A < 0 with r > 1 + eps must keep r A)."),
        (lambda e: r * A, "it is r A: the ratio is never clipped."),
        (lambda e: np.clip(r * A, 1 - e, 1 + e), "it clips the product r A; clip the ratio r, then multiply by A."),
    ]
    for eps in (0.2, 0.1):
        expected = _clip_reference(r, A, eps)
        try:
            got = func(r.copy(), A.copy(), eps)
            if got is None:
                return returned_none(f"clipped_objective(ratio, advantage, eps={eps})")
            got = np.asarray(got, dtype=np.float64)
        except Exception as err:  # a learner's bug is reported, not raised
            advice = (" Use the elementwise np.minimum and np.clip (not Python's min, max or an if), so that "
                      "the function works on arrays." if "truth value" in str(err) else "")
            return Verdict(False, f"clipped_objective(ratio, advantage, eps={eps}) on arrays of shape {r.shape} "
                                  f"raised {type(err).__name__}: {err}.{advice}")
        if got.shape != r.shape:
            return Verdict(False, f"clipped_objective returned shape {got.shape} for ratio and advantage of "
                                  f"shape {r.shape}: it should work elementwise.")
        bad = ~np.isclose(got, expected, rtol=1e-9, atol=1e-12)
        if bad.any():
            for alt, text in wrong:
                if np.allclose(got, alt(eps)):
                    return Verdict(False, f"clipped_objective is not right: {text}")
            i = tuple(np.argwhere(bad)[0])
            return Verdict(False, f"clipped_objective(ratio={r[i]:g}, advantage={A[i]:g}, eps={eps}) = "
                                  f"{_fmt(got[i])}, expected {_fmt(expected[i])} (and {int(bad.sum())} of "
                                  f"{r.size} pairs differ).")
    try:
        single = float(func(1.5, 2.0, 0.2))
    except Exception as err:
        return Verdict(False, f"clipped_objective(1.5, 2.0, 0.2) raised {type(err).__name__}: {err}; it "
                              f"should accept single numbers too.")
    expected = float(_clip_reference(1.5, 2.0, 0.2))
    if not np.isclose(single, expected):
        return Verdict(False, f"clipped_objective(1.5, 2.0, 0.2) = {_fmt(single)}, expected {_fmt(expected)}.")
    return Verdict(True, f"clipped_objective agrees with PPO's min(r A, clip(r, 1 - eps, 1 + eps) A) on {r.size} "
                         f"(ratio, advantage) pairs for two values of eps, and on single numbers.")
