"""estimators.gae against independent answers: the defining sum written as a plain per-episode loop,
its two ends (lambda = 0: the TD error; lambda = 1: G_t - V(s_t)), and, with the exact V, the
GAE-weighted REINFORCE gradient within 4 standard errors of exact.policy_gradient for every lambda."""
import numpy as np
import pytest

import pgbook as pg

LAMBDAS = [0.0, 0.3, 0.9, 1.0]


def gae_by_hand(ep, V, gamma, lam):
    """A_t = sum_l (gamma lam)^l delta_{t+l}, each delta from the episode's lists; V after the end is 0."""
    out = np.zeros(ep.mask.shape)
    for i in range(ep.n_episodes):
        L = int(ep.lengths[i])
        s, r = ep.states[i, :L].tolist(), ep.rewards[i, :L].tolist()
        for t in range(L):
            total = 0.0
            for k in range(t, L):
                v_next = V[s[k + 1]] if k + 1 < L else 0.0  # after the last step: a terminal state
                total += (gamma * lam) ** (k - t) * (r[k] + gamma * v_next - V[s[k]])
            out[i, t] = total
    return out


def small_problem(seed=0, S=5, A=3, gamma=0.9):
    rng = np.random.default_rng(seed)
    mdp = pg.envs.random_mdp(S, A, rng, gamma=gamma, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(S, A)
    return mdp, policy, rng.normal(size=(S, A))


@pytest.mark.parametrize("lam", LAMBDAS)
def test_matches_the_defining_sum(lam):
    mdp, policy, theta = small_problem()
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 40, np.random.default_rng(1))
    V = np.random.default_rng(2).normal(size=mdp.n_states)
    A = pg.estimators.gae(ep, V, mdp.gamma, lam)
    assert A.shape == ep.mask.shape and not A[~ep.mask].any()  # aligned with the rewards, zero on padding
    assert np.allclose(A, gae_by_hand(ep, V, mdp.gamma, lam), rtol=1e-12, atol=1e-12)
    steps = pg.estimators.gae(ep, V, mdp.gamma, lam, layout="steps")
    assert np.array_equal(ep.to_padded(steps), A)


def test_lambda_ends_td_error_and_return_minus_value():
    mdp, policy, theta = small_problem(seed=3)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 30, np.random.default_rng(4))
    V = np.random.default_rng(5).normal(size=mdp.n_states)
    gamma = mdp.gamma
    td = np.zeros(ep.mask.shape)
    G = np.zeros(ep.mask.shape)
    for i in range(ep.n_episodes):
        L = int(ep.lengths[i])
        for t in range(L):
            s = ep.states[i, t]
            v_next = V[ep.states[i, t + 1]] if t + 1 < L else 0.0
            td[i, t] = ep.rewards[i, t] + gamma * v_next - V[s]
            G[i, t] = sum(gamma**k * ep.rewards[i, t + k] for k in range(L - t)) - V[s]
    assert np.allclose(pg.estimators.gae(ep, V, gamma, 0.0), td, atol=1e-12)
    assert np.allclose(pg.estimators.gae(ep, V, gamma, 1.0), G, atol=1e-12)


def test_value_of_the_terminal_state_is_never_used():
    mdp, policy, theta = small_problem(seed=6)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 50, np.random.default_rng(7))
    V = np.random.default_rng(8).normal(size=mdp.n_states)
    V_big = V.copy()
    V_big[mdp.terminal] = 1e6  # entering a terminal state ends the episode: its value counts as 0
    for lam in (0.0, 0.7, 1.0):
        assert np.array_equal(pg.estimators.gae(ep, V, 0.9, lam), pg.estimators.gae(ep, V_big, 0.9, lam))


@pytest.mark.parametrize("lam", LAMBDAS)
def test_exact_value_gives_an_unbiased_gradient_for_every_lambda(lam):
    # E[A_t | s_t, a_t] = Q - V for every lambda when V is exact, so sum_t gamma^t A_t psi_t is unbiased
    mdp, policy, theta = small_problem(seed=9)
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    V = pg.exact.evaluate(mdp, policy.probs(theta)).V
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 6000, np.random.default_rng(10))
    A = pg.estimators.gae(ep, V, mdp.gamma, lam, layout="steps")
    samples = pg.estimators.score_sums(ep, policy, theta, ep.step_discounts(mdp.gamma) * A)
    est = pg.montecarlo.as_estimate(samples)
    assert np.all(np.abs(est.mean - exact) <= 4 * est.stderr + 1e-12)
    assert np.all(est.stderr[exact != 0] < 0.2 * np.abs(exact).max())  # the check has power


def test_lambda_one_is_unbiased_with_any_value_but_lambda_zero_needs_the_right_one():
    mdp, policy, theta = small_problem(seed=11)
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 6000, np.random.default_rng(12))
    wrong = np.zeros(mdp.n_states)  # V = 0: lambda = 0 then weights each step by r_t alone
    z = {}
    for lam in (0.0, 1.0):
        A = pg.estimators.gae(ep, wrong, mdp.gamma, lam, layout="steps")
        est = pg.montecarlo.as_estimate(pg.estimators.score_sums(ep, policy, theta, ep.step_discounts(mdp.gamma) * A))
        z[lam] = np.abs(est.mean - exact) / np.maximum(est.stderr, 1e-300)
    assert np.all(z[1.0] <= 4)
    assert z[0.0].max() > 10  # the bias of a wrong critic, far beyond sampling noise


def test_truncation_and_bad_input():
    mdp, policy, theta = small_problem(seed=13)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 200, np.random.default_rng(14), max_steps=2)
    assert ep.truncated.any()
    V = np.zeros(mdp.n_states)
    with pytest.raises(ValueError, match=r"cut at max_steps = 2 .*gamma = 0\.9"):
        pg.estimators.gae(ep, V, 0.9, 0.5)
    cut = pg.estimators.gae(ep, V, 0.9, 1.0, truncation="accept")  # value after the cut: 0, like the return
    assert np.allclose(cut, ep.rewards_to_go(0.9))
    ok = pg.rollout.sample_episodes(mdp, policy, theta, 20, np.random.default_rng(15))
    with pytest.raises(ValueError, match=r"lam must lie in \[0, 1\], got 1\.5"):
        pg.estimators.gae(ok, V, 0.9, 1.5)
    with pytest.raises(ValueError, match="V must have 1 dimensions"):
        pg.estimators.gae(ok, np.zeros((5, 1)), 0.9, 0.5)
    with pytest.raises(ValueError, match=r"visit state 3, but V \(an array of 3 state values\) has only 3 states"):
        pg.estimators.gae(ok, np.zeros(3), 0.9, 0.5)
    with pytest.raises(ValueError, match=r"V\[2\] is nan"):
        pg.estimators.gae(ok, [0, 0, np.nan, 0, 0], 0.9, 0.5)
    with pytest.raises(ValueError, match="layout must be 'padded' or 'steps', got 'flat'"):
        pg.estimators.gae(ok, V, 0.9, 0.5, layout="flat")
    with pytest.raises(ValueError, match=r"truncation must be one of \('raise', 'accept'\), got 'stop'"):
        pg.estimators.gae(ok, V, 0.9, 0.5, truncation="stop")
