"""Benchmark for notebook 11 (prints measured figures; nothing is asserted).

    python benchmarks/bench_cartpole.py              # everything, about a minute on 2 cores
    python benchmarks/bench_cartpole.py --seeds 3 --no-notebook
    python benchmarks/bench_cartpole.py --sweep 10   # also the notebook's experiment for seeds 0-9

1. CartPole-v1, REINFORCE with reward-to-go and a learned baseline (`pgbook.cartpole`, the notebook's
   `Config`), one run per seed on its own: episodes and seconds until the run's last 100 episodes
   average at least 475, the updates it took, and its final policy's mean return over 100 evaluation
   episodes. JAX compiles the update once per process, in a warm-up run timed apart.
2. The notebook's experiment as the notebook runs it: seed 0, four runs side by side in one vector
   environment (each run's episodes and seconds to 475 are then shared wall-clock time).
   With --sweep S, the same experiment for seeds 0..S-1: training is chaotic and another CPU rounds
   float32 differently (XLA compiles for the processor it runs on), so the notebook's own seed stands
   for any of these; the sweep measures how often its asserts (every run solved, every evaluation mean
   >= 475) hold, and how long training takes.
3. The notebook's total time: executed top to bottom in a fresh kernel (nbclient, as
   `jupyter nbconvert --execute` does), and under strict nbval (`pytest`, one worker).
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)  # as in the notebook (the CartPole networks are float32 anyway)

from pgbook import cartpole  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "11_autodiff_and_a_real_environment.ipynb"


def per_seed(seeds: int) -> None:
    cfg = cartpole.Config()
    start = time.perf_counter()
    cartpole.train(10_000, 1, cartpole.Config(max_updates=1))  # compiles the update for one run
    print(f"warm-up (JAX compiles the one-run update): {time.perf_counter() - start:.2f} s\n")
    print(f"{'seed':>4} {'episodes to 475':>16} {'seconds to 475':>15} {'updates':>8} {'evaluation mean':>16}")
    rows = []
    for seed in range(seeds):
        result = cartpole.train(seed, 1, cfg)
        evaluation = cartpole.evaluate(result.params, seed=1000 + seed)
        rows.append((result.solved_at[0], result.seconds[0]))
        print(f"{seed:>4} {result.solved_at[0]:>16} {result.seconds[0]:>15.2f} {len(result.returns):>8} "
              f"{evaluation.mean():>16.1f}")
    episodes, seconds = np.array(rows, dtype=float).T
    solved = episodes > 0
    print(f"solved {solved.sum()} of {seeds}; episodes to 475: median {np.median(episodes[solved]):.0f}, "
          f"range {episodes[solved].min():.0f}-{episodes[solved].max():.0f}; seconds: median "
          f"{np.median(seconds[solved]):.2f}, range {seconds[solved].min():.2f}-{seconds[solved].max():.2f}")


def notebook_experiment() -> None:
    start = time.perf_counter()
    result = cartpole.train(0, 4)  # compiles the four-run update first: included here, as in the notebook
    total = time.perf_counter() - start
    evaluation = cartpole.evaluate(result.params, seed=1)
    print("\nthe notebook's experiment (seed 0, 4 runs side by side, compilation included):")
    for r in range(4):
        print(f"  run {r}: {result.solved_at[r]} episodes, {result.seconds[r]:.2f} s to 475; "
              f"evaluation mean {evaluation[r].mean():.1f}")
    print(f"  training until every run stopped: {total:.2f} s, {len(result.returns)} updates, "
          f"{int(result.returns.max(axis=(1, 2)).sum())} lock-step environment steps")


def sweep(seeds: int) -> None:
    print(f"\nthe notebook's experiment (4 runs side by side, evaluation on 100 episodes) for seeds 0-{seeds - 1}:")
    solved, evaluations, updates, seconds = [], [], [], []
    for seed in range(seeds):
        start = time.perf_counter()
        result = cartpole.train(seed, 4)
        seconds.append(time.perf_counter() - start)
        evaluation = cartpole.evaluate(result.params, seed=1).mean(axis=1)
        solved.append(result.solved_at)
        evaluations.append(evaluation)
        updates.append(len(result.returns))
        print(f"  seed {seed}: episodes to 475 {result.solved_at.tolist()}, evaluation means "
              f"{np.round(evaluation, 1).tolist()}, {updates[-1]} updates, {seconds[-1]:.2f} s")
    solved, evaluations = np.concatenate(solved), np.concatenate(evaluations)
    ok = solved > 0
    print(f"  {ok.sum()} of {len(solved)} runs solved; episodes to 475: median {np.median(solved[ok]):.0f}, "
          f"range {solved[ok].min()}-{solved[ok].max()}; evaluation means >= 475 in "
          f"{(evaluations >= cartpole.Config().solved).sum()} of {len(evaluations)} (lowest {evaluations.min():.1f}); "
          f"updates per seed: median {np.median(updates):.0f}, range {min(updates)}-{max(updates)}; training "
          f"seconds per seed: median {np.median(seconds):.2f}, range {min(seconds):.2f}-{max(seconds):.2f}")


def notebook_time() -> None:
    import nbclient
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    executed = time.perf_counter() - start
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "-q", str(NOTEBOOK)],
                          cwd=NOTEBOOK.parents[1], capture_output=True, text=True)
    nbval = time.perf_counter() - start
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    print(f"\nnotebook 11: executed in a fresh kernel in {executed:.1f} s; strict nbval {nbval:.1f} s ({last}); "
          f"file {NOTEBOOK.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds for the one-run-per-seed table")
    parser.add_argument("--no-notebook", action="store_true", help="skip executing the notebook")
    parser.add_argument("--sweep", type=int, default=0, help="also run the notebook's experiment for this many seeds")
    args = parser.parse_args()
    per_seed(args.seeds)
    notebook_experiment()
    if args.sweep:
        sweep(args.sweep)
    if not args.no_notebook:
        notebook_time()
