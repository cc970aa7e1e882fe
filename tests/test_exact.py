"""pgbook.exact against independent answers: power series (no linear solve), finite differences,
Monte Carlo returns and visit counts. The random-MDP strategy here is shared with test_estimators."""
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import pgbook as pg


def make_case(seed, S, A, gamma, n_terminal, kind, d=2, scale=1.0):
    """(mdp, policy, theta) for random_mdp(S, A) with a tabular or linear (d features) softmax policy."""
    rng = np.random.default_rng(seed)
    mdp = pg.envs.random_mdp(S, A, rng, gamma=gamma, n_terminal=n_terminal)
    if kind == "tabular":
        policy = pg.SoftmaxPolicy.tabular(S, A)
    else:
        policy = pg.SoftmaxPolicy(rng.normal(size=(S, A, d)))
    return mdp, policy, scale * rng.normal(size=policy.theta_shape)


# the corners hypothesis may not reach on its own: largest sizes, gamma = 0.99 and gamma = 1
CORNERS = [make_case(5, 6, 4, 0.99, 0, "tabular"), make_case(6, 6, 4, 0.99, 0, "linear", d=4),
           make_case(7, 6, 4, 1.0, 1, "tabular"), make_case(8, 6, 4, 1.0, 1, "linear", d=3)]


@st.composite
def mdp_cases(draw, features=None):
    """(mdp, policy, theta): random_mdp with S in 2..6, A in 2..4, and either gamma in [0, 0.99] or
    gamma = 1 with at least one terminal state; a tabular policy or linear features (d in 1..4)."""
    seed = draw(st.integers(0, 2**32 - 1))
    S, A = draw(st.integers(2, 6)), draw(st.integers(2, 4))
    if draw(st.booleans()):
        gamma, n_terminal = 1.0, draw(st.integers(1, S - 1))
    else:
        gamma, n_terminal = draw(st.floats(0.0, 0.99)), draw(st.integers(0, S - 1))
    kind = features or draw(st.sampled_from(["tabular", "linear"]))
    return make_case(seed, S, A, gamma, n_terminal, kind, d=draw(st.integers(1, 4)),
                     scale=draw(st.sampled_from([0.3, 1.0, 2.0])))


def with_corners(test):
    """Add the CORNERS as explicit hypothesis examples."""
    for case in CORNERS:
        test = example(case)(test)
    return test


def series(G: np.ndarray, x: np.ndarray, doublings: int = 64) -> np.ndarray:
    """sum_{t >= 0} G^t x by repeated squaring: after k steps it holds the first 2^k terms."""
    total, Gk = x.copy(), G.copy()
    for _ in range(doublings):
        total = total + Gk @ total
        Gk = Gk @ Gk
    return total


def discounted_chain(mdp, pi):
    """gamma P_pi among non-terminal states (terminal rows and columns zero) and r_pi: (S, S), (S,)."""
    live = ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", pi, mdp.P) * live[:, None] * live[None, :]
    return mdp.gamma * P_pi, (pi * mdp.R).sum(axis=1) * live


@given(mdp_cases())
@with_corners
def test_evaluate_matches_power_series(case):
    mdp, policy, theta = case
    pi = policy.probs(theta)
    V, Q, d, J = pg.exact.evaluate(mdp, pi)
    G, r_pi = discounted_chain(mdp, pi)
    V_series = series(G, r_pi)  # V = sum_t (gamma P_pi)^t r_pi
    d_series = series(G.T, mdp.rho * ~mdp.terminal)  # d = sum_t rho (gamma P_pi)^t
    scale = max(1.0, np.abs(V_series).max())
    assert np.allclose(V, V_series, atol=1e-9 * scale, rtol=1e-9)
    assert np.allclose(d, d_series, atol=1e-9 * max(1.0, d_series.max()), rtol=1e-9)
    Q_expected = np.where(mdp.terminal[:, None], 0.0, mdp.R + mdp.gamma * mdp.P @ V_series)
    assert np.allclose(Q, Q_expected, atol=1e-9 * scale, rtol=1e-9)
    assert np.allclose((pi * Q).sum(axis=1), V, atol=1e-9 * scale)  # V = E_pi[Q]
    assert np.isclose(J, mdp.rho @ V_series, atol=1e-9 * scale) and np.isclose(J, d @ r_pi, atol=1e-9 * scale)
    assert J == pg.exact.expected_return(mdp, policy, theta)


@given(mdp_cases())
@with_corners
def test_policy_gradient_matches_finite_differences(case):
    mdp, policy, theta = case
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    assert exact.shape == theta.shape
    fd = pg.gradcheck.finite_difference(lambda x: pg.exact.expected_return(mdp, policy, x), theta, eps=1e-5)
    assert pg.gradcheck.relative_error(exact, fd) <= 1e-6


@settings(max_examples=30)
@given(mdp_cases())
@with_corners
def test_J_matches_a_long_monte_carlo_average(case):
    mdp, policy, theta = case
    V, _, _, J = pg.exact.evaluate(mdp, policy.probs(theta))
    T, N = 300, 3000
    ep = pg.rollout.sample_episodes(mdp, policy, theta, N, np.random.default_rng(7), max_steps=T)
    G, _ = discounted_chain(mdp, policy.probs(theta))
    # episodes cut at T steps estimate J minus the discounted value still to come at step T
    J_T = J - mdp.rho @ np.linalg.matrix_power(G, T) @ V
    returns = ep.returns(mdp.gamma)
    assert abs(returns.mean() - J_T) <= 4 * returns.std(ddof=1) / np.sqrt(N) + 1e-12


@pytest.mark.parametrize("seed, gamma, n_terminal, T", [(0, 0.9, 0, 250), (1, 1.0, 1, 400), (2, 0.5, 2, 60)])
def test_occupancy_matches_monte_carlo_discounted_visits(seed, gamma, n_terminal, T):
    rng = np.random.default_rng(seed)
    mdp = pg.envs.random_mdp(5, 3, rng, gamma=gamma, n_terminal=n_terminal)
    policy = pg.SoftmaxPolicy.tabular(5, 3)
    theta = rng.normal(size=(5, 3))
    d = pg.exact.evaluate(mdp, policy.probs(theta)).d
    N = 10_000  # with gamma < 1 the cut at T steps misses at most gamma^T / (1 - gamma) < 1e-10 visits
    ep = pg.rollout.sample_episodes(mdp, policy, theta, N, np.random.default_rng(seed), max_steps=T)
    assert gamma < 1 or not ep.truncated.any()
    W = pg.estimators.visit_weights(ep, 5, 3, ep.discounts(gamma) * np.ones(ep.mask.shape))
    visits = W.sum(axis=2)  # sum_t gamma^t 1{s_t = s} per episode: (N, S)
    se = visits.std(axis=0, ddof=1) / np.sqrt(N)
    assert np.all(np.abs(visits.mean(axis=0) - d) <= 4 * se + 1e-12)


def trap_mdp():
    """gamma = 1; state 0 starts, state 1 goes to the goal 3, state 2 is a trap that loops forever."""
    P = np.zeros((4, 2, 4))
    P[0, 0, 1] = P[0, 1, 2] = 1.0  # action 0 -> 1, action 1 -> trap
    P[1, :, 3] = 1.0
    P[2, :, 2] = 1.0
    P[3, :, 3] = 1.0
    R = np.array([[1.0, 0.0], [2.0, 2.0], [1.0, 1.0], [0.0, 0.0]])
    return pg.TabularMDP(P, R, [1.0, 0, 0, 0], 1.0, np.array([False, False, False, True]))


def test_gamma_one_without_termination_says_so_in_words():
    mdp = trap_mdp()
    pi = np.full((4, 2), 0.5)
    kept = pi.copy()
    with pytest.raises(ValueError, match=r"from start state 0 does not terminate with probability 1.*"
                                         r"can reach state 2.*singular"):
        pg.exact.evaluate(mdp, pi)
    assert np.array_equal(pi, kept)
    policy = pg.SoftmaxPolicy.tabular(4, 2)
    theta = np.zeros((4, 2))
    for fn in (pg.exact.expected_return, pg.exact.policy_gradient):
        with pytest.raises(ValueError, match="does not terminate with probability 1"):
            fn(mdp, policy, theta)
    # the corridor with a policy that never moves right (p(right) underflows to exactly 0)
    corridor = pg.envs.short_corridor()
    book = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    with pytest.raises(ValueError, match="start state 0 does not terminate"):
        pg.exact.expected_return(corridor, book, np.array([-1e4, 1e4]))


def test_unreachable_trap_is_undefined_but_harmless():
    mdp = trap_mdp()
    pi = np.array([[1.0, 0.0], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])  # never enters the trap
    V, Q, d, J = pg.exact.evaluate(mdp, pi)
    assert np.isnan(V[2]) and np.isnan(Q[2]).all() and d[2] == 0.0
    assert np.allclose(V[[0, 1, 3]], [3.0, 2.0, 0.0]) and J == 3.0
    assert np.allclose(Q[0], [3.0, np.nan], equal_nan=True)
    assert np.allclose(d, [1.0, 1.0, 0.0, 0.0])


def test_bad_input():
    mdp = pg.envs.random_mdp(3, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"pi has shape \(2, 3\), expected \(S, A\) = \(3, 2\)"):
        pg.exact.evaluate(mdp, np.full((2, 3), 1 / 3))
    pi = np.array([[0.5, 0.5], [0.7, 0.4], [1.0, 0.0]])
    kept = pi.copy()
    with pytest.raises(ValueError, match=r"pi\[1, :\] sums to 1\.1, expected 1"):
        pg.exact.evaluate(mdp, pi)
    assert np.array_equal(pi, kept)
    with pytest.raises(ValueError, match=r"pi\[2, 1\] is -0\.5"):
        pg.exact.evaluate(mdp, [[0.5, 0.5], [0.5, 0.5], [1.5, -0.5]])
    with pytest.raises(ValueError, match=r"pi\[0, 0\] is nan"):
        pg.exact.evaluate(mdp, [[np.nan, 0.5], [0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"policy is for \(S, A\) = \(2, 2\) but the MDP has \(S, A\) = \(3, 2\)"):
        pg.exact.policy_gradient(mdp, pg.SoftmaxPolicy.tabular(2, 2), np.zeros((2, 2)))
    theta = np.zeros((3, 2))
    theta[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"theta\[1, 1\] is nan"):
        pg.exact.policy_gradient(mdp, pg.SoftmaxPolicy.tabular(3, 2), theta)
    with pytest.raises(ValueError, match=r"theta has shape \(6,\), expected \(3, 2\)"):
        pg.exact.expected_return(mdp, pg.SoftmaxPolicy.tabular(3, 2), np.zeros(6))
