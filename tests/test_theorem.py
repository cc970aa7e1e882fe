"""pgbook.theorem against independent answers: finite differences, sampling, the textbook corridor."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgbook as pg
from pgbook import theorem


def random_case(seed, S=5, A=3, gamma=0.9, n_terminal=1):
    rng = np.random.default_rng(seed)
    mdp = pg.envs.random_mdp(S, A, rng, gamma=gamma, n_terminal=n_terminal)
    policy = pg.SoftmaxPolicy.tabular(S, A)
    return mdp, policy, rng.normal(size=(S, A))


@given(seed=st.integers(0, 10_000), S=st.integers(2, 6), A=st.integers(2, 4),
       gamma=st.sampled_from([0.0, 0.5, 0.9, 1.0]))
def test_recursion_residual_is_round_off_on_random_mdps(seed, S, A, gamma):
    mdp, policy, theta = random_case(seed, S, A, gamma)
    kept = theta.copy()
    grads = theorem.per_state_gradients(mdp, policy, theta)
    assert np.array_equal(theta, kept)
    scale = max(1.0, np.abs(grads).max())
    assert np.abs(theorem.recursion_residual(mdp, policy, theta, grads)).max() < 1e-10 * scale
    # unrolled from the start distribution it is the theorem's gradient
    assert np.allclose(np.tensordot(mdp.rho, grads, axes=1), pg.exact.policy_gradient(mdp, policy, theta))


@pytest.mark.parametrize("seed", [0, 1])
def test_per_state_gradients_match_finite_differences(seed):
    mdp, policy, theta = random_case(seed, gamma=0.8)
    grads = theorem.per_state_gradients(mdp, policy, theta)
    fd = np.stack([pg.gradcheck.finite_difference(lambda t: pg.exact.evaluate(mdp, policy.probs(t)).V[s], theta)
                   for s in range(mdp.n_states)])
    assert pg.gradcheck.relative_error(grads, fd) < 1e-7
    # the finite-difference gradients, found without the recursion, satisfy it too
    assert np.abs(theorem.recursion_residual(mdp, policy, theta, fd)).max() < 1e-7
    assert np.all(grads[mdp.terminal] == 0)


def test_residual_detects_a_wrong_candidate():
    mdp, policy, theta = random_case(3)
    grads = theorem.per_state_gradients(mdp, policy, theta)
    assert np.abs(theorem.recursion_residual(mdp, policy, theta, grads * 1.1)).max() > 1e-3


def test_corridor_per_state_gradients_textbook_signs():
    corridor, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    grads = theorem.per_state_gradients(corridor, policy, np.array([0.4, 0.0]))
    assert grads[2, 0] == pytest.approx(2.011, abs=1e-3)  # right next to the goal ends the episode
    assert grads[1, 0] == pytest.approx(-0.9727, abs=1e-3)  # the reversed state


def test_proportionality_constant_is_the_mean_episode_length():
    corridor, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.array([0.4, 0.0])
    onp = theorem.on_policy_distribution(corridor, policy, theta)
    assert onp.mu.sum() == pytest.approx(1.0)
    assert onp.length == pytest.approx(-pg.exact.expected_return(corridor, policy, theta))  # -1 per step
    lengths = pg.rollout.sample_episodes(corridor, policy, theta, 3000, np.random.default_rng(0)).lengths
    assert abs(lengths.mean() - onp.length) < 4 * lengths.std(ddof=1) / np.sqrt(lengths.size)


@given(seed=st.integers(0, 10_000))
def test_sutton_barto_proportionality_on_random_episodic_mdps(seed):
    mdp, policy, theta = random_case(seed, gamma=1.0)
    onp = theorem.on_policy_distribution(mdp, policy, theta)
    pi = policy.probs(theta)
    Q = pg.exact.evaluate(mdp, pi).Q
    mu_sum = policy.weighted_score(theta, onp.mu[:, None] * pi * Q)
    assert np.allclose(onp.length * mu_sum, pg.exact.policy_gradient(mdp, policy, theta))


def test_undiscounted_direction_equals_gradient_only_without_discount():
    mdp, policy, theta = random_case(5, gamma=1.0)
    assert np.allclose(theorem.undiscounted_direction(mdp, policy, theta), pg.exact.policy_gradient(mdp, policy, theta))
    mdp, policy, theta = random_case(5, gamma=0.5)
    u, g = (x.ravel() for x in (theorem.undiscounted_direction(mdp, policy, theta),
                                pg.exact.policy_gradient(mdp, policy, theta)))
    assert u @ g / (np.linalg.norm(u) * np.linalg.norm(g)) < np.cos(np.radians(1.0))  # over 1 degree apart


def test_undiscounted_direction_is_what_sum_of_G_t_score_estimates():
    chain = pg.envs.chain(4, slip=0.2, gamma=0.7)
    policy = pg.SoftmaxPolicy.tabular(4, 2)
    theta = np.zeros((4, 2))
    ep = pg.rollout.sample_episodes(chain, policy, theta, 3000, np.random.default_rng(1))
    W = pg.estimators.visit_weights(ep, 4, 2, ep.rewards_to_go(chain.gamma))
    samples = policy.weighted_score(theta, W)
    mean, se = samples.mean(axis=0), samples.std(axis=0, ddof=1) / np.sqrt(len(samples))
    target = theorem.undiscounted_direction(chain, policy, theta)
    assert np.all(np.abs(mean - target) <= 4 * se + 1e-12)


def test_jacobian_symmetry_separates_gradient_from_undiscounted_field():
    chain = pg.envs.chain(6, slip=0.2, gamma=0.8)
    phi = np.zeros((6, 2, 2))
    phi[:3, 1, 0] = phi[3:, 1, 1] = 1.0
    policy, theta = pg.SoftmaxPolicy(phi), np.array([-0.5, -0.5])
    fd = pg.gradcheck.finite_difference
    jac_true = fd(lambda t: pg.exact.policy_gradient(chain, policy, t), theta, eps=1e-5)
    jac_u = fd(lambda t: theorem.undiscounted_direction(chain, policy, t), theta, eps=1e-5)
    assert theorem.asymmetry(jac_true) < 1e-6
    assert theorem.asymmetry(jac_u) > 0.1


def test_asymmetry_on_known_values():
    M = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert theorem.asymmetry(M + M.T) == 0.0
    assert theorem.asymmetry(np.zeros((2, 2))) == 0.0
    assert theorem.asymmetry(M) == pytest.approx(np.sqrt(2.0) / np.sqrt(30.0))  # ||[[0,-1],[1,0]]|| / ||M||


def test_bad_inputs():
    mdp, policy, theta = random_case(0)
    with pytest.raises(ValueError, match="grads has shape"):
        theorem.recursion_residual(mdp, policy, theta, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="needs an episodic MDP"):
        theorem.on_policy_distribution(pg.envs.random_mdp(3, 2, np.random.default_rng(0)),
                                       pg.SoftmaxPolicy.tabular(3, 2), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="must be square"):
        theorem.asymmetry(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="theta has shape"):
        theorem.per_state_gradients(mdp, policy, np.zeros(3))


def test_undefined_state_is_reported():
    P = np.zeros((3, 2, 3))
    P[0, :, 2] = P[1, :, 1] = P[2, :, 2] = 1.0  # state 1 loops forever but is never reached
    mdp = pg.TabularMDP(P, np.ones((3, 2)), [1.0, 0.0, 0.0], 1.0, np.array([False, False, True]))
    with pytest.raises(ValueError, match="state 1 never terminates"):
        theorem.per_state_gradients(mdp, pg.SoftmaxPolicy.tabular(3, 2), np.zeros((3, 2)))
