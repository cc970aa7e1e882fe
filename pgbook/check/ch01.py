"""Chapter 01: the exact gradient of a softmax bandit, written by the learner.

The reference is `pgbook.exact.policy_gradient` on `pgbook.envs.bandit` (the policy gradient
theorem by linear algebra), not the closed form pi_k (r_k - r_bar) that notebook 01 derives, so the
check does not share the formula it is checking.
"""
from __future__ import annotations

import numpy as np

from ._core import Verdict, _fmt, close, returned_none

__all__ = ["bandit_gradient"]

CASES = (  # (theta, r): 2, 3 and 5 arms, uniform and skewed policies, negative and tied rewards
    ([0.0, 0.0], [1.0, 0.0]),
    ([0.5, 0.0, -0.5], [1.0, 2.0, -1.0]),
    ([2.0, -1.0, 0.3], [-1.0, -1.0, 3.0]),
    ([0.0, 0.0, 0.0], [0.5, 0.5, 0.5]),
    ([1.5, -0.7, 0.2, 3.0, -2.0], [0.3, -2.0, 1.0, 0.0, 4.0]),
)


def bandit_gradient(func) -> Verdict:
    """Hold `func(theta, r) -> dJ/dtheta` against the exact gradient of a K-armed softmax bandit.

    J(theta) = sum_a pi_a r_a with pi = softmax(theta); theta and r are float arrays (K,), and the
    answer must have shape (K,). Tried on 2, 3 and 5 arms. Recognised mistakes: no average reward
    subtracted (pi_k r_k), the plain mean of r instead of the policy's average, a missing factor
    pi_k, the gradient with respect to the probabilities (r itself), and the sign.
    """
    from .. import envs, exact
    from ..policies import SoftmaxPolicy, softmax

    if not callable(func):
        return Verdict(False, f"bandit_gradient should be given a function, got {type(func).__name__}.")
    for theta, r in CASES:
        theta, r = np.array(theta), np.array(r)
        K = len(theta)
        expected = exact.policy_gradient(envs.bandit(r), SoftmaxPolicy(envs.state_blind_features(2, K)), theta)
        args = f"(theta={_fmt(theta)}, r={_fmt(r)})"
        try:
            got = func(theta.copy(), r.copy())  # copies: a learner's function may modify its inputs
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"bandit_gradient{args} raised {type(err).__name__}: {err}")
        if got is None:
            return returned_none(f"bandit_gradient{args}")
        pi = softmax(theta)
        r_bar = pi @ r
        mistakes = (  # what a typical mistake computes instead, and what to say about it
            (pi * r, "you computed pi_k r_k. The score 1[a = k] - pi_k has a second term: -pi_k, "
                     "weighted by every arm's reward, contributes -pi_k r_bar with r_bar = sum_a pi_a r_a."),
            (pi * (r - r.mean()), "r_bar is the policy's average reward sum_a pi_a r_a, not the plain mean of r."),
            (r - r_bar, "each component needs the factor pi_k: arm k is drawn, and its logit pushed up, "
                        "only with probability pi_k."),
            (r, "that is dJ/dpi_k = r_k, the gradient with respect to the probabilities; the exercise "
                "asks for the logits theta."),
            (-expected, "the sign is flipped: raising the logit of an arm that beats the average must increase J."),
        )
        verdict = close(f"bandit_gradient{args}", got, expected,
                        hints=[(lambda a, w=wrong: np.allclose(a, w, rtol=1e-6, atol=1e-9), hint)
                               for wrong, hint in mistakes])
        if not verdict:
            return verdict
    return Verdict(True, f"bandit_gradient agrees with the exact gradient on all {len(CASES)} bandits "
                         f"(2, 3 and 5 arms).")

