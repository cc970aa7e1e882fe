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
    with pytest.raises(ValueError, match="n_states must be at least 1, got 0"):
        pg.SoftmaxPolicy.tabular(0, 2)
    with pytest.raises(ValueError, match="n_actions must be at least 1, got -1"):
        pg.SoftmaxPolicy.tabular(2, -1)
    for bad in (2.9, 2.0, True, "2", None):  # tabular(2.9, 2) once built S = 2 silently
        with pytest.raises(TypeError, match="n_states must be an integer"):
            pg.SoftmaxPolicy.tabular(bad, 2)
        with pytest.raises(TypeError, match="n_actions must be an integer"):
            pg.SoftmaxPolicy.tabular(2, bad)
    assert pg.SoftmaxPolicy.tabular(np.int64(2), 3).theta_shape == (2, 3)
    with pytest.raises(ValueError, match=r"weights have shape \(2, 2\), expected \(\.\.\., S, A\) = \(\.\.\., 2, 3\)"):
        policy.weighted_score(np.zeros(4), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"weights\[0, 1\] is nan"):
        policy.weighted_score(np.zeros(4), [[1.0, np.nan, 0.0], [0.0, 0.0, 0.0]])
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


def direct_softmax(z):
    """exp(z) / sum exp(z) along the last axis, straight from the definition (moderate logits only)."""
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@given(st.integers(0, 2**32 - 1), st.sampled_from([(3,), (1,), (4, 2), (2, 3, 5), (6, 1)]),
       st.sampled_from([0.0, 1.0, 30.0]))
def test_softmax_and_log_softmax_match_the_definition(seed, shape, scale):
    z = scale * np.random.default_rng(seed).normal(size=shape)
    kept = z.copy()
    p, logp = pg.policies.softmax(z), pg.policies.log_softmax(z)
    assert p.shape == logp.shape == shape and np.array_equal(z, kept)
    assert np.allclose(p, direct_softmax(z), rtol=1e-13, atol=0)
    assert np.allclose(logp, z - np.log(np.exp(z).sum(axis=-1, keepdims=True)), rtol=0, atol=1e-12)
    assert np.allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-15)
    shifted = pg.policies.softmax(z + 7.5)  # invariant to adding a constant to every logit
    assert np.allclose(shifted, p, rtol=1e-13, atol=0)


def test_softmax_of_huge_logits_is_exact_and_silent():
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, 0.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        p, logp = pg.policies.softmax(z), pg.policies.log_softmax(z)
    assert np.array_equal(p, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    assert np.array_equal(logp[0], [0.0, -1e4, -2e4])  # exact, never -inf where p underflows
    assert np.allclose(logp[1], -np.log(3.0)) and np.allclose(logp[2], [-np.log(2.0)] * 2 + [-1e4 - np.log(2.0)])


def test_softmax_rejects_logits_without_an_axis_of_actions():
    for fn, name in ((pg.policies.softmax, "softmax"), (pg.policies.log_softmax, "log_softmax")):
        with pytest.raises(ValueError, match=rf"{name} needs an array of logits, got the scalar 1\.0"):
            fn(1.0)
        with pytest.raises(ValueError, match=r"logits with an axis of length >= 1, got length 0 on axis -1"):
            fn(np.zeros((2, 0)))


@given(st.one_of(linear_cases(), tabular_cases()), st.integers(1, 4))
def test_stacked_methods_equal_a_loop_over_single_thetas(case, R):
    policy, theta = case
    rng = np.random.default_rng(R)
    thetas = theta + rng.normal(size=(R,) + policy.theta_shape)
    W = rng.normal(size=(R, policy.n_states, policy.n_actions))
    kept_t, kept_w = thetas.copy(), W.copy()
    probs, logp = policy.probs_many(thetas), policy.log_probs_many(thetas)
    score = policy.weighted_score_many(thetas, W)
    assert probs.shape == logp.shape == (R, policy.n_states, policy.n_actions)
    assert score.shape == (R,) + policy.theta_shape
    for r in range(R):
        assert np.allclose(probs[r], policy.probs(thetas[r]), rtol=1e-13, atol=1e-300)
        assert np.allclose(logp[r], policy.log_probs(thetas[r]), rtol=1e-13, atol=1e-13)
        assert np.allclose(score[r], policy.weighted_score(thetas[r], W[r]), rtol=1e-12, atol=1e-12)
    assert np.array_equal(thetas, kept_t) and np.array_equal(W, kept_w)


def test_stacked_methods_reject_wrong_shapes():
    lin, tab = pg.SoftmaxPolicy(np.ones((2, 3, 4))), pg.SoftmaxPolicy.tabular(3, 2)
    with pytest.raises(ValueError, match=r"thetas has shape \(4,\), expected \(R, \*theta_shape\) = \(R, 4\)"):
        lin.probs_many(np.zeros(4))  # a single theta is not a stack
    with pytest.raises(ValueError, match=r"thetas has shape \(5, 3\), expected \(R, \*theta_shape\) = \(R, 4\)"):
        lin.log_probs_many(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"thetas has shape \(3, 2\), expected \(R, \*theta_shape\) = \(R, 3, 2\)"):
        tab.probs_many(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"thetas\[1, 0, 1\] is nan"):
        tab.probs_many(np.array([np.zeros((3, 2)), [[0, np.nan], [0, 0], [0, 0]]]))
    with pytest.raises(ValueError, match=r"weights have shape \(3, 2\), expected \(R, S, A\) = \(2, 3, 2\)"):
        tab.weighted_score_many(np.zeros((2, 3, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"weights have shape \(1, 3, 2\), expected \(R, S, A\) = \(2, 3, 2\)"):
        tab.weighted_score_many(np.zeros((2, 3, 2)), np.ones((1, 3, 2)))
    # the single-theta methods keep their own errors
    with pytest.raises(ValueError, match=r"theta has shape \(2, 3, 2\), expected \(3, 2\)"):
        tab.probs(np.zeros((2, 3, 2)))


def gaussian_log_density(theta, s, a, sigma):
    """log N(a; k s + b, sigma^2) with theta = (k, b[, log sigma]), written out."""
    std = np.exp(theta[2]) if sigma is None else sigma
    return -0.5 * ((a - theta[0] * s - theta[1]) / std) ** 2 - np.log(std) - 0.5 * np.log(2 * np.pi)


@pytest.mark.parametrize("sigma, theta", [(None, [0.7, -0.2, np.log(0.4)]), (0.3, [-1.1, 0.5])])
def test_gaussian_score_matches_finite_differences_of_the_log_density(sigma, theta):
    policy, theta = pg.policies.GaussianPolicy(sigma), np.array(theta)
    rng = np.random.default_rng(5)
    s, a = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    kept = (theta.copy(), s.copy(), a.copy())
    score = policy.score(theta, s, a)
    assert score.shape == (4, 3, policy.n_params)
    for i in np.ndindex(s.shape):
        fd = pg.gradcheck.finite_difference(lambda t: gaussian_log_density(t, s[i], a[i], sigma), theta)
        assert np.allclose(score[i], fd, rtol=1e-7, atol=1e-7)
    assert all(np.array_equal(x, y) for x, y in zip((theta, s, a), kept))


def test_gaussian_policy_bad_input():
    policy = pg.policies.GaussianPolicy(0.5)
    with pytest.raises(ValueError, match=r"theta has shape \(3,\), expected \(2,\) = \(k, b\)"):
        policy.score(np.zeros(3), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"s and a must have one shape, got s \(2,\) and a \(3,\)"):
        policy.score(np.zeros(2), np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"a\[1\] is nan"):
        policy.score(np.zeros(2), np.zeros(2), [0.0, np.nan])
    with pytest.raises(TypeError, match="s must be an array of numbers"):
        policy.score(np.zeros(2), "s", np.zeros(2))
    with pytest.raises(ValueError, match="sigma is 0"):
        pg.policies.GaussianPolicy(0.0).score(np.zeros(2), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"sigma must lie in \[0, 1e\+06\], got -0\.1"):
        pg.policies.GaussianPolicy(-0.1)
    learned = pg.policies.GaussianPolicy(None)
    for log_sigma, what in ((800.0, r"inf \(exp overflows\)"), (-800.0, r"0 \(exp underflows\)")):
        theta = np.array([0.0, 0.0, log_sigma])
        for call in (learned.std, learned.check_theta, lambda t: learned.score(t, np.zeros(2), np.zeros(2))):
            with pytest.raises(ValueError, match=rf"theta\[2\] = log sigma = {log_sigma:g} gives sigma = "
                                                 rf"{what}: keep log sigma in \[-708\.4, 709\.8\]"):
                call(theta)
    assert learned.std([0.0, 0.0, 709.0]) == np.exp(709.0) and learned.std([0.0, 0.0, -708.0]) == np.exp(-708.0)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (1, 6), (5,)])
def test_softmax_along_any_axis_is_the_last_axis_softmax_moved(shape):
    z = 20 * np.random.default_rng(len(shape)).normal(size=shape)
    for axis in range(-len(shape), len(shape)):
        moved = np.moveaxis(z, axis, -1)
        for fn in (pg.policies.softmax, pg.policies.log_softmax):
            expected = np.moveaxis(fn(moved), -1, axis)
            assert np.array_equal(fn(z, axis=axis), expected) and fn(z, axis).shape == shape
    assert np.allclose(pg.policies.softmax(z, axis=0).sum(axis=0), 1.0)
    with pytest.raises(np.exceptions.AxisError):
        pg.policies.softmax(z, axis=len(shape))
