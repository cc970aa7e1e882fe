"""`Episodes` (public as `pgbook.rollout.Episodes`): N episodes stored step by step, time-major.

Step k of a batch (0 <= k < n_steps) is step t = step_time[k] of episode i = step_episode[k], with
state step_state[k], action step_action[k] and reward step_reward[k]. The steps at time t are
k in offsets[t] : offsets[t + 1], in increasing episode order, and episode i has steps at times
0, 1, ..., lengths[i] - 1. That is the order in which `rollout.sample_episodes` produces steps, so
storing a batch costs nothing, and sums over steps (returns, visit counts) are single `np.bincount`
calls over n_steps entries instead of N x T. The padded (N, T) arrays `states`, `actions`,
`rewards`, `mask` are built on first use and cached, read-only; T is the padded width (the longest
episode of a sampled batch). Padding entries are 0.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_real
from ._layout import checked_steps, steps_from_padded

_ARRAYS = ("step_episode", "step_state", "step_action", "step_reward", "offsets", "truncated")
_REWARD_FREE = ("lengths", "step_time", "next_step", "_flat", "_visit_index", "mask", "states", "actions")


def backward_sums(x: np.ndarray, c: float) -> np.ndarray:
    """y_t = x_t + c y_{t+1} along the last axis of a padded array x (..., T), y = 0 after the end
    (zero padding at the end stays zero): with x = rewards and c = gamma, the rewards to go G_t.
    A recursion, not sum_t' c^(t'-t) x_t' / c^t, which divides by c^t = 0 for long rows and small c."""
    if c == 1.0:  # the book's examples: a reversed cumsum does the same additions
        return np.cumsum(x[..., ::-1], axis=-1)[..., ::-1]
    from scipy.signal import lfilter  # imported here: scipy.signal takes ~0.5 s to import

    return lfilter([1.0], [1.0, -c], x[..., ::-1], axis=-1)[..., ::-1]

class Episodes:
    """A batch of N episodes, compact and time-major (module docstring); read-only.

    Compact (per step): step_episode, step_state, step_action (n_steps,) int64, step_reward
    (n_steps,) float64, step_time, next_step (n_steps,), offsets (T + 1,). Per episode:
    truncated (N,) bool (cut at max_steps without reaching a terminal state), lengths (N,).
    Padded views (N, T): states, actions (int64), rewards (float64), mask (bool), zero on padding;
    `to_padded` and `as_steps` convert between the two layouts. Build a batch with
    `rollout.sample_episodes` or `Episodes.from_padded`; `select` and `with_rewards` derive others.
    """

    def __init__(self, step_episode: ArrayLike, step_state: ArrayLike, step_action: ArrayLike,
                 step_reward: ArrayLike, offsets: ArrayLike, truncated: ArrayLike,
                 max_steps: int | None = None) -> None:
        """Check a compact layout (ValueError naming the field and value); arrays are copied."""
        self._set(*checked_steps(step_episode, step_state, step_action, step_reward, offsets, truncated,
                                 max_steps))

    @classmethod
    def _trusted(cls, *fields) -> "Episodes":
        """A batch from arrays already in the layout (the sampler's, `select`'s): no O(n_steps) checks."""
        self = cls.__new__(cls)
        self._set(*fields)
        return self

    def _set(self, *fields) -> None:
        for name, value in zip(_ARRAYS + ("max_steps",), fields):
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"Episodes is read-only (cannot set {name}); see with_rewards and select")

    def __repr__(self) -> str:
        return (f"Episodes(n_episodes={self.n_episodes}, n_steps={self.n_steps}, T={self.T}, "
                f"truncated={int(self.truncated.sum())}, max_steps={self.max_steps})")

    @property
    def n_episodes(self) -> int:
        return self.truncated.size

    @property
    def n_steps(self) -> int:
        return self.step_episode.size

    @property
    def T(self) -> int:
        """The padded width: the longest episode for a sampled batch."""
        return self.offsets.size - 1

    @cached_property
    def lengths(self) -> np.ndarray:
        """Number of steps of each episode: (N,)."""
        return _frozen(np.bincount(self.step_episode, minlength=self.n_episodes))

    @cached_property
    def step_time(self) -> np.ndarray:
        """t of every step: (n_steps,)."""
        return _frozen(np.repeat(np.arange(self.T), np.diff(self.offsets)))

    @cached_property
    def next_step(self) -> np.ndarray:
        """Index of the same episode's step at t + 1, or -1 after its last step: (n_steps,)."""
        t = self.step_time
        goes_on = self.lengths[self.step_episode] > t + 1
        # the episodes that go on keep their order at t + 1: step k's next is at offsets[t + 1] plus
        # the number of steps before k at time t that go on too
        c = np.cumsum(goes_on)
        before = np.concatenate([[0], c])[self.offsets[:-1]]  # steps going on before time t's block
        return _frozen(np.where(goes_on, self.offsets[1:][t] + c - 1 - before[t], -1))

    def visit_index(self, n_states: int, n_actions: int) -> np.ndarray:
        """(i * S + s_t) * A + a_t for every step: the flat index of (episode, state, action) in an
        (N, S, A) array, (n_steps,); cached per (S, A), since every score sum needs it."""
        cache = self.__dict__.setdefault("_visit_index", {})
        if (n_states, n_actions) not in cache:
            cache[n_states, n_actions] = _frozen((self.step_episode * n_states + self.step_state) * n_actions
                                                 + self.step_action)
        return cache[n_states, n_actions]

    @cached_property
    def _flat(self) -> np.ndarray:
        return self.step_episode * self.T + self.step_time  # position of each step in an (N, T) array

    def to_padded(self, values: ArrayLike) -> np.ndarray:
        """Per-step values (n_steps,) as an (N, T) array, zero on padding (dtype kept)."""
        values = np.asarray(values)
        if values.shape != (self.n_steps,):
            raise ValueError(f"values has shape {values.shape}, expected (n_steps,) = ({self.n_steps},)")
        out = np.zeros(self.n_episodes * self.T, dtype=values.dtype)
        out[self._flat] = values
        return out.reshape(self.n_episodes, self.T)

    def as_steps(self, name: str, values: ArrayLike) -> np.ndarray:
        """Finite numbers given padded (N, T) (padding ignored) or per step (n_steps,), per step: (n_steps,)."""
        x = as_float_array(name, values)
        if x.shape == (self.n_episodes, self.T):
            return x[self.step_episode, self.step_time]
        if x.shape != (self.n_steps,):
            raise ValueError(f"{name} has shape {x.shape}, expected padded (N, T) = "
                             f"{(self.n_episodes, self.T)} or per step (n_steps,) = ({self.n_steps},)")
        return x

    @cached_property
    def mask(self) -> np.ndarray:
        """True on the steps of each episode, False on padding: (N, T)."""
        return _frozen(np.arange(self.T) < self.lengths[:, None])

    @cached_property
    def states(self) -> np.ndarray:
        """s_t of each episode, 0 on padding: (N, T) int64."""
        return _frozen(self.to_padded(self.step_state))

    @cached_property
    def actions(self) -> np.ndarray:
        """a_t of each episode, 0 on padding: (N, T) int64."""
        return _frozen(self.to_padded(self.step_action))

    @cached_property
    def rewards(self) -> np.ndarray:
        """r_t of each episode, 0 on padding: (N, T) float64."""
        return _frozen(self.to_padded(self.step_reward))

    def discounts(self, gamma: float) -> np.ndarray:
        """gamma^t for t = 0..T-1: (T,)."""
        return check_real("gamma", gamma, 0.0, 1.0) ** np.arange(self.T, dtype=np.float64)

    def step_discounts(self, gamma: float) -> np.ndarray:
        """gamma^t of every step: (n_steps,)."""
        return self.discounts(gamma)[self.step_time]

    def returns(self, gamma: float) -> np.ndarray:
        """R(tau) = sum_t gamma^t r_t for each episode: (N,)."""
        w = self.step_reward * self.step_discounts(gamma)
        return np.bincount(self.step_episode, weights=w, minlength=self.n_episodes)

    def discounted_sums(self, x: ArrayLike, c: float) -> np.ndarray:
        """y_t = x_t + c y_{t+1} along each episode, y = 0 after its last step: (n_steps,) -> (n_steps,).

        With x = rewards and c = gamma this is the reward to go G_t; with x = TD errors and
        c = gamma lambda, the generalized advantage estimate.
        """
        x = as_float_array("x", x)
        if x.shape != (self.n_steps,):
            raise ValueError(f"x has shape {x.shape}, expected (n_steps,) = ({self.n_steps},)")
        c = check_real("c", c)
        y, nxt, o = np.zeros(self.n_steps + 1), self.next_step, self.offsets  # y[-1] = 0: after the end
        for t in range(self.T - 1, -1, -1):  # a loop over time, not episodes
            y[o[t]:o[t + 1]] = x[o[t]:o[t + 1]] + c * y[nxt[o[t]:o[t + 1]]]
        return y[:-1]

    def rewards_to_go(self, gamma: float) -> np.ndarray:
        """G_t = sum_{t' >= t} gamma^(t' - t) r_t' for every step: (N, T), zero on padding."""
        return self.to_padded(self.discounted_sums(self.step_reward, check_real("gamma", gamma, 0.0, 1.0)))

    @classmethod
    def from_padded(cls, states: ArrayLike, actions: ArrayLike, rewards: ArrayLike, mask: ArrayLike,
                    truncated: ArrayLike, max_steps: int | None = None) -> "Episodes":
        """A batch from padded (N, T) arrays; mask rows must be prefixes (steps 0..L-1); values on
        padding are ignored (but must be finite numbers).

        truncated (N,) bool; max_steps: the step limit the episodes were sampled with (default T),
        which every truncated episode must have reached.
        """
        return cls._trusted(*steps_from_padded(states, actions, rewards, mask, truncated, max_steps))

    def select(self, rows: ArrayLike | slice) -> "Episodes":
        """The episodes rows (a boolean mask (N,), distinct indices, or a slice), in that order,
        renumbered 0.. and trimmed to their longest episode."""
        try:
            idx = np.arange(self.n_episodes)[rows]
        except IndexError as err:
            raise ValueError(f"rows must be a boolean mask of shape ({self.n_episodes},), indices "
                             f"below {self.n_episodes}, or a slice: {err}") from None
        idx = np.atleast_1d(idx)
        if np.unique(idx).size != idx.size:
            raise ValueError(f"rows must not repeat an episode, got {rows!r}")
        new = np.full(self.n_episodes, -1)
        new[idx] = np.arange(idx.size)
        keep = new[self.step_episode] >= 0
        episode, time = new[self.step_episode[keep]], self.step_time[keep]
        order = np.lexsort((episode, time)) if np.any(np.diff(idx) < 0) else slice(None)
        counts = np.bincount(time, minlength=1)
        counts = counts[: np.flatnonzero(counts)[-1] + 1] if counts.any() else counts[:0]
        return Episodes._trusted(episode[order], self.step_state[keep][order], self.step_action[keep][order],
                                 self.step_reward[keep][order], np.concatenate([[0], np.cumsum(counts)]),
                                 self.truncated[idx], self.max_steps)

    def with_rewards(self, rewards: ArrayLike) -> "Episodes":
        """The same episodes with other rewards: padded (N, T) (padding ignored) or per step (n_steps,)."""
        r = self.as_steps("rewards", rewards)
        new = Episodes._trusted(self.step_episode, self.step_state, self.step_action, r, self.offsets,
                                self.truncated, self.max_steps)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if k in _REWARD_FREE})
        return new


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a
