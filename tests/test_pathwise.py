"""pgbook.pointmass and the point-mass estimators of pgbook.pathwise against independent answers
(notebook 06): closed forms from sympy (a symbolic rollout, expectations by Gaussian moments),
per-episode gradients from central finite differences of a return function written to match each
backward pass, Monte Carlo means held to 4 standard errors."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from pgbook import pathwise, pointmass
from pgbook.gradcheck import finite_difference, relative_error
from pgbook.policies import GaussianPolicy
from pgbook.symbolic import normal_moments

ENV = pointmass.PointMass(A=1.0, B=0.5, q=1.0, c=0.1, q_T=1.0, s0=1.0, T=3)
LEARNED = GaussianPolicy(sigma=None)
THETA = np.array([-0.8, 0.1, np.log(0.5)])
POLICIES = [(LEARNED, THETA), (GaussianPolicy(0.3), THETA[:2]), (GaussianPolicy(0.0), THETA[:2])]


def symbolic_rollout(env, T):
    """R(theta, eps) and the detach="all" gradient as sympy expressions in (k, b, ls) and noises e_t."""
    k, b, ls = sp.symbols("k b ls", real=True)
    eps = sp.symbols(f"e0:{T}", real=True)
    A, B, q, c, qT, s = (sp.nsimplify(v) for v in (env.A, env.B, env.q, env.c, env.q_T, env.s0))
    R, grad_all = 0, [0, 0, 0]
    for t in range(T):
        a = k * s + b + sp.exp(ls) * eps[t]
        R += -(q * s**2 + c * a**2)
        # detach="all": s_t a constant, so d r_t / d theta = -2 c a_t (s_t, 1, sigma eps_t)
        grad_all = [g - 2 * c * a * d for g, d in zip(grad_all, (s, 1, sp.exp(ls) * eps[t]))]
        s = A * s + B * a
    return R - qT * s**2, grad_all, (k, b, ls), eps


@pytest.mark.parametrize("T", [1, 2, 3])
def test_exact_return_and_gradient_match_sympy(T):
    env = pointmass.PointMass(A=0.9, B=0.5, q=1.0, c=0.2, q_T=2.0, s0=1.5, T=T)
    R, _, syms, eps = symbolic_rollout(env, T)
    J = normal_moments(R, eps)
    at = dict(zip(syms, THETA))
    J_num, grad_num = pointmass.exact_return_and_gradient(env, LEARNED, THETA)
    assert np.isclose(J_num, float(J.subs(at)), rtol=1e-12)
    assert np.allclose(grad_num, [float(sp.diff(J, v).subs(at)) for v in syms], rtol=1e-12)


@given(st.floats(-1.5, 1.5), st.floats(-1, 1), st.floats(0.05, 2.0), st.integers(1, 8))
def test_exact_gradient_matches_finite_differences(k, b, sigma, T):
    env = pointmass.PointMass(A=1.0, B=0.5, q=1.0, c=0.1, q_T=1.0, s0=1.0, T=T)
    theta = np.array([k, b, np.log(sigma)])
    fd = finite_difference(lambda t: pointmass.exact_return_and_gradient(env, LEARNED, t)[0], theta, eps=1e-5)
    assert np.allclose(pointmass.exact_return_and_gradient(env, LEARNED, theta)[1], fd, rtol=1e-6, atol=1e-6)


def test_simulate_matches_dynamics_by_hand():
    eps = np.array([[0.5, -1.0, 2.0]])
    s, a, r = pointmass.simulate(ENV, LEARNED, THETA, eps)
    a0 = -0.8 * 1.0 + 0.1 + 0.5 * 0.5
    s1 = 1.0 + 0.5 * a0
    assert np.isclose(a[0, 0], a0) and np.isclose(s[0, 1], s1)
    assert np.isclose(r[0, 0], -(1.0 + 0.1 * a0**2)) and np.isclose(r[0, -1], -s[0, -1] ** 2)
    assert np.isclose(pointmass.returns_given_noise(ENV, LEARNED, THETA, eps)[0], r.sum())


# ------------------------------------------------ the three backward passes, each against its own return
def frozen_state_return(env, policy, theta0, eps, detach):
    """R(theta) with the states of the rollout at theta0 held fixed where `detach` holds them:
    "reward": every reward sees the frozen states, the simulator and a_t = k s_t + ... do not;
    "all": the policy's input and the dynamics see them too (a_t = k S_t + b + sigma eps_t)."""
    S = pointmass.simulate(env, policy, theta0, eps).states  # constants: no theta in them

    def R(theta):
        s, a, _ = pointmass.simulate(env, policy, theta, eps)
        if detach == "all":
            sigma = np.exp(theta[2]) if policy.sigma is None else policy.sigma
            a = theta[0] * S[:, :-1] + theta[1] + sigma * eps
        return -(env.q * S[:, :-1] ** 2 + env.c * a**2).sum(axis=1) - env.q_T * S[:, -1] ** 2
    return R


@pytest.mark.parametrize("policy, theta", POLICIES)
@pytest.mark.parametrize("T", [1, 4])
@pytest.mark.parametrize("detach", ["none", "reward", "all"])
def test_backward_pass_matches_finite_differences_of_its_return(policy, theta, T, detach):
    env = pointmass.PointMass(A=1.1, B=0.4, q=0.5, c=0.3, q_T=2.0, s0=-0.7, T=T)
    eps = np.random.default_rng(T).standard_normal((6, T))
    kept = eps.copy(), theta.copy()
    backward = pathwise.pathwise_samples(env, policy, theta, eps, detach=detach)
    if detach == "none":
        R = lambda t, i: pointmass.returns_given_noise(env, policy, t, eps[i:i + 1])[0]  # noqa: E731
    else:
        R = lambda t, i: frozen_state_return(env, policy, theta, eps[i:i + 1], detach)(t)[0]  # noqa: E731
    fd = np.stack([finite_difference(lambda t: R(t, i), theta, 1e-5) for i in range(len(eps))])
    assert relative_error(backward, fd) < 1e-8
    assert np.array_equal(eps, kept[0]) and np.array_equal(theta, kept[1])  # inputs untouched


def test_the_three_modes_differ_and_agree_where_theory_says():
    eps = np.random.default_rng(0).standard_normal((50, ENV.T))
    none, reward, all_ = (pathwise.pathwise_samples(ENV, LEARNED, THETA, eps, detach=d) for d in pathwise.DETACH)
    assert min(relative_error(none, reward), relative_error(reward, all_), relative_error(none, all_)) > 0.05
    # detaching s inside every reward leaves only the action costs, differentiated through everything:
    # exactly the full gradient in a world with no state cost (q = q_T = 0)
    no_state_cost = pointmass.PointMass(A=ENV.A, B=ENV.B, q=0.0, c=ENV.c, q_T=0.0, s0=ENV.s0, T=ENV.T)
    assert np.allclose(reward, pathwise.pathwise_samples(no_state_cost, LEARNED, THETA, eps), rtol=1e-13, atol=1e-14)
    # with one step and no terminal cost there is no future: all three coincide
    one = pointmass.PointMass(q_T=0.0, T=1)
    e1 = eps[:, :1]
    for d in ("reward", "all"):
        assert np.allclose(pathwise.pathwise_samples(one, LEARNED, THETA, e1, detach=d),
                           pathwise.pathwise_samples(one, LEARNED, THETA, e1), rtol=1e-13, atol=1e-14)


# ------------------------------------------------ Monte Carlo estimators against exact expectations
@pytest.mark.parametrize("estimator, kwargs", [
    (pathwise.pathwise_gradient, {}),
    (pathwise.pathwise_gradient, {"detach": "none"}),
    (pathwise.score_function_gradient, {}),
    (pathwise.score_function_gradient, {"returns": "reward_to_go", "baseline": -2.0}),
    (pathwise.finite_difference_gradient, {}),
])
def test_estimators_are_unbiased(estimator, kwargs):
    _, grad = pointmass.exact_return_and_gradient(ENV, LEARNED, THETA)
    est = estimator(ENV, LEARNED, THETA, 20_000, np.random.default_rng(5), **kwargs)
    assert est.samples.shape == (20_000, 3)
    assert np.all(np.abs(est.mean - grad) < 4 * est.stderr)


def test_detached_gradients_are_biased_and_have_the_expectation_theory_gives():
    _, grad = pointmass.exact_return_and_gradient(ENV, LEARNED, THETA)
    # "reward": E = grad J of the world without state costs (closed form, pointmass)
    no_state_cost = pointmass.PointMass(A=ENV.A, B=ENV.B, q=0.0, c=ENV.c, q_T=0.0, s0=ENV.s0, T=ENV.T)
    _, expected_reward = pointmass.exact_return_and_gradient(no_state_cost, LEARNED, THETA)
    # "all": E[-2 c sum_t a_t (s_t, 1, sigma eps_t)] by Gaussian moments of the symbolic rollout
    _, grad_all, syms, eps = symbolic_rollout(ENV, ENV.T)
    expected_all = np.array([float(normal_moments(g, eps).subs(dict(zip(syms, THETA)))) for g in grad_all])
    for detach, expected in (("reward", expected_reward), ("all", expected_all)):
        est = pathwise.pathwise_gradient(ENV, LEARNED, THETA, 20_000, np.random.default_rng(1), detach=detach)
        assert np.all(np.abs(est.mean - expected) < 4 * est.stderr), detach
        assert np.abs(est.mean - grad).max() > 10 * est.stderr.max(), detach  # and biased for J


# ------------------------------------------------ bad input: refused in words, before any draw
def test_world_and_theta_are_checked():
    with pytest.raises(ValueError, match="T must be at least 1, got 0"):
        pointmass.PointMass(T=0)
    with pytest.raises(TypeError, match=r"T must be an integer, got float 2\.5"):
        pointmass.PointMass(T=2.5)
    with pytest.raises(ValueError, match=r"q must lie in \[0, 1e\+06\], got -1\.0"):
        pointmass.PointMass(q=-1.0)
    with pytest.raises(ValueError, match=r"A must lie in .*got nan"):
        pointmass.PointMass(A=float("nan"))
    with pytest.raises(TypeError, match="s0 must be a real number, got str"):
        pointmass.PointMass(s0="1")
    with pytest.raises(ValueError, match=r"theta has shape \(2,\), expected \(3,\)"):
        pointmass.exact_return_and_gradient(ENV, LEARNED, [0.1, 0.2])
    with pytest.raises(ValueError, match=r"theta\[1\] is nan"):
        pointmass.exact_return_and_gradient(ENV, LEARNED, [0.1, np.nan, 0.0])
    with pytest.raises(TypeError, match="theta must be an array of real numbers, got complex"):
        pointmass.simulate(ENV, LEARNED, THETA + 0j, np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"eps has shape \(4, 2\), expected \(N, T\) with T = 3"):
        pointmass.simulate(ENV, LEARNED, THETA, np.zeros((4, 2)))
    for log_sigma, shown in ((800.0, "inf"), (-800.0, "0")):
        with pytest.raises(ValueError, match=rf"theta\[2\] = log sigma = {log_sigma:g} gives sigma = {shown}"):
            pointmass.exact_return_and_gradient(ENV, LEARNED, [0.1, 0.0, log_sigma])


def test_overflow_is_refused_in_words():
    unstable = pointmass.PointMass(A=2.0, B=1.0, T=500)
    with pytest.raises(ValueError, match=r"the rewards overflow float64 at theta = \[5\.0, 0\.0\]"):
        pointmass.simulate(unstable, GaussianPolicy(0.1), [5.0, 0.0], np.zeros((2, 500)))
    with pytest.raises(ValueError, match="J and its gradient overflow float64"):
        pointmass.exact_return_and_gradient(unstable, GaussianPolicy(0.1), [5.0, 0.0])


ESTIMATORS = [pathwise.pathwise_gradient, pathwise.score_function_gradient, pathwise.finite_difference_gradient]


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("rng, kind", [(None, "NoneType"), (0, "int"), (np.random.RandomState(0), "RandomState")])
def test_every_estimator_validates_its_rng(estimator, rng, kind):
    with pytest.raises(TypeError, match=f"rng must be a numpy Generator, got {kind}"):
        estimator(ENV, LEARNED, THETA, 10, rng)


@pytest.mark.parametrize("estimator, kwargs, exc, pattern", [
    (pathwise.pathwise_gradient, dict(n=0), ValueError, "n must be at least 1, got 0"),
    (pathwise.pathwise_gradient, dict(n=10.0), TypeError, r"n must be an integer, got float 10\.0"),
    (pathwise.pathwise_gradient, dict(detach="some"), ValueError,
     r"detach must be one of \('none', 'reward', 'all'\), got 'some'"),
    (pathwise.pathwise_gradient, dict(detach=False), ValueError, "detach must be one of .*, got False"),
    (pathwise.pathwise_gradient, dict(theta=[0.1, 0.0, 800.0]), ValueError, r"log sigma = 800 gives sigma = inf"),
    (pathwise.score_function_gradient, dict(baseline=float("nan")), ValueError, "baseline must be a finite number, got nan"),
    (pathwise.score_function_gradient, dict(baseline=np.inf), ValueError, "baseline must be a finite number, got inf"),
    (pathwise.score_function_gradient, dict(baseline="1"), TypeError, "baseline must be a real number, got str"),
    (pathwise.score_function_gradient, dict(baseline=True), TypeError, "baseline must be a real number, got bool"),
    (pathwise.score_function_gradient, dict(returns="all"), ValueError,
     r"returns must be one of \('total', 'reward_to_go'\), got 'all'"),
    (pathwise.score_function_gradient, dict(policy=GaussianPolicy(0.0), theta=THETA[:2]), ValueError,
     "sigma is 0: a deterministic policy has no density"),
    (pathwise.finite_difference_gradient, dict(h=float("nan")), ValueError, r"h must lie in \[1e-12, 1\], got nan"),
    (pathwise.finite_difference_gradient, dict(h=0.0), ValueError, r"h must lie in \[1e-12, 1\], got 0\.0"),
    (pathwise.finite_difference_gradient, dict(h="1e-5"), TypeError, "h must be a real number, got str"),
    (pathwise.finite_difference_gradient, dict(theta=[0.1, np.inf, 0.0]), ValueError, r"theta\[1\] is inf"),
])
def test_hyperparameters_are_refused_before_any_draw(estimator, kwargs, exc, pattern):
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    args = dict(env=ENV, policy=LEARNED, theta=THETA, n=10, rng=rng) | kwargs
    with pytest.raises(exc, match=pattern):
        estimator(**args)
    assert rng.bit_generator.state == before  # nothing was drawn


def test_pathwise_samples_refuses_a_bad_mode():
    with pytest.raises(ValueError, match=r"detach must be one of \('none', 'reward', 'all'\), got 'state'"):
        pathwise.pathwise_samples(ENV, LEARNED, THETA, np.zeros((2, 3)), detach="state")
