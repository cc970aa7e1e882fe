"""pg.check.optimal_baseline: the reference answer passes; typical mistakes fail with a message that names them."""
import numpy as np
import pytest

import pgbook as pg
from pgbook.check import ch05


def reference(g, B):
    """The notebook's answer: per component, sum_i g_ik B_ik / sum_i B_ik^2."""
    return (g * B).sum(axis=0) / (B * B).sum(axis=0)


def test_the_reference_answer_passes():
    verdict = pg.check.optimal_baseline(reference)
    assert verdict and "exactly on 2 test distributions" in verdict.message


def test_the_mean_of_products_passes_too():
    # a ratio of means is the same ratio of sums
    assert pg.check.optimal_baseline(lambda g, B: np.mean(g * B, axis=0) / np.mean(B**2, axis=0))


def test_the_test_distributions_are_exact():
    # each sample reproduces its distribution: the score sums have mean exactly zero, and the sample
    # ratio equals the exact b (computed from the probabilities, not the sample)
    for case in ch05._cases():
        np.testing.assert_allclose(case.B.mean(axis=0), 0.0, atol=1e-15)
        np.testing.assert_allclose(reference(case.g, case.B), case.b, rtol=1e-12)
    bandit = ch05._cases()[0]
    np.testing.assert_allclose(bandit.b, [1.0, 1.5, -0.6])  # by hand: sum_a pi r psi_k^2 / sum_a pi psi_k^2


def test_the_package_optimal_baseline_agrees_on_a_large_batch():
    # reinforce_gradient's leave-one-out b differs from the in-sample one by O(1/N): on a big bandit sample
    # the learner's b (in-sample) reproduces its samples to that order
    bandit = pg.envs.bandit([1.0, 2.0, -1.0])
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    theta = np.log([3.0, 2.0, 1.0])  # pi = (1/2, 1/3, 1/6)
    ep = pg.rollout.sample_episodes(bandit, policy, theta, 20_000, np.random.default_rng(0))
    g = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0).samples
    B = g - pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, baseline=1.0).samples
    b = reference(g, B)
    np.testing.assert_allclose(b, [1.0, 1.5, -0.6], atol=0.05)  # the exact b of the checker's bandit
    loo = pg.estimators.reinforce_gradient(ep, policy, theta, 1.0, baseline="optimal").samples
    np.testing.assert_allclose(loo, g - b * B, atol=1e-3 * np.abs(g).max())


@pytest.mark.parametrize("answer, words", [
    (lambda g, B: g.mean(axis=0) / B.mean(axis=0), "divide by the mean or the sum of B"),
    (lambda g, B: (g * B).sum(axis=0) / B.sum(axis=0), "divide by the mean or the sum of B"),
    (lambda g, B: (g * B).sum() / (B * B).sum(), "one number shared by all components"),
    (lambda g, B: np.full(g.shape[1], (g * B).sum() / (B * B).sum()), "one number shared by all components"),
    (lambda g, B: (g * B).sum(axis=1) / (B * B).sum(axis=1), "sum over the episodes (axis 0)"),
    (lambda g, B: g.mean(axis=0), "the gradient estimate itself"),
    (lambda g, B: -reference(g, B), "wrong sign"),
    (lambda g, B: reference(g, B) ** 2, "square of the right answer"),
])
def test_typical_mistakes_are_named(answer, words):
    verdict = pg.check.optimal_baseline(answer)
    assert not verdict
    assert words in verdict.message
    assert verdict.message.startswith("optimal_baseline(g, B) on a three-armed bandit")


def test_other_wrong_answers_are_explained():
    assert "should be a function" in pg.check.optimal_baseline(2.0).message
    assert "returned None: is the `return` line missing?" in pg.check.optimal_baseline(lambda g, B: None).message
    text = pg.check.optimal_baseline(lambda g, B: "b").message
    assert "raised ValueError" in text  # a string is not a number
    boom = pg.check.optimal_baseline(lambda g, B: g[100])
    assert not boom and "raised IndexError" in boom.message

    def in_place(g, B):
        g *= B
        return g.sum(axis=0) / (B * B).sum(axis=0)

    changed = pg.check.optimal_baseline(in_place)
    assert not changed and "changed its input arrays" in changed.message
    off = pg.check.optimal_baseline(lambda g, B: reference(g, B) + 0.1)
    assert not off and "expected [1, 1.5, -0.6]" in off.message
    # right on the bandit, wrong on the reward-to-go episode: the message names that case
    second = pg.check.optimal_baseline(lambda g, B: reference(g, B) if g.shape[1] == 3 else np.zeros(2))
    assert not second and "two-step episode with reward-to-go" in second.message
