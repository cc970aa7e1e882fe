"""Benchmarks for `pgbook.exact` (issue 12 B3). Prints measured figures; asserts nothing about time.

    python benchmarks/bench_exact.py

(a) exact.policy_gradient at S = 2000, A = 4 (gamma 0.9, tabular) as a multiple of one
    np.linalg.solve of the same (S, S) system, the yardstick (target: at most 1.4x; the floor is one
    LU factorization plus forming P_pi and Q, two O(S^2 A) passes over P);
(b) the same gradient computed the way exact did before issue 12 (np.linalg.solve for V, then again
    for d: two factorizations of one matrix), as a multiple of the same yardstick;
(c) the speed-up of exact.policy_gradient over central finite differences of exact.expected_return
    at S = 50, A = 4 (2 S A = 400 evaluations of J).

Every time is the median of several repeats, interleaved where things are compared, because the
machine may be shared (2 cores here).
"""
from __future__ import annotations

import os
import platform
import time

import numpy as np

import pgbook as pg


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def two_solve_gradient(mdp: pg.TabularMDP, policy: pg.SoftmaxPolicy, theta: np.ndarray) -> np.ndarray:
    """The policy gradient as exact computed it before one LU: V and d by two np.linalg.solve calls
    (every state kept: no terminal states in this benchmark's MDP)."""
    pi = policy.probs(theta)
    L = np.eye(mdp.n_states) - mdp.gamma * np.einsum("sa,sat->st", pi, mdp.P)
    V = np.linalg.solve(L, np.einsum("sa,sa->s", pi, mdp.R))
    d = np.linalg.solve(L.T, mdp.rho)
    Q = mdp.R + mdp.gamma * (mdp.P @ V)
    return policy.weighted_score(theta, d[:, None] * pi * (Q - V[:, None]))


def bench_lu(S: int = 2000, A: int = 4, repeats: int = 9) -> None:
    rng = np.random.default_rng(0)
    mdp = pg.envs.random_mdp(S, A, rng, gamma=0.9)
    policy = pg.SoftmaxPolicy.tabular(S, A)
    theta = rng.normal(size=(S, A))
    L = np.eye(S) - mdp.gamma * np.einsum("sa,sat->st", policy.probs(theta), mdp.P)  # the very system
    r = rng.normal(size=S)
    after, before = pg.exact.policy_gradient(mdp, policy, theta), two_solve_gradient(mdp, policy, theta)
    times = {"solve": [], "after": [], "before": []}
    for _ in range(repeats):  # interleaved, so a burst of load hits all three
        times["solve"].append(seconds(lambda: np.linalg.solve(L, r)))
        times["after"].append(seconds(lambda: pg.exact.policy_gradient(mdp, policy, theta)))
        times["before"].append(seconds(lambda: two_solve_gradient(mdp, policy, theta)))
    solve, new, old = (float(np.median(times[k])) for k in ("solve", "after", "before"))
    print(f"(a) S = {S}, A = {A}: one np.linalg.solve {solve * 1e3:.1f} ms; exact.policy_gradient "
          f"(one LU) {new * 1e3:.1f} ms -> {new / solve:.2f}x one solve (target <= 1.4x)")
    print(f"(b) two solves, as before: {old * 1e3:.1f} ms -> {old / solve:.2f}x one solve; "
          f"the two agree to a relative error of {pg.gradcheck.relative_error(after, before):.1e}")
    print(f"    medians of {repeats}; solve min/max {min(times['solve']) * 1e3:.0f}/"
          f"{max(times['solve']) * 1e3:.0f} ms")


def bench_exact_vs_finite_differences(S: int = 50, A: int = 4) -> None:
    rng = np.random.default_rng(1)
    mdp = pg.envs.random_mdp(S, A, rng, gamma=0.9)
    policy = pg.SoftmaxPolicy.tabular(S, A)
    theta = rng.normal(size=(S, A))

    def fd():
        return pg.gradcheck.finite_difference(lambda x: pg.exact.expected_return(mdp, policy, x), theta)

    exact = pg.exact.policy_gradient(mdp, policy, theta)
    t_exact = float(np.median([seconds(lambda: pg.exact.policy_gradient(mdp, policy, theta))
                               for _ in range(51)]))
    t_fd = float(np.median([seconds(fd) for _ in range(3)]))
    print(f"(c) S = {S}, A = {A}: exact {t_exact * 1e3:.3f} ms, finite differences ({2 * S * A} "
          f"evaluations) {t_fd * 1e3:.1f} ms -> speed-up {t_fd / t_exact:.0f}x "
          f"(relative error between them {pg.gradcheck.relative_error(exact, fd()):.1e})")


if __name__ == "__main__":
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")  # Linux: the machine these figures are for
    bench_lu()
    bench_exact_vs_finite_differences()
