"""pgbook.ppo against independent answers: explicit loops over episodes and steps, finite differences,
the occupancy as a power series, scipy's constrained optimiser and Monte Carlo; and its input checks."""
import numpy as np
import pytest
from scipy.optimize import minimize

import pgbook as pg
from pgbook import ppo


def problem(seed=0, gamma=0.9, n_episodes=40, features=False):
    """A random MDP (5 states, 3 actions, one terminal), a softmax policy, theta_old and a nearby theta,
    episodes of theta_old and made-up advantages (the surrogate is defined for any advantages)."""
    rng = np.random.default_rng(seed)
    mdp = pg.envs.random_mdp(5, 3, rng, gamma=gamma, n_terminal=1)
    if features:
        policy = pg.SoftmaxPolicy(rng.normal(size=(5, 3, 4)))
    else:
        policy = pg.SoftmaxPolicy.tabular(5, 3)
    theta_old = rng.normal(size=policy.theta_shape)
    theta = theta_old + 0.3 * rng.normal(size=policy.theta_shape)
    episodes = pg.rollout.sample_episodes(mdp, policy, theta_old, n_episodes, rng, max_steps=500)
    assert not episodes.truncated.any()
    return mdp, policy, theta_old, theta, episodes, rng.normal(size=episodes.n_steps)


def loop_surrogate(episodes, policy, theta, theta_old, advantages, gamma, clip):
    """(1/N) sum_i sum_t gamma^t min(r A, clip(r) A), one step at a time, from the padded views."""
    pi, pi_old = policy.probs(theta), policy.probs(theta_old)
    A = episodes.to_padded(advantages)
    total = 0.0
    for i in range(episodes.n_episodes):
        for t in range(int(episodes.lengths[i])):
            s, a = episodes.states[i, t], episodes.actions[i, t]
            r = pi[s, a] / pi_old[s, a]
            term = r * A[i, t] if clip is None else min(r * A[i, t], min(max(r, 1 - clip), 1 + clip) * A[i, t])
            total += gamma**t * term
    return total / episodes.n_episodes


def loop_occupancy(mdp, pi, n_terms=3000):
    """d = sum_t gamma^t Pr(s_t = s) as a power series (episodes stop in terminal states)."""
    P_pi = np.einsum("sa,sat->st", pi, mdp.P) * ~mdp.terminal[:, None]
    d, x = np.zeros(mdp.n_states), mdp.rho * ~mdp.terminal
    for _ in range(n_terms):
        d += x
        x = mdp.gamma * (x @ P_pi) * ~mdp.terminal
    return d


def loop_fisher(mdp, pi, d):
    """F = sum_s d(s) sum_a pi(a|s) psi psi^T for a tabular policy, psi = e_(s,a) - sum_b pi(b|s) e_(s,b)."""
    S, A = pi.shape
    F = np.zeros((S * A, S * A))
    for s in range(S):
        for a in range(A):
            psi = np.zeros((S, A))
            psi[s] -= pi[s]
            psi[s, a] += 1.0
            F += d[s] * pi[s, a] * np.outer(psi.ravel(), psi.ravel())
    return F


def test_ratios_match_a_loop_over_episodes():
    _, policy, theta_old, theta, episodes, _ = problem()
    pi, pi_old = policy.probs(theta), policy.probs(theta_old)
    r = episodes.to_padded(ppo.step_ratios(episodes, policy, theta, theta_old))
    w = ppo.trajectory_ratios(episodes, policy, theta, theta_old)
    for i in range(episodes.n_episodes):
        product = 1.0
        for t in range(int(episodes.lengths[i])):
            s, a = episodes.states[i, t], episodes.actions[i, t]
            assert np.isclose(r[i, t], pi[s, a] / pi_old[s, a], rtol=1e-12)
            product *= pi[s, a] / pi_old[s, a]
        assert np.isclose(w[i], product, rtol=1e-10)
    assert np.allclose(ppo.step_ratios(episodes, policy, theta_old, theta_old), 1.0)


def test_ratios_stay_finite_for_huge_logits():
    _, policy, theta_old, _, episodes, _ = problem()
    theta = theta_old.copy()
    theta[:, 0] += 800.0  # pi(a|s) underflows to 0 for a != 0, yet its log stays finite
    r = ppo.step_ratios(episodes, policy, theta, theta_old)
    assert np.all(np.isfinite(r)) and np.all(r >= 0)
    assert np.all(r[episodes.step_action != 0] == 0.0)


@pytest.mark.parametrize("clip", [None, 0.2, 0.05])
def test_clipped_surrogate_matches_a_loop(clip):
    _, policy, theta_old, theta, episodes, adv = problem(gamma=0.9)
    got = ppo.clipped_surrogate(episodes, policy, theta, theta_old, adv, 0.9, clip)
    assert np.isclose(got, loop_surrogate(episodes, policy, theta, theta_old, adv, 0.9, clip), rtol=1e-12)
    padded = ppo.clipped_surrogate(episodes, policy, theta, theta_old, episodes.to_padded(adv), 0.9, clip)
    assert np.isclose(padded, got, rtol=1e-14)  # advantages may be padded (N, T) too


def test_clipping_is_pessimistic():
    _, policy, theta_old, theta, episodes, adv = problem()
    free = ppo.clipped_surrogate(episodes, policy, theta, theta_old, adv, 0.9, None)
    for clip in (0.5, 0.2, 0.1, 0.0):
        assert ppo.clipped_surrogate(episodes, policy, theta, theta_old, adv, 0.9, clip) <= free + 1e-12


@pytest.mark.parametrize("features", [False, True])
@pytest.mark.parametrize("clip", [None, 0.2])
def test_gradient_matches_finite_differences(clip, features):
    _, policy, theta_old, theta, episodes, adv = problem(features=features)
    r = ppo.step_ratios(episodes, policy, theta, theta_old)
    if clip is not None:  # away from the kinks, where the surrogate is smooth
        assert np.min(np.abs(np.abs(r - 1) - clip)) > 1e-3
    grad = ppo.clipped_surrogate_gradient(episodes, policy, theta, theta_old, adv, 0.9, clip)
    fd = pg.gradcheck.finite_difference(
        lambda t: ppo.clipped_surrogate(episodes, policy, t, theta_old, adv, 0.9, clip), theta, eps=1e-6)
    assert grad.shape == policy.theta_shape
    assert pg.gradcheck.relative_error(grad, fd) < 1e-6


def test_clipping_changes_the_gradient_where_ratios_leave_the_range():
    _, policy, theta_old, theta, episodes, adv = problem()
    r = ppo.step_ratios(episodes, policy, theta, theta_old)
    assert np.any(np.abs(r - 1) > 0.2)  # some terms are clipped at this theta
    free = ppo.clipped_surrogate_gradient(episodes, policy, theta, theta_old, adv, 0.9, None)
    clipped = ppo.clipped_surrogate_gradient(episodes, policy, theta, theta_old, adv, 0.9, 0.2)
    assert pg.gradcheck.relative_error(free, clipped) > 1e-3


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_at_theta_old_is_the_reinforce_estimate(seed):
    mdp, policy, theta_old, _, episodes, _ = problem(seed=seed, n_episodes=200)
    V = pg.exact.evaluate(mdp, policy.probs(theta_old)).V
    adv = pg.estimators.gae(episodes, V, mdp.gamma, 1.0)  # G_t - V(s_t)
    reinforce = pg.estimators.reinforce_gradient(episodes, policy, theta_old, mdp.gamma, "reward_to_go", V).mean
    for clip in (None, 0.2):
        grad = ppo.clipped_surrogate_gradient(episodes, policy, theta_old, theta_old, adv, mdp.gamma, clip)
        assert pg.gradcheck.relative_error(grad, reinforce) < 1e-12


def test_unclipped_surrogate_estimates_the_local_model():
    """E_old[(1/N) sum_t gamma^t r_t (G_t - V_old(s_t))] = sum_s d_old(s) sum_a pi_theta(a|s) A_old(s, a): within 4 s.e."""
    mdp, policy, theta_old, theta, _, _ = problem(n_episodes=1)
    V, Q, d, _ = pg.exact.evaluate(mdp, policy.probs(theta_old))
    exact = d @ np.sum(policy.probs(theta) * np.nan_to_num(Q - V[:, None]), axis=1)
    episodes = pg.rollout.sample_episodes(mdp, policy, theta_old, 20_000, np.random.default_rng(7), max_steps=500)
    adv = pg.estimators.gae(episodes, V, mdp.gamma, 1.0, layout="steps")
    r = ppo.step_ratios(episodes, policy, theta, theta_old)
    per_episode = np.bincount(episodes.step_episode, weights=episodes.step_discounts(mdp.gamma) * r * adv,
                              minlength=episodes.n_episodes)
    assert np.isclose(per_episode.mean(),
                      ppo.clipped_surrogate(episodes, policy, theta, theta_old, adv, mdp.gamma, None), rtol=1e-12)
    assert abs(per_episode.mean() - exact) < 4 * per_episode.std(ddof=1) / np.sqrt(per_episode.size)


def test_trajectory_ratios_have_mean_one_and_reweight_returns():
    """E_old[w] = 1 and E_old[w R] = J(theta), each within 4 s.e., with episodes of theta_old only."""
    mdp, policy, theta_old, theta, _, _ = problem(n_episodes=1)
    episodes = pg.rollout.sample_episodes(mdp, policy, theta_old, 20_000, np.random.default_rng(8), max_steps=500)
    w = ppo.trajectory_ratios(episodes, policy, theta, theta_old)
    wR = w * episodes.returns(mdp.gamma)
    assert abs(w.mean() - 1) < 4 * w.std(ddof=1) / np.sqrt(w.size)
    assert abs(wR.mean() - pg.exact.expected_return(mdp, policy, theta)) < 4 * wR.std(ddof=1) / np.sqrt(w.size)


@pytest.mark.parametrize("features", [False, True])
def test_mean_kl_is_a_direct_sum_over_states_and_actions(features):
    mdp, policy, theta_old, theta, _, _ = problem(features=features)
    pi_old, pi = policy.probs(theta_old), policy.probs(theta)
    d = loop_occupancy(mdp, pi_old)
    total = 0.0
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            total += d[s] * pi_old[s, a] * np.log(pi_old[s, a] / pi[s, a])
    assert np.isclose(ppo.mean_kl(mdp, policy, theta_old, theta), total / d.sum(), rtol=1e-10)
    assert ppo.mean_kl(mdp, policy, theta_old, theta_old) == 0.0


def test_mean_kl_ignores_per_state_shifts_and_unvisited_states():
    mdp, policy, theta_old, theta, _, _ = problem()
    shifted = theta + np.arange(5.0)[:, None]  # the same policy
    assert np.isclose(ppo.mean_kl(mdp, policy, theta_old, shifted), ppo.mean_kl(mdp, policy, theta_old, theta))
    moved = theta_old.copy()
    moved[4] += [5.0, -3.0, 1.0]  # state 4 is terminal: d = 0 there
    assert ppo.mean_kl(mdp, policy, theta_old, moved) == 0.0


def test_mean_kl_is_half_w_F_w_to_second_order():
    mdp, policy, theta_old, _, _, _ = problem()
    pi = policy.probs(theta_old)
    d = loop_occupancy(mdp, pi)
    F_bar = loop_fisher(mdp, pi, d) / d.sum()
    u = np.random.default_rng(3).normal(size=policy.theta_shape)
    errors = []
    for scale in (1e-1, 1e-2, 1e-3):
        quadratic = 0.5 * scale**2 * u.ravel() @ F_bar @ u.ravel()
        errors.append(abs(ppo.mean_kl(mdp, policy, theta_old, theta_old + scale * u) / quadratic - 1))
    assert errors[-1] < 1e-2
    assert errors[1] < errors[0] / 5 and errors[2] < errors[1] / 5  # the relative error falls like the scale


@pytest.mark.parametrize("delta", [1e-4, 1e-2, 0.3])
def test_kl_step_solves_the_constrained_problem(delta):
    """Against scipy's SLSQP: max g . w subject to 1/2 w^T Fbar w <= delta, with F from an explicit loop."""
    rng = np.random.default_rng(4)
    mdp = pg.envs.random_mdp(4, 2, rng, gamma=0.8, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(4, 2)
    theta = rng.normal(size=(4, 2))
    pi = policy.probs(theta)
    d = loop_occupancy(mdp, pi)
    F_bar = loop_fisher(mdp, pi, d) / d.sum()
    g = pg.gradcheck.finite_difference(lambda t: pg.exact.expected_return(mdp, policy, t), theta).ravel()
    w = ppo.kl_step(mdp, policy, theta, delta).ravel()
    assert np.isclose(0.5 * w @ F_bar @ w, delta, rtol=1e-8)
    best = minimize(lambda v: -g @ v, np.zeros(8), jac=lambda v: -g, method="SLSQP",
                    constraints=[{"type": "ineq", "fun": lambda v: delta - 0.5 * v @ F_bar @ v,
                                  "jac": lambda v: -F_bar @ v}], options={"ftol": 1e-14, "maxiter": 500})
    assert best.success
    assert g @ w >= -best.fun * (1 - 1e-6)  # no feasible step gains more to first order
    assert np.isclose(g @ w, -best.fun, rtol=1e-5)


def test_kl_step_is_zero_where_the_gradient_vanishes():
    bandit = pg.envs.bandit([0.5, 0.5, 0.5])  # every policy is optimal
    policy = pg.SoftmaxPolicy.tabular(2, 3)
    step = ppo.kl_step(bandit, policy, np.array([[0.3, -1.0, 2.0], [0.0, 0.0, 0.0]]), 0.01)
    assert step.shape == (2, 3) and np.all(step == 0.0)


def test_inputs_are_checked_in_words():
    mdp, policy, theta_old, theta, episodes, adv = problem()
    args = (episodes, policy, theta, theta_old)
    with pytest.raises(ValueError, match=r"clip must lie in \[0, inf\], got -0.1"):
        ppo.clipped_surrogate(*args, adv, 0.9, clip=-0.1)
    with pytest.raises(TypeError, match="clip"):
        ppo.clipped_surrogate(*args, adv, 0.9, clip="0.2")
    with pytest.raises(ValueError, match="gamma"):
        ppo.clipped_surrogate_gradient(*args, adv, 1.5)
    with pytest.raises(ValueError, match="advantages has shape"):
        ppo.clipped_surrogate(*args, adv[:-1], 0.9)
    with pytest.raises(ValueError, match=r"advantages\[0\] is nan"):
        ppo.clipped_surrogate(*args, np.full(adv.shape, np.nan), 0.9)
    with pytest.raises(ValueError, match=r"^theta has shape \(3, 3\), expected \(5, 3\)"):
        ppo.step_ratios(episodes, policy, theta[:3], theta_old)
    with pytest.raises(ValueError, match=r"^theta_old: theta has shape \(3, 3\)"):
        ppo.mean_kl(mdp, policy, theta_old[:3], theta)
    with pytest.raises(ValueError, match="outside the policy's"):
        ppo.trajectory_ratios(episodes, pg.SoftmaxPolicy.tabular(3, 3), np.zeros((3, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="policy is for"):
        ppo.mean_kl(pg.envs.gridworld(), policy, theta_old, theta)
    with pytest.raises(ValueError, match=r"delta must lie in \[0, inf\]"):
        ppo.kl_step(mdp, policy, theta, -1e-3)
    with pytest.raises(TypeError, match="delta"):
        ppo.kl_step(mdp, policy, theta, None)


def test_inputs_are_not_modified():
    mdp, policy, theta_old, theta, episodes, adv = problem()
    copies = [a.copy() for a in (theta_old, theta, adv)]
    ppo.clipped_surrogate(episodes, policy, theta, theta_old, adv, 0.9)
    ppo.clipped_surrogate_gradient(episodes, policy, theta, theta_old, adv, 0.9)
    ppo.trajectory_ratios(episodes, policy, theta, theta_old)
    ppo.mean_kl(mdp, policy, theta_old, theta)
    ppo.kl_step(mdp, policy, theta, 0.01)
    for before, after in zip(copies, (theta_old, theta, adv)):
        assert np.array_equal(before, after)
