"""pgbook.surrogate against independent answers: finite differences, pgbook.estimators, the exact gradient."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgbook as pg
from pgbook import surrogate


def corridor_case():
    return pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())


@given(seed=st.integers(0, 10_000), returns=st.sampled_from(["total", "reward_to_go"]),
       tabular=st.booleans())
def test_finite_difference_gradient_of_loss_is_the_reinforce_estimate(seed, returns, tabular):
    rng = np.random.default_rng(seed)
    mdp = pg.envs.random_mdp(4, 3, rng, gamma=0.9, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(4, 3) if tabular else pg.SoftmaxPolicy(rng.normal(size=(4, 3, 2)))
    theta = rng.normal(size=policy.theta_shape)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 30, rng, max_steps=200)
    if returns == "total":
        w = np.broadcast_to(ep.returns(0.9)[:, None], ep.mask.shape)
    else:
        w = ep.discounts(0.9) * ep.rewards_to_go(0.9)
    est = pg.estimators.reinforce_gradient(ep, policy, theta, 0.9, returns=returns)
    fd = pg.gradcheck.finite_difference(lambda t: surrogate.surrogate_loss(ep, policy, t, w), theta)
    assert np.allclose(fd, -est.mean, rtol=1e-6, atol=1e-7)
    assert np.allclose(surrogate.surrogate_gradient(ep, policy, theta, w), -est.mean, rtol=1e-10, atol=1e-12)


def test_loss_value_by_hand_on_a_bandit():
    mdp = pg.envs.bandit([1.0, 3.0])
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 2))
    theta = np.array([0.0, np.log(3.0)])  # pi = (1/4, 3/4)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 50, np.random.default_rng(0))
    w = ep.rewards  # one step per episode: the return is the reward
    a = ep.actions[:, 0]
    expected = -np.mean(np.where(a == 0, 1.0 * np.log(0.25), 3.0 * np.log(0.75)))
    assert surrogate.surrogate_loss(ep, policy, theta, w) == pytest.approx(expected)


def test_minibatch_gradient_is_unbiased_for_the_exact_gradient():
    mdp, policy = corridor_case()
    theta = np.array([0.4, 0.0])
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 4000, np.random.default_rng(1))
    w = np.broadcast_to(ep.returns(1.0)[:, None], ep.mask.shape)
    se = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0).stderr
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    assert np.all(np.abs(-surrogate.surrogate_gradient(ep, policy, theta, w) - exact) < 4 * se)


def test_log_softmax_backward_matches_finite_differences_and_is_stable():
    rng = np.random.default_rng(2)
    z, g = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))

    def f(x):
        x = x - x.max(axis=-1, keepdims=True)
        return np.sum(g * (x - np.log(np.exp(x).sum(axis=-1, keepdims=True))))

    fd = pg.gradcheck.finite_difference(f, z)
    assert pg.gradcheck.relative_error(surrogate.log_softmax_backward(z, g), fd) < 1e-8
    huge = surrogate.log_softmax_backward(np.array([1e4, -1e4]), np.array([0.0, 1.0]))
    assert np.allclose(huge, [-1.0, 1.0])  # all mass on action 0: raising logit 1 is all that helps


def test_book_per_step_update_on_one_step_bandit_is_one_reinforce_step():
    mdp = pg.envs.bandit([1.0, -2.0, 0.5])
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    theta, alpha = np.array([0.2, -0.1, 0.0]), 0.1
    out = pg.learn.book_reinforce(mdp, policy, theta, alpha, 1, 200, np.random.default_rng(3)).theta[:, -1]
    pi = policy.probs(theta)[0]
    candidates = np.array([theta + alpha * mdp.R[0, a] * (np.eye(3)[a] - pi) for a in range(3)])
    dist = np.abs(out[:, None, :] - candidates[None]).max(axis=2)  # (runs, actions)
    assert np.all(dist.min(axis=1) < 1e-12)
    assert len(set(dist.argmin(axis=1))) == 3  # every arm was sampled in some run


@pytest.mark.parametrize("tabular", [False, True])
def test_per_step_updates_agree_with_exact_gradient_for_small_steps(tabular):
    mdp, policy = corridor_case()
    theta = np.zeros(2)
    if tabular:
        policy, theta = pg.SoftmaxPolicy.tabular(4, 2), np.zeros((4, 2))
    alpha, N, R = 1e-4, 4, 600
    run = pg.learn.book_reinforce(mdp, policy, theta, alpha, N, R, np.random.default_rng(4))
    assert np.all(run.stopped == N)  # no run was cut short
    out = run.theta[:, -1]
    dirs = ((out - theta) / (alpha * N)).reshape(R, -1)
    mean, se = dirs.mean(axis=0), dirs.std(axis=0, ddof=1) / np.sqrt(R)
    exact = pg.exact.policy_gradient(mdp, policy, theta).ravel()
    assert np.all(np.abs(mean - exact) <= 4 * se + 1e-9)


def test_bad_inputs():
    mdp, policy = corridor_case()
    theta = np.zeros(2)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="weights have shape"):
        surrogate.surrogate_loss(ep, policy, theta, np.ones(3))
    with pytest.raises(ValueError, match="weights"):
        surrogate.surrogate_gradient(ep, policy, theta, np.full(ep.mask.shape, np.nan))
    with pytest.raises(ValueError, match=r"grad_out has shape \(2,\), expected the shape of z \(3,\)"):
        surrogate.log_softmax_backward(np.zeros(3), np.zeros(2))
    with pytest.raises(TypeError, match="z must be an array of real numbers, got complex"):
        surrogate.log_softmax_backward(np.zeros(3) + 1j, np.zeros(3))
    with pytest.raises(TypeError, match="weights must be an array of numbers, got strings"):
        surrogate.surrogate_loss(ep, policy, theta, np.full(ep.mask.shape, "1.0"))
    with pytest.raises(ValueError, match=r"theta has shape \(3,\)"):
        surrogate.surrogate_gradient(ep, policy, np.zeros(3), np.ones(ep.mask.shape))


def test_episodes_from_a_bigger_mdp_are_refused():
    rng = np.random.default_rng(0)
    big = pg.envs.random_mdp(6, 3, rng, gamma=0.9, n_terminal=1)
    ep = pg.rollout.sample_episodes(big, pg.SoftmaxPolicy.tabular(6, 3), np.zeros((6, 3)), 40, rng)
    assert ep.states.max() >= 4  # the batch does visit states a (4, 3) table does not have
    w = np.ones(ep.mask.shape)
    for fn in (surrogate.surrogate_loss, surrogate.surrogate_gradient):
        with pytest.raises(ValueError, match=r"the episodes visit state \d, but the policy has only 4 states"):
            fn(ep, pg.SoftmaxPolicy.tabular(4, 3), np.zeros((4, 3)), w)
        with pytest.raises(ValueError, match=r"the episodes take action 2, but the policy has only 2 actions"):
            fn(ep, pg.SoftmaxPolicy.tabular(6, 2), np.zeros((6, 2)), w)


def test_inputs_are_not_modified():
    mdp, policy = corridor_case()
    theta = np.array([0.3, -0.1])
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 20, np.random.default_rng(5))
    w = np.broadcast_to(ep.returns(1.0)[:, None], ep.mask.shape).copy()
    kept = theta.copy(), w.copy(), ep.states.copy(), ep.actions.copy()
    surrogate.surrogate_loss(ep, policy, theta, w)
    surrogate.surrogate_gradient(ep, policy, theta, w)
    z, g = np.array([[1.0, 2.0, -1.0]]), np.array([[0.5, 0.0, 1.0]])
    z0, g0 = z.copy(), g.copy()
    surrogate.log_softmax_backward(z, g)
    assert np.array_equal(theta, kept[0]) and np.array_equal(w, kept[1])
    assert np.array_equal(ep.states, kept[2]) and np.array_equal(ep.actions, kept[3])
    assert np.array_equal(z, z0) and np.array_equal(g, g0)
