"""pgbook.rollout against independent answers: the tables it samples from (frequencies within 4
standard errors), the corridor's expected episode length, hand-computed returns, and a pinned stream."""
import numpy as np
import pytest

import pgbook as pg


def corridor():
    return pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())


def within_4_se(counts: np.ndarray, totals: np.ndarray, probs: np.ndarray) -> bool:
    """Observed frequencies counts / totals against probabilities, each within 4 binomial standard errors."""
    totals = np.maximum(totals, 1)
    se = np.sqrt(probs * (1 - probs) / totals)
    return bool(np.all(np.abs(counts / totals - probs) <= 4 * se + 1e-12))


def test_structure_of_a_batch():
    mdp = pg.envs.random_mdp(5, 3, np.random.default_rng(0), gamma=0.9, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(5, 3)
    theta = np.random.default_rng(1).normal(size=(5, 3))
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 2000, np.random.default_rng(2), max_steps=15)
    N, T = ep.states.shape
    assert N == ep.n_episodes == 2000 and T == ep.lengths.max() <= 15
    assert ep.states.dtype == ep.actions.dtype == np.int64 and ep.rewards.dtype == np.float64
    assert ep.mask.dtype == bool and ep.truncated.shape == (N,) and ep.truncated.dtype == bool
    assert np.array_equal(ep.mask, np.arange(T) < ep.lengths[:, None])  # steps are a prefix
    for x in (ep.states, ep.actions, ep.rewards):
        assert not x[~ep.mask].any()  # padding is zero
    assert np.array_equal(ep.rewards, mdp.R[ep.states, ep.actions] * ep.mask)
    assert not mdp.terminal[ep.states[ep.mask]].any()  # no step is taken in a terminal state
    assert np.all(ep.lengths[ep.truncated] == 15) and 0 < ep.truncated.sum() < N
    # an episode that was not cut ended because it entered the terminal state; its last step
    # therefore had positive probability of doing so
    last = ep.lengths - 1
    s_last, a_last = ep.states[np.arange(N), last], ep.actions[np.arange(N), last]
    assert np.all(mdp.P[s_last, a_last][:, mdp.terminal].sum(axis=1)[~ep.truncated] > 0)


def test_frequencies_match_rho_pi_and_P():
    rng = np.random.default_rng(3)
    mdp = pg.envs.random_mdp(4, 3, rng, gamma=0.9, n_terminal=1)
    policy = pg.SoftmaxPolicy.tabular(4, 3)
    theta = rng.normal(size=(4, 3))
    pi = policy.probs(theta)
    ep = pg.rollout.sample_episodes(mdp, policy, theta, 20_000, np.random.default_rng(4), max_steps=30)
    S, A = 4, 3
    starts = np.bincount(ep.states[:, 0], minlength=S)
    assert within_4_se(starts, np.full(S, ep.n_episodes), mdp.rho)
    sa = np.zeros((S, A))
    np.add.at(sa, (ep.states[ep.mask], ep.actions[ep.mask]), 1)
    assert within_4_se(sa, sa.sum(axis=1, keepdims=True), pi)
    # transitions observed inside episodes (the next state is the next step's state)
    inside = ep.mask[:, 1:]
    s, a, s2 = ep.states[:, :-1][inside], ep.actions[:, :-1][inside], ep.states[:, 1:][inside]
    counts = np.zeros((S, A, S))
    np.add.at(counts, (s, a, s2), 1)
    # the next state is seen only when it is not terminal: compare with P conditioned on that
    live = ~mdp.terminal
    P_live = mdp.P[live][:, :, live] / mdp.P[live][:, :, live].sum(axis=2, keepdims=True)
    seen = counts[live][:, :, live]
    assert within_4_se(seen, seen.sum(axis=2, keepdims=True), P_live)


def test_corridor_episode_length_is_minus_J():
    mdp, policy = corridor()
    ep = pg.rollout.sample_episodes(mdp, policy, np.zeros(2), 50_000, np.random.default_rng(5))
    assert not ep.truncated.any()
    p = 0.5  # every step costs -1, so E[length] = -J(p) = (4 - 2p) / (p (1 - p)) = 12
    L = ep.lengths
    assert abs(L.mean() - (4 - 2 * p) / (p * (1 - p))) <= 4 * L.std(ddof=1) / np.sqrt(L.size)
    assert np.array_equal(ep.returns(1.0), -L)


def test_returns_and_rewards_to_go_by_hand():
    mdp, policy = corridor()
    ep = pg.rollout.sample_episodes(mdp, policy, np.zeros(2), 40, np.random.default_rng(6))
    gamma = 0.8
    for i in range(ep.n_episodes):
        r = ep.rewards[i, ep.mask[i]]
        G = [sum(gamma**k * x for k, x in enumerate(r[t:])) for t in range(r.size)]
        assert np.isclose(ep.returns(gamma)[i], G[0])
        assert np.allclose(ep.rewards_to_go(gamma)[i, : r.size], G)
        assert not ep.rewards_to_go(gamma)[i, r.size:].any()
    assert np.allclose(ep.discounts(gamma)[:3], [1.0, 0.8, 0.64])


def test_deterministic_given_the_rng_and_pinned_stream():
    mdp, policy = corridor()
    a = pg.rollout.sample_episodes(mdp, policy, np.zeros(2), 3, np.random.default_rng(0))
    b = pg.rollout.sample_episodes(mdp, policy, np.zeros(2), 3, np.random.default_rng(0))
    for name in ("states", "actions", "rewards", "mask", "truncated"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    # executed notebooks depend on the random stream: changing how draws are made must be deliberate
    assert a.states[0, a.mask[0]].tolist() == [0, 0, 1, 2, 1, 2]
    assert a.actions[0, a.mask[0]].tolist() == [0, 1, 0, 0, 0, 1]
    assert a.states[2, a.mask[2]].tolist() == [0, 1, 2] and a.actions[2, a.mask[2]].tolist() == [1, 0, 1]
    assert a.lengths.tolist() == [6, 9, 3]


def test_per_episode_policies():
    mdp = pg.envs.bandit([1.0, 2.0, 3.0])
    arms = np.arange(300) % 3
    pi = np.zeros((300, 2, 3))
    pi[np.arange(300), :, arms] = 1.0  # episode i always pulls arm i % 3
    ep = pg.rollout.sample_from_probs(mdp, pi, 300, np.random.default_rng(7), max_steps=5)
    assert np.array_equal(ep.actions[:, 0], arms) and np.array_equal(ep.rewards[:, 0], arms + 1.0)
    assert ep.states.shape == (300, 1) and not ep.truncated.any()


def test_start_in_a_terminal_state_gives_empty_episodes():
    P = np.zeros((2, 1, 2))
    P[:, 0, 1] = 1.0
    mdp = pg.TabularMDP(P, np.zeros((2, 1)), [0.0, 1.0], 1.0, np.array([False, True]))
    ep = pg.rollout.sample_episodes(mdp, pg.SoftmaxPolicy.tabular(2, 1), np.zeros((2, 1)), 4,
                                    np.random.default_rng(8))
    assert ep.states.shape == ep.mask.shape == (4, 0) and not ep.truncated.any()
    assert np.array_equal(ep.returns(1.0), np.zeros(4)) and np.array_equal(ep.lengths, np.zeros(4))


def test_zero_probability_actions_are_never_taken():
    mdp, _ = corridor()
    pi = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])  # right, left (reversed), right
    ep = pg.rollout.sample_from_probs(mdp, pi, 1000, np.random.default_rng(9))
    assert np.all(ep.actions == [1, 0, 1]) and np.all(ep.states == [0, 1, 2]) and ep.mask.all()


def test_bad_input():
    mdp, policy = corridor()
    rng = np.random.default_rng(0)
    theta = np.zeros(2)
    with pytest.raises(ValueError, match="n_episodes must be at least 1, got 0"):
        pg.rollout.sample_episodes(mdp, policy, theta, 0, rng)
    with pytest.raises(ValueError, match="max_steps must be at least 1, got 0"):
        pg.rollout.sample_episodes(mdp, policy, theta, 5, rng, max_steps=0)
    with pytest.raises(TypeError, match="n_episodes must be an integer, got float 2.5"):
        pg.rollout.sample_episodes(mdp, policy, theta, 2.5, rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        pg.rollout.sample_episodes(mdp, policy, theta, 5, 0)
    with pytest.raises(ValueError, match=r"theta has shape \(3,\), expected \(2,\)"):
        pg.rollout.sample_episodes(mdp, policy, np.zeros(3), 5, rng)
    with pytest.raises(ValueError, match=r"policy is for \(S, A\) = \(3, 2\)"):
        pg.rollout.sample_episodes(mdp, pg.SoftmaxPolicy.tabular(3, 2), np.zeros((3, 2)), 5, rng)
    with pytest.raises(ValueError, match=r"pi has shape \(4, 3\), expected \(S, A\) = \(4, 2\) "
                                         r"or \(n_episodes, S, A\) = \(5, 4, 2\)"):
        pg.rollout.sample_from_probs(mdp, np.full((4, 3), 1 / 3), 5, rng)
    pi = np.array([[0.5, 0.6]] * 4)
    kept = pi.copy()
    with pytest.raises(ValueError, match=r"pi\[0, :\] sums to 1\.1, expected 1"):
        pg.rollout.sample_from_probs(mdp, pi, 5, rng)
    assert np.array_equal(pi, kept)
    with pytest.raises(ValueError, match=r"pi\[1, 1\] is nan"):
        pg.rollout.sample_from_probs(mdp, [[0.5, 0.5], [0.5, np.nan], [0.5, 0.5], [0.5, 0.5]], 5, rng)
    state = rng.bit_generator.state
    with pytest.raises(ValueError):
        pg.rollout.sample_episodes(mdp, policy, theta, 0, rng)
    assert rng.bit_generator.state == state  # a rejected call consumes no randomness
