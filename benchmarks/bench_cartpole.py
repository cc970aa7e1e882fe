"""Benchmark for notebook 11 (prints measured figures; nothing is asserted).

    python benchmarks/bench_cartpole.py              # everything, about a minute on 2 cores
    python benchmarks/bench_cartpole.py --seeds 3 --no-notebook

1. CartPole-v1, REINFORCE with reward-to-go and a learned baseline (`pgbook.cartpole`, the notebook's
   `Config`), one run per seed on its own: episodes and seconds until the run's last 100 episodes
   average at least 475, the updates it took, and its final policy's mean return over 100 evaluation
   episodes. JAX compiles the update once per process, in a warm-up run timed apart.
2. The notebook's experiment as the notebook runs it: seed 0, four runs side by side in one vector
   environment (each run's episodes and seconds to 475 are then shared wall-clock time).
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
    args = parser.parse_args()
    per_seed(args.seeds)
    notebook_experiment()
    if not args.no_notebook:
        notebook_time()
