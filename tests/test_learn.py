"""Tests for pgbook.learn against independent answers: the plain one-run loops below (the ones
notebook 04 shows), the exact gradient and J of `pgbook.exact`, and Sutton & Barto's values."""
import numpy as np
import pytest

import pgbook as pg
from pgbook import learn

CORRIDOR_J_STAR = -(6 + 4 * np.sqrt(2))  # Sutton & Barto (2018), Example 13.1
ROUND_OFF = dict(rtol=1e-10, atol=1e-10)  # the same arithmetic summed in other orders, over hundreds of steps
THETA_LEFT = np.array([0.0, np.log(19.0)])  # p(right) = 0.05, J = -82.1


def corridor():
    return pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())


def bandit3():
    return pg.envs.bandit([1.0, 0.5, 0.0]), pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))


def random_problem(seed: int, tabular: bool, n_actions: int = 3):
    """A random MDP (gamma 0.9, one terminal state) with a tabular or random-feature policy."""
    rng = np.random.default_rng(seed)
    mdp = pg.envs.random_mdp(5, n_actions, rng, gamma=0.9, n_terminal=1)
    policy = (pg.SoftmaxPolicy.tabular(5, n_actions) if tabular
              else pg.SoftmaxPolicy(rng.normal(size=(5, n_actions, 4))))
    return mdp, policy, rng.normal(size=policy.theta_shape)


# ---- the plain loops: one run, written the way a learner would ----

def plain_reinforce(mdp, policy, theta, alpha, n_updates, batch_size, rng, returns="reward_to_go",
                    baseline=None, reward_offset=0.0, max_steps=1000, truncation="raise"):
    """Sample a batch, estimate the gradient, step: the thetas (n_updates + 1, *theta_shape)."""
    thetas = [theta]
    for _ in range(n_updates):
        ep = pg.rollout.sample_episodes(mdp, policy, theta, batch_size, rng, max_steps)
        ep = ep.with_rewards(ep.step_reward + reward_offset)
        g = pg.estimators.reinforce_gradient(ep, policy, theta, mdp.gamma, returns, baseline, truncation)
        theta = theta + alpha * g.mean
        thetas.append(theta)
    return np.array(thetas)


def plain_book_reinforce(mdp, policy, theta, alpha, n_episodes, rng, alpha_w=None, scalar_baseline=False,
                         max_steps=1000):
    """Sutton & Barto (2018), sections 13.3 (alpha_w None) and 13.4, one episode at a time.

    Returns (returns (E,), lengths (E,), thetas (E+1, *theta_shape), ws (E+1, n_w)); a run whose
    episode reaches max_steps stops there (returns nan from that episode on, theta and w frozen)."""
    w = np.zeros(1 if scalar_baseline else mdp.n_states)
    returns, lengths = np.full(n_episodes, np.nan), np.zeros(n_episodes, dtype=int)
    thetas, ws = [theta], [w.copy()]
    for e in range(n_episodes):
        ep = pg.rollout.sample_episodes(mdp, policy, theta, 1, rng, max_steps)  # with the current theta
        if ep.truncated[0]:
            break
        G = ep.rewards_to_go(mdp.gamma)[0]
        for t in range(ep.lengths[0]):  # theta changes at every step
            s, a = ep.states[0, t], ep.actions[0, t]
            j = 0 if scalar_baseline else s
            delta = G[t] - w[j]
            if alpha_w is not None:
                w[j] += alpha_w * delta
            theta = theta + alpha * mdp.gamma**t * delta * policy.score(theta)[s, a]
        returns[e], lengths[e] = ep.rewards.sum(), ep.lengths[0]
        thetas.append(theta)
        ws.append(w.copy())
    thetas += [theta] * (n_episodes + 1 - len(thetas))
    ws += [w.copy()] * (n_episodes + 1 - len(ws))
    return returns, lengths, np.array(thetas), np.array(ws)


# ---- reinforce ----

@pytest.mark.parametrize("tabular", [True, False])
@pytest.mark.parametrize("returns, baseline, offset", [
    ("reward_to_go", None, 0.0), ("total", None, 0.0), ("reward_to_go", "mean", 0.0),
    ("total", 0.7, 0.0), ("reward_to_go", "state values", 0.0), ("total", None, 3.0),
])
def test_reinforce_with_one_run_is_the_plain_loop(tabular, returns, baseline, offset):
    mdp, policy, theta0 = random_problem(1, tabular)
    if isinstance(baseline, str) and baseline == "state values":
        baseline = pg.exact.evaluate(mdp, policy.probs(theta0)).V
    kw = dict(returns=returns, baseline=baseline, reward_offset=offset)
    hist = learn.reinforce(mdp, policy, theta0, 0.3, 6, 5, np.random.default_rng(2), **kw)
    want = plain_reinforce(mdp, policy, theta0, 0.3, 6, 5, np.random.default_rng(2), **kw)
    np.testing.assert_allclose(hist.theta[0], want, **ROUND_OFF)


def test_reinforce_history_matches_the_exact_module():
    mdp = pg.envs.gridworld()
    policy = pg.SoftmaxPolicy.tabular(mdp.n_states, 4)
    hist = learn.reinforce(mdp, policy, np.zeros((mdp.n_states, 4)), 1.0, 5, 4, np.random.default_rng(1), n_runs=2)
    assert hist.theta.shape == (2, 6, mdp.n_states, 4) and hist.pi.shape == (2, 6, mdp.n_states, 4)
    assert hist.J.shape == (2, 6) and hist.mean_return.shape == (2, 5)
    for r in range(2):
        for u in (0, 5):
            np.testing.assert_allclose(hist.pi[r, u], policy.probs(hist.theta[r, u]), atol=1e-15)
            assert hist.J[r, u] == pytest.approx(pg.exact.expected_return(mdp, policy, hist.theta[r, u]))


def test_reinforce_from_p_005_reaches_the_corridor_optimum_within_0_1():
    mdp, policy = corridor()
    assert pg.exact.expected_return(mdp, policy, THETA_LEFT) == pytest.approx(-82.105263, abs=1e-5)
    hist = learn.reinforce(mdp, policy, THETA_LEFT, 2.0**-8, 150, 32, np.random.default_rng(3), n_runs=2,
                           baseline="mean")
    assert np.abs(hist.J[:, -1] - CORRIDOR_J_STAR).max() < 0.1


def test_reinforce_raises_the_best_arm_probability_in_every_run():
    mdp, policy = bandit3()
    hist = learn.reinforce(mdp, policy, np.zeros(3), 0.3, 40, 4, np.random.default_rng(0), n_runs=8,
                           returns="total")
    p_best = hist.pi[:, :, 0, 0]
    assert np.allclose(p_best[:, 0], 1 / 3) and (p_best[:, -1] > 0.6).all()
    assert (hist.J[:, -1] > hist.J[:, 0]).all()


def test_all_zero_rewards_never_move_theta_and_the_offset_is_seen_by_the_learner_only():
    flat = pg.envs.bandit([0.0, 0.0, 0.0])
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    zero = learn.reinforce(flat, policy, np.zeros(3), 1.0, 10, 4, np.random.default_rng(0), n_runs=5)
    assert (zero.theta == 0).all()
    moved = learn.reinforce(flat, policy, np.zeros(3), 1.0, 10, 4, np.random.default_rng(0), n_runs=5,
                            reward_offset=1.0)
    assert np.abs(moved.theta).max() > 0.1
    np.testing.assert_allclose(moved.J, 0.0)  # J is of the MDP as given, without the offset
    np.testing.assert_allclose(moved.mean_return, 0.0)


def test_reinforce_works_where_the_policy_never_goes_and_episodes_would_never_end():
    # state 2 loops forever (gamma = 1) but nothing leads there: exact J is defined, and so is History.J
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 0] = 1.0  # from the start: action 0 ends the episode, action 1 stays
    P[1, :, 1] = P[2, :, 2] = 1.0
    R = np.array([[1.0, -0.5], [0.0, 0.0], [-1.0, -1.0]])
    mdp = pg.TabularMDP(P, R, rho=[1.0, 0.0, 0.0], gamma=1.0, terminal=[False, True, False])
    policy = pg.SoftmaxPolicy.tabular(3, 2)
    hist = learn.reinforce(mdp, policy, np.zeros((3, 2)), 0.5, 4, 8, np.random.default_rng(0), n_runs=2)
    want = [[pg.exact.expected_return(mdp, policy, th) for th in run] for run in hist.theta]
    np.testing.assert_allclose(hist.J, want, rtol=1e-12)
    assert (hist.J[:, -1] > hist.J[:, 0]).all()  # and it learns to end the episode with reward 1


# ---- book_reinforce ----

@pytest.mark.parametrize("alpha_w, scalar", [(None, False), (0.2, False), (0.2, True)])
@pytest.mark.parametrize("problem", ["tabular", "features", "two actions"])
def test_book_reinforce_with_one_run_is_the_plain_loop(problem, alpha_w, scalar):
    mdp, policy, theta0 = random_problem(5, problem == "tabular", 2 if problem == "two actions" else 3)
    run = learn.book_reinforce(mdp, policy, theta0, 0.2, 25, 1, np.random.default_rng(6), alpha_w=alpha_w,
                               scalar_baseline=scalar)
    want = plain_book_reinforce(mdp, policy, theta0, 0.2, 25, np.random.default_rng(6), alpha_w, scalar)
    np.testing.assert_array_equal(run.lengths[0], want[1])
    for got, expected in zip((run.returns[0], run.theta[0], run.w[0]), (want[0], want[2], want[3])):
        np.testing.assert_allclose(got, expected, **ROUND_OFF)


def test_book_reinforce_matches_the_plain_loop_on_long_episodes_and_stopped_runs():
    # corridor episodes from p(right) = 0.05 often exceed 64 steps (the engine's first buffer size);
    # with alpha = 2^-10 some runs run away to a policy that never ends and are stopped, and the
    # runs end at different times: buffers grow, finished lanes are dropped, uniforms are refilled
    mdp, policy = corridor()
    R = 6
    run = learn.book_reinforce(mdp, policy, THETA_LEFT, 2.0**-10, 30, R, np.random.default_rng(3),
                               max_steps=300, truncation="stop")
    assert (run.stopped < 30).any() and (run.stopped == 30).any() and run.lengths.max() > 128
    for r, gen in enumerate(np.random.default_rng(3).spawn(R)):
        returns, lengths, thetas, _ = plain_book_reinforce(mdp, policy, THETA_LEFT, 2.0**-10, 30, gen,
                                                           max_steps=300)
        np.testing.assert_array_equal(run.lengths[r], lengths)
        np.testing.assert_array_equal(run.returns[r], returns)
        np.testing.assert_allclose(run.theta[r], thetas, **ROUND_OFF)
        assert run.stopped[r] == (np.flatnonzero(np.isnan(returns))[0] if np.isnan(returns).any() else 30)


def test_book_reinforce_handles_episodes_that_start_in_a_terminal_state():
    mdp0, policy, theta0 = random_problem(8, tabular=True)
    rho = np.full(5, 0.2)  # the terminal state 4 is a start state: such an episode has no step
    mdp = pg.TabularMDP(mdp0.P, mdp0.R, rho, mdp0.gamma, mdp0.terminal)
    run = learn.book_reinforce(mdp, policy, theta0, 0.3, 30, 1, np.random.default_rng(1), alpha_w=0.1)
    want = plain_book_reinforce(mdp, policy, theta0, 0.3, 30, np.random.default_rng(1), alpha_w=0.1)
    assert (want[1] == 0).any() and (want[1] > 0).any()
    np.testing.assert_array_equal(run.lengths[0], want[1])
    np.testing.assert_allclose(run.returns[0], want[0], **ROUND_OFF)
    np.testing.assert_allclose(run.theta[0], want[2], **ROUND_OFF)


@pytest.mark.parametrize("alpha_w, scalar", [(None, False), (0.2, True)])
@pytest.mark.parametrize("tabular", [True, False])
@pytest.mark.parametrize("n_actions", [2, 3])  # two actions take the engine's one-number-per-lane path
def test_each_of_many_runs_is_the_plain_loop_with_its_own_generator(n_actions, tabular, alpha_w, scalar):
    # runs advance independently, run r drawing from rng.spawn(n_runs)[r]; step sizes differ per run
    mdp, policy, theta0 = random_problem(5, tabular, n_actions)
    R, alphas = 7, np.linspace(0.1, 0.4, 7)
    theta0 = theta0 + np.random.default_rng(9).normal(size=(R,) + policy.theta_shape)  # one start per run
    run = learn.book_reinforce(mdp, policy, theta0, alphas, 40, R, np.random.default_rng(6), alpha_w=alpha_w,
                               scalar_baseline=scalar)
    for r, gen in enumerate(np.random.default_rng(6).spawn(R)):
        want = plain_book_reinforce(mdp, policy, theta0[r], alphas[r], 40, gen, alpha_w, scalar)
        np.testing.assert_array_equal(run.lengths[r], want[1])
        for got, expected in zip((run.returns[r], run.theta[r], run.w[r]), (want[0], want[2], want[3])):
            np.testing.assert_allclose(got, expected, **ROUND_OFF)


def test_runs_stay_exact_when_their_uniforms_are_refilled_often(monkeypatch):
    # the engine reads each run's generator in blocks (here the smallest, 64 uniforms): refills in the
    # middle of episodes, at their starts and after runs end must keep every run's stream in order
    monkeypatch.setattr("pgbook._book_lanes._UNIFORMS", 1)
    mdp, policy = corridor()
    R = 5
    run = learn.book_reinforce(mdp, policy, THETA_LEFT, 2.0**-9, 12, R, np.random.default_rng(4),
                               alpha_w=2.0**-6, scalar_baseline=True, max_steps=400, truncation="stop")
    for r, gen in enumerate(np.random.default_rng(4).spawn(R)):
        want = plain_book_reinforce(mdp, policy, THETA_LEFT, 2.0**-9, 12, gen, 2.0**-6, True, max_steps=400)
        np.testing.assert_array_equal(run.lengths[r], want[1])
        np.testing.assert_allclose(run.theta[r], want[2], **ROUND_OFF)
        np.testing.assert_allclose(run.w[r], want[3], **ROUND_OFF)


def test_figure_13_1_first_episode_and_curves_agree_with_exact_j_and_the_plain_loop():
    mdp, policy = corridor()
    J0 = pg.exact.expected_return(mdp, policy, THETA_LEFT)  # -82.1
    first = learn.book_reinforce(mdp, policy, THETA_LEFT, 2.0**-12, 1, 400, np.random.default_rng(0)).returns[:, 0]
    assert abs(first.mean() - J0) < 4 * first.std(ddof=1) / np.sqrt(first.size)
    R, E = 16, 24
    fast = learn.book_reinforce(mdp, policy, THETA_LEFT, 2.0**-11, E, R, np.random.default_rng(1),
                                truncation="stop").returns
    rng = np.random.default_rng(2)
    plain = np.array([plain_book_reinforce(mdp, policy, THETA_LEFT, 2.0**-11, E, rng)[0] for _ in range(R)])
    for block in (slice(0, E // 2), slice(E // 2, E)):
        x, y = _run_means(fast[:, block]), _run_means(plain[:, block])
        se = np.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
        assert abs(x.mean() - y.mean()) < 4 * se, (x.mean(), y.mean(), se)


def _run_means(returns: np.ndarray) -> np.ndarray:
    """Mean return of each run over its episodes before it was stopped (runs stopped before: dropped)."""
    played = ~np.isnan(returns)
    keep = played.any(axis=1)
    return np.nansum(returns[keep], axis=1) / played[keep].sum(axis=1)


def _first_update_matches_exact_gradient(mdp, policy, theta, n_runs, seed):
    """Expected first update / alpha of the book's rule and of a one-episode batch update, vs the exact gradient."""
    alpha = 1e-6  # tiny: the book's within-episode drift of theta is O(alpha^2)
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    book = learn.book_reinforce(mdp, policy, theta, alpha, 1, n_runs, np.random.default_rng(seed))
    batch = learn.reinforce(mdp, policy, theta, alpha, 1, 1, np.random.default_rng(seed + 1), n_runs=n_runs)
    means = []
    for steps in (book.theta[:, 1] - theta, batch.theta[:, 1] - theta):
        g = steps / alpha
        mean, se = g.mean(axis=0), g.std(axis=0, ddof=1) / np.sqrt(n_runs)
        assert (np.abs(mean - exact) <= 4 * se + 1e-6).all(), (mean, exact, se)
        means.append((mean, se))
    (m1, s1), (m2, s2) = means
    assert (np.abs(m1 - m2) <= 4 * np.sqrt(s1**2 + s2**2) + 1e-6).all()


def test_book_and_batch_updates_agree_in_expectation_tabular_random_mdp():
    rng = np.random.default_rng(7)
    mdp = pg.envs.random_mdp(3, 2, rng, gamma=0.9, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(3, 2)
    _first_update_matches_exact_gradient(mdp, policy, rng.normal(size=(3, 2)), 20_000, 11)


def test_book_and_batch_updates_agree_in_expectation_corridor_features():
    mdp, policy = corridor()
    _first_update_matches_exact_gradient(mdp, policy, np.array([0.3, 0.0]), 5_000, 21)


def test_book_reinforce_records_returns_and_stops_runs_that_never_finish():
    mdp, policy = corridor()
    theta0 = np.array([[0.0, 0.0], [60.0, 0.0]])  # run 1 always goes right: it bounces forever
    run = learn.book_reinforce(mdp, policy, theta0, 2.0**-13, 5, 2, np.random.default_rng(0), max_steps=200,
                               truncation="stop")
    assert run.stopped.tolist() == [5, 0]
    assert np.isnan(run.returns[1]).all() and (run.lengths[1] == 0).all()
    assert (run.theta[1] == theta0[1]).all()
    np.testing.assert_array_equal(run.returns[0], -run.lengths[0])  # reward -1 per step
    assert run.theta.shape == (2, 6, 2) and run.w.shape == (2, 6, 4) and (run.w == 0).all()
    stuck = learn.book_reinforce(mdp, policy, theta0[1], 0.1, 3, 2, np.random.default_rng(0), max_steps=50,
                                 truncation="stop")
    assert stuck.stopped.tolist() == [0, 0] and np.isnan(stuck.returns).all()  # every run stopped: no crash


def test_book_reinforce_with_a_baseline_learns_the_corridor():
    mdp, policy = corridor()  # Sutton & Barto Figure 13.2 settings
    run = learn.book_reinforce(mdp, policy, THETA_LEFT, 2.0**-9, 300, 20, np.random.default_rng(2),
                               alpha_w=2.0**-6, scalar_baseline=True, truncation="stop")
    done = run.stopped == 300  # from p(right) = 0.05 an early long episode can still make a run run away
    assert done.sum() >= 18
    assert np.mean(run.returns[done, -50:]) > -14
    assert run.w.shape == (20, 301, 1) and np.mean(run.w[done, -1, 0]) < -8  # w tracks the return


# ---- truncation ----

def test_reinforce_refuses_cut_episodes_with_the_exact_expected_length():
    mdp, policy = corridor()
    with pytest.raises(ValueError, match=r"run 0, update 0: \d+ of 50 episodes were cut at max_steps = 5 "
                                         r".*gamma = 1; expected episode length 82.11 steps"):
        learn.reinforce(mdp, policy, THETA_LEFT, 0.1, 1, 50, np.random.default_rng(0), max_steps=5)
    hist = learn.reinforce(mdp, policy, THETA_LEFT, 0.1, 1, 50, np.random.default_rng(0), max_steps=5,
                           truncation="accept")
    assert hist.mean_return[0, 0] >= -5  # the cut returns, biased towards 0
    want = plain_reinforce(mdp, policy, THETA_LEFT, 0.1, 1, 50, np.random.default_rng(0), max_steps=5,
                           truncation="accept")
    np.testing.assert_allclose(hist.theta[0], want, **ROUND_OFF)


def test_book_reinforce_refuses_accepts_or_stops_cut_episodes():
    mdp, policy = corridor()
    with pytest.raises(ValueError, match=r"run 1, episode 0: 1 of 1 episodes were cut at max_steps = 40 "
                                         r".*gamma = 1; expected episode length inf steps.*truncation='stop'"):
        learn.book_reinforce(mdp, policy, np.array([[0.0, 0.0], [800.0, 0.0]]), 0.1, 3, 2,
                             np.random.default_rng(0), max_steps=40)  # p(left) = exp(-800) = 0: never ends
    with pytest.raises(ValueError, match=r"expected episode length at least 40 steps.*the exact expected "
                                         r"length: .*longer than float64 can resolve"):
        learn.book_reinforce(mdp, policy, np.array([60.0, 0.0]), 0.1, 3, 1, np.random.default_rng(0),
                             max_steps=40)  # p(left) = 1e-26: episodes end, after ~1e26 steps
    accepted = learn.book_reinforce(mdp, policy, THETA_LEFT, 2.0**-12, 20, 30, np.random.default_rng(0),
                                    max_steps=20, truncation="accept")
    assert (accepted.stopped == 20).all() and (accepted.lengths == 20).any()
    np.testing.assert_array_equal(accepted.returns, -accepted.lengths)  # cut returns: -20, biased
    stopped = learn.book_reinforce(mdp, policy, THETA_LEFT, 2.0**-12, 20, 30, np.random.default_rng(0),
                                   max_steps=20, truncation="stop")
    assert (stopped.stopped < 20).all() and (stopped.lengths <= 20).all()  # most episodes need > 20 steps
    for r, k in enumerate(stopped.stopped):
        assert np.isnan(stopped.returns[r, k:]).all() and not np.isnan(stopped.returns[r, :k]).any()


@pytest.mark.parametrize("function, truncation", [("reinforce", "stop"), ("reinforce", "ignore"),
                                                  ("book_reinforce", "Raise"), ("book_reinforce", None)])
def test_truncation_must_be_one_of_the_named_policies(function, truncation):
    mdp, policy = corridor()
    args = ((0.1, 1, 2) if function == "reinforce" else (0.1, 1, 2))
    with pytest.raises(ValueError, match="truncation must be one of"):
        getattr(learn, function)(mdp, policy, THETA_LEFT, *args, np.random.default_rng(0), truncation=truncation)


# ---- bad input: rejected before any sampling, naming the argument, nothing mutated ----

BAD_NUMBERS = [("0.1", TypeError, "string|real number"), (True, TypeError, "bool|real number"),
               (np.nan, ValueError, "nan"), (np.inf, ValueError, "inf"), (1 + 2j, TypeError, "complex|real number")]


@pytest.mark.parametrize("function, name", [("reinforce", "alpha"), ("reinforce", "reward_offset"),
                                            ("reinforce", "baseline"), ("book_reinforce", "alpha"),
                                            ("book_reinforce", "alpha_w")])
@pytest.mark.parametrize("value, error, match", BAD_NUMBERS)
def test_bad_hyperparameters_are_rejected_before_any_sampling(function, name, value, error, match):
    mdp, policy = corridor()
    rng = np.random.default_rng(0)
    state, theta0 = rng.bit_generator.state, THETA_LEFT.copy()
    if function == "reinforce":
        kwargs = dict(alpha=0.1, n_updates=2, batch_size=4, rng=rng, n_runs=2)
    else:
        kwargs = dict(alpha=0.1, n_episodes=2, n_runs=2, rng=rng)
    kwargs[name] = value
    pattern = f"{name}.*({match})"
    if name == "baseline" and isinstance(value, str):
        error, pattern = ValueError, "baseline .*string '0.1'"  # strings name baselines ("mean")
    with pytest.raises(error, match=pattern):
        getattr(learn, function)(mdp, policy, theta0, **kwargs)
    assert rng.bit_generator.state == state  # nothing was sampled
    np.testing.assert_array_equal(theta0, THETA_LEFT)


def test_arrays_of_hyperparameters_are_checked_and_not_modified():
    mdp, policy = corridor()
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    alphas = np.array([0.1, np.nan])
    with pytest.raises(ValueError, match=r"alpha\[1\] is nan"):
        learn.book_reinforce(mdp, policy, THETA_LEFT, alphas, 2, 2, rng)
    with pytest.raises(ValueError, match="baseline array has shape"):
        learn.reinforce(mdp, policy, THETA_LEFT, 0.1, 2, 4, rng, baseline=np.zeros(3))
    assert rng.bit_generator.state == state and np.isnan(alphas[1]) and alphas[0] == 0.1
    theta0, b = np.array([[0.0, 1.0], [0.5, 0.0]]), np.array([-1.0, -2.0, -3.0, 0.0])
    learn.reinforce(mdp, policy, theta0, np.array([0.01, 0.02]), 2, 4, rng, n_runs=2, baseline=b)
    learn.book_reinforce(mdp, policy, theta0, np.array([0.01, 0.02]), 2, 2, rng, alpha_w=0.1)
    np.testing.assert_array_equal(theta0, [[0.0, 1.0], [0.5, 0.0]])
    np.testing.assert_array_equal(b, [-1.0, -2.0, -3.0, 0.0])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(theta0=np.zeros(3)), ValueError, "theta0 has shape"),
    (dict(alpha=-0.1), ValueError, "alpha must be positive"),
    (dict(alpha=np.ones(3)), ValueError, "one step size per run"),
    (dict(returns="sum"), ValueError, "returns must be"),
    (dict(baseline="median"), ValueError, "baseline must be"),
    (dict(baseline="optimal"), ValueError, "per component"),
    (dict(baseline="mean", batch_size=1), ValueError, "need batch_size >= 2"),
    (dict(n_updates=0), ValueError, "n_updates must be at least 1"),
    (dict(batch_size=2.0), TypeError, "batch_size must be an integer"),
    (dict(max_steps=True), TypeError, "max_steps must be an integer"),
    (dict(rng=0), TypeError, "rng must be a numpy Generator"),
    (dict(policy=pg.SoftmaxPolicy.tabular(3, 2)), ValueError, "policy is for"),
])
def test_reinforce_rejects_bad_input(kwargs, error, match):
    mdp, policy = corridor()
    args = dict(mdp=mdp, policy=policy, theta0=np.zeros(2), alpha=0.1, n_updates=2, batch_size=2,
                rng=np.random.default_rng(0), n_runs=2)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        learn.reinforce(**args)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(alpha_w=-1.0), ValueError, "alpha_w must lie in"),
    (dict(alpha_w=0.0), ValueError, "alpha_w must be positive"),
    (dict(n_runs=0), ValueError, "n_runs must be at least 1"),
    (dict(n_episodes=1.5), TypeError, "n_episodes must be an integer"),
    (dict(theta0=np.zeros((3, 2))), ValueError, "theta0 has shape"),
    (dict(theta0="0, 0"), TypeError, "theta0 must be an array of numbers"),
    (dict(alpha=0.0), ValueError, "alpha must be positive"),
    (dict(scalar_baseline="yes"), TypeError, "scalar_baseline must be True or False"),
    (dict(rng=np.random.RandomState(0)), TypeError, "rng must be a numpy Generator"),
])
def test_book_reinforce_rejects_bad_input(kwargs, error, match):
    mdp, policy = corridor()
    args = dict(mdp=mdp, policy=policy, theta0=np.zeros(2), alpha=0.1, n_episodes=1, n_runs=2,
                rng=np.random.default_rng(0))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        learn.book_reinforce(**args)


def test_reinforce_refuses_a_policy_whose_episodes_are_too_long_for_float64():
    """theta = (40, 0): episodes end with probability ~4e-18 per step. Refused as cut episodes by
    default; with truncation='accept', the exact J of the history (one Bellman solve per update)
    raises in words instead of returning a J with the wrong sign."""
    mdp, policy = corridor()
    theta0 = np.array([40.0, 0.0])
    with pytest.raises(ValueError, match=r"run 0, update 0: 2 of 2 episodes were cut at max_steps = 20"):
        learn.reinforce(mdp, policy, theta0, 1e-3, 1, 2, np.random.default_rng(0), max_steps=20)
    with pytest.raises(ValueError, match=r"with gamma = 1, an episode from state 0 lasts longer than float64 "
                                         r"can resolve"):
        learn.reinforce(mdp, policy, theta0, 1e-3, 1, 2, np.random.default_rng(0), max_steps=20,
                        truncation="accept")
    np.testing.assert_array_equal(theta0, [40.0, 0.0])
