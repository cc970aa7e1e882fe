"""Benchmark of the six live explorers (prints measured figures; nothing is asserted).

    python benchmarks/bench_widgets.py

For each explorer of `pgbook.widgets` this builds the real ipywidgets explorer and releases its
sliders one after another in a fixed, realistic order (mostly the main sliders, now and then a new
seed, baseline, critic or batch, whose pool of episodes or table of variances is then computed for the
first time). Setting a control's
value runs exactly what a release runs in a notebook: the figure function of `pgbook.explorers` on
the explorer's figure (compute + update the artists), the redraw (blitting), the JPEG encoding and
the hand-over to the image widget. Printed per explorer: the median wall-clock time over the
releases (target: at most 50 ms) and the median CPU time of this process (less sensitive to other
jobs on a shared machine), the slowest release, and where the time of a release at the default
settings goes. For comparison, the old way for the bandit explorer: a new figure and a full draw.
"""
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import pgbook as pg  # noqa: E402
from pgbook import explorers, widgets  # noqa: E402
from pgbook.explorers import view_of  # noqa: E402

TARGET_MS = 50

RELEASES = {  # explorer: [(control, value), ...], released in this order
    "gradient_check_explorer (03)": [("n_episodes", n) for n in (200, 500, 1000, 2000, 5000, 10_000, 20)]
    + [("eps", e) for e in (1e-6, 1e-8, 1e-10, 1e-12, 1e-3, 1e-1)] + [("seed", 1), ("n_episodes", 100),
                                                                        ("eps", 1e-5), ("seed", 2)],
    "bandit_explorer (04)": [("alpha", a) for a in (1.0, 2.0, 0.1, 0.5)] + [("batch_size", b) for b in (1, 16, 64, 4)]
    + [("reward_offset", c) for c in (5.0, 20.0, -20.0, 0.0)] + [("seed", s) for s in (1, 2, 3)]
    + [("n_updates", 200), ("n_updates", 100)],
    "baseline_explorer (05)": [("batch_size", n) for n in (2, 4, 16, 32, 64, 8)]
    + [("baseline", b) for b in ("V(s)", "constant", "none")] + [("returns", "total"), ("returns", "reward_to_go")]
    + [("batch_size", n) for n in (2, 16, 64, 8)] + [("baseline", "mean"), ("batch_size", 32), ("batch_size", 4),
                                                      ("problem", "short corridor"), ("batch_size", 16)],
    "score_vs_pathwise_explorer (06)": [("sigma", s) for s in (0.2, 0.1, 0.05, 0.02, 0.01, 1.0, 2.0, 0.5)]
    + [("width", w) for w in (1.0, 0.1, 0.001, 0.0, 0.3)] + [("seed", s) for s in (1, 2)] + [("sigma", 0.05)],
    "gae_explorer (09)": [("lam", x) for x in (0.9, 0.95, 1.0, 0.5, 0.0, 0.25)]
    + [("batch_size", b) for b in (1, 4, 128, 1024, 256, 8)] + [("critic", "TD(0), 100 episodes")]
    + [("lam", x) for x in (0.7, 0.9)] + [("batch_size", b) for b in (64, 2)] + [("critic", "exact V")]
    + [("lam", 1.0), ("batch_size", 32)],
    "ppo_explorer (10)": [("clip", c) for c in (0.1, 0.05, 0.3, "none", 0.5, 0.2)]
    + [("alpha", a) for a in (0.005, 0.01, 0.001, 0.002)] + [("n_epochs", e) for e in (50, 200, 100)]
    + [("clip", 0.1), ("alpha", 0.005), ("seed", 3), ("clip", 0.2), ("n_epochs", 150)],
}


def controls(ui) -> dict:
    names = {"episodes N": "n_episodes", "step ε": "eps", "step size α": "alpha", "batch size": "batch_size",
             "updates": "n_updates", "offset": "reward_offset", "batch size N": "batch_size", "σ": "sigma",
             "cost width w": "width", "λ": "lam", "batch size B": "batch_size", "clip ε": "clip",
             "epochs": "n_epochs", "batch seed": "seed"}
    return {names.get(c.description, c.description): c for c in ui.children[0].children}


def releases(make, moves) -> np.ndarray:
    """(wall-clock ms, CPU ms of this process) of each release, in order: (len(moves), 2)."""
    ui = make()
    ctl = controls(ui)
    times = []
    for name, value in moves:
        wall, cpu = time.perf_counter(), time.process_time()
        ctl[name].value = value  # runs the explorer's observer: compute, redraw, encode, show
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
        assert ui.children[1].value == "", ui.children[1].value  # no error message
    plt.close("all")
    return 1e3 * np.array(times)


def breakdown(figure, settings: dict, repeats: int = 7) -> tuple[float, float, float]:
    """Median ms of (figure function on its figure, redraw, JPEG encoding) at warm caches."""
    v = view_of(figure(**settings))
    v.jpeg()
    parts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        figure(**settings, axes=v.axes)
        t1 = time.perf_counter()
        v.render()
        t2 = time.perf_counter()
        v.jpeg()  # render + encode
        t3 = time.perf_counter()
        parts.append((t1 - t0, t2 - t1, (t3 - t2) - (t2 - t1)))
    plt.close("all")
    return tuple(1e3 * np.median(parts, axis=0))


def old_bandit_callback(repeats: int = 10) -> float:
    """The explorer's callback as it was: a new figure per release and a full Agg draw."""
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        fig = explorers.bandit_learning_figure(seed=seed)
        fig.canvas.draw()
        times.append(1e3 * (time.perf_counter() - start))
        plt.close(fig)
    return float(np.median(times))


if __name__ == "__main__":
    pg.plots.use_style()
    makers = [widgets.gradient_check_explorer, widgets.bandit_explorer, widgets.baseline_explorer,
              widgets.score_vs_pathwise_explorer, widgets.gae_explorer, widgets.ppo_explorer]
    figures = [explorers.gradient_check_figure, explorers.bandit_learning_figure, explorers.baseline_cloud_figure,
               explorers.score_vs_pathwise_figure, explorers.gae_tradeoff_figure, explorers.ppo_epochs_figure]
    print(f"{'explorer':<34}{'releases':>9}{'median':>9}{'(CPU)':>8}{'slowest':>9}{'target':>8}   "
          f"median parts: callback + redraw + JPEG")
    for (name, moves), make, figure in zip(RELEASES.items(), makers, figures):
        t = releases(make, moves)
        calc, draw, jpeg = breakdown(figure, {})
        print(f"{name:<34}{len(t):>9}{np.median(t[:, 0]):>6.0f} ms{np.median(t[:, 1]):>5.0f} ms"
              f"{t[:, 0].max():>6.0f} ms{TARGET_MS:>5} ms   {calc:.0f} + {draw:.0f} + {jpeg:.0f} ms")
    print(f"\nbandit callback the old way (new figure + full draw, default settings): "
          f"median {old_bandit_callback():.0f} ms")
