"""Benchmarks for notebook 04 (prints measured figures; nothing is asserted).

    python benchmarks/bench_learn.py

1. The explorer's callback, compute + redraw (`pg.widgets.bandit_learning_figure` at its default
   settings, then an Agg draw): median latency over repeated calls; target at most 100 ms.
2. The Figure 13.1 reproduction (`pg.learn.book_reinforce`, 3 step sizes x 100 runs x 1000 episodes,
   all 300 runs together), as run in the notebook.
"""
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import pgbook as pg  # noqa: E402


def callback_latency(repeats: int = 15) -> np.ndarray:
    times = []
    for seed in range(repeats + 1):
        start = time.perf_counter()
        fig = pg.widgets.bandit_learning_figure(seed=seed)
        fig.canvas.draw()  # what the browser waits for: the figure fully rendered
        times.append(time.perf_counter() - start)
        plt.close(fig)
    return np.array(times[1:])  # the first call pays for imports and font caches


def figure_13_1() -> tuple[float, np.ndarray]:
    mdp = pg.envs.short_corridor()
    policy = pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    alphas = np.repeat(2.0 ** -np.array([12, 13, 14]), 100)
    start = time.perf_counter()
    run = pg.learn.book_reinforce(mdp, policy, np.array([0.0, np.log(19.0)]), alphas, 1000, 300,
                                  np.random.default_rng(0), max_steps=1000)
    return time.perf_counter() - start, run.lengths


if __name__ == "__main__":
    pg.plots.use_style()
    lat = callback_latency()
    print(f"explorer callback (compute + redraw): median {1e3 * np.median(lat):.0f} ms, "
          f"min {1e3 * lat.min():.0f} ms, max {1e3 * lat.max():.0f} ms over {lat.size} calls (target <= 100 ms)")
    seconds, lengths = figure_13_1()
    steps = lengths.max(axis=0).sum()
    print(f"Figure 13.1 reproduction (300 runs x 1000 episodes): {seconds:.2f} s; "
          f"{steps} lock-step time steps, {lengths.sum()} environment steps in all")
