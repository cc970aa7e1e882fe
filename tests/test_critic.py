"""critic.td0 and critic.actor_critic against independent answers: explicit per-step loops that follow
the documented order of updates and random draws, the exact V of pg.exact.evaluate (TD(0)'s limit on
a deterministic chain, its fixed point in expectation on a random MDP), and the exact policy gradient
(the expected first actor-critic update with the exact critic)."""
import bisect

import numpy as np
import pytest

import pgbook as pg


def sample(p, u):
    """rollout's inverse transform: the first outcome of positive probability whose running sum reaches u."""
    outcomes = np.flatnonzero(p > 0)
    return int(outcomes[bisect.bisect_left(np.cumsum(p[outcomes])[:-1].tolist(), u)])


def td0_by_hand(ep, V0, gamma, alpha, n_runs):
    E = ep.n_episodes // n_runs
    out = np.zeros((n_runs, E + 1, V0.shape[-1]))
    for run in range(n_runs):
        V = np.array(V0[run] if V0.ndim == 2 else V0, dtype=float)
        out[run, 0] = V
        for e in range(E):
            i = run * E + e
            L = int(ep.lengths[i])
            s, r = ep.states[i, :L].tolist(), ep.rewards[i, :L].tolist()
            for t in range(L):
                v_next = V[s[t + 1]] if t + 1 < L else 0.0  # the episode ended in a terminal state
                V[s[t]] += alpha * (r[t] + gamma * v_next - V[s[t]])
            out[run, e + 1] = V
    return out


def random_problem(seed, S=5, A=3, gamma=0.9):
    rng = np.random.default_rng(seed)
    mdp = pg.envs.random_mdp(S, A, rng, gamma=gamma, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(S, A)
    return mdp, policy, rng.normal(size=(S, A))


@pytest.mark.parametrize("n_runs", [1, 3])
def test_td0_matches_a_plain_loop(n_runs):
    mdp, policy, theta = random_problem(0)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 12, np.random.default_rng(1))
    V0 = np.random.default_rng(2).normal(size=(n_runs, mdp.n_states))
    V0_before = V0.copy()
    hist = pg.critic.td0(ep, V0, mdp.gamma, 0.3, n_runs=n_runs)
    assert hist.shape == (n_runs, 12 // n_runs + 1, mdp.n_states)
    assert np.allclose(hist, td0_by_hand(ep, V0, mdp.gamma, 0.3, n_runs), rtol=1e-13, atol=1e-13)
    assert np.array_equal(V0, V0_before)  # input not mutated
    shared = pg.critic.td0(ep, V0[0], mdp.gamma, 0.3, n_runs=n_runs)  # one V0 for every run
    assert np.allclose(shared, td0_by_hand(ep, V0[0], mdp.gamma, 0.3, n_runs), rtol=1e-13, atol=1e-13)


def test_td0_converges_to_the_exact_value_on_a_deterministic_chain():
    # no slip and a deterministic policy: every episode is the same, and TD(0) is a contraction to V
    mdp = pg.envs.chain(5, slip=0.0, gamma=0.9)
    pi = np.tile([0.0, 1.0], (5, 1))  # always right
    V = pg.exact.evaluate(mdp, pi).V
    ep = pg.rollout.sample_from_probs(mdp, pi, 400, np.random.default_rng(0))
    hist = pg.critic.td0(ep, np.zeros(5), mdp.gamma, 0.5)
    live = ~mdp.terminal
    assert np.abs(hist[0, -1, live] - V[live]).max() < 1e-12
    assert np.abs(hist[0, 1, live] - V[live]).max() > 0.1  # it did have to learn


def test_the_exact_value_is_the_fixed_point_of_td0_in_expectation():
    # With a tiny step, one episode's change is alpha times the sum of its TD errors per state, whose
    # expectation is D (r_pi + gamma P_pi V - V), D the expected visits: zero exactly at V = V_pi.
    mdp, policy, theta = random_problem(3)
    pi = policy.probs(theta)
    V_pi = pg.exact.evaluate(mdp, pi).V
    N, alpha = 20_000, 1e-9
    ep = pg.rollout.sample_episodes(mdp, policy, theta, N, np.random.default_rng(4))
    for V, should_move in ((V_pi, False), (V_pi + 0.5 * np.arange(mdp.n_states), True)):
        step = (pg.critic.td0(ep, V, mdp.gamma, alpha, n_runs=N)[:, 1] - V) / alpha  # (N, S)
        mean, se = step.mean(axis=0), step.std(axis=0, ddof=1) / np.sqrt(N)
        P_pi = np.einsum("sa,sat->st", pi, mdp.P)
        Vn = np.where(mdp.terminal, 0.0, V)
        visits = pg.exact.evaluate(pg.TabularMDP(mdp.P, mdp.R, mdp.rho, 1.0, mdp.terminal), pi).d  # undiscounted
        expected = visits * ((pi * mdp.R).sum(axis=1) + mdp.gamma * P_pi @ Vn - V) * ~mdp.terminal
        assert np.all(np.abs(mean - expected) <= 4 * se + 1e-6)
        assert np.any(np.abs(mean) > 10 * se) == should_move  # the test can tell V_pi from a wrong V


def test_td0_bad_input():
    mdp, policy, theta = random_problem(5)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 6, np.random.default_rng(6))
    with pytest.raises(ValueError, match=r"n_runs = 4 does not split the 6 episodes"):
        pg.critic.td0(ep, np.zeros(5), 0.9, 0.1, n_runs=4)
    with pytest.raises(ValueError, match=r"V0 has shape \(2, 5\), expected \(5,\) or \(n_runs, \.\.\.\) = \(3, 5\)"):
        pg.critic.td0(ep, np.zeros((2, 5)), 0.9, 0.1, n_runs=3)
    with pytest.raises(ValueError, match=r"V0 must hold state values, \(S,\) or \(n_runs, S\), got shape \(\)"):
        pg.critic.td0(ep, 0.0, 0.9, 0.1)
    with pytest.raises(ValueError, match=r"the episodes visit state 3, but V0 has only 3 states"):
        pg.critic.td0(ep, np.zeros(3), 0.9, 0.1)
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, inf\], got -0\.1"):
        pg.critic.td0(ep, np.zeros(5), 0.9, -0.1)
    with pytest.raises(TypeError, match="V0"):
        pg.critic.td0(ep, ["a"] * 5, 0.9, 0.1)
    cut = pg.rollout.sample_episodes(mdp, policy, theta, 50, np.random.default_rng(7), max_steps=1)
    with pytest.raises(ValueError, match=r"td0: \d+ of 50 episodes were cut at max_steps = 1"):
        pg.critic.td0(cut, np.zeros(5), 0.9, 0.1)


def actor_critic_by_hand(mdp, policy, theta0, alpha, alpha_w, n_episodes, n_runs, rng, w0=None):
    """The documented loop for n_runs runs: per iteration, start states of the runs beginning an episode
    (rng.random(m)), then rng.random((2, n)): actions and next states of the n running runs."""
    theta = [np.array(theta0, dtype=float) for _ in range(n_runs)]
    w = [np.zeros(mdp.n_states) if w0 is None else np.array(w0, dtype=float) for _ in range(n_runs)]
    returns = [[] for _ in range(n_runs)]
    s, I, G, starting = [0] * n_runs, [1.0] * n_runs, [0.0] * n_runs, list(range(n_runs))
    running = list(range(n_runs))
    while running:
        if starting:
            u = rng.random(len(starting))
            for j, r in enumerate(starting):
                s[r], I[r], G[r] = sample(mdp.rho, u[j]), 1.0, 0.0
            starting = []
        u = rng.random((2, len(running)))
        for j, r in enumerate(list(running)):
            pi = policy.probs(theta[r])
            a = sample(pi[s[r]], u[0, j])
            s2 = sample(mdp.P[s[r], a], u[1, j])
            delta = mdp.R[s[r], a] + mdp.gamma * (0.0 if mdp.terminal[s2] else w[r][s2]) - w[r][s[r]]
            w[r][s[r]] += alpha_w * delta
            theta[r] = theta[r] + alpha * I[r] * delta * policy.score(theta[r])[s[r], a]
            I[r] *= mdp.gamma
            G[r] += mdp.R[s[r], a]
            s[r] = s2
            if mdp.terminal[s2]:
                returns[r].append(G[r])
                if len(returns[r]) == n_episodes:
                    running.remove(r)
                else:
                    starting.append(r)
    return np.array(theta), np.array(w), np.array(returns)


@pytest.mark.parametrize("n_runs", [1, 3])
@pytest.mark.parametrize("problem", ["corridor", "tabular"])
def test_actor_critic_matches_a_plain_loop(problem, n_runs):
    if problem == "corridor":  # features shared by all states, gamma = 1
        mdp, policy, theta0 = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features()), [-1.0, 1.0]
    else:
        mdp, policy, theta0 = random_problem(8, gamma=0.8)
    w0 = np.linspace(-1, 1, mdp.n_states)
    run = pg.critic.actor_critic(mdp, policy, theta0, 0.1, 0.2, 6, n_runs, np.random.default_rng(9), w0=w0)
    theta, w, returns = actor_critic_by_hand(mdp, policy, theta0, 0.1, 0.2, 6, n_runs, np.random.default_rng(9), w0)
    assert np.allclose(run.theta[:, -1], theta, rtol=1e-10, atol=1e-12)
    assert np.allclose(run.w[:, -1], w, rtol=1e-10, atol=1e-12)
    assert np.allclose(run.returns, returns, rtol=1e-12, atol=1e-12)
    assert np.array_equal(run.w[:, 0], np.tile(w0, (n_runs, 1))) and (run.stopped == 6).all()
    assert run.theta.shape == (n_runs, 7) + policy.theta_shape and run.lengths.min() >= 1


def test_first_update_with_the_exact_critic_is_the_policy_gradient_in_expectation():
    # With w = V_pi the TD error is an unbiased sample of the advantage, so the first episode moves
    # theta by alpha sum_t gamma^t delta_t grad log pi, whose expectation is alpha grad J.
    mdp, policy, theta = random_problem(10)
    V = pg.exact.evaluate(mdp, policy.probs(theta)).V
    alpha = 1e-8  # small enough that theta and w barely change within the episode
    run = pg.critic.actor_critic(mdp, policy, theta, alpha, alpha, 1, 20_000, np.random.default_rng(11), w0=V)
    steps = (run.theta[:, 1] - theta) / alpha
    est = pg.montecarlo.as_estimate(steps)
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    assert np.all(np.abs(est.mean - exact) <= 4 * est.stderr)
    assert np.all(est.stderr < 0.1 * np.abs(exact).max())  # the check has power


def test_actor_critic_learns_the_short_corridor():
    corridor, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    run = pg.critic.actor_critic(corridor, policy, [-1.47, 1.47], 2**-6, 2**-3, 100, 20, np.random.default_rng(12))
    J = pg.exact.expected_return_many(corridor, policy.probs_many(run.theta[:, -1]))
    J_star = -(6 + 4 * np.sqrt(2))  # Sutton & Barto's Example 13.1 (notebook 04 derives it)
    assert (J > J_star - 1.0).all() and pg.exact.expected_return(corridor, policy, [-1.47, 1.47]) < J_star - 50


def test_actor_critic_truncation():
    corridor, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    always_right = [30.0, -30.0]  # bounces between the first two states for ever
    with pytest.raises(ValueError, match=r"run 0, episode 0: an episode was cut at max_steps = 50 .*gamma = 1;"
                                         r" expected episode length under the run's current policy"):
        pg.critic.actor_critic(corridor, policy, always_right, 1e-3, 0.1, 3, 2, np.random.default_rng(0), max_steps=50)
    theta0 = np.array([[0.0, 0.0], always_right])
    run = pg.critic.actor_critic(corridor, policy, theta0, 1e-3, 0.1, 3, 2, np.random.default_rng(0),
                                 max_steps=50, truncation="stop")
    assert run.stopped.tolist() == [3, 0]
    assert np.isnan(run.returns[1]).all() and (run.lengths[1] == 0).all() and not np.isnan(run.returns[0]).any()
    assert np.array_equal(run.theta[1, 1], run.theta[1, -1])  # frozen where it was cut


def test_actor_critic_bad_input():
    corridor, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    rng = np.random.default_rng(0)
    theta0 = np.zeros(2)
    with pytest.raises(ValueError, match=r"alpha and alpha_w must be positive, got 0\.0 and 0\.1"):
        pg.critic.actor_critic(corridor, policy, theta0, 0.0, 0.1, 2, 2, rng)
    with pytest.raises(ValueError, match=r"alpha_w has shape \(3,\), expected \(\) or \(n_runs, \.\.\.\) = \(2,\)"):
        pg.critic.actor_critic(corridor, policy, theta0, 0.1, [0.1, 0.2, 0.3], 2, 2, rng)
    with pytest.raises(ValueError, match=r"theta0 has shape \(3,\), expected \(2,\)"):
        pg.critic.actor_critic(corridor, policy, np.zeros(3), 0.1, 0.1, 2, 2, rng)
    with pytest.raises(ValueError, match=r"w0 has shape \(3,\), expected \(4,\)"):
        pg.critic.actor_critic(corridor, policy, theta0, 0.1, 0.1, 2, 2, rng, w0=np.zeros(3))
    with pytest.raises(ValueError, match=r"truncation must be one of \('raise', 'stop'\), got 'accept'"):
        pg.critic.actor_critic(corridor, policy, theta0, 0.1, 0.1, 2, 2, rng, truncation="accept")
    with pytest.raises(TypeError, match="n_episodes must be an integer"):
        pg.critic.actor_critic(corridor, policy, theta0, 0.1, 0.1, 2.0, 2, rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        pg.critic.actor_critic(corridor, policy, theta0, 0.1, 0.1, 2, 2, 0)
    with pytest.raises(ValueError, match=r"policy is for \(S, A\) = \(11, 4\)"):
        pg.critic.actor_critic(corridor, pg.SoftmaxPolicy.tabular(11, 4), np.zeros((11, 4)), 0.1, 0.1, 2, 2, rng)
    mdp = pg.TabularMDP(corridor.P, corridor.R, [0.5, 0, 0, 0.5], 1.0, corridor.terminal)
    with pytest.raises(ValueError, match="rho puts mass on the terminal state 3"):
        pg.critic.actor_critic(mdp, policy, theta0, 0.1, 0.1, 20, 2, rng)
