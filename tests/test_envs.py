"""pgbook.envs against textbook and hand-computed values: Sutton & Barto's short corridor
(Example 13.1), bandits, chains, gridworlds and the random MDPs the property tests use."""
import numpy as np
import pytest

import pgbook as pg
from pgbook.envs import LEFT, RIGHT


def corridor_J(p):
    """Sutton & Barto (2018), Example 13.1: J(p) = (2p - 4) / (p (1 - p)) for p = Pr(right)."""
    return (2 * p - 4) / (p * (1 - p))


def book_theta(p):
    """theta with p(right) = sigmoid(theta[0] - theta[1]) = p."""
    return np.array([np.log(p / (1 - p)), 0.0])


def test_short_corridor_is_the_book_example():
    mdp = pg.envs.short_corridor()
    assert (mdp.n_states, mdp.n_actions, mdp.gamma) == (4, 2, 1.0)
    assert mdp.terminal.tolist() == [False, False, False, True] and mdp.rho.tolist() == [1, 0, 0, 0]
    moves = {(s, a): int(np.argmax(mdp.P[s, a])) for s in range(3) for a in (LEFT, RIGHT)}
    assert moves == {(0, LEFT): 0, (0, RIGHT): 1, (1, LEFT): 2, (1, RIGHT): 0, (2, LEFT): 1, (2, RIGHT): 3}
    assert np.all(mdp.P[:3].max(axis=2) == 1.0)  # deterministic
    assert np.all(mdp.R[:3] == -1.0)  # -1 on every step, including the one into the goal


def test_book_features_and_policy():
    phi = pg.envs.short_corridor_features()
    assert phi.shape == (4, 2, 2)
    assert np.all(phi[:, RIGHT] == [1, 0]) and np.all(phi[:, LEFT] == [0, 1])
    policy = pg.SoftmaxPolicy(phi)
    theta = np.array([0.7, -0.4])
    assert np.allclose(policy.probs(theta)[:, RIGHT], 1 / (1 + np.exp(-(0.7 + 0.4))))


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 2 - np.sqrt(2), 0.8, 0.95])
def test_corridor_J_and_its_gradient_match_the_closed_form(p):
    mdp, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = book_theta(p)
    assert np.isclose(pg.exact.expected_return(mdp, policy, theta), corridor_J(p), rtol=1e-12)
    # chain rule through p = sigmoid(theta0 - theta1): dJ/dtheta0 = J'(p) p (1 - p) = -dJ/dtheta1
    dJ_dp = (2 * p * (1 - p) - (2 * p - 4) * (1 - 2 * p)) / (p * (1 - p)) ** 2
    expected = dJ_dp * p * (1 - p) * np.array([1.0, -1.0])
    assert np.allclose(pg.exact.policy_gradient(mdp, policy, theta), expected, rtol=1e-9, atol=1e-9)


def test_corridor_optimum_is_the_textbook_value():
    p_star = 2 - np.sqrt(2)
    assert np.isclose(corridor_J(p_star), -11.656854249492381, rtol=1e-14)  # = -(6 + 4 sqrt 2)
    mdp, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    J = pg.exact.expected_return(mdp, policy, book_theta(p_star))
    assert round(J, 4) == -11.6569 and np.isclose(J, -4 * np.sqrt(2) - 6)
    assert np.allclose(pg.exact.policy_gradient(mdp, policy, book_theta(p_star)), 0.0, atol=1e-12)
    grid = np.linspace(0.01, 0.99, 981)
    Js = pg.exact.expected_return_many(mdp, np.stack([policy.probs(book_theta(p)) for p in grid]))
    assert np.allclose(Js, corridor_J(grid), rtol=1e-9)
    assert abs(grid[int(np.argmax(Js))] - p_star) < 1e-3 and max(Js) <= J


def test_bandit():
    means = [0.5, -1.0, 2.0]
    mdp = pg.envs.bandit(means)
    assert (mdp.n_states, mdp.n_actions, mdp.gamma) == (2, 3, 1.0) and mdp.terminal.tolist() == [False, True]
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    theta = np.array([0.3, 0.1, -0.2])
    pi = policy.probs(theta)[0]
    assert np.isclose(pg.exact.expected_return(mdp, policy, theta), pi @ means)
    phi = pg.envs.state_blind_features(2, 3)
    assert phi.shape == (2, 3, 3) and np.array_equal(phi[1], np.eye(3)) and phi.flags.writeable
    with pytest.raises(ValueError, match=r"means\[1\] is nan"):
        pg.envs.bandit([0.0, np.nan])
    with pytest.raises(ValueError, match=r"means must have 1 dimensions, got shape \(1, 2\)"):
        pg.envs.bandit([[0.0, 1.0]])


@pytest.mark.parametrize("n, gamma", [(2, 0.9), (5, 0.9), (7, 0.5)])
def test_chain_without_slip_by_hand(n, gamma):
    mdp = pg.envs.chain(n, slip=0.0, gamma=gamma)
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(n, 2))
    # always right: the reward 1 arrives on the (n - 1)-th step, discounted gamma^(n - 2)
    V = pg.exact.evaluate(mdp, policy.probs(np.array([-50.0, 50.0]))).V
    assert np.allclose(V, [gamma ** (n - 2 - s) for s in range(n - 1)] + [0.0])
    assert mdp.terminal.tolist() == [False] * (n - 1) + [True]


def test_chain_with_slip():
    mdp = pg.envs.chain(4, slip=0.2, gamma=0.9)
    assert np.isclose(mdp.P[0, LEFT, 0], 0.8) and np.isclose(mdp.P[0, LEFT, 1], 0.2)
    assert np.isclose(mdp.P[2, RIGHT, 3], 0.8) and np.isclose(mdp.P[2, RIGHT, 1], 0.2)
    assert np.allclose(mdp.R, [[0, 0], [0, 0], [0.2, 0.8], [0, 0]])
    with pytest.raises(ValueError, match="a chain needs n >= 2 states, got 1"):
        pg.envs.chain(1)
    with pytest.raises(ValueError, match=r"slip must lie in \[0, 1\], got 1\.5"):
        pg.envs.chain(4, slip=1.5)
    for n in (4.0, 2.9, True, "4"):  # Issue 11 B7: no silent int(2.9) == 2
        with pytest.raises(TypeError, match=f"n must be an integer, got {type(n).__name__}"):
            pg.envs.chain(n)
    assert pg.envs.chain(np.int64(4)).n_states == 4
    with pytest.raises(ValueError, match=r"gamma must lie in \[0, 1\], got 2\.0"):
        pg.envs.chain(4, gamma=2.0)


def test_gridworld_default_layout():
    mdp = pg.envs.gridworld(slip=0.1, gamma=0.95)
    xy = pg.envs.grid_coordinates()
    assert mdp.n_states == len(xy) == 11 and mdp.n_actions == 4 and mdp.gamma == 0.95
    assert [1, 1] not in xy.tolist()  # the wall
    index = {tuple(c): i for i, c in enumerate(xy.tolist())}
    goal, pit, start, left_of_goal = index[(0, 3)], index[(1, 3)], index[(2, 0)], index[(0, 2)]
    assert np.flatnonzero(mdp.terminal).tolist() == sorted([goal, pit]) and mdp.rho[start] == 1.0
    # RIGHT next to the goal: 0.9 + 0.1 / 4 of landing there; UP at the top edge stays put
    assert np.isclose(mdp.P[left_of_goal, 1, goal], 0.925) and np.isclose(mdp.R[left_of_goal, 1], 0.925)
    assert np.isclose(mdp.P[left_of_goal, 0, left_of_goal], 0.9 + 0.1 / 4)  # only UP hits an edge
    below_wall = index[(2, 1)]
    # UP bumps into the wall and stays put; so does a slip DOWN off the bottom edge
    assert np.isclose(mdp.P[below_wall, 0, below_wall], 0.9 + 0.1 / 4 * 2)
    assert np.isclose(mdp.R[index[(2, 3)], 0], -0.925)  # UP from below the pit


def test_gridworld_custom_and_bad_layouts():
    mdp = pg.envs.gridworld(["S.G"], slip=0.0, gamma=1.0, step_reward=-0.1)
    assert mdp.n_states == 3 and np.isclose(mdp.R[1, 1], 0.9) and np.isclose(mdp.R[0, 3], -0.1)
    with pytest.raises(ValueError, match=r"layout rows must all have the same length, got lengths \[3, 2\]"):
        pg.envs.gridworld(["S.G", ".."])
    with pytest.raises(ValueError, match=r"layout may only contain '\.#SGX', found \['Z'\]"):
        pg.envs.gridworld(["SZG"])
    with pytest.raises(ValueError, match="layout needs a start 'S' and at least one terminal cell"):
        pg.envs.gridworld(["..G"])


@pytest.mark.parametrize("layout, exc, pattern", [
    (["S.G", ".."], ValueError, r"layout rows must all have the same length, got lengths \[3, 2\]"),
    (("S.G", "...", "."), ValueError, r"layout rows must all have the same length, got lengths \[3, 3, 1\]"),
    (["", "S.G"], ValueError, r"layout rows must all have the same length, got lengths \[0, 3\]"),
    ([], ValueError, r"layout must have at least one row and one column, got \[\]"),
    (("",), ValueError, r"layout must have at least one row and one column"),
    ("S..G", TypeError, r"layout must be a list or tuple of row strings, got str 'S\.\.G'"),  # not a column
    ([["S", ".", "G"]], TypeError, r"layout\[0\] must be a string such as 'S\.\.G', got list"),
    (["S.G", 3], TypeError, r"layout\[1\] must be a string such as 'S\.\.G', got int 3"),
])
def test_gridworld_refuses_ragged_and_malformed_layouts(layout, exc, pattern):
    for build in (pg.envs.gridworld, pg.envs.grid_coordinates):
        with pytest.raises(exc, match=pattern):
            build(layout)


def test_gridworld_hyperparameters_are_checked():
    with pytest.raises(ValueError, match=r"slip must lie in \[0, 1\], got -0\.1"):
        pg.envs.gridworld(slip=-0.1)
    with pytest.raises(ValueError, match="step_reward must be a finite number, got nan"):
        pg.envs.gridworld(step_reward=float("nan"))
    with pytest.raises(TypeError, match="step_reward must be a real number, got str"):
        pg.envs.gridworld(step_reward="-1")
    with pytest.raises(ValueError, match=r"gamma must lie in \[0, 1\], got 1\.5"):
        pg.envs.gridworld(gamma=1.5)
    layout = ["S.", ".G"]
    kept = list(layout)
    assert pg.envs.gridworld(layout).n_states == 4 and layout == kept


def test_random_mdp():
    a = pg.envs.random_mdp(5, 3, np.random.default_rng(0), gamma=0.8, n_terminal=2)
    b = pg.envs.random_mdp(5, 3, np.random.default_rng(0), gamma=0.8, n_terminal=2)
    assert np.array_equal(a.P, b.P) and np.array_equal(a.R, b.R) and np.array_equal(a.rho, b.rho)
    assert a.terminal.tolist() == [False, False, False, True, True] and a.gamma == 0.8
    assert np.all(a.rho[3:] == 0) and np.all(a.R[3:] == 0) and np.all(a.P[:3][:, :, 3:].sum(axis=2) > 0)
    assert pg.envs.random_mdp(np.int64(4), np.int32(2), np.random.default_rng(0), n_terminal=np.int64(1)).n_states == 4


@pytest.mark.parametrize("args, kwargs, exc, pattern", [
    ((5, 3), dict(n_terminal=5), ValueError, r"n_terminal must be in \[0, n_states\) = \[0, 5\), got 5"),
    ((5, 3), dict(n_terminal=-1), ValueError, r"n_terminal must be at least 0, got -1"),
    ((5, 3), dict(n_terminal=1.0), TypeError, r"n_terminal must be an integer, got float 1\.0"),
    ((5, 3), dict(n_terminal=True), TypeError, r"n_terminal must be an integer, got bool"),
    ((5, 0), {}, ValueError, "n_actions must be at least 1, got 0"),
    ((2.9, 2), {}, TypeError, r"n_states must be an integer, got float 2\.9"),  # not a silent S = 2
    ((3, "2"), {}, TypeError, r"n_actions must be an integer, got str '2'"),
    ((5, 3), dict(gamma=1.0), ValueError, r"gamma = 1 needs n_terminal >= 1"),
    ((5, 3), dict(gamma="0.9"), TypeError, r"gamma must be a real number, got str"),
])
def test_random_mdp_refuses_bad_arguments(args, kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        pg.envs.random_mdp(*args, np.random.default_rng(0), **kwargs)


@pytest.mark.parametrize("rng, kind", [(0, "int"), (None, "NoneType"), (np.random.RandomState(0), "RandomState")])
def test_random_mdp_refuses_anything_but_a_generator(rng, kind):
    with pytest.raises(TypeError, match=f"rng must be a numpy Generator, got {kind}"):
        pg.envs.random_mdp(5, 3, rng)


def test_feature_and_bandit_sizes_are_checked():
    with pytest.raises(TypeError, match=r"n_actions must be an integer, got float 3\.0"):
        pg.envs.state_blind_features(2, 3.0)
    with pytest.raises(ValueError, match="n_states must be at least 1, got 0"):
        pg.envs.state_blind_features(0, 3)
    with pytest.raises(ValueError, match="means must hold at least one arm's mean reward, got an empty array"):
        pg.envs.bandit([])
    with pytest.raises(TypeError, match="means must be an array of numbers, got strings"):
        pg.envs.bandit(["1", "2"])
    means = np.array([1.0, 2.0])
    mdp = pg.envs.bandit(means)
    means[0] = 5.0  # the MDP holds its own copy
    assert mdp.R[0].tolist() == [1.0, 2.0]
