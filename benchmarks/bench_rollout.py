"""Episode sampling speed (issue 12 B2). Prints measured figures; asserts nothing about time.

    python benchmarks/bench_rollout.py

`rollout.sample_episodes` on the short corridor (book features, p(right) = 0.5, 100,000 episodes,
about 1.2M steps) in environment steps per second, beside a yardstick: a plain Python loop that
samples one episode at a time, drawing with `random.random` and `bisect` on cumulative tables
(`python_loop_episodes` below). Target: at least 25x the yardstick. Also printed: the time to build
the padded (N, T) views, which `sample_episodes` no longer builds unless they are used.

Every time is the median of several repeats, the two samplers interleaved, because the machine may
be shared.
"""
from __future__ import annotations

import bisect
import os
import platform
import random
import time

import numpy as np

import pgbook as pg


def cumulative_tables(p: np.ndarray) -> list[tuple[list[int], list[float]]]:
    """For each row of p (..., k): its outcomes of positive probability and their running sums
    without the last, as Python lists (the same inverse transform as `rollout.draw`)."""
    tables = []
    for row in p.reshape(-1, p.shape[-1]).tolist():
        support = [k for k, x in enumerate(row) if x > 0]
        cum, total = [], 0.0
        for k in support[:-1]:
            total += row[k]
            cum.append(total)
        tables.append((support, cum))
    return tables


def python_loop_episodes(mdp: pg.TabularMDP, pi: np.ndarray, n_episodes: int, seed: int,
                         max_steps: int = 1000) -> list[tuple[list, list, list]]:
    """The yardstick: one episode at a time, one step at a time, in plain Python."""
    rand = random.Random(seed).random
    A = mdp.n_actions
    pi_t, P_t, (rho_sup, rho_cum) = cumulative_tables(pi), cumulative_tables(mdp.P), cumulative_tables(mdp.rho)[0]
    R, terminal = mdp.R.tolist(), mdp.terminal.tolist()
    episodes = []
    for _ in range(n_episodes):
        s = rho_sup[bisect.bisect_left(rho_cum, rand())]
        states, actions, rewards = [], [], []
        while not terminal[s] and len(states) < max_steps:
            support, cum = pi_t[s]
            a = support[bisect.bisect_left(cum, rand())]
            states.append(s)
            actions.append(a)
            rewards.append(R[s][a])
            support, cum = P_t[s * A + a]
            s = support[bisect.bisect_left(cum, rand())]
        episodes.append((states, actions, rewards))
    return episodes


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main(n_episodes: int = 100_000, repeats: int = 5) -> None:
    mdp = pg.envs.short_corridor()
    policy = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.zeros(2)  # p(right) = 0.5: expected length 12 steps
    pi = policy.probs(theta)
    fast, loop, fast_steps, loop_steps = [], [], [], []
    for r in range(repeats):  # interleaved, so a burst of load hits both
        t, ep = timed(lambda: pg.rollout.sample_episodes(mdp, policy, theta, n_episodes, np.random.default_rng(r)))
        fast.append(t)
        fast_steps.append(ep.n_steps)
        t, eps = timed(lambda: python_loop_episodes(mdp, pi, n_episodes, seed=r))
        loop.append(t)
        loop_steps.append(sum(len(e[0]) for e in eps))
    fast_rate = np.median(np.array(fast_steps) / fast)
    loop_rate = np.median(np.array(loop_steps) / loop)
    print(f"short corridor, p(right) = 0.5, {n_episodes:,} episodes (~{np.mean(fast_steps) / 1e6:.2f}M steps; "
          f"mean length {np.mean(fast_steps) / n_episodes:.2f} vs {np.mean(loop_steps) / n_episodes:.2f} "
          f"in the loop; 12 expected), median of {repeats}:")
    print(f"  rollout.sample_episodes   {np.median(fast) * 1e3:7.1f} ms  {fast_rate / 1e6:6.2f}M steps/s")
    print(f"  Python loop (yardstick)   {np.median(loop) * 1e3:7.1f} ms  {loop_rate / 1e6:6.2f}M steps/s")
    print(f"  ratio                     {fast_rate / loop_rate:7.1f}x   (target >= 25x)")
    ep = pg.rollout.sample_episodes(mdp, policy, theta, n_episodes, np.random.default_rng(0))
    views = [timed(lambda: [ep.to_padded(x) for x in (ep.step_state, ep.step_action, ep.step_reward)]
                   + [np.arange(ep.T) < ep.lengths[:, None]])[0] for _ in range(repeats)]
    print(f"  padded views states, actions, rewards, mask ({n_episodes:,} x {ep.T}): "
          f"{np.median(views) * 1e3:.1f} ms more, built only on first use")


if __name__ == "__main__":
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {load:.1f} at start")
    main()
