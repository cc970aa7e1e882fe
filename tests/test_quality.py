"""pgbook.quality: the quality measures against hand-computed values, the exact covariance and
known angles."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgbook as pg
from pgbook.quality import angle_degrees, batch_estimates, cosine, episodes_needed, measure, quality


def corridor():
    return pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features()), np.array([-0.5, 0.5])


def test_quality_matches_hand_computation():
    exact = np.array([1.0, 0.0])
    est = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, -1.0], [0.0, 0.0]])  # the last estimate is zero
    q = quality(est, exact)
    err = est - exact
    # errors (1, 0), (-1, 1), (0, -1), (-1, 0)
    assert np.allclose(q.bias, [-0.25, 0.0])
    assert np.allclose(q.bias_stderr, err.std(axis=0, ddof=1) / 2)
    # component 0: squared deviations 1.5625 + 0.5625 + 0.0625 + 0.5625 = 2.75; component 1: 2; 3 dof
    assert np.isclose(q.total_variance, (2.75 + 2) / 3)
    assert np.isclose(q.mse, (1 + 2 + 1 + 1) / 4)
    # cosines 1, 0, 1/sqrt(2), and 0 for the zero estimate (defined so, not nan)
    assert np.isclose(q.cosine, (1 + 0 + 1 / np.sqrt(2) + 0) / 4)
    assert np.isclose(q.relative_error, np.sqrt(q.mse))
    assert q.bias_within(4.0)


@given(st.integers(0, 10_000), st.integers(2, 30))
def test_mse_is_variance_plus_squared_bias(seed, M):
    rng = np.random.default_rng(seed)
    exact = rng.normal(size=(2, 3)) + 0.1
    q = quality(exact + rng.normal(size=(M, 2, 3)) + 0.3, exact)
    assert np.isclose(q.mse, q.total_variance * (M - 1) / M + np.sum(q.bias**2))
    assert -1.0 <= q.cosine <= 1.0


def test_quality_of_exact_estimates_is_perfect():
    g = np.array([3.0, -4.0])
    q = quality(np.tile(g, (5, 1)), g)
    assert q.mse == 0 and q.total_variance == 0 and np.isclose(q.cosine, 1.0) and q.bias_within()


@pytest.mark.parametrize("est, exact, match", [
    (np.zeros((1, 2)), np.ones(2), "M >= 2"),
    (np.zeros((4, 3)), np.ones(2), r"expected \(M, \*exact.shape\)"),
    (np.zeros((4, 2)), np.zeros(2), "exact gradient is zero"),
])
def test_quality_rejects_bad_input(est, exact, match):
    with pytest.raises(ValueError, match=match):
        quality(est, exact)


@pytest.mark.parametrize("returns", ["total", "reward_to_go"])
@pytest.mark.parametrize("baseline", [None, 2.5, "mean", "optimal", "V"])
def test_batch_estimates_equal_one_call_per_batch(returns, baseline):
    mdp, policy, theta = corridor()
    if baseline == "V":
        baseline = pg.exact.evaluate(mdp, policy.probs(theta)).V
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 60, np.random.default_rng(3))
    sizes = [2, 7, 20]
    for n, est in zip(sizes, batch_estimates(ep, policy, theta, 1.0, sizes, returns, baseline)):
        M = 60 // n
        loop = [pg.estimators.reinforce_gradient(ep.select(slice(i * n, (i + 1) * n)), policy, theta, 1.0,
                                                 returns, baseline).mean for i in range(M)]
        assert est.shape == (M, 2)
        assert np.allclose(est, loop, rtol=1e-12, atol=1e-10)


def test_batch_estimates_rejects_bad_input():
    mdp, policy, theta = corridor()
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="exceed the 10 episodes"):
        batch_estimates(ep, policy, theta, 1.0, [20])
    with pytest.raises(ValueError, match="'mean', 'optimal' or an array"):
        batch_estimates(ep, policy, theta, 1.0, [5], baseline="median")
    with pytest.raises(ValueError, match="need batch sizes >= 2"):
        batch_estimates(ep, policy, theta, 1.0, [1, 5], baseline="mean")
    with pytest.raises(ValueError, match="must be at least 1"):
        batch_estimates(ep, policy, theta, 1.0, [0])
    with pytest.raises(ValueError, match="returns must be one of"):
        batch_estimates(ep, policy, theta, 1.0, [5], returns="sum")
    cut = pg.rollout.sample_episodes(*corridor()[:3], 10, np.random.default_rng(1), max_steps=3)
    with pytest.raises(ValueError, match=r"cut at max_steps = 3"):
        batch_estimates(cut, policy, theta, 1.0, [5])
    assert len(batch_estimates(cut, policy, theta, 1.0, [5], truncation="accept")) == 1


def test_measure_checks_its_arguments_before_sampling():
    mdp, policy, theta = corridor()
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    with pytest.raises(TypeError, match="rng must be a numpy Generator, got int"):
        measure(mdp, policy, theta, 0, 5, 5)
    with pytest.raises(ValueError, match="baseline must be None, a float"):
        measure(mdp, policy, theta, rng, 5, 5, baseline="median")
    with pytest.raises(ValueError, match="returns must be one of"):
        measure(mdp, policy, theta, rng, 5, 5, returns="sum")
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        measure(mdp, policy, theta, rng, 2.5, 5)
    assert rng.bit_generator.state == state  # nothing was drawn


def test_measured_variance_matches_exact_covariance_on_a_bandit():
    # Independent answer: enumerate the arms. One sample is g = r_a score(a), so
    # Cov[g] = sum_a pi_a r_a^2 s_a s_a^T - grad J grad J^T, and a batch of N has trace(Cov) / N.
    means = np.array([1.0, 0.5, -0.2])
    mdp, policy = pg.envs.bandit(means), pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    theta = np.array([0.2, 0.5, -0.3])
    pi, s = policy.probs(theta)[0], policy.score(theta)[0]  # (A,), (A, K)
    grad = pi @ (means[:, None] * s)
    cov = np.einsum("a,ak,al->kl", pi * means**2, s, s) - np.outer(grad, grad)
    N, M = 10, 4000
    q = measure(mdp, policy, theta, np.random.default_rng(7), N, M)
    assert np.allclose(grad, pg.exact.policy_gradient(mdp, policy, theta))
    assert q.bias_within(4.0)
    # the sample variance of M batches has relative s.e. about sqrt(2 / M) ~ 2%: allow 10%
    assert abs(q.total_variance / (np.trace(cov) / N) - 1) < 0.1
    assert abs(q.mse / (np.trace(cov) / N) - 1) < 0.1


def test_episodes_needed():
    sizes = [1, 2, 4, 8, 16]
    assert episodes_needed(sizes, [0.1, 0.5, 0.85, 0.91, 0.97], 0.9) == 8
    assert episodes_needed(sizes, [0.9, 0.5, 0.2, 0.09, 0.05], 0.1, above=False) == 8
    assert episodes_needed(sizes, [0.1] * 5, 0.9) is None
    with pytest.raises(ValueError, match="batch_sizes has shape"):
        episodes_needed(sizes, [0.5, 0.6], 0.9)


def test_angles_and_cosines_on_known_values():
    assert angle_degrees([1, 0], [0, 2]) == pytest.approx(90.0)
    assert angle_degrees([1, 1], [2, 2]) == pytest.approx(0.0, abs=1e-6)
    assert angle_degrees([1, 0], [-3, 0]) == pytest.approx(180.0)
    assert angle_degrees([1, 0], [1, np.sqrt(3)]) == pytest.approx(60.0)
    # near 0 degrees atan2 keeps precision that arccos(cosine) loses: the angle between (1, 0) and (1, e) is e
    assert angle_degrees([1, 0], [1, 1e-9]) == pytest.approx(np.degrees(1e-9), rel=1e-6)
    assert cosine([1, 0], [1, np.sqrt(3)]) == pytest.approx(0.5)
    assert cosine(np.eye(2), -np.eye(2)) == pytest.approx(-1.0)  # arrays compared as flat vectors
    assert cosine([3, 4], [3, 4]) <= 1.0
    with pytest.raises(ValueError, match="zero vector"):
        angle_degrees([0, 0], [1, 0])
    with pytest.raises(ValueError, match="zero vector"):
        cosine([1, 0], [0, 0])
    with pytest.raises(ValueError, match="cannot compare a and b of sizes 2 and 3"):
        cosine([1, 0], [1, 0, 0])
    with pytest.raises(TypeError, match="complex"):
        angle_degrees([1j, 0], [1, 0])
