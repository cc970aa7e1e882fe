"""Animated scenes for the notebooks: each takes the arrays a notebook computed and returns a
`pgbook.animation.Movie` (an APNG at lecture size), so the math stays in the notebook and only the
drawing lives here. Key artists carry a `gid` ("exact", "runs", ...) so tests can check what is drawn.

| notebook | scene |
| --- | --- |
| 01 | `bandit_simplex`: exact gradient ascent beside single-sample REINFORCE; the constant-reward random walk |
| 02 | `trajectory_probabilities`: as theta moves, p(tau) moves and R(tau) stays put; J(theta) and its slope |
| 03 | `estimate_convergence`: a Monte Carlo estimate closing in on the exact gradient, s.e. ~ 1/sqrt(N) |
| 04 | `bandit_simplex` over the exact gradient field; `corridor_climb`; `gridworld_policy` |
| 05 | `gradient_clouds`: per-batch estimates from total return to reward-to-go to baselines |
| 06 | `sigma_shrinks`: score vs pathwise as sigma -> 0; `steep_cost`: where the pathwise gradient lies |
"""
from .estimates import estimate_convergence, gradient_clouds
from .learning import corridor_climb, gridworld_policy
from .pathwise_vs_score import sigma_shrinks, steep_cost
from .simplex import CORNERS, bandit_simplex, simplex_grid, to_simplex
from .trajectories import spread_returns, trajectory_probabilities

__all__ = ["CORNERS", "bandit_simplex", "corridor_climb", "estimate_convergence", "gradient_clouds",
           "gridworld_policy", "sigma_shrinks", "simplex_grid", "spread_returns", "steep_cost", "to_simplex",
           "trajectory_probabilities"]
