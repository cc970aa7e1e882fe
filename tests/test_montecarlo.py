"""montecarlo.as_estimate against hand computation, a round-off case with a known answer, and the
docstring's warning about few samples measured against the exact gradient."""
import numpy as np
import pytest

import pgbook as pg
from pgbook.montecarlo import EPS, as_estimate


def test_mean_and_standard_error_by_hand():
    x = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])
    est = as_estimate(x)
    assert np.allclose(est.mean, [3.0, 2.0])
    assert np.allclose(est.stderr, [2.0 / np.sqrt(3), 0.0])  # std(ddof=1) of 1, 3, 5 is 2; equal samples: 0
    assert np.array_equal(est.samples, x)
    assert np.all(np.isinf(as_estimate(x[:1]).stderr))  # one sample: no spread to measure
    assert as_estimate(np.zeros((4, 2, 3))).stderr.shape == (2, 3)


def test_round_off_floor_on_a_cancellation_with_a_known_answer():
    # (x + 0.1) - x - 0.1 is 0 in exact arithmetic; in floats it is rounding noise of x's size
    x = np.random.default_rng(0).normal(size=(1000, 3)) * 1e3
    samples = (x + 0.1) - x - 0.1
    naive = samples.std(axis=0, ddof=1) / np.sqrt(1000)
    est = as_estimate(samples, scale=np.abs(x) + 0.1)
    assert np.all(np.abs(est.mean) > 4 * naive)  # the spread alone would exclude the truth, 0
    assert np.all(np.abs(est.mean) <= est.stderr)
    assert np.allclose(est.stderr, np.sqrt(1000) * EPS * (np.abs(x) + 0.1).mean(axis=0))
    # genuine noise is untouched by the floor
    y = np.random.default_rng(1).normal(size=(1000, 3))
    assert np.array_equal(as_estimate(y).stderr, y.std(axis=0, ddof=1) / np.sqrt(1000))


def test_few_samples_give_too_small_error_bars_as_the_docstring_says():
    # 4000 batches of N = 10 episodes on the short corridor: |mean - exact| > 1.96 stderr should happen
    # in 5% of batches if stderr were exact; it happens about 3 times as often (binomial s.e. 0.006)
    mdp, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.array([-0.5, 0.5])
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 40_000, np.random.default_rng(0))
    s = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, "reward_to_go").samples.reshape(4000, 10, 2)
    z = (s.mean(axis=1) - exact) / (s.std(axis=1, ddof=1) / np.sqrt(10))
    assert 0.10 < np.mean(np.abs(z[:, 0]) > 1.96) < 0.20


@pytest.mark.parametrize("samples, error, match", [
    (np.zeros((0, 2)), ValueError, r"samples must have shape \(N, \.\.\.\) with N >= 1, got \(0, 2\)"),
    (np.float64(1.0), ValueError, r"got \(\)"),
    ([[1.0, np.nan]], ValueError, r"samples\[0, 1\] is nan"),
    ([[1 + 1j]], TypeError, "complex"),
])
def test_bad_input(samples, error, match):
    with pytest.raises(error, match=match):
        as_estimate(samples)
