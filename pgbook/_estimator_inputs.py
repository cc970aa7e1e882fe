"""What the REINFORCE estimators accept, checked in one place (public through `pgbook.estimators`):
the kind of return, the baseline, groups for leave-one-out baselines, truncated episodes, and
whether a batch of episodes fits an (S, A) table.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_positive_int, check_real
from ._episodes import Episodes

RETURNS = ("total", "reward_to_go")
BASELINES = "None, a float, 'mean', 'optimal' or an array of per-state values (S,)"
TRUNCATION = ("raise", "accept")


def check_returns(returns: str) -> str:
    """returns, if it is "total" or "reward_to_go"; ValueError naming the accepted values otherwise."""
    if not isinstance(returns, str) or returns not in RETURNS:
        raise ValueError(f"returns must be one of {RETURNS}, got {returns!r}")
    return returns


def check_baseline(baseline: str | ArrayLike | None,
                   n_states: int | None = None) -> None | float | str | np.ndarray:
    """The baseline as None, a float, "mean", "optimal" or an (S,) float array (a copy).

    TypeError for non-numbers (bools, complex, ...), ValueError for NaN/inf, other strings and
    other shapes; with n_states, an array must have shape (n_states,).
    """
    if baseline is None:
        return None
    if isinstance(baseline, str):
        if baseline not in ("mean", "optimal"):
            raise ValueError(f"baseline is the string {baseline!r}; baseline must be {BASELINES} "
                             f"(a float as a number, not as a string)")
        return baseline
    b = as_float_array("baseline", baseline)
    if b.ndim == 0:
        return float(b)
    if b.ndim != 1 or (n_states is not None and b.shape != (n_states,)):
        expected = "(S,)" if n_states is None else f"(S,) = ({n_states},)"
        raise ValueError(f"baseline array has shape {b.shape}, expected per-state values {expected}; "
                         f"baseline must be {BASELINES}")
    return b


def group_size_for(n_episodes: int, group_size, baseline) -> int:
    """group_size (None: all n_episodes), which must divide n_episodes; >= 2 for "mean"/"optimal"."""
    size = n_episodes if group_size is None else check_positive_int("group_size", group_size)
    if n_episodes % size:
        raise ValueError(f"group_size = {size} does not split n_episodes = {n_episodes} into whole groups")
    if isinstance(baseline, str) and size < 2:
        where = (f"need n_episodes >= 2, got {n_episodes}" if group_size is None
                 else f"need group_size >= 2, got {size}")
        raise ValueError(f"baseline={baseline!r} is estimated from the other episodes of a batch: {where}")
    return size


def leave_one_out(num: np.ndarray, den: np.ndarray, group_size: int) -> np.ndarray:
    """Per row i: (sum_j num_j - num_i) / (sum_j den_j - den_i), j over i's group of group_size
    consecutive rows; 0 where that denominator is 0. num, den: (N, ...) -> (N, ...)."""
    shape = (num.shape[0] // group_size, group_size) + num.shape[1:]
    n, d = num.reshape(shape), den.reshape(shape)
    top, bottom = n.sum(axis=1, keepdims=True) - n, d.sum(axis=1, keepdims=True) - d
    return np.divide(top, bottom, out=np.zeros_like(top), where=bottom != 0).reshape(num.shape)


def check_truncation(episodes: Episodes, gamma: float, truncation: str = "raise",
                     expected_length: float | None = None) -> None:
    """Refuse (truncation="raise") or allow ("accept") episodes cut at max_steps.

    A cut episode's return misses the rewards after the cut: at most gamma^max_steps max|r| / (1 - gamma)
    with gamma < 1, unbounded with gamma = 1. The ValueError gives gamma, max_steps and the expected
    episode length: `expected_length` if given (e.g. `pgbook.exact.expected_length`, inf allowed),
    else the batch's mean length, a lower bound since cut episodes count only max_steps steps.
    """
    gamma = check_real("gamma", gamma, 0.0, 1.0)
    if not isinstance(truncation, str) or truncation not in TRUNCATION:
        raise ValueError(f"truncation must be one of {TRUNCATION}, got {truncation!r}")
    if expected_length is not None and not (isinstance(expected_length, float) and expected_length == np.inf):
        expected_length = check_real("expected_length", expected_length, 0.0, np.inf)
    cut = int(episodes.truncated.sum())
    if truncation == "accept" or cut == 0:
        return
    length = (f"at least {episodes.lengths.mean():.4g} steps (the mean length of this batch, counting "
              f"cut episodes as max_steps)" if expected_length is None else f"{expected_length:.4g} steps")
    raise ValueError(
        f"{cut} of {episodes.n_episodes} episodes were cut at max_steps = {episodes.max_steps} before "
        f"reaching a terminal state (gamma = {gamma:g}; expected episode length {length}), so their "
        f"returns miss the rewards after the cut. Sample with max_steps well above the expected length, "
        f"or pass truncation='accept' to use them anyway (each return then off by at most "
        f"gamma^max_steps max|r| / (1 - gamma); unbounded with gamma = 1).")


def fits(episodes: Episodes, n_states: int | None = None, n_actions: int | None = None,
         what: str = "the policy") -> None:
    """ValueError if the episodes visit a state >= n_states or take an action >= n_actions."""
    if episodes.n_steps == 0:
        return
    for verb, kind, n, seen in (("visit", "state", n_states, episodes.step_state),
                                ("take", "action", n_actions, episodes.step_action)):
        if n is not None and int(seen.max()) >= n:
            raise ValueError(f"the episodes {verb} {kind} {int(seen.max())}, but {what} has only {n} {kind}s "
                             f"(0..{n - 1}): were they sampled from another MDP?")
