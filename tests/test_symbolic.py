"""pgbook.symbolic against hand-computed cases and the numeric package (pgbook.exact)."""
import numpy as np
import pytest
import sympy as sp

import pgbook as pg
from pgbook import symbolic as sym

x, mu, z0, z1 = sp.symbols("x mu z0 z1", real=True)
sigma = sp.Symbol("sigma", positive=True)


def zero(expr) -> bool:
    return sp.simplify(expr) == 0


def test_softmax_two_logits_is_a_sigmoid_of_the_difference():
    p0, p1 = sym.softmax([z0, z1])
    assert zero(p1 - sym.sigmoid(z1 - z0))
    assert zero(p0 + p1 - 1)
    assert p0.subs({z0: 0, z1: 0}) == sp.Rational(1, 2)  # by hand: e^0 / (e^0 + e^0)


def test_softmax_rejects_empty():
    with pytest.raises(ValueError, match="at least one logit"):
        sym.softmax([])


def test_sigmoid_values_by_hand():
    assert sym.sigmoid(0) == sp.Rational(1, 2)
    assert zero(sym.sigmoid(sp.log(3)) - sp.Rational(3, 4))  # 1 / (1 + 1/3)


def test_score_of_softmax_is_indicator_minus_probability():
    pi = sym.softmax([z0, z1, 0])
    for a in range(3):
        for k in range(2):
            assert zero(sym.score(pi[a], [z0, z1])[k] - (int(a == k) - pi[k]))


def test_score_drops_factors_without_the_parameter():
    c = sp.Symbol("c", positive=True)
    assert sym.score(c * sp.exp(2 * z0), [z0]) == [2]


def test_expectation_by_hand_and_length_check():
    assert sym.expectation([sp.Rational(1, 4), sp.Rational(3, 4)], [4, 8]) == 7
    with pytest.raises(ValueError, match="2 probabilities but 3 values"):
        sym.expectation([0.5, 0.5], [1, 2, 3])


def test_gaussian_pdf_integrates_to_one_and_peaks_at_mu():
    assert sp.integrate(sym.gaussian_pdf(x, mu, sigma), (x, -sp.oo, sp.oo)) == 1
    assert zero(sym.gaussian_pdf(mu, mu, sigma) - 1 / (sp.sqrt(2 * sp.pi) * sigma))


def test_gaussian_expectation_of_a_quadratic():
    # E[x^2] = mu^2 + sigma^2, E[x^3] = mu^3 + 3 mu sigma^2 (textbook moments)
    assert zero(sym.gaussian_expectation(x ** 2, x, mu, sigma) - (mu ** 2 + sigma ** 2))
    assert zero(sym.gaussian_expectation(x ** 3, x, mu, sigma) - (mu ** 3 + 3 * mu * sigma ** 2))


def test_normal_moments_match_integration():
    e0, e1 = sp.symbols("e0 e1", real=True)
    assert sym.normal_moments(e0 ** 4 + 3 * e0 * e1 + e1 ** 2 + 5, [e0, e1]) == 3 + 1 + 5
    # the moment rule against integration, E[x^n] for n <= 6 (integrating (mu + sigma x)^4 with
    # symbolic mu and sigma takes sympy 0.6 s: that one against the textbook moment instead)
    for n in range(1, 7):
        assert sym.normal_moments(x**n, [x]) == sym.gaussian_expectation(x**n, x, 0, 1)
    expr = (mu + sigma * x) ** 4
    assert zero(sym.normal_moments(expr, [x]) - (mu**4 + 6 * mu**2 * sigma**2 + 3 * sigma**4))
    with pytest.raises(ValueError, match="needs a polynomial in"):
        sym.normal_moments(sp.exp(e0), [e0])
    # parameters stay symbolic: E[(mu + sigma e0)^2 e1^2] = mu^2 + sigma^2
    assert zero(sym.normal_moments((mu + sigma * e0) ** 2 * e1**2, [e0, e1]) - (mu**2 + sigma**2))
    with pytest.raises(ValueError, match="needs at least one noise symbol, got none"):
        sym.normal_moments(mu * x, [])  # would silently take mu and x for noises and return 0
    with pytest.raises(TypeError, match=r"noises must be sympy Symbols, got str 'e0'"):
        sym.normal_moments(e0**2, ["e0"])


def test_softmax_policy_rows():
    pi = sym.softmax_policy(sp.Matrix([[0, sp.log(3)], [z0, z0]]))
    assert pi.shape == (2, 2)
    assert zero(pi[0, 1] - sp.Rational(3, 4))
    assert zero(pi[1, 0] - sp.Rational(1, 2))


def test_trajectories_count_and_order():
    trajs = sym.trajectories(2, 3, 2)
    assert len(trajs) == 2 ** 3 * 3 ** 2
    assert trajs[0] == ((0, 0, 0), (0, 0))
    assert len(set(trajs)) == len(trajs)
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        sym.trajectories(2, 2, 0)
    with pytest.raises(TypeError, match=r"n_states must be an integer, got float 2\.0"):
        sym.trajectories(2.0, 2, 1)


def test_trajectories_refuse_sizes_beyond_the_limit():
    assert sym.MAX_TRAJECTORIES == 100_000
    # S^(H+1) A^H: 2^8 2^7 = 32,768 is listed, 2^9 2^8 = 131,072 is refused before any work
    assert len(sym.trajectories(2, 2, 7)) == 32_768
    with pytest.raises(ValueError, match=r"2 states, 2 actions and horizon 8 give S\^\(H\+1\) A\^H = 131,072 "
                                         r"trajectories, more than the limit MAX_TRAJECTORIES = 100,000"):
        sym.trajectories(2, 2, 8)
    # far beyond: refused at once, the count computed exactly (10^21 10^20 = 10^41) and shown rounded
    with pytest.raises(ValueError, match=r"horizon 20 give S\^\(H\+1\) A\^H = about 1e\+41 trajectories"):
        sym.trajectories(10, 10, 20)
    rho, P, R = [1], sp.Array([[[1], [1]]]), sp.Array([[1, 2]])
    with pytest.raises(ValueError, match="more than the limit MAX_TRAJECTORIES"):
        sym.enumerated_return(rho, P, R, sym.softmax_policy(sp.Matrix([[z0, z1]])), horizon=17)


def test_trajectory_probability_and_return_by_hand():
    rho = [sp.Rational(1, 3), sp.Rational(2, 3)]
    P = sp.Array([[[1, 0], [sp.Rational(1, 2), sp.Rational(1, 2)]], [[0, 1], [1, 0]]])
    pi = sp.Matrix([[sp.Rational(1, 4), sp.Rational(3, 4)], [sp.Rational(1, 2), sp.Rational(1, 2)]])
    # by hand: rho[1] = 2/3, pi[1, 1] = 1/2, P[1, 1, 0] = 1, pi[0, 1] = 3/4, P[0, 1, 1] = 1/2
    p = sym.trajectory_probability((1, 0, 1), (1, 1), sp.Matrix(rho), P, pi)
    assert p == sp.Rational(2, 3) * sp.Rational(1, 2) * 1 * sp.Rational(3, 4) * sp.Rational(1, 2)
    R = sp.Array([[1, 2], [3, 4]])
    assert sym.trajectory_return((1, 0, 1), (1, 1), R) == 4 + 2
    R3 = sp.Array([[[1, 10], [2, 20]], [[3, 30], [4, 40]]])
    assert sym.trajectory_return((1, 0, 1), (1, 1), R3) == 4 + 20
    with pytest.raises(ValueError, match="one more state than actions"):
        sym.trajectory_probability((0, 1), (0, 1), rho, P, pi)
    with pytest.raises(ValueError, match=r"shape \(S, A\) or \(S, A, S\)"):
        sym.trajectory_return((0, 1), (0,), sp.Array([1, 2]))


def test_enumerated_return_one_step_bandit_by_hand():
    r = sp.symbols("r0 r1")
    P = sp.Array([[[1], [1]]])  # one state that loops to itself
    pi = sym.softmax_policy(sp.Matrix([[z0, z1]]))
    J = sym.enumerated_return([1], P, sp.Array([list(r)]), pi, horizon=1)
    assert zero(J - (pi[0, 0] * r[0] + pi[0, 1] * r[1]))
    J2 = sym.enumerated_return([1], P, sp.Array([list(r)]), pi, horizon=2)
    assert zero(J2 - 2 * J)  # two independent pulls


def _tiny_mdp():
    rho = [sp.Rational(7, 10), sp.Rational(3, 10)]
    P = sp.Array([[[sp.Rational(4, 5), sp.Rational(1, 5)], [sp.Rational(1, 5), sp.Rational(4, 5)]],
                  [[sp.Rational(1, 4), sp.Rational(3, 4)], [sp.Rational(3, 4), sp.Rational(1, 4)]]])
    R = sp.Array([[1, -1], [0, 2]])
    return rho, P, R


@pytest.mark.parametrize("horizon", [1, 2, 3])
def test_unrolled_mdp_matches_symbolic_J_and_gradient(horizon):
    rho, P, R = _tiny_mdp()
    th = sp.Matrix(2, 2, lambda s, a: sp.Symbol(f"t{s}{a}"))
    J = sym.enumerated_return(rho, P, R, sym.softmax_policy(th), horizon)
    theta = np.array([0.3, -0.2, 0.5, 0.1])
    at = dict(zip(list(th), theta))
    mdp, phi = sym.unrolled_mdp(rho, P, R, horizon)
    policy = pg.SoftmaxPolicy(phi)
    assert mdp.n_states == 2 * horizon + 1
    assert np.isclose(pg.exact.expected_return(mdp, policy, theta), float(J.subs(at)), rtol=1e-12)
    grad = np.array([float(sp.diff(J, t).subs(at)) for t in th])
    assert np.allclose(pg.exact.policy_gradient(mdp, policy, theta), grad, rtol=1e-10, atol=1e-12)


def test_unrolled_mdp_takes_expected_reward_of_R_sas():
    rho, P, R = _tiny_mdp()
    R3 = sp.Array([[[R[s, a]] * 2 for a in range(2)] for s in range(2)])  # the same reward whatever s'
    mdp, _ = sym.unrolled_mdp(rho, P, R3, 1)
    assert np.allclose(mdp.R[:2], np.array(R.tolist(), dtype=float))
    Rnext = sp.Array([[[0, 1]] * 2] * 2)  # reward 1 for landing in state 1: expected = P[s, a, 1]
    mdp, _ = sym.unrolled_mdp(rho, P, Rnext, 1)
    assert np.allclose(mdp.R[:2], np.array(P.tolist(), dtype=float)[:, :, 1])


def test_unrolled_mdp_bad_input():
    rho, P, R = _tiny_mdp()
    with pytest.raises(ValueError, match=r"R has shape \(3,\)"):
        sym.unrolled_mdp(rho, P, sp.Array([1, 2, 3]), 2)
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        sym.unrolled_mdp(rho, P, R, 0)
    with pytest.raises(ValueError, match=r"rho has shape \(3,\)"):
        sym.unrolled_mdp([0.5, 0.25, 0.25], P, R, 2)
    with pytest.raises(ValueError, match=r"P must have shape \(S, A, S\)"):
        sym.unrolled_mdp(rho, np.ones((2, 2, 1)), R, 2)
    with pytest.raises(TypeError, match="P must be an array of numbers"):
        sym.unrolled_mdp(rho, P.subs(sp.Rational(4, 5), sp.Symbol("p")), R, 2)
