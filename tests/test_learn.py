"""Tests for pgbook.learn: learning reaches known optima, and each update agrees with an independent answer
(the exact gradient by the policy gradient theorem, a plain per-run loop, `pgbook.exact.evaluate`)."""
import numpy as np
import pytest

import pgbook as pg
from pgbook import learn

CORRIDOR_J_STAR = -(6 + 4 * np.sqrt(2))  # Sutton & Barto (2018), Example 13.1
THETA_LEFT = np.array([0.0, np.log(19.0)])  # p(right) = 0.05


def corridor():
    return pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())


def bandit3():
    return pg.envs.bandit([1.0, 0.5, 0.0]), pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))


def test_corridor_from_p_005_reaches_the_optimum_within_0_1():
    mdp, policy = corridor()
    assert pg.exact.expected_return(mdp, policy, THETA_LEFT) == pytest.approx(-82.105263, abs=1e-5)
    hist = learn.reinforce(mdp, policy, THETA_LEFT, 2.0**-8, 150, 32, np.random.default_rng(3), n_runs=2,
                           baseline="mean")
    assert np.abs(hist.J[:, -1] - CORRIDOR_J_STAR).max() < 0.1


def test_bandit_best_arm_probability_rises_in_every_run():
    mdp, policy = bandit3()
    hist = learn.reinforce(mdp, policy, np.zeros(3), 0.3, 40, 4, np.random.default_rng(0), n_runs=8,
                           returns="total")
    p_best = hist.pi[:, :, 0, 0]
    assert np.allclose(p_best[:, 0], 1 / 3)
    assert (p_best[:, -1] > 0.6).all()
    assert (hist.J[:, -1] > hist.J[:, 0]).all()


def test_history_is_consistent_with_the_exact_module():
    mdp = pg.envs.gridworld()
    policy = pg.SoftmaxPolicy.tabular(mdp.n_states, 4)
    hist = learn.reinforce(mdp, policy, np.zeros((mdp.n_states, 4)), 1.0, 5, 4, np.random.default_rng(1), n_runs=2)
    assert hist.theta.shape == (2, 6, mdp.n_states, 4) and hist.pi.shape == (2, 6, mdp.n_states, 4)
    assert hist.J.shape == (2, 6) and hist.mean_return.shape == (2, 5)
    for r in range(2):
        for u in (0, 5):
            np.testing.assert_allclose(hist.pi[r, u], policy.probs(hist.theta[r, u]))
            assert hist.J[r, u] == pytest.approx(pg.exact.expected_return(mdp, policy, hist.theta[r, u]))


def test_batch_probs_and_expected_returns_match_the_single_policy_versions():
    rng = np.random.default_rng(4)
    mdp = pg.envs.random_mdp(5, 3, rng, gamma=0.9, n_terminal=1)
    for policy in (pg.SoftmaxPolicy(rng.normal(size=(5, 3, 4))), pg.SoftmaxPolicy.tabular(5, 3)):
        thetas = rng.normal(size=(6,) + policy.theta_shape) * 3
        pi = learn.batch_probs(policy, thetas)
        J = learn.expected_returns(mdp, pi)
        for k in range(6):
            np.testing.assert_allclose(pi[k], policy.probs(thetas[k]), atol=1e-12)
            assert J[k] == pytest.approx(pg.exact.evaluate(mdp, pi[k]).J, rel=1e-10)


def _first_update_matches_exact_gradient(mdp, policy, theta, n_runs, seed):
    """Expected first update / alpha of the book's rule and of a one-episode batch update, vs the exact gradient."""
    alpha = 1e-6  # tiny: the book's within-episode drift of theta is O(alpha^2)
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    book = learn.book_reinforce(mdp, policy, theta, alpha, 1, n_runs, np.random.default_rng(seed))
    batch = learn.reinforce(mdp, policy, theta, alpha, 1, 1, np.random.default_rng(seed + 1), n_runs=n_runs)
    means = []
    for steps in (book.theta[:, 1] - theta, batch.theta[:, 1] - theta):
        g = steps / alpha
        mean, se = g.mean(axis=0), g.std(axis=0, ddof=1) / np.sqrt(n_runs)
        assert (np.abs(mean - exact) <= 4 * se + 1e-6).all(), (mean, exact, se)
        means.append((mean, se))
    (m1, s1), (m2, s2) = means
    assert (np.abs(m1 - m2) <= 4 * np.sqrt(s1**2 + s2**2) + 1e-6).all()


def test_book_and_batch_updates_agree_in_expectation_tabular_random_mdp():
    rng = np.random.default_rng(7)
    mdp = pg.envs.random_mdp(3, 2, rng, gamma=0.9, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(3, 2)
    _first_update_matches_exact_gradient(mdp, policy, rng.normal(size=(3, 2)), 20_000, 11)


def test_book_and_batch_updates_agree_in_expectation_corridor_features():
    mdp, policy = corridor()
    _first_update_matches_exact_gradient(mdp, policy, np.array([0.3, 0.0]), 5_000, 21)


def _reference_book_update(policy, theta, w, ep, alpha, alpha_w, gamma, scalar):
    """The book's pseudocode, one run and one step at a time, with the policy's own score."""
    theta, w = theta.copy(), w.copy()
    G = ep.rewards_to_go(gamma)
    for r in range(theta.shape[0]):
        for t in range(int(ep.lengths[r])):
            s, a = ep.states[r, t], ep.actions[r, t]
            j = 0 if scalar else s
            delta = G[r, t] - w[r, j]
            if alpha_w is not None:
                w[r, j] += alpha_w * delta
            theta[r] += alpha[r] * gamma**t * delta * policy.score(theta[r])[s, a]
    return theta, w


@pytest.mark.parametrize("tabular", [True, False])
@pytest.mark.parametrize("alpha_w, scalar", [(None, False), (0.1, False), (0.1, True)])
def test_book_episode_update_matches_the_pseudocode(tabular, alpha_w, scalar):
    rng = np.random.default_rng(5)
    mdp = pg.envs.random_mdp(4, 3, rng, gamma=0.8, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(4, 3) if tabular else pg.SoftmaxPolicy(rng.normal(size=(4, 3, 2)))
    R = 6
    theta = rng.normal(size=(R,) + policy.theta_shape)
    w = rng.normal(size=(R, 1 if scalar else 4))
    alpha = rng.uniform(0.05, 0.3, size=R)  # large enough that within-episode changes matter
    ep = pg.rollout.sample_from_probs(mdp, learn.batch_probs(policy, theta), R, rng, 200)
    got = learn.book_episode_update(policy, theta, w, ep, alpha, alpha_w, mdp.gamma, scalar)
    want = _reference_book_update(policy, theta, w, ep, alpha, alpha_w, mdp.gamma, scalar)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-12)


def test_book_reinforce_records_returns_and_stops_runs_that_never_finish():
    mdp, policy = corridor()
    theta0 = np.array([[0.0, 0.0], [60.0, 0.0]])  # run 1 always goes right: it bounces forever
    run = learn.book_reinforce(mdp, policy, theta0, 2.0**-13, 5, 2, np.random.default_rng(0), max_steps=200)
    assert run.stopped.tolist() == [5, 0]
    assert np.isnan(run.returns[1]).all() and (run.lengths[1] == 0).all()
    assert (run.theta[1] == theta0[1]).all()
    np.testing.assert_array_equal(run.returns[0], -run.lengths[0])  # reward -1 per step
    assert run.theta.shape == (2, 6, 2) and run.w.shape == (2, 6, 4)
    assert (run.w == 0).all()
    stuck = learn.book_reinforce(mdp, policy, theta0[1], 0.1, 3, 2, np.random.default_rng(0), max_steps=50)
    assert stuck.stopped.tolist() == [0, 0] and np.isnan(stuck.returns).all()  # every run stopped: no crash


def test_book_reinforce_with_a_baseline_learns_the_corridor():
    mdp, policy = corridor()  # Sutton & Barto Figure 13.2 settings
    run = learn.book_reinforce(mdp, policy, THETA_LEFT, 2.0**-9, 300, 20, np.random.default_rng(2),
                               alpha_w=2.0**-6, scalar_baseline=True)
    done = run.stopped == 300  # from p(right) = 0.05 an early long episode can still make a run run away
    assert done.sum() >= 18
    assert np.mean(run.returns[done, -50:]) > -14
    assert run.w.shape == (20, 301, 1) and np.mean(run.w[done, -1, 0]) < -8  # w tracks the return


def test_all_zero_rewards_never_move_theta_and_offset_is_seen_by_the_learner_only():
    flat = pg.envs.bandit([0.0, 0.0, 0.0])
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    zero = learn.reinforce(flat, policy, np.zeros(3), 1.0, 10, 4, np.random.default_rng(0), n_runs=5)
    assert (zero.theta == 0).all()
    moved = learn.reinforce(flat, policy, np.zeros(3), 1.0, 10, 4, np.random.default_rng(0), n_runs=5,
                            reward_offset=1.0)
    assert np.abs(moved.theta).max() > 0.1
    np.testing.assert_allclose(moved.J, 0.0)  # J is of the MDP as given, without the offset
    np.testing.assert_allclose(moved.mean_return, 0.0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(theta0=np.zeros(3)), "theta0 has shape"),
    (dict(alpha=-0.1), "alpha must be positive"),
    (dict(alpha=np.ones(3)), "one step size per run"),
    (dict(returns="sum"), "returns must be"),
    (dict(baseline="median"), "baseline must be"),
    (dict(baseline="mean", batch_size=1), "need batch_size >= 2"),
    (dict(n_updates=0), "n_updates must be at least 1"),
])
def test_reinforce_rejects_bad_input(kwargs, match):
    mdp, policy = corridor()
    args = dict(mdp=mdp, policy=policy, theta0=np.zeros(2), alpha=0.1, n_updates=2, batch_size=2,
                rng=np.random.default_rng(0), n_runs=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        learn.reinforce(**args)


def test_reinforce_rejects_truncated_episodes_and_mismatched_policies():
    mdp, policy = corridor()
    with pytest.raises(ValueError, match="cut at max_steps=5"):
        learn.reinforce(mdp, policy, THETA_LEFT, 0.1, 1, 50, np.random.default_rng(0), max_steps=5)
    with pytest.raises(ValueError, match="policy is for"):
        learn.reinforce(mdp, pg.SoftmaxPolicy.tabular(3, 2), np.zeros((3, 2)), 0.1, 1, 2, np.random.default_rng(0))


def test_book_reinforce_rejects_bad_input():
    mdp, policy = corridor()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="alpha_w must lie in"):
        learn.book_reinforce(mdp, policy, np.zeros(2), 0.1, 1, 2, rng, alpha_w=-1.0)
    with pytest.raises(ValueError, match="n_runs must be at least 1"):
        learn.book_reinforce(mdp, policy, np.zeros(2), 0.1, 1, 0, rng)
    with pytest.raises(ValueError, match="theta0 has shape"):
        learn.book_reinforce(mdp, policy, np.zeros((3, 2)), 0.1, 1, 2, rng)
    with pytest.raises(ValueError, match="alpha must be positive"):
        learn.book_reinforce(mdp, policy, np.zeros(2), 0.0, 1, 2, rng)
