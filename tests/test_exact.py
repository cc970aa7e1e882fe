"""pgbook.exact against independent answers: power series (no linear solve), finite differences,
Monte Carlo returns and visit counts. The random-MDP strategy here is shared with test_estimators."""
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import pgbook as pg
from pgbook import theorem


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
    kept = theta.copy()
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    assert exact.shape == theta.shape and np.array_equal(theta, kept)
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


# ---- Fisher information and the natural gradient (notebook 10) ----

def fd_scores(policy, theta):
    """psi[s, a] = grad log pi(a|s) by central differences of log pi, flattened: (S, A, n)."""
    jac = pg.gradcheck.finite_difference(policy.log_probs, theta, eps=1e-6)  # (S, A, *theta_shape)
    return jac.reshape(policy.n_states, policy.n_actions, theta.size)


def series_occupancy(mdp, pi):
    """d = sum_t rho (gamma P_pi)^t on non-terminal states, without a linear solve: (S,)."""
    G, _ = discounted_chain(mdp, pi)
    return series(G.T, mdp.rho * ~mdp.terminal)


@settings(max_examples=25)
@given(mdp_cases())
@with_corners
def test_fisher_is_the_double_sum_over_states_and_actions(case):
    mdp, policy, theta = case
    kept = theta.copy()
    F = pg.exact.fisher(mdp, policy, theta)
    pi, d, psi = policy.probs(theta), series_occupancy(mdp, policy.probs(theta)), fd_scores(policy, theta)
    direct = np.zeros((theta.size, theta.size))
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            direct += d[s] * pi[s, a] * np.outer(psi[s, a], psi[s, a])
    assert pg.gradcheck.relative_error(F, direct) < 1e-7
    assert np.array_equal(F, F.T)  # exactly symmetric
    assert np.linalg.eigvalsh(F).min() >= -1e-12 * max(1.0, np.abs(F).max())  # positive semi-definite
    assert np.array_equal(theta, kept)


@pytest.mark.parametrize("kind, seed", [("tabular", 0), ("linear", 1), ("linear", 2)])
def test_fisher_is_the_hessian_of_the_expected_kl(kind, seed):
    """F = Hessian at theta' = theta of sum_s d(s) KL(pi_theta(.|s) || pi_theta'(.|s)), d held fixed."""
    mdp, policy, theta = make_case(seed, 4, 3, 0.8, 1, kind, d=3)
    pi, d = policy.probs(theta), pg.exact.evaluate(mdp, policy.probs(theta)).d
    logp = policy.log_probs(theta)

    def kl(t):
        return float(np.sum(d[:, None] * pi * (logp - policy.log_probs(t))))

    hess = pg.gradcheck.finite_difference(lambda t: pg.gradcheck.finite_difference(kl, t, eps=1e-4),
                                          theta, eps=1e-4).reshape(theta.size, theta.size)
    assert pg.gradcheck.relative_error(pg.exact.fisher(mdp, policy, theta), hess) < 1e-6


@settings(max_examples=25)
@given(mdp_cases())
@with_corners
def test_natural_gradient_solves_fisher_system_with_minimum_norm(case):
    mdp, policy, theta = case
    kept = theta.copy()
    w = pg.exact.natural_gradient(mdp, policy, theta)
    assert w.shape == theta.shape and np.array_equal(theta, kept)
    F = pg.exact.fisher(mdp, policy, theta)
    g = pg.exact.policy_gradient(mdp, policy, theta).ravel()
    scale = max(np.linalg.norm(g), 1e-300)
    assert np.linalg.norm(F @ w.ravel() - g) <= 1e-8 * scale + 1e-12  # F w = grad J
    fd = pg.gradcheck.finite_difference(lambda x: pg.exact.expected_return(mdp, policy, x), theta, eps=1e-5)
    assert np.linalg.norm(F @ w.ravel() - fd.ravel()) <= 1e-6 * max(1.0, np.linalg.norm(fd))
    # the pseudo-inverse of F by an eigendecomposition (not the least squares that natural_gradient uses)
    lam, U = np.linalg.eigh(F)
    keep = lam > 1e-10 * lam.max() if lam.max() > 0 else np.zeros_like(lam, bool)
    expected = U[:, keep] @ ((U[:, keep].T @ g) / lam[keep])
    assert pg.gradcheck.relative_error(w.ravel(), expected) < 1e-6
    assert np.linalg.norm(U[:, ~keep].T @ w.ravel()) <= 1e-6 * max(1.0, np.linalg.norm(w))  # no null-space part


def mdp_with_an_unvisited_state(seed, S=5, A=3, gamma=0.9):
    """A random MDP in which no state ever moves to state 0 and no episode starts there."""
    base = pg.envs.random_mdp(S, A, np.random.default_rng(seed), gamma=gamma, n_terminal=1)
    P = np.array(base.P)
    P[:, :, 0] = 0.0
    P /= P.sum(axis=2, keepdims=True)
    rho = np.array(base.rho)
    rho[0] = 0.0
    return pg.TabularMDP(P, base.R, rho / rho.sum(), gamma, base.terminal)


@pytest.mark.parametrize("seed, gamma", [(0, 0.9), (1, 0.5), (2, 1.0), (3, 0.99)])
def test_tabular_natural_gradient_is_the_centred_advantage(seed, gamma):
    """Kakade (2001): for a tabular softmax policy, w(s, a) = A(s, a) - mean_a A(s, a) where d(s) > 0."""
    mdp = mdp_with_an_unvisited_state(seed, gamma=gamma)
    policy = pg.SoftmaxPolicy.tabular(mdp.n_states, mdp.n_actions)
    theta = np.random.default_rng(seed).normal(size=policy.theta_shape)
    w = pg.exact.natural_gradient(mdp, policy, theta)
    V, Q, d, _ = pg.exact.evaluate(mdp, policy.probs(theta))
    A = Q - V[:, None]
    visited = d > 0
    assert not visited[0] and visited[1:-1].all() and not visited[-1]  # state 0 unvisited, last terminal
    centred = A - A.mean(axis=1, keepdims=True)
    assert np.allclose(w[visited], centred[visited], rtol=1e-9, atol=1e-9 * np.abs(A).max())
    assert np.allclose(w[~visited], 0.0, atol=1e-12)  # minimum norm: nothing where F is zero


def test_natural_gradient_is_invariant_to_a_linear_change_of_parameters():
    """theta = M eta with features phi' = phi M: the natural gradient transforms as w_eta = M^-1 w_theta
    (Amari 1998), unlike the plain gradient, which transforms as g_eta = M^T g_theta."""
    rng = np.random.default_rng(4)
    mdp = pg.envs.random_mdp(5, 3, rng, gamma=0.9, n_terminal=1)
    phi = rng.normal(size=(5, 3, 3))
    M = np.array([[2.0, 0.5, 0.0], [0.0, 1.0, -1.0], [0.3, 0.0, 0.7]])
    eta = rng.normal(size=3)
    p_theta, p_eta = pg.SoftmaxPolicy(phi), pg.SoftmaxPolicy(phi @ M)
    assert np.allclose(p_theta.probs(M @ eta), p_eta.probs(eta))
    w_theta = pg.exact.natural_gradient(mdp, p_theta, M @ eta)
    w_eta = pg.exact.natural_gradient(mdp, p_eta, eta)
    assert np.linalg.matrix_rank(pg.exact.fisher(mdp, p_theta, M @ eta)) == 3
    assert np.allclose(w_eta, np.linalg.solve(M, w_theta), rtol=1e-8)
    g_theta, g_eta = (pg.exact.policy_gradient(mdp, p, t) for p, t in ((p_theta, M @ eta), (p_eta, eta)))
    assert np.allclose(g_eta, M.T @ g_theta)


def test_fisher_and_natural_gradient_bad_input():
    mdp = pg.envs.random_mdp(3, 2, np.random.default_rng(0))
    for fn in (pg.exact.fisher, pg.exact.natural_gradient):
        with pytest.raises(ValueError, match=r"theta has shape \(6,\), expected \(3, 2\)"):
            fn(mdp, pg.SoftmaxPolicy.tabular(3, 2), np.zeros(6))
        with pytest.raises(ValueError, match=r"policy is for \(S, A\) = \(2, 2\) but the MDP has"):
            fn(mdp, pg.SoftmaxPolicy.tabular(2, 2), np.zeros((2, 2)))


# ---- J of a stack of policies, the expected episode length ----

@settings(max_examples=25)
@given(mdp_cases(), st.sampled_from([(1,), (3,), (2, 3)]))
@example(CORNERS[1], (2, 2))
@example(CORNERS[2], (3,))
@example(CORNERS[3], (2, 3))
def test_expected_return_many_equals_evaluate_table_by_table(case, lead):
    mdp, policy, theta = case
    rng = np.random.default_rng(sum(lead))
    thetas = theta + rng.normal(size=(int(np.prod(lead)),) + policy.theta_shape)
    pi = policy.probs_many(thetas).reshape(lead + (mdp.n_states, mdp.n_actions))
    kept = pi.copy()
    J = pg.exact.expected_return_many(mdp, pi)
    assert J.shape == lead and np.array_equal(pi, kept)
    for i in np.ndindex(lead):
        J_i = pg.exact.evaluate(mdp, pi[i]).J
        assert np.isclose(J[i], J_i, rtol=1e-10, atol=1e-10 * max(1.0, abs(J_i)))


def test_expected_return_many_handles_states_the_policy_never_reaches():
    """gamma = 1 and a trap (state 2) that some tables never enter: the same J as evaluate, no error;
    a table that can enter it is named in the error."""
    mdp = trap_mdp()
    safe = np.array([[1.0, 0.0], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    other = np.array([[1.0, 0.0], [0.1, 0.9], [0.3, 0.7], [0.5, 0.5]])
    J = pg.exact.expected_return_many(mdp, np.stack([safe, other]))
    assert np.array_equal(J, [3.0, 3.0]) and pg.exact.evaluate(mdp, other).J == 3.0
    risky = np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match=r"pi\[1, 0, :, :\]: with gamma = 1 the episode from start state 0 "
                                         r"does not terminate with probability 1"):
        pg.exact.expected_return_many(mdp, np.stack([[safe, safe], [risky, safe]]))
    with pytest.raises(ValueError, match=r"^with gamma = 1 the episode from start state 0 does not terminate"):
        pg.exact.expected_return_many(mdp, risky)  # one table: a 0-d result, and no index to name
    J0 = pg.exact.expected_return_many(mdp, safe)
    assert J0.shape == () and J0 == 3.0


def test_expected_return_many_bad_input():
    mdp = pg.envs.random_mdp(3, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"pi has shape \(4, 3, 3\), expected \(\.\.\., S, A\) = \(\.\.\., 3, 2\)"):
        pg.exact.expected_return_many(mdp, np.full((4, 3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"pi has shape \(2,\), expected"):
        pg.exact.expected_return_many(mdp, [0.5, 0.5])
    pi = np.full((2, 3, 2), 0.5)
    pi[1, 2] = [0.7, 0.4]
    with pytest.raises(ValueError, match=r"pi\[1, 2, :\] sums to 1\.1"):
        pg.exact.expected_return_many(mdp, pi)
    with pytest.raises(TypeError, match="pi must be an array of real numbers"):
        pg.exact.expected_return_many(mdp, np.full((2, 3, 2), 0.5 + 0j))


def test_tables_within_the_tolerance_are_renormalised():
    """A row that sums to 1 + 5e-9 (within PROB_TOL) gives the J of the renormalised row, in every entry point."""
    corridor = pg.envs.short_corridor()
    pi = np.full((4, 2), 0.5)
    pi[0] = [0.5, 0.5 + 5e-9]
    expected = pg.exact.evaluate(corridor, pi / pi.sum(axis=1, keepdims=True)).J
    assert pg.exact.evaluate(corridor, pi).J == pytest.approx(expected, rel=1e-14)
    assert pg.exact.expected_return_many(corridor, pi[None])[0] == pytest.approx(expected, rel=1e-14)
    assert pg.exact.expected_return_many(corridor, pi[None])[0] == pytest.approx(-12.0, rel=1e-7)  # p = 1/2: 12 steps


def undiscounted_length_series(mdp, pi):
    """rho . sum_t M^t 1 over non-terminal states, summed by repeated squaring (no linear solve)."""
    live = ~mdp.terminal
    M = np.einsum("sa,sat->st", pi, mdp.P) * live[:, None] * live[None, :]
    return float(mdp.rho @ series(M, live * 1.0))


@pytest.mark.parametrize("seed, gamma, n_terminal", [(0, 0.9, 1), (1, 1.0, 2), (2, 0.3, 1)])
def test_expected_length_matches_a_series_and_monte_carlo(seed, gamma, n_terminal):
    rng = np.random.default_rng(seed)
    mdp = pg.envs.random_mdp(5, 3, rng, gamma=gamma, n_terminal=n_terminal)
    policy = pg.SoftmaxPolicy.tabular(5, 3)
    theta = rng.normal(size=(5, 3))
    pi = policy.probs(theta)
    kept = pi.copy()
    length = pg.exact.expected_length(mdp, pi)
    assert np.array_equal(pi, kept)
    assert length == pytest.approx(undiscounted_length_series(mdp, pi), rel=1e-10)  # gamma plays no role
    lengths = pg.rollout.sample_episodes(mdp, policy, theta, 20_000, np.random.default_rng(seed),
                                         max_steps=2000).lengths
    assert abs(lengths.mean() - length) <= 4 * lengths.std(ddof=1) / np.sqrt(lengths.size)


def test_expected_length_is_infinite_when_an_episode_may_not_end():
    assert pg.exact.expected_length(trap_mdp(), np.full((4, 2), 0.5)) == np.inf
    no_terminal = pg.envs.random_mdp(3, 2, np.random.default_rng(0), gamma=0.9)
    assert pg.exact.expected_length(no_terminal, np.full((3, 2), 0.5)) == np.inf
    safe = np.array([[1.0, 0.0], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])  # never enters the trap
    assert pg.exact.expected_length(trap_mdp(), safe) == 2.0


# ---- episodes too long for float64 (gamma = 1), and long ones that are still fine ----

def corridor_closed_form(x: float) -> tuple[float, np.ndarray, float]:
    """Short corridor with the book's features at theta = (x, 0): J, grad J and the expected length,
    from J(p) = (2p - 4) / (p (1 - p)) with p = sigmoid(x), in sympy at 50 digits."""
    sp = pytest.importorskip("sympy")
    p = sp.Symbol("p")
    J = (2 * p - 4) / (p * (1 - p))
    at = {p: 1 / (1 + sp.exp(-sp.Integer(x)))}
    dJ = (sp.diff(J, p) * p * (1 - p)).subs(at).evalf(50)  # dp/dtheta_0 = p (1 - p) = -dp/dtheta_1
    J_value = float(J.subs(at).evalf(50))
    return J_value, np.array([float(dJ), -float(dJ)]), -J_value  # one -1 reward per step


@pytest.mark.parametrize("x", [-20, -15, 15, 20, 25])
def test_long_episodes_still_give_the_closed_form(x):
    """Expected lengths 1e6 to 1e11: J and grad J within 10 x length x 1e-16 (relative) of sympy."""
    corridor, book = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.array([float(x), 0.0])
    J, grad, length = corridor_closed_form(x)
    assert 1e6 < length < 2e11
    tol = 10 * length * 1e-16
    assert pg.exact.expected_return(corridor, book, theta) == pytest.approx(J, rel=tol)
    assert pg.gradcheck.relative_error(pg.exact.policy_gradient(corridor, book, theta), grad) < tol
    pi = book.probs(theta)
    assert pg.exact.expected_return_many(corridor, pi[None])[0] == pytest.approx(J, rel=tol)
    assert pg.exact.expected_length(corridor, pi) == pytest.approx(length, rel=tol)


@pytest.mark.parametrize("x, steps", [(40, "longer than float64 can resolve"),
                                      (-40, "longer than float64 can resolve"),
                                      (30, r"about 2\.1e\+13 steps on average"),
                                      (-30, r"about 4\.3e\+13 steps on average")])
def test_episodes_too_long_for_float64_raise_in_words_everywhere(x, steps):
    """theta = (+-40, 0): the chance of ending is ~4e-18 per step; exact once returned J = +1.1e35 (wrong
    sign) at +40 and J = 0 with a zero gradient at -40. At +-30 (2e13 to 4e13 steps) J was off by 0.2 %."""
    corridor, book = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.array([float(x), 0.0])
    kept = theta.copy()
    message = rf"with gamma = 1, an episode from state \d lasts {steps}.*float64.*gamma < 1"
    pi = book.probs(theta)
    calls = [lambda: pg.exact.evaluate(corridor, pi), lambda: pg.exact.expected_length(corridor, pi),
             lambda: pg.exact.expected_return_many(corridor, np.stack([book.probs(np.zeros(2)), pi]))]
    calls += [lambda fn=fn: fn(corridor, book, theta) for fn in (
        pg.exact.expected_return, pg.exact.policy_gradient, pg.exact.fisher, pg.exact.natural_gradient,
        theorem.per_state_gradients, theorem.on_policy_distribution, theorem.undiscounted_direction)]
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=r"pi\[1, :, :\]: with gamma = 1"):
        calls[2]()
    assert np.array_equal(theta, kept)


def near_trap_mdp(reached: bool):
    """gamma = 1: state 0 goes to the goal 2; state 1 stays put with probability 1 - 1e-14 (1e14 steps
    on average), and is entered from state 0 only if `reached`."""
    P = np.zeros((3, 2, 3))
    P[0, :, 2] = 1.0
    if reached:
        P[0, 1] = [0.0, 0.5, 0.5]
    P[1, :, 1], P[1, :, 2] = 1 - 1e-14, 1e-14
    P[2, :, 2] = 1.0
    return pg.TabularMDP(P, -np.ones((3, 2)), [1.0, 0.0, 0.0], 1.0, np.array([False, False, True]))


def test_an_unreached_near_trap_is_undefined_like_a_trap_and_a_reached_one_raises():
    pi = np.full((3, 2), 0.5)
    V, Q, d, J = pg.exact.evaluate(near_trap_mdp(reached=False), pi)
    assert J == -1.0 and np.isnan(V[1]) and d[1] == 0.0 and np.isnan(Q[1]).all() and np.array_equal(Q[0], [-1, -1])
    assert pg.exact.expected_return_many(near_trap_mdp(reached=False), pi[None])[0] == -1.0
    for call in (pg.exact.evaluate, lambda m, p: pg.exact.expected_return_many(m, p[None])):
        with pytest.raises(ValueError, match=r"an episode from state 0 lasts about 2\.5e\+13 steps"):
            call(near_trap_mdp(reached=True), pi)


def test_a_horizon_too_long_for_float64_raises_with_gamma_below_one():
    mdp = pg.envs.random_mdp(3, 2, np.random.default_rng(0), gamma=1 - 1e-13)
    with pytest.raises(ValueError, match=r"with gamma = 0\.9999999999999\d*, the discounted horizon .* from "
                                         r"state \d lasts about 1e\+13 steps"):
        pg.exact.evaluate(mdp, np.full((3, 2), 0.5))
    fine = pg.envs.random_mdp(3, 2, np.random.default_rng(0), gamma=1 - 1e-9)
    V = pg.exact.evaluate(fine, np.full((3, 2), 0.5)).V
    assert np.all(np.abs(V) < 1e9 * np.abs(fine.R).max())  # |V| <= max|r| / (1 - gamma)


def test_one_lu_factorization_serves_values_occupancy_and_per_state_gradients(monkeypatch):
    from pgbook import _bellman
    calls = []
    real = _bellman.lu_factor
    monkeypatch.setattr(_bellman, "lu_factor", lambda *a, **k: calls.append(1) or real(*a, **k))
    mdp, policy, theta = make_case(0, 6, 3, 0.9, 1, "tabular")
    pg.exact.policy_gradient(mdp, policy, theta)
    assert len(calls) == 1
    theorem.per_state_gradients(mdp, policy, theta)
    assert len(calls) == 2


@pytest.mark.parametrize("x", [-1.5, 0.4, 2.0])
def test_corridor_natural_gradient_has_the_closed_form(x):
    """Book features are shared by all states: psi(s, right) = (1 - p)(1, -1), psi(s, left) = -p (1, -1),
    so F = p (1 - p) length (1, -1)(1, -1)^T has rank 1 and, with grad J = J'(p) p (1 - p) (1, -1),
    the minimum-norm w = J'(p) / (2 length) (1, -1), length = -J(p) (sympy)."""
    sp = pytest.importorskip("sympy")
    p = sp.Symbol("p")
    J = (2 * p - 4) / (p * (1 - p))
    at = {p: 1 / (1 + sp.exp(-sp.Float(x, 30)))}
    dJ, length = float(sp.diff(J, p).subs(at)), -float(J.subs(at))
    p_ = float(at[p])
    corridor, book = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.array([x, 0.0])
    F = pg.exact.fisher(corridor, book, theta)
    assert np.allclose(F, p_ * (1 - p_) * length * np.array([[1, -1], [-1, 1]]), rtol=1e-10)
    w = pg.exact.natural_gradient(corridor, book, theta)
    assert np.allclose(w, dJ / (2 * length) * np.array([1, -1]), rtol=1e-9)


def test_wrong_types_are_named():
    mdp, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    with pytest.raises(TypeError, match="mdp must be a pgbook.TabularMDP, got dict"):
        pg.exact.evaluate({"P": 1}, np.full((4, 2), 0.5))
    with pytest.raises(TypeError, match="mdp must be a pgbook.TabularMDP, got NoneType"):
        pg.exact.policy_gradient(None, policy, np.zeros(2))
    for fn in (pg.exact.expected_return, pg.exact.policy_gradient, pg.exact.fisher, pg.exact.natural_gradient,
               theorem.per_state_gradients, theorem.on_policy_distribution):
        with pytest.raises(TypeError, match="policy must be a pgbook.SoftmaxPolicy, got GaussianPolicy"):
            fn(mdp, pg.policies.GaussianPolicy(0.5), np.zeros(2))
    with pytest.raises(TypeError, match="pi must be an array of numbers, got strings"):
        pg.exact.expected_length(mdp, [["a", "b"]] * 4)
