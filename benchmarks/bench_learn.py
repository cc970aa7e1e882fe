"""Benchmark for the learning loops (issue 12 B1): Sutton & Barto's Figure 13.1. Prints; asserts nothing.

    python benchmarks/bench_learn.py            # yardstick on 5 runs per step size, scaled to 100
    python benchmarks/bench_learn.py --full     # yardstick on all 300 runs (about 1.5 minutes)

The work: REINFORCE as the book writes it (section 13.3, per-step updates, no baseline) on the short
corridor with the book's features, 3 step sizes (2^-12, 2^-13, 2^-14) x 100 runs x 1000 episodes, from
theta = (0, ln 19) (p(right) = 0.05, the start whose J = -82.1 matches the figure's first episodes),
max_steps = 1000, runs stopped when an episode reaches max_steps.

Yardstick: `plain_book_reinforce`, the book's pseudocode as a learner would write it: one run, one
episode at a time, Python loops over steps, numpy for the features. Measured: `pg.learn.book_reinforce`
with all 300 runs in one call, every run advancing on its own; run r draws from rng.spawn(300)[r]. The
yardstick runs a subset of the runs (5 per step size; --full: all) with those same generators, so it
must reproduce their returns exactly (checked, stronger than statistical agreement); its time scales
to all 300 runs by their share of the environment steps (a run's cost grows with its steps, not with the
other runs). The script also checks the curves against independent answers: the mean first-episode
return against the exact J(theta0) = -82.1, and the last 100 episodes of the two larger step sizes
against the optimum -11.66 (the book's dashed line).
Times (wall and CPU of this process) are medians of interleaved repeats: the machine may be shared, and
CPU time is the steadier figure there.

Where the time goes: a run is sequential (sample an episode, then update along it, then the next), so
even with every run advancing on its own the loop needs 2 x (steps of the longest run) iterations,
about 60,000 here (the longest run takes 30,000 steps, the mean one 19,500), each a few dozen numpy
calls on arrays of the live runs, plus the bookkeeping when episodes end. The lock-step version it
replaces needed 123,795 iterations for sampling and as many for updating.
"""
from __future__ import annotations

import argparse
import bisect
import platform
import time

import numpy as np

import pgbook as pg

ALPHAS = 2.0 ** -np.array([12, 13, 14])
THETA0 = np.array([0.0, np.log(19.0)])  # p(right) = 1/20


def plain_book_reinforce(mdp: pg.TabularMDP, phi: np.ndarray, theta0, alpha: float, n_episodes: int,
                         rng: np.random.Generator, max_steps: int = 1000) -> np.ndarray:
    """Sutton & Barto (2018), section 13.3, for one run: the return of each episode (E,), nan after the
    run was stopped because an episode reached max_steps (it never terminates from there)."""
    theta, gamma = np.array(theta0, dtype=float), mdp.gamma
    rho_cum, P_cum = np.cumsum(mdp.rho)[:-1], np.cumsum(mdp.P, axis=2)[:, :, :-1]
    returns = np.full(n_episodes, np.nan)
    for episode in range(n_episodes):
        # generate an episode S_0, A_0, R_1, ..., S_{T-1}, A_{T-1}, R_T following pi(.|., theta)
        s, states, actions, rewards = bisect.bisect_left(rho_cum, rng.random()), [], [], []
        while not mdp.terminal[s] and len(states) < max_steps:
            h = phi[s] @ theta  # action preferences h(s, a, theta) = theta . x(s, a)
            pi = np.exp(h - h.max())
            a = bisect.bisect_left(np.cumsum(pi / pi.sum())[:-1], rng.random())
            states.append(s), actions.append(a), rewards.append(mdp.R[s, a])
            s = bisect.bisect_left(P_cum[s, a], rng.random())
        if not mdp.terminal[s]:
            return returns  # cut at max_steps: stop this run
        G = np.zeros(len(rewards) + 1)
        for t in reversed(range(len(rewards))):  # G_t = R_{t+1} + gamma G_{t+1}
            G[t] = rewards[t] + gamma * G[t + 1]
        for t, (s, a) in enumerate(zip(states, actions)):  # loop for each step of the episode
            h = phi[s] @ theta
            pi = np.exp(h - h.max())
            pi /= pi.sum()
            theta = theta + alpha * gamma**t * G[t] * (phi[s, a] - pi @ phi[s])  # grad ln pi(a|s)
        returns[episode] = sum(rewards)
    return returns


def timed(fn):
    """(wall seconds, CPU seconds of this process, fn())."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def measured(seed: int) -> pg.learn.BookRun:
    """All 300 runs in one call; run r draws from np.random.default_rng(seed).spawn(300)[r]."""
    mdp, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    return pg.learn.book_reinforce(mdp, policy, THETA0, np.repeat(ALPHAS, 100), 1000, 300,
                                   np.random.default_rng(seed), truncation="stop")


def yardstick(runs: np.ndarray, seed: int) -> np.ndarray:
    """The plain loop for the given runs (indices into the 300), each with the generator that
    `measured(seed)` gives it, so it must reproduce their returns exactly: (len(runs), 1000)."""
    mdp, phi = pg.envs.short_corridor(), pg.envs.short_corridor_features()
    gens = np.random.default_rng(seed).spawn(300)
    return np.array([plain_book_reinforce(mdp, phi, THETA0, ALPHAS[r // 100], 1000, gens[r]) for r in runs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run the yardstick on all 300 runs")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = np.arange(300) if args.full else (np.arange(3)[:, None] * 100 + np.arange(5)).ravel()
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    measured(0)  # warm-up: imports, caches
    plain_t, fast_t = [], []
    for i in range(1 if args.full else args.repeats):  # interleaved, so a burst of load hits both
        wall, cpu, run = timed(lambda: measured(seed=i))
        fast_t.append((wall, cpu))
        wall, cpu, plain = timed(lambda: yardstick(runs, seed=i))
        share = run.lengths[runs].sum() / run.lengths.sum()  # the plain loop's cost grows with its steps
        plain_t.append((wall / share, cpu / share))
        same = np.array_equal(np.nan_to_num(plain, nan=1.0), np.nan_to_num(run.returns[runs], nan=1.0))
        print(f"repeat {i}: yardstick returns identical to book_reinforce's for its {runs.size} runs: {same}")
    plain_s, fast_s = np.median(plain_t, axis=0), np.median(fast_t, axis=0)
    print(f"Figure 13.1 (3 step sizes x 100 runs x 1000 episodes, {int(run.lengths.sum()):,} environment steps, "
          f"{int((run.stopped < 1000).sum())} runs stopped); medians of {len(fast_t)} interleaved repeats:")
    print(f"                                      wall       CPU")
    print(f"  yardstick, plain per-run loop:  {plain_s[0]:7.1f} s  {plain_s[1]:7.1f} s" + ("" if args.full else
          f"   (measured on runs {', '.join(map(str, runs[:5]))}, ... ({runs.size} runs), scaled by their "
          f"share of the steps)"))
    print(f"  pg.learn.book_reinforce:        {fast_s[0]:7.2f} s  {fast_s[1]:7.2f} s   "
          f"(wall: {', '.join(f'{t:.2f}' for t, _ in fast_t)})")
    print(f"  speed-up:                       {plain_s[0] / fast_s[0]:7.0f}x  {plain_s[1] / fast_s[1]:7.0f}x   "
          f"(target >= 50x; the public reproduction script took 141 s wall: {141 / fast_s[0]:.0f}x)")
    agreement(run.returns.reshape(3, 100, 1000))


def agreement(returns: np.ndarray) -> None:
    """The curves, and the mean first-episode return against the exact J(theta0) = -82.1."""
    J0 = pg.exact.expected_return(pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features()),
                                  THETA0)
    first = returns[:, :, 0].ravel()
    se = first.std(ddof=1) / np.sqrt(first.size)
    print(f"first episode, mean return over {first.size} runs: {first.mean():.2f} +- {se:.2f} (s.e.); "
          f"exact J(theta0) = {J0:.2f}: {'agrees' if abs(first.mean() - J0) < 4 * se else 'DISAGREES'} (4 s.e.)")
    for k, a in enumerate(ALPHAS):
        blocks = [_run_means(returns[k, :, 100 * b:100 * b + 100]) for b in range(10)]
        print(f"  alpha = 2^{int(np.log2(a))}: mean return per 100 episodes "
              f"{' '.join(f'{x.mean():6.1f}' for x in blocks)} (runs still going: {blocks[-1].size})")
    late = [_run_means(returns[k, :, -100:]) for k in range(2)]
    J_star = -(6 + 4 * np.sqrt(2))
    print("last 100 episodes, alpha = 2^-12 and 2^-13: " + ", ".join(
        f"{x.mean():.2f} +- {x.std(ddof=1) / np.sqrt(x.size):.2f}" for x in late) + f" (s.e.); optimum "
        f"{J_star:.2f}: {'within 1, as in the book' if all(abs(x.mean() - J_star) < 1 for x in late) else 'NOT within 1'}")


def _run_means(returns: np.ndarray) -> np.ndarray:
    """Each run's mean return over its episodes before it was stopped (runs stopped earlier: dropped)."""
    played = ~np.isnan(returns)
    keep = played.any(axis=1)
    return np.nansum(returns[keep], axis=1) / played[keep].sum(axis=1)


if __name__ == "__main__":
    main()
