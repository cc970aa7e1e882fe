"""Tests for pgbook.pathwise and pgbook.gaussian against independent answers (notebook 06).

Closed forms come from sympy (a symbolic rollout, expectations by Gaussian moments), gradients from
central finite differences, Monte Carlo is held to 4 standard errors.
"""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from pgbook import gaussian, pathwise
from pgbook.gradcheck import finite_difference, relative_error

ENV = pathwise.PointMass(A=1.0, B=0.5, q=1.0, c=0.1, q_T=1.0, s0=1.0, T=3)
LEARNED = gaussian.GaussianPolicy(sigma=None)
THETA = np.array([-0.8, 0.1, np.log(0.5)])

EPS = sp.Symbol("eps", real=True)
GAUSS_MOMENTS = [1, 0, 1, 0, 3, 0, 15, 0, 105, 0, 945, 0, 10395, 0, 135135, 0, 2027025]  # (n-1)!!


def expect(expr, symbols):
    """E[expr] for a polynomial in independent standard normals, from the moments (n - 1)!!."""
    poly = sp.Poly(sp.expand(expr), *symbols)
    return sp.expand(sum(c * sp.Mul(*[GAUSS_MOMENTS[n] for n in powers]) for powers, c in poly.terms()))


def sympy_expected_return(env, T):
    k, b, ls = sp.symbols("k b ls", real=True)
    eps = sp.symbols(f"e0:{T}", real=True)
    A, B, q, c, qT, s = (sp.nsimplify(v) for v in (env.A, env.B, env.q, env.c, env.q_T, env.s0))
    R = 0
    for t in range(T):
        a = k * s + b + sp.exp(ls) * eps[t]
        R += -(q * s**2 + c * a**2)
        s = A * s + B * a
    J = expect(R - qT * s**2, eps)
    return J, [sp.diff(J, v) for v in (k, b, ls)], (k, b, ls)


@pytest.mark.parametrize("T", [1, 2, 3])
def test_expected_return_matches_sympy(T):
    env = pathwise.PointMass(A=0.9, B=0.5, q=1.0, c=0.2, q_T=2.0, s0=1.5, T=T)
    J, grad, syms = sympy_expected_return(env, T)
    at = dict(zip(syms, THETA))
    J_num, grad_num = pathwise.expected_return(env, LEARNED, THETA)
    assert np.isclose(J_num, float(J.subs(at)), rtol=1e-12)
    assert np.allclose(grad_num, [float(g.subs(at)) for g in grad], rtol=1e-12)


@given(st.floats(-1.5, 1.5), st.floats(-1, 1), st.floats(0.05, 2.0), st.integers(1, 8))
def test_expected_return_gradient_matches_finite_differences(k, b, sigma, T):
    env = pathwise.PointMass(A=1.0, B=0.5, q=1.0, c=0.1, q_T=1.0, s0=1.0, T=T)
    theta = np.array([k, b, np.log(sigma)])
    fd = finite_difference(lambda t: pathwise.expected_return(env, LEARNED, t)[0], theta, eps=1e-5)
    assert np.allclose(pathwise.expected_return(env, LEARNED, theta)[1], fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("policy, theta", [(LEARNED, THETA), (gaussian.GaussianPolicy(0.3), THETA[:2]),
                                           (gaussian.GaussianPolicy(0.0), THETA[:2])])
@pytest.mark.parametrize("T", [1, 4])
def test_backward_pass_matches_finite_differences(policy, theta, T):
    env = pathwise.PointMass(A=1.1, B=0.4, q=0.5, c=0.3, q_T=2.0, s0=-0.7, T=T)
    eps = np.random.default_rng(T).standard_normal((6, T))
    backward = pathwise.pathwise_samples(env, policy, theta, eps)
    fd = np.stack([finite_difference(lambda t: pathwise.returns_given_noise(env, policy, t, eps[i:i + 1])[0], theta, 1e-5)
                   for i in range(len(eps))])
    assert relative_error(backward, fd) < 1e-8


def test_rollout_matches_dynamics_by_hand():
    eps = np.array([[0.5, -1.0, 2.0]])
    s, a, r = pathwise.rollout(ENV, LEARNED, THETA, eps)
    a0 = -0.8 * 1.0 + 0.1 + 0.5 * 0.5
    s1 = 1.0 + 0.5 * a0
    assert np.isclose(a[0, 0], a0) and np.isclose(s[0, 1], s1)
    assert np.isclose(r[0, 0], -(1.0 + 0.1 * a0**2)) and np.isclose(r[0, -1], -s[0, -1] ** 2)


@pytest.mark.parametrize("estimator, kwargs", [
    (pathwise.pathwise_gradient, {}),
    (pathwise.score_function_gradient, {}),
    (pathwise.score_function_gradient, {"returns": "reward_to_go", "baseline": -2.0}),
    (pathwise.finite_difference_gradient, {}),
])
def test_estimators_are_unbiased(estimator, kwargs):
    _, grad = pathwise.expected_return(ENV, LEARNED, THETA)
    est = estimator(ENV, LEARNED, THETA, 20_000, np.random.default_rng(5), **kwargs)
    assert est.samples.shape == (20_000, 3)
    assert np.all(np.abs(est.mean - grad) < 4 * est.stderr)


def test_stop_gradient_is_biased_but_exact_without_a_future():
    _, grad = pathwise.expected_return(ENV, LEARNED, THETA)
    sg = pathwise.pathwise_gradient(ENV, LEARNED, THETA, 5000, np.random.default_rng(1), through_state=False)
    assert np.all(np.abs(sg.mean - grad) > 10 * sg.stderr)
    env1 = pathwise.PointMass(q_T=0.0, T=1)
    eps = np.random.default_rng(2).standard_normal((50, 1))
    assert np.allclose(pathwise.pathwise_samples(env1, LEARNED, THETA, eps, through_state=False),
                       pathwise.pathwise_samples(env1, LEARNED, THETA, eps))


def test_score_matches_finite_difference_of_log_density():
    s, a = np.array([0.7, -1.2]), np.array([0.3, 0.9])

    def log_pi(theta, i):
        mu, sig = theta[0] * s[i] + theta[1], np.exp(theta[2])
        return -0.5 * ((a[i] - mu) / sig) ** 2 - np.log(sig)

    fd = np.stack([finite_difference(lambda t: log_pi(t, i), THETA, 1e-6) for i in range(2)])
    assert np.allclose(LEARNED.score(THETA, s, a), fd, atol=1e-8)


# Mohamed et al. (2020) Figure 2 setting: x ~ N(1, 1), f(x) = (x - k)^2
def gaussian_estimator_variances(k):
    x = 1 + EPS
    f, df = (x - k) ** 2, 2 * (x - k)
    F = expect(f, [EPS])
    exprs = {"score": [f * EPS, f * (EPS**2 - 1)], "baseline": [(f - F) * EPS, (f - F) * (EPS**2 - 1)],
             "pathwise": [df, df * EPS]}
    out = {}
    for name, gs in exprs.items():
        means = [expect(g, [EPS]) for g in gs]
        assert means == [2 * (1 - k), 2]  # every estimator is unbiased
        out[name] = [(float(expect(g**2, [EPS]) - m**2), float(expect((g - m) ** 4, [EPS]) - (expect(g**2, [EPS]) - m**2) ** 2))
                     for g, m in zip(gs, means)]
    return out, float(F)


def test_symbolic_variances_match_integration_against_the_density():
    x = sp.Symbol("x", real=True)
    density = sp.exp(-(x - 1) ** 2 / 2) / sp.sqrt(2 * sp.pi)
    g = (x - 2) ** 2 * (x - 1)  # score-function estimator of d/dmu at k = 2
    second = sp.integrate(sp.expand(g**2) * density, (x, -sp.oo, sp.oo))
    variances, _ = gaussian_estimator_variances(sp.Integer(2))
    assert np.isclose(variances["score"][0][0], float(second - 4))  # mean is 2 (1 - k) = -2


@pytest.mark.parametrize("k", [-3, 0, 1, 2.5])
def test_gaussian_estimator_variances_match_monte_carlo(k):
    variances, F = gaussian_estimator_variances(sp.nsimplify(k))
    n = 40_000
    f, df = (lambda x: (x - k) ** 2), (lambda x: 2 * (x - k))
    draws = {"score": gaussian.score_gaussian(f, 1.0, 1.0, n, np.random.default_rng(1)),
             "baseline": gaussian.score_gaussian(f, 1.0, 1.0, n, np.random.default_rng(2), baseline=F),
             "pathwise": gaussian.pathwise_gaussian(df, 1.0, 1.0, n, np.random.default_rng(3))}
    for name, est in draws.items():
        assert np.all(np.abs(est.mean - [2 * (1 - k), 2]) < 4 * est.stderr)
        for p, (var, var_of_var) in enumerate(variances[name]):
            assert abs(est.samples[:, p].var(ddof=1) - var) < 4 * np.sqrt(var_of_var / n), (name, p)


def test_bad_input():
    with pytest.raises(ValueError, match="T must be at least 1, got 0"):
        pathwise.PointMass(T=0)
    with pytest.raises(ValueError, match="q must lie in"):
        pathwise.PointMass(q=-1.0)
    with pytest.raises(ValueError, match="sigma must lie in"):
        gaussian.GaussianPolicy(sigma=-0.1)
    with pytest.raises(ValueError, match=r"theta has shape \(2,\), expected \(3,\)"):
        pathwise.expected_return(ENV, LEARNED, [0.1, 0.2])
    with pytest.raises(ValueError, match=r"eps has shape \(4, 2\), expected \(N, T\) with T = 3"):
        pathwise.rollout(ENV, LEARNED, THETA, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="sigma is 0: a deterministic policy has no density"):
        pathwise.score_function_gradient(ENV, gaussian.GaussianPolicy(0.0), THETA[:2], 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="returns must be 'total' or 'reward_to_go', got 'all'"):
        pathwise.score_function_gradient(ENV, LEARNED, THETA, 10, np.random.default_rng(0), returns="all")
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        pathwise.pathwise_gradient(ENV, LEARNED, THETA, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="sigma must be positive, got 0.0"):
        gaussian.score_gaussian(np.square, 0.0, 0.0, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"theta\[1\] is nan"):
        pathwise.expected_return(ENV, LEARNED, [0.1, np.nan, 0.0])
    with pytest.raises(TypeError, match="T must be an integer"):
        pathwise.PointMass(T=2.5)
