"""What the live explorers draw: one function per explorer that computes and draws one figure
(helper modules; notebooks 03 to 06, 09 and 10).

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
| 09 | `gae_tradeoff` | `gae_tradeoff_figure` | critic, GAE lambda, batch size B |
| 10 | `ppo_epochs` | `ppo_epochs_figure` | clip epsilon, step size, epochs, batch seed |

`gae_tradeoff` draws from `gae_measure`, the home of notebook 09's section 4 (the exact expectation of
GAE's gradient estimate and the variances measured on a pool of episodes), which the notebook calls too.
"""
from ._view import View, view_of
from .bandit_learning import bandit_learning_figure
from .baseline_cloud import baseline_cloud_figure
from .gae_tradeoff import gae_tradeoff_figure
from .gradient_check import gradient_check_figure
from .ppo_epochs import ppo_epochs_figure
from .score_vs_pathwise import score_vs_pathwise_figure

__all__ = ["View", "bandit_learning_figure", "baseline_cloud_figure", "gae_tradeoff_figure", "gradient_check_figure",
           "ppo_epochs_figure", "score_vs_pathwise_figure", "view_of"]
