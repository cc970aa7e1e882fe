"""Toy MDPs for the notebooks and tests (first used in notebook 03).

Actions in the corridor and the chain are LEFT = 0, RIGHT = 1; in the gridworld UP, RIGHT, DOWN,
LEFT = 0, 1, 2, 3. Terminal states are absorbing and end the episode.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ._checks import as_float_array, check_int, check_positive_int, check_real, check_rng
from .mdp import TabularMDP

LEFT, RIGHT = 0, 1
GRID_MOVES = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)])  # UP, RIGHT, DOWN, LEFT as (drow, dcol)
DEFAULT_LAYOUT = ("...G",
                  ".#.X",
                  "S...")


def _absorbing(P: np.ndarray, terminal: np.ndarray) -> None:
    """Make terminal states self-loops (their rows are ignored, but P must stay a distribution)."""
    for s in np.flatnonzero(terminal):
        P[s] = 0.0
        P[s, :, s] = 1.0


def bandit(means: Sequence[float] | np.ndarray) -> TabularMDP:
    """K-armed bandit: state 0 chooses an arm, reward means[a], then the episode ends (state 1)."""
    means = as_float_array("means", means, ndim=1)
    K = means.size
    if K == 0:
        raise ValueError("means must hold at least one arm's mean reward, got an empty array")
    P = np.zeros((2, K, 2))
    P[:, :, 1] = 1.0
    R = np.vstack([means, np.zeros(K)])
    return TabularMDP(P, R, rho=[1.0, 0.0], gamma=1.0, terminal=np.array([False, True]))


def state_blind_features(n_states: int, n_actions: int) -> np.ndarray:
    """phi[s, a] = e_a, the same in every state: theta (A,) is one preference per action. (S, A, A)."""
    n_states, n_actions = check_positive_int("n_states", n_states), check_positive_int("n_actions", n_actions)
    return np.broadcast_to(np.eye(n_actions), (n_states, n_actions, n_actions)).copy()


def short_corridor() -> TabularMDP:
    """Sutton & Barto (2018), Example 13.1: three states, actions reversed in the second one.

    States 0, 1, 2 are non-terminal, 3 is the goal. Reward -1 on every step, gamma = 1, start in 0.
    """
    P = np.zeros((4, 2, 4))
    P[0, LEFT, 0] = P[0, RIGHT, 1] = 1.0  # left at the wall stays put
    P[1, LEFT, 2] = P[1, RIGHT, 0] = 1.0  # the reversed state
    P[2, LEFT, 1] = P[2, RIGHT, 3] = 1.0
    terminal = np.array([False, False, False, True])
    _absorbing(P, terminal)
    R = np.where(terminal[:, None], 0.0, -1.0) * np.ones((4, 2))
    return TabularMDP(P, R, rho=[1.0, 0.0, 0.0, 0.0], gamma=1.0, terminal=terminal)


def short_corridor_features() -> np.ndarray:
    """The book's state-blind features x(s, right) = [1, 0], x(s, left) = [0, 1]: (4, 2, 2).

    With these, SoftmaxPolicy(phi) is the book's policy and theta[0] - theta[1] is the log-odds of right.
    """
    return state_blind_features(4, 2)[:, ::-1, :].copy()


def chain(n: int = 5, slip: float = 0.1, gamma: float = 0.9) -> TabularMDP:
    """n states in a row, start at 0, goal (terminal, reward +1 on entering) at n - 1.

    Each move goes the other way with probability slip; moving left at state 0 stays there.
    """
    n = check_positive_int("n", n)
    if n < 2:
        raise ValueError(f"a chain needs n >= 2 states, got {n}")
    slip = check_real("slip", slip, 0.0, 1.0)
    P = np.zeros((n, 2, n))
    for s in range(n - 1):
        left, right = max(s - 1, 0), s + 1
        P[s, LEFT, left] += 1 - slip
        P[s, LEFT, right] += slip
        P[s, RIGHT, right] += 1 - slip
        P[s, RIGHT, left] += slip
    terminal = np.arange(n) == n - 1
    _absorbing(P, terminal)
    R = P[:, :, n - 1] * ~terminal[:, None]  # expected reward = Pr(entering the goal)
    rho = np.eye(n)[0]
    return TabularMDP(P, R, rho, gamma, terminal)


def _rows(layout: Sequence[str]) -> list[str]:
    """The layout's rows after checking them: a list or tuple of equally long strings of '.#SGX'."""
    if isinstance(layout, str) or not isinstance(layout, (list, tuple)):
        raise TypeError(f"layout must be a list or tuple of row strings, got {type(layout).__name__} "
                        f"{layout!r}")
    rows = list(layout)
    for i, row in enumerate(rows):
        if not isinstance(row, str):
            raise TypeError(f"layout[{i}] must be a string such as 'S..G', got {type(row).__name__} {row!r}")
    if len({len(r) for r in rows}) > 1:
        raise ValueError(f"layout rows must all have the same length, got lengths {[len(r) for r in rows]}")
    if not rows or not rows[0]:
        raise ValueError(f"layout must have at least one row and one column, got {layout!r}")
    bad = sorted({ch for r in rows for ch in r} - set(".#SGX"))
    if bad:
        raise ValueError(f"layout may only contain '.#SGX', found {bad}")
    return rows


def grid_coordinates(layout: Sequence[str] = DEFAULT_LAYOUT) -> np.ndarray:
    """(row, col) of every state of `gridworld(layout)`: (S, 2). States are non-wall cells, row-major."""
    rows = _rows(layout)
    return np.array([(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch != "#"])


def gridworld(layout: Sequence[str] = DEFAULT_LAYOUT, slip: float = 0.1, gamma: float = 0.95,
              step_reward: float = 0.0) -> TabularMDP:
    """Grid from strings: '.' free, '#' wall, 'S' start, 'G' goal (+1), 'X' pit (-1).

    G and X are terminal; the reward is earned on entering them. Actions UP, RIGHT, DOWN, LEFT; with
    probability slip the move goes in a uniformly random direction; bumping a wall or edge stays put.
    """
    rows = _rows(layout)
    slip = check_real("slip", slip, 0.0, 1.0)
    step_reward = check_real("step_reward", step_reward)
    cells = grid_coordinates(rows)
    index = {tuple(rc): i for i, rc in enumerate(cells)}
    kind = np.array([rows[r][c] for r, c in cells])
    if "S" not in kind or not ({"G", "X"} & set(kind)):
        raise ValueError("layout needs a start 'S' and at least one terminal cell 'G' or 'X'")
    S = len(cells)
    step = np.zeros((S, 4), dtype=int)  # where each deterministic move lands
    for i, (r, c) in enumerate(cells):
        for a, (dr, dc) in enumerate(GRID_MOVES):
            step[i, a] = index.get((r + dr, c + dc), i)
    P = np.zeros((S, 4, S))
    for a in range(4):
        P[np.arange(S), a, step[:, a]] += 1 - slip
        for b in range(4):
            P[np.arange(S), a, step[:, b]] += slip / 4
    terminal = np.isin(kind, ["G", "X"])
    _absorbing(P, terminal)
    bonus = np.select([kind == "G", kind == "X"], [1.0, -1.0], 0.0)
    R = (P @ bonus + step_reward) * ~terminal[:, None]
    rho = (kind == "S") / np.sum(kind == "S")
    return TabularMDP(P, R, rho, gamma, terminal)


def random_mdp(n_states: int, n_actions: int, rng: np.random.Generator, gamma: float = 0.9,
               n_terminal: int = 0) -> TabularMDP:
    """Dense random MDP for tests: Dirichlet(1) transitions and start, N(0, 1) rewards.

    The last n_terminal states are terminal; every state reaches them with positive probability,
    so gamma = 1 is allowed when n_terminal >= 1. Every argument is checked before the first draw.
    """
    rng = check_rng(rng)
    S, A = check_positive_int("n_states", n_states), check_positive_int("n_actions", n_actions)
    n_terminal = check_int("n_terminal", n_terminal)
    if n_terminal >= S:
        raise ValueError(f"n_terminal must be in [0, n_states) = [0, {S}), got {n_terminal}")
    gamma = check_real("gamma", gamma, 0.0, 1.0)
    if gamma == 1 and n_terminal == 0:
        raise ValueError("gamma = 1 needs n_terminal >= 1: with no terminal state episodes never end "
                         "and every return is infinite")
    P = rng.dirichlet(np.ones(S), size=(S, A))
    terminal = np.arange(S) >= S - n_terminal
    _absorbing(P, terminal)
    R = rng.normal(size=(S, A)) * ~terminal[:, None]
    rho = np.zeros(S)
    rho[~terminal] = rng.dirichlet(np.ones(S - n_terminal))
    return TabularMDP(P, R, rho, gamma, terminal)
