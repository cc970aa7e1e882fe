"""Checks and conversions for the compact, time-major episode layout of `Episodes` (see there).

Each function returns the fields (step_episode, step_state, step_action, step_reward, offsets,
truncated, max_steps) as fresh arrays, or raises naming the field, the index and the value.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_int


def _ints(name: str, x, shape: tuple | None = None) -> np.ndarray:
    """x as an int64 copy; TypeError unless its dtype is an integer type, ValueError for another shape."""
    x = np.asarray(x)
    if x.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an array of integers, got dtype {x.dtype}")
    if shape is not None and x.shape != shape:
        raise ValueError(f"{name} has shape {x.shape}, expected {shape}")
    return x.astype(np.int64)


def _bools(name: str, x, shape: tuple) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != np.bool_:
        raise TypeError(f"{name} must be a boolean array, got dtype {x.dtype}")
    if x.shape != shape:
        raise ValueError(f"{name} has shape {x.shape}, expected {shape}")
    return x.copy()


def _first_bad(name: str, bad: np.ndarray, values: np.ndarray, expected: str) -> None:
    """ValueError naming the first index where `bad` holds, and its value."""
    if bad.any():
        k = np.unravel_index(int(np.argmax(bad)), bad.shape)
        raise ValueError(f"{name}{list(map(int, k))} is {values[k]}, expected {expected}")


def check_max_steps(max_steps, lengths: np.ndarray, truncated: np.ndarray, T: int) -> int:
    """max_steps (None: the padded width T) as an int no episode exceeds; cut episodes must reach it."""
    max_steps = max(T, 1) if max_steps is None else check_int("max_steps", max_steps, low=1)
    _first_bad("lengths", lengths > max_steps, lengths, f"at most max_steps = {max_steps}")
    _first_bad("lengths", truncated & (lengths != max_steps), lengths,
               f"max_steps = {max_steps} where truncated is True (an episode is cut at max_steps)")
    return max_steps


def checked_steps(step_episode, step_state, step_action, step_reward, offsets, truncated, max_steps) -> tuple:
    """The compact fields, checked: shapes, dtypes, ranges, and the time-major layout."""
    episode = _ints("step_episode", step_episode)
    n = episode.shape
    if len(n) != 1:
        raise ValueError(f"step_episode must be one-dimensional, got shape {n}")
    state, action = _ints("step_state", step_state, n), _ints("step_action", step_action, n)
    reward = as_float_array("step_reward", step_reward, ndim=1)
    if reward.shape != n:
        raise ValueError(f"step_reward has shape {reward.shape}, expected {n} like step_episode")
    offsets = _ints("offsets", offsets)
    if offsets.ndim != 1 or offsets.size < 1 or offsets[0] != 0 or offsets[-1] != n[0]:
        raise ValueError(f"offsets must run from 0 to n_steps = {n[0]}, got {offsets}")
    _first_bad("offsets", np.diff(offsets) < 0, offsets[1:], "non-decreasing offsets")
    truncated = np.asarray(truncated)
    if truncated.ndim != 1:
        raise ValueError(f"truncated must be one-dimensional (N,), got shape {truncated.shape}")
    truncated = _bools("truncated", truncated, truncated.shape)
    for name, x in (("step_state", state), ("step_action", action), ("step_episode", episode)):
        _first_bad(name, x < 0, x, "a non-negative index")
    _first_bad("step_episode", episode >= truncated.size, episode, f"< N = {truncated.size} (len(truncated))")
    # time-major layout: within a time, episodes increase; episode i appears at times 0..L_i - 1,
    # i.e. L_i distinct times summing to L_i (L_i - 1) / 2 (the smallest such sum, only for 0..L_i - 1)
    T = offsets.size - 1
    new_time = np.zeros(n[0], dtype=bool)
    new_time[offsets[1:-1][offsets[1:-1] < n[0]]] = True
    _first_bad("step_episode", (np.diff(episode) <= 0) & ~new_time[1:], episode[1:],
               "larger than the previous step's episode within one time (time-major layout)")
    L = np.bincount(episode, minlength=truncated.size)
    time_sums = np.bincount(episode, weights=np.repeat(np.arange(T), np.diff(offsets)), minlength=L.size)
    _first_bad("lengths", time_sums != L * (L - 1) / 2, L, "steps at times 0, 1, ..., length - 1")
    max_steps = check_max_steps(max_steps, L, truncated, T)
    return episode, state, action, reward, offsets, truncated, max_steps


def steps_from_padded(states, actions, rewards, mask, truncated, max_steps) -> tuple:
    """The compact fields of padded (N, T) arrays whose mask rows are prefixes; the values on
    padding are ignored (they must still be finite numbers of the right type)."""
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ or mask.ndim != 2:
        raise TypeError(f"mask must be a two-dimensional boolean array, got dtype {mask.dtype}, "
                        f"shape {mask.shape}")
    N, T = mask.shape
    states, actions = _ints("states", states, (N, T)), _ints("actions", actions, (N, T))
    rewards = as_float_array("rewards", rewards)
    if rewards.shape != (N, T):
        raise ValueError(f"rewards has shape {rewards.shape}, expected (N, T) = {(N, T)} like mask")
    truncated = _bools("truncated", truncated, (N,))
    L = mask.sum(axis=1)
    _first_bad("mask", mask != (np.arange(T) < L[:, None]), mask, "the steps of an episode to come "
               "first (mask[i] = True for t < length, False after)")
    t, i = np.nonzero(mask.T)  # time-major, episodes increasing within each time
    for name, x in (("states", states), ("actions", actions)):
        _first_bad(name, (x < 0) & mask, x, "a non-negative index")
    max_steps = check_max_steps(max_steps, L, truncated, T)
    offsets = np.concatenate([[0], np.cumsum(mask.sum(axis=0))])
    return i, states[i, t], actions[i, t], rewards[i, t], offsets, truncated, max_steps
