"""Self-checking exercise of notebook 09 (critics and advantages): generalized advantage estimates.

The answer is held against the defining sum A_t = sum_{k >= t} (gamma lam)^(k - t) delta_k written as
one matrix product (not the backward recursion a learner writes), and a wrong answer is compared with
what the typical mistakes compute, so the message can say which one it is.
"""
from __future__ import annotations

import numpy as np

from ._core import Verdict, _fmt, returned_none

__all__ = ["gae_advantages"]


def _td_errors(rewards, values, gamma, next_values=None):
    """delta_t = r_t + gamma V(s_t+1) - V(s_t), the value after the last step 0 unless next_values says otherwise."""
    nxt = np.append(values[1:], 0.0) if next_values is None else next_values
    return rewards + gamma * nxt - values


def _discounted_future(x, c, past=False):
    """sum_{k >= t} c^(k - t) x_k for every t (past=True: sum_{k <= t} c^(t - k) x_k), as one matrix product."""
    t = np.arange(len(x))
    lag = (t[None, :] - t[:, None]) * (-1 if past else 1)  # k - t (or t - k)
    with np.errstate(divide="ignore", invalid="ignore"):
        M = np.where(lag >= 0, float(c) ** np.maximum(lag, 0), 0.0)  # 0.0 ** 0 = 1: delta_t itself
    return M @ x


def _problems() -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """(rewards, values, gamma, lam): one episode each; values[t] = V(s_t) along it."""
    rng = np.random.default_rng(9)
    out = []
    for L, gamma, lam in ((6, 0.9, 0.8), (5, 1.0, 0.5), (7, 0.95, 0.0), (4, 0.99, 1.0), (1, 0.9, 0.7)):
        out.append((rng.normal(size=L).round(2), rng.normal(size=L).round(2), gamma, lam))
    return out


def gae_advantages(func) -> Verdict:
    """Check func(rewards, values, gamma, lam) -> A (L,) for one episode that ended in a terminal state:
    A_t = sum_{l >= 0} (gamma lam)^l delta_{t+l}, delta_t = r_t + gamma V(s_t+1) - V(s_t), V after the end 0.

    rewards, values: (L,), values[t] = V(s_t). Recognised mistakes: lam ignored (G_t - V(s_t)), only the
    TD errors, a decay of lam^l instead of (gamma lam)^l, a value after the end other than 0, summing
    the past TD errors instead of the future ones, gamma missing from delta, and the sign.
    """
    if not callable(func):
        return Verdict(False, f"gae_advantages should be a function of (rewards, values, gamma, lam), got "
                              f"{type(func).__name__}.")
    problems = _problems()
    for rewards, values, gamma, lam in problems:
        call = f"gae_advantages(rewards={_fmt(rewards)}, values={_fmt(values)}, gamma={gamma:g}, lam={lam:g})"
        delta = _td_errors(rewards, values, gamma)
        expected = _discounted_future(delta, gamma * lam)
        try:
            answer = func(rewards.copy(), values.copy(), gamma, lam)
            got = np.asarray(answer, dtype=np.float64)
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"{call} raised {type(err).__name__}: {err}")
        if answer is None:
            return returned_none(call)
        if got.shape != expected.shape:
            return Verdict(False, f"{call} returned shape {got.shape}, expected {expected.shape}: one advantage "
                                  f"per step of the episode.")
        if not np.all(np.isfinite(got)):
            return Verdict(False, f"{call} contains NaN or infinity: {_fmt(got)}.")
        if np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            continue
        wrong = [
            (_discounted_future(delta, gamma), "it does not depend on lam: that is G_t - V(s_t), the lam = 1 "
             "end. Weight the TD error l steps ahead by (gamma lam)^l."),
            (delta, "these are the one-step TD errors delta_t alone, the lam = 0 end. GAE adds the later "
             "TD errors too, delta_(t+l) weighted by (gamma lam)^l."),
            (_discounted_future(delta, lam), "the TD error l steps ahead is weighted by lam^l; it should be "
             "(gamma lam)^l (gamma is missing from the decay)."),
            (_discounted_future(_td_errors(rewards, values, gamma, np.append(values[1:], values[-1])), gamma * lam),
             "after the last step the episode is over, so the value there is 0, not V(s_(L-1))."),
            (_discounted_future(_td_errors(rewards, values, gamma, np.roll(values, -1)), gamma * lam),
             "after the last step the episode is over, so the value there is 0 (np.roll wraps around to V(s_0))."),
            (_discounted_future(delta, gamma * lam, past=True), "it sums the TD errors up to t; A_t sums those "
             "from t on. Run the recursion backwards in time: A_t = delta_t + gamma lam A_(t+1)."),
            (_discounted_future(_td_errors(rewards, values, 1.0), gamma * lam), "the TD error is "
             "r_t + gamma V(s_(t+1)) - V(s_t): gamma multiplies the next value too."),
            (-expected, "it has the wrong sign: delta_t = r_t + gamma V(s_(t+1)) - V(s_t), the target minus the value."),
        ]
        for value, hint in wrong:
            if value.shape == got.shape and np.allclose(got, value, rtol=1e-9, atol=1e-12):
                return Verdict(False, f"{call}: {hint}")
        return Verdict(False, f"{call} = {_fmt(got)}, expected {_fmt(expected)}.")
    return Verdict(True, f"gae_advantages agrees with sum_l (gamma lam)^l delta_(t+l) on all {len(problems)} "
                         f"test episodes (lam from 0 to 1, gamma = 1 included, and a one-step episode).")
