"""pgbook.rollout against independent answers: the tables it samples from (frequencies within 4
standard errors), the corridor's expected episode length, hand-computed returns, and a pinned stream."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def plain_loop(mdp, pi, n_episodes, rng, max_steps):
    """The documented draw order written as plain loops over time and episodes, with bisect."""
    import bisect

    def outcome(p, u):  # inverse transform over the positive-probability outcomes, in index order
        support = [k for k in range(len(p)) if p[k] > 0]
        cum = np.cumsum([p[k] for k in support])[:-1].tolist()
        return support[bisect.bisect_left(cum, u)]

    s = [outcome(mdp.rho, u) for u in rng.random(n_episodes).tolist()]
    steps = [[] for _ in range(n_episodes)]
    running = [i for i in range(n_episodes) if not mdp.terminal[s[i]]]
    for _ in range(max_steps):
        if not running:
            break
        u = rng.random(2 * len(running)).tolist()
        table = [pi[i] if pi.ndim == 3 else pi for i in running]
        a = [outcome(table[j][s[i]], u[j]) for j, i in enumerate(running)]
        for j, i in enumerate(running):
            steps[i].append((s[i], a[j]))
            s[i] = outcome(mdp.P[s[i], a[j]], u[len(running) + j])
        running = [i for i in running if not mdp.terminal[s[i]]]
    return steps, running  # running: the episodes cut at max_steps


@pytest.mark.parametrize("per_episode", [False, True])
def test_a_plain_loop_reproduces_the_documented_draw_order(per_episode):
    rng = np.random.default_rng(30)
    mdp = pg.envs.random_mdp(5, 3, rng, gamma=0.9, n_terminal=1)
    P = mdp.P.copy()
    P[0, 1] = [0.0, 0.5, 0.0, 0.5, 0.0]  # a sparse row: zero-probability outcomes are skipped
    mdp = pg.TabularMDP(P, mdp.R, mdp.rho, mdp.gamma, mdp.terminal)
    pi = pg.SoftmaxPolicy.tabular(5, 3).probs(rng.normal(size=(5, 3)))
    if per_episode:
        pi = np.stack([pg.SoftmaxPolicy.tabular(5, 3).probs(rng.normal(size=(5, 3))) for _ in range(40)])
    ep = pg.rollout.sample_from_probs(mdp, pi, 40, np.random.default_rng(31), max_steps=3)
    steps, cut = plain_loop(mdp, pi, 40, np.random.default_rng(31), max_steps=3)
    for i in range(40):
        L = ep.lengths[i]
        assert list(zip(ep.states[i, :L].tolist(), ep.actions[i, :L].tolist())) == steps[i]
    assert np.flatnonzero(ep.truncated).tolist() == cut and 0 < len(cut) < 40
    assert any(step == (0, 1) for st in steps for step in st)  # the sparse row was drawn from


def test_compact_layout_is_time_major_and_matches_the_padded_views():
    mdp = pg.envs.random_mdp(5, 3, np.random.default_rng(32), gamma=0.9, n_terminal=1)
    ep = pg.rollout.sample_episodes(mdp, pg.SoftmaxPolicy.tabular(5, 3), np.zeros((5, 3)), 300,
                                    np.random.default_rng(33), max_steps=10)
    assert ep.n_steps == ep.lengths.sum() == ep.mask.sum() and ep.T == ep.lengths.max() == ep.offsets.size - 1
    assert np.all(np.diff(ep.step_time) >= 0)  # time-major
    for t in range(ep.T):  # at time t: the episodes longer than t, in increasing order
        block = slice(ep.offsets[t], ep.offsets[t + 1])
        assert ep.step_episode[block].tolist() == np.flatnonzero(ep.lengths > t).tolist()
        assert np.all(ep.step_time[block] == t)
    i, t = ep.step_episode, ep.step_time
    assert np.array_equal(ep.states[i, t], ep.step_state) and np.array_equal(ep.actions[i, t], ep.step_action)
    assert np.array_equal(ep.rewards[i, t], ep.step_reward) and ep.max_steps == 10
    nxt = ep.next_step
    has = nxt >= 0
    assert np.array_equal(ep.step_episode[nxt[has]], i[has]) and np.array_equal(t[nxt[has]], t[has] + 1)
    assert np.array_equal(np.sort(t[~has]), np.sort(ep.lengths - 1)[ep.lengths > 0])
    for view in (ep.states, ep.actions, ep.rewards, ep.mask, ep.step_state, ep.truncated):
        assert not view.flags.writeable  # read-only: cached views cannot be corrupted
    with pytest.raises(AttributeError, match="Episodes is read-only"):
        ep.truncated = np.zeros(300, bool)
    assert ep.states is ep.states  # built once


def test_from_padded_round_trip_select_and_with_rewards():
    mdp, policy = corridor()
    ep = pg.rollout.sample_episodes(mdp, policy, np.zeros(2), 50, np.random.default_rng(34), max_steps=8)
    back = pg.rollout.Episodes.from_padded(ep.states, ep.actions, ep.rewards, ep.mask, ep.truncated, max_steps=8)
    for name in ("step_episode", "step_state", "step_action", "step_reward", "offsets", "truncated"):
        assert np.array_equal(getattr(back, name), getattr(ep, name)), name
    # padding values are ignored; a wider padded array keeps its width
    wide = np.pad(ep.states, ((0, 0), (0, 3)), constant_values=7)
    other = pg.rollout.Episodes.from_padded(wide, np.pad(ep.actions, ((0, 0), (0, 3))),
                                            np.pad(ep.rewards, ((0, 0), (0, 3))), np.pad(ep.mask, ((0, 0), (0, 3))),
                                            ep.truncated, max_steps=11 if not ep.truncated.any() else 8)
    assert other.T == ep.T + 3 and np.array_equal(other.returns(0.9), ep.returns(0.9))
    rows = [7, 2, 30]
    sub = ep.select(rows)
    assert sub.n_episodes == 3 and sub.T == ep.lengths[rows].max()
    for name in ("states", "actions", "rewards", "mask"):
        assert np.array_equal(getattr(sub, name), getattr(ep, name)[rows, : sub.T]), name
    assert np.array_equal(sub.truncated, ep.truncated[rows])
    assert np.array_equal(ep.select(ep.lengths > 5).lengths, ep.lengths[ep.lengths > 5])
    assert ep.select(slice(0, 0)).n_episodes == 0
    more = ep.with_rewards(ep.rewards + 2.0)  # padding ignored: only steps change
    assert np.array_equal(more.rewards, (ep.rewards + 2.0) * ep.mask)
    assert np.array_equal(more.returns(1.0), ep.returns(1.0) + 2.0 * ep.lengths)
    assert np.array_equal(ep.with_rewards(ep.step_reward * 0).returns(1.0), np.zeros(50))
    assert np.array_equal(ep.rewards, mdp.R[ep.states, ep.actions] * ep.mask)  # the original is unchanged


def test_discounted_sums_by_hand():
    mdp, policy = corridor()
    ep = pg.rollout.sample_episodes(mdp, policy, np.zeros(2), 30, np.random.default_rng(35))
    x = np.random.default_rng(36).normal(size=ep.n_steps)
    X = ep.to_padded(x)
    y = ep.to_padded(ep.discounted_sums(x, 0.7))
    for i in range(30):
        L = ep.lengths[i]
        assert np.allclose(y[i, :L], [sum(0.7**k * X[i, t + k] for k in range(L - t)) for t in range(L)])
        assert not y[i, L:].any()


def test_episodes_bad_input():
    mdp, policy = corridor()
    ep = pg.rollout.sample_episodes(mdp, policy, np.zeros(2), 6, np.random.default_rng(37), max_steps=4)
    E = pg.rollout.Episodes
    fields = dict(step_episode=ep.step_episode, step_state=ep.step_state, step_action=ep.step_action,
                  step_reward=ep.step_reward, offsets=ep.offsets, truncated=ep.truncated, max_steps=4)
    E(**fields)  # the valid layout is accepted
    swapped = ep.step_episode.copy()
    swapped[[0, 1]] = swapped[[1, 0]]
    bad = [
        (dict(step_state=ep.step_state.astype(float)), TypeError, "step_state must be an array of integers"),
        (dict(step_reward=ep.step_reward[:-1]), ValueError, "step_reward has shape"),
        (dict(step_episode=swapped), ValueError, "time-major layout"),
        (dict(step_episode=ep.step_episode + 6), ValueError, r"step_episode\[0\] is 6, expected < N = 6"),
        (dict(offsets=ep.offsets[:-1]), ValueError, "offsets must run from 0 to n_steps"),
        (dict(max_steps=2), ValueError, "expected at most max_steps = 2"),
        (dict(truncated=ep.truncated.astype(int)), TypeError, "truncated must be a boolean array"),
        (dict(step_action=-ep.step_action - 1), ValueError, "expected a non-negative index"),
    ]
    for change, error, match in bad:
        with pytest.raises(error, match=match):
            E(**{**fields, **change})
    mask = ep.mask.copy()
    mask[0, 0] = False  # a hole at the start of episode 0
    with pytest.raises(ValueError, match=r"mask\[0, 0\] is False, expected the steps of an episode to come first"):
        E.from_padded(ep.states, ep.actions, ep.rewards, mask, ep.truncated)
    with pytest.raises(TypeError, match="mask must be a two-dimensional boolean array"):
        E.from_padded(ep.states, ep.actions, ep.rewards, ep.mask.astype(int), ep.truncated)
    with pytest.raises(ValueError, match=r"rewards has shape \(6, 2\)"):
        E.from_padded(ep.states, ep.actions, ep.rewards[:, :2], ep.mask, ep.truncated)
    if ep.truncated.any():
        with pytest.raises(ValueError, match="where truncated is True"):
            E.from_padded(ep.states, ep.actions, ep.rewards, ep.mask, ep.truncated, max_steps=9)
    with pytest.raises(ValueError, match="rows must not repeat an episode"):
        ep.select([1, 1])
    with pytest.raises(ValueError, match="rows must be a boolean mask of shape"):
        ep.select([9])
    with pytest.raises(ValueError, match=r"rewards has shape \(3,\), expected padded"):
        ep.with_rewards(np.zeros(3))
    with pytest.raises(ValueError, match=r"x has shape \(2,\), expected \(n_steps,\)"):
        ep.discounted_sums(np.zeros(2), 0.5)


@settings(max_examples=30)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_any_padded_batch_round_trips_and_selects(lengths, seed):
    rng = np.random.default_rng(seed)
    L = np.array(lengths)
    N, T = L.size, int(L.max()) + 1
    mask = np.arange(T) < L[:, None]
    states, actions = rng.integers(0, 5, size=(N, T)), rng.integers(0, 3, size=(N, T))
    rewards = rng.normal(size=(N, T))
    ep = pg.rollout.Episodes.from_padded(states, actions, rewards, mask, np.zeros(N, bool))
    assert ep.T == T and np.array_equal(ep.lengths, L) and np.array_equal(ep.mask, mask)
    for name, x in (("states", states), ("actions", actions), ("rewards", rewards)):
        assert np.array_equal(getattr(ep, name), np.where(mask, x, 0)), name
    # the compact constructor accepts the layout from_padded made
    same = pg.rollout.Episodes(ep.step_episode, ep.step_state, ep.step_action, ep.step_reward, ep.offsets,
                               ep.truncated)
    assert np.array_equal(same.rewards, ep.rewards)
    rows = rng.permutation(N)[: rng.integers(1, N + 1)]  # any order, so select must re-sort steps
    sub = ep.select(rows)
    width = int(L[rows].max())
    for name in ("states", "actions", "rewards", "mask"):
        assert np.array_equal(getattr(sub, name), getattr(ep, name)[rows, :width]), name
    assert np.allclose(sub.returns(0.9), ep.returns(0.9)[rows])
    assert np.allclose(sub.rewards_to_go(0.9), ep.rewards_to_go(0.9)[rows, :width])
