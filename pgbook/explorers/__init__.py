"""What the live explorers draw: one function per explorer that computes and draws one figure
(helper modules; notebooks 03 to 06).

Each function is its explorer's whole callback: `pgbook.widgets` calls it when a slider is released,
the notebook calls it for the static figure that follows the explorer, and
`benchmarks/bench_widgets.py` times it. Called again with the axes it drew on, it only changes the
data of its artists (`_view`), so a redraw takes milliseconds instead of a new figure. What does
not depend on a slider (a pool of episodes, a sweep of finite-difference steps) is computed once
per setting and cached, read-only. Key artists carry a `gid` ("exact", "estimates", ...) so tests
can check what is drawn.

| notebook | module | function | sliders |
| --- | --- | --- | --- |
| 03 | `gradient_check` | `gradient_check_figure` | episodes N, finite-difference step eps, seed |
| 04 | `bandit_learning` | `bandit_learning_figure` | step size, batch size, updates, reward offset, seed |
| 05 | `baseline_cloud` | `baseline_cloud_figure` | problem, returns, baseline, batch size, seed |
| 06 | `score_vs_pathwise` | `score_vs_pathwise_figure` | sigma, steepness of the cost, seed |
"""
from ._view import View, view_of
from .bandit_learning import bandit_learning_figure
from .baseline_cloud import baseline_cloud_figure
from .gradient_check import gradient_check_figure
from .score_vs_pathwise import score_vs_pathwise_figure

__all__ = ["View", "bandit_learning_figure", "baseline_cloud_figure", "gradient_check_figure",
           "score_vs_pathwise_figure", "view_of"]
