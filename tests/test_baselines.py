"""reinforce_gradient's variants: all unbiased, and the good baselines really reduce the variance."""
import numpy as np
import pytest

import pgbook as pg

RETURNS = ["total", "reward_to_go"]


def corridor():
    return pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features()), np.array([-0.5, 0.5])


def random_problem():
    rng = np.random.default_rng(11)
    mdp = pg.envs.random_mdp(5, 3, rng, gamma=0.9, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(5, 3)
    return mdp, policy, rng.normal(size=(5, 3))


def gridworld():
    mdp = pg.envs.gridworld()
    policy = pg.SoftmaxPolicy.tabular(mdp.n_states, 4)
    return mdp, policy, np.random.default_rng(5).normal(size=(mdp.n_states, 4))


def baselines(mdp, policy, theta):
    V = pg.exact.evaluate(mdp, policy.probs(theta)).V
    return {"none": None, "constant": -3.0, "mean": "mean", "optimal": "optimal", "V": V}


@pytest.mark.parametrize("problem", [corridor, random_problem, gridworld])
@pytest.mark.parametrize("returns", RETURNS)
def test_every_variant_is_unbiased(problem, returns):
    mdp, policy, theta = problem()
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 4000, np.random.default_rng(1))
    for name, b in baselines(mdp, policy, theta).items():
        est = pg.estimators.reinforce_gradient(ep, policy, theta, mdp.gamma, returns, b)
        # components never visited have estimate 0, s.e. 0 and exact gradient 0 (terminal states)
        assert np.all(np.abs(est.mean - exact) <= 4 * est.stderr + 1e-12), name


def total_variance(est):
    return float(np.sum(est.samples.reshape(len(est.samples), -1).var(axis=0, ddof=1)))


@pytest.mark.parametrize("problem", [corridor, random_problem])
@pytest.mark.parametrize("returns", RETURNS)
def test_optimal_and_state_value_baselines_reduce_variance(problem, returns):
    mdp, policy, theta = problem()
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 4000, np.random.default_rng(2))
    var = {name: total_variance(pg.estimators.reinforce_gradient(ep, policy, theta, mdp.gamma, returns, b))
           for name, b in baselines(mdp, policy, theta).items()}
    assert var["optimal"] < var["none"]
    assert var["V"] < var["none"]


def test_reward_to_go_reduces_variance_on_the_corridor():
    mdp, policy, theta = corridor()
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 4000, np.random.default_rng(3))
    total, rtg = (total_variance(pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, r)) for r in RETURNS)
    assert rtg < 0.6 * total


def test_optimal_baseline_matches_its_formula_on_a_bandit():
    # Independent answer by enumerating arms: b_k = E[r s_k^2] / E[s_k^2]; per-episode total variance
    # of (r - b) s is then sum_k E[(r - b_k)^2 s_k^2] - ||grad J||^2, the smallest over constant b.
    means = np.array([1.0, 0.5, -0.2])
    mdp, policy = pg.envs.bandit(means), pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    theta = np.array([0.2, 0.5, -0.3])
    pi, s = policy.probs(theta)[0], policy.score(theta)[0]
    b = (pi * means) @ s**2 / (pi @ s**2)
    grad = pg.exact.policy_gradient(mdp, policy, theta)
    var_opt = np.sum(pi @ ((means[:, None] - b) ** 2 * s**2)) - grad @ grad
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 20_000, np.random.default_rng(4))
    measured = total_variance(pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, baseline="optimal"))
    assert abs(measured / var_opt - 1) < 0.05
    for other in (0.0, float(pi @ means), 1.0):  # no other constant does better, exactly
        assert np.sum(pi @ ((means[:, None] - other) ** 2 * s**2)) - grad @ grad >= var_opt


@pytest.mark.parametrize("baseline", ["mean", "optimal"])
def test_batch_baselines_cancel_a_reward_offset_exactly(baseline):
    # Adding c to every reward of a bandit shifts every return by c; the leave-one-out mean and
    # optimal baselines shift by c too, so the per-episode samples do not change at all.
    policy, theta = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3)), np.array([0.2, 0.5, -0.3])
    means = np.array([1.0, 0.5, -0.2])
    samples = []
    for c in (0.0, 100.0):
        ep = pg.rollout.sample_episodes(pg.envs.bandit(means + c), policy, theta, 500, np.random.default_rng(5))
        samples.append(pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, baseline=baseline).samples)
    assert np.allclose(samples[0], samples[1], atol=1e-9)


@pytest.mark.parametrize("kwargs, match", [
    (dict(returns="sum"), r"returns must be one of \('total', 'reward_to_go'\)"),
    (dict(baseline="median"), "baseline must be None, a float, 'mean', 'optimal' or an array"),
    (dict(baseline=np.zeros(3)), r"shape \(3,\), expected per-state values \(S,\) = \(4,\)"),
    (dict(baseline=np.zeros((4, 2))), "baseline must be None, a float, 'mean', 'optimal'"),
    (dict(baseline=[1.0, np.nan, 0.0, 0.0]), "expected a finite number"),
])
def test_invalid_returns_or_baselines_name_the_accepted_values(kwargs, match):
    mdp, policy, theta = corridor()
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match=match):
        pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, **kwargs)


def test_batch_baselines_need_two_episodes():
    mdp, policy, theta = corridor()
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="need n_episodes >= 2"):
        pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, baseline="mean")
