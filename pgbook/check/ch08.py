"""Chapter 08: a surrogate loss with reward-to-go weights, written by the learner from the rewards.

The learner's `loss(episodes, policy, theta, gamma) -> float` is differentiated by central finite
differences (`pgbook.gradcheck`), so it may be written in plain numpy. Its gradient must be minus
`pgbook.estimators.reinforce_gradient(..., returns="reward_to_go").mean`, which sums scores over
visits and never forms a loss. Typical mistakes are recognised by what their gradients are.
"""
from __future__ import annotations

import numpy as np

from ._core import Verdict, _fmt, returned_none

__all__ = ["reward_to_go_loss"]

RTOL, ATOL = 1e-6, 1e-8  # central differences of a smooth loss are accurate to about 1e-9 here


def _cases():
    """(name, episodes, policy, theta, gamma): the short corridor (book features, gamma = 1), a
    slippery chain and a random MDP with tabular policies (gamma < 1), a few episodes each."""
    from .. import envs
    from ..policies import SoftmaxPolicy
    from ..rollout import sample_episodes

    out = []
    rng = np.random.default_rng(8)  # fixed numbers, drawn once
    corridor = envs.short_corridor()
    chain = envs.chain(5, slip=0.2, gamma=0.9)
    random = envs.random_mdp(4, 3, rng, gamma=0.8, n_terminal=1)
    for name, mdp, policy, theta in (
            ("the short corridor (gamma = 1)", corridor, SoftmaxPolicy(envs.short_corridor_features()),
             np.array([0.4, 0.0])),
            ("chain(5, slip=0.2, gamma=0.9), tabular", chain, SoftmaxPolicy.tabular(5, 2), rng.normal(size=(5, 2))),
            ("a random MDP (gamma = 0.8), tabular", random, SoftmaxPolicy.tabular(4, 3), rng.normal(size=(4, 3)))):
        out.append((name, sample_episodes(mdp, policy, theta, 6, rng), policy, theta, mdp.gamma))
    return out


def _minus_mean(episodes, policy, theta, weights) -> np.ndarray:
    """-(1/N) sum_i sum_t weights[i, t] grad log pi(a_t|s_t): the gradient of a loss with these weights."""
    from ..estimators import score_sums

    return -score_sums(episodes, policy, theta, weights).mean(axis=0)


def _mistakes(episodes, policy, theta, gamma):
    """(gradient, hint) of typical mistakes, computed one at a time."""
    disc, rtg = episodes.discounts(gamma), episodes.rewards_to_go(gamma)
    N, n_steps = episodes.n_episodes, int(episodes.mask.sum())
    right = _minus_mean(episodes, policy, theta, disc * rtg)
    past = np.cumsum(episodes.rewards * disc, axis=1) * episodes.mask  # sum of the rewards up to t
    yield (-right, "it is +REINFORCE: a loss to minimise needs a minus sign (descent on L is ascent on J).")
    yield (lambda: _minus_mean(episodes, policy, theta, rtg),
           "the weights miss the factor gamma^t: sum_t G_t grad log pi is the undiscounted-state direction "
           "of notebook 07, not the gradient. Weight step t by gamma^t G_t.")
    yield (lambda: _minus_mean(episodes, policy, theta,
                               np.broadcast_to(episodes.returns(gamma)[:, None], episodes.mask.shape)),
           "every step is weighted by the whole return R(tau): unbiased too, but the exercise asks for "
           "the reward-to-go gamma^t G_t = sum_{t' >= t} gamma^t' r_t'.")
    yield (lambda: _minus_mean(episodes, policy, theta, past),
           "the weights sum the rewards up to t; the reward-to-go sums those from t on (reverse the "
           "cumulative sum).")
    yield (lambda: right * N / n_steps, f"it averages over all {n_steps} steps; L averages over the "
                                        f"N = {N} episodes (divide by N), as the estimator does.")
    yield (lambda: right * N, f"it sums over the episodes; L is their mean (divide by N = {N}).")


def reward_to_go_loss(loss) -> Verdict:
    """Hold `loss(episodes, policy, theta, gamma) -> float` against REINFORCE with reward-to-go:
    the gradient of the loss in theta (central finite differences) must be

        -(1/N) sum_i sum_t gamma^t G_t^i grad log pi_theta(a_t^i | s_t^i),   G_t = sum_{t' >= t} gamma^(t'-t) r_t',

    i.e. minus `pgbook.estimators.reinforce_gradient(episodes, policy, theta, gamma,
    returns="reward_to_go").mean`, on three batches (the short corridor with gamma = 1, a chain and
    a random MDP with tabular policies and gamma < 1). Recognised mistakes: the sign, no gamma^t,
    the whole return on every step, the past rewards instead of the future ones, the mean over
    steps or the sum over episodes instead of the mean over episodes.
    """
    from ..estimators import reinforce_gradient
    from ..gradcheck import finite_difference

    if not callable(loss):
        return Verdict(False, f"reward_to_go_loss should be given a function of (episodes, policy, theta, gamma), "
                              f"got {type(loss).__name__}.")
    cases = _cases()
    for name, episodes, policy, theta, gamma in cases:
        expected = -reinforce_gradient(episodes, policy, theta, gamma, returns="reward_to_go").mean

        def value(t):
            out = loss(episodes, policy, t, gamma)
            if out is None:  # as a float array None is NaN, and finite differences would say only that
                raise _ReturnedNone
            out = np.asarray(out, dtype=np.float64)
            if out.shape != ():
                raise _NotScalar(out.shape)
            return float(out)

        try:
            got = finite_difference(value, theta)
        except _ReturnedNone:
            return returned_none(f"on {name} your loss")
        except _NotScalar as err:
            return Verdict(False, f"on {name} your loss returned shape {err.args[0]}; a loss is one number "
                                  f"(sum over steps, mean over episodes).")
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"on {name} your loss raised {type(err).__name__}: {err}")
        if np.allclose(got, expected, rtol=RTOL, atol=ATOL):
            continue
        if np.allclose(got, 0.0, atol=ATOL):
            return Verdict(False, f"on {name} your loss does not change with theta: it must contain "
                                  f"log pi_theta(a_t | s_t) of the actions taken.")
        for wrong, hint in _mistakes(episodes, policy, theta, gamma):
            wrong = wrong() if callable(wrong) else wrong
            if np.allclose(got, wrong, rtol=RTOL, atol=ATOL):
                return Verdict(False, f"on {name} the gradient of your loss is {_fmt(got)}: {hint}")
        return Verdict(False, f"on {name} the gradient of your loss is {_fmt(got)}, expected {_fmt(expected)}.")
    return Verdict(True, f"The gradient of your loss is minus the reward-to-go REINFORCE estimate on all "
                         f"{len(cases)} batches (gamma = 1, 0.9 and 0.8; 2, 10 and 12 parameters).")


class _NotScalar(Exception):
    """The learner's loss returned an array instead of one number."""


class _ReturnedNone(Exception):
    """The learner's loss returned None (an unfinished body)."""
