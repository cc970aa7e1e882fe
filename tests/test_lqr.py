"""pgbook.lqr: exact J and grad J of linear-quadratic control against independent answers.

Finite differences of the exact J, the one-step closed form, the finite-horizon sums against the
Lyapunov solution, the Riccati-optimal gain (grad J = 0), Monte Carlo, and forward-mode derivatives
of the simulator against finite differences of the simulator.
"""
import numpy as np
import pytest
from scipy.linalg import solve_discrete_are

import pgbook as pg
from pgbook import lqr


def random_task(seed: int, n: int = 3, m: int = 2, gamma: float = 0.9) -> tuple[lqr.LQ, np.ndarray]:
    """A random task (A with spectral radius 0.9) and a small random gain whose closed loop is stable."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    A *= 0.9 / np.abs(np.linalg.eigvals(A)).max()
    M = rng.normal(size=(n, n))
    lq = lqr.LQ(A=A, B=rng.normal(size=(n, m)) * 0.5, Q=M @ M.T + np.eye(n), R=np.eye(m) * 0.5,
                mean0=rng.normal(size=n), cov0=np.eye(n) * 0.2, gamma=gamma)
    K = rng.normal(size=(m, n)) * 0.1
    assert np.abs(np.linalg.eigvals(lq.A + lq.B @ K)).max() < 1
    return lq, K


TASKS = [(lqr.double_integrator(), np.array([[-1.0, -2.0]]))] + [random_task(seed) for seed in range(3)]


@pytest.mark.parametrize("lq, K", TASKS)
@pytest.mark.parametrize("T", [None, 1, 7, 40])
def test_gradient_matches_finite_differences(lq, K, T):
    sigma = 0.7
    grad = lqr.policy_gradient(lq, K, sigma, T)
    fd = pg.gradcheck.finite_difference(lambda k: lqr.expected_return(lq, k, sigma, T), K, eps=1e-6)
    assert grad.shape == K.shape
    assert pg.gradcheck.relative_error(fd, grad) < 1e-6


@pytest.mark.parametrize("lq, K", TASKS)
def test_one_step_closed_form(lq, K):
    # J_1 = -E[s0'Q s0 + a0'R a0] = -tr((Q + K'RK) S0) - sigma^2 tr R, so grad = -2 R K S0
    sigma = 0.3
    assert np.isclose(lqr.expected_return(lq, K, sigma, 1),
                      -np.trace((lq.Q + K.T @ lq.R @ K) @ lq.S0) - sigma**2 * np.trace(lq.R), rtol=1e-12)
    assert np.allclose(lqr.policy_gradient(lq, K, sigma, 1), -2 * lq.R @ K @ lq.S0, rtol=1e-12)


@pytest.mark.parametrize("lq, K", TASKS)
def test_long_horizon_converges_to_lyapunov_solution(lq, K):
    sigma, T = 0.5, 800  # gamma^T below 2e-18: the tail beyond T is far below the tolerances
    assert np.isclose(lqr.expected_return(lq, K, sigma, T), lqr.expected_return(lq, K, sigma), rtol=1e-11)
    assert np.allclose(lqr.policy_gradient(lq, K, sigma, T), lqr.policy_gradient(lq, K, sigma), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("lq, _", TASKS)
@pytest.mark.parametrize("sigma", [0.0, 0.5, 3.0])
def test_gradient_vanishes_at_the_riccati_optimum(lq, _, sigma):
    # the discounted problem is the undiscounted one with sqrt(gamma) A, sqrt(gamma) B; the optimal
    # gain does not depend on the noise (certainty equivalence)
    g = lq.gamma
    P = solve_discrete_are(np.sqrt(g) * lq.A, np.sqrt(g) * lq.B, lq.Q, lq.R)
    K_opt = -np.linalg.solve(lq.R + g * lq.B.T @ P @ lq.B, g * lq.B.T @ P @ lq.A)
    assert np.allclose(lqr.policy_gradient(lq, K_opt, sigma), 0.0, atol=1e-8 * np.abs(P).max())
    # and the value matrix of the optimal gain is the Riccati solution: J = -tr(P C) - const
    C = lq.S0 + g * sigma**2 * lq.B @ lq.B.T / (1 - g)
    assert np.isclose(lqr.expected_return(lq, K_opt, sigma), -np.trace(P @ C) - sigma**2 * np.trace(lq.R) / (1 - g))


@pytest.mark.parametrize("lq, K", TASKS[:2])
def test_expected_return_matches_monte_carlo(lq, K):
    rng = np.random.default_rng(0)
    sigma, N, T = 0.5, 20_000, 60
    s, a, r = lqr.rollout(lq, K, sigma, lqr.sample_start(lq, N, rng), rng.standard_normal((N, T, lq.n_actions)))
    R = r @ lq.gamma ** np.arange(T)
    assert abs(R.mean() - lqr.expected_return(lq, K, sigma, T)) < 4 * R.std(ddof=1) / np.sqrt(N)
    s, a = s[:1000], a[:1000]  # the dynamics, step by step (the same code moves every row)
    assert np.allclose(s[:, 1:], s[:, :-1] @ lq.A.T + a @ lq.B.T)


@pytest.mark.parametrize("lq, K", TASKS)
def test_rewards_to_go_derivatives_match_finite_differences(lq, K):
    rng = np.random.default_rng(1)
    sigma, N, T = 0.4, 5, 12
    s0, eps, w = lqr.sample_start(lq, N, rng), rng.standard_normal((N, T, lq.n_actions)), lq.gamma ** np.arange(T)
    G, dG = lqr.rewards_to_go(lq, K, sigma, s0, eps, w)
    r = lqr.rollout(lq, K, sigma, s0, eps)[2]
    assert np.allclose(G[:, 0], r @ w) and np.allclose(G[:, -1], r[:, -1] * w[-1])
    fd = pg.gradcheck.finite_difference(lambda k: lqr.rewards_to_go(lq, k, sigma, s0, eps, w)[0], K, eps=1e-6)
    assert fd.shape == dG.shape
    assert pg.gradcheck.relative_error(fd, dG) < 1e-6


def test_pathwise_derivatives_average_to_the_exact_gradient():
    lq, K = TASKS[0]
    rng = np.random.default_rng(2)
    sigma, N, T = 0.5, 4000, 30
    s0, eps = lqr.sample_start(lq, N, rng), rng.standard_normal((N, T, 1))
    dG0 = lqr.rewards_to_go(lq, K, sigma, s0, eps, lq.gamma ** np.arange(T))[1][:, 0]
    z = (dG0.mean(axis=0) - lqr.policy_gradient(lq, K, sigma, T)) / (dG0.std(axis=0, ddof=1) / np.sqrt(N))
    assert np.all(np.abs(z) < 4)


def without_state_cost(lq: lqr.LQ) -> lqr.LQ:
    return lqr.LQ(A=lq.A, B=lq.B, Q=np.zeros_like(lq.Q), R=lq.R, mean0=lq.mean0, cov0=lq.cov0, gamma=lq.gamma)


def discounted_second_moment(lq: lqr.LQ, K, sigma, T) -> np.ndarray:
    """X = sum_t gamma^t E[s_t s_t'] = -dJ/dQ (J is linear in Q), by central differences of J in Q."""
    n, h = lq.n_states, 1e-4
    X = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            E = np.zeros((n, n))
            E[i, j] = E[j, i] = h  # Q stays symmetric: dJ = -h (X_ij + X_ji) off the diagonal
            J = [lqr.expected_return(lqr.LQ(A=lq.A, B=lq.B, Q=lq.Q + sign * E, R=lq.R, mean0=lq.mean0,
                                            cov0=lq.cov0, gamma=lq.gamma), K, sigma, T) for sign in (1, -1)]
            X[i, j] = -(J[0] - J[1]) / (2 * h) / (1 if i == j else 2)
    return X


@pytest.mark.parametrize("lq, K", TASKS)
@pytest.mark.parametrize("T", [None, 1, 7])
def test_detached_expectations_against_finite_differences(lq, K, T):
    sigma = 0.6
    # "reward": the gradient of J without state costs, by finite differences of that J
    fd = pg.gradcheck.finite_difference(lambda k: lqr.expected_return(without_state_cost(lq), k, sigma, T), K, eps=1e-6)
    assert pg.gradcheck.relative_error(fd, lqr.detached_gradient(lq, K, sigma, T, "reward")) < 1e-6
    # "all": -2 R K X with X = -dJ/dQ
    X = discounted_second_moment(lq, K, sigma, T)
    assert pg.gradcheck.relative_error(-2 * lq.R @ K @ X, lqr.detached_gradient(lq, K, sigma, T, "all")) < 1e-6
    assert np.array_equal(lqr.detached_gradient(lq, K, sigma, T, "none"), lqr.policy_gradient(lq, K, sigma, T))
    if T == 1:  # nothing downstream of s_0: every mode is the true gradient -2 R K S0
        for detach in ("reward", "all"):
            assert np.allclose(lqr.detached_gradient(lq, K, sigma, 1, detach), -2 * lq.R @ K @ lq.S0, rtol=1e-12)


@pytest.mark.parametrize("lq, K", TASKS[:2])
def test_detached_expectations_match_monte_carlo(lq, K):
    # per episode, numpy: "reward" = forward-mode gradient of the action costs (rewards_to_go on the task
    # without state costs); "all" = -2 sum_t gamma^t R a_t s_t'
    rng = np.random.default_rng(4)
    sigma, N, T = 0.5, 4000, 25
    s0, eps, w = lqr.sample_start(lq, N, rng), rng.standard_normal((N, T, lq.n_actions)), lq.gamma ** np.arange(T)
    s, a, _ = lqr.rollout(lq, K, sigma, s0, eps)
    samples = {"reward": lqr.rewards_to_go(without_state_cost(lq), K, sigma, s0, eps, w)[1][:, 0],
               "all": -2 * np.einsum("ij,ntj,ntk,t->nik", lq.R, a, s[:, :-1], w)}
    grad = lqr.policy_gradient(lq, K, sigma, T)
    for detach, g in samples.items():
        est = pg.montecarlo.as_estimate(g)
        assert np.all(np.abs(est.mean - lqr.detached_gradient(lq, K, sigma, T, detach)) < 4 * est.stderr), detach
        assert np.abs(est.mean - grad).max() > 10 * est.stderr.max(), detach  # and biased for grad J


def test_bad_detach_is_refused():
    lq, K = TASKS[0]
    for bad in ("state", None, 1):
        with pytest.raises(ValueError, match=rf"detach must be one of \('none', 'reward', 'all'\), got {bad!r}"):
            lqr.detached_gradient(lq, K, 0.5, 10, bad)


def test_inputs_are_copied_and_frozen():
    A = np.array([[1.0, 0.1], [0.0, 1.0]])
    lq = lqr.LQ(A=A, B=[[0.0], [0.1]], Q=np.eye(2), R=[[0.1]], mean0=[1.0, 0.0], cov0=np.zeros((2, 2)), gamma=0.9)
    A[0, 0] = 5.0
    assert lq.A[0, 0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        lq.Q[0, 0] = 2.0
    K = np.array([[-1.0, -2.0]])
    lqr.policy_gradient(lq, K, 0.5)
    lqr.rollout(lq, K, 0.5, np.ones((2, 2)), np.zeros((2, 3, 1)))
    assert K.tolist() == [[-1.0, -2.0]]


def test_gamma_one_with_a_finite_horizon():
    lq = lqr.double_integrator(gamma=1.0)
    K = np.array([[-1.0, -2.0]])
    grad = lqr.policy_gradient(lq, K, 0.5, 10)
    fd = pg.gradcheck.finite_difference(lambda k: lqr.expected_return(lq, k, 0.5, 10), K, eps=1e-6)
    assert pg.gradcheck.relative_error(fd, grad) < 1e-7


GOOD = dict(A=np.eye(2), B=[[0.0], [1.0]], Q=np.eye(2), R=[[1.0]], mean0=[0.0, 0.0], cov0=np.eye(2), gamma=0.9)


@pytest.mark.parametrize("field, value, error, match", [
    ("A", np.eye(3), ValueError, r"B has shape \(2, 1\), expected \(3, 1\)"),
    ("A", np.ones((2, 3)), ValueError, r"A has shape \(2, 3\), expected \(2, 2\)"),
    ("Q", [[1.0, 2.0], [0.0, 1.0]], ValueError, "Q must be symmetric"),
    ("Q", [[1.0, 0.0], [0.0, -1.0]], ValueError, "Q must be positive semi-definite; its smallest eigenvalue is -1"),
    ("R", [[0.0]], ValueError, "R must be positive definite"),
    ("cov0", [[1.0, 0.0], [0.0, -0.5]], ValueError, "cov0 must be positive semi-definite"),
    ("mean0", [0.0, 0.0, 1.0], ValueError, r"mean0 has shape \(3,\), expected \(2,\)"),
    ("gamma", 0.0, ValueError, r"gamma must lie in \(0, 1\], got 0.0"),
    ("gamma", 1.5, ValueError, r"gamma must lie in \[0, 1\], got 1.5"),
    ("gamma", "0.9", TypeError, "gamma must be a real number"),
    ("A", [[np.nan, 0.0], [0.0, 1.0]], ValueError, r"A\[0, 0\] is nan"),
    ("R", [[1j]], TypeError, "R must be an array of real numbers"),
])
def test_bad_tasks_are_refused(field, value, error, match):
    with pytest.raises(error, match=match):
        lqr.LQ(**(GOOD | {field: value}))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(K=[[-1.0, -2.0, 0.0]]), ValueError, r"K has shape \(1, 3\), expected \(n_actions, n_states\) = \(1, 2\)"),
    (dict(K=[-1.0, -2.0]), ValueError, "K must have 2 dimensions"),
    (dict(sigma=-0.1), ValueError, "sigma must lie in"),
    (dict(sigma=float("nan")), ValueError, "sigma"),
    (dict(sigma="0.5"), TypeError, "sigma must be a real number"),
    (dict(T=0), ValueError, "T must be at least 1, got 0"),
    (dict(T=2.5), TypeError, "T must be an integer"),
    (dict(T=True), TypeError, "T must be an integer"),
    (dict(K=[[2.0, 2.0]]), ValueError, r"spectral radius .* >= 1: the discounted cost grows without bound"),
])
def test_bad_arguments_are_refused(kwargs, error, match):
    args = dict(lq=lqr.double_integrator(), K=[[-1.0, -2.0]], sigma=0.5, T=None) | kwargs
    for f in (lqr.expected_return, lqr.policy_gradient):
        with pytest.raises(error, match=match):
            f(**args)


def test_infinite_horizon_needs_discount():
    with pytest.raises(ValueError, match="T is None .* gamma = 1"):
        lqr.expected_return(lqr.double_integrator(gamma=1.0), [[-1.0, -2.0]], 0.5)
    with pytest.raises(TypeError, match="lq must be an LQ task"):
        lqr.expected_return("not a task", [[-1.0, -2.0]], 0.5)


def test_bad_rollout_inputs_are_refused():
    lq, K = TASKS[0]
    with pytest.raises(ValueError, match=r"s0 has shape \(3, 2\) and eps \(2, 5, 1\)"):
        lqr.rollout(lq, K, 0.5, np.zeros((3, 2)), np.zeros((2, 5, 1)))
    with pytest.raises(ValueError, match="eps must have 3 dimensions"):
        lqr.rollout(lq, K, 0.5, np.zeros((2, 2)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"weights has shape \(4,\), expected \(T,\) = \(5,\)"):
        lqr.rewards_to_go(lq, K, 0.5, np.zeros((2, 2)), np.zeros((2, 5, 1)), np.ones(4))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        lqr.sample_start(lq, 3, np.random.RandomState(0))
    with pytest.raises(ValueError, match="n_episodes must be at least 1"):
        lqr.sample_start(lq, 0, np.random.default_rng(0))
