"""pgbook.estimators against independent answers: the exact policy gradient (within 4 standard
errors, every variant), per-episode sums written out by hand, and the bandit's closed form."""
import numpy as np
import pytest
from hypothesis import given, settings

import pgbook as pg
from test_exact import mdp_cases, with_corners  # the shared random-MDP strategy (tests/ is on sys.path)

RETURNS = ["total", "reward_to_go"]


def baselines(V):
    return {"none": None, "float": 1.5, "mean": "mean", "optimal": "optimal", "V": V}


def horizon(gamma: float) -> int:
    """Steps after which gamma^t < 1e-8, so cutting episodes there biases nothing measurable."""
    return 2000 if gamma >= 0.99 else int(min(2000, max(1, np.ceil(np.log(1e-8) / np.log(max(gamma, 1e-3))))))


@settings(max_examples=25)
@given(mdp_cases())
@with_corners
def test_every_variant_is_unbiased_for_the_exact_gradient(case):
    mdp, policy, theta = case
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    V = pg.exact.evaluate(mdp, policy.probs(theta)).V
    N = 1000
    ep = pg.rollout.sample_episodes(mdp, policy, theta, N, np.random.default_rng(11), max_steps=horizon(mdp.gamma))
    for returns in RETURNS:
        for name, b in baselines(V).items():
            est = pg.estimators.reinforce_gradient(ep, policy, theta, mdp.gamma, returns=returns, baseline=b)
            assert est.samples.shape == (N, *theta.shape) and est.mean.shape == est.stderr.shape == theta.shape
            assert np.all(np.abs(est.mean - exact) <= 4 * est.stderr + 1e-9), (returns, name)


def by_hand(ep, policy, theta, gamma, returns, b):
    """One gradient sample per episode by explicit loops over episodes and steps (b: None, float or (S,))."""
    score = policy.score(theta)
    out = np.zeros((ep.n_episodes, *theta.shape))
    for i in range(ep.n_episodes):
        r = ep.rewards[i, ep.mask[i]]
        for t in range(r.size):
            s, a = ep.states[i, t], ep.actions[i, t]
            base = 0.0 if b is None else (b if np.ndim(b) == 0 else b[s])
            if returns == "total":
                weight = sum(gamma**k * x for k, x in enumerate(r)) - base
            else:
                weight = gamma**t * (sum(gamma**k * x for k, x in enumerate(r[t:])) - base)
            out[i] += weight * score[s, a]
    return out


@pytest.mark.parametrize("returns", RETURNS)
@pytest.mark.parametrize("kind", ["tabular", "linear"])
def test_samples_match_explicit_loops(returns, kind):
    rng = np.random.default_rng(12)
    mdp = pg.envs.random_mdp(4, 3, rng, gamma=0.8, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(4, 3) if kind == "tabular" else pg.SoftmaxPolicy(rng.normal(size=(4, 3, 2)))
    theta = rng.normal(size=policy.theta_shape)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 30, rng, max_steps=12)
    b_state = rng.normal(size=4)
    for b in (None, 0.7, b_state):
        est = pg.estimators.reinforce_gradient(ep, policy, theta, 0.8, returns=returns, baseline=b)
        assert np.allclose(est.samples, by_hand(ep, policy, theta, 0.8, returns, b))
        assert np.allclose(est.mean, est.samples.mean(axis=0))
        assert np.allclose(est.stderr, est.samples.std(axis=0, ddof=1) / np.sqrt(30))
    # "mean": b_i is the mean total return of the other episodes, B_i = sum_t score * per-step weight
    R = ep.returns(0.8)
    B = by_hand(ep, policy, theta, 0.8, returns, -1.0) - by_hand(ep, policy, theta, 0.8, returns, None)
    g = by_hand(ep, policy, theta, 0.8, returns, None)
    loo = (R.sum() - R) / 29
    est = pg.estimators.reinforce_gradient(ep, policy, theta, 0.8, returns=returns, baseline="mean")
    assert np.allclose(est.samples, g - loo.reshape(-1, *[1] * theta.ndim) * B)
    # "optimal": per component b_k = sum_{j != i} g_jk B_jk / sum_{j != i} B_jk^2
    num, den = (g * B).sum(axis=0) - g * B, (B * B).sum(axis=0) - B * B
    b_opt = np.divide(num, den, out=np.zeros_like(num), where=den != 0)
    est = pg.estimators.reinforce_gradient(ep, policy, theta, 0.8, returns=returns, baseline="optimal")
    assert np.allclose(est.samples, g - b_opt * B)


def test_bandit_closed_form_and_constant_rewards():
    means = np.array([1.0, 2.0, 4.0])
    mdp = pg.envs.bandit(means)
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    theta = np.array([0.2, -0.1, 0.3])
    pi = policy.probs(theta)[0]
    closed = pi * (means - pi @ means)  # d/dtheta_k E[r] = pi_k (m_k - J)
    assert np.allclose(pg.exact.policy_gradient(mdp, policy, theta), closed)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 20_000, np.random.default_rng(13))
    total = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0)
    rtg = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, returns="reward_to_go")
    assert np.array_equal(total.samples, rtg.samples)  # one step: the return is the reward to go
    assert np.all(np.abs(total.mean - closed) <= 4 * total.stderr)
    # equal rewards c for every arm: the gradient is 0, and the baseline c (or the batch mean) removes all noise
    flat = pg.envs.bandit([3.0, 3.0, 3.0])
    ep = pg.rollout.sample_episodes(flat, policy, theta, 500, np.random.default_rng(14))
    noisy = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0)
    assert np.all(noisy.stderr > 0.01) and np.all(np.abs(noisy.mean) <= 4 * noisy.stderr)
    for b in (3.0, "mean"):
        est = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, baseline=b)
        assert np.allclose(est.samples, 0.0, atol=1e-12)


def test_visit_weights_by_hand():
    mdp = pg.envs.gridworld()
    policy = pg.SoftmaxPolicy.tabular(mdp.n_states, 4)
    ep = pg.rollout.sample_episodes(mdp, policy, np.zeros((mdp.n_states, 4)), 20, np.random.default_rng(15), 30)
    w = np.random.default_rng(16).normal(size=ep.mask.shape)
    W = pg.estimators.visit_weights(ep, mdp.n_states, 4, w)
    expected = np.zeros_like(W)
    for i in range(20):
        for t in range(ep.lengths[i]):
            expected[i, ep.states[i, t], ep.actions[i, t]] += w[i, t]
    assert np.allclose(W, expected)


def test_bad_input():
    mdp = pg.envs.short_corridor()
    policy = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.zeros(2)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 50, np.random.default_rng(17))
    rg = pg.estimators.reinforce_gradient
    with pytest.raises(ValueError, match=r"returns must be one of \('total', 'reward_to_go'\), got 'rtg'"):
        rg(ep, policy, theta, 1.0, returns="rtg")
    with pytest.raises(ValueError, match="baseline must be None, a float, 'mean', 'optimal' or an array.*'median'"):
        rg(ep, policy, theta, 1.0, baseline="median")
    b = np.zeros(3)
    with pytest.raises(ValueError, match=r"baseline array has shape \(3,\), expected per-state values \(S,\) = \(4,\)"):
        rg(ep, policy, theta, 1.0, baseline=b)
    assert np.array_equal(b, np.zeros(3))
    with pytest.raises(ValueError, match=r"baseline\[1\] is nan"):
        rg(ep, policy, theta, 1.0, baseline=np.array([0.0, np.nan, 0.0, 0.0]))
    with pytest.raises(ValueError, match=r"baseline is nan, expected a finite number"):
        rg(ep, policy, theta, 1.0, baseline=float("nan"))
    with pytest.raises(ValueError, match=r"gamma must lie in \[0, 1\], got 1\.5"):
        rg(ep, policy, theta, 1.5)
    with pytest.raises(TypeError, match="gamma must be a real number, got str"):
        rg(ep, policy, theta, "1")
    with pytest.raises(ValueError, match=r"theta has shape \(3,\), expected \(2,\)"):
        rg(ep, policy, np.zeros(3), 1.0)
    one = pg.rollout.sample_episodes(mdp, policy, theta, 1, np.random.default_rng(18))
    with pytest.raises(ValueError, match="need n_episodes >= 2, got 1"):
        rg(one, policy, theta, 1.0, baseline="mean")
    assert np.all(np.isinf(rg(one, policy, theta, 1.0).stderr))  # one sample: no error estimate
    cut = pg.rollout.sample_episodes(mdp, policy, theta, 50, np.random.default_rng(19), max_steps=5)
    assert cut.truncated.any()
    with pytest.raises(ValueError, match=r"episodes were cut at max_steps before terminating; with gamma = 1"):
        rg(cut, policy, theta, 1.0)
    rg(cut, policy, theta, 0.9)  # with gamma < 1 a cut episode is a (slightly) shorter horizon, allowed
