"""pg.check.enumerated_gradient (notebook 02): the reference answer passes, typical mistakes are named."""
import itertools

import numpy as np
import pytest

import pgbook as pg


def enumerate_gradient(rho, P, R, theta, horizon, dynamics=True, minus_pi=True, uniform=False):
    """The notebook's answer (sum over trajectories of p R grad log p), with switches for mistakes."""
    S, A = theta.shape
    pi = np.exp(theta) / np.exp(theta).sum(axis=1, keepdims=True)
    trajs = list(itertools.product(itertools.product(range(S), repeat=horizon + 1),
                                   itertools.product(range(A), repeat=horizon)))
    grad = np.zeros((S, A))
    for states, actions in trajs:
        p, ret, score = rho[states[0]], 0.0, np.zeros((S, A))
        for t, (s, a) in enumerate(zip(states, actions)):
            p *= pi[s, a] * (P[s, a, states[t + 1]] if dynamics else 1.0)
            ret += R[s, a]
            score[s, a] += 1.0
            score[s] -= pi[s] if minus_pi else 0.0
        grad += (1 / len(trajs) if uniform else p) * ret * score
    return grad


def test_the_reference_answer_passes():
    verdict = pg.check.enumerated_gradient(enumerate_gradient)
    assert verdict and "all 3 MDPs" in verdict.message


def test_the_notebook_answer_passes():
    from pgbook import symbolic as sym

    def enumerated_gradient(rho, P, R, theta, horizon):  # as in notebook 02's exercise
        S, A = theta.shape
        pi = np.exp(theta) / np.exp(theta).sum(axis=1, keepdims=True)
        grad = np.zeros((S, A))
        for states, actions in sym.trajectories(S, A, horizon):
            p_tau, R_tau, score = rho[states[0]], 0.0, np.zeros((S, A))
            for t, (s_t, a_t) in enumerate(zip(states, actions)):
                p_tau *= pi[s_t, a_t] * P[s_t, a_t, states[t + 1]]
                R_tau += R[s_t, a_t]
                score[s_t] -= pi[s_t]
                score[s_t, a_t] += 1.0
            grad += p_tau * R_tau * score
        return grad
    assert pg.check.enumerated_gradient(enumerated_gradient)


@pytest.mark.parametrize("flags, phrase", [
    (dict(dynamics=False), "missing the dynamics"),
    (dict(minus_pi=False), "misses its second term"),
    (dict(uniform=True), "same weight"),
])
def test_typical_mistakes_get_a_hint(flags, phrase):
    verdict = pg.check.enumerated_gradient(lambda *args: enumerate_gradient(*args, **flags))
    assert not verdict and phrase in verdict.message and verdict.message.startswith("On MDP 1")


def test_sign_shape_and_exceptions():
    flipped = pg.check.enumerated_gradient(lambda *args: -enumerate_gradient(*args))
    assert not flipped and "sign is flipped" in flipped.message
    flat = pg.check.enumerated_gradient(lambda *args: enumerate_gradient(*args).ravel())
    assert not flat and "has shape (4,), expected (2, 2)" in flat.message
    boom = pg.check.enumerated_gradient(lambda rho, P, R, theta, horizon: P[5])
    assert not boom and "raised IndexError" in boom.message
    assert "should be given a function" in pg.check.enumerated_gradient(None).message


def test_an_unrecognised_wrong_answer_shows_both_gradients_and_the_mdp():
    verdict = pg.check.enumerated_gradient(lambda *args: enumerate_gradient(*args) * 2)
    assert not verdict and verdict.message.startswith("On MDP 1 (2 states, 2 actions, horizon 2)")
    assert "expected" in verdict.message and "0.526179" in verdict.message  # notebook 02's dJ/dtheta_00


def test_an_unfinished_function_is_told_about_its_missing_return():
    def unfinished(rho, P, R, theta, horizon):
        ...  # the student edition's placeholder
    verdict = pg.check.enumerated_gradient(unfinished)
    assert not verdict and "returned None" in verdict.message
