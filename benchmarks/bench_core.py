"""Benchmarks for the pgbook core (issue 2). Prints measured figures; asserts nothing about time.

    python benchmarks/bench_core.py

(a) exact.policy_gradient at S = 2000, A = 4 as a multiple of one np.linalg.solve of size 2000
    (target: at most 3x; it needs two solves, V and d, plus O(S^2 A) work to form P_pi);
(b) its speed-up over central finite differences of exact.expected_return at S = 50;
(c) sample_episodes throughput on the short corridor (book features, p(right) = 0.5, 100,000
    episodes) in environment steps per second, and as a multiple of a plain Python loop that samples
    one episode at a time with rng.random and the same tables (target: at least 100x).

Every time is the median of several repeats, interleaved where two things are compared, because the
machine may be shared. Figures in benchmarks/README.md.
"""
from __future__ import annotations

import os
import platform
import time

import numpy as np

import pgbook as pg


def median_time(fn, repeats: int) -> float:
    """Median wall time of fn() in seconds over `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def bench_exact_vs_solve(S: int = 2000, A: int = 4, repeats: int = 7) -> None:
    rng = np.random.default_rng(0)
    mdp = pg.envs.random_mdp(S, A, rng, gamma=0.9)
    policy = pg.SoftmaxPolicy.tabular(S, A)
    theta = rng.normal(size=(S, A))
    # the very system policy_gradient solves, so the baseline is like for like
    P_pi = np.einsum("sa,sat->st", policy.probs(theta), mdp.P)
    L, r = np.eye(S) - mdp.gamma * P_pi, rng.normal(size=S)
    solve_t, grad_t = [], []
    for _ in range(repeats):  # interleaved, so a burst of load hits both
        solve_t.append(median_time(lambda: np.linalg.solve(L, r), 1))
        grad_t.append(median_time(lambda: pg.exact.policy_gradient(mdp, policy, theta), 1))
    solve, grad = np.median(solve_t), np.median(grad_t)
    print(f"(a) S = {S}, A = {A}: np.linalg.solve {solve * 1e3:.1f} ms, exact.policy_gradient "
          f"{grad * 1e3:.1f} ms -> {grad / solve:.2f}x one solve (target <= 3x)")


def bench_exact_vs_finite_differences(S: int = 50, A: int = 4) -> None:
    rng = np.random.default_rng(1)
    mdp = pg.envs.random_mdp(S, A, rng, gamma=0.9)
    policy = pg.SoftmaxPolicy.tabular(S, A)
    theta = rng.normal(size=(S, A))
    exact = pg.exact.policy_gradient(mdp, policy, theta)
    fd = pg.gradcheck.finite_difference(lambda x: pg.exact.expected_return(mdp, policy, x), theta)
    t_exact = median_time(lambda: pg.exact.policy_gradient(mdp, policy, theta), 51)
    t_fd = median_time(lambda: pg.gradcheck.finite_difference(
        lambda x: pg.exact.expected_return(mdp, policy, x), theta), 3)
    print(f"(b) S = {S}, A = {A}: exact {t_exact * 1e3:.3f} ms, finite differences ({2 * S * A} "
          f"evaluations) {t_fd * 1e3:.1f} ms -> speed-up {t_fd / t_exact:.0f}x "
          f"(relative error between them {pg.gradcheck.relative_error(exact, fd):.1e})")


def python_loop_episodes(mdp: pg.TabularMDP, pi: np.ndarray, n_episodes: int, rng: np.random.Generator,
                         max_steps: int = 1000) -> list[tuple[list, list, list]]:
    """Baseline: one episode at a time, one step at a time, with the same cumulative tables."""
    pi_cdf, P_cdf, rho_cdf = np.cumsum(pi, axis=1), np.cumsum(mdp.P, axis=2), np.cumsum(mdp.rho)
    episodes = []
    for _ in range(n_episodes):
        s = int(np.searchsorted(rho_cdf, rng.random(), side="right"))
        states, actions, rewards = [], [], []
        while not mdp.terminal[s] and len(states) < max_steps:
            a = int(np.searchsorted(pi_cdf[s], rng.random(), side="right"))
            states.append(s)
            actions.append(a)
            rewards.append(float(mdp.R[s, a]))
            s = int(np.searchsorted(P_cdf[s, a], rng.random(), side="right"))
        episodes.append((states, actions, rewards))
    return episodes


def bench_sampling(n_episodes: int = 100_000, n_loop: int = 10_000, repeats: int = 5) -> None:
    mdp = pg.envs.short_corridor()
    policy = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.zeros(2)  # p(right) = 0.5
    ep = pg.rollout.sample_episodes(mdp, policy, theta, n_episodes, np.random.default_rng(2))
    steps = int(ep.lengths.sum())
    t_vec = median_time(lambda: pg.rollout.sample_episodes(mdp, policy, theta, n_episodes,
                                                           np.random.default_rng(2)), repeats)
    pi = policy.probs(theta)
    loop_steps = sum(len(e[0]) for e in python_loop_episodes(mdp, pi, n_loop, np.random.default_rng(3)))
    t_loop = median_time(lambda: python_loop_episodes(mdp, pi, n_loop, np.random.default_rng(3)), 3)
    vec_rate, loop_rate = steps / t_vec, loop_steps / t_loop
    shape = (n_episodes, int(ep.lengths.max()))
    # a floor no sampler returning padded arrays can beat: writing the four (N, T) outputs
    t_floor = median_time(lambda: [np.ones(shape, dtype) for dtype in (np.int64, np.int64, np.float64, bool)],
                          repeats)
    print(f"(c) short corridor, p(right) = 0.5: sample_episodes {n_episodes:,} episodes, {steps:,} steps "
          f"in {t_vec * 1e3:.0f} ms -> {vec_rate / 1e6:.2f}M steps/s")
    print(f"    (the padded outputs are {shape[0]:,} x {shape[1]} (longest episode; mean "
          f"{ep.lengths.mean():.1f}); merely filling four such arrays takes {t_floor * 1e3:.0f} ms)")
    print(f"    Python loop, one episode at a time ({n_loop:,} episodes): {loop_rate / 1e3:.0f}k steps/s "
          f"-> sample_episodes is {vec_rate / loop_rate:.0f}x faster (target >= 100x)")


if __name__ == "__main__":
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {load:.1f} at start")
    bench_exact_vs_solve()
    bench_exact_vs_finite_differences()
    bench_sampling()
