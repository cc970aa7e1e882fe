"""pgbook.policies.SoftmaxPolicy against independent answers: direct formulas, one-hot features,
finite differences of log pi, and stability for huge logits."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgbook as pg


def one_hot_features(S, A):
    """phi[s, a] = e_(s, a) in R^(S * A): the tabular policy written as a linear one."""
    return np.eye(S * A).reshape(S, A, S * A)


def direct_probs(phi, theta):
    """pi(a|s) straight from the definition exp(theta . phi) / sum exp(...) (fine for moderate logits)."""
    e = np.exp(phi @ theta)
    return e / e.sum(axis=1, keepdims=True)


@st.composite
def linear_cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    S, A, d = draw(st.integers(1, 6)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    scale = draw(st.sampled_from([0.0, 0.1, 1.0, 5.0]))
    rng = np.random.default_rng(seed)
    return pg.SoftmaxPolicy(rng.normal(size=(S, A, d))), scale * rng.normal(size=d)


@st.composite
def tabular_cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    S, A = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    scale = draw(st.sampled_from([0.0, 1.0, 5.0, 50.0]))
    return pg.SoftmaxPolicy.tabular(S, A), scale * np.random.default_rng(seed).normal(size=(S, A))


@given(linear_cases())
def test_probs_match_the_definition(case):
    policy, theta = case
    pi = policy.probs(theta)
    assert np.allclose(pi, direct_probs(policy.phi, theta), rtol=1e-12, atol=0)
    assert np.allclose(pi.sum(axis=1), 1.0) and np.allclose(np.log(pi), policy.log_probs(theta))


@given(st.one_of(linear_cases(), tabular_cases()))
def test_score_has_zero_mean_under_pi(case):
    policy, theta = case
    pi, score = policy.probs(theta), policy.score(theta)
    mean = np.einsum("sa,sa...->s...", pi, score)  # sum_a pi(a|s) score(s, a)
    assert np.abs(mean).max() < 1e-12 * max(1.0, np.abs(score).max())


@given(st.one_of(linear_cases(), tabular_cases()))
def test_score_matches_finite_differences_of_log_pi(case):
    policy, theta = case
    score = policy.score(theta)
    S, A = policy.n_states, policy.n_actions
    for s in range(S):
        for a in range(A):
            fd = pg.gradcheck.finite_difference(lambda x: policy.log_probs(x)[s, a], theta, eps=1e-6)
            assert np.allclose(fd, score[s, a], atol=1e-7), (s, a)


@given(tabular_cases())
def test_tabular_equals_explicit_one_hot_features(case):
    tab, theta = case
    S, A = tab.theta_shape
    lin = pg.SoftmaxPolicy(one_hot_features(S, A))
    flat = theta.ravel()
    assert np.allclose(tab.probs(theta), lin.probs(flat), rtol=1e-12, atol=1e-300)
    assert np.allclose(tab.log_probs(theta), lin.log_probs(flat))
    assert np.allclose(tab.score(theta).reshape(S, A, S * A), lin.score(flat))
    W = np.random.default_rng(0).normal(size=(3, S, A))
    assert np.allclose(tab.weighted_score(theta, W).reshape(3, S * A), lin.weighted_score(flat, W))


@given(st.one_of(linear_cases(), tabular_cases()))
def test_weighted_score_is_the_weighted_sum_of_scores(case):
    policy, theta = case
    W = np.random.default_rng(1).normal(size=(2, policy.n_states, policy.n_actions))
    expected = np.einsum("nsa,sa...->n...", W, policy.score(theta))
    assert np.allclose(policy.weighted_score(theta, W), expected)
    assert np.allclose(policy.weighted_score(theta, W[0]), expected[0])


@pytest.mark.parametrize("big", [1e4, -1e4])
def test_huge_logits_stay_finite_without_warnings(big):
    theta_tab = np.array([[big, 0.0, -big], [0.0, 0.0, big], [big, big, -big]])
    phi = np.random.default_rng(2).normal(size=(3, 3, 2))
    cases = [(pg.SoftmaxPolicy.tabular(3, 3), theta_tab), (pg.SoftmaxPolicy(phi), np.array([big, -big]))]
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        for policy, theta in cases:
            pi, logp, score = policy.probs(theta), policy.log_probs(theta), policy.score(theta)
            W = policy.weighted_score(theta, np.ones((3, 3)))
            for x in (pi, logp, score, W):
                assert np.isfinite(x).all()
            assert np.allclose(pi.sum(axis=1), 1.0)
            assert np.all(logp <= 0) and np.allclose(np.exp(logp).sum(axis=1), 1.0)
    # tabular row 0: log pi is exact (-1e4 and -2e4), never -inf, though pi underflows to 0
    expected = [0.0, -1e4, -2e4] if big > 0 else [-2e4, -1e4, 0.0]
    assert np.array_equal(cases[0][0].log_probs(theta_tab)[0], expected)


def test_bad_input_messages_and_inputs_unchanged():
    phi = np.random.default_rng(3).normal(size=(2, 3, 4))
    policy = pg.SoftmaxPolicy(phi)
    bad_phi = phi.copy()
    bad_phi[1, 2, 0] = np.nan
    kept = bad_phi.copy()
    with pytest.raises(ValueError, match=r"phi\[1, 2, 0\] is nan"):
        pg.SoftmaxPolicy(bad_phi)
    assert np.array_equal(bad_phi, kept, equal_nan=True)
    with pytest.raises(ValueError, match=r"phi must have 3 dimensions, got shape \(3, 4\)"):
        pg.SoftmaxPolicy(phi[0])
    with pytest.raises(ValueError, match=r"phi must have shape \(S, A, d\) with S, A, d >= 1, got \(2, 3, 0\)"):
        pg.SoftmaxPolicy(np.zeros((2, 3, 0)))
    with pytest.raises(TypeError, match="phi must be an array of numbers"):
        pg.SoftmaxPolicy("features")
    theta = np.array([0.1, np.nan, 0.3, 0.4])
    with pytest.raises(ValueError, match=r"theta\[1\] is nan, expected a finite number"):
        policy.probs(theta)
    assert np.isnan(theta[1]) and theta[0] == 0.1
    with pytest.raises(ValueError, match=r"theta has shape \(3,\), expected \(4,\)"):
        policy.score(np.zeros(3))
    with pytest.raises(ValueError, match=r"theta has shape \(2, 3\), expected \(3, 2\)"):
        pg.SoftmaxPolicy.tabular(3, 2).log_probs(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="theta must be an array of numbers"):
        policy.probs("abc")
    with pytest.raises(ValueError, match="need n_states, n_actions >= 1, got 0, 2"):
        pg.SoftmaxPolicy.tabular(0, 2)
    with pytest.raises(ValueError, match=r"weights have shape \(2, 2\), expected \(\.\.\., S, A\)"):
        policy.weighted_score(np.zeros(4), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"policy is for \(S, A\) = \(2, 3\) but the MDP has \(S, A\) = \(4, 2\)"):
        policy.check_mdp(pg.envs.short_corridor())


def test_phi_is_copied_and_read_only():
    phi = np.ones((2, 2, 1))
    policy = pg.SoftmaxPolicy(phi)
    phi[0, 0, 0] = 5.0
    assert policy.phi[0, 0, 0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        policy.phi[0, 0, 0] = 2.0
    assert repr(policy) == "SoftmaxPolicy(S=2, A=2, d=1)"
    assert repr(pg.SoftmaxPolicy.tabular(2, 3)) == "SoftmaxPolicy(S=2, A=3, tabular)"
