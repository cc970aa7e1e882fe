"""pg.check.book_baseline_update: the reference passes; typical mistakes fail with a message naming them."""
import numpy as np
import pytest

import pgbook as pg
from pgbook.check import ch04


def reference(policy, theta, w, states, actions, rewards, alpha, alpha_w, gamma, mistake=None):
    """The notebook's answer (Sutton & Barto 2018, section 13.4, one episode), with one typical mistake
    switched on by name."""
    theta0, w = theta, w.copy()
    T = len(rewards)
    G, g = np.zeros(T), 0.0
    for t in reversed(range(T)):
        g = rewards[t] + (1.0 if mistake == "undiscounted G" else gamma) * g
        G[t] = g
    if mistake == "total return":
        G[:] = G[0]
    for t in range(T):
        s, a = states[t], actions[t]
        delta = G[t] - w[s]
        w[s] += (1.0 if mistake == "no alpha_w" else alpha_w) * delta
        if mistake == "delta after w":
            delta = G[t] - w[s]
        weight = {"no gamma^t": 1.0}.get(mistake, gamma**t) * (G[t] if mistake == "no baseline" else delta)
        sign = -1.0 if mistake == "descent" else 1.0
        theta = theta + sign * alpha * weight * policy.score(theta0 if mistake == "frozen" else theta)[s, a]
    return theta, w


def with_mistake(name):
    return lambda *args: reference(*args, mistake=name)


def test_the_reference_answer_passes():
    verdict = pg.check.book_baseline_update(reference)
    assert verdict and "both test episodes" in verdict.message


def test_the_sympy_reference_agrees_with_the_policy_score_on_both_cases():
    # two independent routes to the same numbers: sympy's derivative of log-softmax, SoftmaxPolicy.score
    for case in ch04._cases():
        args = (case.policy, case.theta, case.w, case.states, case.actions, case.rewards, case.alpha,
                case.alpha_w, case.gamma)
        for got, want in zip(reference(*args), ch04._update(case)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_the_corridor_case_is_a_real_episode_of_the_short_corridor():
    case = ch04._cases()[0]
    mdp = pg.envs.short_corridor()
    s = 0
    for t, (state, action) in enumerate(zip(case.states, case.actions)):
        assert state == s and mdp.R[state, action] == case.rewards[t]
        s = int(np.flatnonzero(mdp.P[state, action])[0])
    assert mdp.terminal[s]


def test_with_one_run_and_no_baseline_it_is_the_update_book_reinforce_makes():
    # alpha_w = 0 keeps w at 0: the section 13.3 update, which pg.learn.book_reinforce applies
    mdp = pg.envs.short_corridor()
    policy = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta0 = np.array([0.0, np.log(19.0)])
    run = pg.learn.book_reinforce(mdp, policy, theta0, 2.0**-10, 1, 1, np.random.default_rng(3))
    ep = pg.rollout.sample_episodes(mdp, policy, theta0, 1, np.random.default_rng(3))
    T = ep.lengths[0]
    theta, w = reference(policy, theta0, np.zeros(4), ep.states[0, :T], ep.actions[0, :T], ep.rewards[0, :T],
                         2.0**-10, 0.0, 1.0)
    np.testing.assert_allclose(theta, run.theta[0, 1], rtol=1e-10)
    assert (w == 0).all()


@pytest.mark.parametrize("mistake, words", [
    ("frozen", "theta changes at every step"),
    ("no gamma^t", "Nota & Thomas 2020"),
    ("undiscounted G", "G_t must be discounted"),
    ("total return", "the whole return G_0"),
    ("delta after w", "delta is recomputed after w[S_t] was updated"),
    ("no baseline", "never subtracted"),
    ("no alpha_w", "alpha_w * delta"),
    ("descent", "wrong sign"),
])
def test_typical_mistakes_are_named(mistake, words):
    verdict = pg.check.book_baseline_update(with_mistake(mistake))
    assert not verdict
    assert words in verdict.message


def test_the_gamma_mistakes_are_caught_on_the_discounted_case():
    # with gamma = 1 (the corridor) they give the right numbers; the second case shows them
    for mistake in ("no gamma^t", "undiscounted G"):
        assert "On a 3-state tabular problem (gamma = 0.9" in pg.check.book_baseline_update(with_mistake(mistake)).message


def test_other_wrong_answers_are_explained():
    assert "should be a function" in pg.check.book_baseline_update(3.0).message
    boom = pg.check.book_baseline_update(lambda *args: args[99])
    assert not boom and "raised IndexError" in boom.message
    single = pg.check.book_baseline_update(lambda *args: reference(*args)[0])
    assert not single and "should return a pair (theta, w)" in single.message
    flat = pg.check.book_baseline_update(lambda *args: tuple(np.ravel(x) for x in reference(*args)))
    assert not flat and "theta of shape (9,), expected (3, 3)" in flat.message

    def in_place(policy, theta, w, states, actions, rewards, alpha, alpha_w, gamma):
        w[:] = 0.0  # overwrites the caller's array
        return reference(policy, theta, w, states, actions, rewards, alpha, alpha_w, gamma)

    changed = pg.check.book_baseline_update(in_place)
    assert not changed and "changed its input w" in changed.message
    off = pg.check.book_baseline_update(lambda *args: (reference(*args)[0] + 0.01, reference(*args)[1]))
    assert not off and off.message.startswith("On the short corridor") and "returned theta = [" in off.message
    # w wrong in a way no hint covers: gamma^t in the w update (only the discounted case shows it)

    def w_discounted(policy, theta, w, states, actions, rewards, alpha, alpha_w, gamma):
        theta_right, _ = reference(policy, theta, w, states, actions, rewards, alpha, alpha_w, gamma)
        _, w_wrong = reference(policy, theta, w, states, actions, rewards, alpha, alpha_w * gamma, gamma)
        return theta_right, w_wrong

    w_only = pg.check.book_baseline_update(w_discounted)
    assert not w_only and "returned w = [" in w_only.message
