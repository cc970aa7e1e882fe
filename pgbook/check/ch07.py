"""Chapter 07: the constant hidden in Sutton & Barto's "proportional to", the expected episode length.

The learner writes `episode_length(mdp, pi)` from the undiscounted visit counts eta, which solve
(I - P_pi)^T eta = rho over the non-terminal states. The reference is `pgbook.exact.expected_length`,
which solves the other system, (I - P_pi) h = 1 (steps to go from each state), and returns rho . h;
so the check does not share the computation it is checking. Typical mistakes are recognised by
computing what they compute.
"""
from __future__ import annotations

import numpy as np

from ._core import Verdict, _as_array, _fmt, returned_none

__all__ = ["expected_episode_length"]


def _cases():
    """(name, mdp, pi): the short corridor at two policies (gamma = 1), a slippery chain with
    gamma = 0.8, and a random MDP with a spread-out start distribution and gamma = 0.9."""
    from .. import envs
    from ..policies import SoftmaxPolicy

    corridor, book = envs.short_corridor(), SoftmaxPolicy(envs.short_corridor_features())
    chain = envs.chain(6, slip=0.2, gamma=0.8)
    rng = np.random.default_rng(7)  # fixed numbers, drawn once
    random = envs.random_mdp(5, 3, rng, gamma=0.9, n_terminal=1)
    return [("the short corridor at theta = (0.4, 0)", corridor, book.probs(np.array([0.4, 0.0]))),
            ("the short corridor at theta = (2, 0)", corridor, book.probs(np.array([2.0, 0.0]))),
            ("chain(6, slip=0.2, gamma=0.8), p(right) = 0.6", chain, np.tile([0.4, 0.6], (6, 1))),
            ("a random MDP (5 states, 3 actions, gamma = 0.9)", random, rng.dirichlet(np.ones(3), size=5))]


def _mistakes(mdp, pi):
    """(value, hint) for what typical mistakes compute."""
    from ..exact import evaluate

    live = ~mdp.terminal
    M = np.eye(int(live.sum())) - np.einsum("sa,sat->st", pi, mdp.P)[np.ix_(live, live)]
    eta = np.linalg.solve(M.T, mdp.rho[live])
    h = np.linalg.solve(M, np.ones(int(live.sum())))
    length = eta.sum()
    return [
        (evaluate(mdp, pi).d.sum(), "that is the sum of the discounted occupancy d(s) = sum_t gamma^t "
         "Pr(s_t = s). An episode's length counts every step in full: solve with gamma = 1 whatever the "
         "MDP's gamma is."),
        (np.linalg.solve(M, mdp.rho[live]).sum(), "the visit counts solve the transposed system, "
         "(I - P_pi)^T eta = rho: probability flows forward from where episodes start."),
        (h.sum(), "that adds the expected steps to go h(s) of every state; weight them by where episodes "
         "start instead (rho . h), or sum the visit counts eta."),
        (length + 1, "one too many: the terminal state is entered but never left, so it is no step of the episode."),
        (length - 1, "one too few: every visit to a non-terminal state, the start included, is one step."),
    ]


def expected_episode_length(func) -> Verdict:
    """Hold `func(mdp, pi) -> float`, the expected number of steps per episode under the table
    pi (S, A), against `pgbook.exact.expected_length` on four episodic MDPs.

    With gamma = 1 this is Sutton & Barto's constant: grad J = length * sum_s mu(s) sum_a q grad pi.
    Recognised mistakes: the discounted occupancy, the untransposed system, steps to go summed
    over states, one step too many or too few, terminal states left in the system, the counts
    eta returned as a vector.
    """
    from ..exact import expected_length

    if not callable(func):
        return Verdict(False, f"expected_episode_length should be given a function of (mdp, pi), got "
                              f"{type(func).__name__}.")
    cases = _cases()
    for name, mdp, pi in cases:
        expected = expected_length(mdp, pi)
        try:
            got = func(mdp, pi.copy())  # a copy: a learner's function may modify its input
        except np.linalg.LinAlgError as err:
            return Verdict(False, f"on {name} your function raised LinAlgError ({err}). Leave the terminal "
                                  f"states out of the system: they are never left, so I - P_pi is singular there.")
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"on {name} your function raised {type(err).__name__}: {err}")
        if got is None:  # np.asarray(None, float) is NaN: without this the message would be about infinity
            return returned_none(f"on {name} your function")
        arr = _as_array("answer", got)
        if arr is None:
            return Verdict(False, f"on {name} your function returned {type(got).__name__}, expected a number.")
        if arr.shape != ():
            if arr.ndim == 1 and np.isclose(arr.sum(), expected, rtol=1e-8):
                return Verdict(False, f"on {name} you returned the visit counts {_fmt(arr)}; the expected "
                                      f"length is their sum, one number.")
            return Verdict(False, f"on {name} your function returned shape {arr.shape}, expected one number.")
        if not np.isfinite(arr):
            return Verdict(False, f"on {name} your function returned {_fmt(arr)}: every one of these episodes "
                                  f"ends with probability 1, so the length is finite.")
        if np.isclose(float(arr), expected, rtol=1e-8, atol=1e-10):
            continue
        for value, hint in _mistakes(mdp, pi):
            if np.isclose(float(arr), value, rtol=1e-8, atol=1e-10):
                return Verdict(False, f"on {name} you got {_fmt(arr)}, expected {_fmt(expected)}: {hint}")
        return Verdict(False, f"on {name} you got {_fmt(arr)}, expected {_fmt(expected)}.")
    return Verdict(True, f"expected_episode_length agrees with the exact expected length on all {len(cases)} MDPs "
                         f"(on the short corridor at theta = (0.4, 0): {_fmt(expected_length(*cases[0][1:]))} steps).")
